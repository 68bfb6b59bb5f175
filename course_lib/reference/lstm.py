"""Long short-term memory (LSTM) in NumPy: forward and hand-written backward (BPTT).

Lecture 4, Part 3 (deck 000) and the LSTM slides of deck 001; Hochreiter & Schmidhuber (1997),
Gers et al. (2000) for the forget gate, Greff et al. (2017) "LSTM: A search space odyssey" for the
formulation with peepholes used in the lecture.

Two formulations share one API, selected by ``peepholes``:

* ``peepholes=None`` -- the standard LSTM of ``torch.nn.LSTM`` (deck 001, after Goldberg)::

      [ī, f̄, z̄, ō] = x^t Wx + y^{t-1} Wh + b
      i = σ(ī)   f = σ(f̄)   z = tanh(z̄)   o = σ(ō)
      c^t = z ⊙ i + c^{t-1} ⊙ f
      y^t = tanh(c^t) ⊙ o

* ``peepholes=P`` with ``P = [p_i; p_f; p_o]`` of shape (3, H) -- Greff et al. (2017), deck 000 Part 3:
  the gates also look at the cell, ``ī += p_i ⊙ c^{t-1}``, ``f̄ += p_f ⊙ c^{t-1}`` and
  ``ō += p_o ⊙ c^t`` (the output gate peeks at the *new* cell). ``P = 0`` gives back the standard LSTM.

Notation: the lecture's block input ``z`` is torch's ``g``; its block output ``y`` is the hidden state
``h``; ``g(.) = h(.) = tanh``. Shapes: N batch, T time steps, D input size, H hidden size.

Layout (CONTRIBUTING.md): weights multiply from the right and the four gates are packed in column
blocks in torch's order ``[i, f, g, o]``::

    Wx: (D, 4H) = weight_ih_l0.T    Wh: (H, 4H) = weight_hh_l0.T    b: (4H,) = bias_ih_l0 + bias_hh_l0

so that a ``torch.nn.LSTM`` copies across with :func:`from_torch_lstm` / :func:`to_torch_lstm`.
The lecture's ``W_i x`` (column vectors, weights on the left) is ``x @ Wx[:, :H]`` here.

The sequence functions work on a time-major copy of the batch and preallocated buffers: the input
projection ``x^t Wx + b`` for all T steps is one matrix product, the loop only does the recurrent
product and elementwise gate updates in place. Everything keeps the dtype it is given.
"""

from __future__ import annotations

import numpy as np

from course_lib.reference.validation import check_array

__all__ = [
    "from_torch_lstm",
    "lstm_backward",
    "lstm_forward",
    "lstm_gate_activations",
    "lstm_step_backward",
    "lstm_step_forward",
    "to_torch_lstm",
]


# ----------------------------------------------------------------------------- layout conversion


def from_torch_lstm(weight_ih, weight_hh, bias_ih, bias_hh):
    """Convert ``torch.nn.LSTM`` parameters (as NumPy arrays) into this module's layout.

    weight_ih: (4H, D), weight_hh: (4H, H), bias_ih: (4H,), bias_hh: (4H,)  ->
    ``(Wx, Wh, b)`` with Wx: (D, 4H), Wh: (H, 4H), b: (4H,) = bias_ih + bias_hh.
    The row blocks ``[i, f, g, o]`` of torch become column blocks in the same order.
    """
    dims: dict[str, int] = {}
    check_array("weight_hh", weight_hh, ("4H", "H"), dims)
    if dims["4H"] != 4 * dims["H"]:
        raise ValueError(f"weight_hh must have shape (4H, H), got {tuple(weight_hh.shape)}")
    check_array("weight_ih", weight_ih, ("4H", "D"), dims)
    check_array("bias_ih", bias_ih, ("4H",), dims)
    check_array("bias_hh", bias_hh, ("4H",), dims)
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih + bias_hh


def to_torch_lstm(Wx, Wh, b):
    """Inverse of :func:`from_torch_lstm`: ``(Wx (D, 4H), Wh (H, 4H), b (4H,))`` ->
    ``(weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,))``.

    The single bias goes into ``bias_ih``; ``bias_hh`` is zero (only their sum matters, so the
    gradient of a loss with respect to either torch bias equals ``db``).
    """
    _check_weights(Wx, Wh, b, None)
    return Wx.T.copy(), Wh.T.copy(), b.copy(), np.zeros_like(b)


# ----------------------------------------------------------------------------- helpers


