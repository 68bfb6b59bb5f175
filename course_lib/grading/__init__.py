"""Grading for the course's nbgrader assignments (BPTT, gating, CRF).

``check(assignment, part, function)`` runs the visible checks of one part on your own function and prints
what is wrong — it works on Binder without nbgrader.  The instructor side (release, collect, autograde,
feedback, export) is the command line ``python -m course_lib.grading --help``; see
:mod:`course_lib.grading.pipeline`.  How a grade is decided safely is explained in
:mod:`course_lib.grading.sandbox` and :mod:`course_lib.grading.judge`.
"""


def check(assignment, part, *functions, hidden=False):
    """Run the checks of ``part`` on your function(s); see :func:`course_lib.grading.judge.check`."""
    import os

    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"{part}: checked by the grader, in a sandbox, outside this notebook.")
        return None
    from course_lib.grading.judge import check as _check

    return _check(assignment, part, *functions, hidden=hidden)


__all__ = ["check"]
