"""Tests for course_lib.reference.lstm: finite differences, torch autograd, torch.nn.LSTM, shapes."""

import numpy as np
import pytest
import torch

from course_lib.reference.gradcheck import numerical_gradient, rel_error
from course_lib.reference.lstm import (
    from_torch_lstm,
    lstm_backward,
    lstm_forward,
    lstm_gate_activations,
    lstm_step_backward,
    lstm_step_forward,
    to_torch_lstm,
)

FD_TOL = 1e-7  # centred finite differences, float64
# Centred differences carry an *absolute* error of about 1e-11..1e-10 here (round-off of an O(1) loss over
# 2h = 2e-5), so an entry whose true value is ~1e-6 can show a relative error of 1e-5 without any bug. The
# finite-difference comparison therefore floors the denominator of rel_error at FD_EPS: entries below it
# must agree to FD_TOL * FD_EPS = 1e-10 absolutely, all others to FD_TOL relatively.
FD_EPS = 1e-3
AD_TOL = 1e-10  # torch autograd of the same forward, float64 (no floor)
GRAD_NAMES = ("dx", "dh0", "dc0", "dWx", "dWh", "db", "dP")


def make_params(rng, D, H, peepholes):
    Wx = rng.normal(scale=0.5, size=(D, 4 * H))
    Wh = rng.normal(scale=0.5, size=(H, 4 * H))
    b = rng.normal(scale=0.5, size=4 * H)
    P = rng.normal(scale=0.5, size=(3, H)) if peepholes else None
    return Wx, Wh, b, P


def torch_lstm(x, h, c, Wx, Wh, b, P):
    """The same forward written with torch ops (deck 000 Part 3), batch-first: returns (hs, h_T, c_T)."""
    H = h.shape[1]
    outs = []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        ai, af, ag, ao = a.split(H, dim=1)
        if P is not None:
            ai, af = ai + P[0] * c, af + P[1] * c
        c = torch.tanh(ag) * torch.sigmoid(ai) + c * torch.sigmoid(af)
        if P is not None:
            ao = ao + P[2] * c
        h = torch.tanh(c) * torch.sigmoid(ao)
        outs.append(h)
    return torch.stack(outs, dim=1), h, c


def torch_grads(arrays, loss_fn):
    """Gradients of ``loss_fn(*tensors)`` w.r.t. every non-None array (None stays None)."""
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    loss_fn(*ts).backward()
    return [None if t is None else t.grad.numpy() for t in ts]


def assert_close(got, want, tol, names, eps=1e-12):
    for name, g, w in zip(names, got, want, strict=True):
        if w is None:
            assert g is None, name
            continue
        assert g.shape == w.shape, name
        err = rel_error(g, w, eps=eps)
        assert err <= tol, f"{name}: rel error {err:.2e}"


# ----------------------------------------------------------------------------- one step


@pytest.mark.parametrize("peepholes", [False, True])
@pytest.mark.parametrize("N", [1, 3])
def test_step_backward_matches_finite_differences_and_autograd(peepholes, N):
    rng = np.random.default_rng(1 + N + 10 * peepholes)
    D, H = 3, 4
    Wx, Wh, b, P = make_params(rng, D, H, peepholes)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))

    h, c, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, peepholes=P)
    grads = lstm_step_backward(dh, dc, cache)

    def loss():
        h, c, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, peepholes=P)
        return np.sum(h * dh) + np.sum(c * dc)

    arrays = [x, h_prev, c_prev, Wx, Wh, b, P]
    numeric = [None if a is None else numerical_gradient(loss, a) for a in arrays]
    assert_close(grads, numeric, FD_TOL, GRAD_NAMES, eps=FD_EPS)

    def torch_loss(x, h, c, Wx, Wh, b, P):
        _, h, c = torch_lstm(x[:, None], h, c, Wx, Wh, b, P)
        return (h * torch.tensor(dh)).sum() + (c * torch.tensor(dc)).sum()

    assert_close(grads, torch_grads(arrays, torch_loss), AD_TOL, GRAD_NAMES)


