# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 5 — Gating: LSTM and GRU
#
# *Recurrent neural networks for NLP, part 5 of 7.* [Lecture 4](04_vanishing_exploding_gradients.py) ended with
# two diagnoses of the Elman RNN: it rewrites its whole state at every step, and the gradient through that state
# is multiplied by $\operatorname{diag}(g')\,(W^h)^\top$ once per step, so it fades exponentially. Both have one
# cure: let the network decide, unit by unit and step by step, what to keep, what to write and what to show —
# with **gates**.
#
# Plan: the gate, from a switch to a differentiable one; the LSTM in two textbook notations and in
# PyTorch's; the constant error carousel and the forget-gate bias; the LSTM's backward pass, checked numerically;
# the GRU and its two placements of the reset gate; what a search over ten thousand architectures found
# (Jozefowicz et al. 2015); and a trained character LSTM — its samples, and units that can be read.
#
# Assignment link: [Assignment 2 (gating)](../assignments/release/gating/gating.ipynb) — you will write the LSTM
# (with peepholes) and GRU steps, their backward passes, and measure how far back gradients reach.

# %%
import inspect
import math
import re
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import display
from torch import nn

from course_lib import figures
from course_lib.checkpoints import load_shipped
from course_lib.data import load_tinyshakespeare
from course_lib.exercises import ask, check
from course_lib.reference.gradcheck import numerical_gradient, rel_error
from course_lib.reference.gru import from_torch_gru, gru_forward, gru_step_forward
from course_lib.reference.layers import sigmoid
from course_lib.reference.lstm import from_torch_lstm, lstm_backward, lstm_forward, lstm_gate_activations
from course_lib.widgets import cell_activation_viewer
from course_lib.widgets.activations import (
    feature_values,
    inside_quotes,
    position_in_line,
    rank_units,
    unit_activations,
)
from course_lib.widgets.gradients import gradient_norms_through_time
from course_lib.widgets.viewer import constant_feature_note

torch.manual_seed(0)
torch.set_num_threads(1)  # small models: one thread is fastest, and fair to a shared machine
rng = np.random.default_rng(0)

# %% [markdown]
# ## The gate
#
# Suppose we add two quantities but want to control how much of the second gets in: $a + \lambda b$ with
# $\lambda \in [0, 1]$. The factor $\lambda$ is a **gate**: 0 shuts $b$ out, 1 lets all of it through. Written into
# the Elman update $\mathbf{h}_t = \mathbf{h}_{t-1} + F(\mathbf{h}_{t-1}, \mathbf{x}_t)$, a context-dependent gate
# makes the update optional, and a second one lets the network also *forget*:
#
# $$\mathbf{h}_t = \mu(\mathbf{h}_{t-1}, \mathbf{x}_t)\,\mathbf{h}_{t-1} + \lambda(\mathbf{h}_{t-1}, \mathbf{x}_t)\,
#   F(\mathbf{h}_{t-1}, \mathbf{x}_t).$$
#
# Goldberg's view (*Neural Network Methods for Natural Language Processing*, 2017) makes it a memory operation. With a memory $\mathbf{s} \in \mathbb{R}^d$, an input
# $\mathbf{x} \in \mathbb{R}^d$ and a gate vector $\mathbf{g} \in \{0, 1\}^d$, the **Hadamard** (elementwise)
# product $\odot$ selects entries, $(\mathbf{u} \odot \mathbf{v})_{[i]} = u_{[i]} v_{[i]}$, and
#
# $$\mathbf{s}' \leftarrow \mathbf{g} \odot \mathbf{x} + (\mathbf{1} - \mathbf{g}) \odot \mathbf{s}$$
#
# writes the entries of $\mathbf{x}$ where $\mathbf{g}$ is 1 and copies the old memory everywhere else —
# Goldberg's example:

# %%
g = np.array([0, 1, 0, 0, 0, 1])
x = np.array([10, 11, 12, 13, 14, 15])
s = np.array([8, 9, 3, 7, 5, 8])
s_new = g * x + (1 - g) * s
print("s' =", s_new)
assert s_new.tolist() == [8, 11, 3, 7, 5, 15]

# %% [markdown]
# A 0/1 gate has no useful gradient, and a fixed one cannot react to the input. So the gate becomes
# $\sigma(\mathbf{g}')$ for a real vector $\mathbf{g}' = \mathbf{x} W + \mathbf{h} U + \mathbf{b}$ computed from the
# current input and state: the logistic function maps it into $(0, 1)$, mostly close to the ends, and everything
# stays differentiable, so the network *learns* when to read, write and forget.

# %%
g_soft = sigmoid(np.array([-6.0, -2.0, 0.0, 2.0, 6.0]))
print("sigma(g') for g' = -6, -2, 0, 2, 6:", np.round(g_soft, 3))
print("soft write:", np.round(g_soft * x[:5] + (1 - g_soft) * s[:5], 2))

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.gate", "l5.q.soft_write")

