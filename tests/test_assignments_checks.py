"""The grader's oracles against things we did not write (torch autograd, torch.nn cells, pytorch-crf, brute
force), the self-study ``check`` messages, and the sandbox against hostile code — without nbgrader."""

from __future__ import annotations

import io
import itertools
import zipfile
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch
from torchcrf import CRF

from course_lib.grading import check
from course_lib.grading.judge import cells_for_grading, grade_cells, spec
from course_lib.grading.oracles import (
    classifier,
    crf_core,
    crf_nll,
    gating_seq,
    gradcheck,
    gru_steps,
    lstm_steps,
    rnn_seq,
    rnn_steps,
    rnn_train,
    sampling,
)
from course_lib.grading.pipeline import collect, render_source
from course_lib.grading.spec_crf import brute_force


@pytest.fixture(autouse=True, scope="module")
def _float64_torch():
    """The oracles are compared in float64; restore the default afterwards (other test modules share the process)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)
ASSIGNMENTS = ("bptt", "gating", "crf")


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / (1e-12 + np.max(np.abs(b))))


# ------------------------------------------------------------------------------------------- oracles
def test_rnn_step_matches_torch_rnncell_and_autograd():
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    cell = torch.nn.RNNCell(D, H)
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh = cell.weight_ih.detach().numpy().T.copy(), cell.weight_hh.detach().numpy().T.copy()
    b = (cell.bias_ih + cell.bias_hh).detach().numpy()
    out, cache = rnn_steps.rnn_step_forward(x, h, Wx, Wh, b)
    assert _rel(out, cell(torch.tensor(x), torch.tensor(h)).detach().numpy()) < 1e-12
    tx, th, tWx, tWh, tb = map(_t, (x, h, Wx, Wh, b))
    dout = rng.normal(size=(N, H))
    (torch.tanh(tx @ tWx + th @ tWh + tb) * torch.tensor(dout)).sum().backward()
    for mine, theirs in zip(rnn_steps.rnn_step_backward(dout, cache), (tx, th, tWx, tWh, tb), strict=True):
        assert _rel(mine, theirs.grad.numpy()) < 1e-10


def test_rnn_sequence_gradients_match_autograd():
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 6, 3, 4
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)
    dh = rng.normal(size=(N, T, H))
    _, cache = rnn_seq.rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_seq.rnn_backward(dh, cache)
    tx, th0, tWx, tWh, tb = map(_t, (x, h0, Wx, Wh, b))
    h, loss = th0, 0.0
    for t in range(T):
        h = torch.tanh(tx[:, t] @ tWx + h @ tWh + tb)
        loss = loss + (h * torch.tensor(dh[:, t])).sum()
    loss.backward()
    for mine, theirs in zip(grads, (tx, th0, tWx, tWh, tb), strict=True):
        assert _rel(mine, theirs.grad.numpy()) < 1e-10


def test_lstm_step_matches_torch_lstmcell_and_peepholes_match_autograd():
    rng = np.random.default_rng(2)
    N, D, H = 3, 4, 5
    cell = torch.nn.LSTMCell(D, H)
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh = cell.weight_ih.detach().numpy().T.copy(), cell.weight_hh.detach().numpy().T.copy()
    b = (cell.bias_ih + cell.bias_hh).detach().numpy()
    h1, c1, _ = lstm_steps.lstm_step_forward(x, h, c, Wx, Wh, b)
    th1, tc1 = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    assert _rel(h1, th1.detach().numpy()) < 1e-12 and _rel(c1, tc1.detach().numpy()) < 1e-12
    P = rng.normal(size=(3, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    hp, cp, cache = lstm_steps.lstm_peephole_step_forward(x, h, c, Wx, Wh, b, P)
    grads = lstm_steps.lstm_peephole_step_backward(dh, dc, cache)
    tx, th, tc, tWx, tWh, tb, tP = map(_t, (x, h, c, Wx, Wh, b, P))
    a = tx @ tWx + th @ tWh + tb
    i = torch.sigmoid(a[:, :H] + tP[0] * tc)
    f = torch.sigmoid(a[:, H:2 * H] + tP[1] * tc)
    cn = f * tc + i * torch.tanh(a[:, 2 * H:3 * H])
    hn = torch.sigmoid(a[:, 3 * H:] + tP[2] * cn) * torch.tanh(cn)
    assert _rel(hp, hn.detach().numpy()) < 1e-12
    ((hn * torch.tensor(dh)).sum() + (cn * torch.tensor(dc)).sum()).backward()
    for mine, theirs in zip(grads, (tx, th, tc, tWx, tWh, tb, tP), strict=True):
        assert _rel(mine, theirs.grad.numpy()) < 1e-10


def test_gru_step_and_sequences_match_autograd():
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 4, 3, 4
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, 3 * H)), rng.normal(size=(H, 3 * H)) * 0.5, rng.normal(size=3 * H)
    dh = rng.normal(size=(N, T, H))
    _, cache = gating_seq.gru_forward(x, h0, Wx, Wh, b)
    grads = gating_seq.gru_backward(dh, cache)
    tx, th0, tWx, tWh, tb = map(_t, (x, h0, Wx, Wh, b))
    h, loss = th0, 0.0
    for t in range(T):
        ax = tx[:, t] @ tWx + tb
        r = torch.sigmoid(ax[:, :H] + h @ tWh[:, :H])
        z = torch.sigmoid(ax[:, H:2 * H] + h @ tWh[:, H:2 * H])
        n = torch.tanh(ax[:, 2 * H:] + (r * h) @ tWh[:, 2 * H:])
        h = z * h + (1 - z) * n
        loss = loss + (h * torch.tensor(dh[:, t])).sum()
    loss.backward()
    for mine, theirs in zip(grads, (tx, th0, tWx, tWh, tb), strict=True):
        assert _rel(mine, theirs.grad.numpy()) < 1e-10
    one = gru_steps.gru_step_forward(x[:, 0], h0, Wx, Wh, b)[0]
    assert _rel(one, gating_seq.gru_forward(x[:, :1], h0, Wx, Wh, b)[0][:, 0]) < 1e-14


def test_lstm_sequence_matches_torch_lstm():
    rng = np.random.default_rng(4)
    N, T, D, H = 2, 5, 3, 4
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh = lstm.weight_ih_l0.detach().numpy().T.copy(), lstm.weight_hh_l0.detach().numpy().T.copy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
    ours = gating_seq.lstm_forward(x, h0, Wx, Wh, b)[0]
    theirs = lstm(torch.tensor(x), (torch.tensor(h0)[None], torch.zeros(1, N, H)))[0]
    assert _rel(ours, theirs.detach().numpy()) < 1e-12


def test_crf_matches_pytorch_crf_and_brute_force():
    rng = np.random.default_rng(5)
    N, T, K = 3, 5, 4
    lengths = np.array([5, 3, 1])
    mask = np.arange(T)[None] < lengths[:, None]
    E, tags = rng.normal(size=(N, T, K)), rng.integers(0, K, size=(N, T))
    crf = CRF(K, batch_first=True)
    A = crf.transitions.detach().numpy().copy()
    start, end = crf.start_transitions.detach().numpy().copy(), crf.end_transitions.detach().numpy().copy()
    tE, tmask, ttags = torch.tensor(E, requires_grad=True), torch.tensor(mask), torch.tensor(tags)
    score = crf._compute_score(tE.transpose(0, 1), ttags.T, tmask.T).detach().numpy()
    logZ = crf._compute_normalizer(tE.transpose(0, 1), tmask.T).detach().numpy()
    assert _rel(crf_core.crf_score(E, tags, mask, A, start, end), score) < 1e-12
    assert _rel(crf_core.crf_log_partition(E, mask, A, start, end), logZ) < 1e-12
    paths, best = crf_core.crf_viterbi(E, mask, A, start, end)
    for n, path in enumerate(crf.decode(tE, tmask)):
        assert list(paths[n, :lengths[n]]) == path and set(paths[n, lengths[n]:]) <= {-1}
    bz, bpaths = brute_force({"E": E, "mask": mask, "A": A, "start": start, "end": end})
    assert _rel(bz, logZ) < 1e-12 and np.array_equal(bpaths, paths)
    (-crf(tE, ttags, tmask, reduction="sum")).backward()
    loss, dE, dA, dstart, dend = crf_nll.crf_nll_backward(E, tags, mask, A, start, end)
    assert abs(loss - float(np.sum(logZ - score))) < 1e-10
    assert _rel(dE, tE.grad.numpy()) < 1e-10
    assert _rel(dA, crf.transitions.grad.numpy()) < 1e-10
    assert _rel(dstart, crf.start_transitions.grad.numpy()) < 1e-10
    assert _rel(dend, crf.end_transitions.grad.numpy()) < 1e-10
    unary, _ = crf_core.crf_marginals(E, mask, A, start, end)
    assert np.allclose(unary.sum(-1), mask)


def test_crf_brute_force_agrees_on_a_case_enumerated_here():
    E = np.array([[[1.0, 0.0], [0.0, 3.0]]])
    A, start, end = np.array([[0.0, 2.0], [-1.0, 0.0]]), np.array([0.5, 0.0]), np.zeros(2)
    scores = {y: start[y[0]] + E[0, 0, y[0]] + A[y] + E[0, 1, y[1]] for y in itertools.product(range(2), repeat=2)}
    assert scores[(0, 1)] == 6.5
    logZ = np.log(sum(np.exp(v) for v in scores.values()))
    assert abs(crf_core.crf_log_partition(E, np.ones((1, 2), bool), A, start, end)[0] - logZ) < 1e-12


def test_new_oracles_match_torch_and_calculus():
    """Temperature softmax = torch.softmax(s / T); centred differences = the analytic gradient to O(h^2);
    the last-state classifier's gradients = torch autograd through torch.nn.LSTM with copied weights."""
    rng = np.random.default_rng(6)
    s = rng.normal(size=(3, 5)) * 4
    for T in (0.3, 1.0, 2.5):
        assert _rel(sampling.softmax_with_temperature(s, T), torch.softmax(torch.tensor(s) / T, -1).numpy()) < 1e-12
    assert np.all(np.isfinite(sampling.softmax_with_temperature(s * 1e4, 0.5)))
    inp = {"fn": "tanh", "x": rng.normal(size=(3, 4)), "W": rng.normal(size=(4, 2)), "G": rng.normal(size=(3, 2))}
    analytic = ((1 - np.tanh(inp["x"] @ inp["W"]) ** 2) * inp["G"]) @ inp["W"].T
    assert _rel(gradcheck.centred_differences(gradcheck.test_function(inp), inp["x"], 1e-4), analytic) < 1e-7
    assert _rel(gradcheck.forward_differences(gradcheck.test_function(inp), inp["x"], 1e-3), analytic) > 1e-5
    N, T, K, H = 3, 6, 4, 5
    lstm = torch.nn.LSTM(K, H, batch_first=True)
    sym = rng.integers(0, K, size=(N, T))
    x, y = np.eye(K)[sym], sym[:, 0]
    params = {"Wx": lstm.weight_ih_l0.detach().numpy().T.copy(), "Wh": lstm.weight_hh_l0.detach().numpy().T.copy(),
              "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(), "Wy": rng.normal(size=(H, K)),
              "by": rng.normal(size=K)}
    loss, grads = classifier.sequence_classifier_loss("lstm", x, y, params)
    tWy, tby = _t(params["Wy"]), _t(params["by"])
    out = lstm(torch.tensor(x))[0][:, -1]
    tloss = torch.nn.functional.cross_entropy(out @ tWy + tby, torch.tensor(y))
    tloss.backward()
    assert abs(loss - float(tloss)) < 1e-12
    assert _rel(grads["Wy"], tWy.grad.numpy()) < 1e-10 and _rel(grads["by"], tby.grad.numpy()) < 1e-10
    assert _rel(grads["Wh"], lstm.weight_hh_l0.grad.numpy().T) < 1e-10
    assert _rel(grads["b"], lstm.bias_ih_l0.grad.numpy()) < 1e-10


