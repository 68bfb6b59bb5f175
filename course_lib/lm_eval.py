"""Putting a neural LM and a count LM on the same footing: same tokens, same vocabulary, same predictions.

Lecture 2 compares Bengio et al.'s (2003) feed-forward LM with the n-gram models of lecture 1 (deck 000, Part 1).
A perplexity comparison is only meaningful if both models predict *the same tokens* from *the same
vocabulary*, so this module takes everything from the n-gram side (:class:`course_lib.reference.ngram.NGramLM`
and its :class:`~course_lib.reference.ngram.Vocabulary`):

* every sentence is padded with ``n - 1`` copies of ``<s>`` on the left and one ``</s>`` on the right;
* the predicted tokens are every word and every ``</s>`` (``<s>`` is context only, never predicted);
* words outside the vocabulary read as ``<unk>`` (in the context and as targets);
* probabilities are normalised over the predictive vocabulary, ids ``0 .. V-1`` (``V = vocab.n_predict``),
  so a neural model's logit for ``<s>`` (id ``V``, the last) is dropped before the softmax.

Per-token natural-log probabilities come back as ``(N,)`` arrays in the same order on both sides (sentence by
sentence, left to right), which also allows mixing the two models (Bengio et al. 2003, Sec. 4, mixed their
network with an interpolated trigram). Nearest neighbours of embeddings by cosine similarity close the lecture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from course_lib.models.language_models import BengioLM
from course_lib.reference.ngram import EOS, NGramLM, Vocabulary

__all__ = [
    "window_dataset", "window_batches", "neural_logprobs", "ngram_logprobs", "perplexity", "mix_logprobs",
    "nearest_neighbours",
]


def window_dataset(sentences: Sequence[Sequence[str]], vocab: Vocabulary,
                   context_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, target) pair an n-gram model of order ``n = context_size + 1`` predicts.

    sentences: tokenised sentences (lists of str, without ``<s>``/``</s>``); vocab: the n-gram vocabulary.
    Each sentence becomes ``[<s>] * (n-1) + ids + [</s>]``; :meth:`BengioLM.windows` slides over the padded
    sentences laid end to end, and the windows whose target is a padding ``<s>`` are dropped, so no kept
    window reaches back into the previous sentence. Returns contexts (N, n-1) long (oldest first) and
    targets (N,) long, N = number of words + number of sentences.
    """
    if context_size < 1:
        raise ValueError(f"context_size must be >= 1, got {context_size}")
    stream: list[int] = []
    pad = [vocab.bos_id] * context_size
    for s in sentences:
        stream += pad + vocab.encode(s) + [vocab.eos_id]
    ctx, tgt = BengioLM.windows(stream, context_size)
    keep = tgt != vocab.bos_id
    return ctx[keep], tgt[keep]


