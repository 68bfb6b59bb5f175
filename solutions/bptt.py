# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 1 — Backpropagation through time
#
# You will write an Elman RNN (Elman, 1990) in NumPy, forward and backward: one step, a whole sequence,
# truncated BPTT that carries the hidden state across segments, and gradient-norm clipping (Pascanu et al.,
# 2013), and check gradients with finite differences. Then you train a small character language model
# with your own code, watch its loss fall, and sample text from it with a temperature.
# This follows lecture 3 (Recurrent networks), where the recurrence $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$
# and backpropagation through time are derived.
#
# **Conventions** (as everywhere in the course): batch first, weights multiply from the right.
# One step is
#
# $$h_t = \tanh(x_t W_x + h_{t-1} W_h + b), \qquad x_t: (N, D),\; h_t: (N, H),\; W_x: (D, H),\; W_h: (H, H),\; b: (H,).$$
#
# **How you are graded.** Each part has a test cell worth the points shown. Running it now runs the
# *visible* checks (shapes, small known values) and tells you what looks wrong; when the notebook is
# graded, hidden checks are added (random inputs, finite-difference gradient checks, one time step, a batch
# of one...). The score of a part is the fraction of its checks that pass. Grading runs your code cells
# in a fresh sandbox, so: write the code yourself (importing `course_lib`'s reference implementations or
# `torch` is refused and scores 0 for that part), keep heavy experiments out of the solution cells, and
# do not rely on state created by running cells out of order.
#
# You can also check a part anywhere (e.g. on Binder) with
# `check("bptt", "rnn_step_forward", rnn_step_forward)`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import numpy as np

from course_lib.grading import check

GRADING = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_step_forward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 1 — one step forward (2 points)
#
# Write `rnn_step_forward(x, h_prev, Wx, Wh, b)`. Return the new hidden state and a `cache`: anything
# your backward pass will need (a tuple is fine).

