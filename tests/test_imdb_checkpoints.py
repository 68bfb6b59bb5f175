"""The shipped IMDB LSTM acceptors (data/checkpoints/imdb_lstm*.pt) and the task helpers behind them.

Each checkpoint is re-measured on every 25th test review (1,000 reviews, 500 per class; seconds on one core): the
accuracy must match the one its JSON recorded at training time, and LM pretraining (Dai & Le 2015) must beat the
random initialisation trained with the same recipe and budget.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.data import load_imdb
from course_lib.models.classifier import LSTMClassifier
from course_lib.tasks import imdb

CKPT = Path(__file__).resolve().parents[1] / "data" / "checkpoints"
SHIPPED = ("lstm", "lstm_pretrained")


@pytest.fixture(scope="module")
def test_subset(data_mirror):
    return load_imdb("test")[::25]


@pytest.fixture(scope="module")
def reports():
    return {name: json.loads((CKPT / f"imdb_{name}.json").read_text()) for name in SHIPPED}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_reproduces_its_recorded_accuracy(name, test_subset, reports):
    report = reports[name]
    model, vocab, payload = imdb.load_imdb_classifier(CKPT / f"imdb_{name}.pt")
    assert isinstance(model, LSTMClassifier) and len(vocab) == payload["config"]["vocab_size"] == model.vocab_size
    assert report["seed"] == payload["meta"]["seed"] and report["command"].startswith("python -m course_lib")
    assert report["train_cpu_seconds"] > 0 and report["updates"] > 0
    assert len(test_subset) == report["test_every25_n"] == 1000
    assert sum(y for _, y in test_subset) == 500
    ids = imdb.encode_reviews([t for t, _ in test_subset], vocab)
    acc = imdb.accuracy(model, list(zip(ids, [y for _, y in test_subset], strict=True)),
                        payload["config"]["max_len"])
    assert acc == pytest.approx(report["test_every25_acc"], abs=3e-3)
    assert acc > 0.60                                   # above chance (0.5) on a balanced sample


def test_pretraining_beats_random_init_with_the_same_budget(reports):
    rand, pre = reports["lstm"], reports["lstm_pretrained"]
    assert rand["config"] == pre["config"]             # same sizes, recipe and fine-tuning budget
    assert pre["copied_parameters"][0] == "embedding.weight" and not rand["copied_parameters"]
    assert pre["pretrained_lm"]["val_ppl"] < 400       # the LM did learn something (uniform: ppl = |V|)
    assert pre["test_error_pct"] < rand["test_error_pct"] - 2.0
    assert pre["test_every25_acc"] > rand["test_every25_acc"]


def test_shipped_checkpoints_are_small_and_half_precision():
    files = [CKPT / f"imdb_{name}.pt" for name in SHIPPED]
    assert sum(f.stat().st_size for f in files) <= 6e6
    payload = torch.load(files[0], map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float16 for v in payload["model"].values() if v.is_floating_point())


def test_collate_keeps_the_last_tokens_and_the_lengths():
    ex = [(np.arange(1, 8), 1), (np.array([5, 6, 7, 9, 3]), 0)]
    ids, lengths, labels = imdb.collate(ex, max_len=4)
    assert ids.tolist() == [[4, 5, 6, 7], [6, 7, 9, 3]]
    assert lengths.tolist() == [4, 4] and labels.tolist() == [1, 0]
    ids, lengths, _ = imdb.collate(ex + [(np.array([8, 2]), 1)], max_len=4)    # cropped to the shortest review
    assert ids.tolist() == [[6, 7], [9, 3], [8, 2]] and lengths.tolist() == [2, 2, 2]


def test_predict_does_not_depend_on_order_or_batching():
    torch.manual_seed(0)
    model = imdb.build_classifier(imdb.Config(vocab_size=30, embed_dim=4, hidden_dim=6))
    rng = np.random.default_rng(0)
    ex = [(rng.integers(1, 30, n), 0) for n in (3, 9, 5, 3, 12, 9)]
    p = imdb.predict(model, ex, max_len=8, batch_size=2)
    alone = [imdb.predict(model, [e], max_len=8)[0] for e in ex]
    np.testing.assert_allclose(p, alone, rtol=1e-6)
    assert p[4] != p[1] and imdb.predict(model, ex[::-1], max_len=8)[::-1] == pytest.approx(p)


def test_lm_windows_shift_targets_by_one():
    stream = torch.arange(23)
    x, y = imdb.windows(stream, batch_size=2, bptt=5)
    assert x.shape == y.shape == (2, 11)
    assert torch.equal(y, x + 1) and x[1, 0].item() == 11          # row 1 continues the stream after row 0


def test_lm_stream_separates_reviews_with_eos():
    ex = [(np.array([7, 8]), 0), (np.array([9]), 1)]
    s = imdb.lm_stream(ex, seed=0).tolist()
    assert sorted([s[:3], s[3:]]) == sorted([[7, 8, 2], [9, 2]]) and len(s) == 5


def test_adaptive_lm_loss_is_the_exact_nll_and_truncated_bptt_carries_state():
    torch.manual_seed(0)
    m = imdb.AdaptiveLM(vocab_size=50, embed_dim=8, hidden_dim=32, cutoffs=(10, 30))
    x, y = torch.randint(0, 50, (3, 6)), torch.randint(0, 50, (3, 6))
    loss, state = m(x, y)
    out, _ = m.lm.rnn(m.lm.embedding(x))
    logp = m.softmax.log_prob(out.reshape(-1, 32))                   # full normalised distribution (18, 50)
    assert torch.allclose(logp.exp().sum(1), torch.ones(18), atol=1e-5)
    assert loss.item() == pytest.approx(F.nll_loss(logp, y.reshape(-1)).item(), rel=1e-5)
    tb = imdb.AdaptiveTBPTTLoss()
    tb(m, (x, y))
    h = tb.state[0]
    assert h.shape == (1, 3, 32) and h.grad_fn is None                # carried, detached
    second = tb(m, (x, y))
    assert second.item() == pytest.approx(m(x, y, state)[0].item(), rel=1e-6)
    tb.reset()
    assert tb.state is None


def test_pretrained_copy_makes_the_classifier_read_like_the_lm():
    cfg = imdb.Config(vocab_size=40, embed_dim=6, hidden_dim=16)
    lm = imdb.AdaptiveLM(cfg.vocab_size, cfg.embed_dim, cfg.hidden_dim, cutoffs=(10, 20))
    clf = imdb.build_classifier(cfg)
    clf.load_pretrained_lm(lm.lm)
    x = torch.randint(1, 40, (2, 7))
    out, (h, _) = lm.lm.rnn(lm.lm.embedding(x))
    assert torch.allclose(clf.encode(x), h[-1], atol=1e-6)
