"""Elman (1990) recurrent network in NumPy: forward, backpropagation through time, truncated BPTT.

One step, in the lecture's notation (deck 001 eq. (4), ``s_i = R_SRNN(x_i, s_{i-1}) = g(s_{i-1} W^s + x_i W^x
+ b)``; deck 000 Part 2, ``h_t = g(U h_{t-1} + W x_t)`` written with row vectors)::

    a_t = x_t @ Wx + h_{t-1} @ Wh + b          (pre-activation, "z" in deck 000's BPTT slide)
    h_t = g(a_t)

with ``g`` one of ``"tanh"`` (the usual choice), ``"relu"`` (Le et al. 2015 use it with an identity
initialisation) or ``"linear"`` (g(a) = a: no nonlinearity, so ``dh_T/dh_t = (Wh^T)^(T-t)`` exactly; the
vanishing-gradient widget uses it to show the pure effect of the recurrent matrix, deck 000 Part 2).

Shapes: ``x (N, T, D)``, states ``(N, H)``, ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``. ``h[:, t-1]`` holds
h_t for t = 1..T; h_0 is the argument ``h0``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.reference.validation import check_array, check_positive_int

__all__ = [
    "ACTIVATIONS", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "truncated_bptt_segments", "rnn_truncated_bptt", "rnn_hidden_jacobians", "rnn_hidden_jacobian_norms",
]

ACTIVATIONS = ("tanh", "relu", "linear")


def _activate(a: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(a)
    if activation == "relu":
        return np.maximum(a, 0)
    if activation == "linear":
        return a.copy()
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _activation_grad(a: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    """g'(a_t), elementwise: 1 - h^2 for tanh, [a > 0] for relu (0 at the kink), 1 for linear."""
    if activation == "tanh":
        return 1 - h * h
    if activation == "relu":
        return (a > 0).astype(a.dtype)
    return np.ones_like(a)


def rnn_step_forward(x, h_prev, Wx, Wh, b, activation: str = "tanh"):
    """One Elman step ``h_next = g(x @ Wx + h_prev @ Wh + b)``.

    Parameters
    ----------
    x : (N, D); h_prev : (N, H); Wx : (D, H); Wh : (H, H); b : (H,); activation : "tanh" | "relu" | "linear".

    Returns
    -------
    h_next : (N, H).
    cache : ``(x, h_prev, Wx, Wh, a, h_next, activation)`` with ``a`` the (N, H) pre-activation.
    """
    dims: dict[str, int] = {}
    check_array("Wx", Wx, ("D", "H"), dims)
    check_array("Wh", Wh, ("H", "H"), dims)
    check_array("b", b, ("H",), dims)
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    a = x @ Wx + h_prev @ Wh + b
    h_next = _activate(a, activation)
    return h_next, (x, h_prev, Wx, Wh, a, h_next, activation)