# ------------------------------------------------------------------------------- specs and notebooks
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_every_part_has_a_test_cell_with_the_spec_points(a):
    nb = render_source(a)
    cells = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    parts = spec(a).PARTS
    assert set(cells) == {f"test_{p}" for p in parts}
    for name, part in parts.items():
        assert cells[f"test_{name}"]["points"] == part.points
        for fn in part.inject:  # an oracle is only injected once the part it replaces has been checked
            if fn in parts:
                assert parts[fn].phase < part.phase, (name, fn)


def _solution_namespace(a):
    ns: dict = {}
    for kind, source in cells_for_grading(render_source(a), a):
        if kind == "code":
            exec(source, ns)  # noqa: S102 - our own solution
    return ns


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_self_study_check_passes_the_solution_including_hidden_cases(a):
    ns = _solution_namespace(a)
    for part in spec(a).PARTS:
        fn = ns.get(part) or ns[{"lstm_sequence": "lstm_backward", "gru_sequence": "gru_backward"}[part]]
        with redirect_stdout(io.StringIO()) as out:
            res = check(a, part, fn, hidden=True)
        assert res.fraction == 1.0, out.getvalue()


MESSAGES = [
    ("bptt", "rnn_backward", "dh[:, t] + dprev", "dh[:, t]", "lacks the contribution from the next time step"),
    ("bptt", "rnn_step_backward", "da = dh_next * (1.0 - h_next**2)", "da = dh_next", "tanh derivative"),
    ("bptt", "truncated_bptt", "        h = hs[:, -1]\n", "        pass\n", "carry the last hidden state"),
    ("bptt", "clip_grad_norm", "total_norm > max_norm else 1.0", "total_norm > max_norm else 1.0\n    "
     "total_norm = min(total_norm, max_norm)", "before* clipping"),
    ("gating", "lstm_step_backward", "daf = dct * c_prev *", "daf = dct * (f * c_prev + i * g) *", "*old* cell"),
    ("gating", "gru_step_forward", "h_next = z * h_prev + (1.0 - z) * n", "h_next = (1.0 - z) * h_prev + z * n",
     "z and 1 - z are swapped"),
    ("crf", "crf_log_partition", "nxt = logsumexp(alpha[:, :, None] + A[None], axis=1)",
     "nxt = np.log(np.exp(alpha[:, :, None] + A[None]).sum(axis=1))", "log-sum-exp"),
    ("crf", "crf_viterbi", "y = int(back[n, t, y])", "y = int(back[n, t - 1, y])", "off by one"),
    ("crf", "crf_score", "np.where(mask[:, t], step, 0.0)", "step", "padded steps"),
    ("bptt", "numerical_gradient", "x[idx] = old - h\n        f_minus = f(x)\n        x[idx] = old\n"
     "        grad[idx] = (f_plus - f_minus) / (2 * h)",
     "x[idx] = old\n        f_minus = f(x)\n        grad[idx] = (f_plus - f_minus) / h", "one-sided differences"),
    ("bptt", "numerical_gradient", "(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h", "divide by 2h"),
    ("bptt", "numerical_gradient", "        x[idx] = old\n        grad", "        grad", "x is changed"),
    ("bptt", "softmax_with_temperature", "a = scores / T", "a = scores * T", "multiplied by T"),
    ("bptt", "softmax_with_temperature", "a = a - a.max(axis=-1, keepdims=True)", "a = a", "NaN or inf"),
    ("bptt", "sample_with_temperature", "index = int(rng.choice(len(p), p=p))", "index = int(np.argmax(p))",
     "every draw is the same index"),
    ("bptt", "sample_with_temperature", "index = int(rng.choice(len(p), p=p))",
     "index = int(np.random.default_rng().choice(len(p), p=p))", "the rng you are"),
    ("bptt", "sample_with_temperature", "p = softmax_with_temperature(scores, T)",
     "p = softmax_with_temperature(scores, 1.0)", "temperature is ignored"),
    ("gating", "first_symbol_task", "y = symbols[:, 0].copy()", "y = symbols[:, 0].copy()\n    symbols[:, -1] = y",
     "independently of it"),
    ("gating", "first_symbol_task", "y = symbols[:, 0].copy()", "y = symbols[:, -1].copy()", "first step"),
    ("gating", "first_symbol_task", "symbols = rng.integers(0, K, size=(n, lag + 1))",
     "symbols = np.random.default_rng(0).integers(0, K, size=(n, lag + 1))", "the rng you are given"),
    ("gating", "sequence_classifier_loss", "dlogits /= N", "dlogits /= 1", "average the loss"),
    ("gating", "sequence_classifier_loss", 'dh[:, -1] = dlogits @ params["Wy"].T',
     'dh[:, 0] = dlogits @ params["Wy"].T', "is wrong"),
]