# %% [markdown]
# ## The LSTM
#
# The **long short-term memory** (Hochreiter & Schmidhuber 1997; the forget gate is from Gers, Schmidhuber &
# Cummins 2000) splits the state in two: a **memory cell** $\mathbf{c}$ and a working memory $\mathbf{h}$ that the
# rest of the network reads. Three gates — input $\mathbf{i}$, forget $\mathbf{f}$, output $\mathbf{o}$ — control
# writing to, keeping and reading the cell. Goldberg (2017; row vectors, no biases written) has
#
# $$\begin{aligned}
# \mathbf{i} &= \sigma(\mathbf{x}_j W^{xi} + \mathbf{h}_{j-1} W^{hi}), &
# \mathbf{f} &= \sigma(\mathbf{x}_j W^{xf} + \mathbf{h}_{j-1} W^{hf}), &
# \mathbf{o} &= \sigma(\mathbf{x}_j W^{xo} + \mathbf{h}_{j-1} W^{ho}), \\
# \mathbf{z} &= \tanh(\mathbf{x}_j W^{xz} + \mathbf{h}_{j-1} W^{hz}), &
# \mathbf{c}_j &= \mathbf{f} \odot \mathbf{c}_{j-1} + \mathbf{i} \odot \mathbf{z}, &
# \mathbf{h}_j &= \mathbf{o} \odot \tanh(\mathbf{c}_j),
# \end{aligned}$$
#
# with state $\mathbf{s}_j = [\mathbf{c}_j; \mathbf{h}_j] \in \mathbb{R}^{2d_h}$ and output $\mathbf{y}_j =
# \mathbf{h}_j$. The other common notation is Greff et al.'s (2017, *LSTM: A search space odyssey*): column
# vectors, the
# candidate $\mathbf{z}$ is the **block input**, $\mathbf{h}$ is the **block output** $\mathbf{y}$, and the gates
# also look at the cell through **peephole** weights $\mathbf{p}_i, \mathbf{p}_f, \mathbf{p}_o \in \mathbb{R}^N$
# (Gers & Schmidhuber 2000):
#
# $$\begin{aligned}
# \mathbf{z}^t &= g(\mathbf{W}_z\mathbf{x}^t + \mathbf{R}_z\mathbf{y}^{t-1} + \mathbf{b}_z) &&\text{block input}\\
# \mathbf{i}^t &= \sigma(\mathbf{W}_i\mathbf{x}^t + \mathbf{R}_i\mathbf{y}^{t-1} + \mathbf{p}_i \odot \mathbf{c}^{t-1}
#   + \mathbf{b}_i) &&\text{input gate}\\
# \mathbf{f}^t &= \sigma(\mathbf{W}_f\mathbf{x}^t + \mathbf{R}_f\mathbf{y}^{t-1} + \mathbf{p}_f \odot \mathbf{c}^{t-1}
#   + \mathbf{b}_f) &&\text{forget gate}\\
# \mathbf{c}^t &= \mathbf{z}^t \odot \mathbf{i}^t + \mathbf{c}^{t-1} \odot \mathbf{f}^t &&\text{cell}\\
# \mathbf{o}^t &= \sigma(\mathbf{W}_o\mathbf{x}^t + \mathbf{R}_o\mathbf{y}^{t-1} + \mathbf{p}_o \odot \mathbf{c}^{t}
#   + \mathbf{b}_o) &&\text{output gate (it sees the new cell)}\\
# \mathbf{y}^t &= h(\mathbf{c}^t) \odot \mathbf{o}^t &&\text{block output}
# \end{aligned}$$
#
# with $g = h = \tanh$. Without peepholes the two are the same model. PyTorch's `nn.LSTM` is that model too, with
# its own names and layout; `course_lib.reference.lstm` uses the course's (weights on the right, gates in column
# blocks in PyTorch's order):
#
# | Greff et al. | Goldberg | `torch.nn.LSTM` | NumPy reference | shape (NumPy) |
# |---|---|---|---|---|
# | $\mathbf{W}_i, \mathbf{W}_f, \mathbf{W}_z, \mathbf{W}_o$ | $W^{xi}, W^{xf}, W^{xz}, W^{xo}$ | `weight_ih_l0` rows $[i, f, g, o]$ | `Wx` column blocks $[i, f, g, o]$ | $(D, 4H)$ |
# | $\mathbf{R}_i, \mathbf{R}_f, \mathbf{R}_z, \mathbf{R}_o$ | $W^{hi}, W^{hf}, W^{hz}, W^{ho}$ | `weight_hh_l0` | `Wh` | $(H, 4H)$ |
# | $\mathbf{b}_i, \mathbf{b}_f, \mathbf{b}_z, \mathbf{b}_o$ | — | `bias_ih_l0 + bias_hh_l0` | `b` | $(4H,)$ |
# | block input $\mathbf{z}$ | $\mathbf{z}$ | $g$ (the "cell gate") | block 2, `"g"`/`"z"` | $(N, H)$ |
# | block output $\mathbf{y}$ | $\mathbf{h}$ | output $h$ | `h` | $(N, T, H)$ |
# | $\mathbf{p}_i, \mathbf{p}_f, \mathbf{p}_o$ | — | — (no peepholes) | `peepholes` rows | $(3, H)$ |
#
# So Greff's $\mathbf{W}_i$ is `Wx[:, :H].T` and `weight_ih_l0[:H]`. `from_torch_lstm` does the conversion; with
# copied weights the NumPy forward pass and `nn.LSTM` must agree:


# %% [markdown]
# The same step as a picture (`course_lib.figures.lstm_cell`, in this lecture's letters: $\mathbf{g}$ is the block
# input $\mathbf{z}$ above). The cell state runs along the top and is only ever scaled by $\mathbf{f}$ and added to:
# that straight line is what the rest of the lecture is about.

# %%
display(figures.lstm_cell())

# %%
N, T, D, H = 3, 7, 5, 4
torch_lstm = nn.LSTM(D, H, batch_first=True).double()
x_seq = rng.standard_normal((N, T, D))
with torch.no_grad():
    out_torch, (h_T_torch, c_T_torch) = torch_lstm(torch.from_numpy(x_seq))
