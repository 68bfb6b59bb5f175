# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 3 — A linear-chain CRF under a BiLSTM
#
# A BiLSTM tagger chooses every tag on its own; a conditional random field scores whole tag sequences,
# so that the transition from one tag to the next counts too (lecture 6, Sequence labelling;
# Lafferty et al., 2001; Huang et al., 2015; Lample et al., 2016). You will write the
# CRF layer in NumPy — score, log-partition, Viterbi, marginals, and the gradient of the negative
# log-likelihood — and then train it on top of a small BiLSTM to tag English sentences.
#
# **Notation.** A batch of $N$ sentences padded to $T$ tokens, $K$ tags. Emission scores `E: (N, T, K)`
# (from the BiLSTM), gold tags `tags: (N, T)` (ints), `mask: (N, T)` (bool; `True` for real tokens — a
# prefix of each row, every sentence has at least one token), transition scores `A: (K, K)` (`A[i, j]`:
# tag $i$ followed by tag $j$), `start, end: (K,)`. The score of a tag sequence $y$ of length $L$ is
#
# $$s(y) = \text{start}_{y_0} + E_{0, y_0} + \sum_{t=1}^{L-1} \big(A_{y_{t-1}, y_t} + E_{t, y_t}\big) + \text{end}_{y_{L-1}},
# \qquad p(y \mid x) = \frac{e^{s(y)}}{\sum_{y'} e^{s(y')}} = e^{s(y) - \log Z}.$$
#
# **Grading** is as in the previous assignments (visible checks now, hidden ones at grading time, in a
# sandbox). Check a part with `check("crf", "<part>", <function>)`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import numpy as np

from course_lib.grading import check

GRADING = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_score", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 1 — the score of a tag sequence (2 points)
#
# `crf_score(E, tags, mask, A, start, end)` returns $s(y)$ for every sentence, shape `(N,)`. Padded
# positions (mask `False`) add nothing; `end` is added for the last *real* token.

# %% nbgrader={"grade": false, "grade_id": "crf_score_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def crf_score(E, tags, mask, A, start, end):
    """E: (N, T, K), tags: (N, T), mask: (N, T), A: (K, K), start, end: (K,) -> scores (N,)."""
    ### BEGIN SOLUTION
    N, T, _ = E.shape
    rows = np.arange(N)
    score = start[tags[:, 0]] + E[rows, 0, tags[:, 0]]
    for t in range(1, T):
        step = A[tags[:, t - 1], tags[:, t]] + E[rows, t, tags[:, t]]
        score = score + np.where(mask[:, t], step, 0.0)
    last = tags[rows, mask.sum(axis=1) - 1]
    score = score + end[last]
    ### END SOLUTION
    return score


# %% nbgrader={"grade": true, "grade_id": "test_crf_score", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("crf", "crf_score", crf_score)
### BEGIN HIDDEN TESTS
check("crf", "crf_score", crf_score, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_logz", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 2 — the log-partition function (4 points)
#
# $\log Z = \log \sum_{y'} e^{s(y')}$ sums over $K^L$ sequences; the forward algorithm does it in
# $O(L K^2)$ with $\alpha_0 = \text{start} + E_0$ and
# $\alpha_t(j) = \log\sum_i \exp\big(\alpha_{t-1}(i) + A_{ij}\big) + E_{t,j}$, then
# $\log Z = \log\sum_j \exp(\alpha_{L-1}(j) + \text{end}_j)$. Work in log space with a log-sum-exp that
# subtracts the maximum first: scores of a few hundred overflow `np.exp`. For a padded step keep
# $\alpha_t = \alpha_{t-1}$. Return `log_Z: (N,)`.

# %% nbgrader={"grade": false, "grade_id": "crf_log_partition_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logsumexp(a, axis):
    """log(sum(exp(a), axis)) without overflow."""
    ### BEGIN SOLUTION
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))
    ### END SOLUTION


