"""Tests for course_lib.reference.gru: both variants vs finite differences, torch autograd, torch.nn.GRU."""

import numpy as np
import pytest
import torch

from course_lib.reference.gradcheck import numerical_gradient, rel_error
from course_lib.reference.gru import (
    from_torch_gru,
    gru_backward,
    gru_forward,
    gru_gate_activations,
    gru_step_backward,
    gru_step_forward,
    to_torch_gru,
)

FD_TOL = 1e-7  # centred finite differences, float64
# Centred differences carry an absolute error of about 1e-11..1e-10 (round-off of an O(1) loss over
# 2h = 2e-5): the finite-difference comparison floors rel_error's denominator at FD_EPS, so entries below
# it must agree to 1e-10 absolutely and all others to FD_TOL relatively (see test_reference_lstm.py).
FD_EPS = 1e-3
AD_TOL = 1e-10  # torch autograd of the same forward, float64 (no floor)
VARIANTS = ("lecture", "pytorch")
GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "dbx", "dbh")


def make_params(rng, D, H):
    return (rng.normal(scale=0.5, size=(D, 3 * H)), rng.normal(scale=0.5, size=(H, 3 * H)),
            rng.normal(scale=0.5, size=3 * H), rng.normal(scale=0.5, size=3 * H))


def torch_gru(x, h, Wx, Wh, bx, bh, variant):
    """The same forward written with torch ops, batch-first: returns (hs, h_T)."""
    H = h.shape[1]
    Wxr, Wxz, Wxn = Wx.split(H, dim=1)
    Whr, Whz, Whn = Wh.split(H, dim=1)
    bxr, bxz, bxn = bx.split(H)
    bhr, bhz, bhn = bh.split(H)
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        r = torch.sigmoid(xt @ Wxr + h @ Whr + bxr + bhr)
        z = torch.sigmoid(xt @ Wxz + h @ Whz + bxz + bhz)
        if variant == "lecture":
            n = torch.tanh(xt @ Wxn + (r * h) @ Whn + bxn + bhn)
        else:
            n = torch.tanh(xt @ Wxn + bxn + r * (h @ Whn + bhn))
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs, dim=1), h


def torch_grads(arrays, loss_fn):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss_fn(*ts).backward()
    return [t.grad.numpy() for t in ts]


def assert_close(got, want, tol, names, eps=1e-12):
    for name, g, w in zip(names, got, want, strict=True):
        assert g.shape == w.shape, name
        err = rel_error(g, w, eps=eps)
        assert err <= tol, f"{name}: rel error {err:.2e}"


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("N", [1, 3])
def test_step_backward_matches_finite_differences_and_autograd(variant, N):
    rng = np.random.default_rng(N + 10 * (variant == "pytorch"))
    D, H = 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))

    _, cache = gru_step_forward(x, h_prev, Wx, Wh, bx, bh, variant=variant)
    grads = gru_step_backward(dh, cache)

    def loss():
        return np.sum(gru_step_forward(x, h_prev, Wx, Wh, bx, bh, variant=variant)[0] * dh)

    arrays = [x, h_prev, Wx, Wh, bx, bh]
    assert_close(grads, [numerical_gradient(loss, a) for a in arrays], FD_TOL, GRAD_NAMES, eps=FD_EPS)

    def torch_loss(x, h, Wx, Wh, bx, bh):
        return (torch_gru(x[:, None], h, Wx, Wh, bx, bh, variant)[1] * torch.tensor(dh)).sum()

    assert_close(grads, torch_grads(arrays, torch_loss), AD_TOL, GRAD_NAMES)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("N", "T", "final_grad"), [(3, 4, True), (2, 3, False), (1, 1, True), (1, 5, False)])