@pytest.mark.parametrize(("a", "part", "old", "new", "message"), MESSAGES)
def test_a_mistake_gets_a_message_that_names_it(a, part, old, new, message):
    source = render_source(a)
    code = "\n".join(c.source for c in source.cells if c.cell_type == "code"
                     and not c.metadata["nbgrader"].get("grade")
                     and c.metadata["nbgrader"]["grade_id"] not in spec(a).SKIP_CELLS)
    assert old in code
    ns: dict = {}
    exec(code.replace(old, new), ns)  # noqa: S102
    with redirect_stdout(io.StringIO()) as out, pytest.raises(AssertionError):
        check(a, part, ns[part], hidden=True)
    assert message in out.getvalue()


def test_a_made_up_loss_curve_scores_zero_on_train_char_lm():
    """Issue 11: `log V * exp(-t / 30)` used to pass.  Now the judge evaluates the returned parameters, so a
    made-up curve fails both with untrained parameters and with really trained ones."""
    ns = _solution_namespace("bptt")
    real = ns["train_char_lm"]

    def untrained(text, hidden_size, seq_len, num_steps, lr, seed):
        V, rng = len(set(text)), np.random.default_rng(seed)
        params = {"Wx": rng.normal(0, 0.1, (V, hidden_size)), "Wh": rng.normal(0, 0.1, (hidden_size, hidden_size)),
                  "b": np.zeros(hidden_size), "Wy": rng.normal(0, 0.1, (hidden_size, V)), "by": np.zeros(V)}
        return list(np.log(V) * np.exp(-np.arange(num_steps) / 30)), params

    def trained_but_made_up(text, hidden_size, seq_len, num_steps, lr, seed):
        _, params = real(text, hidden_size, seq_len, num_steps, lr, seed)
        return list(np.log(len(set(text))) * np.exp(-np.arange(num_steps) / 30)), params

    for fake, message in ((untrained, "not trained"), (trained_but_made_up, "do not match")):
        ns["train_char_lm"] = fake
        with redirect_stdout(io.StringIO()) as out, pytest.raises(AssertionError):
            check("bptt", "train_char_lm", fake, hidden=True)
        assert out.getvalue().count("FAIL") == 2 and message in out.getvalue(), out.getvalue()
    assert rnn_train.char_lm_loss  # the judge's own evaluation is what decides


