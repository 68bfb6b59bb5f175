"""Pure compute behind the vanishing-gradient explorer (no widgets, no torch: NumPy and ``course_lib.reference``).

Deck 000 Part 2, "The Problem with Vanilla RNNs": backpropagating from the last state ``h_T`` multiplies the
gradient by one Jacobian per step,

    dL/dh_t = dL/dh_T · ∏_{k=t+1..T} ∂h_k/∂h_{k-1},      ∂h_k/∂h_{k-1} = diag(g'(a_k)) Wh^T   (Elman),

so for a linear RNN it shrinks or grows like ``rho^(T-t)`` with ``rho`` the spectral radius of the recurrent
matrix. With a nonlinearity whose derivative is at most ``gamma`` the exact conditions are on the largest singular
value (Pascanu, Mikolov & Bengio 2013, Sec. 2-3): ``sigma_max(Wh) < 1/gamma`` is sufficient for vanishing,
``sigma_max(Wh) > 1/gamma`` necessary for exploding. Part 3: the LSTM's cell path ``c_t = f_t ⊙ c_{t-1} + ...``
multiplies by ``diag(f_t)`` instead, so a forget gate near 1 (a large forget-gate bias, Gers et al. 2000;
Jozefowicz et al. 2015) lets the gradient travel far. Norm clipping (Pascanu et al. 2013, Algorithm 1) is the
remedy on the exploding side.

Every number here comes from the NumPy reference step functions (``rnn_step_*``, ``lstm_step_*``,
``gru_step_*``) and ``clip_grad_norm`` / ``SGD`` of :mod:`course_lib.reference.optim`; the tests compare them
with torch autograd. Shapes: T steps, H hidden units, D input size, N batch.

The cells (:data:`CELLS`) share one random draw per ``seed``: the same inputs ``x`` (1, T, D) and the same base
recurrent matrix ``M`` (H, H) of spectral radius 1, scaled to ``radius``. The Elman cells use ``Wh = radius·M``;
the gated cells use it for their block input (LSTM ``g``, GRU ``n``) and independent draws of the same kind for
the gates. So changing only the cell type compares architectures on the same problem.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

import numpy as np

from course_lib.reference.gru import gru_step_backward, gru_step_forward
from course_lib.reference.lstm import lstm_step_backward, lstm_step_forward
from course_lib.reference.optim import SGD, clip_grad_norm
from course_lib.reference.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from course_lib.reference.validation import check_positive_int

__all__ = [
    "CELLS", "CELL_LABELS", "INITS", "base_recurrent_matrix", "clipping_trace", "cell_weights",
    "gradient_norms_through_time", "loss_direction", "recurrent_eigenvalues", "sequence_inputs",
]

CELLS = ("tanh", "relu", "linear", "lstm", "gru")
CELL_LABELS = {"tanh": "Elman tanh", "relu": "Elman ReLU", "linear": "Elman linear", "lstm": "LSTM", "gru": "GRU"}
INITS = ("orthogonal", "gaussian", "identity")
_GATES = {"tanh": 1, "relu": 1, "linear": 1, "lstm": 4, "gru": 3}
_BLOCK_INPUT = {"lstm": 2, "gru": 2}  # column block of the candidate: LSTM [i, f, g, o], GRU [r, z, n]
_FORGET = {"lstm": 1, "gru": 1}  # LSTM forget gate f; GRU update gate z (weight of the *old* state h_{t-1})


def _one_blas_thread():
    """Run the enclosed NumPy code with a single BLAS thread (restored afterwards). The matrices here are tiny
    (at most (H, 4H) with H <= a few hundred): threading them only costs, up to 8x on a busy 2-core machine.
    Uses ``threadpoolctl`` (installed with scikit-learn); without it, a no-op."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _check(cell: str, init: str, radius: float) -> None:
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if not radius >= 0:
        raise ValueError(f"radius must be >= 0, got {radius!r}")


def _unit_radius_matrix(rng: np.random.Generator, H: int, init: str) -> np.ndarray:
    """One (H, H) matrix of spectral radius 1 (see :func:`base_recurrent_matrix`)."""
    if init == "identity":
        return np.eye(H)
    G = rng.standard_normal((H, H))
    if init == "orthogonal":
        Q, R = np.linalg.qr(G)
        return Q * np.sign(np.diag(R))  # Haar-distributed orthogonal matrix (sign fix of the QR factor)
    G /= np.sqrt(H)  # circular law: eigenvalues fill (roughly) the unit disc ...
    return G / np.abs(np.linalg.eigvals(G)).max()  # ... and exactly radius 1 after this rescaling


