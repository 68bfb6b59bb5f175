"""Building blocks shared by every model of the course: embedding, affine map, softmax, cross-entropy.

Conventions (see CONTRIBUTING.md): batch-first arrays, weights multiply from the right (``x @ W``), every
``*_forward`` returns ``(out, cache)`` and the matching ``*_backward(dout, cache)`` returns the gradients.
The dtype of the inputs (float32 or float64) is kept.

Lecture references: deck 000 Part 1 (Bengio et al. 2003 feed-forward LM: look-up table, affine layer,
softmax output) and Part 2 (RNN LM, ``y_t = softmax(V h_t)``); deck 001 ("RNN Training": the loss is the
sum of per-position cross-entropies).
"""

from __future__ import annotations

import numpy as np

from course_lib.reference.validation import check_array

__all__ = [
    "embedding_forward",
    "embedding_backward",
    "affine_forward",
    "affine_backward",
    "sigmoid",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
]


def _check_last_dim(name: str, x, dims: dict[str, int], sym: str) -> np.ndarray:
    """Check a float array of shape ``(..., sym)`` (at least one dimension; leading dims are free)."""
    ndim = x.ndim if isinstance(x, np.ndarray) else 1
    return check_array(name, x, (None,) * max(ndim - 1, 0) + (sym,), dims)


# ----------------------------------------------------------------------------------------------- embedding
def embedding_forward(idx: np.ndarray, W: np.ndarray):
    """Look up the rows of an embedding table: ``out[n, t] = W[idx[n, t]]``.

    A look-up is the product of a one-hot row vector with ``W`` (Bengio et al. 2003, the shared matrix C
    of deck 000 Part 1), done without building the one-hot vectors.

    Parameters
    ----------
    idx : (N, T) or (N,) integer array with values in ``[0, V)``.
    W : (V, D) float array, the embedding table.

    Returns
    -------
    out : (N, T, D) or (N, D), same dtype as ``W``.
    cache : what :func:`embedding_backward` needs.
    """
    dims: dict[str, int] = {}
    check_array("W", W, ("V", "D"), dims)
    ndim = idx.ndim if isinstance(idx, np.ndarray) else 0
    check_array("idx", idx, ("N", "T") if ndim == 2 else ("N",), dims, kind="int")
    if idx.size and (idx.min() < 0 or idx.max() >= dims["V"]):
        V, lo, hi = dims["V"], idx.min(), idx.max()
        raise ValueError(f"idx must lie in [0, V) = [0, {V}), got values in [{lo}, {hi}]")
    return W[idx], (idx, W.shape, W.dtype)


