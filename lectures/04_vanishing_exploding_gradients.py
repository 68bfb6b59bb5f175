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
# # Lecture 4 — Vanishing and exploding gradients
#
# *Recurrent neural networks for NLP, part 4 of 7.* [Lecture 3](03_recurrent_networks.py) trained an Elman RNN
# with backpropagation through time and quietly clipped its gradient. This lecture explains why both were
# needed, and why the plain RNN, in spite of reading the whole prefix, in practice uses only its last few
# words.
#
# Two things go wrong with the simple RNN. It has **no control over its memory**: every step overwrites the
# whole state, whether or not the new input matters. And its **gradients are unstable**: the error signal that
# travels back through time is multiplied by the same matrix at every step, so it shrinks to nothing or blows
# up exponentially with the distance (Bengio, Simard & Frasconi 1994; Hochreiter et al. 2001; Pascanu,
# Mikolov & Bengio 2013).
#
# Plan: the Jacobian product and the eigenvalue argument; powers of a matrix; how $\tanh$ saturation makes
# vanishing worse; an interactive explorer; gradient-norm clipping on a run that explodes; and what vanishing
# gradients cost a model of language — subject-verb agreement across distractor nouns (Linzen et al. 2016).
#
# Assignment links: clipping and BPTT are part of [Assignment 1 (BPTT)](../assignments/release/bptt/bptt.ipynb);
# the gated cells that fix the vanishing side are [Assignment 2 (gating)](../assignments/release/gating/gating.ipynb).

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from course_lib.agreement import (
    accuracy_by_attractors,
    build_vocab,
    encode,
    predict,
    recency_baseline,
    train_number_predictor,
)
from course_lib.data import load_agreement
from course_lib.exercises import ask, check
from course_lib.reference.optim import clip_grad_norm
from course_lib.reference.rnn import rnn_forward, rnn_hidden_jacobian_norms
from course_lib.widgets import vanishing_gradient_explorer
from course_lib.widgets.gradients import base_recurrent_matrix, clipping_trace, gradient_norms_through_time

torch.manual_seed(0)
torch.set_num_threads(1)  # the models here are tiny: one thread is fastest, and fair to a shared machine
rng = np.random.default_rng(0)

# %% [markdown]
# ## A product of Jacobians
#
# Take the Elman RNN of Lecture 3 in the course's row-vector layout,
# $\mathbf{a}_t = \mathbf{x}_t W^x + \mathbf{h}_{t-1} W^h + \mathbf{b}$, $\mathbf{h}_t = g(\mathbf{a}_t)$
# (texts that use column vectors write $\mathbf{h}^{(t)} = \sigma(\mathbf{W}_h\mathbf{h}^{(t-1)} +
# \mathbf{W}_e\mathbf{e}^{(t)} + \mathbf{b}_1)$, and their $\mathbf{W}_h$ is our $(W^h)^\top$). One step has the
# Jacobian
#
# $$\frac{\partial \mathbf{h}_k}{\partial \mathbf{h}_{k-1}} = \operatorname{diag}\big(g'(\mathbf{a}_k)\big)\,
#   (W^h)^\top ,$$
#
# and a loss at the last step $T$ reaches an earlier state $\mathbf{h}_t$ through all the steps in between, by
# the chain rule:
#
# $$\frac{\partial \mathbf{h}_T}{\partial \mathbf{h}_t} = \prod_{k=t+1}^{T}
#   \frac{\partial \mathbf{h}_k}{\partial \mathbf{h}_{k-1}}
#   = \prod_{k=t+1}^{T} \operatorname{diag}\big(g'(\mathbf{a}_k)\big)\,(W^h)^\top .$$
#
# This is BPTT's `dnext` after $T - t$ steps. The same matrix $W^h$ appears $T-t$ times. Multiply many numbers
# slightly below 1 and the result collapses to 0; slightly above 1 and it runs off to infinity. Matrices behave
# the same way, with their eigenvalues in the role of the numbers.
#
# **The linear case makes it exact.** With $g(a) = a$ every $g'$ is 1 and
# $\partial \mathbf{h}_T / \partial \mathbf{h}_t = \big((W^h)^\top\big)^{T-t}$. If $(W^h)^\top = Q \Lambda
# Q^{-1}$ with eigenvalues $\lambda_1, \dots, \lambda_H$, then $\big((W^h)^\top\big)^n = Q \Lambda^n Q^{-1}$: the
# component of the gradient along eigenvector $i$ is multiplied by $\lambda_i^n$. So the **spectral radius**
# $\rho = \max_i |\lambda_i|$ decides: for $\rho < 1$ every component dies out like $\rho^n$ (vanishing); for
# $\rho > 1$ the component along the largest eigenvalue grows like $\rho^n$ (exploding).
#
# **With a nonlinearity** (Pascanu et al. 2013, Sec. 2.1): if $|g'| \le \gamma$ ($\gamma = 1$ for $\tanh$,
# $\frac14$ for the logistic sigmoid), each factor has norm at most $\gamma\,\sigma_{\max}(W^h)$, with
# $\sigma_{\max}$ the largest singular value. Hence $\sigma_{\max}(W^h) < 1/\gamma$ is *sufficient* for the
# gradient to vanish, and $\sigma_{\max}(W^h) > 1/\gamma$ is *necessary* for it to explode. The spectral radius
# alone does not decide with a nonlinearity: $W^h = \begin{pmatrix}1.5 & -1.5\\ 1.5 & -1.5\end{pmatrix}$ has
# $\rho = 0$ but $\sigma_{\max} = 3$, and its gradients can still grow.

