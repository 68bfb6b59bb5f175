"""Drivers: call a submission's functions on the checker's inputs and collect what they return.

A driver takes ``ns`` (the submission's namespace: name -> function) and ``inp`` (the inputs of one check
case) and returns a dict of arrays.  Drivers run inside the sandbox next to untrusted code, so they hold no
expected values and import nothing but NumPy: their outputs are only *data* to the judge
(:mod:`course_lib.grading.judge`), which compares them with its oracles in another process.
"""

from __future__ import annotations

import numpy as np


class SubmissionError(Exception):
    """The submission returned something that is not what the assignment asks for."""


def _arr(name, value):
    try:
        out = np.array(value, dtype=np.float64) if not isinstance(value, np.ndarray) else np.array(value)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is the submission's fault
        raise SubmissionError(f"{name} should be a NumPy array, got {type(value).__name__}") from exc
    if out.dtype == object or not (np.issubdtype(out.dtype, np.number) or out.dtype == np.bool_):
        raise SubmissionError(f"{name} should be a numeric array, got dtype {out.dtype}")
    return np.array(out, order="C")


def _unpack(name, result, n):
    if not isinstance(result, tuple) or len(result) != n:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise SubmissionError(f"{name} should return a tuple of {n} values, got {got}")
    return result


def _call(ns, name, *args):
    fn = ns.get(name)
    if not callable(fn):
        raise SubmissionError(f"{name} is not defined (did its cell run?)")
    return fn(*args)


def _copy(inp, *keys):
    return [np.array(inp[k]) if isinstance(inp[k], np.ndarray) else inp[k] for k in keys]


# --------------------------------------------------------------------------------------------- BPTT
def rnn_step_forward(ns, inp):
    res = _unpack("rnn_step_forward", _call(ns, "rnn_step_forward", *_copy(inp, "x", "h_prev", "Wx", "Wh", "b")), 2)
    return {"h_next": _arr("h_next", res[0])}


def rnn_step_backward(ns, inp):
    fwd = _unpack("rnn_step_forward", _call(ns, "rnn_step_forward", *_copy(inp, "x", "h_prev", "Wx", "Wh", "b")), 2)
    res = _unpack("rnn_step_backward", _call(ns, "rnn_step_backward", np.array(inp["dh_next"]), fwd[1]), 5)
    return {k: _arr(k, v) for k, v in zip(("dx", "dh_prev", "dWx", "dWh", "db"), res, strict=True)}


def rnn_forward(ns, inp):
    res = _unpack("rnn_forward", _call(ns, "rnn_forward", *_copy(inp, "x", "h0", "Wx", "Wh", "b")), 2)
    return {"h": _arr("h", res[0])}


def rnn_backward(ns, inp):
    fwd = _unpack("rnn_forward", _call(ns, "rnn_forward", *_copy(inp, "x", "h0", "Wx", "Wh", "b")), 2)
    res = _unpack("rnn_backward", _call(ns, "rnn_backward", np.array(inp["dh"]), fwd[1]), 5)
    return {k: _arr(k, v) for k, v in zip(("dx", "dh0", "dWx", "dWh", "db"), res, strict=True)}


def truncated_bptt(ns, inp):
    params = {k: np.array(v) for k, v in inp["params"].items()}
    res = _unpack("truncated_bptt", _call(ns, "truncated_bptt", *_copy(inp, "x", "y", "h0"), params, inp["k"]), 3)
    if not isinstance(res[1], dict):
        raise SubmissionError(f"truncated_bptt should return grads as a dict, got {type(res[1]).__name__}")
    out = {"loss": _arr("loss", res[0]), "h_last": _arr("h_last", res[2])}
    for name in inp["params"]:
        if name not in res[1]:
            raise SubmissionError(f"grads has no entry {name!r}")
        out["d" + name] = _arr("grads[" + name + "]", res[1][name])
    return out


def clip_grad_norm(ns, inp):
    grads = {k: np.array(v) for k, v in inp["grads"].items()}
    res = _unpack("clip_grad_norm", _call(ns, "clip_grad_norm", grads, inp["max_norm"]), 2)
    if not isinstance(res[0], dict) or set(res[0]) != set(inp["grads"]):
        raise SubmissionError("clip_grad_norm should return a dict with the same keys as grads")
    out = {"norm": _arr("total_norm", res[1])}
    out.update({"g_" + k: _arr("clipped[" + k + "]", v) for k, v in res[0].items()})
    return out


