"""Gated recurrent unit (GRU) in NumPy: forward and hand-written backward (BPTT), two variants.

Cho et al. (2014) introduced the GRU; deck 000 Part 3 shows it in the figure taken from Jozefowicz,
Zaremba & Sutskever (2015), deck 001 after Goldberg's primer. Shapes: N batch, T steps, D input, H hidden.
Gates are packed in column blocks ``[r, z, n]`` exactly like the rows of ``torch.nn.GRU``::

    Wx: (D, 3H) = weight_ih_l0.T   Wh: (H, 3H) = weight_hh_l0.T   bx: (3H,) = bias_ih_l0   bh: (3H,) = bias_hh_l0

Both variants share the gates (σ the logistic function)::

    r_t = σ(x_t Wxr + h_{t-1} Whr + bx_r + bh_r)          reset gate
    z_t = σ(x_t Wxz + h_{t-1} Whz + bx_z + bh_z)          update gate
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

and differ only in where the reset gate enters the candidate state n_t (the deck's h̃_t):

* ``variant="lecture"`` -- deck 000 (the Jozefowicz et al. figure) and Cho et al. (2014): the reset
  gate acts on the old state *before* the recurrent product::

      n_t = tanh(x_t Wxn + (r_t ⊙ h_{t-1}) Whn + bx_n + bh_n)

* ``variant="pytorch"`` -- ``torch.nn.GRU`` (the form of the cuDNN kernels): the reset gate acts on the
  recurrent product *after* it is computed::

      n_t = tanh(x_t Wxn + bx_n + r_t ⊙ (h_{t-1} Whn + bh_n))

In the lecture variant the two biases only ever appear as a sum (``dbx == dbh``); the PyTorch variant
needs both because ``bh_n`` sits inside the reset. The two give different outputs for the same weights
(the tests check that), so weights copied from ``torch.nn.GRU`` need ``variant="pytorch"``.

Convention for z: here (deck 000 and PyTorch) ``z_t`` is the weight of the *old* state,
``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``; Goldberg's primer and deck 001 swap the roles,
``s_j = (1 - z) ⊙ s_{j-1} + z ⊙ s̃_j``. It is the same model with z replaced by 1 - z.

The sequence functions, as in :mod:`course_lib.reference.lstm`, work time-major internally with
preallocated buffers and compute the input projection of all steps in one matrix product.
"""

from __future__ import annotations

import numpy as np

from course_lib.reference.validation import check_array

__all__ = [
    "from_torch_gru",
    "gru_backward",
    "gru_forward",
    "gru_gate_activations",
    "gru_step_backward",
    "gru_step_forward",
    "to_torch_gru",
]

VARIANTS = ("lecture", "pytorch")


# ----------------------------------------------------------------------------- layout conversion


def from_torch_gru(weight_ih, weight_hh, bias_ih, bias_hh):
    """``torch.nn.GRU`` parameters (as NumPy arrays) -> ``(Wx, Wh, bx, bh)`` in this module's layout.

    weight_ih: (3H, D), weight_hh: (3H, H), bias_ih, bias_hh: (3H,)  ->  Wx: (D, 3H), Wh: (H, 3H),
    bx: (3H,), bh: (3H,). Row blocks [r, z, n] become column blocks in the same order.
    """
    dims: dict[str, int] = {}
    check_array("weight_hh", weight_hh, ("3H", "H"), dims)
    if dims["3H"] != 3 * dims["H"]:
        raise ValueError(f"weight_hh must have shape (3H, H), got {tuple(weight_hh.shape)}")
    check_array("weight_ih", weight_ih, ("3H", "D"), dims)
    check_array("bias_ih", bias_ih, ("3H",), dims)
    check_array("bias_hh", bias_hh, ("3H",), dims)
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih.copy(), bias_hh.copy()


def to_torch_gru(Wx, Wh, bx, bh):
    """Inverse of :func:`from_torch_gru`: ``(Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,))`` ->
    ``(weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,))``."""
    _check_weights(Wx, Wh, bx, bh, "pytorch")
    return Wx.T.copy(), Wh.T.copy(), bx.copy(), bh.copy()


# ----------------------------------------------------------------------------- helpers