def crf_log_partition(E, mask, A, start, end):
    """E: (N, T, K), mask: (N, T), A: (K, K), start, end: (K,) -> log_Z (N,)."""
    ### BEGIN SOLUTION
    T = E.shape[1]
    alpha = start + E[:, 0]
    for t in range(1, T):
        nxt = logsumexp(alpha[:, :, None] + A[None], axis=1) + E[:, t]
        alpha = np.where(mask[:, t, None], nxt, alpha)
    log_Z = logsumexp(alpha + end, axis=1)
    ### END SOLUTION
    return log_Z


# %% nbgrader={"grade": true, "grade_id": "test_crf_log_partition", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("crf", "crf_log_partition", crf_log_partition)
### BEGIN HIDDEN TESTS
check("crf", "crf_log_partition", crf_log_partition, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_viterbi", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 3 — Viterbi decoding (4 points)
#
# Replace the log-sum-exp by a max and remember the argmax: `back[t, j]` is the best previous tag when
# tag $j$ is at position $t$. At the end pick the best last tag (including `end`) and follow the
# back-pointers from position $L-1$ down to $0$. Return `paths: (N, T)` (int, `-1` at padded positions)
# and the best scores `(N,)`.

# %% nbgrader={"grade": false, "grade_id": "crf_viterbi_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def crf_viterbi(E, mask, A, start, end):
    """-> paths (N, T) int with -1 where mask is False, best scores (N,)."""
    ### BEGIN SOLUTION
    N, T, K = E.shape
    delta = start + E[:, 0]
    back = np.zeros((N, T, K), dtype=np.int64)
    for t in range(1, T):
        cand = delta[:, :, None] + A[None]
        back[:, t] = cand.argmax(axis=1)
        delta = np.where(mask[:, t, None], cand.max(axis=1) + E[:, t], delta)
    final = delta + end
    paths = -np.ones((N, T), dtype=np.int64)
    for n in range(N):
        length = int(mask[n].sum())
        y = int(final[n].argmax())
        paths[n, length - 1] = y
        for t in range(length - 1, 0, -1):
            y = int(back[n, t, y])
            paths[n, t - 1] = y
    scores = final.max(axis=1)
    ### END SOLUTION
    return paths, scores


# %% nbgrader={"grade": true, "grade_id": "test_crf_viterbi", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("crf", "crf_viterbi", crf_viterbi)
### BEGIN HIDDEN TESTS
check("crf", "crf_viterbi", crf_viterbi, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_marginals", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 4 — marginals by forward–backward (3 points)
#
# With the backward variables $\beta_{L-1} = \text{end}$ and
# $\beta_t(i) = \log\sum_j \exp\big(A_{ij} + E_{t+1,j} + \beta_{t+1}(j)\big)$ (again: a padded step copies),
# the marginals are $p(y_t = k) = \exp(\alpha_t(k) + \beta_t(k) - \log Z)$ and
# $p(y_{t-1} = i, y_t = j) = \exp(\alpha_{t-1}(i) + A_{ij} + E_{t,j} + \beta_t(j) - \log Z)$.
# Return `unary: (N, T, K)` and `pairwise: (N, T-1, K, K)`, zero where the position (for `pairwise`: the
# second position, $t$) is padded.

# %% nbgrader={"grade": false, "grade_id": "crf_marginals_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def crf_marginals(E, mask, A, start, end):
    """-> unary (N, T, K), pairwise (N, T-1, K, K)."""
    ### BEGIN SOLUTION
    N, T, K = E.shape
    alpha = np.zeros((N, T, K))
    alpha[:, 0] = start + E[:, 0]
    for t in range(1, T):
        nxt = logsumexp(alpha[:, t - 1, :, None] + A[None], axis=1) + E[:, t]
        alpha[:, t] = np.where(mask[:, t, None], nxt, alpha[:, t - 1])
    beta = np.zeros((N, T, K))
    beta[:, -1] = end
    for t in range(T - 2, -1, -1):
        nxt = logsumexp(A[None] + (E[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = np.where(mask[:, t + 1, None], nxt, beta[:, t + 1])
    log_Z = logsumexp(alpha[:, -1] + end, axis=1)
    # exponentiate only the real positions: at a padded one the log-score may be anything
    unary = np.exp(np.where(mask[:, :, None], alpha + beta - log_Z[:, None, None], -np.inf))
    pair = alpha[:, :-1, :, None] + A[None, None] + (E[:, 1:] + beta[:, 1:])[:, :, None, :]
    pairwise = np.exp(np.where(mask[:, 1:, None, None], pair - log_Z[:, None, None, None], -np.inf))
    ### END SOLUTION
    return unary, pairwise


# %% nbgrader={"grade": true, "grade_id": "test_crf_marginals", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("crf", "crf_marginals", crf_marginals)
### BEGIN HIDDEN TESTS
check("crf", "crf_marginals", crf_marginals, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_nll", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 5 — the gradient of the negative log-likelihood (4 points)
#
# The loss of a batch is $\sum_n \big(\log Z_n - s(y_n)\big)$. Its gradient with respect to a score is
# *expected count minus gold count*: $\partial/\partial E_{t,k} = p(y_t = k) - [y_t = k]$,
# $\partial/\partial A_{ij} = \sum_t p(y_{t-1}=i, y_t=j) - \#\{t: y_{t-1}=i, y_t=j\}$, and likewise for `start`
# (first position) and `end` (last real position); padded positions contribute nothing.
# Return `(loss, dE, dA, dstart, dend)` — use your functions above.

# %% nbgrader={"grade": false, "grade_id": "crf_nll_backward_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def crf_nll_backward(E, tags, mask, A, start, end):
    """-> loss (float), dE (N, T, K), dA (K, K), dstart (K,), dend (K,)."""
    ### BEGIN SOLUTION
    N, T, K = E.shape
    loss = float(np.sum(crf_log_partition(E, mask, A, start, end) - crf_score(E, tags, mask, A, start, end)))
    unary, pairwise = crf_marginals(E, mask, A, start, end)
    gold = np.eye(K)[tags] * mask[:, :, None]
    dE = unary - gold
    dA = pairwise.sum(axis=(0, 1)) - np.einsum("nti,ntj->ij", gold[:, :-1], gold[:, 1:])
    dstart = (unary[:, 0] - gold[:, 0]).sum(axis=0)
    rows, last = np.arange(N), mask.sum(axis=1) - 1
    dend = (unary[rows, last] - gold[rows, last]).sum(axis=0)
    ### END SOLUTION
    return loss, dE, dA, dstart, dend


# %% nbgrader={"grade": true, "grade_id": "test_crf_nll_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("crf", "crf_nll_backward", crf_nll_backward)
### BEGIN HIDDEN TESTS
check("crf", "crf_nll_backward", crf_nll_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Try it: a BiLSTM-CRF part-of-speech tagger (not graded)
#
# A small bidirectional LSTM (PyTorch) reads each sentence of Universal Dependencies English-EWT
# (`course_lib.data.load_ud_pos`; a small synthetic fallback when offline) and produces emission scores;
# **your** `crf_nll_backward` gives the gradient of the CRF loss with respect to those emissions, which
# PyTorch backpropagates into the BiLSTM, and your gradients for `A, start, end` update the
# transitions. Then **your** `crf_viterbi` tags a few held-out sentences. A few seconds of training on
# 400 sentences is enough to see sensible tags. (Skipped while the notebook is graded.)

# %% nbgrader={"grade": false, "grade_id": "experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
if GRADING:
    print("The BiLSTM-CRF demonstration is skipped while grading.")
else:
    import torch

    from course_lib.data import load_ud_pos

    torch.manual_seed(0)
    train, dev = load_ud_pos("train")[:400], load_ud_pos("dev")[:50]
    words = {w: k + 1 for k, w in enumerate(sorted({w.lower() for s, _ in train for w in s}))}
    tagset = sorted({t for _, ts in train for t in ts})
    K = len(tagset)

    def encode(batch):
        T = max(len(s) for s, _ in batch)
        ids, gold = np.zeros((len(batch), T), dtype=np.int64), np.zeros((len(batch), T), dtype=np.int64)
        for n, (s, ts) in enumerate(batch):
            ids[n, :len(s)] = [words.get(w.lower(), 0) for w in s]
            gold[n, :len(s)] = [tagset.index(t) if t in tagset else 0 for t in ts]
        lengths = np.array([len(s) for s, _ in batch])
        return ids, gold, np.arange(T)[None] < lengths[:, None]

    class BiLSTMEmitter(torch.nn.Module):
        def __init__(self, vocab, tags, dim=32, hidden=32):
            super().__init__()
            self.emb = torch.nn.Embedding(vocab, dim)
            self.lstm = torch.nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
            self.out = torch.nn.Linear(2 * hidden, tags)

        def forward(self, ids):
            return self.out(self.lstm(self.emb(ids))[0])

    model = BiLSTMEmitter(len(words) + 1, K)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    A_, start_, end_ = np.zeros((K, K)), np.zeros(K), np.zeros(K)
    for epoch in range(3):
        total = 0.0
        for b in range(0, len(train), 16):
            ids, gold, mask = encode(train[b:b + 16])
            emissions = model(torch.from_numpy(ids))
            E = emissions.detach().double().numpy()
            loss, dE, dA, dstart, dend = crf_nll_backward(E, gold, mask, A_, start_, end_)
            opt.zero_grad()
            emissions.backward(torch.from_numpy(dE / len(ids)).float())
            opt.step()
            A_ -= 0.05 * dA / len(ids)
            start_ -= 0.05 * dstart / len(ids)
            end_ -= 0.05 * dend / len(ids)
            total += loss
        print(f"epoch {epoch}: mean NLL per sentence {total / len(train):.2f}")
    ids, gold, mask = encode(dev)
    with torch.no_grad():
        paths, _ = crf_viterbi(model(torch.from_numpy(ids)).double().numpy(), mask, A_, start_, end_)
    print(f"dev tag accuracy: {np.mean(paths[mask] == gold[mask]):.3f}")
    for (sentence, _), path in list(zip(dev, paths, strict=True))[:3]:
        print(" ".join(f"{w}/{tagset[p]}" for w, p in zip(sentence, path[:len(sentence)], strict=True)))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_experiment_ner", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Try it: named entities, and what the transitions buy (not graded)
#
# Tags of named entities follow the IOB2 scheme: `B-PER` begins a person's name, `I-PER` continues it,
# `O` is outside any entity. So `I-PER` may only follow `B-PER` or `I-PER`; a tagger that picks every tag
# on its own breaks that rule, and each break garbles an entity. The cell below trains the same kind of
# BiLSTM (its input: the lower-cased word and whether it is capitalised) under **your** CRF on 4,000
# sentences of Universal NER English-EWT (`course_lib.data.load_uner`, tags `PER`, `LOC`, `ORG`; a small
# synthetic fallback when offline), then decodes 400 development sentences twice with **your**
# `crf_viterbi`: once with the emission scores alone (all transition scores zero: every token gets its own
# best tag) and once with the learned transitions. It prints the entity-level F1 (an entity counts only if
# its type and both boundaries are right) and the number of `I-` tags that follow neither a `B-` nor an
# `I-` of their type. Look at the learned scores from `O` into the `I-` tags. The emissions were trained
# *together with* the transitions, so "emissions only" is not a tagger trained without a CRF (lecture 6
# compares those). (About 10 seconds; skipped while the notebook is graded.)

# %% nbgrader={"grade": false, "grade_id": "experiment_ner", "locked": true, "schema_version": 3, "solution": false, "task": false}
if GRADING:
    print("The NER demonstration is skipped while grading.")
else:
    import torch

    from course_lib.data import load_uner
    from course_lib.data.conll import iob2_errors
    from course_lib.metrics import span_prf

    torch.manual_seed(0)
    ner_train, ner_dev = load_uner("train")[:4000], load_uner("dev")[:400]
    ner_words = {w: k + 1 for k, w in enumerate(sorted({w.lower() for s, _ in ner_train for w in s}))}
    ner_tags = sorted({t for _, ts in ner_train for t in ts})
    K_ner = len(ner_tags)

    def encode_ner(batch):
        T = max(len(s) for s, _ in batch)
        ids, gold = np.zeros((len(batch), T), dtype=np.int64), np.zeros((len(batch), T), dtype=np.int64)
        shape = np.zeros((len(batch), T), dtype=np.int64)  # 0 padding, 1 lower case, 2 Capitalised, 3 other
        for n, (s, ts) in enumerate(batch):
            ids[n, :len(s)] = [ner_words.get(w.lower(), 0) for w in s]
            shape[n, :len(s)] = [1 if w.islower() else 2 if w[:1].isupper() else 3 for w in s]
            gold[n, :len(s)] = [ner_tags.index(t) if t in ner_tags else ner_tags.index("O") for t in ts]
        return (ids, shape), gold, np.arange(T)[None] < np.array([len(s) for s, _ in batch])[:, None]

    class NerEmitter(torch.nn.Module):
        def __init__(self, vocab, tags, dim=48, hidden=48):
            super().__init__()
            self.emb, self.shape = torch.nn.Embedding(vocab, dim), torch.nn.Embedding(4, 8)
            self.lstm = torch.nn.LSTM(dim + 8, hidden, batch_first=True, bidirectional=True)
            self.out = torch.nn.Linear(2 * hidden, tags)

        def forward(self, inputs):
            ids, shape = (torch.from_numpy(a) for a in inputs)
            return self.out(self.lstm(torch.cat([self.emb(ids), self.shape(shape)], dim=-1))[0])

    ner_model = NerEmitter(len(ner_words) + 1, K_ner)
    ner_opt = torch.optim.Adam(ner_model.parameters(), lr=0.01)
    A_ner, start_ner, end_ner = np.zeros((K_ner, K_ner)), np.zeros(K_ner), np.zeros(K_ner)
    order = np.random.default_rng(0)
    for epoch in range(4):
        total = 0.0
        for b in order.permutation(len(ner_train) // 32):
            ids, gold, mask = encode_ner(ner_train[32 * b:32 * b + 32])
            emissions = ner_model(ids)
            loss, dE, dA, dstart, dend = crf_nll_backward(emissions.detach().double().numpy(), gold, mask,
                                                          A_ner, start_ner, end_ner)
            ner_opt.zero_grad()
            emissions.backward(torch.from_numpy(dE / len(gold)).float())
            ner_opt.step()
            A_ner -= 0.1 * dA / len(gold)
            start_ner -= 0.1 * dstart / len(gold)
            end_ner -= 0.1 * dend / len(gold)
            total += loss
        print(f"epoch {epoch}: mean NLL per sentence {total / len(ner_train):.2f}")
    ids, gold, mask = encode_ner(ner_dev)
    with torch.no_grad():
        E_dev = ner_model(ids).double().numpy()
    gold_tags = [ts for _, ts in ner_dev]
    zeros = np.zeros(K_ner)
    for label, (A_, s_, e_) in (("emissions only (no transitions)", (np.zeros((K_ner, K_ner)), zeros, zeros)),
                                ("with the learned transitions", (A_ner, start_ner, end_ner))):
        paths, _ = crf_viterbi(E_dev, mask, A_, s_, e_)
        pred = [[ner_tags[k] for k in path[:len(s)]] for (s, _), path in zip(ner_dev, paths, strict=True)]
        invalid = sum(len(iob2_errors(p)) for p in pred)
        print(f"{label:33s} entity F1 {span_prf(gold_tags, pred)['f1']:.3f}, invalid I- tags {invalid}")
    o = ner_tags.index("O")
    print("learned transition scores from O:", {t: round(float(A_ner[o, k]), 2) for k, t in enumerate(ner_tags)})