Wx, Wh, b = from_torch_lstm(*(p.detach().numpy() for p in (torch_lstm.weight_ih_l0, torch_lstm.weight_hh_l0,
                                                            torch_lstm.bias_ih_l0, torch_lstm.bias_hh_l0)))
h_np, (h_T, c_T), cache = lstm_forward(x_seq, None, None, Wx, Wh, b)
print("Wx", Wx.shape, "Wh", Wh.shape, "b", b.shape, "| outputs", h_np.shape)
print(f"max |NumPy - torch|: outputs {np.abs(h_np - out_torch.numpy()).max():.1e}, "
      f"final cell {np.abs(c_T - c_T_torch[0].numpy()).max():.1e}")
assert np.allclose(h_np, out_torch.numpy(), atol=1e-12) and np.allclose(c_T, c_T_torch[0].numpy(), atol=1e-12)

acts = lstm_gate_activations(cache)  # dict of (N, T, H): i, f, g (= z), o, c, h
c_prev = np.concatenate([np.zeros((N, 1, H)), acts["c"][:, :-1]], axis=1)
assert np.allclose(acts["c"], acts["z"] * acts["i"] + c_prev * acts["f"])  # the cell equation, step by step
assert np.allclose(acts["h"], np.tanh(acts["c"]) * acts["o"])              # the block output

P = rng.standard_normal((3, H))  # peepholes [p_i; p_f; p_o]
h_zero_p = lstm_forward(x_seq, None, None, Wx, Wh, b, peepholes=np.zeros((3, H)))[0]
h_peep = lstm_forward(x_seq, None, None, Wx, Wh, b, peepholes=P)[0]
print(f"peepholes = 0 gives the standard LSTM: {np.allclose(h_zero_p, h_np)};  "
      f"random peepholes change the outputs by up to {np.abs(h_peep - h_np).max():.2f}")
assert np.allclose(h_zero_p, h_np) and not np.allclose(h_peep, h_np)

# %% [markdown]
# The gate activations recorded by the forward pass satisfy the cell and output equations exactly, and the
# peephole formulation reduces to PyTorch's when $\mathbf{p} = \mathbf{0}$. (Greff et al. found peepholes
# rarely help; most libraries leave them out.)

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.lstm_params", "l5.q.peephole")

# %% [markdown]
# ## The constant error carousel
#
# Why does this help the gradient? Follow the cell alone. Since $\mathbf{c}^t = \mathbf{z}^t \odot \mathbf{i}^t +
# \mathbf{c}^{t-1} \odot \mathbf{f}^t$, the direct path from one cell to the next has the Jacobian
#
# $$\frac{\partial \mathbf{c}^t}{\partial \mathbf{c}^{t-1}}\Big|_{\text{direct}} = \operatorname{diag}(\mathbf{f}^t),
#   \qquad\text{so}\qquad
#   \frac{\partial \mathbf{c}^T}{\partial \mathbf{c}^t}\Big|_{\text{direct}} = \operatorname{diag}\Big(
#   \prod_{k=t+1}^{T} \mathbf{f}^k\Big).$$
#
# No weight matrix, no $\tanh'$: only the forget gates, which the network sets itself. In the original LSTM there
# was no forget gate — the cell fed itself with a fixed weight 1, and the error circulated unchanged: the
# **constant error carousel** (Hochreiter & Schmidhuber 1997). With $\mathbf{f}$ near 1 the carousel still turns;
# with $\mathbf{f}$ near 0 the cell is reset. (The gates and $\mathbf{h}$ add further, indirect paths; the LSTM
# does not *guarantee* a non-vanishing gradient, it makes one easy to learn.)
#
# Check the product formula with the NumPy backward pass: with $W^h = 0$ and no peepholes the cell is the only path
# from $\mathbf{c}^0$ to $\mathbf{c}^T$, so `lstm_backward` with $\partial L/\partial \mathbf{c}^T = \mathbf{1}$
# must return $\partial L / \partial \mathbf{c}^0 = \prod_k \mathbf{f}^k$.

# %%
N, T, D, H = 2, 12, 3, 4
Wx_c, b_c = rng.standard_normal((D, 4 * H)), np.zeros(4 * H)
b_c[H:2 * H] = 3.0  # forget-gate bias
x_c = rng.standard_normal((N, T, D))
_, _, cache_c = lstm_forward(x_c, None, rng.standard_normal((N, H)), Wx_c, np.zeros((H, 4 * H)), b_c)
_, _, dc0, *_ = lstm_backward(np.zeros((N, T, H)), cache_c, dc_T=np.ones((N, H)))
prod_f = lstm_gate_activations(cache_c)["f"].prod(axis=1)  # (N, H)
print("dL/dc^0 from BPTT:", np.array2string(dc0[0], precision=4), "\nproduct of f^t:   ",
      np.array2string(prod_f[0], precision=4))
assert np.allclose(dc0, prod_f)

# %% [markdown]
# Now in a full LSTM (recurrent weights of spectral radius 1, the same setting as Lecture 4's explorer), the
# gradient that a loss on $\mathbf{h}_T$ sends back along the cell path, $\lVert \partial L/\partial \mathbf{c}_t
# \rVert$, for several forget-gate biases $b_f$ — next to the Elman $\tanh$ RNN:

# %%
T, H = 100, 64
t_axis = np.arange(1, T + 1)
tanh_norms = gradient_norms_through_time("tanh", T=T, H=H, radius=1.0)
cell_path = {}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.semilogy(t_axis, tanh_norms, "k--", label="Elman tanh: ‖∂L/∂h_t‖")
for bf in (-2.0, 0.0, 1.0, 3.0):
    _, cell_path[bf] = gradient_norms_through_time("lstm", T=T, H=H, radius=1.0, forget_bias=bf, return_cell=True)
    ax.semilogy(t_axis[:-1], cell_path[bf][:-1], label=f"LSTM cell path, b_f = {bf:g} (σ(b_f) = {sigmoid(bf):.2f})")
ax.set(xlabel="t", ylabel="gradient norm", title=f"Gradient from step T = {T} back to step t")
ax.legend(fontsize=8)
fig.tight_layout()
reach_1 = {bf: v[0] for bf, v in cell_path.items()}
print("gradient reaching c_1:", ", ".join(f"b_f = {bf:g}: {v:.1e}" for bf, v in reach_1.items()),
      f"| Elman tanh h_1: {tanh_norms[0]:.1e}")
assert reach_1[-2.0] < reach_1[0.0] < reach_1[1.0] < reach_1[3.0]
assert reach_1[1.0] > 1e6 * tanh_norms[0] and reach_1[0.0] < 1e3 * tanh_norms[0]
per_unit = {(b1, b2): (reach_1[b2] / reach_1[b1]) ** (1 / (b2 - b1)) for b1, b2 in ((-2.0, 0.0), (0.0, 1.0), (1.0, 3.0))}
print("factor gained per unit of b_f:", ", ".join(f"{b1:g} -> {b2:g}: {v:.0e}" for (b1, b2), v in per_unit.items()))
assert min(per_unit.values()) > 100, "every unit of forget-gate bias buys orders of magnitude"

# %% [markdown]
# Every unit of forget-gate bias buys orders of magnitude over 100 steps. With $b_f = 0$ a fresh LSTM starts with
# $\mathbf{f} \approx \sigma(0) = 0.5$ and halves its memory at every step — barely better than the Elman RNN. A
# bias of 1 (Gers et al. 2000; Jozefowicz et al. 2015) starts it at $\sigma(1) \approx 0.73$, and the network can
# learn to push $\mathbf{f}$ towards 1 where it needs to remember.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.carousel", "l5.q.forget_bias")

# %% [markdown]
# ## Backpropagation through the LSTM
#
# Greff et al. (2017) give the backward pass of their LSTM. With $\Delta^t$ the gradient arriving at $\mathbf{y}^t$
# from the layer above, and $\delta\bar{\mathbf{z}}$ etc. the gradients of the pre-activations:
#
# $$\begin{aligned}
# \delta\mathbf{y}^t &= \Delta^t + \mathbf{R}_z^\top\delta\bar{\mathbf{z}}^{t+1} + \mathbf{R}_i^\top\delta\bar{\mathbf{i}}^{t+1}
#   + \mathbf{R}_f^\top\delta\bar{\mathbf{f}}^{t+1} + \mathbf{R}_o^\top\delta\bar{\mathbf{o}}^{t+1}\\
# \delta\bar{\mathbf{o}}^t &= \delta\mathbf{y}^t \odot h(\mathbf{c}^t) \odot \sigma'(\bar{\mathbf{o}}^t)\\
# \delta\mathbf{c}^t &= \delta\mathbf{y}^t \odot \mathbf{o}^t \odot h'(\mathbf{c}^t) + \mathbf{p}_o \odot
#   \delta\bar{\mathbf{o}}^t + \mathbf{p}_i \odot \delta\bar{\mathbf{i}}^{t+1} + \mathbf{p}_f \odot
#   \delta\bar{\mathbf{f}}^{t+1} + \delta\mathbf{c}^{t+1} \odot \mathbf{f}^{t+1}\\
# \delta\bar{\mathbf{f}}^t &= \delta\mathbf{c}^t \odot \mathbf{c}^{t-1} \odot \sigma'(\bar{\mathbf{f}}^t), \qquad
# \delta\bar{\mathbf{i}}^t = \delta\mathbf{c}^t \odot \mathbf{z}^t \odot \sigma'(\bar{\mathbf{i}}^t), \qquad
# \delta\bar{\mathbf{z}}^t = \delta\mathbf{c}^t \odot \mathbf{i}^t \odot g'(\bar{\mathbf{z}}^t)
# \end{aligned}$$
#
# The last term of $\delta\mathbf{c}^t$, $\delta\mathbf{c}^{t+1} \odot \mathbf{f}^{t+1}$, is the carousel. The
# weight gradients then sum over time, as for the Elman RNN: $\partial L/\partial \mathbf{W}_\star = \sum_t
# \delta\bar{\star}^t \otimes \mathbf{x}^t$, $\partial L/\partial \mathbf{R}_\star = \sum_t \delta\bar{\star}^t
# \otimes \mathbf{y}^{t-1}$, $\partial L/\partial \mathbf{p}_i = \sum_t \mathbf{c}^{t-1} \odot
# \delta\bar{\mathbf{i}}^t$, and so on. `lstm_backward` follows these lines; its documentation restates them in
# the code's names:

# %%
print(inspect.getdoc(lstm_backward).split("then, summed")[0])

# %% [markdown]
# The test that matters: every gradient, peepholes included, against centred finite differences in float64, for
# a loss that reads every output and the final cell, $L = \sum_t \mathbf{y}^t \cdot \mathbf{u}^t + \mathbf{c}^T \cdot
# \mathbf{v}$ with fixed random $\mathbf{u}^t, \mathbf{v}$.

