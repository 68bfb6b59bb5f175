"""The sandbox does not hand the grader's oracles to a submission: not through ``import`` (the oracle modules
loaded for injection are not left in ``sys.modules``) and not through an injected function's ``__globals__``
(injected oracles are detached copies).  Without nbgrader: ``grade_cells`` on a solved BPTT notebook."""

from __future__ import annotations

import nbformat
import pytest

from course_lib.grading.judge import cells_for_grading, grade_cells
from course_lib.grading.pipeline import render_source

HEAD = "def rnn_step_backward(dh_next, cache):\n"
STEALS = {
    "imports the oracle module": HEAD + "    from course_lib.grading.oracles.rnn_steps import rnn_step_backward as f\n"
                                        "    return f(dh_next, cache)\n",
    "imports it with importlib": HEAD + "    import importlib\n"
                                        "    m = importlib.import_module('course_lib.grading.oracles.rnn_steps')\n"
                                        "    return m.rnn_step_backward(dh_next, cache)\n",
    "looks it up in sys.modules": HEAD + "    import sys\n"
                                         "    m = sys.modules['course_lib.grading.oracles.rnn_steps']\n"
                                         "    return m.rnn_step_backward(dh_next, cache)\n",
    "reaches it through the injected forward": HEAD + "    f = rnn_step_forward.__globals__['rnn_step_backward']\n"
                                                      "    return f(dh_next, cache)\n",
    "walks the course_lib package": HEAD + "    import course_lib.grading as g\n"
                                           "    return g.oracles.rnn_steps.rnn_step_backward(dh_next, cache)\n",
}


def _graded(source: str | None):
    nb = nbformat.reads(nbformat.writes(render_source("bptt")), as_version=4)
    if source is not None:
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_backward_solution":
                cell.source = source
    return grade_cells("bptt", cells_for_grading(nb, "bptt"), ["rnn_step_forward", "rnn_step_backward",
                                                                  "rnn_forward", "rnn_backward"])


def test_the_solution_still_gets_every_point():
    assert {p: r.fraction for p, r in _graded(None).items()} == {
        "rnn_step_forward": 1.0, "rnn_step_backward": 1.0, "rnn_forward": 1.0, "rnn_backward": 1.0}



@pytest.mark.parametrize("how", list(STEALS))
def test_a_submission_cannot_use_the_oracle_of_the_part_being_checked(how):
    res = _graded(STEALS[how])
    assert res["rnn_step_backward"].fraction == 0.0, res["rnn_step_backward"].report()
    # `from course_lib.grading import check` (the first cell) still runs in the sandbox: no error noted
    assert "code cell 0" not in res["rnn_step_backward"].report()
    # the parts that only use the (injected) oracle backward are not charged for it
    assert res["rnn_step_forward"].fraction == 1.0 and res["rnn_forward"].fraction == 1.0