def _check_weights(Wx, Wh, b, peepholes, dims=None) -> dict[str, int]:
    """Validate Wx (D, 4H), Wh (H, 4H), b (4H,), peepholes (3, H) or None; return the symbol table."""
    dims = {} if dims is None else dims
    check_array("Wh", Wh, ("H", None), dims)
    dims["4H"] = 4 * dims["H"]
    check_array("Wh", Wh, ("H", "4H"), dims)
    check_array("Wx", Wx, ("D", "4H"), dims)
    check_array("b", b, ("4H",), dims)
    if peepholes is not None:
        check_array("peepholes", peepholes, (3, "H"), dims)
    return dims


def _gate_constants(N: int, H: int, dtype):
    """Constants for the packed gates [i, f, z, o]: ``(scale, shift, scale**2)``, each (N, 4H).

    Every gate nonlinearity is written as ``shift + scale * tanh(scale * a)``: with scale = shift = 1/2
    this is the logistic σ(a) = (1 + tanh(a/2)) / 2 (numerically stable: no exp to overflow), with
    scale = 1, shift = 0 it is tanh (block 2, the block input z = torch's g). One tanh call then
    activates all four blocks, and the derivative in terms of the activation ``y`` is
    ``scale**2 - (y - shift)**2``, i.e. σ' = y(1 - y) and tanh' = 1 - y^2. (Full (N, 4H) arrays rather
    than broadcast rows: same-shape ufuncs run about twice as fast as broadcasting ones here.)
    """
    scale = np.full((N, 4, H), 0.5, dtype=dtype)
    shift = np.full((N, 4, H), 0.5, dtype=dtype)
    scale[:, 2], shift[:, 2] = 1.0, 0.0
    scale, shift = scale.reshape(N, 4 * H), shift.reshape(N, 4 * H)
    return scale, shift, scale * scale


def _activate_(a, scale, shift):
    """In place: ``a <- shift + scale * tanh(scale * a)`` (σ or tanh per column, see above)."""
    a *= scale
    np.tanh(a, out=a)
    a *= scale
    a += shift


def _activation_grad(act, consts, out):
    """``out <- σ'`` or ``tanh'`` of every gate from its activation ``act`` (both (N, 4H))."""
    _, shift, scale2 = consts
    np.subtract(act, shift, out=out)
    np.square(out, out=out)
    np.subtract(scale2, out, out=out)


def _cell_forward(a, c_prev, P, consts, c, tanh_c, h):
    """One LSTM cell update, in place (deck 000 Part 3, forward pass).

    a: (N, 4H) pre-activations ``x Wx + y^{t-1} Wh + b``, overwritten by the activations [i, f, z, o];
    c_prev: (N, H); P: (3, H) or None; consts: from :func:`_gate_constants`;
    c, tanh_c, h: (N, H) outputs ``c^t``, ``tanh(c^t)`` and ``y^t``.
    """
    H = c_prev.shape[1]
    i, f, z, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    scale, shift, _ = consts
    if P is None:
        _activate_(a, scale, shift)  # i, f, z and o in one go
    else:
        i += P[0] * c_prev  # ī^t += p_i ⊙ c^{t-1}
        f += P[1] * c_prev  # f̄^t += p_f ⊙ c^{t-1}
        _activate_(a[:, : 3 * H], scale[:, : 3 * H], shift[:, : 3 * H])
    np.multiply(z, i, out=c)  # c^t = z^t ⊙ i^t + c^{t-1} ⊙ f^t
    np.multiply(c_prev, f, out=tanh_c)  # (tanh_c used as scratch)
    c += tanh_c
    if P is not None:
        o += P[2] * c  # ō^t += p_o ⊙ c^t
        _activate_(o, scale[:, 3 * H :], shift[:, 3 * H :])
    np.tanh(c, out=tanh_c)
    np.multiply(tanh_c, o, out=h)  # y^t = h(c^t) ⊙ o^t


