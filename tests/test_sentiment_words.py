"""The word-level sentiment LM (course_lib.train.sentiment_words): batches, loss, features, unit search, sampling,
the shipped file, and a tiny end-to-end run with an exact resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_lib.data import Vocabulary
from course_lib.tasks.imdb import AdaptiveLM
from course_lib.train import sentiment_words as sw
from course_lib.train.sentiment import unit_accuracy


def _rows(seed=0, n=7, vocab=50):
    rng = np.random.default_rng(seed)
    return [(rng.integers(3, vocab, size=int(rng.integers(2, 15))).astype(np.int64), i % 2) for i in range(n)]


@pytest.fixture(scope="module")
def tiny_lm():
    torch.manual_seed(0)
    return AdaptiveLM(50, 8, 16, (10, 30)).eval()


def test_review_batch_starts_each_review_with_the_marker_and_keeps_its_last_tokens():
    rows = [(np.arange(3, 13), 1), (np.array([7, 8]), 0)]
    ids, mask = sw.review_batch(rows, max_len=4)
    assert ids.shape == (2, 5) and mask.shape == (2, 5)
    assert ids[0].tolist() == [sw.BOS, 9, 10, 11, 12]
    assert ids[1].tolist() == [sw.BOS, 7, 8, 0, 0] and mask[1].tolist() == [True, True, True, False, False]


def test_review_loss_is_the_token_weighted_mean_of_each_review_alone(tiny_lm):
    rows = _rows()
    batch_loss = sw.review_lm_loss(tiny_lm, sw.review_batch(rows, 100)).item()
    total, count = 0.0, 0
    for r in rows:                                            # one review at a time: no padding at all
        n = len(r[0])
        total += sw.review_lm_loss(tiny_lm, sw.review_batch([r], 100)).item() * n
        count += n
    assert batch_loss == pytest.approx(total / count, rel=1e-5)


def test_review_states_are_the_lstm_read_alone_from_the_zero_state(tiny_lm):
    rows = _rows(1, n=9)
    feats = sw.review_states(tiny_lm, rows, max_len=10, batch_size=2)
    for i, (ids, _) in enumerate(rows):
        x = torch.tensor([[sw.BOS, *ids[-10:].tolist()]])
        h, (_, c) = tiny_lm.lm.rnn(tiny_lm.lm.embedding(x))
        np.testing.assert_allclose(feats["final_c"][i], c[-1, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(feats["mean_h"][i], h[0].mean(0).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_best_single_unit_finds_a_planted_negative_unit():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=400)
    x = rng.normal(size=(400, 30))
    x[:, 17] = -(2 * y - 1) * 1.5 + rng.normal(size=400)       # low values mean positive: sign -1
    best = sw.best_single_unit(x, y)
    assert best["unit"] == 17 and best["sign"] == -1.0
    assert best["accuracy"] == unit_accuracy(x[:, 17], y, -1.0, best["threshold"]) > 0.85
    assert all(unit_accuracy(x[:, u], y, s, t) <= best["accuracy"] for u in range(30) for s in (1.0, -1.0)
               for t in np.sort(x[:, u]) - 1e-9)


def test_sampling_reproduces_and_a_clamped_unit_changes_the_words(tiny_lm):
    vocab = Vocabulary([f"w{i}" for i in range(47)], specials=("<pad>", "<unk>", "</r>"))
    assert len(vocab) == 50
    free = sw.sample_clamped(tiny_lm, vocab, "w1 w2", 30, seed=3)
    assert free == sw.sample_clamped(tiny_lm, vocab, "w1 w2", 30, seed=3)
    assert set(free.split()) <= set(vocab.itos)
    clamped = [sw.sample_clamped(tiny_lm, vocab, "w1 w2", 30, {u: 50.0}, seed=3) for u in range(16)]
    assert any(c != free for c in clamped)


def test_export_and_load_round_trip(tiny_lm, tmp_path):
    vocab = Vocabulary([f"w{i}" for i in range(47)], specials=("<pad>", "<unk>", "</r>"))
    cfg = sw.WordLMConfig(vocab_size=50, embed_dim=8, hidden_dim=16, cutoffs=(10, 30))
    path = sw.export_word_lm(tmp_path / "m.pt", tiny_lm, vocab, cfg, {"seed": 0})
    model, vocab2, payload = sw.load_word_lm(path)
    assert vocab2.itos == vocab.itos and payload["meta"] == {"seed": 0} and not model.training
    assert {v.dtype for v in payload["state_dict"].values()} == {torch.float16}
    rows = _rows(2)
    a = sw.review_states(tiny_lm, rows, 20)["final_c"]
    b = sw.review_states(model, rows, 20)["final_c"]
    np.testing.assert_allclose(a, b, atol=5e-3)                       # float16 weights
    torch.save({"format": "something else"}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a shipped word LM"):
        sw.load_word_lm(tmp_path / "bad.pt")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, data_mirror):
    out, work = tmp_path_factory.mktemp("run"), tmp_path_factory.mktemp("work")
    assert sw.main(["--tiny", "--minutes", "0.05", "--out", str(out), "--work", str(work), "--no-progress"]) == 0
    return out, work


def test_tiny_run_writes_the_model_the_record_and_the_emergence_curve(tiny_run):
    out, _ = tiny_run
    record = json.loads((out / "sentiment_word_unit.json").read_text())
    curve = record["emergence_curve"]
    assert len(curve) == record["chunks"] >= 1
    assert [r["chunk"] for r in curve] == list(range(1, len(curve) + 1))
    assert all(0.0 <= r["final_c_one_unit_acc"] <= 1.0 and 0 <= r["final_c_unit"] < 24 for r in curve)
    assert np.diff([r["tokens_seen"] for r in curve]).min() > 0
    assert record["sizes"]["imdb_test"] == 200 and record["sizes"]["sst_test"] > 50
    for ds in ("imdb", "sst"):
        assert 0.0 <= record["features"]["final_c"]["one_unit"][ds]["test_accuracy"] <= 1.0
    model, vocab, _ = sw.load_word_lm(out / "word_lm_imdb.pt")
    assert model.lm.hidden_dim == 24 and len(vocab) == 8000
    assert len(record["generation"]["positive"]) == 3


def test_tiny_run_resumes_after_its_last_chunk(tiny_run):
    out, work = tiny_run
    before = json.loads((out / "sentiment_word_unit.json").read_text())
    assert sw.main(["--tiny", "--minutes", "10", "--chunks", str(before["chunks"] + 2), "--resume", "--out",
                    str(out), "--work", str(work), "--no-progress"]) == 0
    after = json.loads((out / "sentiment_word_unit.json").read_text())
    assert after["emergence_curve"][: before["chunks"]] == before["emergence_curve"]
    assert after["chunks"] == before["chunks"] + 2 and len(after["commands"]) == 2
    # the commands live in the checkpoint too, so a run killed before writing its record loses none of them
    state = torch.load(out / "train_state.pt", map_location="cpu", weights_only=True)
    assert state["meta"]["commands"] == after["commands"] and "--resume" in after["commands"][1]


def test_chrono_init_sets_forget_and_input_biases_in_torch_gate_order():
    lstm = torch.nn.LSTM(4, 10, batch_first=True)
    g_before, o_before = lstm.bias_ih_l0[20:].clone(), lstm.bias_hh_l0[20:].clone()
    sw.chrono_init(lstm, t_max=50, generator=torch.Generator().manual_seed(0))
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    b_i, b_f = b[:10], b[10:20]                                        # torch packs [i, f, g, o]
    assert torch.all(b_f.exp() >= 1.0) and torch.all(b_f.exp() <= 49.0) and b_f.std() > 0.3
    torch.testing.assert_close(b_i, -b_f)
    assert torch.equal(lstm.bias_hh_l0[:20], torch.zeros(20))
    assert torch.equal(lstm.bias_ih_l0[20:], g_before) and torch.equal(lstm.bias_hh_l0[20:], o_before)
    # a unit with forget bias log(u) and nothing written keeps a fraction u / (1 + u) of its cell per step
    f = torch.sigmoid(b_f)
    torch.testing.assert_close(f, b_f.exp() / (1 + b_f.exp()))


def test_a_resume_with_the_budget_spent_re_measures_the_trained_weights(tiny_run):
    out, work = tiny_run
    args = ["--tiny", "--out", str(out), "--work", str(work), "--no-progress", "--resume"]
    assert sw.main([*args, "--minutes", "0.2"]) == 0
    first = json.loads((out / "sentiment_word_unit.json").read_text())
    assert sw.main([*args, "--minutes", "0.0001"]) == 0                    # nothing left to train
    again = json.loads((out / "sentiment_word_unit.json").read_text())
    assert again["chunks"] == first["chunks"] and again["emergence_curve"] == first["emergence_curve"]
    for key in ("unit", "sign", "threshold_imdb", "check", "features", "generation"):
        assert again[key] == first[key], key


def test_skip_ahead_targets_lie_2_to_k_ahead_inside_the_same_review():
    rows = [(np.arange(10, 40), 1), (np.arange(50, 55), 0)]
    ids, mask = sw.review_batch(rows, 100)
    targets, valid = sw.skip_ahead_targets(ids, mask, 6, torch.Generator().manual_seed(0))
    assert targets.shape == valid.shape == (2, ids.shape[1] - 1)
    for n in range(2):
        for t in range(ids.shape[1] - 1):
            if valid[n, t]:
                d = int((ids[n] == targets[n, t]).nonzero()[0]) - t
                assert 2 <= d <= 6 and mask[n, t + d] and mask[n, t]
    assert valid[0, :20].all()                                        # far from the end: always a target
    assert not valid[1, 5:].any()                                     # padding never is, nor is anything past it


def _small_lm(**changes):
    """A seeded 16-unit word LM of ``WordLMConfig(..., **changes)``: (config, model)."""
    torch.manual_seed(0)
    cfg = sw.WordLMConfig(vocab_size=50, embed_dim=8, hidden_dim=16, cutoffs=(10, 30), **changes)
    return cfg, sw.build_model(cfg)


def _round_trip(path, model, cfg):
    """Export ``model`` and load it back: (model, payload)."""
    vocab = Vocabulary([f"w{i}" for i in range(47)], specials=("<pad>", "<unk>", "</r>"))
    loaded, _, payload = sw.load_word_lm(sw.export_word_lm(path, model, vocab, cfg, {}))
    return loaded, payload


def test_skip_ahead_loss_only_in_training_and_round_trips(tmp_path):
    cfg, model = _small_lm(skip_ahead=8)
    batch = sw.review_batch(_rows(3), 100)
    model.eval()
    next_only = sw.review_lm_loss(model, batch).item()
    model.train()
    both = sw.review_lm_loss(model, batch).item()
    assert both > next_only + 1.0                                    # the far head adds ~log(V) at initialisation
    loaded, _ = _round_trip(tmp_path / "s.pt", model, cfg)
    assert isinstance(loaded, sw.SkipAheadLM) and loaded.skip_ahead == 8


def test_dropout_acts_only_in_training_never_on_reading_and_round_trips(tmp_path):
    cfg, model = _small_lm(dropout=0.5)
    batch = sw.review_batch(_rows(5), 100)
    model.train()
    noisy = [sw.review_lm_loss(model, batch).item() for _ in range(2)]
    assert noisy[0] != noisy[1]                                      # a fresh mask per step
    model.eval()
    assert sw.review_lm_loss(model, batch).item() == sw.review_lm_loss(model, batch).item()
    rows = _rows(6)
    model.train()                                                    # reading switches dropout off by itself
    assert np.array_equal(sw.review_states(model, rows, 100)["final_c"], sw.review_states(model, rows, 100)["final_c"])
    loaded, payload = _round_trip(tmp_path / "d.pt", model, cfg)
    assert payload["config"]["dropout"] == 0.5 and loaded.lm.drop.p == 0.5 and not loaded.training


def test_bf16_autocast_step_is_finite_and_close_to_float32():
    _, model = _small_lm()
    batch = sw.review_batch(_rows(4), 100)
    full = sw.review_lm_loss(model, batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = sw.review_lm_loss(model, batch)
    half.backward()
    assert torch.isfinite(half) and abs(half.item() - full.item()) < 0.05
    assert all(p.grad is None or (p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all())
               for p in model.parameters())


def test_learning_rate_is_constant_then_decays_per_chunk():
    cfg = sw.WordLMConfig(lr=2e-3, lr_decay_after=3, lr_decay=0.5)
    assert [sw.chunk_lr(cfg, c) for c in (1, 3, 4, 6)] == pytest.approx([2e-3, 2e-3, 1e-3, 2.5e-4])
    assert sw.chunk_lr(sw.WordLMConfig(lr=2e-3), 100) == 2e-3


# ---------------------------------------------------------------------------------------- the shipped model
def test_shipped_word_lm_re_measures_its_recorded_unit(data_mirror):
    from course_lib.baselines import tokenize
    from course_lib.checkpoints import CHECKPOINT_DIR
    from course_lib.data import load_imdb

    model, vocab, payload = sw.load_word_lm()
    record = json.loads((CHECKPOINT_DIR / "sentiment_word_unit.json").read_text())
    assert payload["meta"]["records"] == ["sentiment_word_unit"] and record["seed"] == 0
    rows = [(vocab.encode(tokenize(t)), y) for t, y in load_imdb("test")[::25]]
    assert len(rows) == record["check"]["n"] == 1000
    values = sw.review_states(model, rows, record["imdb_max_len"])[record["feature"]][:, record["unit"]]
    acc = unit_accuracy(values, np.array([y for _, y in rows]), record["sign"], record["threshold_imdb"])
    # exact here; another CPU's float32 kernels may move a review that sits on the threshold: two of 1,000 at most
    assert acc == pytest.approx(record["check"]["accuracy"], abs=2e-3)
    # the record's headline number: the unit on all 25,000 test reviews, and the emergence curve behind it
    one = record["features"][record["feature"]]["one_unit"]["imdb"]
    assert abs(acc - one["test_accuracy"]) < 0.03 and record["sizes"]["imdb_test"] == 25_000
    assert record["train_cpu_seconds"] <= 3 * 3600 and len(record["emergence_curve"]) == record["chunks"]
