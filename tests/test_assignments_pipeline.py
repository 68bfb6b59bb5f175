"""The three assignments through the real nbgrader pipeline (generate, collect, autograde, feedback, export),
in a temporary copy of the course root, with correct, untouched, mistaken and hostile submissions graded
in one parallel batch per assignment."""

from __future__ import annotations

import csv
import html
import re
import shutil
import sys
from pathlib import Path

import pytest

from course_lib.grading import box, pipeline
from course_lib.grading.judge import spec

sys.path.insert(0, str(Path(__file__).parent))
from assignment_fixtures import submissions as S  # noqa: E402

pytestmark = pytest.mark.slow
HOSTILE_ON = "bptt"  # the hostile notebooks are assignment-independent: they are graded with the BPTT batch
# the OS sandbox is on wherever bubblewrap works (`make test` installs it); the kernel then cannot even see
# its grader, so "kills its grader" is graded as the correct notebook it otherwise is
BOXED = box.enabled()
EXPECTED = {**S.HOSTILE, **({"kills its grader": []} if BOXED else {})}


def _slug(kind: str) -> str:
    return "h_" + re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(pipeline.COURSE_ROOT / "nbgrader_config.py", root)
    pipeline.release(root)  # source/ from solutions/, release/ and the gradebook, as the instructor does
    return root


def _grade(course, tmp_path_factory, a):
    subs = tmp_path_factory.mktemp(f"{a}-submissions")
    S.write_submission(subs, "good", a, S.solved(course, a))
    S.write_submission(subs, "blank", a, S.untouched(course, a))
    for k, name in enumerate(list(S.MISTAKES[a])[:3]):  # the 4th is checked without nbgrader (faster)
        S.write_submission(subs, f"mistake{k}", a, S.with_mistake(course, a, name))
    listener = None
    if a == HOSTILE_ON:
        listener = _Listener()
        S.LISTENER["port"] = listener.port
        for kind in S.HOSTILE:
            S.write_submission(subs, _slug(kind), a, S.hostile(course, a, kind))
    students = pipeline.collect(subs, a, course)
    results = {r["student"]: r for r in pipeline.autograde(a, course, workers=2, cell_timeout=6,
                                                           mem_bytes=1 << 30)}
    reached = listener.close() if listener else []
    fb = pipeline.feedback(a, course)
    pipeline.export_csv(course / f"{a}.csv", course, [a])
    with open(course / f"{a}.csv") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return {"assignment": a, "root": course, "students": students, "results": results, "feedback": fb,
            "csv": rows, "reached": reached}


class _Listener:
    """A TCP server on the grader's loopback that records every connection (the "network" submission)."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.got, self._stop = self.sock.getsockname()[1], [], False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            self.got.append(peer)
            conn.close()

    def close(self) -> list:
        self._stop = True
        self.thread.join()
        self.sock.close()
        return self.got


@pytest.fixture(scope="module")
def batches(course, tmp_path_factory):
    return {a: _grade(course, tmp_path_factory, a) for a in ("bptt", "gating", "crf")}


ASSIGNMENTS = ("bptt", "gating", "crf")


def _scores(g, student):
    row = g["csv"][student]
    return {p: float(row[p]) for p in spec(g["assignment"]).PARTS}


def _full(g):
    return {name: float(p.points) for name, p in spec(g["assignment"]).PARTS.items()}


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_every_student_is_graded_and_exported(batches, a):
    graded = batches[a]
    assert set(graded["students"]) == set(graded["results"])
    submitted = {s for s, row in graded["csv"].items() if row["submitted"] == "yes"}
    assert submitted == set(graded["students"])  # the other rows are students of the other assignments
    assert graded["feedback"]["success"], graded["feedback"]["log"]


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_reference_solution_scores_full_marks(batches, a):
    graded = batches[a]
    good = graded["results"]["good"]
    assert _scores(graded, "good") == _full(graded), (good["log"], good.get("autograded"))
    assert good["success"], good["log"]


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_untouched_release_scores_zero_without_stopping_the_run(batches, a):
    graded = batches[a]
    assert set(_scores(graded, "blank").values()) == {0.0}
    assert graded["results"]["blank"]["success"], graded["results"]["blank"]["log"]


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_each_mistake_loses_points_in_its_part_only(batches, a):
    graded = batches[a]
    full = _full(graded)
    for k, (name, (_, _, _, part)) in enumerate(list(S.MISTAKES[a].items())[:3]):
        got = _scores(graded, f"mistake{k}")
        assert got[part] < full[part], f"{name}: {part} kept its points"
        others = {p: v for p, v in got.items() if p != part}
        assert others == {p: v for p, v in full.items() if p != part}, f"{name}: {got}"


def test_hostile_submissions_are_graded_as_what_they_are(batches):
    assert len(S.HOSTILE) >= 30  # the README's count ("grades 30 such notebooks")
    graded = batches[HOSTILE_ON]
    a, full = HOSTILE_ON, _full(graded)
    first = S.FIRST_PART[a][1]
    for kind, losing in EXPECTED.items():
        got = _scores(graded, _slug(kind))
        if losing is None:
            assert set(got.values()) == {0.0}, (kind, got)
            continue
        lost = {first if name == "first" else name for name in losing}
        for part, value in got.items():
            if part in lost:
                assert value == 0.0, (kind, part, got)
            else:
                assert value == full[part], (kind, part, got)


def test_a_submission_cannot_rewrite_the_gradebook(batches):
    """``writes the gradebook`` tried to zero everyone's manual scores and add a trigger: neither happened."""
    import sqlite3

    con = sqlite3.connect(batches[HOSTILE_ON]["root"] / "gradebook.db")
    assert con.execute("select count(*) from sqlite_master where type = 'trigger'").fetchone() == (0,)
    scores = [r[0] for r in con.execute("select auto_score from grade") if r[0] is not None]
    assert scores and max(scores) <= max(_full(batches[HOSTILE_ON]).values())
    assert con.execute("select count(*) from grade where manual_score is not null").fetchone() == (0,)


