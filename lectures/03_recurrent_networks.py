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
# # Lecture 3 — Recurrent networks
#
# *Recurrent neural networks for NLP, part 3 of 7.* The feed-forward LM of
# [Lecture 2](02_neural_language_models.py) reads a fixed window, with a separate block of weights for each slot
# of it. A **recurrent neural network** (RNN) reads a sequence one element at a time, applies *the same*
# function at every step, and keeps what it has read so far in a state vector. There is no window: the state
# after the last word depends on every word before it, and the number of parameters does not depend on the
# length of the input.
#
# Plan: the general RNN abstraction; its simplest instance, the Elman network; unrolling; backpropagation
# through time (BPTT) derived step by step next to the NumPy code, and checked numerically; truncated BPTT; a
# character-level RNN language model trained on Shakespeare, and sampling from it at several temperatures; the
# two ways an RNN is used (acceptor and transducer); bidirectional and stacked RNNs.
#
# Assignment link: [Assignment 1 (BPTT)](../assignments/release/bptt/bptt.ipynb) — you will write the forward and
# backward passes shown here yourself (one step, a sequence, truncated BPTT, gradient clipping) and train a small
# character language model with them.

# %%
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import display
from torch import nn

from course_lib import figures
from course_lib.data import load_tinyshakespeare, word_tokenize
from course_lib.exercises import ask, check
from course_lib.models.language_models import RNNLM, TBPTTLoss, tbptt_batches
from course_lib.reference.gradcheck import numerical_gradient, rel_error
from course_lib.reference.layers import (
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
    softmax_cross_entropy,
)
from course_lib.reference.rnn import (
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    rnn_truncated_bptt,
    truncated_bptt_segments,
)
from course_lib.training import train

# The models of this lecture are small: one thread is as fast as two, and much faster than two threads that
# compete with other programs for the cores.
torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.default_rng(0)


def show(fn) -> None:
    """Print the code of ``fn`` without its docstring."""
    src = inspect.getsource(fn)
    head, _, rest = src.partition('"""')
    print(head.rstrip() + "\n" + rest.partition('"""')[2].strip("\n") if rest else src)


# %% [markdown]
# ## The RNN abstraction: a state, a transition $R$ and a read-out $O$
#
# Following Goldberg's primer (*A Primer on Neural Network Models for NLP*, 2016), write
# $\mathbf{x}_{1:n} = \mathbf{x}_1, \dots, \mathbf{x}_n$ for a sequence of input vectors
# $\mathbf{x}_i \in \mathbb{R}^{d_{in}}$. An RNN maps the whole sequence to one output vector, and, since it can
# stop after any prefix, implicitly to one output per prefix:
#
# $$\mathbf{y}_n = \mathrm{RNN}(\mathbf{x}_{1:n}), \qquad
#   \mathbf{y}_{1:n} = \mathrm{RNN}^*(\mathbf{x}_{1:n}), \quad \mathbf{y}_i = \mathrm{RNN}(\mathbf{x}_{1:i}),
#   \qquad \mathbf{y}_i \in \mathbb{R}^{d_{out}}. \tag{1, 2}$$
#
# It is defined by recursion on a **state** vector $\mathbf{s}_i$. A transition function $R$ combines the
# previous state with the current input, and an output function $O$ reads the state:
#
# $$\mathbf{s}_i = R(\mathbf{s}_{i-1}, \mathbf{x}_i), \qquad \mathbf{y}_i = O(\mathbf{s}_i), \qquad
#   \mathrm{RNN}^*(\mathbf{x}_{1:n}; \mathbf{s}_0) = \mathbf{y}_{1:n}. \tag{3}$$
#
# The initial state $\mathbf{s}_0$ is usually the zero vector. $R$ and $O$ are **the same at every position**
# — that is the weight sharing the feed-forward LM lacked. Expanding the recursion shows that the state sees
# the whole prefix:
#
# $$\mathbf{s}_4 = R(\mathbf{s}_3, \mathbf{x}_4) = R(R(\mathbf{s}_2, \mathbf{x}_3), \mathbf{x}_4)
#   = R(R(R(R(\mathbf{s}_0, \mathbf{x}_1), \mathbf{x}_2), \mathbf{x}_3), \mathbf{x}_4).$$
#
# Different choices of $R$ and $O$ give different networks: the Elman network below, and the LSTM and GRU of
# [Lecture 5](05_gating_lstm_gru.py). The whole abstraction fits in four lines:

# %%
def rnn_star(R, O, xs, s0):
    """RNN*(x_{1:n}; s_0) = y_{1:n} with s_i = R(s_{i-1}, x_i), y_i = O(s_i)  (Goldberg 2016; eq. 3 above)."""
    s, ys = s0, []
    for x in xs:
        s = R(s, x)
        ys.append(O(s))
    return ys


# A toy R that makes the nesting visible: the state is a string that records every application of R.
print(rnn_star(lambda s, x: f"R({s}, {x})", lambda s: s, ["x1", "x2", "x3", "x4"], "s0")[-1])

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.abstraction", "l3.q.initial_state")

