"""The shipped checkpoints (data/checkpoints/) load and still measure what their records say, in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.checkpoints import CHECKPOINT_DIR, SHIPPED, load_shipped
from course_lib.data import load_sst2, load_tinyshakespeare
from course_lib.models.language_models import RNNLM
from course_lib.train import lm_loss
from course_lib.train.sentiment import fit_threshold, lstm_step, review_features, sample_clamped, unit_accuracy


@pytest.fixture(scope="module")
def char_lm():
    return load_shipped("char_lstm_shakespeare")


@pytest.fixture(scope="module")
def byte_lm():
    return load_shipped("byte_lm_imdb")


def test_shipped_checkpoints_fit_in_25_mb_and_store_float16():
    total = sum(p.stat().st_size for p in CHECKPOINT_DIR.iterdir())
    assert total <= 25 * 2**20, f"data/checkpoints/ holds {total / 2**20:.1f} MB > 25 MB"
    for name in SHIPPED:
        payload = torch.load(CHECKPOINT_DIR / f"{name}.pt", weights_only=True)
        assert {v.dtype for v in payload["state_dict"].values()} == {torch.float16}
        assert "optimizer" not in payload


def test_char_lm_validation_loss_is_what_its_record_says(char_lm, data_mirror):
    model, info = char_lm
    record = info.records["char_lstm_shakespeare"]
    assert isinstance(model, RNNLM) and model.cell == "lstm" and not model.training
    n = record["check"]["val_tokens"]
    val = load_tinyshakespeare("val")[:n]
    assert n == 20_000 and len(val) == n
    loss = lm_loss(model, info.encode(val), seq_len=200, batch_size=1)
    assert loss == pytest.approx(record["check"]["loss"], abs=2e-3)
    assert loss < 1.7                               # a trained model: a unigram model scores ~3.3 nats/char
    assert record["val_loss"] < 1.7 and record["seed"] == 0 and record["wall_s"] > 0 and record["cpu_s"] > 0


def test_char_lm_samples_text_of_its_vocabulary(char_lm):
    model, info = char_lm
    out = model.sample(info.encode("ROMEO:\n"), 80, temperature=0.5, generator=torch.Generator().manual_seed(0))
    text = info.decode(out)
    assert len(text) == 80 and "<unk>" not in text
    assert sum(c.isalpha() or c.isspace() for c in text) > 60      # mostly letters and spaces, not noise


def test_sentiment_unit_accuracy_is_what_its_record_says(byte_lm, data_mirror):
    model, info = byte_lm
    record = info.records["sentiment_unit"]
    n, unit, sign = record["check"]["n"], record["unit"], record["sign"]
    rows = load_sst2("test")[:n]
    values = review_features(model, [t for t, _ in rows])["final_c"][:, unit]
    acc = unit_accuracy(values, np.array([y for _, y in rows]), sign, record["threshold"])
    assert acc == pytest.approx(record["check"]["accuracy"], abs=1.5 / n)
    assert acc >= record["check"]["accuracy"] - 1.5 / n > 0.5


def test_lstm_step_is_the_lstm_and_clamp_fixes_the_unit(byte_lm):
    model, info = byte_lm
    ids = info.encode("A fine film.")
    with torch.no_grad():
        logits, _ = model(ids[None])
        state, steps = model.init_state(1), []
        for t in ids:
            out, state = lstm_step(model, t[None], state)
            steps.append(out)
        assert torch.allclose(torch.stack(steps, dim=1), logits, atol=1e-5)
        _, (h, c) = lstm_step(model, ids[:1], model.init_state(1), {7: 0.75})
    assert c[-1, 0, 7].item() == 0.75 and h[-1, 0, 7].item() != 0


def test_clamping_the_unit_shifts_the_next_byte_distribution_and_samples_reproduce(byte_lm):
    model, info = byte_lm
    record = info.records["sentiment_unit"]
    unit, gen = record["unit"], record["generation"]

    def log_probs(clamp):
        state = model.init_state(1)
        with torch.no_grad():
            for t in info.encode(gen["prompt"]):
                logits, state = lstm_step(model, t[None], state, clamp)
        return torch.log_softmax(logits, dim=-1)

    pos, neg = log_probs({unit: gen["clamp_positive"]}), log_probs({unit: gen["clamp_negative"]})
    assert (pos - neg).abs().max().item() > 1e-3
    assert torch.allclose(log_probs({unit: gen["clamp_positive"]}), pos)
    text = sample_clamped(model, gen["prompt"], 40, {unit: gen["clamp_positive"]}, seed=0)
    assert text == gen["positive"][0][: len(text)]


def test_fit_threshold_maximises_training_accuracy():
    values, labels = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])
    t = fit_threshold(values, labels, 1.0)
    assert t == pytest.approx(0.225) and unit_accuracy(values, labels, 1.0, t) == 0.75
    flipped = 1 - labels                                     # a unit that is high on negative reviews
    assert unit_accuracy(values, flipped, -1.0, fit_threshold(values, flipped, -1.0)) == 0.75
    assert unit_accuracy(values, flipped, 1.0, fit_threshold(values, flipped, 1.0)) == 0.5


def test_unknown_checkpoint_names_the_shipped_ones():
    with pytest.raises(ValueError, match="char_lstm_shakespeare"):
        load_shipped("gpt2")
