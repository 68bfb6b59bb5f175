"""Instructor pipeline: build/release, collect, autograde (in parallel), feedback, export.

Course root (``assignments/``)::

    nbgrader_config.py      # calls course_config() below
    source/<a>/<a>.ipynb    # generated from solutions/<a>.py (jupytext)
    release/<a>/<a>.ipynb   # what students get (nbgrader generate_assignment)
    submitted/<student>/<a>/<a>.ipynb (+ timestamp.txt)   # filled by collect()
    autograded/, feedback/, gradebook.db                    # written by autograde() / feedback()

**Parallel autograding without sqlite write races.**  Each submission is graded by a worker process
(``concurrent.futures`` pool, one worker per core) in a private temporary course root that holds only that
student's submission and a copy of a *template* gradebook (the assignment's cells, no students).  No
``source/`` folder is there, and the kernel and the sandbox may not read the real course root.  When a
worker is done, the parent process alone copies the grades into the real gradebook and the autograded
notebook into ``autograded/`` — so one writer, whatever the number of workers, and a submission that
crashes, hangs or is not a notebook only ever affects its own row.

**Speed** (issue 4: median <= 2 s per submission, kernel run included).  Per worker, two zygotes pay the
imports once: the kernel zygote (:mod:`course_lib.grading.kernel`) forks each submission's kernel, the
sandbox zygote (:mod:`course_lib.grading.sandbox`) each phase of the checks.  The kernel is ready as soon as
it answers and is killed when done (no graceful shutdown).  The throw-away gradebooks (template, a worker's
private copy) are not synced to disk after each commit, and the gradebook engines nbgrader opens share one
statement cache.  ``python benchmarks/bench_autograde.py`` measures it, with a per-step breakdown.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from course_lib.grading import box
from course_lib.grading.judge import ASSIGNMENTS
from course_lib.grading.kernel import POLICY_ENV
from course_lib.grading.kernel import zygote as kernel_zygote

REPO_ROOT = Path(__file__).resolve().parents[2]
COURSE_ROOT = REPO_ROOT / "assignments"
SOLUTIONS = REPO_ROOT / "solutions"
COURSE_ID = "rnn-nlp"
_STUDENT_RE = re.compile(r"[^A-Za-z0-9_.-]+")
# nbgrader runs the `alembic` command when it creates a gradebook: make the venv's bin findable.
if str(Path(sys.executable).parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def course_config(root: str | Path, db_url: str | None = None, cell_timeout: int = 30,
                  deny_read: list[str] | None = None, mem_bytes: int = 2 << 30, execute: bool = True):
    """The nbgrader configuration of the course (also loaded by ``assignments/nbgrader_config.py``).

    ``execute=False`` leaves out the kernel run of the notebook: grades are the same (they come from the
    sandbox), the feedback then shows the verdicts but not the students' own outputs.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import AssignLatePenalties, GetGrades, IgnorePattern, SaveAutoGrades
    from traitlets.config import Config

    from course_lib.grading.preprocessors import RedactHidden, SandboxedExecute, TruncateOutput, TrustedGrade

    root = Path(root).resolve()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", "*.db",
                                ".*", "*.pkl", "*.npz"]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.Execute.timeout = cell_timeout
    c.Execute.interrupt_on_timeout = True
    c.SandboxedExecute.timeout = cell_timeout
    c.LimitOutput.max_lines = 300
    # nbgrader's list, with Execute sandboxed, outputs truncated and the verdict written by TrustedGrade;
    # CheckCellMetadata already ran when the submission was sanitized, so it is not repeated here.
    c.Autograde.autograde_preprocessors = ([SandboxedExecute] if execute else []) + [
        IgnorePattern, TruncateOutput, TrustedGrade, ClearMetadataPreprocessor, SaveAutoGrades, AssignLatePenalties]
    c.TrustedGrade.deny_read = [str(p) for p in (deny_read or [])]
    c.TrustedGrade.cell_seconds = float(min(10, cell_timeout))
    c.TrustedGrade.mem_bytes = int(mem_bytes)
    c.GenerateFeedback.preprocessors = [GetGrades, RedactHidden, CSSHTMLHeaderPreprocessor]
    return c


