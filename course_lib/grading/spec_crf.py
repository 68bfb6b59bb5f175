"""Checks of assignment 3, *Linear-chain CRF* (lecture 6, Sequence labelling; Lafferty et al. 2001; Huang et
al. 2015; Lample et al. 2016): sequence score, log-partition by the forward algorithm in log space, Viterbi,
marginals by forward-backward, and the gradient of the negative log-likelihood."""

from __future__ import annotations

import itertools

import numpy as np

from course_lib.grading.checks import Case, Part, compare, fd_grads, rng_for
from course_lib.grading.oracles import crf_core, crf_nll

A = "crf"
SKIP_CELLS = {"experiment", "experiment_ner"}
OVERFLOW = ("overflow: compute the forward recursion in log space, with a log-sum-exp that subtracts the "
            "maximum before exponentiating")


def _inputs(rng, N, T, K, lengths=None, scale=1.0):
    lengths = lengths if lengths is not None else [T] * N
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    return {"E": rng.normal(size=(N, T, K)) * scale, "tags": rng.integers(0, K, size=(N, T)), "mask": mask,
            "A": rng.normal(size=(K, K)) * scale, "start": rng.normal(size=K) * scale,
            "end": rng.normal(size=K) * scale}


def _known():
    """T = 2, K = 2, by hand: score of (0, 1) = start0 + E00 + A01 + E11 + end1 = 0.5 + 1 + 2 + 3 + 0 = 6.5."""
    return {"E": np.array([[[1.0, 0.0], [0.0, 3.0]]]), "tags": np.array([[0, 1]]), "mask": np.ones((1, 2), bool),
            "A": np.array([[0.0, 2.0], [-1.0, 0.0]]), "start": np.array([0.5, 0.0]), "end": np.array([0.0, 0.0])}


def _common_cases(part):
    r = [rng_for(A, part, i) for i in range(5)]
    return [Case("known values: T=2, K=2", _known()),
            Case("random N=2, T=4, K=3, no padding", _inputs(r[0], 2, 4, 3)),
            Case("padded batch (lengths 5, 2, 1)", _inputs(r[1], 3, 5, 4, [5, 2, 1]), hidden=True),
            Case("one time step", _inputs(r[2], 2, 1, 3), hidden=True),
            Case("batch of one, T=6, K=5", _inputs(r[3], 1, 6, 5), hidden=True),
            Case("large scores (x 400)", _inputs(r[4], 2, 5, 3, [5, 3], scale=400.0), hidden=True)]


def _args(i):
    return [np.array(i[k]) for k in ("E", "mask", "A", "start", "end")]


def _unmasked(i):
    return dict(i, mask=np.ones_like(i["mask"]))


def brute_force(i):
    """log Z and the best path of every sentence by enumerating all K**length tag sequences (tiny inputs)."""
    N, T, K = i["E"].shape
    logZ, best = np.zeros(N), -np.ones((N, T), dtype=np.int64)
    for n in range(N):
        L = int(i["mask"][n].sum())
        scores, paths = [], []
        for path in itertools.product(range(K), repeat=L):
            y = np.zeros((1, T), dtype=np.int64)
            y[0, :L] = path
            scores.append(crf_core.crf_score(i["E"][n:n + 1], y, i["mask"][n:n + 1], i["A"], i["start"],
                                             i["end"])[0])
            paths.append(path)
        scores = np.array(scores)
        m = scores.max()
        logZ[n] = m + np.log(np.exp(scores - m).sum())
        best[n, :L] = paths[int(scores.argmax())]
    return logZ, best


# ------------------------------------------------------------------------------------------ score
def score_cases():
    return _common_cases("score")


def score_verify(case, out):
    i = case.inputs
    want = crf_core.crf_score(i["E"], i["tags"], i["mask"], i["A"], i["start"], i["end"])
    no_end = want - i["end"][i["tags"][np.arange(len(want)), i["mask"].sum(1) - 1]]
    n, y = np.arange(len(want)), i["tags"]
    padded = sum(~i["mask"][:, t] * (i["A"][y[:, t - 1], y[:, t]] + i["E"][n, t, y[:, t]])
                 for t in range(1, y.shape[1]))
    return compare("score", out, want, {
        "the padded steps (mask False) must not add to the score": want + padded,
        "the end score of the last real tag is missing": no_end,
        "the transition matrix is used transposed: A[i, j] scores tag i followed by tag j": crf_core.crf_score(
            i["E"], i["tags"], i["mask"], i["A"].T, i["start"], i["end"])})


# ------------------------------------------------------------------------------------- log partition
def logz_cases():
    return _common_cases("logz")


def logz_verify(case, out):
    i = case.inputs
    want = crf_core.crf_log_partition(*_args(i))
    got = out.get("logZ")
    if got is not None and np.shape(got) == want.shape and not np.all(np.isfinite(got)):
        return [f"log_Z contains NaN or inf — {OVERFLOW}"]
    return compare("log_Z", {"log_Z": got}, want, {
        "the mask is ignored: a padded step must leave alpha unchanged":
            crf_core.crf_log_partition(*_args(_unmasked(i))),
        "the end scores are missing": crf_core.crf_log_partition(*_args(dict(i, end=np.zeros_like(i["end"])))),
        "this is the Viterbi (max) score, not the log-sum-exp over all paths":
            crf_core.crf_viterbi(*_args(i))[1]}, tol=1e-8)