def base_recurrent_matrix(H: int, seed: int = 0, init: str = "orthogonal") -> np.ndarray:
    """The seed's base recurrent matrix ``M`` (H, H), spectral radius ``max |eig(M)| = 1``.

    ``init``: ``"orthogonal"`` (Saxe et al. 2014: all eigenvalues *on* the unit circle and every singular value
    1, so ``||M^k v|| = ||v||``), ``"gaussian"`` (entries N(0, 1/H), rescaled to radius 1: eigenvalues fill the
    disc, singular values spread, Glorot-style) or ``"identity"`` (Le, Jaitly & Hinton 2015, the IRNN).
    The cells use ``radius · M``.
    """
    H = check_positive_int("H", H)
    _check("tanh", init, 1.0)
    return _unit_radius_matrix(np.random.default_rng(seed), H, init)


def recurrent_eigenvalues(H: int, radius: float, seed: int = 0, init: str = "orthogonal") -> np.ndarray:
    """Eigenvalues of the Elman recurrent matrix ``Wh = radius · M``, complex (H,).

    Deck 000 Part 2: "if the largest eigenvalue is > 1, gradient will explode; if < 1, it will vanish" — the
    widget draws them against the unit circle. (For the gated cells this is their block-input matrix.)
    """
    _check("tanh", init, radius)
    return np.linalg.eigvals(radius * base_recurrent_matrix(H, seed, init))


def sequence_inputs(T: int, D: int, seed: int = 0, input_scale: float = 1.0) -> np.ndarray:
    """The seed's input sequence ``x`` (1, T, D) ~ N(0, input_scale^2); a longer T extends a shorter one."""
    T, D = check_positive_int("T", T), check_positive_int("D", D)
    rng = np.random.default_rng([seed, 1])
    return input_scale * rng.standard_normal((T, D))[None]


def cell_weights(cell: str, H: int, radius: float, seed: int = 0, *, D: int = 16, init: str = "orthogonal",
                 forget_bias: float = 0.0) -> dict[str, np.ndarray]:
    """Weights of one cell in the reference layout (CONTRIBUTING.md: ``x @ Wx``, gates in column blocks).

    Elman (``cell`` in ``"tanh" | "relu" | "linear"``): ``{"Wx": (D, H), "Wh": (H, H), "b": (H,)}`` with
    ``Wh = radius · M`` (:func:`base_recurrent_matrix`), ``b = 0``.
    LSTM: ``{"Wx": (D, 4H), "Wh": (H, 4H), "b": (4H,)}``, blocks ``[i, f, g, o]``; every recurrent block has
    spectral radius ``radius`` (block g is ``radius · M``); ``b_f = forget_bias``, other biases 0.
    GRU: ``{"Wx": (D, 3H), "Wh": (H, 3H), "bx": (3H,), "bh": (3H,)}``, blocks ``[r, z, n]`` (block n is
    ``radius · M``); ``bx_z = forget_bias`` (z weighs the old state, so a large z-bias also means "keep").
    Input weights ~ N(0, 1/D).
    """
    _check(cell, init, radius)
    H, D = check_positive_int("H", H), check_positive_int("D", D)
    G = _GATES[cell]
    M = base_recurrent_matrix(H, seed, init)
    rng = np.random.default_rng([seed, 2])  # gates' own matrices and the input weights
    blocks = [M if (G == 1 or k == _BLOCK_INPUT[cell]) else _unit_radius_matrix(rng, H, init) for k in range(G)]
    Wh = radius * np.concatenate(blocks, axis=1)
    Wx = rng.standard_normal((D, G * H)) / np.sqrt(D)
    b = np.zeros(G * H)
    if cell in _FORGET:
        k = _FORGET[cell]
        b[k * H:(k + 1) * H] = forget_bias
    if cell == "gru":
        return {"Wx": Wx, "Wh": Wh, "bx": b, "bh": np.zeros(G * H)}
    return {"Wx": Wx, "Wh": Wh, "b": b}


def loss_direction(H: int, seed: int = 0) -> np.ndarray:
    """The seed's unit vector ``u`` (H,) of the probe loss ``L = u · h_T`` (so ``dL/dh_T = u``)."""
    u = np.random.default_rng([seed, 3]).standard_normal(check_positive_int("H", H))
    return u / np.linalg.norm(u)


