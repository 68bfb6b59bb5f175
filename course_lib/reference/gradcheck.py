"""Centred finite differences and relative error, for checking hand-written backward passes.

For a scalar function f, the centred difference (f(x + h e_i) - f(x - h e_i)) / 2h has error O(h^2);
in float64 with h = 1e-5 that leaves a relative error around 1e-9 to 1e-11 for smooth functions, which is
why the course's tests ask for <= 1e-7 (CS231n uses the same yardstick).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(a, b, eps: float = 1e-12) -> float:
    """Largest elementwise relative error ``|a - b| / max(|a| + |b|, eps)``; 0 for identical arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of the scalar ``f()`` with respect to ``x`` by centred differences.

    ``f`` takes no arguments and reads ``x`` (which is perturbed in place, then restored exactly).
    Returns an array of ``x.shape``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fp = float(f())
        x[ix] = old - h
        fm = float(f())
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * h)
        it.iternext()
    return grad


def numerical_gradient_array(
    f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Gradient of ``sum(f() * dout)`` with respect to ``x``: a vector-Jacobian product by centred differences.

    ``f`` returns an array of ``dout.shape``; ``x`` is perturbed in place and restored.
    """
    return numerical_gradient(lambda: float(np.sum(f() * dout)), x, h)
