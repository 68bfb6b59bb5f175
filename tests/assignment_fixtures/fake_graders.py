"""Graders for tests of the grading pool (``pipeline._grade_all``): importable by the spawned workers."""

from __future__ import annotations

import os
from pathlib import Path


def _row(task: dict, autograded: str | None, log: str = "") -> dict:
    return {"student": task["student"], "assignment": task["assignment"], "has_notebook": True, "grades": {},
            "success": autograded is not None, "autograded": autograded, "seconds": 0.0, "log": log}


def fails_first_try(task: dict) -> dict:
    """Like a kernel that did not start in time once: no autograded folder on the first call per student."""
    tries = Path(task["work"]) / f"tries-{task['student']}"
    n = int(tries.read_text()) if tries.exists() else 0
    tries.write_text(str(n + 1))
    if n == 0:
        return _row(task, None, "RuntimeError: Kernel didn't respond in 60 seconds")
    return _row(task, str(Path(task["work"]) / task["student"]), "graded")


def raises(task: dict) -> dict:
    raise FileNotFoundError(f"no template for {task['student']}")


def kills_itself_if_bad(task: dict) -> dict:
    (Path(task["work"]) / f".started-{task['student']}").touch()  # as pipeline._grade_one does
    if task["student"] == "bad":
        os._exit(3)
    return _row(task, str(Path(task["work"]) / task["student"]), "graded")
