"""Checks of assignment 2, *Gating*: the LSTM of Greff et al. (2017) as in lecture 5 (without, then with
peepholes), the GRU (Cho et al. 2014), their sequence versions, how gradients reach early time steps
(Pascanu et al. 2013), and the remember-the-first-symbol task with a classifier on the last state
(Hochreiter & Schmidhuber 1997)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.checks import Case, Part, compare, fd_grads, rng_for
from course_lib.grading.oracles import classifier, gating_seq, gru_steps, lstm_steps

A = "gating"
SKIP_CELLS = {"experiment", "experiment_lags"}


def _lstm_inputs(rng, N, D, H, peep=False, scale=0.5):
    inp = {"x": rng.normal(size=(N, D)), "h_prev": rng.normal(size=(N, H)), "c_prev": rng.normal(size=(N, H)),
           "Wx": rng.normal(size=(D, 4 * H)) * scale, "Wh": rng.normal(size=(H, 4 * H)) * scale,
           "b": rng.normal(size=4 * H) * 0.5, "dh": rng.normal(size=(N, H)), "dc": rng.normal(size=(N, H))}
    if peep:
        inp["P"] = rng.normal(size=(3, H))
    return inp


def _gru_inputs(rng, N, D, H, scale=0.5):
    return {"x": rng.normal(size=(N, D)), "h_prev": rng.normal(size=(N, H)),
            "Wx": rng.normal(size=(D, 3 * H)) * scale, "Wh": rng.normal(size=(H, 3 * H)) * scale,
            "b": rng.normal(size=3 * H) * 0.5, "dh_next": rng.normal(size=(N, H))}


def _lstm_known():
    """Zero weights and biases: every gate is 1/2 and g = 0, so c = c_prev / 2 and h = tanh(c) / 2."""
    H, D = 2, 3
    return {"x": np.ones((1, D)), "h_prev": np.ones((1, H)), "c_prev": np.array([[2.0, -4.0]]),
            "Wx": np.zeros((D, 4 * H)), "Wh": np.zeros((H, 4 * H)), "b": np.zeros(4 * H),
            "dh": np.ones((1, H)), "dc": np.zeros((1, H))}


# ------------------------------------------------------------------------------------------- LSTM step
def lstm_fwd_cases():
    r = [rng_for(A, "lstm_fwd", i) for i in range(3)]
    return [Case("known values: zero weights", _lstm_known()),
            Case("random N=3, D=4, H=5", _lstm_inputs(r[0], 3, 4, 5)),
            Case("batch of one", _lstm_inputs(r[1], 1, 2, 3), hidden=True),
            Case("large pre-activations", _lstm_inputs(r[2], 4, 3, 2, scale=20.0), hidden=True)]


def _lstm_fwd_verify(case, out, peep):
    i = case.inputs
    P = i.get("P") if peep else None
    h, c, _ = lstm_steps.lstm_peephole_step_forward(i["x"], i["h_prev"], i["c_prev"], i["Wx"], i["Wh"], i["b"], P)
    H = i["h_prev"].shape[1]
    perm = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 4 * H)])
    swapped = lstm_steps.lstm_peephole_step_forward(i["x"], i["h_prev"], i["c_prev"], i["Wx"][:, perm],
                                                    i["Wh"][:, perm], i["b"][perm], P)
    gates = "the gate blocks are in the wrong order: columns are [i, f, g, o] (input, forget, block input, output)"
    problems = compare("h", out, h, {gates: swapped[0]}) + compare("c", out, c, {gates: swapped[1]})
    if peep:
        old = lstm_steps.lstm_peephole_step_forward(i["x"], i["h_prev"], i["c_prev"], i["Wx"], i["Wh"], i["b"],
                                                    P * np.array([[1.0], [1.0], [0.0]]))
        a_o = (i["x"] @ i["Wx"] + i["h_prev"] @ i["Wh"] + i["b"])[:, 3 * H:] + P[2] * i["c_prev"]
        h_old = 1.0 / (1.0 + np.exp(-a_o)) * np.tanh(old[1])
        problems = compare("h", out, h, {"the output gate's peephole must look at the *new* cell c_t, "
                                         "not c_prev": h_old, "the output-gate peephole is missing": old[0]}) \
            + compare("c", out, c)
    return problems


def lstm_fwd_verify(case, out):
    return _lstm_fwd_verify(case, out, False)


def lstm_bwd_cases():
    r = [rng_for(A, "lstm_bwd", i) for i in range(4)]
    return [Case("random N=2, D=3, H=4", _lstm_inputs(r[0], 2, 3, 4)),
            Case("finite differences", dict(_lstm_inputs(r[1], 2, 3, 3), fd=True), hidden=True),
            Case("batch of one", _lstm_inputs(r[2], 1, 4, 2), hidden=True),
            Case("only dc upstream", dict(_lstm_inputs(r[3], 3, 2, 4), dh=np.zeros((3, 4))), hidden=True)]


_LSTM_NAMES = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db", "dP")


def _lstm_variants(i, P):
    """Gradients of three classic mistakes: forget gate with c_t, no tanh' path into c, no dc upstream."""
    args = [i["x"], i["h_prev"], i["c_prev"], i["Wx"], i["Wh"], i["b"], P]
    _, _, cache = lstm_steps.lstm_peephole_step_forward(*args)
    x, h_prev, c_prev, Wx, Wh, _, ii, f, g, o, c, tc = cache
    wrong_f = lstm_steps.lstm_peephole_step_backward(i["dh"], i["dc"], (x, h_prev, c, Wx, Wh, P, ii, f, g, o, c, tc))
    no_path = lstm_steps.lstm_peephole_step_backward(np.zeros_like(i["dh"]), i["dc"], cache)
    no_dc = lstm_steps.lstm_peephole_step_backward(i["dh"], np.zeros_like(i["dc"]), cache)
    return {"the forget gate's gradient must use the *old* cell state c_prev, not the new c": wrong_f,
            "the gradient from h back into the cell (dh * o * (1 - tanh(c)**2)) is missing": no_path,
            "the upstream dc is not added to the cell gradient": no_dc}