# ----------------------------------------------------------------------------- whole sequence


@pytest.mark.parametrize("peepholes", [False, True])
@pytest.mark.parametrize(("N", "T", "final_grads"), [(3, 4, True), (2, 3, False), (1, 1, True), (1, 5, False)])
def test_sequence_backward_matches_finite_differences_and_autograd(peepholes, N, T, final_grads):
    rng = np.random.default_rng(100 * N + T + 7 * peepholes)
    D, H = 3, 4
    Wx, Wh, b, P = make_params(rng, D, H, peepholes)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dout = rng.normal(size=(N, T, H))
    dh_T = rng.normal(size=(N, H)) if final_grads else None
    dc_T = rng.normal(size=(N, H)) if final_grads else None

    _, _, cache = lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=P)
    grads = lstm_backward(dout, cache, dh_T=dh_T, dc_T=dc_T)

    def loss():
        hs, (h_T, c_T), _ = lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=P)
        total = np.sum(hs * dout)
        if final_grads:
            total += np.sum(h_T * dh_T) + np.sum(c_T * dc_T)
        return total

    arrays = [x, h0, c0, Wx, Wh, b, P]
    numeric = [None if a is None else numerical_gradient(loss, a) for a in arrays]
    assert_close(grads, numeric, FD_TOL, GRAD_NAMES, eps=FD_EPS)

    def torch_loss(x, h0, c0, Wx, Wh, b, P):
        hs, h_T, c_T = torch_lstm(x, h0, c0, Wx, Wh, b, P)
        total = (hs * torch.tensor(dout)).sum()
        if final_grads:
            total = total + (h_T * torch.tensor(dh_T)).sum() + (c_T * torch.tensor(dc_T)).sum()
        return total

    assert_close(grads, torch_grads(arrays, torch_loss), AD_TOL, GRAD_NAMES)


@pytest.mark.parametrize("peepholes", [False, True])
def test_sequence_equals_repeated_steps(peepholes):
    rng = np.random.default_rng(5)
    N, T, D, H = 2, 6, 3, 5
    Wx, Wh, b, P = make_params(rng, D, H, peepholes)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    hs, (h_T, c_T), cache = lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=P)
    acts = lstm_gate_activations(cache)
    h, c = h0, c0
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b, peepholes=P)
        np.testing.assert_allclose(hs[:, t], h, rtol=0, atol=1e-14)
        np.testing.assert_allclose(acts["c"][:, t], c, rtol=0, atol=1e-14)
        np.testing.assert_allclose(acts["o"][:, t], step_cache["gates"][:, 3 * H :], rtol=0, atol=1e-14)
    np.testing.assert_allclose(h_T, h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_T, c, rtol=0, atol=1e-14)