# %% [markdown]
# ## The Elman network (simple RNN)
#
# The simplest useful $R$ (Elman 1990, *Finding structure in time*; Goldberg 2016) transforms the state and
# the input linearly, adds them and a bias, and applies a nonlinearity $g$ (usually $\tanh$); $O$ is the
# identity:
#
# $$\mathbf{s}_i = R_{\text{SRNN}}(\mathbf{x}_i, \mathbf{s}_{i-1}) = g(\mathbf{s}_{i-1}W^s + \mathbf{x}_iW^x +
#   \mathbf{b}), \qquad \mathbf{y}_i = O_{\text{SRNN}}(\mathbf{s}_i) = \mathbf{s}_i, \tag{4}$$
#
# with $W^x \in \mathbb{R}^{d_x \times d_s}$, $W^s \in \mathbb{R}^{d_s \times d_s}$, $\mathbf{b} \in
# \mathbb{R}^{d_s}$. Many texts write the same network as a **language model** with column vectors, one-hot
# words $\mathbf{x}^{(t)} \in \mathbb{R}^{|V|}$ and an embedding matrix $\mathbf{E}$:
#
# $$\mathbf{e}^{(t)} = \mathbf{E}\mathbf{x}^{(t)}, \qquad
#   \mathbf{h}^{(t)} = \sigma(\mathbf{W}_h\mathbf{h}^{(t-1)} + \mathbf{W}_e\mathbf{e}^{(t)} + \mathbf{b}_1),
#   \qquad \hat{\mathbf{y}}^{(t)} = \operatorname{softmax}(\mathbf{U}\mathbf{h}^{(t)} + \mathbf{b}_2) \in
#   \mathbb{R}^{|V|},$$
#
# where $\hat{\mathbf{y}}^{(t)}$ is the distribution of the next word $\mathbf{x}^{(t+1)}$ (Mikolov et al. 2010
# made this model famous). The course's NumPy code uses row vectors and batches, like eq. (4):
#
# | lecture (eq. 4) | column-vector LM | NumPy (`course_lib.reference.rnn`) | shape |
# |---|---|---|---|
# | $\mathbf{x}_i$ | $\mathbf{e}^{(t)}$ | `x[:, t]` | $(N, D)$ |
# | $\mathbf{s}_i$ | $\mathbf{h}^{(t)}$ | `h[:, t]` | $(N, H)$ |
# | $W^x$ | $\mathbf{W}_e^\top$ | `Wx` | $(D, H)$ |
# | $W^s$ | $\mathbf{W}_h^\top$ | `Wh` | $(H, H)$ |
# | $\mathbf{b}$ | $\mathbf{b}_1$ | `b` | $(H,)$ |
#
# One step of it, `rnn_step_forward`; the pre-activation `a` is kept in the cache for the backward pass:

# %%
show(rnn_step_forward)

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.elman", "l3.q.conventions")

# %% [markdown]
# ## Unrolling: a deep network with shared weights
#
# For a sequence of finite length we can write the recursion out: $T$ copies of the step, each feeding its
# state to the next. The result is an ordinary feed-forward computation graph, $T$ layers deep, in which every
# layer uses the *same* $W^x$, $W^s$, $\mathbf{b}$:
#
# (drawn by `course_lib.figures.unrolled_rnn`; on the left the same network folded, its loop the recurrence):

# %%
display(figures.unrolled_rnn(4))

# %% [markdown]
# Forward inference is a loop: $\mathbf{h}_0 \leftarrow \mathbf{0}$; for
# $t = 1..T$: $\mathbf{h}_t \leftarrow g(\dots)$, $\mathbf{y}_t \leftarrow f(\dots)$. `rnn_forward` is that
# loop over a batch; below it matches four explicit calls of the step and the generic `rnn_star`, and every
# step's cache holds the very same weight arrays.

# %%
N, T, D, H = 2, 4, 3, 5
x = rng.standard_normal((N, T, D))
h0 = np.zeros((N, H))
Wx, Wh, b = rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5, rng.standard_normal(H) * 0.1

h_all, caches = rnn_forward(x, h0, Wx, Wh, b)  # h_all: (N, T, H), h_all[:, t-1] = h_t
by_hand, s = [], h0
for t in range(T):
    s, _ = rnn_step_forward(x[:, t], s, Wx, Wh, b)
    by_hand.append(s)
generic = rnn_star(lambda s, xt: rnn_step_forward(xt, s, Wx, Wh, b)[0], lambda s: s, x.transpose(1, 0, 2), h0)
print("h:", h_all.shape, "| unrolled by hand equal:", np.allclose(h_all, np.stack(by_hand, 1)),
      "| rnn_star equal:", np.allclose(h_all, np.stack(generic, 1)))
print("every step uses the same Wh object:", all(c[3] is Wh for c in caches))
assert np.allclose(h_all, np.stack(by_hand, 1)) and np.allclose(h_all, np.stack(generic, 1))

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.shared", "l3.q.depth")