# %%
N, T, D, H = 2, 5, 3, 4
params = {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
          "c0": rng.standard_normal((N, H)), "Wx": rng.standard_normal((D, 4 * H)) * 0.5,
          "Wh": rng.standard_normal((H, 4 * H)) * 0.5, "b": rng.standard_normal(4 * H) * 0.1,
          "P": rng.standard_normal((3, H)) * 0.5}
u, v = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))


def probe_loss(p):
    h, (_, c_last), _ = lstm_forward(p["x"], p["h0"], p["c0"], p["Wx"], p["Wh"], p["b"], peepholes=p["P"])
    return float(np.sum(h * u) + np.sum(c_last * v))


_, _, cache_g = lstm_forward(params["x"], params["h0"], params["c0"], params["Wx"], params["Wh"], params["b"],
                             peepholes=params["P"])
analytic = dict(zip(["x", "h0", "c0", "Wx", "Wh", "b", "P"], lstm_backward(u, cache_g, dc_T=v), strict=True))
errors = {}
for name, value in params.items():
    errors[name] = rel_error(analytic[name], numerical_gradient(lambda: probe_loss(params), value))
    print(f"  dL/d{name:<2} {str(value.shape):>10}: relative error {errors[name]:.1e}")
assert max(errors.values()) < 1e-7, "the LSTM backward pass must agree with finite differences"

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.lstm_bptt", "l5.q.forget_grad_zero")

# %% [markdown]
# ## The gated recurrent unit
#
# The GRU (Cho et al. 2014) keeps the gating idea and drops the separate cell: one state, two gates. The
# **update gate** $\mathbf{z}$ interpolates between the old state and a candidate $\tilde{\mathbf{h}}$, and the
# **reset gate** $\mathbf{r}$ decides how much of the old state the candidate sees. Written as in
# Jozefowicz et al. (2015):
#
# $$\mathbf{r}_t = \sigma(W_{xr}\mathbf{x}_t + W_{hr}\mathbf{h}_{t-1} + \mathbf{b}_r), \quad
#   \mathbf{z}_t = \sigma(W_{xz}\mathbf{x}_t + W_{hz}\mathbf{h}_{t-1} + \mathbf{b}_z),$$
# $$\tilde{\mathbf{h}}_t = \tanh\big(W_{xh}\mathbf{x}_t + W_{hh}(\mathbf{r}_t \odot \mathbf{h}_{t-1}) +
#   \mathbf{b}_h\big), \qquad
#   \mathbf{h}_t = \mathbf{z}_t \odot \mathbf{h}_{t-1} + (1 - \mathbf{z}_t) \odot \tilde{\mathbf{h}}_t .$$

# %%
display(figures.gru_cell())

# %% [markdown]
# Two details differ between sources, and both matter when weights are copied:
#
# * **Where the reset acts.** Above (and in Cho et al.), $\mathbf{r}$ multiplies the old state *before* the
#   recurrent product. PyTorch's `nn.GRU` (following the cuDNN kernels) applies it *after*:
#   $\tilde{\mathbf{h}}_t = \tanh(W_{xh}\mathbf{x}_t + \mathbf{b}_{xh} + \mathbf{r}_t \odot (W_{hh}\mathbf{h}_{t-1}
#   + \mathbf{b}_{hh}))$. The NumPy reference has both: `variant="lecture"` and `variant="pytorch"`.
# * **Which way $\mathbf{z}$ points.** Here and in PyTorch, $\mathbf{z}$ is the weight of the *old* state. Goldberg
#   writes $\mathbf{s}_j = (\mathbf{1} - \mathbf{z}) \odot \mathbf{s}_{j-1} + \mathbf{z} \odot
#   \tilde{\mathbf{s}}_j$: its $\mathbf{z}$ is our $\mathbf{1} - \mathbf{z}$. Since $1 - \sigma(a) = \sigma(-a)$, it is
#   the same model with the $\mathbf{z}$-weights negated.
#
# Checks of all three statements — and of the layout, gates $[r, z, n]$ as in PyTorch ($n$ is the candidate
# $\tilde{\mathbf{h}}$):

# %%
N, T, D, H = 3, 6, 5, 4
torch_gru = nn.GRU(D, H, batch_first=True).double()
x_g = rng.standard_normal((N, T, D))
with torch.no_grad():
    out_gru = torch_gru(torch.from_numpy(x_g))[0].numpy()
Wx_g, Wh_g, bx_g, bh_g = from_torch_gru(*(p.detach().numpy() for p in (
    torch_gru.weight_ih_l0, torch_gru.weight_hh_l0, torch_gru.bias_ih_l0, torch_gru.bias_hh_l0)))
h_pt = gru_forward(x_g, None, Wx_g, Wh_g, bx_g, bh_g, variant="pytorch")[0]
h_lec = gru_forward(x_g, None, Wx_g, Wh_g, bx_g, bh_g, variant="lecture")[0]
print(f"variant='pytorch' vs nn.GRU: max diff {np.abs(h_pt - out_gru).max():.1e};  "
      f"variant='lecture' vs nn.GRU: max diff {np.abs(h_lec - out_gru).max():.2f}")
assert np.allclose(h_pt, out_gru, atol=1e-12) and not np.allclose(h_lec, out_gru, atol=1e-3)


def goldberg_gru_step(x_t, s_prev, Wx, Wh, b):
    """Goldberg's GRU: s_j = (1 - z) * s_{j-1} + z * s~_j, reset before the product; blocks [r, z, n]."""
    H = s_prev.shape[1]
    a = x_t @ Wx[:, :2 * H] + s_prev @ Wh[:, :2 * H] + b[:2 * H]
    r, z = sigmoid(a[:, :H]), sigmoid(a[:, H:])
    s_tilde = np.tanh(x_t @ Wx[:, 2 * H:] + (r * s_prev) @ Wh[:, 2 * H:] + b[2 * H:])
    return (1 - z) * s_prev + z * s_tilde


