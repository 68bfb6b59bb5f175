"""GRU step as in lecture 5 (Cho et al. 2014; Jozefowicz et al. 2015), gates packed [r, z, n].

r = sigmoid(x Wx_r + h Wh_r + b_r), z = sigmoid(x Wx_z + h Wh_z + b_z),
n = tanh(x Wx_n + (r * h) Wh_n + b_n), h_next = z * h + (1 - z) * n.
"""

import numpy as np


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def gru_step_forward(x, h_prev, Wx, Wh, b):
    """x: (N, D), h_prev: (N, H), Wx: (D, 3H), Wh: (H, 3H), b: (3H,) -> h_next: (N, H), cache."""
    H = h_prev.shape[1]
    ax = x @ Wx + b
    ah = h_prev @ Wh[:, :2 * H]
    r = _sigmoid(ax[:, :H] + ah[:, :H])
    z = _sigmoid(ax[:, H:2 * H] + ah[:, H:])
    n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
    h_next = z * h_prev + (1.0 - z) * n
    return h_next, (x, h_prev, Wx, Wh, r, z, n)


def gru_step_backward(dh_next, cache):
    """dh_next: (N, H) -> dx (N, D), dh_prev (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,)."""
    x, h_prev, Wx, Wh, r, z, n = cache
    H = h_prev.shape[1]
    dan = dh_next * (1.0 - z) * (1.0 - n**2)
    daz = dh_next * (h_prev - n) * z * (1.0 - z)
    drh = dan @ Wh[:, 2 * H:].T
    dar = drh * h_prev * r * (1.0 - r)
    dh_prev = dh_next * z + drh * r + dar @ Wh[:, :H].T + daz @ Wh[:, H:2 * H].T
    da = np.concatenate([dar, daz, dan], axis=1)
    dWh = np.concatenate([h_prev.T @ dar, h_prev.T @ daz, (r * h_prev).T @ dan], axis=1)
    return da @ Wx.T, dh_prev, x.T @ da, dWh, da.sum(axis=0)
