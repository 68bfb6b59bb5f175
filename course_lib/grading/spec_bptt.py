"""Checks of assignment 1, *Backpropagation through time* (lecture 3, Recurrent networks: Elman RNN, BPTT,
a finite-difference gradient check, truncated BPTT, gradient-norm clipping of Pascanu et al. 2013, a
character LM trained with all of it, and sampling with a temperature)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.checks import Case, Part, compare, fd_grads, rng_for
from course_lib.grading.oracles import gradcheck, rnn_seq, rnn_steps, rnn_train, sampling

A = "bptt"
GRADS = ("dx", "dh_prev", "dWx", "dWh", "db")


def _step_inputs(rng, N, D, H, scale=1.0):
    return {"x": rng.normal(size=(N, D)), "h_prev": rng.normal(size=(N, H)),
            "Wx": rng.normal(size=(D, H)) * scale, "Wh": rng.normal(size=(H, H)) * scale * 0.5,
            "b": rng.normal(size=H), "dh_next": rng.normal(size=(N, H))}


def _seq_inputs(rng, N, T, D, H):
    return {"x": rng.normal(size=(N, T, D)), "h0": rng.normal(size=(N, H)),
            "Wx": rng.normal(size=(D, H)) * 0.5, "Wh": rng.normal(size=(H, H)) * 0.4,
            "b": rng.normal(size=H) * 0.1, "dh": rng.normal(size=(N, T, H))}


# ------------------------------------------------------------------------------------ rnn_step_forward
def step_forward_cases():
    known = {"x": np.array([[1.0, 2.0]]), "h_prev": np.array([[0.5, -0.5]]),
             "Wx": np.array([[0.1, 0.2], [0.3, 0.4]]), "Wh": np.array([[1.0, 0.0], [0.0, 1.0]]),
             "b": np.array([0.0, -1.0])}
    r = [rng_for(A, "step_forward", i) for i in range(4)]
    return [Case("known values (N=1, D=2, H=2)", known),
            Case("random N=3, D=4, H=5", _step_inputs(r[0], 3, 4, 5)),
            Case("batch of one", _step_inputs(r[1], 1, 3, 2), hidden=True),
            Case("saturated pre-activations", _step_inputs(r[2], 4, 3, 6, scale=30.0), hidden=True),
            Case("D != H, N=5", _step_inputs(r[3], 5, 7, 3), hidden=True)]


def step_forward_verify(case, out):
    i = case.inputs
    want = rnn_steps.rnn_step_forward(i["x"], i["h_prev"], i["Wx"], i["Wh"], i["b"])[0]
    no_rec = np.tanh(i["x"] @ i["Wx"] + i["b"])
    return compare("h_next", out, want, {
        "the recurrent term h_prev @ Wh is missing": no_rec,
        "tanh is missing": i["x"] @ i["Wx"] + i["h_prev"] @ i["Wh"] + i["b"],
        "the bias b is missing": np.tanh(i["x"] @ i["Wx"] + i["h_prev"] @ i["Wh"])})


# ----------------------------------------------------------------------------------- rnn_step_backward
def step_backward_cases():
    r = [rng_for(A, "step_backward", i) for i in range(4)]
    return [Case("random N=2, D=3, H=4", _step_inputs(r[0], 2, 3, 4)),
            Case("finite differences, D = H", dict(_step_inputs(r[1], 3, 4, 4), fd=True), hidden=True),
            Case("batch of one", _step_inputs(r[2], 1, 5, 3), hidden=True),
            Case("N=6, D=2, H=5", _step_inputs(r[3], 6, 2, 5), hidden=True)]


def step_backward_verify(case, out):
    i = case.inputs
    args = [np.array(i[k]) for k in ("x", "h_prev", "Wx", "Wh", "b")]
    h, cache = rnn_steps.rnn_step_forward(*args)
    if i.get("fd"):
        named = dict(zip(("dx", "dh_prev", "dWx", "dWh", "db"), args, strict=True))
        want = fd_grads(lambda: float(np.sum(rnn_steps.rnn_step_forward(*args)[0] * i["dh_next"])), named)
    else:
        want = dict(zip(GRADS, rnn_steps.rnn_step_backward(i["dh_next"], cache), strict=True))
    no_tanh = dict(zip(GRADS, rnn_steps.rnn_step_backward(i["dh_next"], (*cache[:4], np.zeros_like(h))), strict=True))
    problems = []
    for k in GRADS:
        problems += compare(k, out, want[k], {
            "the tanh derivative (1 - h_next**2) is missing": no_tanh[k]})
    return problems


# ---------------------------------------------------------------------------------------- rnn_forward
def forward_cases():
    r = [rng_for(A, "forward", i) for i in range(4)]
    return [Case("random N=2, T=3, D=3, H=4", _seq_inputs(r[0], 2, 3, 3, 4)),
            Case("one time step", _seq_inputs(r[1], 3, 1, 2, 3), hidden=True),
            Case("batch of one, T=6", _seq_inputs(r[2], 1, 6, 4, 3), hidden=True),
            Case("N=4, T=7, D=5, H=2", _seq_inputs(r[3], 4, 7, 5, 2), hidden=True)]


def forward_verify(case, out):
    i = case.inputs
    want = rnn_seq.rnn_forward(i["x"], i["h0"], i["Wx"], i["Wh"], i["b"])[0]
    from_h0 = np.tanh(i["x"] @ i["Wx"] + (i["h0"] @ i["Wh"])[:, None] + i["b"])
    shifted = np.concatenate([i["h0"][:, None], want[:, :-1]], axis=1)
    return compare("h", out, want, {
        "every step uses h0 instead of the previous step's hidden state": from_h0,
        "h[:, t] should be the state *after* step t (h0 is not part of the output)": shifted})


# --------------------------------------------------------------------------------------- rnn_backward
def backward_cases():
    r = [rng_for(A, "backward", i) for i in range(5)]
    return [Case("random N=2, T=3, D=3, H=4", _seq_inputs(r[0], 2, 3, 3, 4)),
            Case("finite differences, T=4", dict(_seq_inputs(r[1], 2, 4, 3, 3), fd=True), hidden=True),
            Case("one time step", _seq_inputs(r[2], 2, 1, 3, 4), hidden=True),
            Case("batch of one, T=5", _seq_inputs(r[3], 1, 5, 2, 3), hidden=True),
            Case("N=3, T=8, D=4, H=5", _seq_inputs(r[4], 3, 8, 4, 5), hidden=True)]


def _no_carry(i, cache):
    """BPTT without the gradient flowing from step t+1 back into h_t."""
    N, T, H = i["dh"].shape
    parts = [rnn_steps.rnn_step_backward(i["dh"][:, t], cache[t]) for t in range(T)]
    dx = np.stack([p[0] for p in parts], axis=1)
    return {"dx": dx, "dh0": parts[0][1], "dWx": sum(p[2] for p in parts), "dWh": sum(p[3] for p in parts),
            "db": sum(p[4] for p in parts)}


def backward_verify(case, out):
    i = case.inputs
    args = [np.array(i[k]) for k in ("x", "h0", "Wx", "Wh", "b")]
    _, cache = rnn_seq.rnn_forward(*args)
    names = ("dx", "dh0", "dWx", "dWh", "db")
    if i.get("fd"):
        want = fd_grads(lambda: float(np.sum(rnn_seq.rnn_forward(*args)[0] * i["dh"])),
                        dict(zip(names, args, strict=True)))
    else:
        want = dict(zip(names, rnn_seq.rnn_backward(i["dh"], cache), strict=True))
    nc = _no_carry(i, cache)
    last = rnn_seq.rnn_backward(np.concatenate([np.zeros_like(i["dh"][:, :-1]), i["dh"][:, -1:]], axis=1), cache)
    last = dict(zip(names, last, strict=True))
    problems = []
    for k in names:
        problems += compare(k, out, want[k], {
            "dh_prev lacks the contribution from the next time step: add the gradient flowing back from "
            "step t+1 to dh[:, t] before calling the step backward": nc[k],
            "only the upstream gradient of the last step is used; every h_t receives dh[:, t]": last[k]})
    return problems


# ------------------------------------------------------------------------------------- truncated_bptt
def _tbptt_inputs(rng, N, T, D, H, V, k):
    return {"x": rng.normal(size=(N, T, D)), "y": rng.integers(0, V, size=(N, T)),
            "h0": rng.normal(size=(N, H)) * 0.5, "k": k,
            "params": {"Wx": rng.normal(size=(D, H)) * 0.5, "Wh": rng.normal(size=(H, H)) * 0.4,
                       "b": rng.normal(size=H) * 0.1, "Wy": rng.normal(size=(H, V)) * 0.5,
                       "by": rng.normal(size=V) * 0.1}}


def tbptt_cases():
    r = [rng_for(A, "tbptt", i) for i in range(5)]
    return [Case("N=2, T=6, k=3", _tbptt_inputs(r[0], 2, 6, 3, 4, 5, 3)),
            Case("T not a multiple of k (T=7, k=3)", _tbptt_inputs(r[1], 2, 7, 3, 4, 5, 3), hidden=True),
            Case("k = T is full BPTT", _tbptt_inputs(r[2], 3, 5, 2, 3, 4, 5), hidden=True),
            Case("k = 1", _tbptt_inputs(r[3], 2, 4, 3, 3, 4, 1), hidden=True),
            Case("batch of one", _tbptt_inputs(r[4], 1, 8, 4, 3, 6, 4), hidden=True)]


def _tbptt_reset(i):
    """The mistake of starting every segment from h0 instead of the carried state."""
    p, k, T = i["params"], i["k"], i["x"].shape[1]
    tot_loss, grads, h_last = 0.0, None, None
    for s in range(0, T, k):
        loss, g, h_last = rnn_train.truncated_bptt(i["x"][:, s:s + k], i["y"][:, s:s + k], i["h0"], p, k)
        tot_loss += loss
        grads = g if grads is None else {n: grads[n] + g[n] for n in g}
    return tot_loss, grads, h_last


def tbptt_verify(case, out):
    i = case.inputs
    T = i["x"].shape[1]
    loss, grads, h_last = rnn_train.truncated_bptt(i["x"], i["y"], i["h0"], i["params"], i["k"])
    r_loss, r_grads, r_h = _tbptt_reset(i)
    f_loss, f_grads, _ = rnn_train.truncated_bptt(i["x"], i["y"], i["h0"], i["params"], T)
    reset = "every segment starts from h0: carry the last hidden state of a segment into the next"
    full = "gradients flow across segment boundaries: truncated BPTT backpropagates within each segment only"
    problems = compare("loss", out, loss, {reset: r_loss}) + compare("h_last", out, h_last, {reset: r_h})
    for name in rnn_train.PARAM_NAMES:
        problems += compare("d" + name, out, grads[name], {reset: r_grads[name], full: f_grads[name]})
    return problems


# ------------------------------------------------------------------------------------- clip_grad_norm
def _grads(rng, scale):
    return {"Wx": rng.normal(size=(3, 4)) * scale, "Wh": rng.normal(size=(4, 4)) * scale,
            "b": rng.normal(size=4) * scale}


def clip_cases():
    r = [rng_for(A, "clip", i) for i in range(4)]
    return [Case("norm above the threshold", {"grads": _grads(r[0], 3.0), "max_norm": 5.0}),
            Case("norm below the threshold", {"grads": _grads(r[1], 0.1), "max_norm": 5.0}),
            Case("all-zero gradients", {"grads": {"W": np.zeros((2, 3)), "b": np.zeros(3)}, "max_norm": 1.0},
                 hidden=True),
            Case("one large array among small ones",
                 {"grads": {"W": r[2].normal(size=(5, 5)) * 100, "b": r[2].normal(size=5) * 0.01},
                  "max_norm": 1.0}, hidden=True),
            Case("many arrays, threshold 0.5", {"grads": _grads(r[3], 1.0), "max_norm": 0.5}, hidden=True)]


def clip_verify(case, out):
    i = case.inputs
    clipped, norm = rnn_train.clip_grad_norm(i["grads"], i["max_norm"])
    per_tensor = {k: g * min(1.0, i["max_norm"] / max(np.linalg.norm(g), 1e-300)) for k, g in i["grads"].items()}
    problems = compare("total_norm", {"total_norm": out.get("norm")}, norm, {
        "total_norm should be the norm *before* clipping": min(norm, i["max_norm"])})
    for k in i["grads"]:
        name = f"clipped[{k!r}]"
        problems += compare(name, {name: out.get("g_" + k)}, clipped[k], {
            "each array is clipped separately; clip by the global norm of all gradients together":
                per_tensor[k]})
    return problems


# -------------------------------------------------------------------------------------- train_char_lm
TRAIN_TEXT = "the cat sat on the mat. the dog sat on the log. " * 8
HELD_OUT = "the dog sat on the mat. the cat sat on the log. " * 2
TRAIN_TEXT_2 = "a rose is a rose is a rose. is a rose a rose? " * 8
HELD_OUT_2 = "a rose is a rose. is a rose a rose? a rose is a rose is a rose. "


def train_cases():
    return [Case("150 steps on a small repetitive text",
                 {"text": TRAIN_TEXT, "held_out": HELD_OUT, "hidden_size": 24, "seq_len": 12, "num_steps": 150,
                  "lr": 0.1, "seed": 0}),
            Case("another text, seed and segment length",
                 {"text": TRAIN_TEXT_2, "held_out": HELD_OUT_2, "hidden_size": 20, "seq_len": 9,
                  "num_steps": 150, "lr": 0.1, "seed": 3}, hidden=True)]


def train_verify(case, out):
    """The returned parameters are evaluated by the judge (on held-out text and on the training text), so a
    made-up loss curve cannot pass: the curve must agree with what the parameters actually achieve."""
    i = case.inputs
    losses = np.asarray(out.get("losses", []), dtype=np.float64).ravel()
    chars = sorted(set(i["text"]))
    V, H = len(chars), i["hidden_size"]
    if losses.shape != (i["num_steps"],):
        return [f"train_char_lm should return one loss per step ({i['num_steps']}), got shape {losses.shape}"]
    if not np.all(np.isfinite(losses)):
        return ["the losses contain NaN or inf: is the gradient clipped, the learning rate sane?"]
    shapes = {"Wx": (V, H), "Wh": (H, H), "b": (H,), "Wy": (H, V), "by": (V,)}
    params = {}
    for name, shape in shapes.items():
        got = np.asarray(out.get("p_" + name))
        if got.shape != shape:
            return [f"params[{name!r}] has shape {got.shape} but should be {shape} (V = {V} characters, "
                    f"H = {H})"]
        if not np.all(np.isfinite(got)):
            return [f"params[{name!r}] contains NaN or inf"]
        params[name] = got.astype(np.float64)
    problems = []
    if not 0.5 * np.log(V) <= losses[0] <= 2.0 * np.log(V):
        problems.append(f"the first loss {losses[0]:.3f} should be close to log(V) = {np.log(V):.3f} for an "
                        "untrained model: is it the mean cross-entropy per character?")
    first, last = losses[:15].mean(), losses[-15:].mean()
    if not last < 0.6 * first:
        problems.append(f"the loss does not fall enough: mean of the first 15 steps {first:.3f}, of the "
                        f"last 15 {last:.3f} (expected below {0.6 * first:.3f})")
    held = rnn_train.char_lm_loss(params, i["held_out"], chars)
    if not held < 0.5 * np.log(V):
        problems.append(f"the returned parameters are not trained: their loss on held-out text is {held:.3f} "
                        f"nats per character (log V = {np.log(V):.3f}; a trained model gets below "
                        f"{0.5 * np.log(V):.3f}). Return the parameters after the last update")
    seen = rnn_train.char_lm_loss(params, i["text"], chars)
    if not 0.6 * seen - 0.01 <= last <= 2.0 * seen + 0.1:
        problems.append(f"the reported losses do not match the returned parameters: the last 15 losses "
                        f"average {last:.3f}, but the parameters score {seen:.3f} nats per character on the "
                        "training text")
    return problems


# ---------------------------------------------------------------------------------- numerical_gradient
def gradcheck_cases():
    r = [rng_for(A, "gradcheck", i) for i in range(4)]
    return [Case("log-sum-exp of a vector, h = 1e-4", {"fn": "lse", "x": r[0].normal(size=5), "h": 1e-4}),
            Case("tanh layer, x: (3, 4), h = 1e-3",
                 {"fn": "tanh", "x": r[1].normal(size=(3, 4)), "W": r[1].normal(size=(4, 2)),
                  "G": r[1].normal(size=(3, 2)), "h": 1e-3}, hidden=True),
            Case("polynomial of a matrix, h = 1e-3",
                 {"fn": "poly", "x": r[2].normal(size=(2, 3)), "W": r[2].normal(size=(2, 3)), "h": 1e-3},
                 hidden=True),
            Case("one entry", {"fn": "poly", "x": r[3].normal(size=(1,)), "W": r[3].normal(size=(1,)), "h": 1e-2},
                 hidden=True)]


def gradcheck_verify(case, out):
    i = case.inputs
    f = gradcheck.test_function(i)
    want = gradcheck.centred_differences(f, i["x"], i["h"])
    problems = compare("grad", out, want, {
        "these are one-sided differences (f(x + h) - f(x)) / h: use centred differences "
        "(f(x + h) - f(x - h)) / (2h), whose error is O(h^2) instead of O(h)":
            gradcheck.forward_differences(f, i["x"], i["h"]),
        "divide by 2h, the distance between x - h and x + h": 2.0 * want}, tol=1e-6)
    after = out.get("x_after")
    if after is not None and not (np.shape(after) == np.shape(i["x"]) and np.allclose(after, i["x"], atol=1e-12)):
        problems.append("x is changed after the call: restore each entry after perturbing it (or perturb a copy)")
    return problems


# ----------------------------------------------------------------------------------------- temperature
def softmax_cases():
    r = [rng_for(A, "softmax", i) for i in range(4)]
    return [Case("one score vector, T = 0.5", {"scores": np.array([2.0, 1.0, 0.0, -1.0]), "T": 0.5}),
            Case("a batch (N=3, V=6), T = 2", {"scores": r[0].normal(size=(3, 6)), "T": 2.0}, hidden=True),
            Case("T = 1 is the plain softmax", {"scores": r[1].normal(size=7), "T": 1.0}, hidden=True),
            Case("large scores (x 500), T = 0.8", {"scores": r[2].normal(size=(2, 5)) * 500, "T": 0.8},
                 hidden=True)]


def softmax_verify(case, out):
    i = case.inputs
    want = sampling.softmax_with_temperature(i["scores"], i["T"])
    got = out.get("p")
    if got is not None and np.shape(got) == want.shape and not np.all(np.isfinite(got)):
        return ["p contains NaN or inf: subtract the largest score (divided by T) before exponentiating"]
    flat = np.asarray(i["scores"])
    return compare("p", out, want, {
        "the scores are multiplied by T; divide them by T (a low T sharpens the distribution)":
            sampling.softmax_with_temperature(flat * i["T"] ** 2, i["T"]),
        "the temperature is ignored": sampling.softmax_with_temperature(flat, 1.0),
        "normalise along the last axis (over the vocabulary)":
            (np.exp(flat / i["T"]) / np.exp(flat / i["T"]).sum(axis=0, keepdims=True)) if flat.ndim == 2
            and np.max(np.abs(flat)) < 50 else None})


def sample_cases():
    # 1500 draws keep every frequency band (4.5 sigma) well inside the gap to the usual mistakes (T ignored,
    # 1/T, argmax): the closest, T ignored on the second case, is 0.127 away against a band of 0.058
    return [Case("1500 draws, T = 0.7", {"scores": np.array([2.0, 1.0, 0.5, 0.0, -1.0]), "T": 0.7, "seed": 1,
                                         "n": 1500}),
            Case("1500 draws, T = 2", {"scores": np.array([1.5, -0.5, 0.0, 1.0]), "T": 2.0, "seed": 2, "n": 1500},
                 hidden=True),
            Case("1500 draws, T = 0.25 (nearly greedy)",
                 {"scores": np.array([1.0, 0.8, -0.2, 0.3, 0.0, -1.0]), "T": 0.25, "seed": 3, "n": 1500},
                 hidden=True),
            Case("large scores (x 300), T = 1",
                 {"scores": np.array([3.0, 1.0, 2.99, -2.0]) * 300, "T": 1.0, "seed": 4, "n": 300}, hidden=True)]


def _fits(counts, p, n):
    """Every frequency within 4.5 standard deviations (+0.002) of its probability."""
    return bool(np.all(np.abs(counts / n - p) <= 4.5 * np.sqrt(p * (1 - p) / n) + 0.002))


def sample_verify(case, out):
    i = case.inputs
    counts = np.asarray(out.get("counts"), dtype=np.float64)
    p = sampling.softmax_with_temperature(i["scores"], i["T"])
    if counts.shape != p.shape:
        return [f"the draws are not indices 0..{p.size - 1}"]
    n = i["n"]
    problems = []
    if not _fits(counts, p, n):
        gap = float(np.max(np.abs(counts / n - p)))
        why = ""
        if _fits(counts, sampling.softmax_with_temperature(i["scores"], 1.0), n) and i["T"] != 1.0:
            why = " — they follow the T = 1 distribution: the temperature is ignored"
        elif _fits(counts, sampling.softmax_with_temperature(i["scores"], 1.0 / i["T"]), n):
            why = " — they follow temperature 1/T: divide the scores by T, do not multiply"
        elif np.count_nonzero(counts) == 1 and np.count_nonzero(p > 0.01) > 1:
            why = " — every draw is the same index: sample from p (rng.choice(V, p=p)), do not take the argmax"
        problems.append(f"the frequencies of {n} draws do not match p = softmax(scores / T) (one is off by "
                        f"{gap:.3f}){why}")
    if not bool(np.all(out.get("repeatable"))):
        problems.append("two generators with the same seed gave different draws: draw with the rng you are "
                        "given (rng.choice or rng.random), not with np.random.* or a new generator")
    return problems


_STEPS = {"rnn_step_forward": "course_lib.grading.oracles.rnn_steps:rnn_step_forward",
          "rnn_step_backward": "course_lib.grading.oracles.rnn_steps:rnn_step_backward"}
_SEQ = {"rnn_forward": "course_lib.grading.oracles.rnn_seq:rnn_forward",
        "rnn_backward": "course_lib.grading.oracles.rnn_seq:rnn_backward"}
_TRAIN = {"truncated_bptt": "course_lib.grading.oracles.rnn_train:truncated_bptt",
          "clip_grad_norm": "course_lib.grading.oracles.rnn_train:clip_grad_norm"}

_SOFTMAX = {"softmax_with_temperature": "course_lib.grading.oracles.sampling:softmax_with_temperature"}
_FWD = {"rnn_step_forward": "course_lib.grading.oracles.rnn_steps:rnn_step_forward"}

# A backward part gets the oracle forward injected too (its own forward is checked by another part).
PARTS = {p.name: p for p in [
    Part("rnn_step_forward", 2, step_forward_cases, step_forward_verify, phase=1),
    Part("rnn_step_backward", 3, step_backward_cases, step_backward_verify, phase=2, inject=dict(_FWD)),
    Part("clip_grad_norm", 2, clip_cases, clip_verify, phase=1),
    Part("rnn_forward", 2, forward_cases, forward_verify, phase=2, inject=dict(_FWD)),
    Part("rnn_backward", 4, backward_cases, backward_verify, phase=3, inject=dict(_STEPS)),
    Part("truncated_bptt", 4, tbptt_cases, tbptt_verify, phase=4, inject={**_STEPS, **_SEQ}),
    Part("numerical_gradient", 2, gradcheck_cases, gradcheck_verify, phase=1),
    Part("train_char_lm", 3, train_cases, train_verify, phase=5, inject={**_STEPS, **_SEQ, **_TRAIN},
         timeout=60.0),
    Part("softmax_with_temperature", 2, softmax_cases, softmax_verify, phase=1),
    Part("sample_with_temperature", 2, sample_cases, sample_verify, phase=2, inject=dict(_SOFTMAX)),
]}
SKIP_CELLS = {"experiment", "gradcheck_demo"}