def _lstm_bwd_verify(case, out, peep):
    i = case.inputs
    P = np.array(i["P"]) if peep else None
    args = [np.array(i[k]) for k in ("x", "h_prev", "c_prev", "Wx", "Wh", "b")]
    names = _LSTM_NAMES[:6] + (("dP",) if peep else ())
    if i.get("fd"):
        arrays = dict(zip(names, args + ([P] if peep else []), strict=True))

        def loss():
            h, c, _ = lstm_steps.lstm_peephole_step_forward(*args, P)
            return float(np.sum(h * i["dh"]) + np.sum(c * i["dc"]))
        want = fd_grads(loss, arrays)
    else:
        _, _, cache = lstm_steps.lstm_peephole_step_forward(*args, P)
        want = dict(zip(_LSTM_NAMES, lstm_steps.lstm_peephole_step_backward(i["dh"], i["dc"], cache), strict=True))
    variants = _lstm_variants(i, P)
    problems = []
    for k in names:
        idx = _LSTM_NAMES.index(k)
        problems += compare(k, out, want[k], {why: v[idx] for why, v in variants.items()})
    return problems


def lstm_bwd_verify(case, out):
    return _lstm_bwd_verify(case, out, False)


def peep_fwd_cases():
    r = [rng_for(A, "peep_fwd", i) for i in range(3)]
    known = dict(_lstm_known(), P=np.zeros((3, 2)))
    return [Case("known values: zero weights and peepholes", known),
            Case("random N=3, D=4, H=5", _lstm_inputs(r[0], 3, 4, 5, peep=True)),
            Case("batch of one", _lstm_inputs(r[1], 1, 2, 3, peep=True), hidden=True),
            Case("N=4, D=3, H=2", _lstm_inputs(r[2], 4, 3, 2, peep=True), hidden=True)]


def peep_fwd_verify(case, out):
    return _lstm_fwd_verify(case, out, True)


def peep_bwd_cases():
    r = [rng_for(A, "peep_bwd", i) for i in range(3)]
    return [Case("random N=2, D=3, H=4", _lstm_inputs(r[0], 2, 3, 4, peep=True)),
            Case("finite differences", dict(_lstm_inputs(r[1], 2, 3, 3, peep=True), fd=True), hidden=True),
            Case("batch of one", _lstm_inputs(r[2], 1, 2, 5, peep=True), hidden=True)]


def peep_bwd_verify(case, out):
    return _lstm_bwd_verify(case, out, True)


