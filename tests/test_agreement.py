"""course_lib.agreement: number prediction for subject-verb agreement (Linzen et al. 2016; lecture 4)."""

import numpy as np
import pytest
import torch

from course_lib.agreement import (
    NumberPredictor,
    accuracy_by_attractors,
    build_vocab,
    encode,
    predict,
    recency_baseline,
    train_number_predictor,
)
from course_lib.data import load_agreement


def item(prefix: str, number: str, attractors: int) -> dict:
    return {"prefix": prefix.split(), "number": number, "attractors": attractors}


ITEMS = [item("the keys of the cabinet", "pl", 1), item("the key", "sg", 0),
         item("the writer that the dogs liked", "sg", 1), item("the lamps near the lamps", "pl", 0)]


def test_recency_baseline_takes_the_last_noun():
    np.testing.assert_array_equal(recency_baseline(ITEMS), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="without a noun"):
        recency_baseline([item("the of", "sg", 0)])


def test_recency_baseline_on_the_data_is_right_without_attractors_and_wrong_with_three():
    items = load_agreement("test")
    labels = np.array([x["number"] == "pl" for x in items], dtype=int)
    acc = accuracy_by_attractors(recency_baseline(items) == labels, [x["attractors"] for x in items])
    assert acc[0] == 1.0 and acc[3] == 0.0
    assert acc[1] > acc[2] > acc[3]


def test_encode_pads_after_each_prefix():
    stoi = build_vocab(ITEMS)
    assert sorted(stoi.values()) == list(range(1, len(stoi) + 1))
    d = encode(ITEMS, stoi)
    assert d["ids"].shape == (4, 6)
    np.testing.assert_array_equal(d["lengths"], [5, 2, 6, 5])
    np.testing.assert_array_equal(d["labels"], [1, 0, 0, 1])
    np.testing.assert_array_equal(d["attractors"], [1, 0, 1, 0])
    assert (d["ids"][1, 2:] == 0).all() and (d["ids"][1, :2] > 0).all()
    assert d["ids"][0, 1].item() == stoi["keys"]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        encode([item("the zebra", "sg", 0)], stoi)


def test_accuracy_by_attractors():
    acc = accuracy_by_attractors([True, False, True, True], [0, 0, 2, 2], max_attractors=3)
    np.testing.assert_allclose(acc[[0, 2]], [0.5, 1.0])
    assert np.isnan(acc[1]) and np.isnan(acc[3])
    with pytest.raises(ValueError):
        accuracy_by_attractors([True], [0, 1])


@pytest.mark.parametrize("cell", ["lstm", "rnn_tanh", "gru"])
def test_predictor_reads_the_state_after_the_last_real_word(cell):
    torch.manual_seed(0)
    stoi = build_vocab(ITEMS)
    m = NumberPredictor(len(stoi) + 1, cell)
    d = encode(ITEMS, stoi)
    logits = m(d["ids"], d["lengths"])
    assert logits.shape == (4, 2)
    alone = m(d["ids"][1:2, :2], d["lengths"][1:2])  # the short item without its padding
    torch.testing.assert_close(logits[1:2], alone)
    with pytest.raises(ValueError):
        NumberPredictor(5, "transformer")


def test_training_learns_the_number_and_is_reproducible():
    items = [x for x in load_agreement("train") if x["attractors"] == 0][:120]
    stoi = build_vocab(items)
    d = encode(items, stoi)
    m1, hist = train_number_predictor("lstm", d, len(stoi) + 1, seed=1, epochs=12)
    m2, _ = train_number_predictor("lstm", d, len(stoi) + 1, seed=1, epochs=12)
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert (predict(m1, d) == d["labels"].numpy()).mean() > 0.9
    np.testing.assert_array_equal(predict(m1, d), predict(m2, d))
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(p1, p2)