# %% [markdown]
# ## Backpropagation through time
#
# Training an unrolled RNN is backpropagation in that deep graph — called *backpropagation through time*
# (Rumelhart, Hinton & Williams 1986; Werbos 1990). We derive it for an RNN language model with row vectors:
#
# $$\mathbf{a}_t = \mathbf{x}_t W^x + \mathbf{h}_{t-1}W^s + \mathbf{b}, \quad \mathbf{h}_t = \tanh(\mathbf{a}_t),
#   \quad \mathbf{z}_t = \mathbf{h}_t V + \mathbf{c}, \quad L = \sum_{t=1}^T L_t, \quad
#   L_t = -\log \operatorname{softmax}(\mathbf{z}_t)_{y_t}.$$
#
# **Step 1 — the output layer**, separately at each $t$. The softmax cross-entropy has the famous gradient
# "prediction minus truth", written $\delta^{out}$:
#
# $$\delta^{out}_t = \frac{\partial L_t}{\partial \mathbf{z}_t} = \hat{\mathbf{y}}_t - \mathrm{onehot}(y_t),
#   \qquad \frac{\partial L}{\partial V} = \sum_t \mathbf{h}_t^\top \delta^{out}_t, \qquad
#   \frac{\partial L_t}{\partial \mathbf{h}_t} = \delta^{out}_t V^\top.$$
#
# **Step 2 — two paths into a state.** $\mathbf{h}_t$ influences the loss through its own output $L_t$ *and*
# through the next state $\mathbf{h}_{t+1}$ (hence all later losses). The total gradient adds the two:
#
# $$\frac{\partial L}{\partial \mathbf{h}_t} = \underbrace{\delta^{out}_t V^\top}_{\text{local}} +
#   \underbrace{\delta_{t+1} (W^s)^\top}_{\text{from the future (} \delta_{next})}, \qquad
#   \text{with nothing from the future at } t = T.$$
#
# **Step 3 — through the nonlinearity.** Elementwise, $\tanh'(a) = 1 - \tanh^2(a)$, so
#
# $$\delta_t = \frac{\partial L}{\partial \mathbf{a}_t} = \frac{\partial L}{\partial \mathbf{h}_t} \odot
#   (1 - \mathbf{h}_t^2).$$
#
# **Step 4 — the parameters and inputs.** $\mathbf{a}_t$ is linear in everything it reads, and the weights are
# shared by all steps, so their gradients are *sums over time*:
#
# $$\frac{\partial L}{\partial W^x} = \sum_t \mathbf{x}_t^\top \delta_t, \quad
#   \frac{\partial L}{\partial W^s} = \sum_t \mathbf{h}_{t-1}^\top \delta_t, \quad
#   \frac{\partial L}{\partial \mathbf{b}} = \sum_t \delta_t, \quad
#   \frac{\partial L}{\partial \mathbf{x}_t} = \delta_t (W^x)^\top, \quad
#   \frac{\partial L}{\partial \mathbf{h}_{t-1}} \mathrel{+}= \delta_t (W^s)^\top.$$
#
# The last term is what step $t-1$ receives as "from the future", so the sweep runs $t = T, T-1, \dots, 1$.
# In the code, one step does steps 3 and 4 (`da` is $\delta_t$; the five results are
# $\partial L/\partial \mathbf{x}_t$, $\partial L/\partial \mathbf{h}_{t-1}$ and this step's share of the three
# weight gradients):

# %%
show(rnn_step_backward)

# %% [markdown]
# and `rnn_backward` does step 2 and the sums over time: `dh[:, t] + dnext` is the local gradient plus the one
# from the future, and `dnext` becomes this step's $\partial L / \partial \mathbf{h}_{t-1}$:

# %%
show(rnn_backward)

# %% [markdown]
# ### Checking the derivation numerically
#
# A derivation with a sign or a transpose wrong still runs. The safe test compares each analytic gradient
# with centred finite differences, $\partial L/\partial \theta_j \approx (L(\theta + \epsilon e_j) -
# L(\theta - \epsilon e_j)) / 2\epsilon$, in float64 (`course_lib.reference.gradcheck`). We build a whole RNN
# language model from the reference layers — embedding, Elman RNN, output affine layer, softmax cross-entropy
# — and check every parameter, the embedding matrix $\mathbf{E}$ included.

# %%
Vocab, E_dim, H_dim, N, T = 7, 4, 5, 3, 6
params = {"E": rng.standard_normal((Vocab, E_dim)), "Wx": rng.standard_normal((E_dim, H_dim)) * 0.5,
          "Wh": rng.standard_normal((H_dim, H_dim)) * 0.5, "b": rng.standard_normal(H_dim) * 0.1,
          "V": rng.standard_normal((H_dim, Vocab)) * 0.5, "c": np.zeros(Vocab)}
tokens = rng.integers(0, Vocab, size=(N, T + 1))
inputs, targets = tokens[:, :-1], tokens[:, 1:]  # predict token t+1 from tokens 1..t
h_init = np.zeros((N, H_dim))


def lm_loss(p, with_grads=False, forget_the_future=False):
    e, e_cache = embedding_forward(inputs, p["E"])                  # (N, T, E)
    h, h_cache = rnn_forward(e, h_init, p["Wx"], p["Wh"], p["b"])   # (N, T, H)
    z, z_cache = affine_forward(h, p["V"], p["c"])                  # (N, T, |V|)
    loss, dz = softmax_cross_entropy(z, targets)                    # dz = delta_out (averaged over N*T)
    if not with_grads:
        return loss
    dh, dV, dc = affine_backward(dz, z_cache)                       # local gradient into every h_t
    de, _, dWx, dWh, db = rnn_backward(dh, h_cache)                 # BPTT
    if forget_the_future:  # a classic bug: skip step 2, use only the local gradient at each step
        dWh = sum(rnn_step_backward(dh[:, t], h_cache[t])[3] for t in range(len(h_cache)))
    return loss, {"E": embedding_backward(de, e_cache), "Wx": dWx, "Wh": dWh, "b": db, "V": dV, "c": dc}


