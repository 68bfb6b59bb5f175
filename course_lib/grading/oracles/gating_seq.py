"""LSTM and GRU over sequences (c0 = 0), and the norm of dL/dh_t for the gradient-flow experiment."""

import numpy as np

from course_lib.grading.oracles.gru_steps import gru_step_backward, gru_step_forward
from course_lib.grading.oracles.lstm_steps import lstm_step_backward, lstm_step_forward
from course_lib.grading.oracles.rnn_steps import rnn_step_backward, rnn_step_forward


def lstm_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H) -> h: (N, T, H), cache; the cell starts at zero."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H) -> h: (N, T, H), cache."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev, caches = h0, []
    for t in range(T):
        prev, cache = gru_step_forward(x[:, t], prev, Wx, Wh, b)
        h[:, t] = prev
        caches.append(cache)
    return h, caches


def gru_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev, dWx_t, dWh_t, db_t = gru_step_backward(dh[:, t] + dprev, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev, dWx, dWh, db


def grad_norms_over_time(kind, x, h0, params):
    """||dL/dh_t|| (Frobenius over the batch) for t = 0..T-1, where L = sum(h_{T-1}).

    kind: "rnn", "lstm" or "gru"; x: (N, T, D); h0: (N, H); params: dict Wx, Wh, b. Returns (T,).
    For the LSTM, dL/dh_t is the gradient reaching h_t with the cell state c_t held as a separate input.
    """
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    N, T, _ = x.shape
    caches, h, c = [], h0, np.zeros_like(h0)
    for t in range(T):
        if kind == "rnn":
            h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        elif kind == "lstm":
            h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        elif kind == "gru":
            h, cache = gru_step_forward(x[:, t], h, Wx, Wh, b)
        else:
            raise ValueError(f"kind must be 'rnn', 'lstm' or 'gru', got {kind!r}")
        caches.append(cache)
    norms = np.zeros(T)
    dh, dc = np.ones_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        norms[t] = np.linalg.norm(dh)
        if kind == "rnn":
            dh = rnn_step_backward(dh, caches[t])[1]
        elif kind == "lstm":
            _, dh, dc, *_ = lstm_step_backward(dh, dc, caches[t])
        else:
            dh = gru_step_backward(dh, caches[t])[1]
    return norms