def test_sequence_backward_matches_finite_differences_and_autograd(variant, N, T, final_grad):
    rng = np.random.default_rng(100 * N + T + 7 * (variant == "pytorch"))
    D, H = 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h0, dout = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    dh_T = rng.normal(size=(N, H)) if final_grad else None

    _, _, cache = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
    grads = gru_backward(dout, cache, dh_T=dh_T)

    def loss():
        hs, h_T, _ = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
        return np.sum(hs * dout) + (np.sum(h_T * dh_T) if final_grad else 0.0)

    arrays = [x, h0, Wx, Wh, bx, bh]
    assert_close(grads, [numerical_gradient(loss, a) for a in arrays], FD_TOL, GRAD_NAMES, eps=FD_EPS)

    def torch_loss(x, h0, Wx, Wh, bx, bh):
        hs, h_T = torch_gru(x, h0, Wx, Wh, bx, bh, variant)
        total = (hs * torch.tensor(dout)).sum()
        return total + (h_T * torch.tensor(dh_T)).sum() if final_grad else total

    assert_close(grads, torch_grads(arrays, torch_loss), AD_TOL, GRAD_NAMES)
    if variant == "lecture":  # the two biases only appear as a sum
        np.testing.assert_array_equal(grads[4], grads[5])


@pytest.mark.parametrize("variant", VARIANTS)
def test_sequence_equals_repeated_steps_and_activations(variant):
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 5, 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    hs, h_T, cache = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
    h = h0
    for t in range(T):
        h, _ = gru_step_forward(x[:, t], h, Wx, Wh, bx, bh, variant=variant)
        np.testing.assert_allclose(hs[:, t], h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(h_T, h, rtol=0, atol=1e-14)

    a = gru_gate_activations(cache)
    assert set(a) == {"r", "z", "n", "h"} and all(v.shape == (N, T, H) for v in a.values())
    assert np.all((a["r"] > 0) & (a["r"] < 1) & (a["z"] > 0) & (a["z"] < 1) & (np.abs(a["n"]) < 1))
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    np.testing.assert_allclose(hs, (1 - a["z"]) * a["n"] + a["z"] * h_prev, atol=1e-14)
    np.testing.assert_array_equal(a["h"], hs)


# ----------------------------------------------------------------------------- torch.nn.GRU


def test_pytorch_variant_matches_torch_nn_gru_forward_and_weight_gradients():
    rng = np.random.default_rng(4)
    N, T, D, H = 3, 6, 4, 5
    torch.manual_seed(0)
    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    torch_params = [gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0]
    Wx, Wh, bx, bh = from_torch_gru(*[p.detach().numpy() for p in torch_params])
    assert Wx.shape == (D, 3 * H) and Wh.shape == (H, 3 * H)

    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    dout, dh_T = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    hs, h_T, cache = gru_forward(x, h0, Wx, Wh, bx, bh, variant="pytorch")
    dx, dh0, dWx, dWh, dbx, dbh = gru_backward(dout, cache, dh_T=dh_T)

    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    out, hn = gru(xt, h0t)
    ((out * torch.tensor(dout)).sum() + (hn[0] * torch.tensor(dh_T)).sum()).backward()

    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, hn[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dh0, h0t.grad[0].numpy(), rtol=0, atol=1e-10)
    for ours, p in zip(to_torch_gru(dWx, dWh, dbx, dbh), torch_params, strict=True):
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=0, atol=1e-10)


def test_lecture_variant_differs_from_torch_only_through_the_reset_gate():
    rng = np.random.default_rng(5)
    N, T, D, H = 2, 6, 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)

    def torch_out(bx):
        with torch.no_grad():
            for p, value in zip([gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0],
                                to_torch_gru(Wx, Wh, bx, bh), strict=True):
                p.copy_(torch.from_numpy(value))
            return gru(torch.tensor(x), torch.tensor(h0[None]))[0].numpy()

    lecture = gru_forward(x, h0, Wx, Wh, bx, bh, variant="lecture")[0]
    pytorch = gru_forward(x, h0, Wx, Wh, bx, bh, variant="pytorch")[0]
    np.testing.assert_allclose(pytorch, torch_out(bx), rtol=0, atol=1e-10)
    assert np.abs(lecture - pytorch).max() > 1e-2  # the documented difference is real
    # With the reset gate saturated at r = 1 both candidates are tanh(x Wxn + h Whn + bx_n + bh_n):
    bx_open = bx.copy()
    bx_open[:H] = 50.0  # σ(50 + ...) == 1.0 in float64
    lecture_open = gru_forward(x, h0, Wx, Wh, bx_open, bh, variant="lecture")[0]
    np.testing.assert_allclose(lecture_open, torch_out(bx_open), rtol=0, atol=1e-12)