def _check_weights(Wx, Wh, bx, bh, variant, dims=None) -> dict[str, int]:
    """Validate Wx (D, 3H), Wh (H, 3H), bx, bh (3H,) and the variant name; return the symbol table."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    dims = {} if dims is None else dims
    check_array("Wh", Wh, ("H", None), dims)
    dims["3H"] = 3 * dims["H"]
    check_array("Wh", Wh, ("H", "3H"), dims)
    check_array("Wx", Wx, ("D", "3H"), dims)
    check_array("bx", bx, ("3H",), dims)
    check_array("bh", bh, ("3H",), dims)
    return dims


def _sigmoid_(a):
    """In place logistic σ(a) = (1 + tanh(a / 2)) / 2: numerically stable (no exp to overflow)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _input_part(x2, Wx, bx, bh, variant):
    """Everything of the pre-activations that does not depend on h_{t-1}: (M, D) -> (M, 3H).

    ``x Wx + bx + [bh_r, bh_z, 0]`` for the PyTorch variant (its bh_n sits inside the reset),
    ``x Wx + bx + bh`` for the lecture variant.
    """
    H = bh.shape[0] // 3
    a = x2 @ Wx
    a += bx
    if variant == "lecture":
        a += bh
    else:
        a[:, : 2 * H] += bh[: 2 * H]
    return a


def _cell_forward(a, h_prev, Wh_rz, Wh_n, bh_n, variant, aux, h, rec):
    """One GRU update, in place.

    a: (N, 3H) from :func:`_input_part`, overwritten by the activations [r, z, n];
    h_prev: (N, H); Wh_rz: (H, 2H), Wh_n: (H, H) the column blocks of Wh; bh_n: (H,);
    aux: (N, H) output kept for the backward pass -- ``h_{t-1} Whn + bh_n`` (PyTorch variant) or
    ``r ⊙ h_{t-1}`` (lecture variant); h: (N, H) output h_t; rec: (N, 2H) scratch.
    """
    H = h_prev.shape[1]
    rz, r, z, n = a[:, : 2 * H], a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
    np.matmul(h_prev, Wh_rz, out=rec)
    rz += rec
    _sigmoid_(rz)  # r_t, z_t
    if variant == "pytorch":
        np.matmul(h_prev, Wh_n, out=aux)
        aux += bh_n  # h_{t-1} Whn + bh_n
        np.multiply(r, aux, out=h)  # (h used as scratch)
    else:
        np.multiply(r, h_prev, out=aux)  # r_t ⊙ h_{t-1}
        np.matmul(aux, Wh_n, out=h)
    n += h
    np.tanh(n, out=n)  # n_t
    np.subtract(h_prev, n, out=h)  # h_t = n_t + z_t ⊙ (h_{t-1} - n_t)
    h *= z
    h += n


def _cell_backward(dy, gates, h_prev, aux, WhT_rz, WhT_n, variant, da, dah, dh_prev, s, tmp):
    """One step of BPTT through the GRU, in place.

    dy: (N, H) δh_t (loss gradient of h_t, recurrent part included); gates: (N, 3H) activations
    [r, z, n]; h_prev, aux: (N, H) as in :func:`_cell_forward`; WhT_rz: (2H, H), WhT_n: (H, H) blocks
    of Wh^T. Writes da: (N, 3H) = [δr̄, δz̄, δn̄] (gradient of the pre-activations, input side),
    dah: (N, H) the gradient of the recurrent n-product's output (PyTorch: δn̄ ⊙ r, w.r.t.
    ``h_{t-1} Whn + bh_n``; lecture: unused) and dh_prev: (N, H) δh_{t-1} through this step.
    s, tmp: (N, H) scratch.
    """
    H = dy.shape[1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    dr, dz, dn = da[:, :H], da[:, H : 2 * H], da[:, 2 * H :]
    np.subtract(1, z, out=s)
    np.square(n, out=dn)  # δn̄ = δh ⊙ (1 - z) ⊙ (1 - n^2)
    np.subtract(1, dn, out=dn)
    dn *= s
    dn *= dy
    np.subtract(h_prev, n, out=dz)  # δz̄ = δh ⊙ (h_{t-1} - n) ⊙ z (1 - z)
    dz *= dy
    dz *= z
    dz *= s
    np.subtract(1, r, out=s)  # σ'(r̄) = r (1 - r)
    s *= r
    if variant == "pytorch":
        np.multiply(dn, aux, out=dr)  # δr̄ = δn̄ ⊙ (h_{t-1} Whn + bh_n) ⊙ σ'(r̄)
        dr *= s
        np.multiply(dn, r, out=dah)  # gradient of h_{t-1} Whn + bh_n
        np.matmul(dah, WhT_n, out=dh_prev)
    else:
        np.matmul(dn, WhT_n, out=tmp)  # δ(r ⊙ h_{t-1}) = δn̄ Whn^T
        np.multiply(tmp, h_prev, out=dr)  # δr̄ = δ(r ⊙ h_{t-1}) ⊙ h_{t-1} ⊙ σ'(r̄)
        dr *= s
        np.multiply(tmp, r, out=dh_prev)  # ... and r ⊙ δ(r ⊙ h_{t-1}) reaches h_{t-1}
    np.matmul(da[:, : 2 * H], WhT_rz, out=tmp)  # through the gates' recurrent products
    dh_prev += tmp
    np.multiply(dy, z, out=tmp)  # directly: h_t = ... + z ⊙ h_{t-1}
    dh_prev += tmp


def _recurrent_grads(da2, dah2, h_prev2, aux2, variant):
    """dWh (H, 3H) and dbh (3H,) from the per-position gradients (M = steps x batch rows).

    da2: (M, 3H) [δr̄, δz̄, δn̄]; dah2: (M, H) (PyTorch variant) ; h_prev2, aux2: (M, H).
    """
    H = h_prev2.shape[1]
    dWh = np.empty((H, 3 * H), dtype=da2.dtype)
    dWh[:, : 2 * H] = h_prev2.T @ da2[:, : 2 * H]
    if variant == "pytorch":
        dWh[:, 2 * H :] = h_prev2.T @ dah2  # n-block input is h_{t-1}, its gradient δn̄ ⊙ r
        dbh = np.concatenate([da2[:, : 2 * H].sum(0), dah2.sum(0)])
    else:
        dWh[:, 2 * H :] = aux2.T @ da2[:, 2 * H :]  # n-block input is r ⊙ h_{t-1}
        dbh = da2.sum(0)
    return dWh, dbh


# ----------------------------------------------------------------------------- one step


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh, variant="lecture"):
    """One GRU step (module docstring for both variants).

    x: (N, D), h_prev: (N, H), Wx: (D, 3H), Wh: (H, 3H), bx, bh: (3H,), variant: "lecture" | "pytorch".
    Returns ``(h, cache)`` with h = h_t: (N, H).
    """
    dims = _check_weights(Wx, Wh, bx, bh, variant)
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    N, H = h_prev.shape
    gates = _input_part(x, Wx, bx, bh, variant)
    dtype = np.result_type(gates, h_prev, Wh)
    gates = gates.astype(dtype, copy=False)
    aux, h = np.empty((N, H), dtype=dtype), np.empty((N, H), dtype=dtype)
    _cell_forward(gates, h_prev, Wh[:, : 2 * H], Wh[:, 2 * H :], bh[2 * H :], variant, aux, h,
                  np.empty((N, 2 * H), dtype=dtype))
    cache = {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "variant": variant, "gates": gates, "aux": aux}
    return h, cache