def embedding_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Gradient of the embedding table.

    Parameters
    ----------
    dout : (N, T, D) or (N, D), upstream gradient (same leading shape as ``idx``).
    cache : from :func:`embedding_forward`.

    Returns
    -------
    dW : (V, D). A row that occurs k times in ``idx`` receives the sum of its k upstream gradients;
        ``np.add.at`` is unbuffered, so repeated indices accumulate (``dW[idx] += dout`` would not).
    """
    idx, (V, D), dtype = cache
    check_array("dout", dout, tuple(idx.shape) + (D,))
    dW = np.zeros((V, D), dtype=dtype)
    np.add.at(dW, idx, dout)
    return dW


# -------------------------------------------------------------------------------------------------- affine
def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """Affine map of the last axis: ``out = x @ W + b``.

    Parameters
    ----------
    x : (..., D), e.g. (N, D) or (N, T, D).
    W : (D, M).
    b : (M,).

    Returns
    -------
    out : (..., M), e.g. the logits ``V h_t`` of the RNN LM (deck 000 Part 2).
    cache : ``(x, W)``.
    """
    dims: dict[str, int] = {}
    check_array("W", W, ("D", "M"), dims)
    check_array("b", b, ("M",), dims)
    _check_last_dim("x", x, dims, "D")
    return x @ W + b, (x, W)


def affine_backward(dout: np.ndarray, cache):
    """Backward pass of :func:`affine_forward`.

    Parameters
    ----------
    dout : (..., M), same leading shape as ``x``.
    cache : from :func:`affine_forward`.

    Returns
    -------
    dx : (..., D) ``= dout @ W.T``.
    dW : (D, M) ``= sum over all leading positions of x^T dout``.
    db : (M,) ``= dout summed over all leading positions``.
    """
    x, W = cache
    D, M = W.shape
    check_array("dout", dout, tuple(x.shape[:-1]) + (M,))
    dx = dout @ W.T
    dW = x.reshape(-1, D).T @ dout.reshape(-1, M)
    db = dout.reshape(-1, M).sum(axis=0)
    return dx, dW, db


# ----------------------------------------------------------------------------------- nonlinearities, softmax
def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``, elementwise, without overflow for large ``|x|``.

    Only ``exp`` of non-positive numbers is taken: ``1 / (1 + exp(-x))`` where x >= 0 and the equal
    ``exp(x) / (1 + exp(x))`` where x < 0, so x = -1000 gives 0 instead of 1 / (1 + inf) and an overflow
    warning. (The LSTM and GRU compute the same sigmoid in place as (1 + tanh(x/2)) / 2, fused with their other
    gates for speed.) Keeps the dtype (float32/float64) of x.
    """
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise ValueError(f"x must be float32 or float64, got dtype {x.dtype}")
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x_i) / sum_j exp(x_j)``, shape of ``x``.

    The maximum is subtracted first; softmax is unchanged by a constant shift and ``exp`` then never
    overflows (the largest term is exp(0) = 1).
    """
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(x))`` along ``axis``, computed as ``z - log(sum(exp(z)))`` with ``z = x - max(x)``.

    Finite even where ``softmax`` underflows to 0 (e.g. logits [0, -1000]). Shape of ``x``.
    """
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


# ---------------------------------------------------------------------------------------- cross-entropy
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None):
    """Mean negative log-likelihood of ``targets`` under ``softmax(logits)``, and its gradient.

    ``loss = -(1 / |S|) * sum_{p in S} log softmax(logits[p])[targets[p]]`` where S is the set of positions
    with ``mask[p]`` true (all positions when ``mask`` is None). This is the per-token cross-entropy of the
    RNN language model and tagger (deck 000 Part 2 / Part 4; deck 001 "RNN Training"), averaged over real
    tokens so that padding does not count.

    Parameters
    ----------
    logits : (..., C) float, e.g. (N, T, C) or (N, C).
    targets : (...) int, class indices in ``[0, C)``; values at masked-out positions are ignored (padding
        may hold e.g. -1).
    mask : (...) bool (or 0/1), optional; True marks positions that count.

    Returns
    -------
    loss : float. If no position is unmasked the loss is defined as 0.0 (and the gradient is zero).
    dlogits : (..., C), same dtype as ``logits``: ``(softmax(logits) - onehot(targets)) * mask / |S|``.
    """
    dims: dict[str, int] = {}
    _check_last_dim("logits", logits, dims, "C")
    lead = tuple(logits.shape[:-1])
    check_array("targets", targets, lead, kind="int")
    if mask is None:
        mask = np.ones(lead, dtype=bool)
    check_array("mask", mask, lead, kind="bool")
    mask = mask.astype(bool)
    C = dims["C"]
    if mask.any() and (targets[mask].min() < 0 or targets[mask].max() >= C):
        raise ValueError(f"targets must lie in [0, C) = [0, {C}) at unmasked positions")
    safe_targets = np.where(mask, targets, 0)[..., None]  # any valid index; masked rows are zeroed below
    count = int(mask.sum())
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, safe_targets, axis=-1)[..., 0]
    loss = float(-np.sum(picked[mask]) / count) if count else 0.0

    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, safe_targets, np.take_along_axis(dlogits, safe_targets, axis=-1) - 1, axis=-1)
    dlogits *= mask[..., None] / max(count, 1)
    return loss, dlogits.astype(logits.dtype, copy=False)
