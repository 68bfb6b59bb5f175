"""Tests of course_lib.sequence_labelling (Lecture 6 helpers)."""

import math

import numpy as np
import pytest
import torch

from course_lib.reference.crf import log_partition, marginals, viterbi_decode
from course_lib.sequence_labelling import (
    PUBLISHED,
    brute_force_crf,
    count_invalid_iob,
    emission_argmax,
    enumerate_paths,
    invalid_iob,
    word_report,
)


def test_enumerate_paths():
    p = enumerate_paths(3, 2)
    assert p.shape == (8, 3)
    assert p[0].tolist() == [0, 0, 0] and p[-1].tolist() == [1, 1, 1] and p[5].tolist() == [1, 0, 1]
    assert len({tuple(r) for r in p}) == 8
    with pytest.raises(ValueError):
        enumerate_paths(0, 3)


def test_brute_force_by_hand_two_steps():
    # T = 2, K = 2: four paths, scores written out by hand.
    e = np.array([[1.0, 0.0], [0.0, 2.0]])
    tr = np.array([[0.5, -1.0], [0.0, 0.3]])
    st, en = np.array([0.1, 0.0]), np.array([0.0, 0.2])
    r = brute_force_crf(e, tr, st, en)
    s = {(0, 0): 0.1 + 1 + 0 + 0.5 + 0.0, (0, 1): 0.1 + 1 + 2 - 1.0 + 0.2,
         (1, 0): 0.0 + 0 + 0 + 0.0 + 0.0, (1, 1): 0.0 + 0 + 2 + 0.3 + 0.2}
    assert np.allclose(r["scores"], [s[(0, 0)], s[(0, 1)], s[(1, 0)], s[(1, 1)]])
    assert math.isclose(r["log_z"], math.log(sum(math.exp(v) for v in s.values())))
    assert r["best_path"] == [1, 1] and math.isclose(r["best_score"], s[(1, 1)])
    z = sum(math.exp(v) for v in s.values())
    assert math.isclose(r["marginals"][0, 0], (math.exp(s[(0, 0)]) + math.exp(s[(0, 1)])) / z)


def test_brute_force_agrees_with_forward_viterbi_marginals():
    rng = np.random.default_rng(3)
    T, K = 5, 3
    e, tr = rng.normal(size=(T, K)), rng.normal(size=(K, K))
    st, en = rng.normal(size=K), rng.normal(size=K)
    r = brute_force_crf(e, tr, st, en)
    assert np.isclose(log_partition(e[None], None, tr, st, en)[0], r["log_z"])
    paths, best = viterbi_decode(e[None], None, tr, st, en)
    assert paths[0] == r["best_path"] and np.isclose(best[0], r["best_score"])
    assert np.allclose(marginals(e[None], None, tr, st, en)[0][0], r["marginals"])
    assert np.allclose(r["marginals"].sum(1), 1)


def test_brute_force_rejects_bad_shapes():
    with pytest.raises(ValueError):
        brute_force_crf(np.zeros(3), np.zeros((3, 3)), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError):
        brute_force_crf(np.zeros((30, 5)), np.zeros((5, 5)), np.zeros(5), np.zeros(5))


def test_invalid_iob():
    assert invalid_iob(["B-PER", "I-PER", "O", "B-LOC"]) == []
    assert invalid_iob(["O", "I-PER"]) == [1]
    assert invalid_iob(["I-ORG", "I-ORG"]) == [0]
    assert invalid_iob(["B-LOC", "I-PER", "I-PER"]) == [1]
    assert invalid_iob(["NOUN", "I-X"]) == [1]
    assert count_invalid_iob([["O", "I-PER", "I-LOC"], ["B-PER"], ["I-PER"]]) == {"tokens": 3, "sentences": 2}


def test_word_report():
    words = [["The", "back", "door"], ["back", "the", "bill"]]
    gold = [["DET", "ADJ", "NOUN"], ["VERB", "DET", "NOUN"]]
    pred = [["DET", "NOUN", "NOUN"], ["VERB", "DET", "NOUN"]]
    r = word_report(words, gold, pred, ["back", "the", "like"])
    assert r["back"]["n"] == 2 and r["back"]["accuracy"] == 0.5
    assert r["back"]["errors"] == {("ADJ", "NOUN"): 1} and r["back"]["gold"] == {"ADJ": 1, "VERB": 1}
    assert r["the"]["n"] == 2 and r["the"]["accuracy"] == 1.0
    assert r["like"]["n"] == 0 and r["like"]["accuracy"] is None
    assert word_report(words, gold, pred, ["the"], lower=False)["the"]["n"] == 1


class _Echo(torch.nn.Module):
    """Emissions = one-hot of (word id mod K): the argmax is predictable."""

    def __init__(self, K):
        super().__init__()
        self.K = K

    def forward(self, words, mask, chars=None):
        return torch.nn.functional.one_hot(words % self.K, self.K).float()


def test_emission_argmax():  # batch_size=1 and 2: batching by length keeps the input order
    from course_lib.data import Vocabulary

    vocabs = {"words": Vocabulary.build([["a", "b", "c"]], min_count=1),
              "chars": Vocabulary.build([list("abc")], min_count=1), "tags": Vocabulary(["X", "Y"], specials=())}
    K = len(vocabs["tags"])
    itos = vocabs["tags"].itos
    sents = [["c", "a", "zz"], ["a", "b"]]
    expect = [[itos[int(i) % K] for i in vocabs["words"].encode(s)] for s in sents]
    for bs in (1, 2, 64):
        out = emission_argmax(_Echo(K), vocabs, sents, batch_size=bs)
        assert out == expect and [len(s) for s in out] == [3, 2]


def test_published_has_sources():
    assert all(0 < v < 100 and len(src) > 10 for v, src in PUBLISHED.values())


def test_shipped_report(tmp_path):
    from course_lib.sequence_labelling import shipped_report

    assert shipped_report("nope", tmp_path) is None
    (tmp_path / "t.json").write_text('{"test": {"accuracy": 0.5}}')
    assert shipped_report("t", tmp_path) == {"test": {"accuracy": 0.5}}
