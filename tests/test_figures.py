"""The course's diagrams (course_lib.figures): what each draws, bad input refused, and the CRF trellis's path
checked against brute-force enumeration of every tag sequence."""

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_lib import figures


@pytest.mark.parametrize("T", [2, 4, 6])
def test_unrolled_rnn_draws_one_column_per_step(T):
    fig = figures.unrolled_rnn(T)
    parts = fig.course_parts
    assert isinstance(fig, Figure) and parts["T"] == T
    for t in range(1, T + 1):
        assert {f"$x_{t}$", f"$h_{t}$", f"$y_{t}$"} <= set(parts["boxes"])
    assert len(parts["boxes"]) == 3 + 3 * T + 1            # folded x/h/y, T columns, h_0
    assert parts["arrows"] == 3 + 2 * T + (T - 1) + 1      # folded 3, per step up 2, recurrences, from h_0


def test_stacked_and_bidirectional():
    st = figures.stacked_rnn(3, layers=3).course_parts
    assert len(st["boxes"]) == 3 * (3 + 2) and "$h^{(3)}_3$" in st["boxes"]
    bi = figures.bidirectional_rnn(3).course_parts
    assert {"$h^f_2$", "$h^b_2$"} <= set(bi["boxes"]) and bi["arrows"] == 4 * 3 + 2 * 2


def test_cells_name_their_gates():
    assert figures.lstm_cell().course_parts["gates"] == ["f", "i", "g", "o"]
    gru = figures.gru_cell().course_parts
    assert gru["gates"] == ["r", "z"] and "1−" in gru["ops"]


@pytest.mark.parametrize("seed", range(5))
def test_crf_trellis_path_is_the_brute_force_argmax(seed):
    rng = np.random.default_rng(seed)
    T, K = 4, 3
    E, A, s, e = rng.normal(size=(T, K)), rng.normal(size=(K, K)), rng.normal(size=K), rng.normal(size=K)
    fig = figures.crf_trellis([f"w{t}" for t in range(T)], ["A", "B", "C"], E, A, s, e)

    def score(y):
        return s[y[0]] + sum(E[t, y[t]] for t in range(T)) + sum(A[y[t - 1], y[t]] for t in range(1, T)) + e[y[-1]]

    best = max(itertools.product(range(K), repeat=T), key=score)
    assert tuple(fig.course_parts["path"]) == best
    assert fig.course_parts["score"] == pytest.approx(score(best))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"shape \(T, K\) = \(2, 3\)"):
        figures.crf_trellis(["a", "b"], ["A", "B", "C"], np.zeros((3, 3)), np.zeros((3, 3)), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="T must be an int"):
        figures.unrolled_rnn(1)
    with pytest.raises(ValueError, match="layers must be"):
        figures.stacked_rnn(3, layers=0)
