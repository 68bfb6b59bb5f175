"""Hostile code that the first layer of the grading sandbox (audit hooks) did not stop before: SQLite opens the
gradebook in C (no ``open`` event), ``_posixsubprocess.fork_exec`` starts a process without the ``Popen`` event,
``mmap`` maps a file, ``os.mkdir`` creates folders outside the submission.  Each is tried in the sandbox (inside the
function a part checks: that part gets 0, with a "not allowed" line) and in a grading kernel's policy (the call is
refused).  Nothing outside the submission is written in either case.  Also: what a student sees of a self-check and
of a traceback, and a fresh clone's gradebook."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import pipeline
from course_lib.grading.judge import CheckFailed, cells_for_grading, check, grade_cells
from course_lib.grading.pipeline import render_source
from course_lib.grading.preprocessors import scrub_paths

ROOT = Path(__file__).resolve().parents[1]

# attack name -> code run at the start of rnn_step_backward; {target} is a file/folder outside the submission
ATTACKS = {
    "writes a sqlite database (the gradebook)": (
        "import sqlite3\n"
        "con = sqlite3.connect({target!r})\n"
        "con.execute('create table t (x)')\ncon.commit()\n"),
    "sqlite through the C module": (
        "import _sqlite3\ncon = _sqlite3.connect({target!r})\ncon.execute('create table t (x)')\ncon.commit()\n"),
    "starts a process with _posixsubprocess": (
        "import _posixsubprocess\n_posixsubprocess.fork_exec(['/bin/true'])\n"),
    "reaches fork_exec through subprocess": (
        "import subprocess\nsubprocess._fork_exec(['/bin/true'])\n"),
    "maps a file into memory": (
        "import mmap\nfd = open(__import__('os').devnull, 'rb')\nmmap.mmap(fd.fileno(), 0, access=mmap.ACCESS_READ)\n"
        "open({target!r}, 'w')\n"),
    "creates a folder outside its own": (
        "import os\nos.mkdir({target!r})\n"),
}


def _with_attack(code: str):
    nb = nbformat.reads(nbformat.writes(render_source("bptt")), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_backward_solution":
            real = cell.source.replace("def rnn_step_backward(", "def _real_rnn_step_backward(")
            cell.source = (real + "\n\ndef rnn_step_backward(dh_next, cache):\n"
                           + textwrap.indent(code, "    ") + "    return _real_rnn_step_backward(dh_next, cache)\n")
    return nb


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_sandbox_refuses_the_attack_and_charges_only_its_part(attack, tmp_path):
    target = tmp_path / "outside" / "gradebook.db"
    target.parent.mkdir()
    if "folder" in attack:
        target = tmp_path / "outside" / "made-by-student"
    nb = _with_attack(ATTACKS[attack].format(target=str(target)))
    res = grade_cells("bptt", cells_for_grading(nb, "bptt"), ["rnn_step_forward", "rnn_step_backward"],
                      deny=[str(tmp_path)])
    assert res["rnn_step_backward"].fraction == 0.0, res["rnn_step_backward"].report()
    assert "not allowed" in res["rnn_step_backward"].report()
    assert res["rnn_step_forward"].fraction == 1.0
    assert not target.exists(), f"{attack}: wrote {target}"
    assert list((tmp_path / "outside").iterdir()) == []


def test_the_wrapped_solution_itself_gets_every_point(tmp_path):
    """The attack test above would pass trivially if the wrapper broke the solution: it does not."""
    res = grade_cells("bptt", cells_for_grading(_with_attack("pass\n"), "bptt"),
                      ["rnn_step_forward", "rnn_step_backward"])
    assert {p: r.fraction for p, r in res.items()} == {"rnn_step_forward": 1.0, "rnn_step_backward": 1.0}


# attack -> (code run before the policy is installed, the attack)
KERNEL_ATTACKS = {
    "sqlite write to the gradebook": ("", "import sqlite3\n"
                                          "sqlite3.connect({gradebook!r}).execute('create table t (x)')"),
    "mkdir outside": ("", "import os; os.mkdir({outside!r} + '/new')"),
    "fork_exec": ("", "import _posixsubprocess; _posixsubprocess.fork_exec(['/bin/true'])"),
    "fork_exec through subprocess": ("", "import subprocess; subprocess._fork_exec(['/bin/true'])"),
    "mmap of a denied file": ("import os; fd = os.open({secret!r}, os.O_RDONLY)",
                              "import mmap; print(mmap.mmap(fd, 0, access=mmap.ACCESS_READ)[:])"),
}


@pytest.mark.parametrize("attack", list(KERNEL_ATTACKS))
def test_grading_kernel_policy_refuses(attack, tmp_path):
    """The policy a grading kernel runs under (``course_lib.grading.kernel.install_policy``), in a fresh process."""
    box, outside = tmp_path / "box", tmp_path / "course"
    box.mkdir()
    outside.mkdir()
    gradebook = outside / "gradebook.db"
    sqlite3.connect(gradebook).execute("create table grade (score)").connection.commit()
    secret = outside / "secret.txt"
    secret.write_text("the hidden tests")
    before = sorted(p.name for p in outside.iterdir())
    policy = {"mem_bytes": 1 << 30, "allow_write": [str(box)], "deny_read": [str(outside)], "allow_read": []}
    pre, code = (c.format(gradebook=str(gradebook), outside=str(outside), secret=str(secret))
                 for c in KERNEL_ATTACKS[attack])
    script = ("import json, sys\nfrom course_lib.grading.kernel import install_policy\n" + pre + "\n"
              f"install_policy(json.loads({json.dumps(policy)!r}))\n"
              "try:\n" + textwrap.indent(code, "    ") + "\n    print('NOT REFUSED')\n"
              "except (PermissionError, AttributeError, ImportError) as exc:\n    print('refused:', exc)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=box)
    assert "refused:" in out.stdout, out.stdout + out.stderr
    assert sorted(p.name for p in outside.iterdir()) == before
    tables = sqlite3.connect(gradebook).execute("select name from sqlite_master").fetchall()
    assert tables == [("grade",)]


def test_kernel_policy_still_allows_in_memory_sqlite_and_the_own_folder(tmp_path):
    """IPython keeps its history in sqlite; a student may use files in the submission's own folder."""
    policy = {"mem_bytes": 1 << 30, "allow_write": [str(tmp_path)], "deny_read": [], "allow_read": []}
    script = ("import json, os, sqlite3\nfrom course_lib.grading.kernel import install_policy\n"
              f"install_policy(json.loads({json.dumps(policy)!r}))\n"
              "sqlite3.connect(':memory:').execute('select 1')\n"
              f"sqlite3.connect({str(tmp_path / 'mine.db')!r}).execute('create table t (x)')\n"
              f"os.mkdir({str(tmp_path / 'sub')!r})\nprint('fine')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "fine", out.stderr
    assert (tmp_path / "sub").is_dir() and (tmp_path / "mine.db").is_file()


# ------------------------------------------------------------------------------- what the student sees
def test_self_check_of_an_unwritten_function_says_so_and_that_it_is_partial():
    ns: dict = {}
    exec("def rnn_step_forward(x, h_prev, Wx, Wh, b):\n    raise NotImplementedError()\n", ns)  # noqa: S102
    with redirect_stdout(io.StringIO()) as out, pytest.raises(CheckFailed) as err:
        check("bptt", "rnn_step_forward", ns["rnn_step_forward"])
    text = out.getvalue()
    assert "not written yet" in text and "NotImplementedError: \n" not in text
    assert "visible checks only" in text and "not your grade" in text
    # IPython shows the failure as one line, not as a traceback through the grader's modules
    assert len(err.value._render_traceback_()) == 1


def test_a_passing_self_check_is_not_echoed_as_a_dataclass():
    from course_lib.grading.oracles.rnn_steps import rnn_step_forward

    with redirect_stdout(io.StringIO()):
        res = check("bptt", "rnn_step_forward", rnn_step_forward)
    assert res.fraction == 1.0 and res._ipython_display_() is None


def test_tracebacks_in_feedback_hide_the_graders_paths():
    text = (f"File {sys.prefix}/lib/python3.11/site-packages/numpy/x.py in /tmp/course-autograde-x1/jobs/s/a.py "
            f"and {ROOT}/course_lib/grading/oracles/rnn_steps.py")
    clean = scrub_paths(text)
    assert sys.prefix not in clean and "course-autograde" not in clean and str(ROOT) not in clean
    assert "<python>/lib/python3.11/site-packages/numpy/x.py" in clean


# ------------------------------------------------------------------------------------- fresh clone
def test_a_fresh_clone_without_gradebook_registers_the_assignment_and_keeps_the_release(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(pipeline.COURSE_ROOT / "release", root / "release")
    shutil.copytree(pipeline.COURSE_ROOT / "source", root / "source")
    before = {p: p.read_bytes() for p in root.rglob("*.ipynb")}
    assert pipeline.ensure_registered("crf", root) is True
    assert pipeline.ensure_registered("crf", root) is False  # once is enough
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", pipeline.COURSE_ID) as gb:
        cells = gb.find_assignment("crf").notebooks[0].grade_cells
        assert sum(c.max_score for c in cells) > 0
    assert {p: p.read_bytes() for p in root.rglob("*.ipynb")} == before