def _backprop_states(cell: str, w: dict, x: np.ndarray, dh_T: np.ndarray, gru_variant: str):
    """Run ``cell`` over x (N, T, D) from zero states and backpropagate ``dh_T`` (N, H) from h_T alone.

    Returns ``dh`` (T, N, H) with ``dh[t-1] = dL/dh_t`` for t = 1..T (``dh[T-1] = dh_T``) and, for the LSTM,
    ``dc`` (T, N, H) = dL/dc_t (the gradient reaching c_t from step t+1; 0 at t = T); ``None`` otherwise.
    """
    N, T, _ = x.shape
    H = dh_T.shape[1]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    caches = []
    for t in range(T):  # forward, one reference step at a time
        if cell == "lstm":
            h, c, cache = lstm_step_forward(x[:, t], h, c, w["Wx"], w["Wh"], w["b"])
        elif cell == "gru":
            h, cache = gru_step_forward(x[:, t], h, w["Wx"], w["Wh"], w["bx"], w["bh"], gru_variant)
        else:
            h, cache = rnn_step_forward(x[:, t], h, w["Wx"], w["Wh"], w["b"], cell)
        caches.append(cache)
    dh, dc = np.empty((T, N, H)), (np.empty((T, N, H)) if cell == "lstm" else None)
    g, gc = dh_T, np.zeros((N, H))
    for t in range(T - 1, -1, -1):  # backward: the loss only sees h_T, so dL/dh_t is purely recurrent
        dh[t] = g
        if cell == "lstm":
            dc[t] = gc
            _, g, gc, *_ = lstm_step_backward(g, gc, caches[t])
        elif cell == "gru":
            _, g, *_ = gru_step_backward(g, caches[t])
        else:
            _, g, *_ = rnn_step_backward(g, caches[t])
    return dh, dc


def gradient_norms_through_time(cell: str, T: int = 100, H: int = 64, radius: float = 1.0,
                                forget_bias: float = 0.0, seed: int = 0, *, D: int = 16,
                                init: str = "orthogonal", input_scale: float = 1.0, norm: str = "loss",
                                gru_variant: str = "lecture", return_cell: bool = False):
    """How much gradient from the last step reaches each earlier state (deck 000 Part 2; Pascanu et al. 2013).

    The cell runs over the seed's inputs (:func:`sequence_inputs`) from ``h_0 = 0`` (and ``c_0 = 0``) with the
    weights of :func:`cell_weights`. Then, for t = 1..T:

    * ``norm="loss"``: ``||dL/dh_t||`` for the loss ``L = u · h_T`` with ``u`` a fixed random unit vector — one
      backward pass; entry T is ``||u|| = 1``.
    * ``norm="spectral"``: ``||∂h_T/∂h_t||_2``, the largest singular value of the full (H, H) Jacobian (its H
      rows are backpropagated together as a batch of H); the worst case over all ``u``; entry T is 1.

    For a linear Elman cell with an orthogonal ``M`` both equal ``radius^(T-t)`` exactly. The LSTM's
    ``dL/dh_t`` treats ``(h_t, c_t)`` as its state (as torch's ``h_t.grad``); ``return_cell=True`` also
    returns the norm of what flows back along the cell path into ``c_t``, ``δc^{t+1} ⊙ f^{t+1}`` in the deck's
    BPTT equations (the constant error carousel; entry T is 0: the loss reads h_T only).

    Returns
    -------
    norms : (T,) float64, ``norms[t-1]`` for state t (so ``norms[-1]`` is the last step).
    cell_norms : (T,) only with ``return_cell`` for ``cell="lstm"``.
    """
    _check(cell, init, radius)
    T, H = check_positive_int("T", T), check_positive_int("H", H)
    if norm not in ("loss", "spectral"):
        raise ValueError(f"norm must be 'loss' or 'spectral', got {norm!r}")
    if return_cell and cell != "lstm":
        raise ValueError(f"return_cell needs cell='lstm' (only the LSTM has a cell state), got {cell!r}")
    w = cell_weights(cell, H, radius, seed, D=D, init=init, forget_bias=forget_bias)
    x = sequence_inputs(T, D, seed, input_scale)
    if norm == "loss":
        dh_T = loss_direction(H, seed)[None]  # (1, H)
    else:
        x, dh_T = np.repeat(x, H, axis=0), np.eye(H)  # row n of the batch carries row n of the Jacobian
    with np.errstate(over="ignore", invalid="ignore"), _one_blas_thread():
        dh, dc = _backprop_states(cell, w, x, dh_T, gru_variant)
        reduce = _loss_norms if norm == "loss" else _spectral_norms
        out = reduce(dh)
        return (out, reduce(dc)) if return_cell else out