loss, grads = lm_loss(params, with_grads=True)
print(f"loss of the random model {loss:.4f} nats per token")
errors = {}
for name, value in params.items():
    numeric = numerical_gradient(lambda: lm_loss(params), value)  # perturbs `value` in place, restores it
    errors[name] = rel_error(grads[name], numeric)
    print(f"  dL/d{name:<2} {str(value.shape):>7}: relative error {errors[name]:.1e}")
assert max(errors.values()) < 1e-7, "BPTT must agree with finite differences"

buggy = rel_error(lm_loss(params, True, forget_the_future=True)[1]["Wh"],
                  numerical_gradient(lambda: lm_loss(params), params["Wh"]))
print(f"  dL/dWh without the gradient from the future: relative error {buggy:.1e}")
assert buggy > 1e-3, "the check catches the bug"

# %% [markdown]
# Every relative error is far below $10^{-7}$ (the assert checks it). The last line shows what a bug looks like:
# forgetting the gradient that arrives from the future (step 2) leaves code that runs and a $\partial L /
# \partial W^s$ that is plainly wrong — many orders of magnitude above the threshold. Assignment 1 checks your
# code the same way.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.bptt_sum", "l3.q.local_grad")

# %% [markdown]
# ## Truncated BPTT
#
# Full BPTT over a book is impossible: the graph of a million steps does not fit in memory, and the weights
# would be updated once per book. In practice the stream is cut into segments of $k$ steps (a few dozen to a
# few hundred). Each segment runs forward, back-propagates **within the segment only**, and updates the weights
# (Williams & Peng 1990). The final state of a segment is *carried* into the next as its initial state — a
# constant, so no gradient crosses the boundary; only the very first segment starts from zeros. Carrying the
# state lets information flow forward across segments even though gradients do not.
#
# `rnn_truncated_bptt` implements this for the NumPy RNN. Two checks: with $k \ge T$ it *is* full BPTT, and
# for any $k$ the carried state makes the forward pass identical to the uncut one — only the gradients change,
# because the paths that cross a boundary are dropped.

# %%
N, T, D, H = 2, 12, 3, 4
x_long = rng.standard_normal((N, T, D))
p_rnn = {"Wx": rng.standard_normal((D, H)) * 0.5, "Wh": rng.standard_normal((H, H)) * 0.5, "b": np.zeros(H)}
dout_long = rng.standard_normal((N, T, H))  # a fixed linear loss sum(h * dout) keeps the example small


def lin_loss(h_seg, start, stop):
    return float(np.sum(h_seg * dout_long[:, start:stop])), dout_long[:, start:stop]


h_full, cache_full = rnn_forward(x_long, np.zeros((N, H)), **p_rnn)
_, _, dWx_full, dWh_full, _ = rnn_backward(dout_long, cache_full)
print("segments for k = 5:", truncated_bptt_segments(T, 5))
for k in (T, 5, 2):
    loss_k, g, h_last = rnn_truncated_bptt(x_long, np.zeros((N, H)), p_rnn, k, lin_loss)
    same_state = np.allclose(h_last, h_full[:, -1])
    print(f"k = {k:>2}: final state equal to full forward: {same_state};  "
          f"rel. difference of dWh from full BPTT: {rel_error(g['Wh'], dWh_full):.2e}")
    assert same_state and (rel_error(g["Wh"], dWh_full) < 1e-12) == (k >= T)

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.tbptt", "l3.q.truncate")

# %% [markdown]
# ## A character-level RNN language model
#
# Now a real one, in PyTorch: `RNNLM` is embedding → `nn.RNN` (the Elman cell, `cell="rnn_tanh"`) → linear
# layer, exactly the column-vector LM above. It reads tiny-shakespeare **one character at a time** (Karpathy's
# char-rnn setting), so the vocabulary is just the set of characters and there is no `<unk>`.
#
# Training uses truncated BPTT as above. `tbptt_batches` cuts the training text into $N$ parallel streams
# and consecutive windows of `seq_len` characters, so that row $n$ of batch $k+1$ continues row $n$ of
# batch $k$; `TBPTTLoss` carries the detached final state from one batch to the next. The gradient norm is
# clipped at 5 (Pascanu et al. 2013; why this matters is the topic of the next lecture). We train for one
# pass over the text — about half a minute — and report the validation loss in **bits per character**
# (the loss in nats divided by $\ln 2$), next to a baseline that ignores context: the character frequencies.

# %%
text_train, text_val = load_tinyshakespeare("train"), load_tinyshakespeare("val")
chars = sorted(set(text_train))
stoi = {c: i for i, c in enumerate(chars)}
ids_train = torch.tensor([stoi[c] for c in text_train])
ids_val = torch.tensor([stoi[c] for c in text_val if c in stoi])
print(f"{len(chars)} characters; {len(ids_train):,} training and {len(ids_val):,} validation characters")

torch.manual_seed(0)
char_lm = RNNLM(vocab_size=len(chars), embed_dim=32, hidden_dim=128, cell="rnn_tanh")
history = train(char_lm, tbptt_batches(ids_train, batch_size=32, seq_len=64), loss_fn=TBPTTLoss(),
                optimizer=torch.optim.Adam(char_lm.parameters(), lr=3e-3), epochs=1, clip_norm=5.0,
                val_batches=tbptt_batches(ids_val, batch_size=16, seq_len=128), progress=False)
val_bpc = history[-1]["val_loss"] / math.log(2)