def test_the_lstm_remembers_the_first_symbol_where_the_rnn_does_not():
    """What the gating notebook's last experiment asks students to see, with the solution's code: at lag 60
    the Elman RNN stays near chance (1/4) and the LSTM (forget bias 3) does clearly better."""
    ns = _solution_namespace("gating")
    rng = np.random.default_rng(60)
    x, y = ns["first_symbol_task"](1024, 60, 4, rng)
    xt, yt = ns["first_symbol_task"](512, 60, 4, rng)
    acc = {kind: ns["classifier_accuracy"](kind, ns["train_sequence_classifier"](kind, x, y, 16, 400), xt, yt)
           for kind in ("rnn", "lstm")}
    assert acc["rnn"] < 0.35 and acc["lstm"] > 0.6, acc


# ----------------------------------------------------------------------------------------- sandbox
def _bptt_cells():
    return cells_for_grading(render_source("bptt"), "bptt")


def test_sandbox_grades_the_solution_full_and_ignores_patched_numpy_and_checker():
    cells = _bptt_cells()
    hostile = ("import numpy as np\n"
               "def rnn_forward(x, h0, Wx, Wh, b):\n    return np.zeros((x.shape[0], x.shape[1], h0.shape[1])), None\n"
               "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
               "np.isfinite = lambda x: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
               "import course_lib.grading as g\ng.check = lambda *a, **k: None\n"
               "try:\n    import course_lib.grading.checks as c\n    c.close = lambda *a, **k: True\n"
               "except ImportError:\n    pass\n")
    parts = ["rnn_step_forward", "rnn_forward", "clip_grad_norm"]
    honest = grade_cells("bptt", cells, parts)
    assert all(r.fraction == 1.0 for r in honest.values())
    k = next(i for i, (kind, src) in enumerate(cells) if kind == "code" and "def rnn_forward" in src)
    patched = grade_cells("bptt", cells[:k + 1] + [("code", hostile)] + cells[k + 1:], parts)
    assert patched["rnn_forward"].fraction == 0.0
    assert patched["rnn_step_forward"].fraction == 1.0 and patched["clip_grad_norm"].fraction == 1.0


