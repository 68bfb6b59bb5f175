"""course_lib.lm_eval: the neural and the n-gram side predict the same tokens with the same vocabulary."""

import math

import numpy as np
import pytest
import torch

from course_lib.lm_eval import (
    mix_logprobs,
    nearest_neighbours,
    neural_logprobs,
    ngram_logprobs,
    perplexity,
    window_batches,
    window_dataset,
)
from course_lib.reference.ngram import NGramLM

TRAIN = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat", "ran"], ["the", "cat", "ran", "down"]]
VAL = [["the", "cat", "ran"], ["a", "dog", "sat", "up"], ["down"]]


class NGramAsNet(torch.nn.Module):
    """Wraps an NGramLM as a ``contexts -> logits`` module: logits = log P_ngram, plus a huge one for <s>."""

    def __init__(self, lm: NGramLM):
        super().__init__()
        self.lm = lm

    def forward(self, ctx):
        rows = []
        for c in ctx.tolist():
            words = [self.lm.vocab.itos[i] for i in c]
            p = self.lm.distribution(words)
            rows.append(np.append(np.log(p), 50.0))  # a large logit for <s>: must be ignored
        return torch.tensor(np.array(rows))


@pytest.mark.parametrize("order", [2, 3, 4])
def test_windows_match_ngram_predictions_token_for_token(order):
    lm = NGramLM(order, "kneser_ney").fit(TRAIN)
    ctx, tgt = window_dataset(VAL, lm.vocab, order - 1)
    ref = ngram_logprobs(lm, VAL)
    assert len(ref) == len(tgt) == sum(len(s) + 1 for s in VAL)
    assert math.isclose(perplexity(ref), lm.perplexity(VAL), rel_tol=1e-12)
    got = neural_logprobs(NGramAsNet(lm), ctx, tgt, lm.vocab.n_predict)
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_window_dataset_pads_each_sentence_and_never_predicts_bos():
    lm = NGramLM(3, "mle").fit(TRAIN)
    v = lm.vocab
    ctx, tgt = window_dataset(VAL, v, 2)
    assert ctx.shape == (len(tgt), 2) and len(tgt) == sum(len(s) + 1 for s in VAL)
    assert not bool((tgt == v.bos_id).any())
    # sentence starts: the context is two <s>; the second word sees <s> and the first word
    assert ctx[0].tolist() == [v.bos_id, v.bos_id] and tgt[0].item() == v.to_id("the")
    assert ctx[1].tolist() == [v.bos_id, v.to_id("the")]
    start2 = len(VAL[0]) + 1
    assert ctx[start2].tolist() == [v.bos_id, v.bos_id], "no window reaches into the previous sentence"
    assert tgt[start2 - 1].item() == v.eos_id
    assert tgt[start2 + 3].item() == v.unk_id  # "up" was never seen in training
    with pytest.raises(ValueError):
        window_dataset(VAL, v, 0)


def test_neural_logprobs_normalise_over_predictive_vocabulary_only():
    torch.manual_seed(0)
    V, n_predict = 6, 5
    logits = torch.randn(4, V, dtype=torch.float64)
    model = torch.nn.Module()
    model.forward = lambda c: logits[c[:, 0]]
    ctx = torch.tensor([[0], [1], [2], [3]])
    tgt = torch.tensor([4, 0, 2, 1])
    got = neural_logprobs(model, ctx, tgt, n_predict, batch_size=3)
    want = torch.log_softmax(logits[:, :n_predict], 1)[torch.arange(4), tgt].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.all(got < 0)
    with pytest.raises(ValueError):
        neural_logprobs(model, ctx, torch.tensor([5, 0, 0, 0]), n_predict)


def test_perplexity_and_mixture():
    assert math.isclose(perplexity(np.full(10, math.log(1 / 64))), 64.0)
    a, b = np.log([0.5, 0.1, 0.2]), np.array([np.log(0.1), np.log(0.3), -np.inf])
    np.testing.assert_allclose(mix_logprobs(a, b, 1.0), a)
    np.testing.assert_allclose(mix_logprobs(a, b, 0.25), np.log(0.25 * np.exp(a) + 0.75 * np.exp(b)))
    assert mix_logprobs(a, b, 0.0)[2] == -np.inf
    with pytest.raises(ValueError):
        mix_logprobs(a, b, 1.5)
    with pytest.raises(ValueError):
        perplexity(np.zeros(0))


def test_nearest_neighbours_by_cosine():
    itos = ["a", "b", "c", "d", "<s>"]
    emb = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.1], [1.0, 0.01]])
    nn = nearest_neighbours(emb, itos, "a", k=3, exclude=["<s>"])
    assert [w for w, _ in nn] == ["b", "c", "d"]
    assert math.isclose(nn[0][1], 10 / math.sqrt(101)) and math.isclose(nn[1][1], 0.0, abs_tol=1e-12)
    assert nearest_neighbours(emb, itos, "a", k=1)[0][0] == "<s>"
    assert [w for w, _ in nearest_neighbours(emb, itos, "a", k=5, among=["c", "d", "zzz"])] == ["c", "d"]
    with pytest.raises(ValueError):
        nearest_neighbours(emb, itos, "zzz")


def test_window_batches_shuffle_reproducibly_and_cover_everything():
    ctx, tgt = torch.arange(20).view(10, 2), torch.arange(10)
    batches = window_batches(ctx, tgt, batch_size=4, seed=3)
    e1, e1_again, e2 = batches(1), batches(1), batches(2)
    assert [len(t) for _, t in e1] == [4, 4, 2]
    assert all(torch.equal(x[0], y[0]) for x, y in zip(e1, e1_again, strict=True))
    order1, order2 = torch.cat([t for _, t in e1]), torch.cat([t for _, t in e2])
    assert sorted(order1.tolist()) == list(range(10)) and not torch.equal(order1, order2)
    assert all(torch.equal(c[:, 0] // 2, t) for c, t in e1), "contexts stay paired with their targets"
