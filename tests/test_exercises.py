import numpy as np

from course_lib.exercises import check


def test_check_verdicts(capsys):
    assert check("a", None, 1.0) is None
    assert check("b", 0.5, 0.5 + 1e-12) is True
    assert check("c", 0.5, 0.6, hint="count again") is False
    assert check("d", np.ones(3), np.ones(4)) is False
    assert check("e", "NOUN", "NOUN") is True
    assert check("f", [1, 2], "x") is False
    out = capsys.readouterr().out
    assert "not attempted" in out and "count again" in out and "expected shape (4,)" in out
