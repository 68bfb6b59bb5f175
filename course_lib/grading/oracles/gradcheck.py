"""Centred finite differences (lecture 3, checking BPTT): df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h).

The functions the grader differentiates are built here from the case's inputs, the same way the
driver builds them inside the sandbox (:func:`course_lib.grading.drivers.numerical_gradient`)."""

import numpy as np


def test_function(inp):
    """The scalar function of one case: ``inp["fn"]`` in tanh | lse | poly, with the arrays it needs."""
    kind = inp["fn"]
    if kind == "tanh":
        W, G = np.array(inp["W"]), np.array(inp["G"])
        return lambda z: float(np.sum(np.tanh(z @ W) * G))
    if kind == "lse":
        return lambda z: float(np.log(np.sum(np.exp(z))))
    W = np.array(inp["W"])
    return lambda z: float(np.sum(W * z**3) - np.sum(z) ** 2)


def centred_differences(f, x, h):
    """The centred-difference gradient of f at x (x: any shape), evaluated on copies of x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        grad[idx] = (f(xp) - f(xm)) / (2 * h)
    return grad


def forward_differences(f, x, h):
    """The one-sided (first-order) mistake: (f(x + h e_i) - f(x)) / h."""
    x = np.array(x, dtype=np.float64)
    grad, f0 = np.zeros_like(x), f(x)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xp[idx] += h
        grad[idx] = (f(xp) - f0) / h
    return grad
