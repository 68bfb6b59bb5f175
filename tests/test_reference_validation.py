"""Tests of course_lib.reference.validation (check_array, check_positive_int) and .gradcheck."""

import numpy as np
import pytest

from course_lib.reference.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from course_lib.reference.validation import check_array, check_positive_int


# ---------------------------------------------------------------------------------------- check_array
def test_message_names_symbolic_and_known_shape():
    dims = {"N": 2, "T": 5, "D": 3}
    with pytest.raises(ValueError) as info:
        check_array("x", np.zeros((2, 3)), ("N", "T", "D"), dims)
    assert str(info.value) == "x must have shape (N, T, D) = (2, 5, 3), got (2, 3)"


def test_symbols_are_recorded_and_enforced_across_calls():
    dims: dict[str, int] = {}
    W = np.zeros((4, 6))
    assert check_array("W", W, ("D", "H"), dims) is W
    assert dims == {"D": 4, "H": 6}
    check_array("x", np.zeros((2, 4)), ("N", "D"), dims)
    assert dims["N"] == 2
    with pytest.raises(ValueError, match=r"^b must have shape \(H,\) = \(6,\), got \(4,\)$"):
        check_array("b", np.zeros(4), ("H",), dims)
    with pytest.raises(ValueError, match=r"^Wh must have shape \(H, H\) = \(6, 6\), got \(6, 5\)$"):
        check_array("Wh", np.zeros((6, 5)), ("H", "H"), dims)


def test_same_symbol_twice_in_one_shape():
    # (the known part reads "(?, 3)" today: H is learnt from the first axis while the check runs)
    with pytest.raises(ValueError, match=r"^Wh must have shape \(H, H\) = .*, got \(3, 4\)$"):
        check_array("Wh", np.zeros((3, 4)), ("H", "H"))
    check_array("Wh", np.zeros((3, 3)), ("H", "H"))


def test_unknown_symbols_exact_ints_and_wildcards():
    with pytest.raises(ValueError, match=r"^x must have shape \(N, T, D\) = \(\?, \?, \?\), got \(2,\)$"):
        check_array("x", np.zeros(2), ("N", "T", "D"))
    with pytest.raises(ValueError, match=r"^y must have shape \(2, 3\), got \(2, 4\)$"):
        check_array("y", np.zeros((2, 4)), (2, 3))
    check_array("z", np.zeros((7, 3)), (None, 3))
    with pytest.raises(ValueError, match=r"^z must have shape \(\?, 3\), got \(7, 2\)$"):
        check_array("z", np.zeros((7, 2)), (None, 3))
    check_array("s", np.array(1.0), ())


def test_dtype_and_type_checks():
    check_array("a", np.zeros(2, np.float32), ("N",))
    with pytest.raises(ValueError, match="^a must be float32 or float64, got dtype int64$"):
        check_array("a", np.zeros(2, np.int64), ("N",))
    with pytest.raises(ValueError, match="^idx must hold integer indices, got dtype float64$"):
        check_array("idx", np.zeros(2), ("N",), kind="int")
    check_array("idx", np.zeros(2, np.int32), ("N",), kind="int")
    with pytest.raises(ValueError, match=r"^a must be a numpy array of shape \(N, D\), got list$"):
        check_array("a", [[1.0]], ("N", "D"))


def test_bool_kind_accepts_bool_and_0_1_ints_only():
    check_array("mask", np.array([True, False]), ("N",), kind="bool")
    check_array("mask", np.array([1, 0, 1]), ("N",), kind="bool")
    with pytest.raises(ValueError, match="boolean mask"):
        check_array("mask", np.array([1, 2]), ("N",), kind="bool")
    with pytest.raises(ValueError, match="boolean mask"):
        check_array("mask", np.array([1.0, 0.0]), ("N",), kind="bool")


def test_check_positive_int():
    assert check_positive_int("k", 3) == 3
    assert check_positive_int("k", np.int64(2)) == 2 and type(check_positive_int("k", np.int64(2))) is int
    assert check_positive_int("T", 0, minimum=0) == 0
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match=r"^k must be an integer >= 1, got "):
            check_positive_int("k", bad)


# ------------------------------------------------------------------------------------------ gradcheck
def test_numerical_gradient_of_known_function():
    x = np.array([[0.3, -1.2, 2.0], [0.0, 0.7, -0.4]])
    x_before = x.copy()
    f = lambda: np.sum(x**3) + np.sin(x[0, 1]) * x[1, 2]
    grad = numerical_gradient(f, x)
    exact = 3 * x**2
    exact[0, 1] += np.cos(x[0, 1]) * x[1, 2]
    exact[1, 2] += np.sin(x[0, 1])
    np.testing.assert_allclose(grad, exact, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)  # restored bit for bit
    assert grad.shape == x.shape


def test_numerical_gradient_is_second_order_accurate():
    x = np.array([1.0])
    err = [abs(numerical_gradient(lambda: np.exp(x[0]), x, h=h)[0] - np.e) for h in (1e-2, 1e-3)]
    assert err[1] < err[0] / 50  # O(h^2): a tenth of h gives ~1/100 of the error (one-sided would give 1/10)
    assert err[0] == pytest.approx(np.e * 1e-4 / 6, rel=1e-2)  # leading term f'''(x) h^2 / 6


def test_numerical_gradient_array_is_a_vector_jacobian_product():
    rng = np.random.default_rng(0)
    A, x, dout = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(4)
    grad = numerical_gradient_array(lambda: A @ x, x, dout)
    np.testing.assert_allclose(grad, A.T @ dout, rtol=1e-8)


def test_rel_error():
    a = np.array([1.0, 2.0, 0.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2, rel=1e-14)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([0.0]), np.array([1e-20])) == pytest.approx(1e-8, rel=1e-12)  # eps floor 1e-12
    assert rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))