freq = torch.bincount(ids_train, minlength=len(chars)).double() / len(ids_train)
unigram_bpc = -torch.log2(freq[ids_val]).mean().item()  # no context at all
print(f"trained {history[-1]['seconds']:.0f} s: validation {val_bpc:.2f} bits/char  "
      f"(character frequencies alone: {unigram_bpc:.2f} bits/char; uniform: {math.log2(len(chars)):.2f})")
assert val_bpc < unigram_bpc, "the RNN uses its context"

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.charlm", "l3.q.streams")

# %% [markdown]
# ## Sampling, and the temperature of a softmax
#
# To generate, feed a prompt, draw the next character from $\hat{\mathbf{y}}^{(t)}$, feed it back in, and
# repeat. A **temperature** $\tau > 0$ reshapes the distribution before drawing: the logits $\mathbf{z}$ are
# divided by $\tau$,
#
# $$p_i(\tau) = \frac{\exp(z_i / \tau)}{\sum_j \exp(z_j / \tau)}.$$
#
# $\tau = 1$ is the model's own distribution. $\tau < 1$ sharpens it (as $\tau \to 0$ all mass goes to the
# most likely character: greedy decoding, repetitive but safe); $\tau > 1$ flattens it towards uniform (more
# surprising, more misspelt). The entropy of the next-character distribution after the prompt shows it:

# %%
prompt = "KING HENRY:\n" if all(c in stoi for c in "KING HENRY:\n") else text_train[:12]
prompt_ids = torch.tensor([stoi[c] for c in prompt])
with torch.no_grad():
    char_lm.eval()
    logits_next = char_lm(prompt_ids[None])[0][0, -1]  # (|V|,) scores of the character after the prompt
temps = [0.5, 1.0, 1.5]
entropy = {}
for tau in temps:
    p = F.softmax(logits_next / tau, dim=0)
    entropy[tau] = -(p * torch.log2(p)).sum().item()
    top = ", ".join(f"{chars[i]!r} {p[i]:.2f}" for i in torch.topk(p, 3).indices.tolist())
    print(f"tau = {tau}: entropy {entropy[tau]:.2f} bits; most likely next characters {top}")
assert entropy[0.5] < entropy[1.0] < entropy[1.5]

# %%
known_words = set(word_tokenize(text_train, lower=True))
real_word_share = {}
for tau in temps:
    gen = torch.Generator().manual_seed(0)
    sample = "".join(chars[i] for i in char_lm.sample(prompt_ids, length=600, temperature=tau, generator=gen))
    words = [w for w in word_tokenize(sample, lower=True) if w.isalpha()]
    real_word_share[tau] = sum(w in known_words for w in words) / max(len(words), 1)
    print(f"----- temperature {tau}: {100 * real_word_share[tau]:.0f} % of the generated words occur in the "
          f"training text -----\n{prompt}{sample[:250]}\n")
assert real_word_share[0.5] > real_word_share[1.5]

# %% [markdown]
# Low temperature gives the most word-like text (the share of real words printed above each sample is highest
# at 0.5, as the assert checks) but it leans on frequent words and tends to repeat itself; $\tau = 1$ shows the
# model's real uncertainty; at 1.5 more and more letters are noise. Look also at what the samples have learned
# of the layout of a play — line breaks, speaker names followed by a colon — and at what they have not:
# grammar beyond a few words. Longer training, larger states and the gated cells of Lecture 5 are the way to
# better text (Karpathy 2015, *The Unreasonable Effectiveness of Recurrent Neural Networks*).

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.temperature", "l3.q.greedy")

# %% [markdown]
# ## Two ways to use an RNN: acceptor and transducer
#
# The RNN is rarely the whole model: it is a component whose states a larger network turns into predictions,
# and the training signal reaches the RNN only through that network (Goldberg 2016).
#
# ```
#  ACCEPTOR (one label per sequence)            TRANSDUCER (one output per position)
#
#                         loss                      loss_1   loss_2   loss_3   loss_4
#                          ↑                          ↑        ↑        ↑        ↑
#                      [MLP/softmax]               [softmax][softmax][softmax][softmax]
#                          ↑                          ↑        ↑        ↑        ↑
#  s0 →[R]→[R]→[R]→[R]→ y_n                   s0 →[R] ───→ [R] ───→ [R] ───→ [R]
#       ↑   ↑   ↑   ↑                               ↑        ↑        ↑        ↑
#      x1  x2  x3  x4                              x1       x2       x3       x4
# ```
#
# * **Acceptor**: only the final output $\mathbf{y}_n$ is used, fed to a classifier; the loss (cross-entropy,
#   hinge, …) is computed once and its gradient flows back through all the steps. Examples: the sentiment of
#   a sentence; the part of speech of a word read character by character.
# * **Transducer**: every position produces an output $\hat{t}_i$ with a local loss, and the sequence loss
#   combines them, $L(\hat{t}_{1:n}, t_{1:n}) = \sum_i L_{\text{local}}(\hat{t}_i, t_i)$ (or their mean).
#   Examples: tagging (POS, NER), and language modelling — the character LM above is a transducer whose target
#   at position $i$ is the input at $i+1$. A transducer conditions each output on the whole prefix, with no
#   Markov assumption.
#
# The same `nn.RNN` serves both; only what is read from it differs:

# %%
torch.manual_seed(0)
N, T, D, H, n_classes, n_tags = 3, 5, 4, 6, 2, 7
rnn = nn.RNN(D, H, batch_first=True)  # an Elman RNN: R of eq. (4), O = identity
xs = torch.randn(N, T, D, requires_grad=True)
states, h_last = rnn(xs)  # states: (N, T, H) = y_{1:n};  h_last: (1, N, H) = y_n
print("RNN* outputs:", tuple(states.shape), " final state:", tuple(h_last.shape))