def train_char_lm(ns, inp):
    res = _unpack("train_char_lm", _call(ns, "train_char_lm", inp["text"], inp["hidden_size"], inp["seq_len"],
                                         inp["num_steps"], inp["lr"], inp["seed"]), 2)
    if not isinstance(res[1], dict):
        raise SubmissionError(f"train_char_lm should return (losses, params) with params a dict, got "
                              f"{type(res[1]).__name__}")
    out = {"losses": _arr("losses", res[0])}
    for name in ("Wx", "Wh", "b", "Wy", "by"):
        if name not in res[1]:
            raise SubmissionError(f"params has no entry {name!r}")
        out["p_" + name] = _arr(f"params[{name!r}]", res[1][name])
    return out


def _test_function(inp):
    """The scalar function the grader differentiates (the judge builds the same one, in
    ``oracles.gradcheck.test_function``)."""
    kind = inp["fn"]
    if kind == "tanh":
        W, G = np.array(inp["W"]), np.array(inp["G"])
        return lambda z: float(np.sum(np.tanh(z @ W) * G))
    if kind == "lse":
        return lambda z: float(np.log(np.sum(np.exp(z))))
    W = np.array(inp["W"])
    return lambda z: float(np.sum(W * z**3) - np.sum(z) ** 2)


def numerical_gradient(ns, inp):
    x = np.array(inp["x"], dtype=np.float64)
    grad = _call(ns, "numerical_gradient", _test_function(inp), x, inp["h"])
    return {"grad": _arr("grad", grad), "x_after": _arr("x", x)}


def softmax_with_temperature(ns, inp):
    return {"p": _arr("p", _call(ns, "softmax_with_temperature", np.array(inp["scores"]), inp["T"]))}


def _index(value, V):
    try:
        k = int(value)
    except (TypeError, ValueError) as exc:
        raise SubmissionError(f"sample_with_temperature should return an int index, got "
                              f"{type(value).__name__}") from exc
    if k != value or not 0 <= k < V:
        raise SubmissionError(f"sample_with_temperature returned {value!r}, not an index in 0..{V - 1}")
    return k


def sample_with_temperature(ns, inp):
    scores = np.array(inp["scores"])
    V = scores.shape[-1]
    rng = np.random.default_rng(inp["seed"])
    draws = [_index(_call(ns, "sample_with_temperature", scores.copy(), inp["T"], rng), V)
             for _ in range(inp["n"])]
    rng = np.random.default_rng(inp["seed"])
    again = [_index(_call(ns, "sample_with_temperature", scores.copy(), inp["T"], rng), V) for _ in range(20)]
    return {"counts": np.bincount(np.array(draws, dtype=np.int64), minlength=V).astype(np.float64),
            "repeatable": np.array(again == draws[:20])}


# ------------------------------------------------------------------------------------------- gating
def lstm_step_forward(ns, inp):
    res = _unpack("lstm_step_forward", _call(ns, "lstm_step_forward",
                                             *_copy(inp, "x", "h_prev", "c_prev", "Wx", "Wh", "b")), 3)
    return {"h": _arr("h", res[0]), "c": _arr("c", res[1])}


def lstm_step_backward(ns, inp):
    fwd = _unpack("lstm_step_forward", _call(ns, "lstm_step_forward",
                                             *_copy(inp, "x", "h_prev", "c_prev", "Wx", "Wh", "b")), 3)
    res = _unpack("lstm_step_backward", _call(ns, "lstm_step_backward", *_copy(inp, "dh", "dc"), fwd[2]), 6)
    return {k: _arr(k, v) for k, v in zip(("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"), res, strict=True)}


def lstm_peephole_step_forward(ns, inp):
    res = _unpack("lstm_peephole_step_forward", _call(ns, "lstm_peephole_step_forward",
                                                      *_copy(inp, "x", "h_prev", "c_prev", "Wx", "Wh", "b", "P")), 3)
    return {"h": _arr("h", res[0]), "c": _arr("c", res[1])}


def lstm_peephole_step_backward(ns, inp):
    fwd = _unpack("lstm_peephole_step_forward", _call(ns, "lstm_peephole_step_forward",
                                                      *_copy(inp, "x", "h_prev", "c_prev", "Wx", "Wh", "b", "P")), 3)
    res = _unpack("lstm_peephole_step_backward",
                  _call(ns, "lstm_peephole_step_backward", *_copy(inp, "dh", "dc"), fwd[2]), 7)
    names = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db", "dP")
    return {k: _arr(k, v) for k, v in zip(names, res, strict=True)}


