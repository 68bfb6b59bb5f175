"""Linear-chain CRF (lecture 6, Sequence labelling; Lafferty et al. 2001; Huang et al. 2015), batched with a mask.

E: (N, T, K) emission scores, tags: (N, T) ints, mask: (N, T) bool (a prefix: mask[:, 0] is True),
A: (K, K) transition scores A[i, j] for tag i followed by tag j, start, end: (K,).
score(y) = start[y_0] + E[0, y_0] + sum_{t >= 1, mask_t} (A[y_{t-1}, y_t] + E[t, y_t]) + end[y_last].
"""

import numpy as np


def _logsumexp(a, axis):
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def crf_score(E, tags, mask, A, start, end):
    """Score of the given tag sequences -> (N,)."""
    N, T, _ = E.shape
    mask = mask.astype(bool)
    n = np.arange(N)
    score = start[tags[:, 0]] + E[n, 0, tags[:, 0]]
    for t in range(1, T):
        score = score + mask[:, t] * (A[tags[:, t - 1], tags[:, t]] + E[n, t, tags[:, t]])
    last = tags[n, mask.sum(axis=1) - 1]
    return score + end[last]


def crf_forward_alphas(E, mask, A, start):
    """alpha: (N, T, K), log-space forward variables; masked steps copy the previous alpha."""
    N, T, K = E.shape
    mask = mask.astype(bool)
    alpha = np.zeros((N, T, K))
    alpha[:, 0] = start + E[:, 0]
    for t in range(1, T):
        nxt = _logsumexp(alpha[:, t - 1, :, None] + A[None], axis=1) + E[:, t]
        alpha[:, t] = np.where(mask[:, t, None], nxt, alpha[:, t - 1])
    return alpha


def crf_log_partition(E, mask, A, start, end):
    """log Z by the forward algorithm in log space -> (N,)."""
    alpha = crf_forward_alphas(E, mask, A, start)
    return _logsumexp(alpha[:, -1] + end, axis=1)


def crf_viterbi(E, mask, A, start, end):
    """Best tag sequences -> paths (N, T) int64 (-1 where mask is False), scores (N,)."""
    N, T, K = E.shape
    mask = mask.astype(bool)
    delta = start + E[:, 0]
    back = np.zeros((N, T, K), dtype=np.int64)
    for t in range(1, T):
        cand = delta[:, :, None] + A[None]
        best = cand.argmax(axis=1)
        nxt = np.take_along_axis(cand, best[:, None, :], axis=1)[:, 0] + E[:, t]
        back[:, t] = best
        delta = np.where(mask[:, t, None], nxt, delta)
    final = delta + end
    paths = -np.ones((N, T), dtype=np.int64)
    lengths = mask.sum(axis=1)
    for n in range(N):
        y = int(final[n].argmax())
        paths[n, lengths[n] - 1] = y
        for t in range(lengths[n] - 1, 0, -1):
            y = int(back[n, t, y])
            paths[n, t - 1] = y
    return paths, final.max(axis=1)


def crf_marginals(E, mask, A, start, end):
    """Posterior marginals by forward-backward -> unary (N, T, K), pairwise (N, T-1, K, K); zero where masked."""
    N, T, K = E.shape
    mask = mask.astype(bool)
    alpha = crf_forward_alphas(E, mask, A, start)
    beta = np.zeros((N, T, K))
    beta[:, -1] = end
    for t in range(T - 2, -1, -1):
        nxt = _logsumexp(A[None] + (E[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = np.where(mask[:, t + 1, None], nxt, beta[:, t + 1])
    logZ = _logsumexp(alpha[:, -1] + end, axis=1)
    unary = np.exp(np.where(mask[:, :, None], alpha + beta - logZ[:, None, None], -np.inf))
    pair = (alpha[:, :-1, :, None] + A[None, None] + (E[:, 1:] + beta[:, 1:])[:, :, None, :]
            - logZ[:, None, None, None])
    pairwise = np.exp(np.where(mask[:, 1:, None, None], pair, -np.inf))
    return unary, pairwise