acceptor_head, tagger_head = nn.Linear(H, n_classes), nn.Linear(H, n_tags)
label = torch.tensor([0, 1, 1])                   # one label per sequence: (N,)
tags = torch.randint(0, n_tags, (N, T))           # one tag per position: (N, T)
acceptor_loss = F.cross_entropy(acceptor_head(states[:, -1]), label)            # logits (N, 2)
transducer_loss = F.cross_entropy(tagger_head(states).reshape(-1, n_tags), tags.reshape(-1))  # (N*T, 7)
print(f"acceptor logits {tuple(acceptor_head(states[:, -1]).shape)}, loss {acceptor_loss.item():.3f};  "
      f"transducer logits {tuple(tagger_head(states).shape)}, loss {transducer_loss.item():.3f}")

acceptor_loss.backward()
reach = xs.grad.norm(dim=(0, 2))  # how much gradient the single final loss sends to each input position
print("acceptor: |dL/dx_t| for t = 1..T:", " ".join(f"{v:.1e}" for v in reach.tolist()))
assert torch.allclose(states[:, -1], h_last[0]) and bool((reach > 0).all()) and reach[0] < reach[-1]

# %% [markdown]
# The final output equals the last state, and the acceptor's single loss reaches every input, the first one
# included. To reach $\mathbf{x}_1$ it passes through $T$ multiplications by $\tanh'$ and $T-1$ by $(W^s)^\top$, and here
# it arrives much weaker than at $\mathbf{x}_T$ (the assert checks that): a first sight of the vanishing
# gradient, the subject of the next lecture.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.acceptor", "l3.q.acceptor_reach")

# %% [markdown]
# ## One or many: four patterns, and the encoder–decoder
#
# Acceptor and transducer are two of the ways an RNN can connect inputs to outputs. Counting how many of each
# there are gives the usual taxonomy (the picture Karpathy drew in 2015, "The unreasonable effectiveness of
# recurrent neural networks"):
#
# | pattern | reads | writes | example | in this course |
# |---|---|---|---|---|
# | one → many | one input (as the first state) | a sequence | a caption from an image, text from a topic | a *conditioned* LM: the decoder below |
# | many → one | a sequence | one output at the end | sentiment of a review | the acceptor above; Lecture 7 |
# | many → many, aligned | a sequence | one output per input | tagging, language modelling | the transducer above; Lecture 6 |
# | many → many, unaligned | a sequence | another sequence, of another length | translation, summarisation | the encoder–decoder below |
#
# The last one needs two RNNs. An **encoder** reads the whole source and its final state $\mathbf{h}_n$ becomes
# the starting state of a **decoder**, which is a language model conditioned on it: it predicts $y_t$ from
# $y_{<t}$ and $\mathbf{h}_n$ (Sutskever, Vinyals & Le 2014; Cho et al. 2014). Everything the decoder knows
# about the source has to pass through that one vector — the bottleneck that attention (Bahdanau et al. 2015)
# later removed.
#
# **Teacher forcing.** How should the decoder be trained? At step $t$ it needs $y_{t-1}$ as input. In training
# we give it the *gold* $y_{t-1}$ from the data, whatever it would have predicted: this is teacher forcing, and
# it is exactly what the character LM above did (its input at step $t$ was the true character $x_{t-1}$). All
# steps are then trained at once, in parallel, and one wrong prediction does not spoil the following steps'
# training. At test time there is no gold output: the decoder reads its *own* previous prediction
# (free-running). The two regimes differ — the model was never trained on its own mistakes — which is called
# *exposure bias*.
#
# A task that shows the pattern in seconds: reverse a sequence of 8 digits. The first output digit is the last
# input, so no transducer that must answer while it reads could do it; the encoder–decoder
# (`course_lib.models.seq2seq.Seq2Seq`, GRU encoder and decoder) can. We train it with teacher forcing and then
# measure it both ways on sequences it has not seen.

# %%
from course_lib.models.seq2seq import Seq2Seq, reversal_batch  # noqa: E402

torch.manual_seed(0)
s2s = Seq2Seq(vocab=10, embed_dim=32, hidden_dim=128)
digits = torch.Generator().manual_seed(0)
# the course's training loop again: 6 x 100 fresh batches of 64, Adam, clipping at 1; Seq2Seq.loss is the
# teacher-forced loss (the decoder reads the gold y_{t-1})
history = train(s2s, lambda epoch: [reversal_batch(64, 8, 10, digits) for _ in range(100)],
                loss_fn=lambda model, batch: model.loss(*batch),
                optimizer=torch.optim.Adam(s2s.parameters(), lr=3e-3), epochs=6, clip_norm=1.0, progress=False)

src_te, tgt_te = reversal_batch(500, 8, 10, torch.Generator().manual_seed(123))
with torch.no_grad():
    forced = s2s(src_te, tgt_te).argmax(-1)      # each step given the gold previous digit