# -------------------------------------------------------------------------------------------- GRU step
def gru_fwd_cases():
    r = [rng_for(A, "gru_fwd", i) for i in range(3)]
    known = {"x": np.ones((1, 2)), "h_prev": np.array([[1.0, -1.0]]), "Wx": np.zeros((2, 6)),
             "Wh": np.zeros((2, 6)), "b": np.zeros(6)}
    return [Case("known values: zero weights (z = 1/2, n = 0)", known),
            Case("random N=3, D=4, H=5", _gru_inputs(r[0], 3, 4, 5)),
            Case("batch of one", _gru_inputs(r[1], 1, 3, 2), hidden=True),
            Case("N=5, D=2, H=3", _gru_inputs(r[2], 5, 2, 3), hidden=True)]


def gru_fwd_verify(case, out):
    i = case.inputs
    h = gru_steps.gru_step_forward(i["x"], i["h_prev"], i["Wx"], i["Wh"], i["b"])[0]
    H = i["h_prev"].shape[1]
    ax = i["x"] @ i["Wx"] + i["b"]
    ah = i["h_prev"] @ i["Wh"]
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    r, z = sig(ax[:, :H] + ah[:, :H]), sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    n_after = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    n = np.tanh(ax[:, 2 * H:] + (r * i["h_prev"]) @ i["Wh"][:, 2 * H:])
    return compare("h_next", out, h, {
        "z and 1 - z are swapped: h_next = z * h_prev + (1 - z) * n": (1 - z) * i["h_prev"] + z * n,
        "the reset gate multiplies h_prev *before* the product with Wh_n (lecture), not after (torch)":
            z * i["h_prev"] + (1 - z) * n_after})


def gru_bwd_cases():
    r = [rng_for(A, "gru_bwd", i) for i in range(3)]
    return [Case("random N=2, D=3, H=4", _gru_inputs(r[0], 2, 3, 4)),
            Case("finite differences", dict(_gru_inputs(r[1], 2, 3, 3), fd=True), hidden=True),
            Case("batch of one", _gru_inputs(r[2], 1, 4, 2), hidden=True)]


def gru_bwd_verify(case, out):
    i = case.inputs
    args = [np.array(i[k]) for k in ("x", "h_prev", "Wx", "Wh", "b")]
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    _, cache = gru_steps.gru_step_forward(*args)
    if i.get("fd"):
        want = fd_grads(lambda: float(np.sum(gru_steps.gru_step_forward(*args)[0] * i["dh_next"])),
                        dict(zip(names, args, strict=True)))
    else:
        want = dict(zip(names, gru_steps.gru_step_backward(i["dh_next"], cache), strict=True))
    full = gru_steps.gru_step_backward(i["dh_next"], cache)
    no_direct = full[1] - i["dh_next"] * cache[5]
    return [p for k in names for p in compare(k, out, want[k], {
        "dh_prev lacks the direct path z * dh_next": no_direct if k == "dh_prev" else None})]


# ---------------------------------------------------------------------------------------- sequences
def _seq_inputs(rng, N, T, D, H, G):
    return {"x": rng.normal(size=(N, T, D)), "h0": rng.normal(size=(N, H)) * 0.5,
            "Wx": rng.normal(size=(D, G * H)) * 0.5, "Wh": rng.normal(size=(H, G * H)) * 0.5,
            "b": rng.normal(size=G * H) * 0.3, "dh": rng.normal(size=(N, T, H))}


def _seq_cases(kind, G):
    r = [rng_for(A, kind + "_seq", i) for i in range(4)]
    return [Case("random N=2, T=3, D=3, H=4", _seq_inputs(r[0], 2, 3, 3, 4, G)),
            Case("finite differences, T=3", dict(_seq_inputs(r[1], 2, 3, 2, 2, G), fd=True), hidden=True),
            Case("one time step", _seq_inputs(r[2], 3, 1, 2, 3, G), hidden=True),
            Case("batch of one, T=6", _seq_inputs(r[3], 1, 6, 3, 2, G), hidden=True)]


def _seq_verify(case, out, kind):
    i = case.inputs
    fwd = getattr(gating_seq, kind + "_forward")
    bwd = getattr(gating_seq, kind + "_backward")
    args = [np.array(i[k]) for k in ("x", "h0", "Wx", "Wh", "b")]
    h, cache = fwd(*args)
    names = ("dx", "dh0", "dWx", "dWh", "db")
    if i.get("fd"):
        want = fd_grads(lambda: float(np.sum(fwd(*args)[0] * i["dh"])), dict(zip(names, args, strict=True)))
    else:
        want = dict(zip(names, bwd(i["dh"], cache), strict=True))
    last = dict(zip(names, bwd(np.concatenate([np.zeros_like(i["dh"][:, :-1]), i["dh"][:, -1:]], 1), cache),
                    strict=True))
    problems = compare("h", out, h)
    for k in names:
        problems += compare(k, out, want[k], {
            "only the last step's upstream gradient is used; every h_t receives dh[:, t]": last[k]})
    return problems