def gru_step_backward(dh, cache):
    """Backward pass of :func:`gru_step_forward`.

    dh: (N, H) gradient of the loss w.r.t. h_t (recurrent contributions included).
    Returns ``(dx (N, D), dh_prev (N, H), dWx (D, 3H), dWh (H, 3H), dbx (3H,), dbh (3H,))``.
    """
    x, h_prev, gates, aux, variant = cache["x"], cache["h_prev"], cache["gates"], cache["aux"], cache["variant"]
    N, H = h_prev.shape
    check_array("dh", dh, ("N", "H"), {"N": N, "H": H})
    dtype = np.result_type(gates, dh)
    WhT = cache["Wh"].T
    da = np.empty((N, 3 * H), dtype=dtype)
    dah, dh_prev, s, tmp = (np.empty((N, H), dtype=dtype) for _ in range(4))
    _cell_backward(dh, gates, h_prev, aux, WhT[: 2 * H], WhT[2 * H :], variant, da, dah, dh_prev, s, tmp)
    dWh, dbh = _recurrent_grads(da, dah, h_prev, aux, variant)
    return da @ cache["Wx"].T, dh_prev, x.T @ da, dWh, da.sum(0), dbh


# ----------------------------------------------------------------------------- whole sequence


def gru_forward(x, h0, Wx, Wh, bx, bh, variant="lecture"):
    """Run the GRU over a batch of sequences.

    x: (N, T, D); h0: (N, H) or None for zeros; Wx: (D, 3H), Wh: (H, 3H), bx, bh: (3H,);
    variant: "lecture" | "pytorch" (module docstring).
    Returns ``(h, h_T, cache)``: h: (N, T, H) the states h_1..h_T, h_T: (N, H) the last one.
    """
    dims = _check_weights(Wx, Wh, bx, bh, variant)
    check_array("x", x, ("N", "T", "D"), dims)
    N, T, H = dims["N"], dims["T"], dims["H"]
    if h0 is not None:
        check_array("h0", h0, ("N", "H"), dims)
    dtype = np.result_type(*[a for a in (x, h0, Wx, Wh, bx, bh) if a is not None])
    Wh_ = Wh.astype(dtype, copy=False)
    Wh_rz, Wh_n = np.ascontiguousarray(Wh_[:, : 2 * H]), np.ascontiguousarray(Wh_[:, 2 * H :])
    bh_n = bh[2 * H :].astype(dtype)

    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)  # (T, N, D), time-major
    gates = _input_part(x_tm.reshape(T * N, -1), Wx.astype(dtype, copy=False), bx, bh, variant)
    gates = gates.reshape(T, N, 3 * H)
    hs = np.zeros((T + 1, N, H), dtype=dtype)  # hs[t] = h_t, hs[0] = h0
    if h0 is not None:
        hs[0] = h0
    aux = np.empty((T, N, H), dtype=dtype)
    rec = np.empty((N, 2 * H), dtype=dtype)
    for t in range(T):
        _cell_forward(gates[t], hs[t], Wh_rz, Wh_n, bh_n, variant, aux[t], hs[t + 1], rec)

    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    cache = {"x_tm": x_tm, "Wx": Wx, "Wh": Wh_, "variant": variant, "gates": gates, "hs": hs, "aux": aux}
    return h, hs[T].copy(), cache


