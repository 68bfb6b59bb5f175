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
# # Lecture 1 — n-gram language models
#
# *Recurrent neural networks for NLP, part 1 of 7.* We start before any neural network: with counting.
# Everything later in the course — the feed-forward LM, the RNN, the LSTM — is a better answer to the question
# this lecture asks.
#
# **The task.** Given the words so far, $x^{(1)}, \dots, x^{(t)}$, predict a probability distribution over the
# next one, $P(x^{(t+1)} \mid x^{(t)}, \dots, x^{(1)})$, where $x^{(t+1)}$ ranges over a vocabulary
# $V = \{w_1, \dots, w_{|V|}\}$. A system that does this is a *language model* (LM). It is a classifier with
# $|V|$ classes whose input has no fixed length.
#
# Equivalently, an LM assigns a probability to a whole text. By the chain rule of probability,
#
# $$P(x^{(1)}, \dots, x^{(T)}) = \prod_{t=1}^{T} P(x^{(t)} \mid x^{(t-1)}, \dots, x^{(1)}).$$
#
# So scoring text and predicting the next word are the same problem. Both uses matter: ranking hypotheses
# (speech recognition, translation), generating text (autocomplete, captions), and — as the last lecture will
# show — learning representations without labels.
#
# Assignment links: the language-model machinery here is reused in [Assignment 1 (BPTT)](../assignments/release/bptt/bptt.ipynb).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from course_lib.data import load_tinyshakespeare, word_tokenize
from course_lib.exercises import ask, check
from course_lib.reference.ngram import NGramLM

rng = np.random.default_rng(0)

# %% [markdown]
# ## The corpus
#
# We use *tiny-shakespeare* (Karpathy's char-rnn corpus: 40,000 lines of the plays, about 1.1 M characters),
# split as is usual for it: the first 90 % of the characters for training, the last 10 % for validation.
# Each non-empty line is one "sentence"; words are lower-cased and punctuation marks are tokens of their own.
# (Without network or a data mirror the loader says so and falls back to a small corpus the course ships; the
# numbers below then change, but everything still runs.)

# %%
def sentences(text: str) -> list[list[str]]:
    return [word_tokenize(line, lower=True) for line in text.splitlines() if line.strip()]


train = sentences(load_tinyshakespeare("train"))
val = sentences(load_tinyshakespeare("val"))
n_train_tokens = sum(map(len, train))
print(f"train: {len(train):,} lines, {n_train_tokens:,} tokens;  validation: {len(val):,} lines, "
      f"{sum(map(len, val)):,} tokens")
print(train[1])

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.tokens", "l1.q.heldout")

# %% [markdown]
# ## The Markov assumption and counting
#
# Conditioning on the whole history is hopeless: almost every long history occurs once. An **n-gram model**
# assumes that only the last $n-1$ words matter,
#
# $$P(x^{(t+1)} \mid x^{(t)}, \dots, x^{(1)}) \approx P(x^{(t+1)} \mid x^{(t)}, \dots, x^{(t-n+2)}),$$
#
# and estimates that by relative frequency (the maximum-likelihood estimate):
#
# $$P_{\text{MLE}}(w \mid h) = \frac{\operatorname{count}(h\,w)}{\operatorname{count}(h)}.$$
#
# The textbook example is a 4-gram model completing "*as the proctor started the clock, the students opened
# their ___*": it throws away everything but "*students opened their*" and divides counts. Shakespeare has no
# students, so let us ask a trigram model what follows "*i pray*". Each sentence is padded with `<s>` on the
# left and `</s>` on the right, so the model also learns how lines begin and end.

# %%
trigram = NGramLM(order=3, smoothing="mle").fit(train)
context = "i pray"
c_h = trigram.context_count(context)
print(f"count({context!r}) = {c_h}")
for word, c in list(trigram.continuations(context).items())[:8]:
    print(f"  {word!r:>10}: count = {c:4d}   P_MLE = {c}/{c_h} = {c / c_h:.3f}")

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.markov", "l1.q.padding")

# %% [markdown]
# ## Sparsity: the weakness of counting
#
# Two things go wrong with MLE counts.
#
# 1. **Zero numerators.** A perfectly good continuation that never occurred in training gets probability 0.
#    One such word in a test sentence makes its probability 0 and the perplexity infinite.
# 2. **Zero denominators.** If the context itself never occurred, the estimate is undefined. Our implementation
#    then *backs off* to the longest shorter context that was seen.
#
# Both get worse as $n$ grows: the number of possible n-grams grows as $|V|^n$, the corpus does not. The
# counts below show how quickly the validation text leaves the training counts behind.