# ------------------------------------------------------------------------------------ gradient norms
def norms_cases():
    cases = []
    for k, (kind, G) in enumerate((("rnn", 1), ("lstm", 4), ("gru", 3))):
        rng = rng_for(A, "norms", k)
        N, T, D, H = 2, 12, 3, 4
        params = {"Wx": rng.normal(size=(D, G * H)) * 0.5, "Wh": rng.normal(size=(H, G * H)) * 0.5,
                  "b": rng.normal(size=G * H) * 0.3}
        cases.append(Case(f"{kind}, T=12", {"kind": kind, "x": rng.normal(size=(N, T, D)),
                                            "h0": np.zeros((N, H)), "params": params}, hidden=(k > 0)))
    return cases


def norms_verify(case, out):
    i = case.inputs
    want = gating_seq.grad_norms_over_time(i["kind"], i["x"], i["h0"], i["params"])
    flipped = want[::-1].copy()
    return compare("norms", out, want, {"the norms are in reverse order: entry t is for h_t": flipped})


# --------------------------------------------------------------------------- remember the first symbol
def task_cases():
    return [Case("n=2000, lag=5, K=4", {"n": 2000, "lag": 5, "K": 4, "seed": 0}),
            Case("lag 1, K=3", {"n": 3000, "lag": 1, "K": 3, "seed": 1}, hidden=True),
            Case("n=1500, lag=12, K=6", {"n": 1500, "lag": 12, "K": 6, "seed": 2}, hidden=True)]


def _uniform(counts, total, K):
    """Every count within 5 standard deviations of total / K."""
    p = 1.0 / K
    return bool(np.all(np.abs(counts / total - p) <= 5 * np.sqrt(p * (1 - p) / total)))


def task_verify(case, out):
    i = case.inputs
    n, lag, K = i["n"], i["lag"], i["K"]
    x, y = np.asarray(out.get("x")), np.asarray(out.get("y"))
    if x.shape != (n, lag + 1, K):
        return [f"x has shape {x.shape} but should be (n, lag + 1, K) = {(n, lag + 1, K)}"]
    if y.shape != (n,):
        return [f"y has shape {y.shape} but should be (n,) = {(n,)}"]
    if not (np.all((x == 0) | (x == 1)) and np.all(x.sum(axis=2) == 1)):
        return ["every x[n, t] must be a one-hot vector (a single 1, K - 1 zeros)"]
    if not (np.all(y == np.round(y)) and np.all((y >= 0) & (y < K))):
        return [f"y must hold integer symbols in 0..{K - 1}"]
    sym = x.argmax(axis=2)
    problems = []
    if not np.array_equal(sym[:, 0], y):
        problems.append("y must be the symbol shown at the first step, x[:, 0]")
    if not _uniform(np.bincount(y.astype(np.int64), minlength=K), n, K):
        problems.append("the first symbols are not drawn uniformly from the K symbols")
    rest = sym[:, 1:]
    if not _uniform(np.bincount(rest.ravel(), minlength=K), rest.size, K):
        problems.append("the symbols after the first step are not drawn uniformly from the K symbols")
    same = float(np.mean(rest == y[:, None]))
    if abs(same - 1.0 / K) > 5 * np.sqrt((1.0 / K) * (1 - 1.0 / K) / rest.size):
        problems.append(f"the later symbols agree with the first one {same:.0%} of the time, not about 1/K: "
                        "they must be drawn independently of it (otherwise the last step gives the answer away)")
    if not (np.array_equal(out.get("x_same_seed"), x) and np.array_equal(out.get("y_same_seed"), y)):
        problems.append("two generators with the same seed gave different tasks: draw everything with the rng "
                        "you are given")
    elif np.array_equal(out.get("x_other_seed"), x):
        problems.append("another seed gave the same task: draw the symbols with the rng you are given")
    return problems


def _clf_inputs(rng, kind, N, T, K, H):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    sym = rng.integers(0, K, size=(N, T))
    return {"kind": kind, "x": np.eye(K)[sym], "y": sym[:, 0],
            "params": {"Wx": rng.normal(size=(K, G * H)) * 0.5, "Wh": rng.normal(size=(H, G * H)) * 0.5,
                       "b": rng.normal(size=G * H) * 0.3, "Wy": rng.normal(size=(H, K)) * 0.5,
                       "by": rng.normal(size=K) * 0.1}}


