"""LSTM step in the lecture's formulation (lecture 5; Greff et al. 2017), gates packed [i, f, g, o].

Without peepholes: a = x Wx + h_prev Wh + b; i, f, o = sigmoid; g = tanh (Greff's block input z);
c = f * c_prev + i * g; h = o * tanh(c).  With peepholes P = [p_i; p_f; p_o] (3, H): the input and forget
gates also see c_prev (p_i * c_prev, p_f * c_prev), the output gate sees the new cell (p_o * c).
"""

import numpy as np


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,) -> h, c: (N, H), cache."""
    return lstm_peephole_step_forward(x, h_prev, c_prev, Wx, Wh, b, None)


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H) -> dx (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)."""
    return lstm_peephole_step_backward(dh, dc, cache)[:6]


def lstm_peephole_step_forward(x, h_prev, c_prev, Wx, Wh, b, P):
    """As lstm_step_forward, plus peepholes P: (3, H) = [p_i; p_f; p_o] (None: no peepholes)."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    ai, af, ag, ao = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    if P is not None:
        ai = ai + P[0] * c_prev
        af = af + P[1] * c_prev
    i, f, g = _sigmoid(ai), _sigmoid(af), np.tanh(ag)
    c = f * c_prev + i * g
    if P is not None:
        ao = ao + P[2] * c
    o = _sigmoid(ao)
    tc = np.tanh(c)
    h = o * tc
    return h, c, (x, h_prev, c_prev, Wx, Wh, P, i, f, g, o, c, tc)


def lstm_peephole_step_backward(dh, dc, cache):
    """-> dx, dh_prev, dc_prev, dWx, dWh, db, dP (dP is None without peepholes)."""
    x, h_prev, c_prev, Wx, Wh, P, i, f, g, o, c, tc = cache
    dao = dh * tc * o * (1.0 - o)
    dct = dc + dh * o * (1.0 - tc**2)
    if P is not None:
        dct = dct + P[2] * dao
    dai = dct * g * i * (1.0 - i)
    daf = dct * c_prev * f * (1.0 - f)
    dag = dct * i * (1.0 - g**2)
    dc_prev = dct * f
    dP = None
    if P is not None:
        dc_prev = dc_prev + P[0] * dai + P[1] * daf
        dP = np.stack([(dai * c_prev).sum(0), (daf * c_prev).sum(0), (dao * c).sum(0)])
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0), dP