def test_gate_activations_obey_the_cell_equations():
    rng = np.random.default_rng(6)
    N, T, D, H = 2, 5, 3, 4
    Wx, Wh, b, _ = make_params(rng, D, H, False)
    x, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    hs, _, cache = lstm_forward(x, None, c0, Wx, Wh, b)
    a = lstm_gate_activations(cache)
    assert set(a) == {"i", "f", "g", "z", "o", "c", "h"}
    for key in a:
        assert a[key].shape == (N, T, H)
    for gate in "ifo":
        assert np.all((a[gate] > 0) & (a[gate] < 1))
    assert np.all(np.abs(a["g"]) < 1)
    c_prev = np.concatenate([c0[:, None], a["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(a["c"], a["g"] * a["i"] + c_prev * a["f"], atol=1e-14)
    np.testing.assert_allclose(a["h"], np.tanh(a["c"]) * a["o"], atol=1e-14)
    np.testing.assert_array_equal(a["h"], hs)
    a["c"][:] = 0  # copies: the cache is untouched
    assert np.any(lstm_gate_activations(cache)["c"] != 0)


# ----------------------------------------------------------------------------- torch.nn.LSTM


def test_matches_torch_nn_lstm_forward_and_weight_gradients():
    rng = np.random.default_rng(7)
    N, T, D, H = 3, 6, 4, 5
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    torch_params = [lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0]
    Wx, Wh, b = from_torch_lstm(*[p.detach().numpy() for p in torch_params])
    assert Wx.shape == (D, 4 * H) and Wh.shape == (H, 4 * H) and b.shape == (4 * H,)

    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dout, dh_T, dc_T = rng.normal(size=(N, T, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    hs, (h_T, c_T), cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dx, dh0, dc0, dWx, dWh, db, dP = lstm_backward(dout, cache, dh_T=dh_T, dc_T=dc_T)
    assert dP is None

    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = torch.tensor(h0[None], requires_grad=True), torch.tensor(c0[None], requires_grad=True)
    out, (hn, cn) = lstm(xt, (h0t, c0t))
    loss = (out * torch.tensor(dout)).sum() + (hn[0] * torch.tensor(dh_T)).sum()
    (loss + (cn[0] * torch.tensor(dc_T)).sum()).backward()

    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, hn[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_T, cn[0].detach().numpy(), rtol=0, atol=1e-10)
    for ours, theirs in [(dx, xt.grad[...]), (dh0, h0t.grad[0]), (dc0, c0t.grad[0])]:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=0, atol=1e-10)
    # weight gradients, brought into torch's layout with the same conversion as the weights
    g_ih, g_hh, g_b, _ = to_torch_lstm(dWx, dWh, db)
    np.testing.assert_allclose(g_ih, lstm.weight_ih_l0.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(g_hh, lstm.weight_hh_l0.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(g_b, lstm.bias_ih_l0.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(g_b, lstm.bias_hh_l0.grad.numpy(), rtol=0, atol=1e-10)


def test_torch_layout_round_trip_and_copy_into_torch():
    rng = np.random.default_rng(8)
    N, T, D, H = 2, 4, 3, 4
    Wx, Wh, b, _ = make_params(rng, D, H, False)
    w_ih, w_hh, b_ih, b_hh = to_torch_lstm(Wx, Wh, b)
    assert w_ih.shape == (4 * H, D) and w_hh.shape == (4 * H, H)
    back = from_torch_lstm(w_ih, w_hh, b_ih, b_hh)
    for ours, again in zip((Wx, Wh, b), back, strict=True):
        np.testing.assert_array_equal(ours, again)
    # NumPy weights copied into a torch.nn.LSTM give the same outputs (gate order [i, f, g, o])
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p, value in zip([lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0],
                            (w_ih, w_hh, b_ih, b_hh), strict=True):
            p.copy_(torch.from_numpy(value))
        x = rng.normal(size=(N, T, D))
        out, _ = lstm(torch.tensor(x))
    hs, _, _ = lstm_forward(x, None, None, Wx, Wh, b)
    np.testing.assert_allclose(hs, out.numpy(), rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- peepholes, dtype


def test_zero_peepholes_equal_the_standard_lstm_and_nonzero_ones_do_not():
    rng = np.random.default_rng(9)
    N, T, D, H = 2, 5, 3, 4
    Wx, Wh, b, P = make_params(rng, D, H, True)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dout = rng.normal(size=(N, T, H))
    hs, (h_T, c_T), cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    hs0, (h_T0, c_T0), cache0 = lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=np.zeros((3, H)))
    np.testing.assert_allclose(hs0, hs, rtol=0, atol=1e-15)
    np.testing.assert_allclose(c_T0, c_T, rtol=0, atol=1e-15)
    grads, grads0 = lstm_backward(dout, cache), lstm_backward(dout, cache0)
    for g, g0 in zip(grads[:6], grads0[:6], strict=True):
        np.testing.assert_allclose(g0, g, rtol=0, atol=1e-14)
    assert grads0[6].shape == (3, H) and np.abs(grads0[6]).max() > 1e-3  # P = 0 is not a stationary point
    hsP, _, _ = lstm_forward(x, h0, c0, Wx, Wh, b, peepholes=P)
    assert np.abs(hsP - hs).max() > 1e-2


def test_float32_stays_float32():
    rng = np.random.default_rng(10)
    N, T, D, H = 2, 3, 3, 4
    Wx, Wh, b, P = (a.astype(np.float32) for a in make_params(rng, D, H, True))
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    h0 = np.zeros((N, H), np.float32)
    hs, (h_T, c_T), cache = lstm_forward(x, h0, h0, Wx, Wh, b, peepholes=P)
    assert hs.dtype == h_T.dtype == c_T.dtype == np.float32
    grads = lstm_backward(np.ones((N, T, H), np.float32), cache)
    assert all(g.dtype == np.float32 for g in grads)
    hs64, _, _ = lstm_forward(x.astype(np.float64), h0, h0, Wx, Wh, b, peepholes=P)
    np.testing.assert_allclose(hs, hs64, atol=1e-5)


def test_sigmoid_is_stable_for_huge_preactivations():
    H = 2
    Wx = np.zeros((1, 4 * H))
    Wx[0, :H] = 1e4  # input gate pre-activation ±1e4
    x = np.array([[[1.0], [-1.0]]])
    with np.errstate(all="raise"):
        hs, _, cache = lstm_forward(x, None, None, Wx, np.zeros((H, 4 * H)), np.zeros(4 * H))
    acts = lstm_gate_activations(cache)
    np.testing.assert_array_equal(acts["i"][0, :, 0], [1.0, 0.0])
    assert np.all(np.isfinite(hs))


# ----------------------------------------------------------------------------- validation


def test_wrong_shapes_raise_value_errors_naming_the_expected_shape():
    rng = np.random.default_rng(11)
    N, T, D, H = 2, 3, 3, 4
    Wx, Wh, b, _ = make_params(rng, D, H, False)
    x, h0 = rng.normal(size=(N, T, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        lstm_forward(x[0], h0, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"Wx must have shape \(D, 4H\) = \(3, 16\), got \(3, 12\)"):
        lstm_forward(x, h0, h0, Wx[:, :12], Wh, b)
    with pytest.raises(ValueError, match=r"Wh must have shape \(H, 4H\) = \(4, 16\)"):
        lstm_forward(x, h0, h0, Wx, Wh[:, :12], b)
    with pytest.raises(ValueError, match=r"b must have shape \(4H,\) = \(16,\)"):
        lstm_forward(x, h0, h0, Wx, Wh, b[:4])
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) = \(2, 4\)"):
        lstm_forward(x, np.zeros((N, H + 1)), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"c0 must have shape \(N, H\) = \(2, 4\)"):
        lstm_forward(x, h0, np.zeros((N + 1, H)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"peepholes must have shape \(3, H\) = \(3, 4\)"):
        lstm_forward(x, h0, h0, Wx, Wh, b, peepholes=np.zeros((4, H)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) = \(2, 3\), got \(2, 2\)"):
        lstm_step_forward(x[:, 0, :2], h0, h0, Wx, Wh, b)
    _, _, cache = lstm_forward(x, h0, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, T, H\) = \(2, 3, 4\)"):
        lstm_backward(np.zeros((N, T + 1, H)), cache)
    with pytest.raises(ValueError, match=r"dc_T must have shape \(N, H\) = \(2, 4\)"):
        lstm_backward(np.zeros((N, T, H)), cache, dc_T=np.zeros(H))
    _, _, step_cache = lstm_step_forward(x[:, 0], h0, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dc must have shape \(N, H\) = \(2, 4\)"):
        lstm_step_backward(np.zeros((N, H)), np.zeros((H, N)), step_cache)
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(4H, H\)"):
        from_torch_lstm(np.zeros((12, D)), np.zeros((12, 4)), np.zeros(12), np.zeros(12))
    with pytest.raises(ValueError, match="float32 or float64"):
        lstm_forward(x.astype(int), h0, h0, Wx, Wh, b)