# %%
# rho = 0, sigma_max = 3; with unit 0 linear (g' = 1) and unit 1 saturated (g' = 0) every step multiplies the
# gradient (a row vector) by D W_h^T, whose powers grow like 1.5^n
W_cex = np.array([[1.5, -1.5], [1.5, -1.5]])
D_sat = np.diag([1.0, 0.0])
rho_cex = max(abs(np.linalg.eigvals(W_cex)))
sigma_cex = np.linalg.svd(W_cex, compute_uv=False)[0]
growth = [np.linalg.norm(np.linalg.matrix_power(D_sat @ W_cex.T, n), 2) for n in (1, 10, 20)]
print(f"rho = {rho_cex:.1e}, sigma_max = {sigma_cex:.2f}, ||(D W^T)^n|| for n = 1, 10, 20: "
      + ", ".join(f"{g:.3g}" for g in growth))
assert rho_cex < 1e-7 and np.isclose(sigma_cex, 3.0) and growth[2] > 1e3 * growth[0]

# %% [markdown]
# Check the linear claim with the NumPy reference: `rnn_hidden_jacobian_norms` multiplies the per-step
# Jacobians exactly as above. With $W^h = \rho Q$ for an orthogonal $Q$ (all singular values 1), the spectral
# norm of $\partial\mathbf{h}_T/\partial\mathbf{h}_t$ must be exactly $\rho^{T-t}$.

# %%
H, D, T = 16, 4, 50
Q = base_recurrent_matrix(H, seed=0, init="orthogonal")  # orthogonal: |eigenvalues| = singular values = 1
x = rng.standard_normal((1, T, D))
for rho in (0.9, 1.0, 1.1):
    _, cache = rnn_forward(x, np.zeros((1, H)), rng.standard_normal((D, H)), rho * Q, np.zeros(H), "linear")
    norms = rnn_hidden_jacobian_norms(cache)[0]  # (T + 1,): ||dh_T / dh_t||_2 for t = 0..T
    print(f"rho = {rho}: ||dh_T/dh_0|| = {norms[0]:.3e}   rho^T = {rho ** T:.3e}")
    assert np.allclose(norms, rho ** (T - np.arange(T + 1)))

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.jacobian", "l4.q.counterexample")

# %% [markdown]
# ## Powers of a matrix
#
# The same experiment without an RNN around it: the norm $\lVert M^k \rVert_2$ for $k = 1..100$ and three spectral
# radii, for two kinds of random matrix — an orthogonal one scaled to radius $\rho$ (norms exactly $\rho^k$), and a
# Gaussian one (entries $\mathcal N(0, 1/H)$) rescaled to the same radius. The Gaussian matrix is not normal, so its
# norm can first move away from $\rho^k$, but after a few dozen powers the spectral radius wins.

