"""Linear-chain conditional random field (CRF) in NumPy: score, forward-backward, NLL, gradient, Viterbi.

The CRF layer of the Bi-LSTM-CRF tagger (Huang et al. 2015; Lample et al. 2016; Ma & Hovy 2016; deck 001,
"Bi-LSTM CRF"; deck 000, Part 4). A network produces emission scores, the CRF adds tag-to-tag transition
scores and normalises globally over all ``K^T`` tag sequences (Lafferty et al. 2001)::

    P(y_{1:T} | x_{1:T}) = exp(score(y)) / Z,        Z = sum over all y' of exp(score(y'))

Conventions (shared with :mod:`course_lib.models.crf` and with ``torchcrf.CRF``)
-------------------------------------------------------------------------------
* ``emissions``: ``(N, T, K)`` float — ``emissions[n, t, k]`` is the score of tag ``k`` at position ``t``.
* ``tags``: ``(N, T)`` int in ``[0, K)``; padded positions must hold a valid tag too (e.g. 0), its value
  is ignored.
* ``mask``: ``(N, T)`` bool (or 0/1). Sequences are left-aligned: ``mask[:, 0]`` is all True and every row is
  a run of True followed by a run of False (contiguous), so sequence ``n`` has length ``L_n = mask[n].sum()``.
  ``mask=None`` means every position is real.
* ``transitions``: ``(K, K)`` — ``transitions[i, j]`` is the score of moving FROM tag ``i`` TO tag ``j``.
* ``start``, ``end``: ``(K,)`` — scores of starting in / ending in a tag.

The score of one tag sequence (length ``L``, 1-based positions as in the lecture) is::

    score(y) = start[y_1] + sum_{t=1}^{L} emis[t, y_t] + sum_{t=2}^{L} trans[y_{t-1}, y_t] + end[y_L]

This is the score of Huang et al. (2015) and Lample et al. (2016) — emission matrix ``P`` plus transition
matrix ``A`` with added start and end states — and the special case of deck 001's ``score_lstm-crf`` in
which the projection ``W_[s_{i-1}, s_i]`` depends on the current tag only (giving the emissions) and the
bias ``b[s_{i-1}, s_i]`` is the position-independent transition matrix.

Every recursion runs in log space with a stable log-sum-exp and is vectorised over the batch (a loop over time
only). Padded positions follow two rules: the forward variables are *carried over* unchanged past the end of
a sequence, and the marginals are *zero* there, so that every result for a padded batch equals the result for
each sequence truncated to its length. The loss is the negative log-likelihood ``-log P(y | x)``;
``reduction`` is ``"mean"`` (over the batch, the default), ``"sum"`` or ``"none"`` (one value per sequence).
"""

from __future__ import annotations

import numpy as np

from course_lib.reference.validation import check_array