def gru_step_forward(ns, inp):
    res = _unpack("gru_step_forward", _call(ns, "gru_step_forward", *_copy(inp, "x", "h_prev", "Wx", "Wh", "b")), 2)
    return {"h_next": _arr("h_next", res[0])}


def gru_step_backward(ns, inp):
    fwd = _unpack("gru_step_forward", _call(ns, "gru_step_forward", *_copy(inp, "x", "h_prev", "Wx", "Wh", "b")), 2)
    res = _unpack("gru_step_backward", _call(ns, "gru_step_backward", np.array(inp["dh_next"]), fwd[1]), 5)
    return {k: _arr(k, v) for k, v in zip(("dx", "dh_prev", "dWx", "dWh", "db"), res, strict=True)}


def _sequence(ns, inp, kind):
    fwd = _unpack(f"{kind}_forward", _call(ns, f"{kind}_forward", *_copy(inp, "x", "h0", "Wx", "Wh", "b")), 2)
    res = _unpack(f"{kind}_backward", _call(ns, f"{kind}_backward", np.array(inp["dh"]), fwd[1]), 5)
    out = {"h": _arr("h", fwd[0])}
    out.update({k: _arr(k, v) for k, v in zip(("dx", "dh0", "dWx", "dWh", "db"), res, strict=True)})
    return out


def lstm_sequence(ns, inp):
    return _sequence(ns, inp, "lstm")


def gru_sequence(ns, inp):
    return _sequence(ns, inp, "gru")


def grad_norms_over_time(ns, inp):
    params = {k: np.array(v) for k, v in inp["params"].items()}
    res = _call(ns, "grad_norms_over_time", inp["kind"], *_copy(inp, "x", "h0"), params)
    return {"norms": _arr("norms", res)}


def first_symbol_task(ns, inp):
    n, lag, K, seed = inp["n"], inp["lag"], inp["K"], inp["seed"]
    runs = []
    for s in (seed, seed, seed + 1):
        res = _unpack("first_symbol_task", _call(ns, "first_symbol_task", n, lag, K, np.random.default_rng(s)), 2)
        runs.append((_arr("x", res[0]), _arr("y", res[1])))
    return {"x": runs[0][0], "y": runs[0][1], "x_same_seed": runs[1][0], "y_same_seed": runs[1][1],
            "x_other_seed": runs[2][0]}


def sequence_classifier_loss(ns, inp):
    params = {k: np.array(v) for k, v in inp["params"].items()}
    res = _unpack("sequence_classifier_loss",
                  _call(ns, "sequence_classifier_loss", inp["kind"], *_copy(inp, "x", "y"), params), 2)
    if not isinstance(res[1], dict):
        raise SubmissionError(f"sequence_classifier_loss should return (loss, grads) with grads a dict, got "
                              f"{type(res[1]).__name__}")
    out = {"loss": _arr("loss", res[0])}
    for name in inp["params"]:
        if name not in res[1]:
            raise SubmissionError(f"grads has no entry {name!r}")
        out["d" + name] = _arr(f"grads[{name!r}]", res[1][name])
    return out


# ---------------------------------------------------------------------------------------------- CRF
_CRF = ("E", "mask", "A", "start", "end")


def crf_score(ns, inp):
    return {"score": _arr("score", _call(ns, "crf_score", *_copy(inp, "E", "tags", "mask", "A", "start", "end")))}


def crf_log_partition(ns, inp):
    return {"logZ": _arr("log_Z", _call(ns, "crf_log_partition", *_copy(inp, *_CRF)))}


def crf_viterbi(ns, inp):
    res = _unpack("crf_viterbi", _call(ns, "crf_viterbi", *_copy(inp, *_CRF)), 2)
    return {"paths": _arr("paths", res[0]), "scores": _arr("scores", res[1])}


def crf_marginals(ns, inp):
    res = _unpack("crf_marginals", _call(ns, "crf_marginals", *_copy(inp, *_CRF)), 2)
    return {"unary": _arr("unary", res[0]), "pairwise": _arr("pairwise", res[1])}


def crf_nll_backward(ns, inp):
    res = _unpack("crf_nll_backward", _call(ns, "crf_nll_backward",
                                            *_copy(inp, "E", "tags", "mask", "A", "start", "end")), 5)
    return {k: _arr(k, v) for k, v in zip(("loss", "dE", "dA", "dstart", "dend"), res, strict=True)}