def _loss_norms(g: np.ndarray) -> np.ndarray:
    """(T, 1, H) -> (T,) Euclidean norms."""
    return np.linalg.norm(g[:, 0], axis=1)


def _spectral_norms(J: np.ndarray) -> np.ndarray:
    """(T, H, H) -> (T,) largest singular values; non-finite Jacobians give inf."""
    finite = np.isfinite(J).all(axis=(1, 2))
    out = np.full(J.shape[0], np.inf)
    if finite.any():
        out[finite] = np.linalg.norm(J[finite], ord=2, axis=(1, 2))
    return out


def clipping_trace(T: int = 40, H: int = 64, radius: float = 2.0, threshold: float = 5.0, seed: int = 0, *,
                   activation: str = "tanh", steps: int = 12, lr: float = 0.05, batch: int = 2, D: int = 16,
                   init: str = "orthogonal", input_scale: float = 1.0) -> dict[str, np.ndarray]:
    """A small training trace with and without gradient-norm clipping (Pascanu et al. 2013, Algorithm 1).

    Task: an Elman RNN (``activation``, weights of :func:`cell_weights`) reads ``batch`` random sequences
    (N, T, D) and must make ``h_T`` equal a random target ``y`` (N, H) in (-1, 1):
    ``L = 1/(2N) Σ_n ||h_T - y||^2``, gradient by :func:`~course_lib.reference.rnn.rnn_backward`. Two runs of
    plain SGD (``lr``) start from the same weights; one rescales the full gradient ``g = (dWx, dWh, db)`` to
    norm ``threshold`` whenever ``||g|| > threshold`` (:func:`~course_lib.reference.optim.clip_grad_norm`).
    A run whose loss or gradient becomes non-finite stops; its later entries are NaN. With a tanh cell and an
    orthogonal ``radius >= 2`` the unclipped run typically takes one huge step into saturation (gradient 0,
    loss stuck) while the clipped run keeps learning.

    Returns a dict of (steps,) float64 arrays: ``"loss_plain"``, ``"norm_plain"`` (the unclipped run's loss and
    gradient norm before each update), ``"loss_clipped"``, ``"norm_clipped"`` (the clipped run's loss and norm
    *before* clipping) and ``"step_clipped"`` (the norm actually applied: ``min(norm, threshold)``).
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    if activation not in ("tanh", "relu", "linear"):
        raise ValueError(f"activation must be 'tanh', 'relu' or 'linear', got {activation!r}")
    _check(activation, init, radius)
    args = (check_positive_int("T", T), check_positive_int("H", H), float(radius), int(seed), activation,
            check_positive_int("steps", steps), float(lr), check_positive_int("batch", batch),
            check_positive_int("D", D), init, float(input_scale))
    loss_plain, norm_plain = _sgd_run(*args, None)
    loss_clipped, norm_clipped = _sgd_run(*args, float(threshold))
    return {"loss_plain": loss_plain.copy(), "norm_plain": norm_plain.copy(), "loss_clipped": loss_clipped.copy(),
            "norm_clipped": norm_clipped.copy(), "step_clipped": np.minimum(norm_clipped, threshold)}


@lru_cache(maxsize=32)
def _sgd_run(T, H, radius, seed, activation, steps, lr, batch, D, init, input_scale, threshold):
    """One SGD run of :func:`clipping_trace` (``threshold=None``: no clipping) -> read-only (loss, norm),
    each (steps,). Cached, so that moving only the threshold re-runs only the clipped run."""
    w = cell_weights(activation, H, radius, seed, D=D, init=init)
    rng = np.random.default_rng([seed, 4])
    x = input_scale * rng.standard_normal((batch, T, D))
    y = np.tanh(rng.standard_normal((batch, H)))
    losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    opt = SGD(lr)
    with np.errstate(all="ignore"), _one_blas_thread():
        for s in range(steps):
            h, cache = rnn_forward(x, np.zeros((batch, H)), w["Wx"], w["Wh"], w["b"], activation)
            err = h[:, -1] - y
            loss = 0.5 * float(np.sum(err * err)) / batch
            _, _, dWx, dWh, db = rnn_backward(np.zeros_like(h), cache, dh_final=err / batch)
            grads = {"Wx": dWx, "Wh": dWh, "b": db}
            total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
            if not (np.isfinite(loss) and np.isfinite(total)):
                break
            losses[s], norms[s] = loss, total
            if threshold is not None:
                grads, _ = clip_grad_norm(grads, threshold, eps=0.0)
            opt.step(w, grads)
    losses.flags.writeable = norms.flags.writeable = False
    return losses, norms