# %%
def unseen_fraction(model: NGramLM, sents: list[list[str]]) -> float:
    """Share of the n-grams of ``sents`` (with sentence padding) that ``model`` never counted."""
    n, seen, total = model.order, 0, 0
    for sent in sents:
        padded = ["<s>"] * (n - 1) + sent + ["</s>"]
        for i in range(n - 1, len(padded)):
            total += 1
            seen += model.count(padded[i - n + 1: i + 1]) > 0
    return 1 - seen / total


orders = [1, 2, 3, 4, 5]
distinct, unseen = {}, {}
for n in orders:
    mle = NGramLM(order=n, smoothing="mle").fit(train)
    unseen[n] = unseen_fraction(mle, val)
    distinct[n] = len(mle.counts[n])
    print(f"{n}-grams: {distinct[n]:8,} distinct in training;  "
          f"{100 * unseen[n]:5.1f} % of the validation {n}-grams never seen")
del mle
assert all(unseen[a] <= unseen[b] for a, b in zip(orders, orders[1:])), "sparsity grows with n"

# %% [markdown]
# The left column is the **storage** cost: a model keeps every distinct n-gram it counted (our implementation
# stores only those, never a $|V|^n$ table), and their number keeps growing with $n$. The right column is the
# sparsity: the share of validation n-grams that training never saw rises steeply with $n$.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.sparsity", "l1.q.distinct_cap")

# %% [markdown]
# ## Smoothing
#
# **Add-k** (Laplace for $k=1$) pretends every n-gram was seen $k$ more times:
#
# $$P_{\text{add-}k}(w \mid h) = \frac{\operatorname{count}(h\,w) + k}{\operatorname{count}(h) + k|V|}.$$
#
# It removes the zeros but takes far too much mass from frequent events when $|V|$ is large.
#
# **Interpolated Kneser–Ney** (Kneser & Ney 1995; Chen & Goodman 1999) subtracts a fixed discount $D$ from
# every seen count and gives the freed mass to a lower-order distribution:
#
# $$P_{\text{KN}}(w \mid h) = \frac{\max(\operatorname{count}(h\,w) - D, 0)}{\operatorname{count}(h)}
#   + \frac{D\, N_{1+}(h\,\bullet)}{\operatorname{count}(h)}\, P_{\text{KN}}(w \mid h'),$$
#
# where $h'$ drops the oldest word of $h$ and $N_{1+}(h\,\bullet)$ is the number of distinct words seen after
# $h$. Its key idea is in the lower orders: they use *continuation counts* — in how many different contexts a
# word appears — instead of raw counts. "*Francisco*" may be frequent, but only after "*San*"; it should not
# get much probability after an unseen context.

# %%
ctx = "my gracious"
for name, model in [("MLE", NGramLM(3, "mle")), ("add-1", NGramLM(3, "add_k", k=1.0)),
                    ("Kneser-Ney", NGramLM(3, "kneser_ney"))]:
    model.fit(train)
    top = ", ".join(f"{w} {p:.3f}" for w, p in model.top_k(ctx, 5))
    print(f"{name:>10} | P(. | {ctx!r}): {top}")
    assert abs(model.distribution(ctx).sum() - 1) < 1e-9  # a distribution, whatever the smoothing

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.kn", "l1.q.add1")

# %% [markdown]
# ## Perplexity
#
# We compare LMs by how surprised they are by held-out text. The **perplexity** of a model on a test corpus of
# $N$ predicted tokens is the exponential of the average negative log-likelihood,
#
# $$\mathrm{PP} = \exp\Big(-\frac{1}{N}\sum_{t=1}^{N} \log P(x^{(t)} \mid x^{(t-1)}, \dots)\Big),$$
#
# the geometric mean of the inverse probabilities. A perplexity of 100 means the model was, on average, as
# unsure as a uniform choice among 100 words. Lower is better; the same loss is what a neural LM minimises
# (cross-entropy), so the number carries straight over to the next lectures.
#
# The table below is computed now, on this corpus (it takes a few seconds).

# %%
SMOOTHINGS = {"MLE": {"smoothing": "mle"}, "add-1": {"smoothing": "add_k", "k": 1.0},
              "add-0.01": {"smoothing": "add_k", "k": 0.01}, "Kneser-Ney": {"smoothing": "kneser_ney"}}
# min_count=2: words seen once in training become <unk>, so <unk> gets real counts (see the <unk> policy in
# course_lib.reference.ngram); every model below shares that vocabulary.
rows = [{"n": n, **{name: NGramLM(order=n, min_count=2, **kw).fit(train).perplexity(val)
                    for name, kw in SMOOTHINGS.items()}} for n in orders]