# ----------------------------------------------------------------------------------------- Viterbi
def viterbi_cases():
    return _common_cases("viterbi")


def _viterbi_off_by_one(i):
    """Back-pointers read one step too early (back[t-1] instead of back[t])."""
    E, mask, A_, start, end = _args(i)
    N, T, K = E.shape
    delta, back = start + E[:, 0], np.zeros((N, T, K), dtype=np.int64)
    for t in range(1, T):
        cand = delta[:, :, None] + A_[None]
        back[:, t] = cand.argmax(axis=1)
        delta = np.where(mask[:, t, None], cand.max(axis=1) + E[:, t], delta)
    paths = -np.ones((N, T), dtype=np.int64)
    for n in range(N):
        L = int(mask[n].sum())
        y = int((delta[n] + end).argmax())
        paths[n, L - 1] = y
        for t in range(L - 1, 0, -1):
            y = int(back[n, t - 1, y])
            paths[n, t - 1] = y
    return paths


def viterbi_verify(case, out):
    i = case.inputs
    paths, scores = crf_core.crf_viterbi(*_args(i))
    problems = compare("scores", out, scores, {"the end scores are missing from the best score":
                                               crf_core.crf_viterbi(*_args(dict(i, end=0 * i["end"])))[1]},
                       tol=1e-8)
    got = out.get("paths")
    if got is None or np.shape(got) != paths.shape:
        return problems + [f"paths should have shape {paths.shape}, got {None if got is None else np.shape(got)}"]
    got = np.asarray(got)
    if not np.array_equal(got[~i["mask"]], paths[~i["mask"]]):
        problems.append("paths should hold -1 at the padded positions (mask False)")
    if not np.array_equal(got[i["mask"]], paths[i["mask"]]):
        if np.array_equal(got[i["mask"]], _viterbi_off_by_one(i)[i["mask"]]):
            problems.append("paths are wrong: the back-pointers are off by one step (follow back[t] from "
                            "position t to t - 1)")
        else:
            problems.append("paths are not the highest-scoring tag sequences")
    return problems


# --------------------------------------------------------------------------------------- marginals
def marginals_cases():
    return _common_cases("marginals")[:5]


def marginals_verify(case, out):
    i = case.inputs
    unary, pairwise = crf_core.crf_marginals(*_args(i))
    problems = compare("unary", out, unary, {"padded positions must have zero marginals": np.where(
        i["mask"][:, :, None], unary, 1.0 / unary.shape[2])})
    problems += compare("pairwise", out, pairwise)
    return problems


# ------------------------------------------------------------------------------------------ NLL grad
def nll_cases():
    cases = _common_cases("nll")
    r = rng_for(A, "nll", 99)
    cases.insert(2, Case("finite differences, padded", dict(_inputs(r, 2, 4, 3, [4, 2]), fd=True), hidden=True))
    return cases


def nll_verify(case, out):
    i = case.inputs
    names = ("dE", "dA", "dstart", "dend")
    loss, *grads = crf_nll.crf_nll_backward(i["E"], i["tags"], i["mask"], i["A"], i["start"], i["end"])
    want = dict(zip(names, grads, strict=True))
    if i.get("fd"):
        arrays = {"dE": np.array(i["E"]), "dA": np.array(i["A"]), "dstart": np.array(i["start"]),
                  "dend": np.array(i["end"])}

        def f():
            a = (arrays["dE"], i["mask"], arrays["dA"], arrays["dstart"], arrays["dend"])
            return float(np.sum(crf_core.crf_log_partition(*a) - crf_core.crf_score(
                arrays["dE"], i["tags"], i["mask"], arrays["dA"], arrays["dstart"], arrays["dend"])))
        want = fd_grads(f, arrays)
    got_loss = out.get("loss")
    if got_loss is not None and np.size(got_loss) == 1 and not np.all(np.isfinite(got_loss)):
        return [f"loss is NaN or inf — {OVERFLOW}"]
    problems = compare("loss", {"loss": None if got_loss is None else np.asarray(got_loss).reshape(())}, loss, {
        "the loss has the wrong sign: it is log Z - score(gold)": -loss}, tol=1e-8)
    for k in names:
        problems += compare(k, out, want[k], {
            "the gradient has the wrong sign (marginals minus gold counts)": -want[k],
            "the gold-path counts are not subtracted from the marginals": want[k] + _gold(i, k)})
    return problems


def _gold(i, name):
    K = i["E"].shape[2]
    gold = np.eye(K)[i["tags"]] * i["mask"][:, :, None]
    if name == "dE":
        return gold
    if name == "dA":
        return np.einsum("nti,ntj->ij", gold[:, :-1], gold[:, 1:])
    if name == "dstart":
        return gold[:, 0].sum(0)
    last = i["mask"].sum(1) - 1
    return gold[np.arange(len(last)), last].sum(0)


_CORE = {name: f"course_lib.grading.oracles.crf_core:{name}"
         for name in ("crf_score", "crf_log_partition", "crf_marginals")}

PARTS = {p.name: p for p in [
    Part("crf_score", 2, score_cases, score_verify),
    Part("crf_log_partition", 4, logz_cases, logz_verify),
    Part("crf_viterbi", 4, viterbi_cases, viterbi_verify),
    Part("crf_marginals", 3, marginals_cases, marginals_verify),
    Part("crf_nll_backward", 4, nll_cases, nll_verify, phase=2, inject=dict(_CORE)),
]}