@pytest.mark.parametrize(("code", "message"), [
    ("from course_lib.reference import rnn\nrnn_step_forward = rnn.rnn_step_forward\n", "not allowed"),
    ("import torch\n", "not allowed"),
    ("open('/tmp/course-grading-test-write', 'w')\n", "does not allow writing"),
    ("import subprocess\nsubprocess.run(['cat', '/etc/hostname'])\n", "not allowed"),
    ("import gc\ngc.get_objects()\n", "not allowed"),
])
def test_sandbox_refuses_what_a_submission_must_not_do(code, message):
    cells = _bptt_cells()
    res = grade_cells("bptt", [("code", code)] + cells, ["rnn_step_forward"])
    assert res["rnn_step_forward"].fraction == 1.0  # the solution cells still ran
    bad = grade_cells("bptt", [("code", code + "\ndef rnn_step_forward(*a):\n    return 0, None\n")],
                      ["rnn_step_forward"])
    assert bad["rnn_step_forward"].fraction == 0.0
    assert any(message in line for line in bad["rnn_step_forward"].lines), bad["rnn_step_forward"].lines


def test_sandbox_survives_os_exit_and_reports_it():
    cells = _bptt_cells()
    k = next(i for i, (kind, part) in enumerate(cells) if kind == "test" and part == "clip_grad_norm")
    res = grade_cells("bptt", cells[:k] + [("code", "import os\nos._exit(0)\n")] + cells[k:],
                      ["rnn_step_forward", "clip_grad_norm"])
    assert res["rnn_step_forward"].fraction == 1.0  # its test cell comes before the exit
    assert res["clip_grad_norm"].fraction == 0.0
    assert "died" in " ".join(res["clip_grad_norm"].lines)