def rnn_step_backward(dh_next, cache):
    """Backward pass of one step (deck 000 Part 2, BPTT slide: ``delta_h = g'(z) * (...)``).

    Parameters
    ----------
    dh_next : (N, H), total gradient of the loss with respect to h_next.
    cache : from :func:`rnn_step_forward`.

    Returns
    -------
    dx : (N, D); dh_prev : (N, H); dWx : (D, H); dWh : (H, H); db : (H,).
    """
    x, h_prev, Wx, Wh, a, h_next, activation = cache
    check_array("dh_next", dh_next, h_next.shape)
    da = dh_next * _activation_grad(a, h_next, activation)  # delta at the pre-activation
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b, activation: str = "tanh"):
    """Run the Elman RNN over a whole sequence (deck 000 Part 2, FORWARDRNN).

    Parameters
    ----------
    x : (N, T, D) with T >= 1; h0 : (N, H) initial state; Wx : (D, H); Wh : (H, H); b : (H,).

    Returns
    -------
    h : (N, T, H), ``h[:, t-1] = h_t``.
    cache : list of the T step caches.
    """
    dims: dict[str, int] = {}
    check_array("Wx", Wx, ("D", "H"), dims)
    check_array("x", x, ("N", "T", "D"), dims)
    check_array("h0", h0, ("N", "H"), dims)
    check_positive_int("T", dims["T"])
    N, T, _ = x.shape
    h = np.empty((N, T, dims["H"]), dtype=np.result_type(x, h0, Wx))
    caches, h_prev = [], h0
    for t in range(T):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b, activation)
        h[:, t] = h_prev
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache, dh_final=None):
    """Backpropagation through time (Rumelhart et al. 1986; Werbos 1990; deck 000 Part 2).

    Walking t = T..1, the gradient reaching h_t is ``dh[:, t-1]`` (from the loss at step t) plus the
    recurrent contribution ``da_{t+1} @ Wh.T`` from step t+1 (the lecture's ``delta_next``). Weight
    gradients are summed over time because the weights are shared.

    Parameters
    ----------
    dh : (N, T, H), gradient of the loss with respect to every hidden state.
    cache : from :func:`rnn_forward`.
    dh_final : (N, H), optional extra gradient into the last state h_T (e.g. from a classifier on h_T).

    Returns
    -------
    dx : (N, T, D); dh0 : (N, H); dWx : (D, H); dWh : (H, H); db : (H,).
    """
    _, _, Wx, Wh, _, h_1, _ = cache[0]
    (N, H), T = h_1.shape, len(cache)
    check_array("dh", dh, (N, T, H))
    if dh_final is not None:
        check_array("dh_final", dh_final, (N, H))
    dx = np.empty((N, T, Wx.shape[0]), dtype=dh.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=Wh.dtype)
    dnext = np.zeros((N, H), dtype=dh.dtype) if dh_final is None else dh_final
    for t in reversed(range(T)):
        dx[:, t], dnext, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dnext, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dnext, dWx, dWh, db


# --------------------------------------------------------------------------------------- truncated BPTT
def truncated_bptt_segments(T: int, k: int) -> list[tuple[int, int]]:
    """Split positions ``0..T-1`` into consecutive ``[start, stop)`` segments of length k (the last may be
    shorter): ``truncated_bptt_segments(10, 4) == [(0, 4), (4, 8), (8, 10)]``."""
    T, k = check_positive_int("T", T), check_positive_int("k", k)
    return [(s, min(s + k, T)) for s in range(0, T, k)]


def rnn_truncated_bptt(
    x,
    h0,
    params: dict,
    k: int,
    loss_grad_fn: Callable,
    activation: str = "tanh",
    on_segment: Callable | None = None,
):
    """Truncated BPTT over a long sequence (deck 000 Part 2, "Truncated BPTT"; Williams & Peng 1990).

    The sequence is cut into segments of length k (:func:`truncated_bptt_segments`). Each segment runs
    forward from the carried-in state, computes its loss, and backpropagates *within the segment only*. Its
    final state is carried into the next segment as a constant: no gradient crosses a boundary. The first
    segment starts from ``h0`` (zeros in the lecture). With ``k >= T`` this is exactly full BPTT.

    Parameters
    ----------
    x : (N, T, D).
    h0 : (N, H).
    params : ``{"Wx": (D, H), "Wh": (H, H), "b": (H,)}``; read afresh at every segment.
    k : segment length (>= 1).
    loss_grad_fn : ``loss_grad_fn(h_seg, start, stop) -> (loss: float, dh_seg)`` with ``h_seg`` and
        ``dh_seg`` of shape (N, stop - start, H): the loss of the positions ``start..stop-1`` and its
        gradient with respect to their hidden states.
    on_segment : optional ``on_segment(grads_seg, start, stop)`` called after each segment with that segment's
        gradients ``{"Wx", "Wh", "b"}``. Training passes an optimiser step here (it may update ``params`` in
        place, and the next segment uses the new values); evaluation leaves it None.

    Returns
    -------
    loss : float, the sum of the segment losses.
    grads : ``{"Wx", "Wh", "b"}`` summed over segments, ``"x"`` (N, T, D) (gradient of each position
        within its own segment) and ``"h0"`` (N, H) (from the first segment only).
    h_final : (N, H), the state after the last position (equal to ``rnn_forward``'s ``h[:, -1]``).
    """
    dims: dict[str, int] = {}
    check_array("x", x, ("N", "T", "D"), dims)
    check_array("h0", h0, ("N", "H"), dims)
    total, h_carry = 0.0, h0
    grads = {"Wx": 0.0, "Wh": 0.0, "b": 0.0, "x": np.empty_like(x), "h0": None}
    for start, stop in truncated_bptt_segments(dims["T"], k):
        Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
        h_seg, cache = rnn_forward(x[:, start:stop], h_carry, Wx, Wh, b, activation)
        loss, dh_seg = loss_grad_fn(h_seg, start, stop)
        dx, dh_in, dWx, dWh, db = rnn_backward(dh_seg, cache)
        seg = {"Wx": dWx, "Wh": dWh, "b": db}
        for name, g in seg.items():
            grads[name] = grads[name] + g
        grads["x"][:, start:stop] = dx
        if start == 0:
            grads["h0"] = dh_in  # later dh_in are dropped: the carried state is a constant (detached)
        total += float(loss)
        h_carry = h_seg[:, -1].copy()
        if on_segment is not None:
            on_segment(seg, start, stop)
    return total, grads, h_carry