free = s2s.greedy(src_te, 8)                     # each step given its own previous prediction
acc_forced = (forced == tgt_te).float().mean(0)
acc_free = (free == tgt_te).float().mean(0)
print(f"600 steps; training loss over the last 100: {history[-1]['train_loss']:.3f}")
print("digit accuracy by output position, teacher-forced:", " ".join(f"{a:.2f}" for a in acc_forced.tolist()))
print("                                  free-running:  ", " ".join(f"{a:.2f}" for a in acc_free.tolist()))
print(f"whole sequence right, free-running: {(free == tgt_te).all(1).float().mean():.0%} of 500;  e.g. "
      f"{src_te[0].tolist()} -> {free[0].tolist()}")
assert acc_free.mean() > 0.7, "the encoder-decoder learned to reverse"
assert acc_free.mean() < acc_forced.mean(), "free-running is harder than teacher-forced"
gap = acc_forced - acc_free
assert gap[-2:].mean() > gap[:2].mean(), "the text says the gap grows along the output"

# %% [markdown]
# Free-running is worse than teacher-forced (checked above), and the gap grows along the output: once a digit
# is wrong the decoder continues from a state the training never produced. Both numbers would keep rising
# with training; the lesson is the difference between the two regimes.

# %%
ask("l3.q.teacher")

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.bottleneck")

# %% [markdown]
# ## Bidirectional RNNs
#
# For tagging, the words *after* position $i$ matter as much as those before it. A **bidirectional RNN**
# (Schuster & Paliwal 1997) runs two independent RNNs, one left to right over $\mathbf{x}_{1:n}$ and one right to
# left over the reversed sequence, and concatenates their outputs at each position (Goldberg 2016; other texts write
# the same with $\overrightarrow{\mathbf{h}}$, $\overleftarrow{\mathbf{h}}$):
#
# $$\mathrm{biRNN}(\mathbf{x}_{1:n}, i) = \mathbf{y}_i = [\mathbf{y}^f_i; \mathbf{y}^b_i]
#   = [\mathrm{RNN}^f(\mathbf{x}_{1:i}); \mathrm{RNN}^b(\mathbf{x}_{n:i})], \qquad
#   \overrightarrow{\mathbf{h}}^{(t)} = \mathrm{RNN}_{FW}(\overrightarrow{\mathbf{h}}^{(t-1)}, \mathbf{x}^{(t)}),
#   \quad \overleftarrow{\mathbf{h}}^{(t)} = \mathrm{RNN}_{BW}(\overleftarrow{\mathbf{h}}^{(t+1)}, \mathbf{x}^{(t)}).$$
#
# Each $\mathbf{y}_i$ sees the whole sentence, centred on word $i$. The price: the entire sequence must be
# known in advance, so a biRNN cannot be a left-to-right language model (it would see the word it predicts).

# %%
display(figures.bidirectional_rnn(4))

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.birnn_lm", "l3.q.birnn_when")

# %% [markdown]
# ## Stacked (deep) RNNs
#
# RNNs can also be stacked: the outputs $\mathbf{y}^{j-1}_{1:n}$ of layer $j-1$ are the inputs of layer $j$,
# and the top layer's outputs are the result. Deeper often works better in practice (e.g. for translation),
# though it is not theoretically clear why.

# %%
display(figures.stacked_rnn(4, layers=2))

# %% [markdown]
# In PyTorch both are arguments of `nn.RNN` (also of `nn.LSTM`, `nn.GRU`). The shapes, for
# `bidirectional=True, num_layers=2`: the outputs of the top layer are $(N, T, 2H)$ — the two directions
# concatenated — and the final states are $(\text{layers} \times 2, N, H)$. The check below rebuilds them from
# one-directional, one-layer RNNs with the same weights: the backward direction is a forward RNN on the
# reversed sequence, and layer 2 reads layer 1's concatenated outputs.

# %%
torch.manual_seed(0)
deep_bi = nn.RNN(D, H, num_layers=2, bidirectional=True, batch_first=True)
x_in = torch.randn(N, T, D)
out, h_n = deep_bi(x_in)
print("input", tuple(x_in.shape), "-> outputs", tuple(out.shape), " final states", tuple(h_n.shape))
print("parameters per layer:", sorted({name.rsplit("_l", 1)[1] for name, _ in deep_bi.named_parameters()}))