def _api(config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(CourseDirectory(config=config), config=config)


# ------------------------------------------------------------------------------------------ release
def render_source(assignment: str, solutions: Path = SOLUTIONS):
    """solutions/<a>.py (jupytext percent) -> the instructor notebook (nbformat), no jupytext metadata."""
    import jupytext

    nb = jupytext.read(solutions / f"{assignment}.py")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def release(root: Path = COURSE_ROOT, assignments=ASSIGNMENTS, solutions: Path = SOLUTIONS,
            db_url: str | None = None) -> dict:
    """Regenerate source/ from solutions/ and release/ with nbgrader (also registers the gradebook, that of
    ``root`` or ``db_url``)."""
    import nbformat

    root = Path(root)
    logs = {}
    api = _api(course_config(root, db_url=db_url))
    for a in assignments:
        target = root / "source" / a / f"{a}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(render_source(a, solutions), target)
        res = api.generate_assignment(a, force=True, create=True)
        if not res["success"]:
            raise RuntimeError(f"generate_assignment {a} failed:\n{res['log']}\n{res.get('error', '')}")
        logs[a] = res["log"]
    return logs


def ensure_registered(assignment: str, root: Path = COURSE_ROOT, solutions: Path = SOLUTIONS) -> bool:
    """Make sure the gradebook of ``root`` knows ``assignment`` (its cells and points); returns True if it
    had to be registered.

    A fresh clone has the committed ``source/`` and ``release/`` but no gradebook (it is not committed):
    nbgrader's autograde then fails with ``MissingEntry: No such assignment``.  The assignment is generated
    once more into a scratch course root whose gradebook is the real one, so the committed notebooks are
    left as they are (a new generation would give their cells new ids)."""
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(root).resolve()
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    if (root / "gradebook.db").is_file():
        with Gradebook(db_url, COURSE_ID) as gb:
            try:
                gb.find_assignment(assignment)
                return False
            except MissingEntry:
                pass
    with tempfile.TemporaryDirectory(prefix="course-register-") as tmp:
        release(Path(tmp), [assignment], solutions, db_url=db_url)
    return True


# ------------------------------------------------------------------------------------------ collect
def _student_id(name: str) -> str:
    sid = _STUDENT_RE.sub("_", name).strip("._")
    if not sid:
        raise ValueError(f"cannot make a student id from {name!r}")
    return sid


def collect(source: str | Path, assignment: str, root: Path = COURSE_ROOT) -> list[str]:
    """Copy submissions into ``submitted/<student>/<assignment>/<assignment>.ipynb``.

    ``source`` is a folder or a ``.zip`` (e.g. an LMS download) laid out as ``<student>/<assignment>.ipynb``
    or ``<student>/<assignment>/<assignment>.ipynb`` (any single ``*.ipynb`` in a student's folder is taken
    as the assignment's notebook). A student folder without a notebook is collected too, and graded 0.
    Student ids are the folder names with characters outside ``[A-Za-z0-9_.-]`` replaced by ``_``.
    Returns the student ids.
    """
    source = Path(source)
    with tempfile.TemporaryDirectory() as tmp:
        if source.suffix == ".zip":
            with zipfile.ZipFile(source) as zf:
                for member in zf.infolist():
                    target = (Path(tmp) / member.filename).resolve()
                    if not str(target).startswith(str(Path(tmp).resolve())) or member.is_dir():
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as fin, open(target, "wb") as fout:
                        shutil.copyfileobj(fin, fout, length=1 << 20)
            folder = Path(tmp)
            entries = [p for p in folder.iterdir() if p.is_dir()]
            if len(entries) == 1 and not any(entries[0].glob("*.ipynb")) and any(
                    p.is_dir() for p in entries[0].iterdir()):
                folder = entries[0]  # the zip wraps everything in one top folder
        else:
            folder = source
        students = []
        for student_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            sid = _student_id(student_dir.name)
            dest = Path(root) / "submitted" / sid / assignment
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            candidates = [student_dir / f"{assignment}.ipynb", student_dir / assignment / f"{assignment}.ipynb"]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                others = sorted(student_dir.rglob("*.ipynb"))
                found = others[0] if len(others) == 1 else None
            stamp = datetime.now(UTC)
            if found is not None:
                shutil.copyfile(found, dest / f"{assignment}.ipynb")
                stamp = datetime.fromtimestamp(found.stat().st_mtime, UTC)
            (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
            students.append(sid)
    return students


# ---------------------------------------------------------------------------------------- autograde
_SCRATCH_DBS: set[str] = set()


def _scratch_sqlite(dbapi_connection, _record) -> None:
    """SQLAlchemy ``connect`` hook: a gradebook under a folder of :data:`_SCRATCH_DBS` is a throw-away copy
    (the template, a worker's private gradebook), so it is not synced to disk after every commit
    (``synchronous=OFF``, journal in memory).  On this course's machine a synced commit costs ~18 ms and
    nbgrader commits a few dozen times per submission.  The real gradebook keeps sqlite's defaults."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    path = os.path.realpath(rows[0][2]) if rows and rows[0][2] else ""
    if path and any(path.startswith(folder + os.sep) for folder in _SCRATCH_DBS):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
        dbapi_connection.execute("PRAGMA journal_mode=MEMORY")


def _scratch_folder(folder: Path) -> None:
    """Mark ``folder`` as holding throw-away gradebooks (see :func:`_scratch_sqlite`)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _scratch_sqlite):
        event.listen(Engine, "connect", _scratch_sqlite)
    _SCRATCH_DBS.add(os.path.realpath(folder))


def _share_statement_cache() -> None:
    """Give every engine nbgrader's ``Gradebook`` creates in this process one SQL statement cache.

    nbgrader opens the gradebook (a new SQLAlchemy engine, with an empty cache of compiled statements) about
    ten times per submission, so the same few dozen queries were compiled again each time (~0.1 s per
    submission).  SQLAlchemy's ``compiled_cache`` execution option lets engines share one cache; all of them
    are sqlite engines of the same dialect, which is what the cache's keys assume."""
    import nbgrader.api
    from sqlalchemy import create_engine
    from sqlalchemy.util import LRUCache

    if getattr(nbgrader.api.create_engine, "shared_cache", None) is not None:
        return
    cache = LRUCache(2000)

    def create_engine_shared(url, *args, **kwargs):
        options = dict(kwargs.pop("execution_options", None) or {})
        options.setdefault("compiled_cache", cache)
        return create_engine(url, *args, execution_options=options, **kwargs)

    create_engine_shared.shared_cache = cache
    nbgrader.api.create_engine = create_engine_shared


def _template_db(root: Path, assignment: str, dest: Path) -> str:
    """A copy of the gradebook that knows the assignment's cells but no students."""
    from nbgrader.api import Gradebook

    shutil.copyfile(root / "gradebook.db", dest)
    url = f"sqlite:///{dest}"
    with Gradebook(url, COURSE_ID) as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
    return url


def _grade_one(task: dict) -> dict:
    """Worker: autograde one submission in its own temporary course root; returns grades and timings."""
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    sid, a = task["student"], task["assignment"]
    _marker(task).touch()  # see _grade_all: tells a killed worker's task from those that had not started
    _scratch_folder(Path(task["work"]))
    _share_statement_cache()
    # with the OS sandbox, the submission's nbgrader course root is in the kernel box's exchange folder
    # (the one host folder the box sees); its gradebook never is
    exchange = kernel_zygote().exchange() if task.get("execute", True) else None
    mine = Path(task["work"]) / sid
    work = Path(exchange) / sid if exchange else mine
    for folder in {mine, work}:
        shutil.rmtree(folder, ignore_errors=True)
    mine.mkdir(parents=True)
    sub = work / "submitted" / sid / a
    sub.mkdir(parents=True)
    for f in Path(task["submitted"]).iterdir():
        if f.is_file() and not f.is_symlink() and f.name in (f"{a}.ipynb", "timestamp.txt"):
            shutil.copyfile(f, sub / f.name)
    db = mine / "gradebook.db"
    shutil.copyfile(task["template"], db)
    kernel_tmp = work / "tmp"
    kernel_tmp.mkdir()
    out_dir = work / "autograded" / sid / a
    deny = [] if exchange else task["deny"] + [str(work.parent)]  # in the box, none of these exists
    policy = {"mem_bytes": task["mem_bytes"], "allow_write": [str(out_dir), str(kernel_tmp)],
              "deny_read": deny,
              "allow_read": [str(out_dir), str(kernel_tmp), str(Path(__file__).with_name("__init__.py"))]}
    policy["env"] = {var: str(kernel_tmp) for var in ("TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR")}
    os.environ[POLICY_ENV] = json.dumps(policy)
    result = {"student": sid, "assignment": a, "has_notebook": (sub / f"{a}.ipynb").is_file(), "grades": {},
              "success": False, "log": ""}
    result["notes"] = repair_grade_cells(sub / f"{a}.ipynb", task["template"], a) if result["has_notebook"] else []
    if result["has_notebook"]:
        cfg = course_config(work, db_url=f"sqlite:///{db}", cell_timeout=task["cell_timeout"],
                            execute=task.get("execute", True),
                            deny_read=task["deny"] + [str(work.parent)], mem_bytes=task["mem_bytes"])
        try:
            res = _api(cfg).autograde(a, sid, force=True, create=True)
            result["success"], result["log"] = bool(res["success"]), (res.get("log") or "")[-4000:]
        except Exception as exc:  # noqa: BLE001 - whatever happens, the student still gets a row
            result["log"] = f"{type(exc).__name__}: {exc}"
        try:
            with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
                submission = gb.find_submission(a, sid)
                result["timestamp"] = submission.timestamp.isoformat() if submission.timestamp else None
                for nb in submission.notebooks:
                    result["grades"][nb.name] = {
                        g.name: {"auto_score": g.auto_score, "needs_manual_grade": g.needs_manual_grade}
                        for g in nb.grades}
                    result.setdefault("late_penalty", {})[nb.name] = nb.late_submission_penalty
        except Exception as exc:  # noqa: BLE001
            result["log"] += f"\nno grades: {type(exc).__name__}: {exc}"
    if exchange:
        # nothing of this submission may be alive when the next one's files arrive; then its outputs
        # leave the box's folder (links and special files stay behind: see _copy_outputs)
        kernel_zygote().sweep()
        if out_dir.is_dir():
            _copy_outputs(out_dir, mine / "autograded")
        shutil.rmtree(work, ignore_errors=True)
        out_dir = mine / "autograded"
    result["autograded"] = str(out_dir) if out_dir.is_dir() else None
    result["seconds"] = time.perf_counter() - t0
    return result


def _copy_outputs(src: Path, dest: Path) -> None:
    """Copy the autograded folder of a submission, plain files and folders only: a symbolic link (say, to
    the gradebook or to solutions/) or a FIFO left there by the submission's code is not followed."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            _copy_outputs(Path(entry.path), dest / entry.name)
        elif entry.is_file(follow_symlinks=False):
            shutil.copyfile(entry.path, dest / entry.name, follow_symlinks=False)


def repair_grade_cells(path: Path, db: str | Path, assignment: str) -> list[str]:
    """Make a submission's nbgrader metadata gradable; returns what was changed, one line each.

    nbgrader refuses a whole notebook (0 points, no feedback) whose cell metadata does not validate: a
    ``grade_id`` the student edited, a test cell duplicated or pasted in a second time.  Here every cell whose
    ``grade_id`` the assignment does not have, and every repeat of a ``grade_id``, becomes an ordinary cell
    (its code still runs, so functions defined in it still count); a test cell that is then missing is put
    back by :class:`~course_lib.grading.preprocessors.TrustedGrade`.  The notebook gets a first cell saying
    what was changed, which the student sees in the feedback."""
    import nbformat
    from nbgrader.api import Gradebook

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - not a notebook: nbgrader reports it, the student gets zeros
        return []
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        notebook = gb.find_notebook(path.stem, assignment)
        known = {c.name for c in notebook.source_cells} | {c.name for c in notebook.grade_cells}
    seen, notes = set(), []
    for k, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        why = None
        if not isinstance(grade_id, str) or grade_id not in known:
            why = f"cell {k + 1} has a grade_id the assignment does not have ({str(grade_id)[:40]!r})"
        elif grade_id in seen:
            why = f"cell {k + 1} repeats the cell {grade_id!r}"
        if why:
            del cell.metadata["nbgrader"]
            notes.append(why + ": graded as an ordinary cell")
        else:
            seen.add(grade_id)
    if notes:
        text = ("**Not graded normally.** The notebook's grading metadata had been changed, so some cells were "
                "graded as ordinary cells (their code still ran):\n\n" + "\n".join(f"- {n}" for n in notes[:20]))
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
        nbformat.write(nb, path)
    return notes


def _merge(root: Path, res: dict) -> None:
    """Write one worker's grades into the real gradebook (parent process only: the single writer)."""
    from nbgrader.api import Gradebook

    sid, a = res["student"], res["assignment"]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        gb.update_or_create_student(sid)
        ts = res.get("timestamp")
        submission = gb.update_or_create_submission(a, sid, **({"timestamp": ts} if ts else {}))
        for nb in submission.notebooks:
            grades = res["grades"].get(nb.name, {})
            for g in nb.grades:
                got = grades.get(g.name)
                if got is None or (got["auto_score"] is None and not got["needs_manual_grade"]):
                    g.auto_score, g.needs_manual_grade = 0.0, False
                else:
                    g.auto_score, g.needs_manual_grade = got["auto_score"], got["needs_manual_grade"]
            nb.late_submission_penalty = res.get("late_penalty", {}).get(nb.name)
        gb.db.commit()
    dest = root / "autograded" / sid / a
    if res.get("autograded"):
        if dest.exists():
            shutil.rmtree(dest)
        _copy_outputs(Path(res["autograded"]), dest)


def autograde(assignment: str, root: Path = COURSE_ROOT, students: list[str] | None = None,
              workers: int | None = None, cell_timeout: int = 30, mem_bytes: int = 2 << 30,
              execute: bool = True, progress=None) -> list[dict]:
    """Autograde every submission of ``assignment`` under ``submitted/`` (or only ``students``) in parallel.

    Returns one dict per student (grades, seconds, success, log). Every collected student ends up in the
    gradebook, with zeros where nothing could be graded.
    """
    root = Path(root).resolve()
    sub_root = root / "submitted"
    if students is None:
        students = sorted(p.name for p in sub_root.iterdir() if (p / assignment).is_dir()) \
            if sub_root.is_dir() else []
    workers = workers or os.cpu_count() or 1
    # the OS sandbox, decided once here (one warning line without it; an error if it is required): the
    # workers are then told to require it, so that none of them grades outside a box by accident
    boxed = box.enabled()
    if students:
        ensure_registered(assignment, root)
    deny = [str(root), str(SOLUTIONS.resolve()), str((REPO_ROOT / "course_lib" / "grading").resolve())]
    results = []
    with tempfile.TemporaryDirectory(prefix="course-autograde-") as work:
        _scratch_folder(Path(work))
        _share_statement_cache()  # the merges below open the real gradebook once per student
        template = Path(work) / "template.db"
        _template_db(root, assignment, template)
        jobs = Path(work) / "jobs"
        jobs.mkdir()
        tasks = [{"student": s, "assignment": assignment, "submitted": str(sub_root / s / assignment),
                  "work": str(jobs), "template": str(template), "deny": deny, "cell_timeout": cell_timeout,
                  "mem_bytes": mem_bytes, "execute": execute} for s in students]

        def done(res: dict) -> None:
            _merge(root, res)
            shutil.rmtree(jobs / res["student"], ignore_errors=True)
            results.append(res)
            if progress:
                progress(res)

        previous = os.environ.get(box.MODE_ENV)
        os.environ[box.MODE_ENV] = "require" if boxed else "off"
        try:
            _grade_all(tasks, workers, done)
        finally:
            if previous is None:
                os.environ.pop(box.MODE_ENV, None)
            else:
                os.environ[box.MODE_ENV] = previous
    return results


def _grade_all(tasks: list[dict], workers: int, done, grade=None) -> None:
    """Run :func:`_grade_one` on every task in a process pool and call ``done(result)`` for each, in completion
    order — even if a submission kills its worker process (the pool is then "broken" and every unfinished task
    fails with ``BrokenProcessPool``).

    Each task leaves a ``.started-<student>`` marker in its work folder. After a break, the tasks that had started
    but not finished (the killer, and at most ``workers - 1`` bystanders) are re-run one per single-worker pool:
    a task that breaks its own pool is the culprit and gets a zero row (``success=False`` and a log saying so);
    the tasks that had not started go back into a fresh pool.
    """
    import multiprocessing
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    grade = grade or _grade_one  # (a test passes a grader that fails on purpose)
    ctx = multiprocessing.get_context("spawn")
    pending = list(tasks)
    again: list[tuple[dict, dict]] = []
    while pending:
        broken = []
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx) as pool:
            futures = {pool.submit(grade, t): t for t in pending}
            for fut in as_completed(futures):
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    broken.append(futures[fut])
                    continue
                except Exception as exc:  # noqa: BLE001 - the grader's own failure: one more try below
                    res = _failed_row(futures[fut], f"the grader failed: {type(exc).__name__}: {exc}")
                if _grader_failed(res):
                    again.append((futures[fut], res))
                else:
                    done(res)
        started = [t for t in broken if _marker(t).exists()]
        pending = [t for t in broken if not _marker(t).exists()]
        for t in started:  # alone, so that a second break can only be this task's own doing
            _marker(t).unlink(missing_ok=True)
            t0 = time.perf_counter()
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                try:
                    res = pool.submit(grade, t).result()
                except BrokenProcessPool:
                    res = {"student": t["student"], "assignment": t["assignment"], "has_notebook": True, "grades": {},
                           "success": False, "autograded": None, "seconds": time.perf_counter() - t0,
                           "log": "the grading process was killed while running this submission (by the "
                                  "submission itself: it was run alone when it happened): graded 0"}
            done(res)
    # a notebook that nbgrader could not grade at all under load (it then leaves no autograded folder: a
    # kernel or sandbox that did not start in time, say) is graded once more, alone; what the second try
    # gives is final, and its log keeps the first try's reason
    for t, first in again:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            try:
                res = pool.submit(grade, t).result()
            except Exception as exc:  # noqa: BLE001 - BrokenProcessPool included: the first row stands
                res = _failed_row(t, f"{type(exc).__name__}: {exc}")
        res["log"] = f"graded twice; the first try failed with: {first['log'][-1500:]}\n--- second try ---\n" \
                     + res["log"]
        res["retried"] = True
        done(res)