flip = np.ones(3 * H)
flip[H:2 * H] = -1  # negate the z-block: z_Goldberg = sigma(-a_z) = 1 - z
h_prev = rng.standard_normal((N, H))
ours = gru_step_forward(x_g[:, 0], h_prev, Wx_g, Wh_g, bx_g, bh_g, variant="lecture")[0]
goldberg = goldberg_gru_step(x_g[:, 0], h_prev, Wx_g * flip, Wh_g * flip, (bx_g + bh_g) * flip)
print(f"Goldberg's GRU with negated z-weights equals the lecture variant: {np.allclose(ours, goldberg)}")
assert np.allclose(ours, goldberg)

n_lstm = sum(p.numel() for p in nn.LSTM(D, H).parameters())
n_gru = sum(p.numel() for p in nn.GRU(D, H).parameters())
print(f"parameters for D = {D}, H = {H}: LSTM {n_lstm} (4 blocks), GRU {n_gru} (3 blocks)")
assert n_gru * 4 == n_lstm * 3

# %% [markdown]
# The GRU has three blocks of weights to the LSTM's four and no separate cell, so it is a little cheaper. Its
# update $\mathbf{h}_t = \mathbf{z} \odot \mathbf{h}_{t-1} + (1-\mathbf{z}) \odot \tilde{\mathbf{h}}$ ties
# forgetting to writing (one gate for both); with $\mathbf{z}$ near 1 the state is copied, and the gradient with
# it, as through the LSTM's cell. Chung et al. (2014) found the two comparable; which one wins depends on the
# task.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.gru_reset", "l5.q.gru_vs_lstm")

# %% [markdown]
# ## Is the LSTM optimal? Jozefowicz, Zaremba & Sutskever (2015)
#
# *An Empirical Exploration of Recurrent Network Architectures* (ICML 2015) ran an evolutionary search over more
# than ten thousand cell architectures — mutations of the LSTM and GRU computation graphs — on arithmetic, XML
# modelling, language modelling (Penn Treebank) and music. Findings relevant here:
#
# * **A forget-gate bias of 1 matters.** An LSTM whose $\mathbf{b}_f$ is initialised to 1 closed the gap to the
#   GRU, which had beaten the plain LSTM on most of their tasks. The carousel plot above shows why: $b_f = 0$
#   starts the network forgetting half its cell at every step.
# * **Among the gates**, removing the forget gate hurt badly on every task but language modelling, removing the
#   input gate hurt too, and the output gate mattered least.
# * **No clear winner.** The best three architectures found, named **MUT1, MUT2, MUT3**, are close relatives of
#   the GRU; they beat the LSTM and the GRU on some tasks but not on all:
#
# $$\text{MUT1:}\quad \mathbf{z} = \sigma(W_{xz}\mathbf{x}_t + \mathbf{b}_z),\quad
#   \mathbf{r} = \sigma(W_{xr}\mathbf{x}_t + W_{hr}\mathbf{h}_t + \mathbf{b}_r),\quad
#   \mathbf{h}_{t+1} = \tanh\big(W_{hh}(\mathbf{r} \odot \mathbf{h}_t) + \tanh(\mathbf{x}_t) + \mathbf{b}_h\big)
#   \odot \mathbf{z} + \mathbf{h}_t \odot (1 - \mathbf{z})$$
# $$\text{MUT2:}\quad \mathbf{z} = \sigma(W_{xz}\mathbf{x}_t + W_{hz}\mathbf{h}_t + \mathbf{b}_z),\quad
#   \mathbf{r} = \sigma(\mathbf{x}_t + W_{hr}\mathbf{h}_t + \mathbf{b}_r),\quad
#   \mathbf{h}_{t+1} = \tanh\big(W_{hh}(\mathbf{r} \odot \mathbf{h}_t) + W_{xh}\mathbf{x}_t + \mathbf{b}_h\big)
#   \odot \mathbf{z} + \mathbf{h}_t \odot (1 - \mathbf{z})$$
# $$\text{MUT3:}\quad \mathbf{z} = \sigma(W_{xz}\mathbf{x}_t + W_{hz}\tanh(\mathbf{h}_t) + \mathbf{b}_z),\quad
#   \mathbf{r} = \sigma(W_{xr}\mathbf{x}_t + W_{hr}\mathbf{h}_t + \mathbf{b}_r),\quad
#   \mathbf{h}_{t+1} = \tanh\big(W_{hh}(\mathbf{r} \odot \mathbf{h}_t) + W_{xh}\mathbf{x}_t + \mathbf{b}_h\big)
#   \odot \mathbf{z} + \mathbf{h}_t \odot (1 - \mathbf{z})$$
#
# (Here $\mathbf{z}$ weighs the new candidate, as in Goldberg's GRU. In MUT1 the update gate reads only the input; in
# MUT2 the input enters the reset gate unweighted; in MUT3 the update gate reads $\tanh(\mathbf{h}_t)$.) The
# practical lesson: use an LSTM with forget-gate bias 1, or a GRU; look elsewhere for large gains.
#
# **A typo to watch for.** Figure 1 of Jozefowicz et al. (2015) prints the LSTM's output gate as
# $\mathbf{o}_t = \tanh(W_{xo}\mathbf{x}_t + W_{ho}\mathbf{h}_{t-1} + \mathbf{b}_o)$, and slides that copy the
# figure repeat it. The output gate is a **sigmoid**, $\mathbf{o}_t = \sigma(W_{xo}\mathbf{x}_t +
# W_{ho}\mathbf{h}_{t-1} + \mathbf{b}_o)$, like the other two gates: a gate must lie in $(0, 1)$, while a $\tanh$
# "gate" could be negative and flip the sign of what the cell shows. (The same figure calls the candidate
# $\mathbf{i}_t = \tanh(\cdot)$ and the input gate $\mathbf{j}_t = \sigma(\cdot)$ — the reverse of the usual
# letters, but not an error.) The check below runs PyTorch's LSTM: all its output gates lie in $(0, 1)$.
#
# PyTorch initialises every LSTM bias uniformly around 0. Setting the forget block (rows $H..2H$ of the packed
# $[i, f, g, o]$ biases) to 1 is one line; only the sum of the two bias vectors matters:

# %%
H = 8
lstm_b1 = nn.LSTM(5, H, batch_first=True)
with torch.no_grad():
    lstm_b1.bias_ih_l0[H:2 * H] = 1.0
    lstm_b1.bias_hh_l0[H:2 * H] = 0.0
    Wx1, Wh1, b1 = from_torch_lstm(*(p.numpy() for p in (lstm_b1.weight_ih_l0, lstm_b1.weight_hh_l0,
                                                          lstm_b1.bias_ih_l0, lstm_b1.bias_hh_l0)))
f0 = lstm_gate_activations(lstm_forward(np.zeros((1, 1, 5)), None, None, Wx1, Wh1, b1)[2])["f"]
print(f"forget gate on a zero input from the zero state: {f0.ravel()[:4].round(3)} ... = sigma(1) = {sigmoid(1.0):.3f}")
assert np.allclose(f0, sigmoid(1.0))
o_gates = lstm_gate_activations(lstm_forward(3 * rng.standard_normal((4, 6, 5)), None, None, Wx1, Wh1, b1)[2])["o"]
print(f"output gates of nn.LSTM's weights on random inputs: min {o_gates.min():.3f}, max {o_gates.max():.3f}")
assert 0 < o_gates.min() and o_gates.max() < 1  # a sigmoid, not the tanh of the paper's figure

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.jozefowicz", "l5.q.output_sigmoid")

# %% [markdown]
# ## A trained character LSTM
#
# The course ships a character-level LSTM language model trained on tiny-shakespeare (the same data and
# train/validation split as Lecture 3's Elman RNN). Training it takes longer than a lecture should, so it was
# trained once with `python -m course_lib.train char_lm` — run that yourself to reproduce it — and its record is
# stored next to the weights. Its size and record, and its loss on the start of the validation text next to the
# context-free baseline of Lecture 3:

# %%
char_lm, info = load_shipped("char_lstm_shakespeare")
record = info.records.get("char_lstm_shakespeare", {})
print(f"RNNLM: cell {char_lm.cell}, {char_lm.num_layers} layer(s), hidden {char_lm.hidden_dim}, "
      f"embedding {char_lm.embed_dim}, vocabulary {char_lm.vocab_size}; "
      f"{sum(p.numel() for p in char_lm.parameters()):,} parameters")
if "val_bits_per_token" in record:  # the record written by `python -m course_lib.train char_lm`
    print(f"trained with {record['commands'][-1]!r}: {record['tokens_seen']:,} characters seen in "
          f"{record['wall_s'] / 60:.0f} min; validation loss {record['val_bits_per_token']:.2f} bits/char")

val_text = load_tinyshakespeare("val")
train_text = load_tinyshakespeare("train")
val_ids = info.encode(val_text[:5000])
with torch.no_grad():
    logits, _ = char_lm(val_ids[None, :-1])
lstm_bpc = F.cross_entropy(logits[0], val_ids[1:]).item() / math.log(2)
freq = Counter(train_text)
unigram_bpc = -np.mean([math.log2(freq[c] / len(train_text)) if freq[c] else math.log2(1 / len(train_text))
                        for c in val_text[1:5000]])
print(f"first 5,000 validation characters: LSTM {lstm_bpc:.2f} bits/char; "
      f"character frequencies alone {unigram_bpc:.2f} bits/char")
assert lstm_bpc < unigram_bpc - 1.0

# %% [markdown]
# Samples at two temperatures (Lecture 3: the logits are divided by $\tau$ before the softmax):

# %%
prompt = "ROMEO:\n"
samples = {}
for tau in (0.5, 1.0):
    gen = torch.Generator().manual_seed(0)
    samples[tau] = info.decode(char_lm.sample(info.encode(prompt), 300, temperature=tau, generator=gen))
    print(f"----- temperature {tau} -----\n{prompt}{samples[tau]}\n")

known = set(re.findall(r"[a-z]+", train_text.lower()))  # every word of the training text
real_words = {}
for tau, sample in samples.items():
    words = re.findall(r"[a-z]+", sample.lower())
    real_words[tau] = np.mean([w in known for w in words])
    print(f"temperature {tau}: {100 * real_words[tau]:.0f} % of the {len(words)} generated words occur in training")
assert real_words[0.5] > real_words[1.0]

# %% [markdown]
# Look for the shape of a play in the samples: speaker names, line breaks, verse. At $\tau = 0.5$ the model stays
# on safe, frequent words, and more of the words it writes are real ones; at $\tau = 1.0$ it is more varied and
# invents more words (the shares printed above). The LSTM has a far lower
# loss than the character frequencies — compare the Elman RNN of Lecture 3 after half a minute of training.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.sample", "l5.q.temperature")