def gru_backward(dh, cache, dh_T=None):
    """Backpropagation through time for :func:`gru_forward`.

    For t = T..1, with δh_t = Δ_t (loss gradient of h_t from above) + the gradient through step t+1::

        δn̄_t = δh_t ⊙ (1 - z_t) ⊙ (1 - n_t^2)
        δz̄_t = δh_t ⊙ (h_{t-1} - n_t) ⊙ z_t (1 - z_t)
        lecture:  δ(r ⊙ h)_t = δn̄_t Whn^T,   δr̄_t = δ(r ⊙ h)_t ⊙ h_{t-1} ⊙ r_t (1 - r_t)
                  δh_{t-1} = δh_t ⊙ z_t + r_t ⊙ δ(r ⊙ h)_t + [δr̄_t, δz̄_t] [Whr, Whz]^T
        pytorch:  δr̄_t = δn̄_t ⊙ (h_{t-1} Whn + bh_n) ⊙ r_t (1 - r_t)
                  δh_{t-1} = δh_t ⊙ z_t + (r_t ⊙ δn̄_t) Whn^T + [δr̄_t, δz̄_t] [Whr, Whz]^T

    dh: (N, T, H) Δ_t for every step; dh_T: (N, H) or None, an extra gradient on the returned h_T.
    Returns ``(dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), dbx (3H,), dbh (3H,))``.
    """
    gates, hs, aux, variant = cache["gates"], cache["hs"], cache["aux"], cache["variant"]
    T, N, H3 = gates.shape
    H = H3 // 3
    dims = {"N": N, "T": T, "H": H}
    check_array("dh", dh, ("N", "T", "H"), dims)
    if dh_T is not None:
        check_array("dh_T", dh_T, ("N", "H"), dims)
    dtype = gates.dtype
    WhT = np.ascontiguousarray(cache["Wh"].T)  # (3H, H)
    WhT_rz, WhT_n = WhT[: 2 * H], WhT[2 * H :]

    da = np.empty((T, N, 3 * H), dtype=dtype)  # [δr̄, δz̄, δn̄] for every step
    dah = np.empty((T, N, H), dtype=dtype)
    dy = np.zeros((N, H), dtype=dtype)  # δh_t; its recurrent part is zero after h_T
    dy_prev, s, tmp = (np.empty((N, H), dtype=dtype) for _ in range(3))
    if dh_T is not None:
        dy += dh_T
    for t in range(T - 1, -1, -1):
        dy += dh[:, t]
        _cell_backward(dy, gates[t], hs[t], aux[t], WhT_rz, WhT_n, variant, da[t], dah[t], dy_prev, s, tmp)
        dy, dy_prev = dy_prev, dy

    da2 = da.reshape(T * N, 3 * H)
    dx = (da2 @ cache["Wx"].T.astype(dtype, copy=False)).reshape(T, N, -1).transpose(1, 0, 2)
    dWx = cache["x_tm"].reshape(T * N, -1).T @ da2
    dWh, dbh = _recurrent_grads(da2, dah.reshape(T * N, H), hs[:-1].reshape(T * N, H),
                                aux.reshape(T * N, H), variant)
    return np.ascontiguousarray(dx), dy, dWx, dWh, da2.sum(0), dbh


def gru_gate_activations(cache):
    """Per-step activations recorded by :func:`gru_forward`, batch-first, for plots and widgets.

    Returns a dict of (N, T, H) arrays: ``"r"`` reset gate, ``"z"`` update gate, ``"n"`` candidate
    state (the deck's h̃_t) and ``"h"`` the state h_t (t = 1..T). Copies, so the cache stays intact.
    """
    gates = cache["gates"]
    H = gates.shape[-1] // 3

    def bf(a):
        return np.ascontiguousarray(a.transpose(1, 0, 2))

    out = {name: bf(gates[..., k * H : (k + 1) * H]) for k, name in enumerate("rzn")}
    out["h"] = bf(cache["hs"][1:])
    return out
