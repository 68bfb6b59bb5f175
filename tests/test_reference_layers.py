"""Tests of course_lib.reference.layers: finite differences and torch autograd for every backward pass."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.reference.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from course_lib.reference.layers import (
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
    log_softmax,
    sigmoid,
    softmax,
    softmax_cross_entropy,
)

FD_TOL, TORCH_TOL = 1e-7, 1e-10


def t64(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


# ------------------------------------------------------------------------------------------- embedding
@pytest.mark.parametrize("idx_shape", [(3, 5), (4,), (1, 1)])
def test_embedding_forward_backward_repeated_indices(idx_shape):
    rng = np.random.default_rng(0)
    V, D = 4, 3
    idx = rng.integers(0, V, size=idx_shape)
    idx.flat[0] = idx.flat[-1] = 2  # force a repeat (a single-element idx repeats trivially)
    W = rng.standard_normal((V, D))
    out, cache = embedding_forward(idx, W)
    assert out.shape == idx_shape + (D,)
    np.testing.assert_array_equal(out, W[idx])
    dout = rng.standard_normal(out.shape)
    dW = embedding_backward(dout, cache)
    expected = np.zeros_like(W)  # explicit loop: row v collects every position that looked it up
    for pos in np.ndindex(idx.shape):
        expected[idx[pos]] += dout[pos]
    np.testing.assert_allclose(dW, expected, rtol=0, atol=1e-14)
    assert rel_error(dW, numerical_gradient_array(lambda: embedding_forward(idx, W)[0], W, dout)) < FD_TOL
    Wt = t64(W, grad=True)
    F.embedding(torch.tensor(idx), Wt).backward(torch.tensor(dout))
    assert rel_error(dW, Wt.grad.numpy()) < TORCH_TOL


def test_embedding_repeated_index_accumulates_not_overwrites():
    W = np.zeros((3, 2))
    _, cache = embedding_forward(np.array([1, 1, 1]), W)
    dW = embedding_backward(np.ones((3, 2)), cache)
    np.testing.assert_array_equal(dW, [[0, 0], [3, 3], [0, 0]])


def test_embedding_bad_input():
    W = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"idx must lie in \[0, V\) = \[0, 5\)"):
        embedding_forward(np.array([[0, 5]]), W)
    with pytest.raises(ValueError, match="integer"):
        embedding_forward(np.array([[0.0, 1.0]]), W)
    with pytest.raises(ValueError, match=r"W must have shape \(V, D\)"):
        embedding_forward(np.array([0]), np.zeros(5))
    _, cache = embedding_forward(np.array([[0, 1]]), W)
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 3\), got \(1, 2, 4\)"):
        embedding_backward(np.zeros((1, 2, 4)), cache)


# ---------------------------------------------------------------------------------------------- affine
@pytest.mark.parametrize("x_shape", [(4, 3), (2, 5, 3), (1, 3), (1, 1, 3)])
def test_affine_backward(x_shape):
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal((3, 6)), rng.standard_normal(6)
    out, cache = affine_forward(x, W, b)
    assert out.shape == x_shape[:-1] + (6,)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = affine_backward(dout, cache)
    f = lambda: affine_forward(x, W, b)[0]
    for grad, arr in ((dx, x), (dW, W), (db, b)):
        assert rel_error(grad, numerical_gradient_array(f, arr, dout)) < FD_TOL
    xt, Wt, bt = t64(x, True), t64(W, True), t64(b, True)
    yt = xt @ Wt + bt
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-14)
    yt.backward(torch.tensor(dout))
    for grad, tt in ((dx, xt), (dW, Wt), (db, bt)):
        assert rel_error(grad, tt.grad.numpy()) < TORCH_TOL


def test_affine_bad_shapes_name_expected_shape():
    W, b = np.zeros((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x must have shape \(\?, D\) = \(\?, 3\), got \(2, 5\)"):
        affine_forward(np.zeros((2, 5)), W, b)
    with pytest.raises(ValueError, match=r"b must have shape \(M,\) = \(4,\), got \(3,\)"):
        affine_forward(np.zeros((2, 3)), W, np.zeros(3))
    with pytest.raises(ValueError, match="float32 or float64"):
        affine_forward(np.zeros((2, 3), dtype=int), W, b)


def test_affine_keeps_float32():
    x, W, b = (np.ones(shape, np.float32) for shape in ((2, 3), (3, 4), (4,)))
    out, cache = affine_forward(x, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in affine_backward(np.ones((2, 4), np.float32), cache))


# --------------------------------------------------------------------------------------- sigmoid, softmax
def test_sigmoid_stable_and_correct():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(x)
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-15, atol=1e-300)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert sigmoid(np.float32([-200, 200])).dtype == np.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        sigmoid(np.array([1, 2]))


def test_softmax_and_log_softmax_stable():
    x = np.array([[1000.0, 1001.0, 999.0], [0.0, -1000.0, 1.0], [3.0, 3.0, 3.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p, lp = softmax(x), log_softmax(x)
    np.testing.assert_allclose(p, torch.softmax(torch.tensor(x), -1).numpy(), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(lp, torch.log_softmax(torch.tensor(x), -1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-15)
    assert np.isfinite(lp).all() and lp[1, 1] == pytest.approx(-1001.0 - np.log1p(np.exp(-1.0)), rel=1e-14)
    np.testing.assert_allclose(softmax(x, axis=0).sum(0), 1.0, rtol=1e-15)


# ---------------------------------------------------------------------------------------- cross-entropy
def _torch_ce(logits, targets, mask):
    lt = t64(logits, True)
    tt = torch.tensor(np.where(mask, targets, -100))
    loss = F.cross_entropy(lt.reshape(-1, logits.shape[-1]), tt.reshape(-1), ignore_index=-100)
    loss.backward()
    return loss.item(), lt.grad.numpy()


@pytest.mark.parametrize("shape", [(2, 5, 4), (6, 4), (1, 1, 4)])
def test_cross_entropy_with_mask(shape):
    rng = np.random.default_rng(2)
    logits = rng.standard_normal(shape)  # moderate logits: no probability so tiny that FD noise dominates
    lead = shape[:-1]
    targets = rng.integers(0, shape[-1], size=lead)
    mask = rng.random(lead) < 0.6
    mask.flat[0] = True
    targets[~mask] = -1  # padding holds an invalid class; it must be ignored
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    tl, tg = _torch_ce(logits, targets, mask)
    assert loss == pytest.approx(tl, rel=1e-13)
    assert rel_error(dlogits, tg) < TORCH_TOL
    num = numerical_gradient(lambda: softmax_cross_entropy(logits, targets, mask)[0], logits)
    assert rel_error(dlogits, num) < FD_TOL
    assert np.all(dlogits[~mask] == 0)
    # explicit formula: mean of -log p(target) over the unmasked positions
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    picked = np.take_along_axis(p, np.where(mask, targets, 0)[..., None], -1)[..., 0]
    assert loss == pytest.approx(-np.log(picked[mask]).mean(), rel=1e-12)


def test_cross_entropy_without_mask_and_int_mask():
    rng = np.random.default_rng(3)
    logits, targets = rng.standard_normal((3, 4, 5)), rng.integers(0, 5, (3, 4))
    loss, d = softmax_cross_entropy(logits, targets)
    tl, tg = _torch_ce(logits, targets, np.ones((3, 4), bool))
    assert loss == pytest.approx(tl, rel=1e-13) and rel_error(d, tg) < TORCH_TOL
    loss01, d01 = softmax_cross_entropy(logits, targets, np.ones((3, 4), dtype=np.int64))
    assert loss01 == loss and np.array_equal(d01, d)


def test_cross_entropy_all_masked_and_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0]])
    loss, d = softmax_cross_entropy(logits, np.array([1]), np.array([False]))
    assert loss == 0.0 and np.all(d == 0)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, d = softmax_cross_entropy(logits, np.array([1]))
    assert loss == pytest.approx(2e4, rel=1e-15) and np.isfinite(d).all()


def test_cross_entropy_bad_input():
    logits = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\), got \(2,\)"):
        softmax_cross_entropy(logits, np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\)"):
        softmax_cross_entropy(logits, np.zeros((2, 3), dtype=int), np.ones((3, 2), bool))
    with pytest.raises(ValueError, match=r"\[0, C\) = \[0, 4\)"):
        softmax_cross_entropy(logits, np.full((2, 3), 4))
    with pytest.raises(ValueError, match="integer"):
        softmax_cross_entropy(logits, np.zeros((2, 3)))
