"""The judge: decides the score of every part of a submission, outside the student's kernel.

``grade_cells(assignment, cells)`` takes the code cells of a submitted notebook (as text), runs them in the
sandbox (:mod:`course_lib.grading.sandbox`) phase by phase, and compares what the functions returned with
the oracles of the assignment's spec (``spec_<assignment>.py``).  For each part it returns a
:class:`PartResult`: the fraction of the (weighted) cases passed, and one line per case saying what is
wrong.  Hidden cases are reported by name and diagnosis only — never with their inputs or code.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.grading.sandbox import REPO_ROOT, Zygote, oracle_sources
from course_lib.grading.sandbox import _describe as describe_error

ASSIGNMENTS = ("bptt", "gating", "crf")
MAX_RESULT_BYTES = 32 << 20
_ZYGOTE: Zygote | None = None


def spec(assignment: str):
    """The spec module of an assignment (``PARTS``: name -> Part)."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; expected one of {ASSIGNMENTS}")
    return importlib.import_module(f"course_lib.grading.spec_{assignment}")


@dataclass
class PartResult:
    """Outcome of one part: ``fraction`` of the weighted cases passed and a report line per case."""

    part: str
    points: float
    fraction: float = 0.0
    lines: list[str] = field(default_factory=list)

    visible_only: bool = False  # a self-check without the hidden cases

    @property
    def score(self) -> float:
        return round(self.points * self.fraction, 4)

    def report(self) -> str:
        head = f"{self.part}: {self.score:g} / {self.points:g} points"
        if self.visible_only:
            head += (" on the visible checks only (a self-check, not your grade: the grader also runs hidden "
                     "checks)")
        return "\n".join([head] + ["  " + line for line in self.lines])

    def _ipython_display_(self):
        """Shown as nothing in a notebook: :func:`check` has already printed the report."""


class CheckFailed(AssertionError):
    """A self-check that failed.  In IPython it shows as its one-line message, not as a traceback through the
    grader's code (the report above it says what is wrong)."""

    def _render_traceback_(self):
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


def verify_case(part, case, outputs: dict | None, error: str | None) -> list[str]:
    """Problems of one case (empty list: passed)."""
    if outputs is None:
        return [error or "no result (the code did not run to this point)"]
    try:
        return list(part.verify(case, outputs))
    except Exception as exc:  # noqa: BLE001 - a malformed output must not stop grading
        return [f"the result could not be checked ({type(exc).__name__}: {exc})"]


def _merge(problems: list[str]) -> list[str]:
    """Group 'X is wrong: why' lines that share the same diagnosis: 'X, Y are wrong: why'."""
    groups: dict[str, list[str]] = {}
    for p in problems:
        name, sep, why = p.partition(" is wrong: ")
        key = why if sep else p
        groups.setdefault(key, []).append(name if sep else p)
    merged = []
    for key, names in groups.items():
        if len(names) == 1:
            merged.append(f"{names[0]} is wrong: {key}" if names[0] != key else key)
        else:
            merged.append(f"{', '.join(names)} are wrong: {key}")
    return merged


def summarise(part, cases_with_problems) -> PartResult:
    res = PartResult(part.name, float(part.points))
    total = sum(c.weight for c, _ in cases_with_problems) or 1.0
    passed = 0.0
    for case, problems in cases_with_problems:
        tag = "hidden check" if case.hidden else "check"
        if problems:
            res.lines.append(f"FAIL {tag} '{case.name}': " + "; ".join(_merge(problems)[:3]))
        else:
            passed += case.weight
            res.lines.append(f"ok   {tag} '{case.name}'")
    res.fraction = passed / total
    return res


