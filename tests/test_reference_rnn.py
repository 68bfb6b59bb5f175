"""Tests of course_lib.reference.rnn: one step, BPTT, truncated BPTT and the hidden-state Jacobians.

Every backward pass is checked twice: centred finite differences (rel. error <= 1e-7) and torch autograd of
the same forward written in torch (<= 1e-10), all in float64.
"""

import numpy as np
import pytest
import torch

from course_lib.reference.gradcheck import numerical_gradient_array, rel_error
from course_lib.reference.rnn import (
    rnn_backward,
    rnn_forward,
    rnn_hidden_jacobian_norms,
    rnn_hidden_jacobians,
    rnn_step_backward,
    rnn_step_forward,
    rnn_truncated_bptt,
    truncated_bptt_segments,
)

FD_TOL, TORCH_TOL = 1e-7, 1e-10
ACT = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}


def make_rnn(N, T, D, H, activation, seed=0, margin=1e-2):
    """Random inputs and weights. For relu the seed is advanced until every pre-activation a_t lies at least
    ``margin`` away from the kink at 0, so that a 1e-5 finite-difference step never crosses it."""
    while True:
        rng = np.random.default_rng(seed)
        x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
        Wx, Wh = rng.standard_normal((D, H)) / np.sqrt(D), rng.standard_normal((H, H)) / np.sqrt(H)
        b = rng.standard_normal(H)
        _, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
        if activation != "relu" or min(np.abs(c[4]).min() for c in cache) > margin:
            return rng, x, h0, Wx, Wh, b
        seed += 1000