# %%
H, K = 64, 100
ks = np.arange(1, K + 1)
power_norms = {}
for init in ("orthogonal", "gaussian"):
    M1 = base_recurrent_matrix(H, seed=0, init=init)  # spectral radius exactly 1
    for rho in (0.9, 1.0, 1.1):
        P, out = np.eye(H), []
        for _ in ks:
            P = P @ (rho * M1)
            out.append(np.linalg.norm(P, 2))
        power_norms[init, rho] = np.array(out)
        print(f"{init:>10}, rho = {rho}: ||M^10|| = {out[9]:9.3e}   ||M^100|| = {out[-1]:9.3e}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, init in zip(axes, ("orthogonal", "gaussian")):
    for rho, colour in zip((0.9, 1.0, 1.1), ("C0", "C7", "C3")):
        ax.semilogy(ks, power_norms[init, rho], color=colour, label=f"ρ = {rho}")
        ax.semilogy(ks, rho ** ks.astype(float), color=colour, ls=":", lw=1)
    ax.set(xlabel="power k", title=f"{init} M, scaled to spectral radius ρ")
    ax.legend()
axes[0].set_ylabel("‖M^k‖₂  (dotted: ρ^k)")
fig.tight_layout()

for init in ("orthogonal", "gaussian"):
    assert power_norms[init, 0.9][-1] < 1e-3 < 1e3 < power_norms[init, 1.1][-1]
assert np.allclose(power_norms["orthogonal", 1.0], 1.0)

# %% [markdown]
# A hundred steps is not long: a paragraph in characters, a few sentences in words. At $\rho = 0.9$ the
# gradient from a hundred steps back is more than a thousand times weaker than the one from the current step,
# for both kinds of matrix; at $\rho = 1.1$ it is more than a thousand times stronger. Only $\rho = 1$ with an
# orthogonal matrix keeps it constant — the idea behind orthogonal and identity initialisations (Saxe et al.
# 2014; Le, Jaitly & Hinton 2015), which only fix the *start* of training.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.powers", "l4.q.norm_vs_radius")

# %% [markdown]
# ## Saturation makes it worse
#
# With $\tanh$, every Jacobian also carries $\operatorname{diag}(1 - \mathbf{h}_k^2)$, whose entries are at most 1
# and close to 0 wherever a unit is saturated ($|a| \gtrsim 2$). The inputs decide how saturated the units are.
# Below, the same RNN with $\rho = 1.1$ — exploding when linear — runs with $\tanh$ on inputs of growing scale.

# %%
H, D, T = 32, 8, 60
Wx, Wh = rng.standard_normal((D, H)) / np.sqrt(D), 1.1 * base_recurrent_matrix(H, seed=1)
x_unit = rng.standard_normal((1, T, D))
saturation = {}
_, cache = rnn_forward(x_unit, np.zeros((1, H)), Wx, Wh, np.zeros(H), "linear")
saturation["linear"] = rnn_hidden_jacobian_norms(cache)[0]
for scale in (0.1, 1.0, 3.0):
    h_seq, cache = rnn_forward(scale * x_unit, np.zeros((1, H)), Wx, Wh, np.zeros(H), "tanh")
    saturation[f"tanh, inputs x {scale}"] = rnn_hidden_jacobian_norms(cache)[0]
    print(f"tanh, input scale {scale}: mean tanh'(a) = {np.mean(1 - h_seq ** 2):.2f}, "
          f"||dh_T/dh_0|| = {saturation[f'tanh, inputs x {scale}'][0]:.2e}")
print(f"linear:                 ||dh_T/dh_0|| = {saturation['linear'][0]:.2e}")

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, v in saturation.items():
    ax.semilogy(np.arange(T + 1), v, label=name)
ax.set(xlabel="t", ylabel="‖∂h_T/∂h_t‖₂", title=f"W_h = 1.1·orthogonal, T = {T}")
ax.legend()
fig.tight_layout()

curves = [saturation[f"tanh, inputs x {s}"] for s in (0.1, 1.0, 3.0)]
assert all(np.all(c <= saturation["linear"] * (1 + 1e-9)) for c in curves), "|tanh'| <= 1 only shrinks"
assert curves[0][0] > 1 > curves[1][0] > curves[2][0], "more saturation, faster vanishing"

# %% [markdown]
# With tiny inputs the $\tanh$ RNN starts nearly linear and its gradient still grows, though much less than the
# linear one's: with $\rho > 1$ the state itself grows until its units begin to saturate. At the inputs' natural
# scale the same weights make the gradient *vanish*, and with larger inputs it vanishes faster. For $\tanh$ the bound is
# one-sided: saturation can only shrink the product, never grow it (the curves never cross above the linear one).
# So in practice the vanishing side is the common one, while explosions come in bursts, when the state moves into
# a region where units are not saturated and $W^h$ has a large singular value.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.necessary", "l4.q.saturation")

# %% [markdown]
# ## Explore it yourself
#
# The explorer below recomputes everything from the NumPy reference when a control moves. Top left:
# $\lVert \partial L / \partial \mathbf{h}_t \rVert$ for a loss $L = \mathbf{u}\cdot\mathbf{h}_T$ on the last state,
# for an Elman $\tanh$ RNN, an LSTM and a GRU on the same inputs, with the reference line $\rho^{T-t}$ (what a
# linear RNN gives exactly with the orthogonal initialisation; with the Gaussian one it is only a guide); top
# right, the eigenvalues of $W^h$ against the unit circle; bottom, a short SGD run with and without clipping
# (next section). Things to try: move $\rho$ across 1 and watch the eigenvalues leave the circle; switch to the
# Gaussian initialisation; raise the LSTM's forget-gate bias (next lecture); switch "measure" to the full
# Jacobian $\lVert \partial\mathbf{h}_T / \partial\mathbf{h}_t \rVert_2$. It opens at $\rho = 1$ with the three
# cells ticked, and the line under the controls gives, for each ticked cell, the gradient that reaches the first
# state, $\lVert \partial L / \partial \mathbf{h}_1 \rVert$ (its label follows the measure). A value beyond
# $10^{\pm 30}$ does not fit the plot: it is drawn as a dotted run along the edge with a triangle, marked "off
# scale". Headless, the cell shows a static picture of the default settings.

# %%
explorer = vanishing_gradient_explorer(T=100, H=64, radius=1.0)
display(explorer)

# %%
reach = {cell: gradient_norms_through_time(cell, T=100, H=64, radius=1.0, forget_bias=1.0)[0]
         for cell in ("tanh", "lstm", "gru")}  # ||dL/dh_1||, what reaches the first state (the explorer's numbers)
print("gradient reaching h_1 from t = 100:", ", ".join(f"{c} {v:.1e}" for c, v in reach.items()))
assert reach["tanh"] < 1e-6 * min(reach["lstm"], reach["gru"])
status = explorer.status.value if hasattr(explorer, "status") else explorer.html  # live widget or static page
assert "ρ = 1.00" in status and all(f"{label}: ‖∂L/∂h₁‖ = {reach[c]:.2e}" in status
                                    for c, label in (("tanh", "Elman tanh"), ("lstm", "LSTM"), ("gru", "GRU")))

# %% [markdown]
# Even at $\rho = 1$ the $\tanh$ RNN passes on almost nothing over 100 steps; the gated cells, with a
# forget-gate bias of 1, keep several orders of magnitude more. Why is the topic of
# [Lecture 5](05_gating_lstm_gru.py).

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.explore_linear", "l4.q.explore_bound")

# %% [markdown]
# ## Exploding gradients: clip the norm
#
# Vanishing gradients make learning long dependencies slow; exploding ones make training *fail*. A
# huge gradient is a sign that the loss surface has a cliff: a tiny move of the weights changes the loss a lot
# (Pascanu et al. 2013 draw it as a steep wall in the error surface). A step of the usual size in that direction throws the weights far away, often
# into a region where every unit is saturated and the gradient is zero from then on.
#
# The remedy of Pascanu et al. (2013, Algorithm 1) keeps the *direction* of the gradient and caps its *length*:
#
# $$\hat{\mathbf{g}} \leftarrow \frac{\partial \mathcal{E}}{\partial \theta}; \qquad
#   \text{if } \lVert \hat{\mathbf{g}} \rVert \ge \text{threshold}: \quad
#   \hat{\mathbf{g}} \leftarrow \frac{\text{threshold}}{\lVert \hat{\mathbf{g}} \rVert}\, \hat{\mathbf{g}} .$$
#
# The norm is taken over *all* parameters together, so the update direction is unchanged. This is
# `clip_grad_norm` in the NumPy reference, the same rule as `torch.nn.utils.clip_grad_norm_` (which Lecture 3's
# training loop called with threshold 5):

# %%
head, _, rest = inspect.getsource(clip_grad_norm).partition('"""')
print(head.rstrip() + "\n" + rest.partition('"""')[2].strip("\n"))  # the code without its docstring

# %%
grads = {"Wh": rng.standard_normal((3, 3)) * 10, "b": rng.standard_normal(3) * 10}
clipped, total = clip_grad_norm(grads, max_norm=1.0)
new_total = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
tensors = [torch.tensor(g) for g in grads.values()]
for t_ in tensors:
    t_.grad = t_.clone()
torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.0)
print(f"norm before {total:.3f}, after {new_total:.6f}; direction kept: "
      f"{np.allclose(clipped['Wh'] / grads['Wh'], clipped['b'] / grads['b'])}")