def _regular(path: Path) -> bool:
    """A plain file, not a link: the submission's code can leave a symlink (to a host file) or a FIFO (whose
    reading would block the judge) in its output folder; neither is a result."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _load(stem: Path) -> tuple[dict | None, str | None, list[str]]:
    status_path, npz_path = stem.with_suffix(".json"), stem.with_suffix(".npz")
    status = {}
    try:
        if _regular(status_path) and status_path.stat().st_size < 1 << 20:
            status = json.loads(status_path.read_text())
    except (OSError, ValueError):
        status = {}
    if not isinstance(status, dict):
        status = {}
    violations = [str(v) for v in status.get("violations", [])][:5] if isinstance(status.get("violations"), list) \
        else []
    if not status.get("ok"):
        return None, str(status.get("error", "no result"))[:400], violations
    if not _regular(npz_path):
        return None, "the result is not a plain file", violations
    try:
        if npz_path.stat().st_size > MAX_RESULT_BYTES:
            return None, "the function returned far too much data", violations
        with np.load(npz_path, allow_pickle=False) as data:
            return {k: np.array(data[k]) for k in data.files}, None, violations
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        return None, f"the result could not be read ({type(exc).__name__})", violations


def _deny_roots(extra: list[str]) -> list[str]:
    roots = [str(REPO_ROOT)] + [p for p in os.environ.get("COURSE_GRADING_DENY", "").split(os.pathsep) if p]
    return roots + list(extra)


def grade_cells(assignment: str, cells: list, parts: list[str] | None = None, *,
                include_hidden: bool = True, deny: list[str] | None = None,
                mem_bytes: int = 2 << 30, cell_seconds: float = 10.0) -> dict[str, PartResult]:
    """Grade a submission; returns part name -> PartResult (every part of the spec, or of ``parts``).

    ``cells``: what :func:`cells_for_grading` returns, or plain code strings (checks then run at the end).
    """
    cells = [tuple(c) if isinstance(c, (tuple, list)) else ("code", c) for c in cells]
    global _ZYGOTE
    if _ZYGOTE is None:
        _ZYGOTE = Zygote()
    mod = spec(assignment)
    names = parts or list(mod.PARTS)
    selected = {n: mod.PARTS[n] for n in names}
    cases = {n: [c for c in p.cases() if include_hidden or not c.hidden] for n, p in selected.items()}
    allow_read = sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(np.__file__)})
    results: dict[str, list] = {n: [] for n in names}
    cell_notes: dict[str, list[str]] = {}
    skip_cells: set[int] = set()
    # in the OS sandbox, the zygote's box sees only its exchange folder: the phase folders go there
    with tempfile.TemporaryDirectory(prefix="course-judge-", dir=_ZYGOTE.exchange()) as tmp:
        tmp = Path(tmp)
        for phase in sorted({p.phase for p in selected.values()}):
            in_phase = [p for p in selected.values() if p.phase == phase]
            out = tmp / f"phase{phase}"
            out.mkdir()
            os.chmod(out, 0o777)
            req = {"cells": list(cells), "mem_bytes": mem_bytes,
                   "deny_read": _deny_roots((deny or []) + [str(tmp)]), "allow_read": allow_read,
                   "cpu_seconds": int(sum(p.timeout for p in in_phase) + 30), "cell_seconds": cell_seconds,
                   "skip_cells": sorted(skip_cells),
                   "parts": [{"name": p.name, "inject": p.inject, "case_seconds": p.timeout,
                              "cases": [(k, c.inputs) for k, c in enumerate(cases[p.name])]} for p in in_phase],
                   "oracle_sources": oracle_sources()}
            n_code = sum(1 for kind, _ in cells if kind == "code")
            timeout = 15.0 + sum(p.timeout * (2 if p.inject else 1) for p in in_phase) + cell_seconds * min(n_code, 6)
            status = _ZYGOTE.run(pickle.dumps(req), str(out), timeout)
            if status["status"] == "ok" and not (out / "done.json").is_file():
                status = {"status": "died", "code": status.get("code")}  # os._exit(0) from the submission
            cells_info = {}
            try:
                if _regular(out / "cells.json") and (out / "cells.json").stat().st_size < 1 << 20:
                    cells_info = json.loads((out / "cells.json").read_text())
            except (OSError, ValueError):
                pass
            if isinstance(cells_info, dict) and isinstance(cells_info.get("timeouts"), list):
                skip_cells |= {int(k) for k in cells_info["timeouts"] if isinstance(k, int)}
            for p in in_phase:
                for k, case in enumerate(cases[p.name]):
                    best = None
                    for label in ("own", "injected") if p.inject else ("own",):
                        outputs, error, violations = _load(out / f"{p.name}__{k}__{label}")
                        if outputs is None and error == "no result":
                            error = {"timeout": "the code did not finish in time (infinite loop?)",
                                     "died": "the process running the code died (os._exit, a crash or "
                                             "running out of memory)"}.get(status["status"], error)
                        problems = verify_case(p, case, outputs, error)
                        if violations:
                            problems = [f"not allowed: {v}" for v in violations] + ["0 points for this case"]
                        if best is None or (not problems and best):
                            best = problems
                    results[p.name].append((case, best))
            errors = cells_info.get("errors", []) if isinstance(cells_info, dict) else []
            for p in in_phase:
                cell_notes[p.name] = [str(e)[:300] for e in errors[:3]] if isinstance(errors, list) else []
    report = {}
    for n, p in selected.items():
        report[n] = summarise(p, results[n])
        if report[n].fraction < 1.0:
            report[n].lines += [f"note: {e}" for e in cell_notes.get(n, [])]
    return report


# ----------------------------------------------------------------------------------------- self-study
def check(assignment: str, part: str, *functions, hidden: bool = False) -> PartResult:
    """Run the checks of one part on your own functions and print what is wrong (no nbgrader needed).

    ``check("bptt", "rnn_step_backward", rnn_step_backward)``: the other functions a part needs (here
    ``rnn_step_forward``) are looked up where the given function was defined (your notebook).
    Raises ``AssertionError`` if a check fails.  While a notebook is being autograded
    (``NBGRADER_EXECUTION=autograde``) it only prints a note: the grader runs the checks itself, in a
    sandbox, on a copy of your code.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"{part}: checked by the grader outside this notebook.")
        return PartResult(part, 0.0)
    from course_lib.grading import drivers

    mod = spec(assignment)
    if part not in mod.PARTS:
        raise ValueError(f"assignment {assignment!r} has no part {part!r}; parts: {list(mod.PARTS)}")
    p = mod.PARTS[part]
    ns: dict = {}
    for fn in functions:
        ns.update(getattr(fn, "__globals__", {}))
    for fn in functions:
        ns[getattr(fn, "__name__", part)] = fn
    if functions and getattr(functions[0], "__name__", None) != part:
        ns[part] = functions[0]
    driver = getattr(drivers, part)
    checked = []
    for case in p.cases():
        if case.hidden and not hidden:
            continue
        try:
            outputs, error = driver(ns, pickle.loads(pickle.dumps(case.inputs))), None
        except Exception as exc:  # noqa: BLE001 - report the student's error as a failed check
            outputs, error = None, describe_error(exc)
        checked.append((case, verify_case(p, case, outputs, error)))
    res = summarise(p, checked)
    res.visible_only = not hidden
    print(res.report())
    if res.fraction < 1.0:
        raise CheckFailed(f"{part}: {sum(1 for _, pr in checked if pr)} of {len(checked)} checks failed "
                          "(see above)")
    return res


def cells_for_grading(nb, assignment: str) -> list[tuple[str, str]]:
    """What the sandbox runs, in notebook order: ``("code", source)`` for every code cell except test cells
    and the spec's ``SKIP_CELLS`` (demonstrations; cells a student added are included), and
    ``("test", part)`` where the test cell of a part stands — its checks run at that point, as in the
    notebook, so that code further down (even ``os._exit``) cannot affect them."""
    skip = getattr(spec(assignment), "SKIP_CELLS", set())
    items = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            grade_id = str(meta.get("grade_id", ""))
            if grade_id.startswith("test_"):
                items.append(("test", grade_id.removeprefix("test_")))
            continue
        if meta.get("grade_id") in skip:
            continue
        items.append(("code", cell.source))
    return items