# ------------------------------------------------------------------------------- vanishing gradients
def rnn_hidden_jacobians(cache) -> np.ndarray:
    """Jacobians ``J[n, t] = dh_T / dh_t`` of the last state with respect to every state, for one example n.

    Row-vector convention: ``J[n, t][i, j] = d h_T[i] / d h_t[j]``. One step contributes
    ``dh_t / dh_{t-1} = diag(g'(a_t)) Wh^T``, so ``dh_T / dh_t`` is the product of ``T - t`` such
    factors (deck 000 Part 2, "The Problem with Vanilla RNNs"; Pascanu et al. 2013, Sec. 2).

    Parameters
    ----------
    cache : from :func:`rnn_forward`.

    Returns
    -------
    J : (N, T + 1, H, H) for t = 0..T, ``J[:, T]`` the identity and ``J[:, 0]`` the Jacobian w.r.t. h0.
    """
    T, Wh = len(cache), cache[0][3]
    N, H = cache[0][1].shape
    J = np.empty((N, T + 1, H, H), dtype=Wh.dtype)
    J[:, T] = np.eye(H, dtype=Wh.dtype)
    for t in range(T, 0, -1):  # step t maps h_{t-1} to h_t; its cache is cache[t-1]
        _, _, _, _, a, h, activation = cache[t - 1]
        J[:, t - 1] = (J[:, t] * _activation_grad(a, h, activation)[:, None, :]) @ Wh.T
    return J


def rnn_hidden_jacobian_norms(cache, norm: str = "spectral") -> np.ndarray:
    """Norms ``||dh_T / dh_t||`` for t = 0..T, shape (N, T + 1) (index t; entry T is ``||I||``).

    ``norm="spectral"`` (default): the largest singular value, the factor by which the gradient can grow at
    most; it is 1 at t = T and ``rho^(T-t)`` for a linear RNN whose ``Wh`` is rho times an orthogonal
    matrix. ``norm="fro"``: the Frobenius norm (sqrt(H) at t = T). Values shrinking towards 0 as t moves
    away from T are the vanishing gradient; values growing are the exploding one.
    """
    J = rnn_hidden_jacobians(cache)
    if norm == "spectral":
        return np.linalg.norm(J, ord=2, axis=(-2, -1))
    if norm == "fro":
        return np.linalg.norm(J, ord="fro", axis=(-2, -1))
    raise ValueError(f"norm must be 'spectral' or 'fro', got {norm!r}")
