"""Tests of course_lib.reference.optim against torch.optim / torch.nn.utils and on a convex quadratic."""

import numpy as np
import pytest
import torch

from course_lib.reference.gradcheck import rel_error
from course_lib.reference.optim import SGD, Adagrad, Adam, RMSProp, clip_grad_norm


def random_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return {"Wx": scale * rng.standard_normal((3, 4)), "Wh": scale * rng.standard_normal((4, 4)),
            "b": scale * rng.standard_normal(4)}


# --------------------------------------------------------------------------------------------- clipping
@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
def test_clip_grad_norm_matches_torch(max_norm):
    grads = random_grads()
    before = {k: v.copy() for k, v in grads.items()}
    clipped, total = clip_grad_norm(grads, max_norm)
    tensors = [torch.tensor(g) for g in grads.values()]
    for tt in tensors:
        tt.grad = tt.clone()
    torch_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert total == pytest.approx(torch_total.item(), rel=1e-14)
    assert total == pytest.approx(np.sqrt(sum(np.sum(g**2) for g in grads.values())), rel=1e-14)
    for name, tt in zip(clipped, tensors, strict=True):
        assert rel_error(clipped[name], tt.grad.numpy()) < 1e-14
    new_norm = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
    assert new_norm == pytest.approx(min(total, max_norm), rel=1e-6)
    for name in grads:  # the input is untouched and the output is a new array
        np.testing.assert_array_equal(grads[name], before[name])
        assert clipped[name] is not grads[name]


def test_clip_grad_norm_keeps_direction_and_accepts_lists():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]  # global norm 5
    clipped, total = clip_grad_norm(grads, 1.0, eps=0.0)
    assert isinstance(clipped, list) and total == 5.0
    np.testing.assert_allclose(clipped[0], [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(clipped[1], [[0.0], [0.8]], rtol=1e-15)
    per_array = [g / max(1.0, np.linalg.norm(g)) for g in grads]  # clipping each array alone would differ
    assert not np.allclose(per_array[0], clipped[0])
    c32, _ = clip_grad_norm([np.ones(4, np.float32) * 10], 1.0)
    assert c32[0].dtype == np.float32


def test_clip_grad_norm_bad_input():
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="dict or a list"):
        clip_grad_norm(np.ones(2), 1.0)
    with pytest.raises(ValueError, match="float32 or float64"):
        clip_grad_norm([np.ones(2, dtype=int)], 1.0)


# ------------------------------------------------------------------------------ step-by-step vs torch
CASES = [
    (lambda: SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda: SGD(lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda: Adagrad(lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    (lambda: RMSProp(lr=0.01, alpha=0.9), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9)),
    (lambda: Adam(lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3)),
    (lambda: Adam(lr=0.02, betas=(0.8, 0.95), eps=1e-6),
     lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6)),
]


@pytest.mark.parametrize(("make_ours", "make_torch"), CASES)
def test_steps_match_torch_optim(make_ours, make_torch):
    params = random_grads(seed=1)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours, theirs = make_ours(), make_torch(list(tparams.values()))
    for step in range(6):
        grads = random_grads(seed=10 + step, scale=0.1 + step)
        for name, tt in tparams.items():
            tt.grad = torch.tensor(grads[name])
        ours.step(params, grads)
        theirs.step()
        for name, tt in tparams.items():
            assert rel_error(params[name], tt.detach().numpy()) < 1e-12, (step, name)


def test_one_adam_step_by_hand_and_torch():
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 0.0])
    params = {"w": p.copy()}
    Adam(lr=0.1).step(params, {"w": g})
    # after one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps)
    np.testing.assert_allclose(params["w"], p - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-15)
    w = torch.tensor(p, requires_grad=True)
    w.grad = torch.tensor(g)
    opt = torch.optim.Adam([w], lr=0.1)
    opt.step()
    assert rel_error(params["w"], w.detach().numpy()) < 1e-12


# ---------------------------------------------------------------------------------- convergence
def quadratic(seed=2, n=5):
    """f(w) = 1/2 w^T A w - c^T w with A symmetric positive definite; minimum at A^{-1} c."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T / n + np.eye(n)
    c = rng.standard_normal(n)
    return A, c, np.linalg.solve(A, c)


@pytest.mark.parametrize(
    "make_opt",
    [lambda: SGD(lr=0.1), lambda: SGD(lr=0.05, momentum=0.9), lambda: Adam(lr=0.05),
     lambda: RMSProp(lr=0.01), lambda: Adagrad(lr=0.5)],
)
def test_optimisers_converge_on_quadratic(make_opt):
    A, c, w_star = quadratic()
    params, opt = {"w": np.zeros_like(c)}, make_opt()
    lr0, steps = opt.lr, 1500
    for i in range(steps):
        opt.lr = lr0 * (1 - i / steps)  # linear decay to 0 (as for the byte LM of deck 000 Part 5)
        opt.step(params, {"w": A @ params["w"] - c})
    assert np.linalg.norm(params["w"] - w_star) < 1e-4 * np.linalg.norm(w_star)
    assert opt.t == steps


def test_step_updates_in_place_and_keeps_state_per_name():
    w = np.ones(3)
    params = {"w": w, "v": np.ones(2)}
    opt = SGD(lr=0.5, momentum=0.5)
    opt.step(params, {"w": np.ones(3), "v": np.zeros(2)})
    assert params["w"] is w
    np.testing.assert_array_equal(w, [0.5, 0.5, 0.5])
    opt.step(params, {"w": np.ones(3), "v": np.zeros(2)})  # velocity 0.5 * 1 + 1 = 1.5
    np.testing.assert_array_equal(w, [-0.25, -0.25, -0.25])
    np.testing.assert_array_equal(params["v"], [1.0, 1.0])


def test_optimiser_bad_input():
    with pytest.raises(ValueError, match="lr must be > 0"):
        Adam(lr=0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.0)
    with pytest.raises(ValueError, match="betas"):
        Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="same keys"):
        SGD().step({"w": np.ones(2)}, {"v": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\] must have shape \(2,\), got \(3,\)"):
        SGD().step({"w": np.ones(2)}, {"w": np.ones(3)})
    with pytest.raises(ValueError, match="float32 or float64"):
        SGD().step({"w": np.ones(2, dtype=int)}, {"w": np.ones(2)})