def test_feedback_shows_no_grader_paths(batches):
    root = batches[HOSTILE_ON]["root"]
    for page in (root / "feedback").glob("*/bptt/bptt.html"):
        body = page.read_text()
        assert "course-autograde-" not in body and sys.prefix not in body, page


def test_hostile_notebooks_leave_a_trace_in_their_own_feedback(batches):
    root = batches[HOSTILE_ON]["root"]

    def text(student):
        page = (root / "feedback" / student / "bptt" / "bptt.html").read_text()
        return html.unescape(re.sub(r"<[^>]+>", "", page))

    assert "not allowed" in text(_slug("reference implementation"))
    assert "does not allow reading" in text(_slug("reads the solution"))
    assert "CellTimeoutError" in text(_slug("infinite loop"))
    assert "MemoryError" in text(_slug("memory bomb"))
    assert "DeadKernelError" in text(_slug("os._exit"))
    assert "output truncated (" in text(_slug("huge output"))
    killer = batches[HOSTILE_ON]["results"][_slug("kills its grader")]
    if BOXED:  # its grader is not in its PID namespace: it found nothing to kill
        assert killer["success"] and "grading process was killed" not in killer["log"]
    else:
        assert "grading process was killed" in killer["log"] and not killer["success"]  # and everyone else graded
    for kind in ("edits a grade_id", "duplicates a test cell", "adds a test cell"):
        assert "Not graded normally" in text(_slug(kind)), kind
        assert batches[HOSTILE_ON]["results"][_slug(kind)]["notes"], kind
    assert not (root / "pwned").exists()
    assert len(text(_slug("huge output"))) < 400_000
    assert (root / "gradebook.db").stat().st_size < 5_000_000


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_feedback_shows_scores_but_no_hidden_tests(batches, a):
    graded = batches[a]
    root = graded["root"]
    pages = sorted((root / "feedback").glob(f"*/{a}/{a}.html"))
    # no feedback page: the not-JSON, the missing notebook, and the one that killed its grading process
    broken = (2 if BOXED else 3) if a == HOSTILE_ON else 0
    assert len(pages) == len(graded["students"]) - broken
    for page in pages:
        body = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        assert "HIDDEN TESTS" not in body and "hidden=True" not in body, page
    good = html.unescape(re.sub(r"<[^>]+>", "", (root / "feedback" / "good" / a / f"{a}.html").read_text()))
    assert "hidden check" in good and "FAIL" not in good
    mistaken = html.unescape(re.sub(r"<[^>]+>", "", (root / "feedback" / "mistake0" / a / f"{a}.html").read_text()))
    assert "FAIL" in mistaken and "hidden=True" not in mistaken


def _outputs(root: Path, student: str) -> str:
    """The text of every output of a student's autograded notebook (what the kernel printed)."""
    import nbformat

    nb = nbformat.read(root / "autograded" / student / "bptt" / "bptt.ipynb", as_version=4)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


def test_attacks_through_c_meet_the_os_sandbox(batches):
    """Attacks that go around every audit hook (ctypes, sockets, fork, links) reach nothing: the files are
    not in the box, the network is not there, the pids are capped and no process outlives its submission."""
    assert BOXED, f"the OS sandbox is not available: {box.unavailable_reason()} (`make test` installs bubblewrap)"
    graded = batches[HOSTILE_ON]
    root = graded["root"]
    out = lambda kind: _outputs(root, _slug(kind))  # noqa: E731
    assert "truncate -1 2" in out("ctypes truncates the gradebook")  # ENOENT: no gradebook in the box
    assert (root / "gradebook.db").stat().st_size > 0
    assert "solution bytes -1" in out("ctypes reads the solution")
    assert "mem fd True" in out("writes /proc/self/mem")  # its own memory: allowed, and worthless
    assert out("network").count("no network:") == 2 and graded["reached"] == []
    # symlinks and a FIFO next to its notebook: not followed, not copied back into the course
    folder = root / "autograded" / _slug("symlinks out of its folder") / "bptt"
    assert folder.is_dir() and not [p for p in folder.iterdir() if p.is_symlink() or not (p.is_file() or p.is_dir())]
    assert not (folder / "solutions-link").exists() and not (folder / "gradebook-link.db").exists()
    # the environment, sys.path and cwd hold no path of the instructor's
    hexed = re.search(r"ENV ([0-9a-f]+)", out("reads environment variables for paths")).group(1)
    found = bytes.fromhex(hexed).decode()
    for secret in (str(root), str(pipeline.REPO_ROOT / "solutions"), str(pipeline.REPO_ROOT / "assignments"),
                   "/work/shared"):
        assert secret not in found, secret
    forked = int(re.search(r"forked (\d+)", out("fork bomb")).group(1))
    if box.pids_cgroup_available():
        assert forked < box.PIDS_MAX
    # the daemon wrote nowhere outside its own submission
    assert not [p for p in root.rglob("pwned.txt") if _slug("leaves a daemon") not in str(p)]
