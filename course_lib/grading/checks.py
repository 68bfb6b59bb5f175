"""What a check is, and how the judge compares a submission's arrays with the expected ones.

A :class:`Part` is one graded function of an assignment (one test cell in the notebook).  It owns a list
of :class:`Case` s (inputs; visible ones are small and run in the notebook, hidden ones only at grading) and
a ``verify(case, outputs) -> list[str]`` that returns the problems found, in words a student can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from course_lib.reference.gradcheck import numerical_gradient


@dataclass
class Case:
    """One set of inputs. ``hidden`` cases run only when the notebook is graded."""

    name: str
    inputs: dict
    hidden: bool = False
    weight: float = 1.0


@dataclass
class Part:
    """One graded function.

    name : the function (and driver) name, also the test cell's grade id ``test_<name>``.
    points : the cell's points; the score is points * (weight of passed cases / total weight).
    phase : sandbox phase; a part only gets oracles injected for functions checked in earlier phases.
    inject : names of lower-level functions replaced by the oracle versions while this part is checked
        (``name -> "module:attr"``), so that a mistake is charged to the part where it was made.
    """

    name: str
    points: float
    cases: Callable[[], list[Case]]
    verify: Callable[[Case, dict], list[str]]
    phase: int = 1
    inject: dict[str, str] = field(default_factory=dict)
    timeout: float = 20.0


def close(got, want, tol=1e-6) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return False
    return float(np.max(np.abs(got - want), initial=0.0)) <= tol * (1.0 + float(np.max(np.abs(want), initial=0.0)))


def compare(name: str, out: dict, want, variants: dict | None = None, tol=1e-6) -> list[str]:
    """Problems with ``out[name]`` compared to ``want``; ``variants`` maps a diagnosis to a mistaken value."""
    got = out.get(name)
    want = np.asarray(want, dtype=np.float64)
    if got is None:
        return [f"{name} is missing from what the function returned"]
    got = np.asarray(got)
    if got.shape != want.shape:
        if want.ndim == 2 and got.shape == want.T.shape:
            return [f"{name} has shape {got.shape} but should be {want.shape}: is it transposed?"]
        return [f"{name} has shape {got.shape} but should be {want.shape}"]
    if not np.all(np.isfinite(got)):
        return [f"{name} contains NaN or inf"]
    if close(got, want, tol):
        return []
    if want.ndim == 2 and want.shape[0] == want.shape[1] and close(got, want.T, tol):
        return [f"{name} is the transpose of the right answer"]
    for why, value in (variants or {}).items():
        if value is not None and np.shape(value) == want.shape and close(got, value, tol):
            return [f"{name} is wrong: {why}"]
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    return [f"{name} is wrong (largest absolute error {err:.3g})"]


def fd_grads(loss: Callable[[], float], arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Centred finite-difference gradients of a scalar loss with respect to each named array (in place)."""
    return {name: numerical_gradient(loss, arr) for name, arr in arrays.items()}


def rng_for(assignment: str, part: str, index: int) -> np.random.Generator:
    """A fixed generator per case, so that grading is reproducible."""
    seed = sum((i + 1) * ord(ch) for i, ch in enumerate(f"{assignment}/{part}/{index}"))
    return np.random.default_rng(seed)