def _cell_backward(dy, dc_next, gates, c_prev, tanh_c, P, consts, da, dc_prev, scratch):
    """One step of the deck's BPTT equations for the cell, in place.

    dy: (N, H) δy^t (loss gradient of y^t, recurrent part included);
    dc_next: (N, H) the part of δc^t coming from step t+1, ``δc^{t+1} ⊙ f^{t+1} + p_i ⊙ δī^{t+1} +
    p_f ⊙ δf̄^{t+1}`` (this function's own ``dc_prev`` output one step later);
    gates: (N, 4H) activations [i, f, z, o] at step t; c_prev = c^{t-1}, tanh_c = h(c^t): (N, H);
    P: (3, H) or None; consts: from :func:`_gate_constants`; scratch: (N, 4H) work space.
    Writes da: (N, 4H) = [δī, δf̄, δz̄, δō] and dc_prev: (N, H) (the dc_next of step t-1).
    """
    H = dy.shape[1]
    i, f, z, o = (gates[:, k * H : (k + 1) * H] for k in range(4))
    di, df, dz, do = (da[:, k * H : (k + 1) * H] for k in range(4))
    deriv = scratch
    _activation_grad(gates, consts, out=deriv)  # [σ'(ī), σ'(f̄), g'(z̄), σ'(ō)]
    np.multiply(dy, tanh_c, out=do)  # δō^t = δy^t ⊙ h(c^t) ⊙ σ'(ō^t)
    do *= deriv[:, 3 * H :]
    dc = dc_prev  # δc^t = δy^t ⊙ o^t ⊙ h'(c^t) + ...
    np.square(tanh_c, out=dc)
    np.subtract(1, dc, out=dc)
    dc *= o
    dc *= dy
    dc += dc_next  # ... + (δc^{t+1} ⊙ f^{t+1} + p_i ⊙ δī^{t+1} + p_f ⊙ δf̄^{t+1})
    if P is not None:
        dc += P[2] * do  # ... + p_o ⊙ δō^t
    np.multiply(dc, z, out=di)  # δī^t = δc^t ⊙ z^t ⊙ σ'(ī^t)
    np.multiply(dc, c_prev, out=df)  # δf̄^t = δc^t ⊙ c^{t-1} ⊙ σ'(f̄^t)
    np.multiply(dc, i, out=dz)  # δz̄^t = δc^t ⊙ i^t ⊙ g'(z̄^t)
    da[:, : 3 * H] *= deriv[:, : 3 * H]
    dc *= f  # what step t-1 receives: δc^t ⊙ f^t (+ peephole terms)
    if P is not None:
        dc += P[0] * di
        dc += P[1] * df