def clf_cases():
    r = [rng_for(A, "classifier", i) for i in range(5)]
    return [Case("rnn, N=4, T=5, K=3, H=4", _clf_inputs(r[0], "rnn", 4, 5, 3, 4)),
            Case("lstm, N=3, T=6, K=4, H=3", _clf_inputs(r[1], "lstm", 3, 6, 4, 3), hidden=True),
            Case("gru, N=5, T=4, K=3, H=2", _clf_inputs(r[2], "gru", 5, 4, 3, 2), hidden=True),
            Case("lstm, finite differences", dict(_clf_inputs(r[3], "lstm", 2, 4, 3, 2), fd=True), hidden=True),
            Case("rnn, one time step, batch of one", _clf_inputs(r[4], "rnn", 1, 1, 3, 3), hidden=True)]


def clf_verify(case, out):
    i = case.inputs
    loss, grads = classifier.sequence_classifier_loss(i["kind"], i["x"], i["y"], i["params"])
    if i.get("fd"):
        arrays = {k: np.array(v) for k, v in i["params"].items()}
        grads = fd_grads(lambda: classifier.sequence_classifier_loss(i["kind"], i["x"], i["y"], arrays)[0], arrays)
    N = i["x"].shape[0]
    summed = "average the loss over the batch (divide by N), do not sum it"
    problems = compare("loss", {"loss": None if out.get("loss") is None else np.asarray(out["loss"]).reshape(())},
                       loss, {summed: N * loss})
    for name, g in grads.items():
        problems += compare("d" + name, out, g, {summed: N * g})
    return problems


_LSTM = {"lstm_step_forward": "course_lib.grading.oracles.lstm_steps:lstm_step_forward",
         "lstm_step_backward": "course_lib.grading.oracles.lstm_steps:lstm_step_backward"}
_GRU = {"gru_step_forward": "course_lib.grading.oracles.gru_steps:gru_step_forward",
        "gru_step_backward": "course_lib.grading.oracles.gru_steps:gru_step_backward"}
_RNN = {"rnn_step_forward": "course_lib.grading.oracles.rnn_steps:rnn_step_forward",
        "rnn_step_backward": "course_lib.grading.oracles.rnn_steps:rnn_step_backward"}

_SEQS = {f"{kind}_{d}": f"course_lib.grading.oracles.{mod}:{kind}_{d}"
         for kind, mod in (("rnn", "rnn_seq"), ("lstm", "gating_seq"), ("gru", "gating_seq"))
         for d in ("forward", "backward")}

_PEEP = {"lstm_peephole_step_forward": "course_lib.grading.oracles.lstm_steps:lstm_peephole_step_forward"}

# A backward part gets the oracle forward injected too (its own forward is checked by another part).
PARTS = {p.name: p for p in [
    Part("lstm_step_forward", 3, lstm_fwd_cases, lstm_fwd_verify),
    Part("lstm_step_backward", 4, lstm_bwd_cases, lstm_bwd_verify, phase=2,
         inject={"lstm_step_forward": _LSTM["lstm_step_forward"]}),
    Part("lstm_peephole_step_forward", 2, peep_fwd_cases, peep_fwd_verify),
    Part("lstm_peephole_step_backward", 3, peep_bwd_cases, peep_bwd_verify, phase=2, inject=dict(_PEEP)),
    Part("gru_step_forward", 2, gru_fwd_cases, gru_fwd_verify),
    Part("gru_step_backward", 3, gru_bwd_cases, gru_bwd_verify, phase=2,
         inject={"gru_step_forward": _GRU["gru_step_forward"]}),
    Part("lstm_sequence", 3, lambda: _seq_cases("lstm", 4), lambda c, o: _seq_verify(c, o, "lstm"), phase=3,
         inject=dict(_LSTM)),
    Part("gru_sequence", 3, lambda: _seq_cases("gru", 3), lambda c, o: _seq_verify(c, o, "gru"), phase=3,
         inject=dict(_GRU)),
    Part("grad_norms_over_time", 3, norms_cases, norms_verify, phase=3, inject={**_LSTM, **_GRU, **_RNN}),
    Part("first_symbol_task", 2, task_cases, task_verify),
    Part("sequence_classifier_loss", 3, clf_cases, clf_verify, phase=4, inject=dict(_SEQS)),
]}
