"""A sequence classifier on the last hidden state (lecture 5: an acceptor reads the whole sequence, then
decides), for the remember-the-first-symbol task of the gating assignment (Hochreiter & Schmidhuber, 1997).

scores = h_{T-1} Wy + by, loss = mean over the batch of the softmax cross-entropy; the gradient enters the
recurrence at the last step only: dh[:, T-1] = dscores Wy^T, dh[:, t] = 0 for t < T-1.
"""

import numpy as np

from course_lib.grading.oracles.gating_seq import gru_backward, gru_forward, lstm_backward, lstm_forward
from course_lib.grading.oracles.rnn_seq import rnn_backward, rnn_forward


def sequence_classifier_loss(kind, x, y, params):
    """kind: "rnn" | "lstm" | "gru", x: (N, T, D), y: (N,) ints, params: Wx, Wh, b, Wy (H, K), by (K,)
    -> (loss, grads dict with the keys of params)."""
    if kind == "rnn":
        fwd, bwd = rnn_forward, rnn_backward
    elif kind == "lstm":
        fwd, bwd = lstm_forward, lstm_backward
    else:
        fwd, bwd = gru_forward, gru_backward
    N = x.shape[0]
    h, cache = fwd(x, np.zeros((N, params["Wh"].shape[0])), params["Wx"], params["Wh"], params["b"])
    last = h[:, -1]
    s = last @ params["Wy"] + params["by"]
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = float(-logp[rows, y].mean())
    ds = np.exp(logp)
    ds[rows, y] -= 1.0
    ds /= N
    dh = np.zeros_like(h)
    dh[:, -1] = ds @ params["Wy"].T
    _, _, dWx, dWh, db = bwd(dh, cache)
    return loss, {"Wx": dWx, "Wh": dWh, "b": db, "Wy": last.T @ ds, "by": ds.sum(axis=0)}