# ----------------------------------------------------------------------------- one step


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, peepholes=None):
    """One LSTM step (deck 000 Part 3 forward pass; Greff et al. 2017 when ``peepholes`` is given).

    x: (N, D), h_prev: (N, H) = y^{t-1}, c_prev: (N, H) = c^{t-1},
    Wx: (D, 4H), Wh: (H, 4H), b: (4H,), peepholes: (3, H) rows [p_i, p_f, p_o] or None.
    Returns ``(h, c, cache)`` with h = y^t: (N, H), c = c^t: (N, H).
    """
    dims = _check_weights(Wx, Wh, b, peepholes)
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_array("c_prev", c_prev, ("N", "H"), dims)
    H = dims["H"]
    gates = x @ Wx + h_prev @ Wh + b  # (N, 4H) pre-activations, activated in place below
    c = np.empty_like(gates[:, :H])
    tanh_c, h = np.empty_like(c), np.empty_like(c)
    _cell_forward(gates, c_prev, peepholes, _gate_constants(len(x), H, gates.dtype), c, tanh_c, h)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh, "P": peepholes,
             "gates": gates, "c": c, "tanh_c": tanh_c}
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward pass of :func:`lstm_step_forward` (deck 000 Part 3, BPTT equations for one step).

    dh: (N, H) gradient of the loss w.r.t. y^t (δy^t, recurrent contributions included);
    dc: (N, H) gradient w.r.t. c^t arriving from later steps (``δc^{t+1} ⊙ f^{t+1}`` plus the
    peephole terms ``p_i ⊙ δī^{t+1} + p_f ⊙ δf̄^{t+1}``), i.e. the ``dc_prev`` of the step after.
    Returns ``(dx (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,),
    dP (3, H) or None)``.
    """
    x, h_prev, c_prev, gates = cache["x"], cache["h_prev"], cache["c_prev"], cache["gates"]
    dims = {"N": c_prev.shape[0], "H": c_prev.shape[1]}
    check_array("dh", dh, ("N", "H"), dims)
    check_array("dc", dc, ("N", "H"), dims)
    N, H = c_prev.shape
    P = cache["P"]
    dtype = np.result_type(gates, dh, dc)
    da = np.empty((N, 4 * H), dtype=dtype)
    dc_prev = np.empty((N, H), dtype=dtype)
    _cell_backward(dh, dc, gates, c_prev, cache["tanh_c"], P, _gate_constants(N, H, gates.dtype), da, dc_prev,
                   np.empty_like(gates))
    dx = da @ cache["Wx"].T
    dh_prev = da @ cache["Wh"].T  # R^T δ(gates): the recurrent part of δy^{t-1}
    dWx, dWh, db = x.T @ da, h_prev.T @ da, da.sum(axis=0)
    dP = None
    if P is not None:
        dP = np.stack([(da[:, :H] * c_prev).sum(0), (da[:, H : 2 * H] * c_prev).sum(0),
                       (da[:, 3 * H :] * cache["c"]).sum(0)])
    return dx, dh_prev, dc_prev, dWx, dWh, db, dP


# ----------------------------------------------------------------------------- whole sequence


def lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=None):
    """Run the LSTM over a batch of sequences (deck 000 Part 3; Greff et al. 2017 with peepholes).

    x: (N, T, D); h0, c0: (N, H) initial states, or None for zeros;
    Wx: (D, 4H), Wh: (H, 4H), b: (4H,), peepholes: (3, H) rows [p_i, p_f, p_o] or None.
    Returns ``(h, (h_T, c_T), cache)``: h: (N, T, H) the block outputs y^1..y^T, h_T, c_T: (N, H)
    the final states. :func:`lstm_gate_activations` reads the gates and cells out of ``cache``.
    """
    dims = _check_weights(Wx, Wh, b, peepholes)
    check_array("x", x, ("N", "T", "D"), dims)
    N, T, H = dims["N"], dims["T"], dims["H"]
    if h0 is not None:
        check_array("h0", h0, ("N", "H"), dims)
    if c0 is not None:
        check_array("c0", c0, ("N", "H"), dims)
    arrays = [a for a in (x, h0, c0, Wx, Wh, b, peepholes) if a is not None]
    dtype = np.result_type(*arrays)
    P = None if peepholes is None else peepholes.astype(dtype, copy=False)

    D = dims["D"]
    # Time-major buffers. Row t of xh: (N, D + H) holds the input x^{t+1} next to the state y^t it meets
    # (deck indices, t = 0..T), so that backward gets [dWx; dWh] from one product; hs = its right part.
    # hs, cs: (T+1, N, H) with hs[t] = y^t, cs[t] = c^t (hs[0] = h0, cs[0] = c0).
    xh = np.zeros((T + 1, N, D + H), dtype=dtype)
    xh[:T, :, :D] = x.transpose(1, 0, 2)
    hs = xh[:, :, D:]
    cs = np.zeros((T + 1, N, H), dtype=dtype)
    if h0 is not None:
        hs[0] = h0
    if c0 is not None:
        cs[0] = c0
    # The input part of every gate for all steps at once: (T*N, D) @ (D, 4H).
    gates = (xh[:T, :, :D].reshape(T * N, D) @ Wx.astype(dtype, copy=False)).reshape(T, N, 4 * H)
    gates += b
    tanh_c = np.empty((T, N, H), dtype=dtype)
    rec = np.empty((N, 4 * H), dtype=dtype)
    Wh_ = Wh.astype(dtype, copy=False)
    consts = _gate_constants(N, H, dtype)
    for t in range(T):
        np.matmul(hs[t], Wh_, out=rec)  # y^{t-1} Wh
        gates[t] += rec
        _cell_forward(gates[t], cs[t], P, consts, cs[t + 1], tanh_c[t], hs[t + 1])

    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    cache = {"xh": xh, "Wx": Wx, "Wh": Wh_, "P": P, "gates": gates, "hs": hs, "cs": cs,
             "tanh_c": tanh_c}
    return h, (hs[T].copy(), cs[T].copy()), cache


def lstm_backward(dh, cache, dh_T=None, dc_T=None):
    """Backpropagation through time for :func:`lstm_forward` (deck 000 Part 3, BPTT equations).

    For t = T..1 (Greff et al. 2017, with Δ^t the loss gradient arriving at y^t from above)::

        δy^t = Δ^t + Wh^T [δī, δf̄, δz̄, δō]^{t+1}                 (R_z^T δz^{t+1} + ... in the deck)
        δō^t = δy^t ⊙ h(c^t) ⊙ σ'(ō^t)
        δc^t = δy^t ⊙ o^t ⊙ h'(c^t) + p_o ⊙ δō^t + p_i ⊙ δī^{t+1} + p_f ⊙ δf̄^{t+1} + δc^{t+1} ⊙ f^{t+1}
        δf̄^t = δc^t ⊙ c^{t-1} ⊙ σ'(f̄^t)
        δī^t = δc^t ⊙ z^t ⊙ σ'(ī^t)
        δz̄^t = δc^t ⊙ i^t ⊙ g'(z̄^t)

    then, summed over t and the batch: dWx = Σ x^t ⊗ δ(gates)^t, dWh = Σ y^{t-1} ⊗ δ(gates)^t,
    db = Σ δ(gates)^t, dp_i = Σ c^{t-1} ⊙ δī^t, dp_f = Σ c^{t-1} ⊙ δf̄^t, dp_o = Σ c^t ⊙ δō^t.
    Without peepholes the p-terms are absent.

    dh: (N, T, H) Δ^t for every step; dh_T, dc_T: (N, H) or None, extra gradients on the final
    states returned by the forward pass (e.g. when they feed a classifier or the next batch).
    Returns ``(dx (N, T, D), dh0 (N, H), dc0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,),
    dP (3, H) or None)``.
    """
    gates, cs, P = cache["gates"], cache["cs"], cache["P"]
    T, N, H4 = gates.shape
    H = H4 // 4
    dims = {"N": N, "T": T, "H": H}
    check_array("dh", dh, ("N", "T", "H"), dims)
    if dh_T is not None:
        check_array("dh_T", dh_T, ("N", "H"), dims)
    if dc_T is not None:
        check_array("dc_T", dc_T, ("N", "H"), dims)
    dtype = gates.dtype
    Wh_T = np.ascontiguousarray(cache["Wh"].T)  # (4H, H), contiguous for the per-step product
    tanh_c, consts = cache["tanh_c"], _gate_constants(N, H, dtype)
    scratch = np.empty((N, 4 * H), dtype=dtype)

    da = np.empty((T, N, 4 * H), dtype=dtype)  # [δī, δf̄, δz̄, δō] for every step
    dy = np.zeros((N, H), dtype=dtype)  # δy^t; starts as the recurrent part (zero after y^T)
    dc_next = np.zeros((N, H), dtype=dtype)
    dc_prev = np.empty((N, H), dtype=dtype)
    if dh_T is not None:
        dy += dh_T
    if dc_T is not None:
        dc_next += dc_T
    for t in range(T - 1, -1, -1):
        dy += dh[:, t]  # δy^t = Δ^t + Wh^T δ(gates)^{t+1}
        _cell_backward(dy, dc_next, gates[t], cs[t], tanh_c[t], P, consts, da[t], dc_prev, scratch)
        dc_next, dc_prev = dc_prev, dc_next
        np.matmul(da[t], Wh_T, out=dy)  # recurrent part of δy^{t-1}

    # Parameter gradients: one matrix product each over all N*T positions.
    da2 = da.reshape(T * N, 4 * H)
    dx = (da2 @ cache["Wx"].T.astype(dtype, copy=False)).reshape(T, N, -1).transpose(1, 0, 2)
    dW = cache["xh"][:T].reshape(T * N, -1).T @ da2  # [x^t, y^{t-1}] summed against δ(gates)^t
    dWx, dWh = dW[:-H], dW[-H:]
    db = da2.sum(axis=0)
    dP = None
    if P is not None:
        dP = np.stack([np.einsum("tnh,tnh->h", da[..., :H], cs[:-1]),
                       np.einsum("tnh,tnh->h", da[..., H : 2 * H], cs[:-1]),
                       np.einsum("tnh,tnh->h", da[..., 3 * H :], cs[1:])])
    return np.ascontiguousarray(dx), dy, dc_next, dWx, dWh, db, dP


def lstm_gate_activations(cache):
    """Per-step activations recorded by :func:`lstm_forward`, batch-first, for plots and widgets.

    Returns a dict of (N, T, H) arrays: ``"i"`` input gate, ``"f"`` forget gate, ``"g"`` block input
    (the lecture's ``z``, also under the key ``"z"``), ``"o"`` output gate, ``"c"`` cell c^t and
    ``"h"`` block output y^t (t = 1..T). Copies, so the cache stays intact.
    """
    gates = cache["gates"]
    H = gates.shape[-1] // 4

    def bf(a):
        return np.ascontiguousarray(a.transpose(1, 0, 2))

    out = {name: bf(gates[..., k * H : (k + 1) * H]) for k, name in enumerate("ifgo")}
    out["z"] = out["g"]
    out["c"] = bf(cache["cs"][1:])
    out["h"] = bf(cache["hs"][1:])
    return out