print(f"{'n':>2} | " + " | ".join(f"{name:>10}" for name in SMOOTHINGS))
for r in rows:
    print(f"{r['n']:>2} | " + " | ".join(f"{r[name]:>10.1f}" for name in SMOOTHINGS))
best = min(rows, key=lambda r: r["Kneser-Ney"])
print(f"\nbest: Kneser-Ney with n = {best['n']}, validation perplexity {best['Kneser-Ney']:.1f}")

# The claims of the next cell, checked on whatever corpus was loaded:
assert all(math.isinf(r["MLE"]) for r in rows[1:]), "MLE is infinite from n = 2 on"
assert all(rows[i]["add-1"] < rows[i + 1]["add-1"] for i in range(1, len(rows) - 1)), "add-1 worsens with n"
assert all(r["Kneser-Ney"] < r["add-1"] for r in rows[1:]), "Kneser-Ney beats add-1 for every n > 1"
assert best["n"] > 1
assert all(best["Kneser-Ney"] <= r[name] for r in rows for name in SMOOTHINGS), "KN has the best perplexity"

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name in ["add-1", "add-0.01", "Kneser-Ney"]:
    ax.plot(orders, [r[name] for r in rows], marker="o", label=name)
ax.set_xlabel("order n")
ax.set_ylabel("validation perplexity")
ax.set_yscale("log")
ax.set_title("n-gram LMs on tiny-shakespeare (words)")
ax.legend()
fig.tight_layout()

# %% [markdown]
# Read the table from left to right and top to bottom:
#
# * MLE is infinite from $n = 2$ on: some validation bigram was never seen, and one zero is enough.
# * From $n = 2$ on, add-1 gets *worse* as $n$ grows: with a vocabulary of thousands of words, the pseudo-counts swamp the real
#   ones in every rare context. A small $k$ helps, but only so much.
# * Kneser–Ney beats add-1 at every order above 1, is the best model overall, and improves with $n$ only up to a point (printed above the plot);
#   beyond it, longer contexts are more informative but so rare that the back-off does nearly all the work,
#   and the extra discounting costs more than it gains. On the small fallback corpus the point moves, which is
#   itself the lesson: how much context a count model can use is set by how much data it has. This ceiling is
#   what neural LMs break through (Lecture 2 puts Bengio's model next to this table).

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.perplexity", "l1.q.bits")

# %% [markdown]
# ## Generating text
#
# An LM is also a generator: draw $x^{(1)} \sim P(\cdot \mid \texttt{<s>})$, then $x^{(2)} \sim
# P(\cdot \mid \texttt{<s>}, x^{(1)})$, and so on until `</s>`. Low orders give word salad; high orders often
# reproduce stretches of the training text, because most long contexts were seen once, and the one word seen
# after such a context gets most of the probability.

# %%
for n in (1, 2, 3, 5):
    model = NGramLM(order=n, smoothing="kneser_ney").fit(train)
    gen = np.random.default_rng(1)
    lines = [" ".join(model.sample(gen, max_len=20)) for _ in range(2)]
    print(f"--- {n}-gram\n" + "\n".join(lines))

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l1.q.generate", "l1.q.verbatim")

# %% [markdown]
# ## Exercises (they check themselves)
#
# Replace each `None` with your answer and re-run the cell. The expected answers live in `course_lib`, not
# here; a wrong answer gets a hint, and `solution("key")` prints the worked solution when you want it.
#
# **1.** Using `trigram.count(...)` and `trigram.context_count(...)` only, compute the MLE probability
# $P(\text{"you"} \mid \text{"i pray"})$.

# %%
answer_1 = None  # e.g. trigram.count("i pray you") / trigram.context_count("i pray")
check("l1.mle", answer_1, trigram=trigram)

# %% [markdown]
# **2.** A model assigns probability $1/64$ to each of the 10 tokens of a test text. What is its perplexity?
# (No code needed — but check yourself.)

# %%
answer_2 = None
check("l1.uniform_ppl", answer_2)

# %% [markdown]
# **3.** With add-1 smoothing, what is $P(w \mid h)$ for a word $w$ never seen after a context $h$ that occurred
# 9 times, with a predictive vocabulary of $|V| = 11$ tokens? Give a number.

# %%
answer_3 = None
check("l1.add1", answer_3)

# %% [markdown]
# **4.** (Open.) Find a context where Kneser–Ney and add-1 disagree on the most likely next word, and explain
# the difference with continuation counts.
#
# *Next:* [Lecture 2 — neural language models](02_neural_language_models.py).