def one_direction(layer: int, reverse: bool, inputs: torch.Tensor) -> torch.Tensor:
    """Run one (layer, direction) of deep_bi as its own one-layer RNN with the same weights."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    single = nn.RNN(inputs.shape[-1], H, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(single, name + "_l0").copy_(getattr(deep_bi, name + suffix))
        seq = inputs.flip(1) if reverse else inputs
        states = single(seq)[0]
        return states.flip(1) if reverse else states  # put the backward states back in reading order


with torch.no_grad():
    layer1 = torch.cat([one_direction(0, False, x_in), one_direction(0, True, x_in)], dim=-1)  # (N, T, 2H)
    layer2 = torch.cat([one_direction(1, False, layer1), one_direction(1, True, layer1)], dim=-1)
print("rebuilt outputs equal:", torch.allclose(layer2, out, atol=1e-6))
print("last forward state = output at t = T (first half):", torch.allclose(h_n[2], out[:, -1, :H]))
print("last backward state = output at t = 1 (second half):", torch.allclose(h_n[3], out[:, 0, H:]))
assert torch.allclose(layer2, out, atol=1e-6)
assert torch.allclose(h_n[2], out[:, -1, :H]) and torch.allclose(h_n[3], out[:, 0, H:])

# %% [markdown]
# Note where the "final" backward state lives: the backward RNN finishes at the *first* word, so a biRNN
# acceptor should read $\overrightarrow{\mathbf{h}}$ at $t=T$ and $\overleftarrow{\mathbf{h}}$ at $t=1$ (which is
# what `h_n` holds), not `out[:, -1]`.
#
# The plot shows the validation loss of the character LM we trained, for the record, against the two
# context-free baselines.

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
names = ["uniform", "char frequencies", "Elman RNN LM\n(~30 s of training)"]
values = [math.log2(len(chars)), unigram_bpc, val_bpc]
ax.bar(names, values, color=["C7", "C1", "C0"])
for i, v in enumerate(values):
    ax.text(i, v + 0.05, f"{v:.2f}", ha="center")
ax.set_ylabel("validation bits per character")
ax.set_title("Character LMs on tiny-shakespeare (lower is better)")
fig.tight_layout()

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.stacked", "l3.q.birnn_final")

# %% [markdown]
# ## A bidirectional language model from two language models (ELMo)
#
# A biRNN cannot be trained as a language model — its backward half would see the word to predict. But two
# separate LMs can: a *forward* LM reads left to right and predicts the next token, a *backward* LM reads right to
# left and predicts the previous one, each a normal LM. Peters et al. (2018, ELMo) train such a pair on a large
# corpus (their objective is the sum of the two log-likelihoods) and then describe token $t$ by the two states
# around it, $[\overrightarrow{\mathbf{h}}_t ; \overleftarrow{\mathbf{h}}_t]$, as features for tagging,
# question answering and more — pretrained *contextual* representations, the idea Lecture 7 returns to.
#
# Our forward model is the character LM trained above. The backward one is the same recipe on the reversed
# text. Then a test neither can pass alone: hide a character of the validation text and predict it from its
# left context, from its right context, and from both (`course_lib.models.bilm.fill_in_logprobs` multiplies
# the two predictions and renormalises).

# %%
from course_lib.models.bilm import bilm_states, fill_in_logprobs  # noqa: E402

torch.manual_seed(0)
back_lm = RNNLM(vocab_size=len(chars), embed_dim=32, hidden_dim=128, cell="rnn_tanh")
train(back_lm, tbptt_batches(ids_train.flip(0), batch_size=32, seq_len=64), loss_fn=TBPTTLoss(),
      optimizer=torch.optim.Adam(back_lm.parameters(), lr=3e-3), epochs=1, clip_norm=5.0, progress=False)
probe_ids = ids_val[:3000]
fill = fill_in_logprobs(char_lm, back_lm, probe_ids)
hidden_chars = probe_ids[1:-1]
fill_acc = {side: (lp.argmax(-1) == hidden_chars).float().mean().item() for side, lp in fill.items()}
fill_bits = {side: -lp[torch.arange(len(hidden_chars)), hidden_chars].mean().item() / math.log(2)
             for side, lp in fill.items()}
for side in ("left", "right", "both"):
    print(f"hidden character predicted from the {side:>5} context: accuracy {fill_acc[side]:.1%}, "
          f"{fill_bits[side]:.2f} bits/char")
feats = bilm_states(char_lm, back_lm, probe_ids[:50])
print(f"ELMo-style features of 50 characters: {tuple(feats.shape)} = [forward state; backward state]")
assert fill_acc["both"] > max(fill_acc["left"], fill_acc["right"]), "both sides know more than either"

# %% [markdown]
# Both sides together predict the hidden character better than either side alone (checked above): the
# concatenated states carry information about the whole text around a position, which is what made ELMo's
# features useful. (ELMo itself uses two-layer LSTMs over characters-to-words and a learned weighted sum of
# their layers; the principle is the one shown here.)

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l3.q.elmo", "l3.q.backward_lm")

# %% [markdown]
# ## Exercises (they check themselves)
#
# Replace each `None` with your answer and re-run the cell. The expected answers live in `course_lib`, not
# here; a wrong answer gets a hint, and `solution("key")` prints the worked solution when you want it.
#
# **1.** How many parameters does `nn.RNN(input_size=10, hidden_size=20)` have? (PyTorch keeps two bias
# vectors, `bias_ih` and `bias_hh`, where eq. (4) has one.)

# %%
answer_1 = None
check("l3.rnn_params", answer_1)

# %% [markdown]
# **2.** What is the shape of the output of `nn.RNN(8, 16, num_layers=3, bidirectional=True, batch_first=True)`
# on an input of shape `(4, 9, 8)`? Give a tuple.

# %%
answer_2 = None
check("l3.birnn_shape", answer_2)

# %% [markdown]
# **3.** For one tanh step with $\mathbf{h}_t = (0.5, -0.8)$ and $\partial L / \partial \mathbf{h}_t = (1, 2)$,
# what is $\delta_t = \partial L / \partial \mathbf{a}_t$? Give a NumPy array.

# %%
answer_3 = None
check("l3.tanh_delta", answer_3)

# %% [markdown]
# **4.** With logits $\mathbf{z} = (1, 2, 3)$, what probability does temperature $\tau = 0.5$ give to the
# third class?

# %%
answer_4 = None
check("l3.softmax_T", answer_4)

# %% [markdown]
# **5.** (Open.) Retrain the character LM with `TBPTTLoss` replaced by a loss that starts every batch from a
# zero state. How much worse is the validation loss, and why? Then try `cell="lstm"`.
#
# *Previous:* [Lecture 2 — neural language models](02_neural_language_models.py).
# *Next:* [Lecture 4 — vanishing and exploding gradients](04_vanishing_exploding_gradients.py).