# %% nbgrader={"grade": false, "grade_id": "rnn_step_forward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One Elman RNN step.

    x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,).
    Returns h_next: (N, H) and cache.
    """
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    cache = (x, h_prev, Wx, Wh, h_next)
    ### END SOLUTION
    return h_next, cache


# %% nbgrader={"grade": true, "grade_id": "test_rnn_step_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "rnn_step_forward", rnn_step_forward)
### BEGIN HIDDEN TESTS
check("bptt", "rnn_step_forward", rnn_step_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_step_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 2 — one step backward (3 points)
#
# Given $\partial L/\partial h_t$ (`dh_next`), return the gradients with respect to every input of the
# step. With $a = x W_x + h_{t-1} W_h + b$ and $h_t = \tanh(a)$, the lecture's $\delta_h$ is
# $\partial L/\partial a = \partial L/\partial h_t \odot (1 - h_t^2)$; everything else is a matrix product
# with it. Each gradient has the shape of the thing it is the gradient of.

# %% nbgrader={"grade": false, "grade_id": "rnn_step_backward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step_backward(dh_next, cache):
    """Backward pass of rnn_step_forward.

    dh_next: (N, H). Returns dx (N, D), dh_prev (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    ### BEGIN SOLUTION
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1.0 - h_next**2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_rnn_step_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("bptt", "rnn_step_backward", rnn_step_backward)
### BEGIN HIDDEN TESTS
check("bptt", "rnn_step_backward", rnn_step_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_forward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 3 — a whole sequence (2 points)
#
# `rnn_forward(x, h0, Wx, Wh, b)` runs the step over `x: (N, T, D)` from the initial state `h0: (N, H)`
# and returns all hidden states `h: (N, T, H)` (`h[:, t]` is the state *after* reading `x[:, t]`) and a
# cache. Use your `rnn_step_forward`.

# %% nbgrader={"grade": false, "grade_id": "rnn_forward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H) -> h: (N, T, H), cache."""
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches, prev = [], h0
    for t in range(T):
        prev, step_cache = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        h[:, t] = prev
        caches.append(step_cache)
    cache = caches
    ### END SOLUTION
    return h, cache


# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "rnn_forward", rnn_forward)
### BEGIN HIDDEN TESTS
check("bptt", "rnn_forward", rnn_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 4 — backpropagation through time (4 points)
#
# `rnn_backward(dh, cache)` receives the upstream gradient of *every* hidden state, `dh: (N, T, H)`
# (in a language model each $h_t$ feeds a prediction). Walking back from $t = T-1$ to $0$, the gradient
# reaching $h_t$ is its own upstream gradient **plus** what flows back from step $t+1$. With $\delta_t$ the
# gradient at step $t$'s pre-activation $x_t W_x + h_{t-1} W_h + b$:
# $\delta_t = (\mathrm{dh}_t + \delta_{t+1} W_h^\top) \odot (1 - h_t^2)$, with $\delta_T = 0$ and
# $\mathrm{dh}_t$ = `dh[:, t]` (in a language model, $\delta^{out}_t W_y^\top$). Weight gradients are summed over time, because the
# weights are shared. Return `dx (N, T, D), dh0 (N, H), dWx, dWh, db`.

# %% nbgrader={"grade": false, "grade_id": "rnn_backward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)."""
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_rnn_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("bptt", "rnn_backward", rnn_backward)
### BEGIN HIDDEN TESTS
check("bptt", "rnn_backward", rnn_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_gradcheck", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 5 — check your gradients numerically (2 points)
#
# A backward pass is only as good as its check. The derivative of a scalar function $f$ with respect to
# one entry $x_i$ is approximated by the **centred** difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h},$$
#
# whose error shrinks like $h^2$ (the one-sided $(f(x + h e_i) - f(x))/h$ only like $h$). Write
# `numerical_gradient(f, x, h)`: `f` takes an array shaped like `x` and returns a float; return an array
# shaped like `x` with the approximation for every entry (`np.ndindex(x.shape)` walks over all the indices
# of an array of any shape). When it returns, `x` must hold its original values again. The grader calls it
# on functions of its own choosing, with the `h` it passes.

# %% nbgrader={"grade": false, "grade_id": "numerical_gradient_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, h):
    """Centred finite differences of the scalar function f at x (any shape) -> array shaped like x."""
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    ### END SOLUTION
    return grad


# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "numerical_gradient", numerical_gradient)
### BEGIN HIDDEN TESTS
check("bptt", "numerical_gradient", numerical_gradient, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_gradcheck_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now use it: compare your `rnn_backward`'s `dWh` with the numerical gradient of the loss
# $L = \sum_{n,t,j} h_{n,t,j}\,\mathrm{dh}_{n,t,j}$ (whose gradient with respect to $h$ is `dh`). In float64 a
# correct backward pass agrees to a relative error far below $10^{-6}$; an error around $10^{-2}$ means a
# bug. Try the same for `dWx` and `dh0`. (This cell is not graded.)

# %% nbgrader={"grade": false, "grade_id": "gradcheck_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
x_c, h0_c = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5))
Wx_c, Wh_c, b_c = rng.normal(size=(3, 5)) * 0.5, rng.normal(size=(5, 5)) * 0.4, rng.normal(size=5) * 0.1
dh_c = rng.normal(size=(2, 4, 5))
_, cache_c = rnn_forward(x_c, h0_c, Wx_c, Wh_c, b_c)
dWh_c = rnn_backward(dh_c, cache_c)[3]
dWh_num = numerical_gradient(lambda W: float(np.sum(rnn_forward(x_c, h0_c, Wx_c, W, b_c)[0] * dh_c)), Wh_c, 1e-5)
rel = np.max(np.abs(dWh_c - dWh_num)) / max(np.max(np.abs(dWh_c) + np.abs(dWh_num)), 1e-12)
print(f"relative error of dWh: {rel:.1e} —", "agrees" if rel < 1e-6 else "look for a bug in rnn_backward")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_given", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Given: the output layer and the loss
#
# Scores over a vocabulary of size $V$ are $h_t W_y + b_y$; the loss is the softmax cross-entropy summed
# over time steps and divided by the batch size $N$. These helpers are given (do not change them).

# %% nbgrader={"grade": false, "grade_id": "given_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
PARAM_NAMES = ("Wx", "Wh", "b", "Wy", "by")


def temporal_affine_forward(h, Wy, by):
    """h: (N, T, H), Wy: (H, V), by: (V,) -> scores (N, T, V), cache."""
    return h @ Wy + by, (h, Wy)


def temporal_affine_backward(dscores, cache):
    """dscores: (N, T, V) -> dh (N, T, H), dWy (H, V), dby (V,)."""
    h, Wy = cache
    return dscores @ Wy.T, np.einsum("nth,ntv->hv", h, dscores), dscores.sum(axis=(0, 1))


def temporal_softmax_loss(scores, y):
    """scores: (N, T, V), y: (N, T) ints -> (sum of cross-entropies / N, dscores (N, T, V))."""
    N = scores.shape[0]
    shifted = scores - scores.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(y.shape[1]), indexing="ij")
    loss = -logp[n_idx, t_idx, y].sum() / N
    dscores = np.exp(logp)
    dscores[n_idx, t_idx, y] -= 1.0
    return loss, dscores / N


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_tbptt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 6 — truncated BPTT (4 points)
#
# Full BPTT over a long text is too expensive; in practice the sequence is cut into segments of `k`
# steps and backpropagation stays inside each segment — but the *forward* state is carried: the last
# hidden state of a segment is the initial state of the next one (the lecture: "a little better to use the
# final hidden state of the previous segment", zero only for the first).
#
# Write `truncated_bptt(x, y, h0, params, k)` for `x: (N, T, D)`, targets `y: (N, T)`, `h0: (N, H)` and
# `params` a dict with `Wx, Wh, b, Wy, by`. For each segment `x[:, s:s+k]` (the last one may be shorter):
# forward from the carried state, loss with the given helpers, backward *within* the segment only.
# Return `(loss, grads, h_last)`: the loss and the gradients (a dict with the same keys as `params`)
# summed over segments, and the hidden state after the last step.

# %% nbgrader={"grade": false, "grade_id": "truncated_bptt_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def truncated_bptt(x, y, h0, params, k):
    """x: (N, T, D), y: (N, T), h0: (N, H), params: dict -> (loss, grads dict, h_last (N, H))."""
    ### BEGIN SOLUTION
    T = x.shape[1]
    grads = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    loss, h = 0.0, h0
    for s in range(0, T, k):
        hs, cache = rnn_forward(x[:, s:s + k], h, params["Wx"], params["Wh"], params["b"])
        scores, acache = temporal_affine_forward(hs, params["Wy"], params["by"])
        seg_loss, dscores = temporal_softmax_loss(scores, y[:, s:s + k])
        dhs, dWy, dby = temporal_affine_backward(dscores, acache)
        _, _, dWx, dWh, db = rnn_backward(dhs, cache)
        for name, g in zip(PARAM_NAMES, (dWx, dWh, db, dWy, dby), strict=True):
            grads[name] += g
        loss += seg_loss
        h = hs[:, -1]
    h_last = h
    ### END SOLUTION
    return loss, grads, h_last


# %% nbgrader={"grade": true, "grade_id": "test_truncated_bptt", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("bptt", "truncated_bptt", truncated_bptt)
### BEGIN HIDDEN TESTS
check("bptt", "truncated_bptt", truncated_bptt, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_clip", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 7 — gradient-norm clipping (2 points)
#
# Exploding gradients are tamed by rescaling (Pascanu et al., 2013, Algorithm 1): if the norm of the
# gradient $\hat g$ of *all* parameters together exceeds a threshold, replace $\hat g$ by
# $\frac{\text{threshold}}{\|\hat g\|}\hat g$. Write `clip_grad_norm(grads, max_norm)` returning a new dict of
# clipped gradients and the total norm *before* clipping.

# %% nbgrader={"grade": false, "grade_id": "clip_grad_norm_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_norm(grads, max_norm):
    """grads: dict name -> array. Returns (clipped dict, total_norm: float)."""
    ### BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    clipped = {name: g * scale for name, g in grads.items()}
    ### END SOLUTION
    return clipped, total_norm


# %% nbgrader={"grade": true, "grade_id": "test_clip_grad_norm", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "clip_grad_norm", clip_grad_norm)
### BEGIN HIDDEN TESTS
check("bptt", "clip_grad_norm", clip_grad_norm, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 8 — a character language model (3 points)
#
# Put it together, in the spirit of Karpathy's `min-char-rnn`: write
# `train_char_lm(text, hidden_size, seq_len, num_steps, lr, seed)` that
#
# 1. builds the vocabulary (`sorted(set(text))`) and encodes the text as one-hot vectors ($D = V$);
# 2. initialises `Wx, Wh, Wy` from `np.random.default_rng(seed)` with small values (e.g. standard deviation
#    0.1) and the biases at zero;
# 3. repeats `num_steps` times: take the next `seq_len` characters as inputs and the characters one
#    position later as targets (batch of one, wrapping to the start of the text and resetting the state
#    to zero when the text runs out), run **your** `truncated_bptt` on the segment from the carried
#    state, clip the gradients to norm 5 with **your** `clip_grad_norm`, and update the parameters with
#    Adagrad (`mem += g * g; p -= lr * g / np.sqrt(mem + 1e-8)`);
# 4. returns `(losses, params)`: the list of losses, each the mean cross-entropy *per character* of its
#    segment, and the parameter dict after the last update.
#
# The loss of an untrained model is about $\log V$; it must fall clearly. The grader evaluates the
# parameters you return on text they were not trained on, and checks that your losses agree with them.

# %% nbgrader={"grade": false, "grade_id": "train_char_lm_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_char_lm(text, hidden_size, seq_len, num_steps, lr, seed):
    """Train a character RNN LM on `text` with truncated BPTT, clipping and Adagrad -> (losses, params)."""
    ### BEGIN SOLUTION
    chars = sorted(set(text))
    V = len(chars)
    ids = np.array([chars.index(ch) for ch in text])
    eye = np.eye(V)
    rng = np.random.default_rng(seed)
    H = hidden_size
    params = {"Wx": rng.normal(0.0, 0.1, (V, H)), "Wh": rng.normal(0.0, 0.1, (H, H)), "b": np.zeros(H),
              "Wy": rng.normal(0.0, 0.1, (H, V)), "by": np.zeros(V)}
    memory = {name: np.zeros_like(p) for name, p in params.items()}
    h = np.zeros((1, H))
    pos, losses = 0, []
    for _ in range(num_steps):
        if pos + seq_len + 1 > len(ids):
            pos, h = 0, np.zeros((1, H))
        x = eye[ids[pos:pos + seq_len]][None]
        y = ids[pos + 1:pos + seq_len + 1][None]
        loss, grads, h = truncated_bptt(x, y, h, params, seq_len)
        grads, _ = clip_grad_norm(grads, 5.0)
        for name in params:
            memory[name] += grads[name] ** 2
            params[name] -= lr * grads[name] / np.sqrt(memory[name] + 1e-8)
        losses.append(loss / seq_len)
        pos += seq_len
    ### END SOLUTION
    return losses, params


# %% nbgrader={"grade": true, "grade_id": "test_train_char_lm", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("bptt", "train_char_lm", train_char_lm)
### BEGIN HIDDEN TESTS
check("bptt", "train_char_lm", train_char_lm, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_temperature", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 9 — sampling with a temperature (2 + 2 points)
#
# A language model generates text one character at a time: turn the scores $s = h_t W_y + b_y$ into a
# distribution, draw the next character from it, feed it back in. The **temperature** $T > 0$ divides the
# scores first,
#
# $$p_i = \frac{\exp(s_i / T)}{\sum_j \exp(s_j / T)}:$$
#
# $T = 1$ is the model's own distribution, $T < 1$ sharpens it (towards always taking the most likely
# character, $T \to 0$), $T > 1$ flattens it (towards uniform). Write
#
# * `softmax_with_temperature(scores, T)`: `scores: (..., V)` -> probabilities of the same shape, along the
#   last axis; subtract the largest value before exponentiating, as scores of a few hundred overflow;
# * `sample_with_temperature(scores, T, rng)`: one index in `0..V-1` drawn from that distribution for a
#   score vector `scores: (V,)`, using **only** the generator `rng` you are given (`rng.choice(V, p=p)`), so
#   that the same seed gives the same text. The grader draws thousands of samples and compares their
#   frequencies with $p$.

# %% nbgrader={"grade": false, "grade_id": "temperature_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_with_temperature(scores, T):
    """scores: (..., V), T > 0 -> probabilities (..., V) along the last axis."""
    ### BEGIN SOLUTION
    a = scores / T
    a = a - a.max(axis=-1, keepdims=True)
    e = np.exp(a)
    p = e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION
    return p


def sample_with_temperature(scores, T, rng):
    """scores: (V,), T > 0, rng: np.random.Generator -> int index drawn from softmax(scores / T)."""
    ### BEGIN SOLUTION
    p = softmax_with_temperature(scores, T)
    index = int(rng.choice(len(p), p=p))
    ### END SOLUTION
    return index


# %% nbgrader={"grade": true, "grade_id": "test_softmax_with_temperature", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "softmax_with_temperature", softmax_with_temperature)
### BEGIN HIDDEN TESTS
check("bptt", "softmax_with_temperature", softmax_with_temperature, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_sample_with_temperature", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bptt", "sample_with_temperature", sample_with_temperature)
### BEGIN HIDDEN TESTS
check("bptt", "sample_with_temperature", sample_with_temperature, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Watch it learn, then let it write
#
# The cell below trains on a longer text, plots the loss and samples 80 characters from the trained model
# at three temperatures (it is shortened while the notebook is being graded). Try other `seq_len`
# values: how short can the truncation be before the model stops learning the repeated words? What does a
# high temperature do to the spelling?

# %% nbgrader={"grade": false, "grade_id": "experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
demo_text = "the quick brown fox jumps over the lazy dog. " * 40
demo_losses, demo_params = train_char_lm(demo_text, 32, 16, 30 if GRADING else 600, 0.1, 0)
print(f"first loss {demo_losses[0]:.3f} (log V = {np.log(len(set(demo_text))):.3f}), "
      f"last loss {np.mean(demo_losses[-10:]):.3f}")


def generate(params, chars, first, n, T, rng):
    """n characters from the trained model, starting after the character `first`."""
    eye, h, out = np.eye(len(chars)), np.zeros((1, params["Wh"].shape[0])), [first]
    for _ in range(n):
        h, _ = rnn_step_forward(eye[[chars.index(out[-1])]], h, params["Wx"], params["Wh"], params["b"])
        out.append(chars[sample_with_temperature((h @ params["Wy"] + params["by"])[0], T, rng)])
    return "".join(out)


demo_chars = sorted(set(demo_text))
for T in (0.5, 1.0, 1.5):
    print(f"T = {T}: {generate(demo_params, demo_chars, 't', 80, T, np.random.default_rng(0))!r}")
if not GRADING:
    import matplotlib.pyplot as plt

    plt.plot(demo_losses)
    plt.xlabel("step")
    plt.ylabel("cross-entropy per character (nats)")
    plt.show()