# ----------------------------------------------------------------------------------------- collect
def test_collect_reads_folders_and_zips(tmp_path):
    zpath = tmp_path / "lms.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("export/Ada Lovelace/bptt.ipynb", "{}")
        zf.writestr("export/bob/bptt/bptt.ipynb", "{}")
        zf.writestr("export/carol/notes.txt", "no notebook")
        zf.writestr("../evil/bptt.ipynb", "{}")
    root = tmp_path / "course"
    students = collect(zpath, "bptt", root)
    assert students == ["Ada_Lovelace", "bob", "carol"]
    assert (root / "submitted" / "Ada_Lovelace" / "bptt" / "bptt.ipynb").is_file()
    assert (root / "submitted" / "bob" / "bptt" / "bptt.ipynb").is_file()
    assert not (root / "submitted" / "carol" / "bptt" / "bptt.ipynb").exists()
    assert (root / "submitted" / "carol" / "bptt" / "timestamp.txt").is_file()
    assert not (tmp_path / "evil").exists() and not (root / "submitted" / "evil").exists()


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_the_fourth_mistake_costs_points_in_its_part_only(a):
    """The first three mistakes of each assignment go through nbgrader in test_assignments_pipeline.py."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from assignment_fixtures import submissions as S

    from course_lib.grading.pipeline import COURSE_ROOT

    name = list(S.MISTAKES[a])[3]
    part = S.MISTAKES[a][name][3]
    res = grade_cells(a, cells_for_grading(S.with_mistake(COURSE_ROOT, a, name), a))
    assert res[part].fraction < 1.0, res[part].report()
    assert all(r.fraction == 1.0 for p, r in res.items() if p != part), {p: r.fraction for p, r in res.items()}