def _failed_row(task: dict, log: str) -> dict:
    return {"student": task["student"], "assignment": task["assignment"], "has_notebook": True, "grades": {},
            "success": False, "autograded": None, "seconds": 0.0, "log": log}


def _grader_failed(res: dict) -> bool:
    """True if a submission with a notebook came back without any autograded notebook (nbgrader removes
    that folder when it fails to grade): the one case worth a second try."""
    return bool(res.get("has_notebook")) and not res.get("autograded")


def _marker(task: dict) -> Path:
    return Path(task["work"]) / f".started-{task['student']}"


# -------------------------------------------------------------------------------- feedback / export
def feedback(assignment: str, root: Path = COURSE_ROOT, students: list[str] | None = None) -> dict:
    """HTML feedback in ``feedback/<student>/<assignment>/`` (hidden tests and their tracebacks removed)."""
    api = _api(course_config(root))
    if students is None:
        return api.generate_feedback(assignment, force=True)
    logs = {}
    for s in students:
        logs[s] = api.generate_feedback(assignment, s, force=True)
    return logs


def export_csv(path: str | Path, root: Path = COURSE_ROOT, assignments=ASSIGNMENTS) -> list[dict]:
    """One row per student and assignment: the score of every part, total and maximum. Students without
    a submission get 0 (``submitted`` = no)."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}", COURSE_ID) as gb:
        known = {a.name for a in gb.assignments}
        for a in assignments:
            if a not in known:
                continue
            assignment = gb.find_assignment(a)
            cells = [(nb.name, gc.name, gc.max_score) for nb in assignment.notebooks for gc in nb.grade_cells]
            for student in sorted(gb.students, key=lambda s: s.id):
                row = {"student": student.id, "assignment": a}
                try:
                    sub = gb.find_submission(a, student.id)
                except MissingEntry:
                    sub = None
                total = 0.0
                for nb_name, cell, _ in cells:
                    score = 0.0
                    if sub is not None:
                        score = float(gb.find_grade(cell, nb_name, a, student.id).score or 0.0)
                    row[cell.removeprefix("test_")] = round(score, 3)
                    total += score
                row["total"] = round(total, 3)
                row["max"] = sum(m for _, _, m in cells)
                row["submitted"] = "yes" if sub is not None else "no"
                rows.append(row)
    fields = ["student", "assignment"] + sorted({k for r in rows for k in r} - {"student", "assignment", "total",
                                                                                  "max", "submitted"})
    fields += ["total", "max", "submitted"]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return rows
