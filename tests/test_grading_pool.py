"""The grading pool (``pipeline._grade_all``): every student gets exactly one row, a grader-side failure gets
one second try (alone), and a submission that kills its worker never costs another student their grade."""

from __future__ import annotations

import sys
from pathlib import Path

from course_lib.grading import pipeline

sys.path.insert(0, str(Path(__file__).parent))
from assignment_fixtures import fake_graders  # noqa: E402


def _tasks(tmp_path, students):
    return [{"student": s, "assignment": "bptt", "work": str(tmp_path)} for s in students]


def _run(tmp_path, students, grade):
    rows = []
    pipeline._grade_all(_tasks(tmp_path, students), 2, rows.append, grade=grade)
    return {r["student"]: r for r in rows}


def test_a_grader_failure_is_graded_once_more_and_says_so(tmp_path):
    rows = _run(tmp_path, ["ann", "bob", "cy"], fake_graders.fails_first_try)
    assert sorted(rows) == ["ann", "bob", "cy"]
    for s, r in rows.items():
        assert r["success"] and r["autograded"] and r["retried"]
        assert "Kernel didn't respond" in r["log"] and r["log"].endswith("graded")
        assert (tmp_path / f"tries-{s}").read_text() == "2"  # twice, never more


def test_a_grader_that_raises_gives_a_zero_row_after_two_tries(tmp_path):
    rows = _run(tmp_path, ["ann", "bob"], fake_graders.raises)
    assert sorted(rows) == ["ann", "bob"]
    for s, r in rows.items():
        assert not r["success"] and r["autograded"] is None and r["grades"] == {}
        assert r["log"].count(f"no template for {s}") == 2


def test_a_worker_killer_is_graded_zero_and_nobody_else_is_touched(tmp_path):
    students = ["a1", "a2", "bad", "a3", "a4"]
    rows = _run(tmp_path, students, fake_graders.kills_itself_if_bad)
    assert sorted(rows) == sorted(students)
    assert not rows["bad"]["success"] and "killed" in rows["bad"]["log"]
    assert all(rows[s]["success"] and not rows[s].get("retried") for s in students if s != "bad")