def window_batches(contexts: torch.Tensor, targets: torch.Tensor, batch_size: int,
                   seed: int = 0) -> Callable[[int], list[tuple[torch.Tensor, torch.Tensor]]]:
    """``epoch -> list of (contexts (B, n-1), targets (B,))`` minibatches, freshly shuffled each epoch.

    The shuffle of epoch ``e`` is drawn from ``torch.Generator().manual_seed(seed + e)``, so it is reproducible
    and independent of the global RNG. Pass the result as ``train_batches`` to :func:`course_lib.training.train`.
    """
    if len(contexts) != len(targets):
        raise ValueError(f"contexts (N, n-1) and targets (N,) disagree: {len(contexts)} vs {len(targets)}")

    def batches(epoch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        perm = torch.randperm(len(targets), generator=torch.Generator().manual_seed(seed + epoch))
        return [(contexts[i], targets[i]) for i in perm.split(batch_size)]

    return batches


@torch.no_grad()
def neural_logprobs(model: torch.nn.Module, contexts: torch.Tensor, targets: torch.Tensor, n_predict: int,
                    batch_size: int = 256) -> np.ndarray:
    """``log P(target | context)`` for every window, softmax over the first ``n_predict`` logits only.

    model: ``contexts (B, n-1) -> logits (B, >= n_predict)`` (e.g. :class:`BengioLM`); run in eval mode and
    restored. contexts: (N, n-1); targets: (N,) with ids < ``n_predict``. Returns (N,) float64 natural logs.
    """
    if bool((targets >= n_predict).any()):
        raise ValueError(f"targets must be ids of the predictive vocabulary (< {n_predict})")
    was_training = model.training
    model.eval()
    # Written into one preallocated array: small results kept between the large temporary logits would
    # fragment the heap, and memory would grow batch after batch.
    out = torch.empty(len(targets), dtype=torch.float64)
    for start in range(0, len(targets), batch_size):
        z = model(contexts[start:start + batch_size])[:, :n_predict].double()
        t = targets[start:start + batch_size]
        out[start:start + len(t)] = z.gather(1, t[:, None]).squeeze(1) - torch.logsumexp(z, dim=1)
    model.train(was_training)
    return out.numpy()


def ngram_logprobs(model: NGramLM, sentences: Sequence[Sequence[str]]) -> np.ndarray:
    """``log P(x_t | previous n-1 tokens)`` of every word and every ``</s>`` of ``sentences``: (N,) float64.

    Same tokens, same order as :func:`window_dataset`; ``-inf`` where the model gives probability 0 (MLE).
    ``exp(-mean)`` of the result equals ``model.perplexity(sentences)``.
    """
    n, out = model.order, []
    for s in sentences:
        s = list(s)
        for t, w in enumerate([*s, EOS]):
            p = model.prob(w, s[max(0, t - n + 1):t])
            out.append(np.log(p) if p > 0 else -np.inf)
    return np.asarray(out, dtype=np.float64)


def perplexity(logprobs: np.ndarray) -> float:
    """``exp(-(1/N) sum_t log P(x_t | ...))`` of (N,) per-token natural-log probabilities (lecture 1)."""
    logprobs = np.asarray(logprobs, dtype=np.float64)
    if logprobs.ndim != 1 or logprobs.size == 0:
        raise ValueError(f"logprobs must have shape (N,) with N >= 1, got {logprobs.shape}")
    return float(np.exp(-logprobs.mean()))


def mix_logprobs(logp_a: np.ndarray, logp_b: np.ndarray, weight_a: float) -> np.ndarray:
    """``log(w P_a + (1 - w) P_b)`` token by token: linear interpolation of two LMs, (N,) each, 0 <= w <= 1.

    A mixture of two distributions over the same vocabulary is a distribution, so its perplexity is comparable.
    """
    if not 0.0 <= weight_a <= 1.0:
        raise ValueError(f"weight_a must be in [0, 1], got {weight_a}")
    logp_a, logp_b = np.asarray(logp_a, np.float64), np.asarray(logp_b, np.float64)
    if logp_a.shape != logp_b.shape:
        raise ValueError(f"logp_a and logp_b must both have shape (N,), got {logp_a.shape} and {logp_b.shape}")
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log(weight_a) + logp_a, np.log1p(-weight_a) + logp_b)


def nearest_neighbours(embeddings: np.ndarray, itos: Sequence[str], word: str, k: int = 5,
                       exclude: Sequence[str] = (), among: Sequence[str] | None = None) -> list[tuple[str, float]]:
    """The ``k`` rows of ``embeddings`` (V, d) closest to ``word``'s row by cosine similarity.

    itos: id -> token (length V). The word itself and the tokens in ``exclude`` are skipped; with ``among``,
    only those tokens are candidates (e.g. the frequent words, whose rows were updated often enough to mean
    something). Returns ``[(token, cosine), ...]``, most similar first.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if embeddings.ndim != 2 or embeddings.shape[0] != len(itos):
        raise ValueError(f"embeddings must have shape (V, d) = ({len(itos)}, d), got {embeddings.shape}")
    stoi = {w: i for i, w in enumerate(itos)}
    if word not in stoi:
        raise ValueError(f"{word!r} is not in the vocabulary")
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    cos = unit @ unit[stoi[word]]
    skip = {stoi[word], *(stoi[w] for w in exclude if w in stoi)}
    allowed = None if among is None else {stoi[w] for w in among if w in stoi}
    ranked = (i for i in np.argsort(-cos, kind="stable") if i not in skip and (allowed is None or i in allowed))
    return [(itos[i], float(cos[i])) for _, i in zip(range(k), ranked)]