REDUCTIONS = ("mean", "sum", "none")


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """Stable ``log(sum(exp(a), axis))``: subtract the maximum first so that nothing overflows."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def check_crf_inputs(emissions, mask, transitions, start, end, tags=None):
    """Validate the CRF arguments; return ``(mask as bool (N, T), lengths (N,) int)``.

    Raises ``ValueError`` naming what is expected: shapes ``emissions (N, T, K)``, ``tags``/``mask (N, T)``,
    ``transitions (K, K)``, ``start``/``end (K,)``, ``T >= 1``, tags in ``[0, K)``, ``mask[:, 0]`` all True
    and every mask row contiguous (True then False).
    """
    dims: dict[str, int] = {}
    check_array("emissions", emissions, ("N", "T", "K"), dims)
    if dims["T"] < 1 or dims["N"] < 1:
        raise ValueError(f"emissions must have N >= 1 and T >= 1, got shape {emissions.shape}")
    check_array("transitions", transitions, ("K", "K"), dims)
    check_array("start", start, ("K",), dims)
    check_array("end", end, ("K",), dims)
    if tags is not None:
        check_array("tags", tags, ("N", "T"), dims, kind="int")
        if tags.min() < 0 or tags.max() >= dims["K"]:
            raise ValueError(f"tags must lie in [0, K) = [0, {dims['K']}), "
                             f"got range [{tags.min()}, {tags.max()}]")
    if mask is None:
        mask = np.ones(emissions.shape[:2], dtype=bool)
    check_array("mask", mask, ("N", "T"), dims, kind="bool")
    mask = mask.astype(bool)
    if not mask[:, 0].all():
        raise ValueError("mask[:, 0] must be all True (every sequence needs at least one token)")
    if (mask[:, 1:] & ~mask[:, :-1]).any():
        raise ValueError("mask must be contiguous: each row True for its first L_n positions, then False")
    return mask, mask.sum(axis=1)


def sequence_score(emissions, tags, mask, transitions, start, end) -> np.ndarray:
    """Unnormalised score of the given tag sequences, ``score(y)`` of the module docstring.

    emissions: (N, T, K); tags: (N, T) int; mask: (N, T) bool or None; transitions: (K, K); start, end: (K,).
    Returns (N,).
    """
    mask, lengths = check_crf_inputs(emissions, mask, transitions, start, end, tags)
    N, T, _ = emissions.shape
    rows = np.arange(N)
    emis = np.take_along_axis(emissions, tags[:, :, None], axis=2)[:, :, 0]   # (N, T): emis[n, t, y_t]
    trans = transitions[tags[:, :-1], tags[:, 1:]]                              # (N, T-1): trans[y_t, y_t+1]
    last = tags[rows, lengths - 1]
    return (start[tags[:, 0]] + np.sum(emis * mask, axis=1)
            + np.sum(trans * mask[:, 1:], axis=1) + end[last])


def forward_backward(emissions, mask, transitions, start, end):
    """Forward and backward variables in log space (the forward-backward algorithm, Rabiner 1989).

    ``log_alpha[n, t, k]``: log-sum of exp(score) over prefixes ``y_1..y_t`` with ``y_t = k`` (start,
    emissions and transitions up to ``t``). ``log_beta[n, t, k]``: log-sum over suffixes ``y_{t+1}..y_L``
    given ``y_t = k`` (transitions, emissions after ``t`` and ``end``). Recursions (vectorised over the
    batch)::

        log_alpha[0]  = start + emis[0]
        log_alpha[t]  = logsumexp_i(log_alpha[t-1, i] + trans[i, :]) + emis[t]          (t < L)
        log_beta[L-1] = end
        log_beta[t]   = logsumexp_j(trans[:, j] + emis[t+1, j] + log_beta[t+1, j])      (t < L-1)

    Past the end (``t >= L``) alpha is carried over and beta equals ``end``, so
    ``logsumexp(log_alpha[t] + log_beta[t]) = log Z`` at every ``t``.

    emissions: (N, T, K); mask: (N, T) bool or None; transitions: (K, K); start, end: (K,).
    Returns ``(log_alpha, log_beta)``, both (N, T, K).
    """
    mask, _ = check_crf_inputs(emissions, mask, transitions, start, end)
    N, T, K = emissions.shape
    log_alpha = np.empty_like(emissions)
    log_beta = np.empty_like(emissions)
    log_alpha[:, 0] = start + emissions[:, 0]
    for t in range(1, T):
        nxt = logsumexp(log_alpha[:, t - 1, :, None] + transitions, axis=1) + emissions[:, t]   # (N, K)
        log_alpha[:, t] = np.where(mask[:, t, None], nxt, log_alpha[:, t - 1])
    log_beta[:, T - 1] = end
    for t in range(T - 2, -1, -1):
        nxt = logsumexp(transitions + (emissions[:, t + 1] + log_beta[:, t + 1])[:, None, :], axis=2)
        log_beta[:, t] = np.where(mask[:, t + 1, None], nxt, end)
    return log_alpha, log_beta


def log_partition(emissions, mask, transitions, start, end) -> np.ndarray:
    """``log Z`` of every sequence by the forward algorithm in log space.

    emissions: (N, T, K); mask: (N, T) bool or None; transitions: (K, K); start, end: (K,). Returns (N,).
    """
    log_alpha, _ = forward_backward(emissions, mask, transitions, start, end)
    return logsumexp(log_alpha[:, -1] + end, axis=1)


def marginals(emissions, mask, transitions, start, end):
    """Posterior marginals under the CRF, from the forward-backward variables.

    ``node[n, t, k] = P(y_t = k | x)`` and ``pair[n, t, i, j] = P(y_t = i, y_{t+1} = j | x)``::

        node[t]       = exp(log_alpha[t] + log_beta[t] - log Z)
        pair[t, i, j] = exp(log_alpha[t, i] + trans[i, j] + emis[t+1, j] + log_beta[t+1, j] - log Z)

    Both are zero at padded positions (``node`` where ``mask[n, t]`` is False, ``pair`` where
    ``mask[n, t+1]`` is False); elsewhere ``node[n, t]`` sums to 1 and ``pair[n, t]`` sums to 1.

    emissions: (N, T, K); mask: (N, T) bool or None; transitions: (K, K); start, end: (K,).
    Returns ``(node (N, T, K), pair (N, T-1, K, K), log_z (N,))``.
    """
    mask, _ = check_crf_inputs(emissions, mask, transitions, start, end)
    log_alpha, log_beta = forward_backward(emissions, mask, transitions, start, end)
    log_z = logsumexp(log_alpha[:, -1] + end, axis=1)                                   # (N,)
    # Padded positions are set to log 0 = -inf *before* exp (multiplying by the mask afterwards would turn an
    # overflow there into inf * 0 = nan).
    log_node = log_alpha + log_beta - log_z[:, None, None]
    log_pair = (log_alpha[:, :-1, :, None] + transitions + (emissions[:, 1:] + log_beta[:, 1:])[:, :, None, :]
                - log_z[:, None, None, None])
    node = np.exp(np.where(mask[:, :, None], log_node, -np.inf))
    pair = np.exp(np.where(mask[:, 1:, None, None], log_pair, -np.inf))
    return node, pair, log_z


def _reduce(per_seq: np.ndarray, reduction: str):
    if reduction == "mean":
        return per_seq.mean()
    if reduction == "sum":
        return per_seq.sum()
    if reduction == "none":
        return per_seq
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def crf_nll_forward(emissions, tags, mask, transitions, start, end, reduction: str = "mean"):
    """Negative log-likelihood ``log Z - score(y)`` of the gold tags, CS231n step style.

    emissions: (N, T, K); tags: (N, T) int; mask: (N, T) bool or None; transitions: (K, K); start, end: (K,).
    reduction: ``"mean"`` over the batch (default), ``"sum"``, or ``"none"``.
    Returns ``(loss, cache)``: loss is a scalar, or (N,) for ``"none"``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    mask, lengths = check_crf_inputs(emissions, mask, transitions, start, end, tags)
    node, pair, log_z = marginals(emissions, mask, transitions, start, end)
    per_seq = log_z - sequence_score(emissions, tags, mask, transitions, start, end)
    cache = (tags, mask, lengths, node, pair, reduction, emissions.shape[2])
    return _reduce(per_seq, reduction), cache