# %% [markdown]
# ## Can we read the cells?
#
# Karpathy, Johnson & Fei-Fei (2015, *Visualizing and understanding recurrent networks*) coloured each
# character of a text by the value of one LSTM cell after reading it, and found a few cells with a clear meaning:
# one that counts the position in the line, one that is on inside quotes, one that tracks the depth of
# brackets in code. Most cells, they note, have no such reading.
#
# The **cell-activation viewer** does the same for our model, and its **find units** search ranks the cells by
# their correlation with a feature you write as a Python function `feature(text, i)`. Here we search the
# validation text (4,000 characters from its first speaker on) for a cell that tracks `position_in_line`
# (characters since the last newline):

# %%
text = val_text[val_text.index("\n\n") + 2:][:4000]  # the split cuts a line: start at the first speaker's name
assert re.match(r"[A-Z][A-Za-z' ]*:\n", text), "the text opens on a speaker's name"
cells = unit_activations(char_lm, text, info.vocab, kind="cell")  # (L, H): c_t after each character
column = feature_values(position_in_line, text)
ranked = rank_units(cells, column, top=5)
print("cells most correlated with the position in the line:", ", ".join(f"unit {u}: r = {r:+.2f}"
                                                                        for u, r in ranked))
best_unit, best_r = ranked[0]
assert abs(best_r) > 0.5, "some cell tracks the position in the line"

# %% [markdown]
# The viewer opens on that best unit (the first one printed above), with the cell state and the "position in
# line" search ready to run; the coloured text scrolls inside its box, with the sliders above and the search
# below it.

# %%
viewer = cell_activation_viewer(char_lm, info.vocab, text, kind="cell", unit=best_unit, feature="position in line",
                                page_size=1500)
opened_on = viewer.page_html() if hasattr(viewer, "page_html") else viewer.html  # live widget or static page
assert f"unit {best_unit} (cell c_t)" in opened_on, "the viewer opens on the unit named above"
display(viewer)

# %% [markdown]
# The sign of a correlation means nothing (a unit can count down as well as up); its size does. In the viewer
# (live in JupyterLab; a static page when run headless), the colour of each character is the cell's value after
# reading it: watch the best unit sweep across each line and jump back at every newline. Move the unit slider,
# try the other preset features, or write your own — for example `lambda text, i: text[i].isupper()`.
#
# Karpathy et al.'s quote and bracket cells cannot appear here: Tiny Shakespeare has no double quotes and no
# brackets at all (checked below), so the model never saw one. The viewer's "inside quotes" and "inside
# parentheses" presets say so — the feature is constant on this text, so every unit would get $r = 0$ — and
# they work on a text that has quotes, read by a model trained on such text.

# %%
print("double quotes in the training text:", train_text.count('"'), "| brackets:", train_text.count("("))
assert '"' not in train_text and "(" not in train_text and ")" not in train_text
quote_warning = constant_feature_note(feature_values(inside_quotes, text), "inside quotes")
print(re.sub("<[^>]+>", "", quote_warning))
assert "constant" in quote_warning  # what the viewer shows for that preset on this text

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l5.q.cells", "l5.q.corr_sign")

# %% [markdown]
# ## Summary
#
# * A gate is a learned, soft, elementwise switch: $\sigma(\cdot) \odot$.
# * The LSTM writes to its cell through the input gate, keeps it through the forget gate and shows it through the
#   output gate; along the cell the gradient is multiplied only by $\mathbf{f}$ — the constant error carousel.
# * Initialise the forget-gate bias to 1 (Jozefowicz et al. 2015).
# * The GRU does the same with two gates and one state; mind the reset placement and the direction of
#   $\mathbf{z}$ when you move weights between implementations.
#
# ## Exercises (they check themselves)
#
# Replace each `None` with your answer and re-run the cell. The expected answers live in `course_lib`, not
# here; a wrong answer gets a hint, and `solution("key")` prints the worked solution when you want it.
#
# **1.** With the memory $\mathbf{s} = (1, 2, 3)$, the input $\mathbf{x} = (7, 8, 9)$ and the gate
# $\mathbf{g} = (1, 0, 1)$, what is $\mathbf{s}'$? Give a NumPy array.

# %%
answer_1 = None
check("l5.gated_write", answer_1)

# %% [markdown]
# **2.** How many parameters does `nn.LSTM(input_size=10, hidden_size=20)` have?

# %%
answer_2 = None
check("l5.lstm_params", answer_2)

# %% [markdown]
# **3.** If every forget gate stays at 0.9, by what factor does the direct cell path scale the gradient over 50
# steps?

# %%
answer_3 = None
check("l5.cell_path", answer_3)

# %% [markdown]
# **4.** A GRU in the lecture's convention has $\mathbf{z} \approx \mathbf{1}$ (a huge update-gate bias). What is
# $\mathbf{h}_t$ when $\mathbf{h}_{t-1} = (0.5, -0.2)$? Give a NumPy array.

# %%
answer_4 = None
check("l5.gru_z1", answer_4)

# %% [markdown]
# **5.** (Open.) Use the viewer's feature box to look for a cell that is on inside a speaker's name (a line of
# capitals ending in a colon). Then retrain Lecture 4's agreement experiment with `cell="gru"`.
#
# *Previous:* [Lecture 4 — vanishing and exploding gradients](04_vanishing_exploding_gradients.py).
# *Next:* [Lecture 6 — sequence labelling](06_sequence_labelling.py).
