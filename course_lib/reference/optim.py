"""Gradient-norm clipping and first-order optimisers, in NumPy.

Deck 000 Part 2 ("Optimization": backprop + SGD; "Exploding gradients": norm clipping, Pascanu et al. 2013,
Algorithm 1). The optimisers follow the update rules of ``torch.optim`` with default options (no weight
decay, no Nesterov), so that the NumPy and PyTorch halves of the course train identically; the tests compare
them step by step.

Parameters and gradients are dicts ``{name: ndarray}`` with matching keys and shapes. ``step`` updates the
parameter arrays *in place* (any view of them, e.g. inside a model, sees the change) and keeps its state
(momentum buffers, running averages) per name.
"""

from __future__ import annotations

import numpy as np

from course_lib.reference.validation import check_array

__all__ = ["clip_grad_norm", "Optimizer", "SGD", "Adagrad", "RMSProp", "Adam"]


def clip_grad_norm(grads, max_norm: float, eps: float = 1e-6):
    """Rescale gradients so that their *global* L2 norm is at most ``max_norm``.

    ``total = sqrt(sum_i ||g_i||^2)`` over all arrays together; every array is multiplied by
    ``min(1, max_norm / (total + eps))``, i.e. rescaled to norm ``max_norm`` when the norm exceeds it and
    left as it is otherwise (Pascanu et al. 2013, Algorithm 1: ``g <- threshold / ||g|| * g``; ``eps`` is
    the one ``torch.nn.utils.clip_grad_norm_`` adds against division by zero, so the two agree to
    rounding). One factor for all arrays keeps the direction of the full gradient, unlike clipping each
    array or each element separately.

    Parameters
    ----------
    grads : dict ``{name: ndarray}`` or list/tuple of ndarrays, any shapes.
    max_norm : positive float, the threshold.
    eps : added to the norm in the scale factor (``0`` gives Pascanu et al.'s exact rule).

    Returns
    -------
    clipped : a *new* dict (same keys) or list of *new* arrays; the input arrays are never modified
        (unlike torch's in-place ``clip_grad_norm_``).
    total_norm : float, the global norm *before* clipping (useful to log: spikes mean exploding gradients).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    is_dict = isinstance(grads, dict)
    if not is_dict and not isinstance(grads, (list, tuple)):
        raise ValueError(f"grads must be a dict or a list of arrays, got {type(grads).__name__}")
    arrays = list(grads.values()) if is_dict else list(grads)
    for i, g in enumerate(arrays):
        check_array(f"grads[{i}]", g, (None,) * getattr(g, "ndim", 0))
    total = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays)))
    scale = min(1.0, max_norm / (total + eps))
    clipped = [g * g.dtype.type(scale) if scale < 1.0 else g.copy() for g in arrays]
    return (dict(zip(grads.keys(), clipped, strict=True)) if is_dict else clipped), total


class Optimizer:
    """Base class: checks the arguments, counts steps, keeps per-parameter state in ``self.state``.

    Subclasses implement ``_update(name, p, g)``, which changes ``p`` in place.
    """

    def __init__(self, lr: float):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        self.lr = float(lr)
        self.t = 0  # number of steps taken
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self, params: dict, grads: dict) -> None:
        """One update of every parameter: ``params[name]`` (any shape S) changes in place using
        ``grads[name]`` (shape S). Raises ``ValueError`` if the keys differ or a gradient has the wrong
        shape."""
        if set(params) != set(grads):
            got = f"{sorted(params)} and {sorted(grads)}"
            raise ValueError(f"params and grads must have the same keys, got {got}")
        for name, p in params.items():
            check_array(f"params[{name!r}]", p, (None,) * getattr(p, "ndim", 0))
            check_array(f"grads[{name!r}]", grads[name], p.shape)
        self.t += 1
        for name, p in params.items():
            self._update(name, p, grads[name])

    def _buffer(self, name: str, key: str, like: np.ndarray) -> np.ndarray:
        """Per-parameter state array, created as zeros of ``like``'s shape and dtype on first use."""
        slot = self.state.setdefault(name, {})
        if key not in slot:
            slot[key] = np.zeros_like(like)
        return slot[key]

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum as in ``torch.optim.SGD``.

    ``v <- mu * v + g`` (``v = g`` on the first step), ``p <- p - lr * v``; ``mu = 0`` is plain SGD,
    ``p <- p - lr * g`` (deck 000 Part 2, "backprop + SGD").
    """

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _update(self, name, p, g):
        if self.momentum:
            slot = self.state.setdefault(name, {})
            if "velocity" not in slot:
                slot["velocity"] = g.copy()
            else:
                slot["velocity"] *= self.momentum
                slot["velocity"] += g
            g = slot["velocity"]
        p -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): per-coordinate step sizes that shrink with the summed squared gradients.

    ``G <- G + g^2``, ``p <- p - lr * g / (sqrt(G) + eps)``.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-10):
        super().__init__(lr)
        self.eps = eps

    def _update(self, name, p, g):
        G = self._buffer(name, "sum_sq", p)
        G += g * g
        p -= self.lr * g / (np.sqrt(G) + self.eps)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012, lecture 6.5): Adagrad with a moving average in place of the sum.

    ``v <- alpha * v + (1 - alpha) * g^2``, ``p <- p - lr * g / (sqrt(v) + eps)`` (defaults of
    ``torch.optim.RMSprop``).
    """

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {alpha!r}")
        self.alpha, self.eps = alpha, eps

    def _update(self, name, p, g):
        v = self._buffer(name, "sq_avg", p)
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), with bias correction.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``, ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``, ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)``. Without the correction the
    first steps would be too small, because m and v start at 0. (The deck's byte-level LM of Radford et al.
    2017, Part 5, was trained with Adam.)
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        self.b1, self.b2, self.eps = float(b1), float(b2), eps

    def _update(self, name, p, g):
        m, v = self._buffer(name, "m", p), self._buffer(name, "v", p)
        m *= self.b1
        m += (1 - self.b1) * g
        v *= self.b2
        v += (1 - self.b2) * g * g
        m_hat = m / (1 - self.b1**self.t)
        v_hat = v / (1 - self.b2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