def torch_rnn(x, h0, Wx, Wh, b, activation):
    """The same forward, written in torch: returns h (N, T, H)."""
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = ACT[activation](x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return torch.stack(hs, dim=1)


def leaves(*arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize("N", [3, 1])
def test_step_backward(activation, N):
    rng, x, h0, Wx, Wh, b = make_rnn(N, 1, 4, 5, activation)
    x = x[:, 0]
    h, cache = rnn_step_forward(x, h0, Wx, Wh, b, activation)
    dh = rng.standard_normal(h.shape)
    grads = rnn_step_backward(dh, cache)
    f = lambda: rnn_step_forward(x, h0, Wx, Wh, b, activation)[0]
    for g, arr in zip(grads, (x, h0, Wx, Wh, b), strict=True):
        assert rel_error(g, numerical_gradient_array(f, arr, dh)) < FD_TOL
    ts = leaves(x, h0, Wx, Wh, b)
    ht = ACT[activation](ts[0] @ ts[2] + ts[1] @ ts[3] + ts[4])
    np.testing.assert_allclose(h, ht.detach().numpy(), rtol=1e-14, atol=1e-15)
    ht.backward(torch.tensor(dh))
    for g, tt in zip(grads, ts, strict=True):
        assert rel_error(g, tt.grad.numpy()) < TORCH_TOL


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize(("N", "T"), [(3, 4), (1, 6), (2, 1), (1, 1)])
@pytest.mark.parametrize("with_final", [False, True])
def test_rnn_backward_bptt(activation, N, T, with_final):
    rng, x, h0, Wx, Wh, b = make_rnn(N, T, 3, 4, activation, seed=N * 10 + T)
    h, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    assert h.shape == (N, T, 4)
    dh = rng.standard_normal(h.shape)
    dh_final = rng.standard_normal((N, 4)) if with_final else None
    grads = rnn_backward(dh, cache, dh_final)
    # the scalar being differentiated: sum(h * dh) + sum(h_T * dh_final)
    extra = np.zeros_like(dh)
    if with_final:
        extra[:, -1] = dh_final
    f = lambda: rnn_forward(x, h0, Wx, Wh, b, activation)[0]
    for g, arr in zip(grads, (x, h0, Wx, Wh, b), strict=True):
        assert rel_error(g, numerical_gradient_array(f, arr, dh + extra)) < FD_TOL
    ts = leaves(x, h0, Wx, Wh, b)
    ht = torch_rnn(*ts, activation)
    np.testing.assert_allclose(h, ht.detach().numpy(), rtol=1e-13, atol=1e-14)
    ht.backward(torch.tensor(dh + extra))
    for g, tt in zip(grads, ts, strict=True):
        assert rel_error(g, tt.grad.numpy()) < TORCH_TOL


def test_relu_derivative_at_the_kink_is_zero_like_torch():
    x, h0 = np.array([[1.0, -1.0]]), np.array([[0.5, 0.0]])
    Wx, Wh, b = np.eye(2), np.array([[0.0, 2.0], [1.0, 0.0]]), np.array([-1.0, 0.0])
    h, cache = rnn_step_forward(x, h0, Wx, Wh, b, "relu")  # a = [0, 0]: both units sit on the kink
    np.testing.assert_array_equal(cache[4], [[0.0, 0.0]])
    dx = rnn_step_backward(np.ones((1, 2)), cache)[0]
    ts = leaves(x, h0, Wx, Wh, b)
    torch.relu(ts[0] @ ts[2] + ts[1] @ ts[3] + ts[4]).sum().backward()
    np.testing.assert_array_equal(dx, ts[0].grad.numpy())
    np.testing.assert_array_equal(dx, [[0.0, 0.0]])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_forward_matches_torch_nn_rnn(activation):
    _, x, h0, Wx, Wh, b = make_rnn(2, 7, 3, 5, activation)
    rnn = torch.nn.RNN(3, 5, nonlinearity=activation, batch_first=True).double()
    with torch.no_grad():  # torch stores the transposed weights and two biases
        rnn.weight_ih_l0.copy_(torch.tensor(Wx.T))
        rnn.weight_hh_l0.copy_(torch.tensor(Wh.T))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
        out, hn = rnn(torch.tensor(x), torch.tensor(h0)[None])
    h, _ = rnn_forward(x, h0, Wx, Wh, b, activation)
    np.testing.assert_allclose(h, out.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h[:, -1], hn[0].numpy(), rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------------------------------ truncated BPTT
def test_truncated_bptt_segments():
    assert truncated_bptt_segments(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert truncated_bptt_segments(3, 3) == [(0, 3)]
    assert truncated_bptt_segments(3, 50) == [(0, 3)]
    assert truncated_bptt_segments(1, 1) == [(0, 1)]
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        truncated_bptt_segments(5, 0)


def _problem(activation, T=11, seed=5):
    rng, x, h0, Wx, Wh, b = make_rnn(2, T, 3, 4, activation, seed=seed)
    Y = rng.standard_normal((2, T, 4))

    def loss_grad_fn(h_seg, start, stop):  # L = 1/2 sum_t ||h_t - y_t||^2
        diff = h_seg - Y[:, start:stop]
        return 0.5 * float(np.sum(diff**2)), diff

    return x, h0, {"Wx": Wx, "Wh": Wh, "b": b}, Y, loss_grad_fn


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("k", [11, 12, 100])
def test_truncated_bptt_with_long_k_is_exactly_full_bptt(activation, k):
    x, h0, p, Y, loss_grad_fn = _problem(activation)
    loss, grads, h_final = rnn_truncated_bptt(x, h0, p, k, loss_grad_fn, activation)
    h, cache = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"], activation)
    full = dict(zip(("x", "h0", "Wx", "Wh", "b"), rnn_backward(h - Y, cache), strict=True))
    assert loss == 0.5 * float(np.sum((h - Y) ** 2))
    for name, g in full.items():
        np.testing.assert_array_equal(grads[name], g)
    np.testing.assert_array_equal(h_final, h[:, -1])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("k", [1, 3, 4, 10])
def test_truncated_bptt_equals_detached_segments_in_torch(activation, k):
    x, h0, p, Y, loss_grad_fn = _problem(activation)
    loss, grads, h_final = rnn_truncated_bptt(x, h0, p, k, loss_grad_fn, activation)
    xt, h0t, Wx, Wh, b = leaves(x, h0, p["Wx"], p["Wh"], p["b"])
    carry, total = h0t, 0.0
    for s in range(0, x.shape[1], k):  # reference: torch, with the carried state detached at each boundary
        hs = torch_rnn(xt[:, s : s + k], carry, Wx, Wh, b, activation)
        total = total + 0.5 * ((hs - torch.tensor(Y[:, s : s + k])) ** 2).sum()
        carry = hs[:, -1].detach()
    total.backward()
    assert loss == pytest.approx(total.item(), rel=1e-13)
    for name, tt in (("x", xt), ("h0", h0t), ("Wx", Wx), ("Wh", Wh), ("b", b)):
        assert rel_error(grads[name], tt.grad.numpy()) < TORCH_TOL, name
    h, cache = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"], activation)
    np.testing.assert_array_equal(h_final, h[:, -1])  # (c): same final state as the full forward
    full_dWh = rnn_backward(h - Y, cache)[3]
    assert rel_error(grads["Wh"], full_dWh) > 1e-3  # truncation really drops cross-boundary terms


def test_truncated_bptt_on_segment_trains_between_segments():
    x, h0, p, Y, loss_grad_fn = _problem("tanh", T=9)
    p0 = {k: v.copy() for k, v in p.items()}
    seen = []

    def sgd_step(seg_grads, start, stop):
        seen.append((start, stop))
        for name, g in seg_grads.items():
            p[name] -= 0.1 * g

    _, _, h_final = rnn_truncated_bptt(x, h0, p, 3, loss_grad_fn, "tanh", on_segment=sgd_step)
    assert seen == [(0, 3), (3, 6), (6, 9)]
    # replay by hand: each segment runs with the parameters updated after the previous one
    q, h = {k: v.copy() for k, v in p0.items()}, h0
    for s, e in seen:
        hs, cache = rnn_forward(x[:, s:e], h, q["Wx"], q["Wh"], q["b"], "tanh")
        _, _, dWx, dWh, db = rnn_backward(hs - Y[:, s:e], cache)
        for name, g in (("Wx", dWx), ("Wh", dWh), ("b", db)):
            q[name] -= 0.1 * g
        h = hs[:, -1]
    for name in p:
        assert rel_error(p[name], q[name]) < 1e-14 and rel_error(p[name], p0[name]) > 1e-3
    np.testing.assert_allclose(h_final, h, rtol=1e-14)


# ----------------------------------------------------------------------------------- hidden Jacobians
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_hidden_jacobians_match_torch(activation):
    _, x, h0, Wx, Wh, b = make_rnn(2, 5, 3, 4, activation, seed=7)
    h, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    J = rnn_hidden_jacobians(cache)
    assert J.shape == (2, 6, 4, 4)
    xt, Wxt, Wht, bt = (torch.tensor(a) for a in (x, Wx, Wh, b))
    states = np.concatenate([h0[:, None], h], axis=1)  # h_0 .. h_T
    for n in range(2):
        for t in range(6):

            def run_from(s, n=n, t=t):  # h_T as a function of h_t, for example n
                for i in range(t, 5):
                    s = ACT[activation](xt[n, i] @ Wxt + s @ Wht + bt)
                return s

            Jt = torch.autograd.functional.jacobian(run_from, torch.tensor(states[n, t]))
            np.testing.assert_allclose(J[n, t], Jt.numpy(), rtol=1e-11, atol=1e-13)
    norms = rnn_hidden_jacobian_norms(cache)
    np.testing.assert_allclose(norms, np.linalg.svd(J, compute_uv=False)[..., 0], rtol=1e-12)
    np.testing.assert_allclose(rnn_hidden_jacobian_norms(cache, "fro")[:, -1], 2.0)  # ||I_4||_F = sqrt(4)


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_linear_rnn_jacobian_norms_are_powers_of_rho(rho):
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    T = 8
    x = rng.standard_normal((1, T, 2))
    h0, Wx = rng.standard_normal((1, 6)), rng.standard_normal((2, 6))
    _, cache = rnn_forward(x, h0, Wx, rho * Q, np.zeros(6), "linear")
    norms = rnn_hidden_jacobian_norms(cache)
    np.testing.assert_allclose(norms[0], rho ** (T - np.arange(T + 1.0)), rtol=1e-12)


def test_tanh_jacobian_norms_vanish_with_small_recurrent_weights():
    rng = np.random.default_rng(4)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    x = rng.standard_normal((3, 30, 2))
    _, cache = rnn_forward(x, np.zeros((3, 5)), rng.standard_normal((2, 5)), 0.9 * Q, np.zeros(5), "tanh")
    norms = rnn_hidden_jacobian_norms(cache)
    assert np.all(np.diff(norms, axis=1) > 0)  # strictly shrinking as t moves away from T
    assert np.all(norms[:, 0] < 0.9**30)  # |tanh'| <= 1 can only make it smaller than the linear case
    with pytest.raises(ValueError, match="spectral"):
        rnn_hidden_jacobian_norms(cache, "nuclear")


# ------------------------------------------------------------------------------------------ bad input
def test_bad_input_names_expected_shape():
    x, h0, Wx, Wh, b = np.zeros((2, 5, 3)), np.zeros((2, 4)), np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\) = \(\?, \?, 3\), got \(2, 3\)"):
        rnn_forward(np.zeros((2, 3)), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) = \(2, 4\), got \(3, 4\)"):
        rnn_forward(x, np.zeros((3, 4)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"Wh must have shape \(H, H\) = \(4, 4\), got \(4, 5\)"):
        rnn_step_forward(x[:, 0], h0, Wx, np.zeros((4, 5)), b)
    with pytest.raises(ValueError, match=r"b must have shape \(H,\) = \(4,\)"):
        rnn_forward(x, h0, Wx, Wh, np.zeros(5))
    with pytest.raises(ValueError, match="float32 or float64"):
        rnn_forward(x.astype(int), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_forward(x, h0, Wx, Wh, b, "sigmoid")
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        rnn_forward(np.zeros((2, 0, 3)), h0, Wx, Wh, b)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh must have shape \(2, 5, 4\), got \(2, 4, 4\)"):
        rnn_backward(np.zeros((2, 4, 4)), cache)
    with pytest.raises(ValueError, match=r"dh_final must have shape \(2, 4\)"):
        rnn_backward(np.zeros((2, 5, 4)), cache, np.zeros((4,)))


def test_float32_is_kept():
    args = [a.astype(np.float32) for a in make_rnn(2, 3, 2, 3, "tanh")[1:]]
    h, cache = rnn_forward(*args)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(np.ones_like(h), cache))
