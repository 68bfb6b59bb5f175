# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 2 — Gating: LSTM and GRU
#
# Elman RNNs forget: the gradient reaching a step $k$ positions back is multiplied by $k$ Jacobians of
# the same recurrence and shrinks (or explodes) exponentially (lecture 4; Pascanu et al., 2013); the gated cells
# you write here are those of lecture 5.
# Gated cells add a path along which information and error can flow almost unchanged. You will write
# the LSTM in the formulation of lecture 5 (after Greff et al., 2017, *LSTM: A search space
# odyssey*) — first without, then with peephole connections — and the GRU (Cho et al., 2014), forward
# and backward, then measure how gradients reach early time steps in all three, and finally train your
# LSTM against an Elman RNN on a task that needs a long memory.
#
# **Conventions.** Batch first, weights from the right, gates packed in column blocks:
# LSTM `Wx: (D, 4H)`, `Wh: (H, 4H)`, `b: (4H,)` in the order **[i, f, g, o]** (input gate, forget gate,
# block input — the lecture's $\mathbf z$ —, output gate; `torch.nn.LSTM` uses the same order);
# GRU `Wx: (D, 3H)`, `Wh: (H, 3H)`, `b: (3H,)` in the order **[r, z, n]**.
#
# **Grading.** As in assignment 1: each test cell runs visible checks now; hidden checks (finite
# differences, batch of one, one time step...) are added when the notebook is graded, in a sandbox that
# runs your code cells from scratch. Check any part with `check("gating", "<part>", <function>)`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import numpy as np

from course_lib.grading import check

GRADING = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")


def sigmoid(a):
    """Numerically stable logistic function."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_lstm_forward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 1 — LSTM step, forward (3 points)
#
# Without peepholes, the lecture's equations read, in our layout ($a = x W_x + h_{t-1} W_h + b$ split
# into four blocks of $H$ columns):
#
# $$i = \sigma(a_i),\quad f = \sigma(a_f),\quad g = \tanh(a_g),\quad o = \sigma(a_o),\qquad
#   c_t = f \odot c_{t-1} + i \odot g,\qquad h_t = o \odot \tanh(c_t).$$
#
# Return `h, c` (both `(N, H)`) and a cache.

# %% nbgrader={"grade": false, "grade_id": "lstm_step_forward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,) -> h, c: (N, H), cache."""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    h = o * tc
    cache = (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc)
    ### END SOLUTION
    return h, c, cache


# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "lstm_step_forward", lstm_step_forward)
### BEGIN HIDDEN TESTS
check("gating", "lstm_step_forward", lstm_step_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_lstm_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 2 — LSTM step, backward (4 points)
#
# The step receives gradients for both of its outputs, `dh` and `dc` (the cell state is passed on to
# the next step too). Follow the lecture's BPTT equations: the total gradient of the cell is
# $\delta c_t = \texttt{dc} + \texttt{dh} \odot o \odot (1 - \tanh^2 c_t)$; the forget gate's
# pre-activation gets $\delta c_t \odot c_{t-1} \odot \sigma'$ — the **old** cell state —, the input gate
# $\delta c_t \odot g \odot \sigma'$, the block input $\delta c_t \odot i \odot \tanh'$; and
# $\partial L/\partial c_{t-1} = \delta c_t \odot f$. Return `dx, dh_prev, dc_prev, dWx, dWh, db`.

# %% nbgrader={"grade": false, "grade_id": "lstm_step_backward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H) -> dx (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)."""
    ### BEGIN SOLUTION
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = cache
    dct = dc + dh * o * (1.0 - tc**2)
    dai = dct * g * i * (1.0 - i)
    daf = dct * c_prev * f * (1.0 - f)
    dag = dct * i * (1.0 - g**2)
    dao = dh * tc * o * (1.0 - o)
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    dx, dh_prev, dc_prev = da @ Wx.T, da @ Wh.T, dct * f
    dWx, dWh, db = x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dc_prev, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("gating", "lstm_step_backward", lstm_step_backward)
### BEGIN HIDDEN TESTS
check("gating", "lstm_step_backward", lstm_step_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_peephole", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Parts 3 and 4 — peephole connections (2 + 3 points)
#
# Greff et al. (following Gers & Schmidhuber, 2000) let the gates look at the cell:
# $\bar i \mathrel{+}= p_i \odot c_{t-1}$, $\bar f \mathrel{+}= p_f \odot c_{t-1}$ and — after the new cell is
# computed — $\bar o \mathrel{+}= p_o \odot c_t$. Here `P: (3, H)` holds the rows $[p_i; p_f; p_o]$.
# In the backward pass the cell now also receives $p_o \odot \delta\bar o$ (before it is used for the
# gates below it), and $c_{t-1}$ receives $p_i \odot \delta\bar i + p_f \odot \delta\bar f$ besides
# $\delta c_t \odot f$ — these are the $\mathbf p \odot \delta$ terms of the lecture's $\delta \mathbf c^t$.
# `dP: (3, H)` sums over the batch.

# %% nbgrader={"grade": false, "grade_id": "lstm_peephole_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_peephole_step_forward(x, h_prev, c_prev, Wx, Wh, b, P):
    """As lstm_step_forward, with peepholes P: (3, H) = [p_i; p_f; p_o] -> h, c, cache."""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i = sigmoid(a[:, :H] + P[0] * c_prev)
    f = sigmoid(a[:, H:2 * H] + P[1] * c_prev)
    g = np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    o = sigmoid(a[:, 3 * H:] + P[2] * c)
    tc = np.tanh(c)
    h = o * tc
    cache = (x, h_prev, c_prev, Wx, Wh, P, i, f, g, o, c, tc)
    ### END SOLUTION
    return h, c, cache


def lstm_peephole_step_backward(dh, dc, cache):
    """-> dx, dh_prev, dc_prev, dWx, dWh, db, dP (3, H)."""
    ### BEGIN SOLUTION
    x, h_prev, c_prev, Wx, Wh, P, i, f, g, o, c, tc = cache
    dao = dh * tc * o * (1.0 - o)
    dct = dc + dh * o * (1.0 - tc**2) + P[2] * dao
    dai = dct * g * i * (1.0 - i)
    daf = dct * c_prev * f * (1.0 - f)
    dag = dct * i * (1.0 - g**2)
    dc_prev = dct * f + P[0] * dai + P[1] * daf
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    dP = np.stack([(dai * c_prev).sum(0), (daf * c_prev).sum(0), (dao * c).sum(0)])
    dx, dh_prev = da @ Wx.T, da @ Wh.T
    dWx, dWh, db = x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dc_prev, dWx, dWh, db, dP


# %% nbgrader={"grade": true, "grade_id": "test_lstm_peephole_step_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("gating", "lstm_peephole_step_forward", lstm_peephole_step_forward)
### BEGIN HIDDEN TESTS
check("gating", "lstm_peephole_step_forward", lstm_peephole_step_forward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_peephole_step_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "lstm_peephole_step_backward", lstm_peephole_step_backward)
### BEGIN HIDDEN TESTS
check("gating", "lstm_peephole_step_backward", lstm_peephole_step_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_gru", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Parts 5 and 6 — GRU step (2 + 3 points)
#
# The GRU as in the lecture (Jozefowicz et al., 2015, Figure 2), in our layout:
#
# $$r = \sigma(x W_{x,r} + h_{t-1} W_{h,r} + b_r),\quad z = \sigma(x W_{x,z} + h_{t-1} W_{h,z} + b_z),\quad
#   n = \tanh\big(x W_{x,n} + (r \odot h_{t-1}) W_{h,n} + b_n\big),\quad h_t = z \odot h_{t-1} + (1 - z) \odot n.$$
#
# (`torch.nn.GRU` applies $r$ *after* the product with $W_{h,n}$ and has two biases; here $r$ comes first.)
# In the backward pass $h_{t-1}$ is reached along four paths: directly through $z \odot h_{t-1}$, through
# $r \odot h_{t-1}$, and through the pre-activations of $r$ and $z$.

# %% nbgrader={"grade": false, "grade_id": "gru_step_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gru_step_forward(x, h_prev, Wx, Wh, b):
    """x: (N, D), h_prev: (N, H), Wx: (D, 3H), Wh: (H, 3H), b: (3H,) -> h_next (N, H), cache."""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    ax = x @ Wx + b
    r = sigmoid(ax[:, :H] + h_prev @ Wh[:, :H])
    z = sigmoid(ax[:, H:2 * H] + h_prev @ Wh[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
    h_next = z * h_prev + (1.0 - z) * n
    cache = (x, h_prev, Wx, Wh, r, z, n)
    ### END SOLUTION
    return h_next, cache


def gru_step_backward(dh_next, cache):
    """dh_next: (N, H) -> dx (N, D), dh_prev (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,)."""
    ### BEGIN SOLUTION
    x, h_prev, Wx, Wh, r, z, n = cache
    H = h_prev.shape[1]
    dan = dh_next * (1.0 - z) * (1.0 - n**2)
    daz = dh_next * (h_prev - n) * z * (1.0 - z)
    d_rh = dan @ Wh[:, 2 * H:].T
    dar = d_rh * h_prev * r * (1.0 - r)
    dh_prev = dh_next * z + d_rh * r + dar @ Wh[:, :H].T + daz @ Wh[:, H:2 * H].T
    da = np.concatenate([dar, daz, dan], axis=1)
    dWh = np.concatenate([h_prev.T @ dar, h_prev.T @ daz, (r * h_prev).T @ dan], axis=1)
    dx, dWx, db = da @ Wx.T, x.T @ da, da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("gating", "gru_step_forward", gru_step_forward)
### BEGIN HIDDEN TESTS
check("gating", "gru_step_forward", gru_step_forward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "gru_step_backward", gru_step_backward)
### BEGIN HIDDEN TESTS
check("gating", "gru_step_backward", gru_step_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_sequences", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Parts 7 and 8 — sequences (3 + 3 points)
#
# Write `lstm_forward / lstm_backward` (the cell starts at zero; only $h$ is returned, `h: (N, T, H)`)
# and `gru_forward / gru_backward` with your step functions, as `rnn_forward/rnn_backward` in
# assignment 1: the backward receives `dh: (N, T, H)` and returns `dx, dh0, dWx, dWh, db`. For the LSTM,
# carry both `dh` and `dc` backwards.

# %% nbgrader={"grade": false, "grade_id": "lstm_sequence_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H) -> h: (N, T, H), cache."""
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, prev_c, cache = h0, np.zeros_like(h0), []
    for t in range(T):
        prev_h, prev_c, step = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(step)
    ### END SOLUTION
    return h, cache


def lstm_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dh0 = dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_lstm_sequence", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "lstm_sequence", lstm_backward)
### BEGIN HIDDEN TESTS
check("gating", "lstm_sequence", lstm_backward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "gru_sequence_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gru_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H) -> h: (N, T, H), cache."""
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev, cache = h0, []
    for t in range(T):
        prev, step = gru_step_forward(x[:, t], prev, Wx, Wh, b)
        h[:, t] = prev
        cache.append(step)
    ### END SOLUTION
    return h, cache


def gru_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev, dWx_t, dWh_t, db_t = gru_step_backward(dh[:, t] + dprev, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dh0 = dprev
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# %% nbgrader={"grade": true, "grade_id": "test_gru_sequence", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "gru_sequence", gru_backward)
### BEGIN HIDDEN TESTS
check("gating", "gru_sequence", gru_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_norms", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 9 — how far back do gradients reach? (3 points)
#
# Let $L = \sum h_{T-1}$ (the sum of the entries of the last hidden state). Write
# `grad_norms_over_time(kind, x, h0, params)` returning the array of $\lVert \partial L / \partial h_t \rVert$
# (Frobenius norm over the batch) for $t = 0, \dots, T-1$, for `kind` in `"rnn"`, `"lstm"`, `"gru"`
# (`params` holds `Wx, Wh, b` of the right sizes; the LSTM cell starts at zero). Run the forward steps,
# then walk back from $\partial L/\partial h_{T-1} = \mathbf 1$ with your step backward functions and
# record the norm of the gradient reaching each $h_t$ (for the LSTM, the gradient of $h_t$ with $c_t$
# as a separate input — `dh` in your loop). The Elman step is given below.

# %% nbgrader={"grade": false, "grade_id": "given_rnn", "locked": true, "schema_version": 3, "solution": false, "task": false}
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """Elman step (assignment 1): x: (N, D), h_prev: (N, H) -> h_next, cache."""
    out = np.tanh(x @ Wx + h_prev @ Wh + b)
    return out, (x, h_prev, Wx, Wh, out)


def rnn_step_backward(dh_next, cache):
    """Backward of the Elman step -> dx, dh_prev, dWx, dWh, db."""
    x, h_prev, Wx, Wh, out = cache
    dpre = (1.0 - out * out) * dh_next
    return dpre @ Wx.T, dpre @ Wh.T, x.T @ dpre, h_prev.T @ dpre, np.sum(dpre, axis=0)


# %% nbgrader={"grade": false, "grade_id": "grad_norms_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_norms_over_time(kind, x, h0, params):
    """kind: "rnn" | "lstm" | "gru", x: (N, T, D), h0: (N, H), params: dict Wx, Wh, b -> norms (T,)."""
    ### BEGIN SOLUTION
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    T = x.shape[1]
    steps, h, c = [], h0, np.zeros_like(h0)
    for t in range(T):
        if kind == "rnn":
            h, step = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        elif kind == "lstm":
            h, c, step = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        else:
            h, step = gru_step_forward(x[:, t], h, Wx, Wh, b)
        steps.append(step)
    norms = np.zeros(T)
    dh, dc = np.ones_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        norms[t] = np.linalg.norm(dh)
        if kind == "rnn":
            dh = rnn_step_backward(dh, steps[t])[1]
        elif kind == "lstm":
            dh, dc = lstm_step_backward(dh, dc, steps[t])[1:3]
        else:
            dh = gru_step_backward(dh, steps[t])[1]
    ### END SOLUTION
    return norms


# %% nbgrader={"grade": true, "grade_id": "test_grad_norms_over_time", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "grad_norms_over_time", grad_norms_over_time)
### BEGIN HIDDEN TESTS
check("gating", "grad_norms_over_time", grad_norms_over_time, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The experiment
#
# Same input, 60 steps, hidden size 32, small random weights (standard deviation $1/\sqrt{H}$) and a
# forget-gate bias of 1 for the LSTM (Jozefowicz et al., 2015). The plot shows $\lVert\partial L/\partial
# h_t\rVert$ on a log scale. Which cell lets the gradient reach $t = 0$? What happens to the Elman RNN if
# you scale its `Wh` up by 3?

# %% nbgrader={"grade": false, "grade_id": "experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
N, T, D, H = 4, 60, 8, 32
x_demo = rng.normal(size=(N, T, D))
curves = {}
for kind, G in (("rnn", 1), ("lstm", 4), ("gru", 3)):
    params = {"Wx": rng.normal(size=(D, G * H)) / np.sqrt(D), "Wh": rng.normal(size=(H, G * H)) / np.sqrt(H),
              "b": np.zeros(G * H)}
    if kind == "lstm":
        params["b"][H:2 * H] = 1.0
    curves[kind] = grad_norms_over_time(kind, x_demo, np.zeros((N, H)), params)
    print(f"{kind:4s}: |dL/dh_0| / |dL/dh_T-1| = {curves[kind][0] / curves[kind][-1]:.2e}")
if not GRADING:
    import matplotlib.pyplot as plt

    for kind, norms in curves.items():
        plt.semilogy(norms, label=kind)
    plt.xlabel("time step t")
    plt.ylabel("||dL/dh_t||")
    plt.legend()
    plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_first_symbol", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 10 — remember the first symbol (2 points)
#
# Now put the cells to work on the task the LSTM was invented for (Hochreiter & Schmidhuber, 1997): read a
# sequence, then say what its **first** symbol was. Everything in between is noise, so the answer has to
# be carried across `lag` steps. Write `first_symbol_task(n, lag, K, rng)` returning
#
# * `x: (n, lag + 1, K)`, one-hot symbols out of $K$: `x[:, 0]` is the symbol to remember, the `lag` symbols
#   after it are drawn uniformly and independently of it;
# * `y: (n,)`, the integer symbol at the first step (drawn uniformly from `0..K-1`).
#
# Draw everything with the generator `rng` you are given (`rng.integers`), so that a seed fixes the task.

# %% nbgrader={"grade": false, "grade_id": "first_symbol_task_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def first_symbol_task(n, lag, K, rng):
    """n sequences of lag + 1 one-hot symbols out of K; the label is the first symbol -> x (n, lag+1, K), y (n,)."""
    ### BEGIN SOLUTION
    symbols = rng.integers(0, K, size=(n, lag + 1))
    y = symbols[:, 0].copy()
    x = np.eye(K)[symbols]
    ### END SOLUTION
    return x, y


# %% nbgrader={"grade": true, "grade_id": "test_first_symbol_task", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("gating", "first_symbol_task", first_symbol_task)
### BEGIN HIDDEN TESTS
check("gating", "first_symbol_task", first_symbol_task, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_classifier", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 11 — a classifier on the last state (3 points)
#
# An acceptor reads the whole sequence and decides at the end: the scores are $s = h_{T-1} W_y + b_y$
# (`Wy: (H, K)`, `by: (K,)`) and the loss is the softmax cross-entropy **averaged** over the batch. Write
# `sequence_classifier_loss(kind, x, y, params)` for `kind` in `"rnn"`, `"lstm"`, `"gru"`, with `params`
# holding `Wx, Wh, b, Wy, by` and the initial state at zero. Run `rnn_forward` (given below), your
# `lstm_forward` or your `gru_forward`; the gradient enters the recurrence at the last step only
# (`dh[:, -1]` = the gradient of the scores times `Wy.T`, zero elsewhere), then the matching backward
# function does the rest. Return `(loss, grads)` with `grads` a dict with the keys of `params`.

# %% nbgrader={"grade": false, "grade_id": "given_classifier", "locked": true, "schema_version": 3, "solution": false, "task": false}
def rnn_forward(x, h0, Wx, Wh, b):
    """Elman RNN over a sequence (assignment 1): x: (N, T, D), h0: (N, H) -> h (N, T, H), cache."""
    h, caches, state = np.zeros((x.shape[0], x.shape[1], h0.shape[1])), [], h0
    for t in range(x.shape[1]):
        state, step = rnn_step_forward(x[:, t], state, Wx, Wh, b)
        h[:, t] = state
        caches.append(step)
    return h, caches


def rnn_backward(dh, cache):
    """BPTT of rnn_forward (assignment 1): dh: (N, T, H) -> dx, dh0, dWx, dWh, db."""
    dx = np.zeros(dh.shape[:2] + (cache[0][0].shape[1],))
    dWx, dWh, db, dprev = 0.0, 0.0, 0.0, np.zeros_like(dh[:, 0])
    for t in reversed(range(dh.shape[1])):
        dx[:, t], dprev, gx, gh, gb = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dWx, dWh, db = dWx + gx, dWh + gh, db + gb
    return dx, dprev, dWx, dWh, db


def train_sequence_classifier(kind, x, y, H, steps, lr=0.01, seed=0, batch=64, forget_bias=3.0):
    """Adam on minibatches of (x, y) with your sequence_classifier_loss -> trained params.

    Weights start at N(0, 1/fan_in), biases at zero, except the LSTM's forget-gate bias (forget_bias: with
    f close to 1 the cell keeps what it stored; Jozefowicz et al., 2015 recommend 1, long lags need more).
    """
    gen = np.random.default_rng(seed)
    G, D, K = {"rnn": 1, "lstm": 4, "gru": 3}[kind], x.shape[2], int(y.max()) + 1
    params = {"Wx": gen.normal(size=(D, G * H)) / np.sqrt(D), "Wh": gen.normal(size=(H, G * H)) / np.sqrt(H),
              "b": np.zeros(G * H), "Wy": gen.normal(size=(H, K)) / np.sqrt(H), "by": np.zeros(K)}
    if kind == "lstm":
        params["b"][H:2 * H] = forget_bias
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(w) for k, w in params.items()}
    for t in range(1, steps + 1):
        rows = gen.integers(0, len(y), size=batch)
        _, grads = sequence_classifier_loss(kind, x[rows], y[rows], params)
        for k in params:
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            params[k] -= lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return params


def classifier_accuracy(kind, params, x, y):
    """Fraction of sequences whose first symbol the trained classifier names correctly."""
    forward = {"rnn": rnn_forward, "lstm": lstm_forward, "gru": gru_forward}[kind]
    h, _ = forward(x, np.zeros((x.shape[0], params["Wh"].shape[0])), params["Wx"], params["Wh"], params["b"])
    return float(np.mean((h[:, -1] @ params["Wy"] + params["by"]).argmax(axis=1) == y))


# %% nbgrader={"grade": false, "grade_id": "sequence_classifier_loss_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sequence_classifier_loss(kind, x, y, params):
    """kind: "rnn" | "lstm" | "gru", x: (N, T, D), y: (N,) ints, params: dict -> (loss, grads dict)."""
    ### BEGIN SOLUTION
    forward, backward = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward),
                         "gru": (gru_forward, gru_backward)}[kind]
    N = x.shape[0]
    h, cache = forward(x, np.zeros((N, params["Wh"].shape[0])), params["Wx"], params["Wh"], params["b"])
    last = h[:, -1]
    logits = last @ params["Wy"] + params["by"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(N), y].mean()
    dlogits = np.exp(logp)
    dlogits[np.arange(N), y] -= 1.0
    dlogits /= N
    dh = np.zeros_like(h)
    dh[:, -1] = dlogits @ params["Wy"].T
    _, _, dWx, dWh, db = backward(dh, cache)
    grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": last.T @ dlogits, "by": dlogits.sum(axis=0)}
    ### END SOLUTION
    return loss, grads


# %% nbgrader={"grade": true, "grade_id": "test_sequence_classifier_loss", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("gating", "sequence_classifier_loss", sequence_classifier_loss)
### BEGIN HIDDEN TESTS
check("gating", "sequence_classifier_loss", sequence_classifier_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_experiment_lags", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The experiment: growing lags
#
# The cell below trains an Elman RNN and an LSTM of the same hidden size (16) on the task with $K = 4$
# symbols, 400 Adam steps each, at lags 5, 20 and 60, and reports the accuracy on fresh sequences (chance
# is $1/K = 0.25$). Which cell still remembers the first symbol after 60 noisy steps? Set `forget_bias=0`
# for the LSTM: what changes, and why (think of $\partial c_t / \partial c_{t-1} = f_t$)? Add `"gru"`.
# (Skipped while the notebook is graded; about 5 seconds.)

# %% nbgrader={"grade": false, "grade_id": "experiment_lags", "locked": true, "schema_version": 3, "solution": false, "task": false}
if not GRADING:
    print("lag   rnn    lstm")
    for lag in (5, 20, 60):
        task_rng = np.random.default_rng(lag)
        x_train, y_train = first_symbol_task(1024, lag, 4, task_rng)
        x_test, y_test = first_symbol_task(512, lag, 4, task_rng)
        accs = [classifier_accuracy(kind, train_sequence_classifier(kind, x_train, y_train, 16, 400), x_test, y_test)
                for kind in ("rnn", "lstm")]
        print(f"{lag:3d}   {accs[0]:.2f}   {accs[1]:.2f}")