def test_update_gate_convention_z_keeps_the_old_state():
    rng = np.random.default_rng(6)
    N, T, D, H = 2, 4, 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    for variant in VARIANTS:
        closed, opened = bx.copy(), bx.copy()
        closed[H : 2 * H] = 50.0  # z = 1: h_t = h_{t-1}
        opened[H : 2 * H] = -50.0  # z = 0: h_t = n_t
        _, h_T, _ = gru_forward(x, h0, Wx, Wh, closed, bh, variant=variant)
        np.testing.assert_allclose(h_T, h0, rtol=0, atol=1e-15)
        hs, _, cache = gru_forward(x, h0, Wx, Wh, opened, bh, variant=variant)
        np.testing.assert_allclose(hs, gru_gate_activations(cache)["n"], rtol=0, atol=1e-15)


def test_torch_layout_round_trip():
    rng = np.random.default_rng(7)
    Wx, Wh, bx, bh = make_params(rng, 3, 4)
    w_ih, w_hh, b_ih, b_hh = to_torch_gru(Wx, Wh, bx, bh)
    assert w_ih.shape == (12, 3) and w_hh.shape == (12, 4)
    np.testing.assert_array_equal(w_hh[4:8], Wh[:, 4:8].T)  # z block stays in the middle
    for ours, again in zip((Wx, Wh, bx, bh), from_torch_gru(w_ih, w_hh, b_ih, b_hh), strict=True):
        np.testing.assert_array_equal(ours, again)


def test_float32_stays_float32():
    rng = np.random.default_rng(8)
    N, T, D, H = 2, 3, 3, 4
    params = [a.astype(np.float32) for a in make_params(rng, D, H)]
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    for variant in VARIANTS:
        hs, h_T, cache = gru_forward(x, None, *params, variant=variant)
        assert hs.dtype == h_T.dtype == np.float32
        assert all(g.dtype == np.float32 for g in gru_backward(np.ones((N, T, H), np.float32), cache))
        hs64 = gru_forward(x.astype(np.float64), None, *params, variant=variant)[0]
        np.testing.assert_allclose(hs, hs64, atol=1e-5)


# ----------------------------------------------------------------------------- validation


def test_wrong_shapes_and_variant_raise_value_errors():
    rng = np.random.default_rng(9)
    N, T, D, H = 2, 3, 3, 4
    Wx, Wh, bx, bh = make_params(rng, D, H)
    x, h0 = rng.normal(size=(N, T, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        gru_forward(x[0], h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=r"Wx must have shape \(D, 3H\) = \(3, 12\), got \(3, 8\)"):
        gru_forward(x, h0, Wx[:, :8], Wh, bx, bh)
    with pytest.raises(ValueError, match=r"Wh must have shape \(H, 3H\) = \(4, 12\)"):
        gru_forward(x, h0, Wx, Wh[:, :8], bx, bh)
    with pytest.raises(ValueError, match=r"bh must have shape \(3H,\) = \(12,\)"):
        gru_forward(x, h0, Wx, Wh, bx, bh[:4])
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) = \(2, 4\)"):
        gru_forward(x, np.zeros((N, H + 1)), Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(N, H\) = \(2, 4\)"):
        gru_step_forward(x[:, 0], np.zeros((N + 1, H)), Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match="variant must be one of"):
        gru_forward(x, h0, Wx, Wh, bx, bh, variant="cho")
    _, _, cache = gru_forward(x, h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, T, H\) = \(2, 3, 4\)"):
        gru_backward(np.zeros((N, T, H + 1)), cache)
    with pytest.raises(ValueError, match=r"dh_T must have shape \(N, H\) = \(2, 4\)"):
        gru_backward(np.zeros((N, T, H)), cache, dh_T=np.zeros((1, H)))
    _, step_cache = gru_step_forward(x[:, 0], h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, H\) = \(2, 4\)"):
        gru_step_backward(np.zeros((H, N)), step_cache)
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(3H, H\)"):
        from_torch_gru(np.zeros((8, D)), np.zeros((8, 4)), np.zeros(8), np.zeros(8))
