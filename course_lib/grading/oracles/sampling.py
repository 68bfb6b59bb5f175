"""Sampling from a language model with a temperature (lecture 3, generating text; Karpathy's min-char-rnn):
p_i = exp(s_i / T) / sum_j exp(s_j / T), with T -> 0 greedy and T -> inf uniform."""

import numpy as np


def softmax_with_temperature(scores, T):
    """scores: (..., V), T > 0 -> probabilities (..., V) along the last axis, computed stably."""
    a = np.asarray(scores, dtype=np.float64) / T
    a = a - a.max(axis=-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)