assert abs(new_total - 1.0) < 1e-5
assert all(np.allclose(c, t_.grad.numpy()) for c, t_ in zip(clipped.values(), tensors))

# %% [markdown]
# ### An exploding run, with and without clipping
#
# A $\tanh$ RNN with $W^h = 2Q$ ($\rho = 2$) reads two random sequences of 40 steps and must map them to random
# targets, $L = \frac{1}{2N}\sum_n \lVert \mathbf{h}_T^{(n)} - \mathbf{y}^{(n)} \rVert^2$. Two runs of plain SGD
# (learning rate 0.2) start from the same weights; one clips the gradient norm at 1
# (`course_lib.widgets.gradients.clipping_trace`, built on the reference `rnn_backward`, `SGD` and
# `clip_grad_norm`).

# %%
trace = clipping_trace(T=40, H=64, radius=2.0, threshold=1.0, seed=0, steps=30, lr=0.2)
print(" step | no clipping: loss  ‖g‖      | clipped at 1: loss  ‖g‖ before clipping")
for s in (0, 1, 2, 3, 5, 10, 20, 29):
    print(f"{s + 1:5d} | {trace['loss_plain'][s]:17.2f} {trace['norm_plain'][s]:9.2e} | "
          f"{trace['loss_clipped'][s]:18.2f} {trace['norm_clipped'][s]:9.2e}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
steps = np.arange(1, 31)
shown = np.where(trace["norm_plain"] > 0, trace["norm_plain"], np.nan)  # log axis: exact zeros cannot be drawn
ax1.semilogy(steps, shown, "o-", color="C3", ms=3, label="no clipping")
first_zero = int(np.argmax(trace["norm_plain"] == 0)) + 1
ax1.annotate(f"no clipping: ‖g‖ = 0 from update {first_zero} on", xy=(first_zero, 2.0), fontsize=8, color="C3")
ax1.semilogy(steps, trace["norm_clipped"], "s-", color="C0", ms=3, label="clipped run (norm before clipping)")
ax1.axhline(1.0, color="k", ls=":", lw=1, label="threshold")
ax1.set(xlabel="SGD update", ylabel="gradient norm ‖g‖", title="Gradient norm")
ax1.legend(fontsize=8)
ax2.plot(steps, trace["loss_plain"], "o-", color="C3", ms=3, label="no clipping")
ax2.plot(steps, trace["loss_clipped"], "s-", color="C0", ms=3, label="clipped at 1")
ax2.set(xlabel="SGD update", ylabel="training loss", title="Loss")
ax2.legend(fontsize=8)
fig.tight_layout()

assert np.nanmax(trace["norm_plain"]) > 1e4, "the unclipped run meets an exploding gradient"
assert trace["loss_plain"][-1] > trace["loss_plain"][0], "after the jump the unclipped run is worse than at start"
assert np.ptp(trace["loss_plain"][-10:]) < 1e-9 and trace["norm_plain"][-1] < 1e-9, "... and stuck: no gradient"
assert trace["loss_clipped"][-1] < 0.5 * trace["loss_clipped"][0], "the clipped run keeps learning"
assert np.nanmax(trace["norm_clipped"]) > 100 * 1.0, "the clipped run meets gradients far above the threshold"
assert np.all(trace["step_clipped"] <= 1.0 + 1e-12), "... but no step is longer than lr x threshold"

# %% [markdown]
# The unclipped run takes one step along a gradient whose norm is above $10^4$ and lands on a
# plateau: its loss is now higher than at the start and no longer moves, because every unit is saturated and
# the gradient has vanished as well. The clipped run meets large gradients too, more than a hundred times the
# threshold (left, blue), but each step
# has length at most $0.2 \times 1$, and its loss falls steadily. Clipping does nothing for the vanishing side;
# for that we need a different cell.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.clip", "l4.q.threshold")

# %% [markdown]
# ## What vanishing gradients cost: subject-verb agreement
#
# In English the verb agrees in number with the head of its subject, however far away:
#
# > *The **keys** to the cabinet **are** on the table.*
#
# To get *are* right, a model must carry the number of *keys* past *cabinet*. The intervening noun of the other
# number is an **attractor**. Two rules predict the verb equally well on sentences without attractors:
# **syntactic recency** (agree with the subject's head) and **sequential recency** (agree with the most recent
# noun). Linzen, Dupoux & Goldberg (2016) showed that LSTMs trained on real text learn mostly the first, but
# their errors grow with the number of attractors — and an RNN language model, trained only to predict the next
# word, falls back on the second much more often. Gradients that fade with distance make the recent noun
# the easiest signal to learn.
#
# The course generates such sentences (`course_lib.data.load_agreement`): a subject, up to three modifiers
# (prepositional phrases or relative clauses, each with one noun), then the verb. Items come in four equal
# groups with 0, 1, 2 and 3 attractors.

# %%
train_items, eval_items = load_agreement("train"), load_agreement("dev") + load_agreement("test")
for x in [next(x for x in eval_items if x["attractors"] == k) for k in range(4)]:
    print(f"{x['attractors']} attractor(s): {' '.join(x['prefix'])} [{x['verb']} / *{x['wrong']}]")

stoi = build_vocab(train_items + eval_items)
evald = encode(eval_items, stoi)
labels, attractors = evald["labels"].numpy(), evald["attractors"].numpy()
recency_acc = accuracy_by_attractors(recency_baseline(eval_items) == labels, attractors)
print("\nsequential-recency rule, accuracy by number of attractors:", np.round(recency_acc, 2))
assert recency_acc[0] == 1.0 and recency_acc[3] == 0.0 and recency_acc[1] > recency_acc[2]

# %% [markdown]
# The sequential-recency rule is perfect without attractors, and wrong whenever the last noun before the verb is
# an attractor — always with three of them.
#
# **The experiment.** As in natural text, where most subjects have no attractor, we train only on the training
# sentences **without attractors**, on which both rules are right, and test on all development and test
# sentences, with 0–3 attractors. The task is Linzen et al.'s *number prediction*: read the prefix up to the
# verb and say singular or plural from the final state (an RNN acceptor). We compare an LSTM (the next lecture's
# cell) with the baseline Elman RNN, both with 16-dimensional embeddings and 32 hidden units, 30 epochs of Adam
# with clipping at 5, three random seeds each (each model trains in a few seconds).

# %%
train0 = [x for x in train_items if x["attractors"] == 0]
traind = encode(train0, stoi)
print(f"training on {len(train0)} sentences without attractors, testing on {len(eval_items)}; "
      f"vocabulary of {len(stoi)} words")
results, n_seeds = {}, 3
for cell in ("lstm", "rnn_tanh"):
    results[cell] = []
    for seed in range(n_seeds):
        model, history = train_number_predictor(cell, traind, len(stoi) + 1, seed=seed, epochs=30)
        results[cell].append(accuracy_by_attractors(predict(model, evald) == labels, attractors))
    results[cell] = np.array(results[cell])  # (seeds, 4)
    print(f"{cell:>8}: final training loss {history[-1]['train_loss']:.3f}; accuracy by attractors 0..3, "
          f"mean of {n_seeds} seeds: {np.round(results[cell].mean(0), 3)}")
    print(f"{'':>8}  per seed at 3 attractors: {np.round(results[cell][:, 3], 2)}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
k = np.arange(4)
for cell, label, colour in (("lstm", "LSTM", "C3"), ("rnn_tanh", "Elman RNN", "C0")):
    mean, lo, hi = results[cell].mean(0), results[cell].min(0), results[cell].max(0)
    ax.errorbar(k, mean, yerr=[mean - lo, hi - mean], marker="o", capsize=3, color=colour,
                label=f"{label} (mean, min-max of {n_seeds} seeds)")
ax.plot(k, recency_acc, "k:", marker="x", label="sequential recency (last noun)")
ax.set(xticks=k, xlabel="number of attractors", ylabel="accuracy of the verb's number", ylim=(-0.03, 1.03),
       title="Agreement, trained on sentences without attractors")
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()

lstm_acc, rnn_acc = results["lstm"].mean(0), results["rnn_tanh"].mean(0)
assert lstm_acc[0] > 0.95 and rnn_acc[0] > 0.95, "both learn agreement without attractors"
assert lstm_acc[3] < lstm_acc[0] and rnn_acc[3] < rnn_acc[0], "attractors cause errors for both"
assert all(acc[j] > recency_acc[j] + 0.3 for acc in (lstm_acc, rnn_acc) for j in (1, 2, 3)), "not just recency"
assert lstm_acc[2] > rnn_acc[2] and lstm_acc[3] > rnn_acc[3] + 0.05, "the LSTM resists attractors better"
assert (results["lstm"][:, 3] > results["rnn_tanh"][:, 3]).all(), "... for every seed at three attractors"
assert 24 <= len(stoi) < 100 and 100 <= len(train0) < 1000, "a few dozen words, a few hundred training sentences"

# %% [markdown]
# What the numbers above show:
#
# * Without attractors both networks are (nearly) perfect — but so is the last-noun rule, so this tells us
#   nothing about *which* rule they learned.
# * With attractors, both do far better than the last-noun rule: from sentences where the two rules never
#   disagree, both mostly picked up the number of the subject. Sequential recency is not all they learned.
# * Both still make more errors the more attractors there are: every attractor is a chance for the stored number
#   to be overwritten — the pattern Linzen et al. found on real text.
# * The LSTM's accuracy falls less than the Elman RNN's, in the mean and for every seed at three attractors. The
#   Elman RNN must keep the subject's number alive through a state that every word rewrites; the LSTM can hold
#   it in a cell that its forget gate leaves alone — Lecture 5.
#
# This is a small, synthetic version of the experiment: a vocabulary of a few dozen words (printed above), a few
# hundred sentences, a supervised number label. Real text is harder, and Linzen et al. found agreement errors far
# more frequent when the LSTM was trained only as a language model, without the number label.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l4.q.agreement", "l4.q.no_attractors")

# %% [markdown]
# ## Summary
#
# * BPTT multiplies the gradient by $\operatorname{diag}(g'(\mathbf{a}_k))\,(W^h)^\top$ once per step. For a
#   linear RNN its size changes like $\rho^{T-t}$, with $\rho$ the spectral radius of $W^h$. With a nonlinearity
#   whose derivative is at most $\gamma$, the exact statements are about the largest singular value:
#   $\sigma_{\max}(W^h) < 1/\gamma$ is sufficient for vanishing, and $\sigma_{\max}(W^h) > 1/\gamma$ is necessary
#   for exploding (Bengio et al. 1994; Pascanu et al. 2013).
# * Saturated $\tanh$ units multiply by $g' < 1$ and push towards vanishing.
# * Exploding gradients: **clip the norm** (cheap, standard; every RNN in this course is trained with it).
# * Vanishing gradients: change the cell so that the state is *not* rewritten at every step — **gating**, next.
#
# ## Exercises (they check themselves)
#
# Replace each `None` with your answer and re-run the cell. The expected answers live in `course_lib`, not
# here; a wrong answer gets a hint, and `solution("key")` prints the worked solution when you want it.
#
# **1.** A linear RNN has $W^h = 0.8\,Q$ with $Q$ orthogonal. By what factor is $\lVert \partial \mathbf{h}_T /
# \partial \mathbf{h}_t \rVert_2$ smaller than 1 when $T - t = 20$?

# %%
answer_1 = None
check("l4.jacobian", answer_1)

# %% [markdown]
# **2.** Clip the gradient $\mathbf{g} = (3, 4)$ at threshold 1 (Algorithm 1). Give the clipped vector as a NumPy
# array.

# %%
answer_2 = None
check("l4.clip", answer_2)

# %% [markdown]
# **3.** For an RNN with the logistic sigmoid as $g$, below what value of the largest singular value of $W^h$ is
# vanishing guaranteed by the bound of Pascanu et al.? (Hint: the largest value of $\sigma'$.)

# %%
answer_3 = None
check("l4.sigmoid_bound", answer_3)

# %% [markdown]
# **4.** Among the evaluation sentences with exactly **one** attractor, what fraction has that attractor as the
# last noun before the verb? (Use `recency_acc`.)

# %%
answer_4 = None
check("l4.recency", answer_4, recency_acc=recency_acc)

# %% [markdown]
# **5.** (Open.) Train on *all* training sentences, attractors included. Does the Elman RNN catch up with the
# LSTM? Then train an LSTM *language model* on the same sentences and compare the probabilities it gives to
# `verb` and `wrong` — Linzen et al.'s harder setting.
#
# *Previous:* [Lecture 3 — recurrent networks](03_recurrent_networks.py).
# *Next:* [Lecture 5 — gating: LSTM and GRU](05_gating_lstm_gru.py).