def crf_nll_backward(dloss, cache):
    """Gradient of the NLL: expected counts (marginals) minus empirical counts (the gold path).

    ``d nll_n / d emis[n, t, k] = node[n, t, k] - [y_t = k]`` (for ``t < L_n``, else 0);
    ``d nll_n / d trans[i, j] = sum_t (pair[n, t, i, j] - [y_t = i, y_{t+1} = j])``;
    ``d nll_n / d start[k] = node[n, 0, k] - [y_1 = k]``;
    ``d nll_n / d end[k] = node[n, L-1, k] - [y_L = k]``.

    dloss: scalar (``"mean"``/``"sum"``) or (N,) (``"none"``); cache: from :func:`crf_nll_forward`.
    Returns ``(demissions (N, T, K), dtransitions (K, K), dstart (K,), dend (K,))``.
    """
    tags, mask, lengths, node, pair, reduction, K = cache
    N, T = tags.shape
    rows = np.arange(N)
    dtype = node.dtype
    if reduction == "none":
        w = np.asarray(dloss, dtype=dtype).reshape(N)
    else:
        w = np.full(N, float(dloss) / (N if reduction == "mean" else 1), dtype=dtype)
    gold = np.eye(K, dtype=dtype)[tags] * mask[:, :, None]                    # (N, T, K) one-hot of y_t
    gold_pair = gold[:, :-1, :, None] * gold[:, 1:, None, :]                  # (N, T-1, K, K)
    demissions = (node - gold) * w[:, None, None]
    dtransitions = np.einsum("n,ntij->ij", w, pair - gold_pair)
    dstart = w @ (node[:, 0] - gold[:, 0])
    dend = w @ (node[rows, lengths - 1] - gold[rows, lengths - 1])
    return demissions, dtransitions, dstart, dend


def nll(emissions, tags, mask, transitions, start, end, reduction: str = "mean"):
    """Negative log-likelihood only (see :func:`crf_nll_forward`): scalar, or (N,) for ``"none"``."""
    return crf_nll_forward(emissions, tags, mask, transitions, start, end, reduction)[0]


def viterbi_decode(emissions, mask, transitions, start, end):
    """Best tag sequence of every sequence by the Viterbi algorithm (max-product in log space).

    ``delta[0] = start + emis[0]``; ``delta[t, j] = max_i(delta[t-1, i] + trans[i, j]) + emis[t, j]`` with the
    argmax kept as backpointer; the best last tag maximises ``delta[L-1] + end`` and the path is read back
    through the backpointers. Ties go to the smallest tag index.

    emissions: (N, T, K); mask: (N, T) bool or None; transitions: (K, K); start, end: (K,).
    Returns ``(paths, best_scores)``: a list of N lists (sequence ``n`` has ``L_n`` tags) and (N,) scores.
    """
    mask, lengths = check_crf_inputs(emissions, mask, transitions, start, end)
    N, T, K = emissions.shape
    rows = np.arange(N)
    delta = start + emissions[:, 0]                                           # (N, K)
    backptr = np.zeros((N, T, K), dtype=np.int64)
    for t in range(1, T):
        cand = delta[:, :, None] + transitions                                # (N, K_from, K_to)
        backptr[:, t] = np.argmax(cand, axis=1)
        nxt = np.max(cand, axis=1) + emissions[:, t]
        delta = np.where(mask[:, t, None], nxt, delta)
    final = delta + end
    best_scores = final.max(axis=1)
    cur = final.argmax(axis=1)                                                # (N,) best last tag
    best = np.zeros((N, T), dtype=np.int64)
    for t in range(T - 1, -1, -1):
        best[:, t] = cur
        if t > 0:
            cur = np.where(mask[:, t], backptr[rows, t, cur], cur)
    return [best[n, : lengths[n]].tolist() for n in range(N)], best_scores
