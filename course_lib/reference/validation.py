"""Input validation shared by the reference implementations.

Every public function checks its arrays with :func:`check_array` so that a wrong shape or dtype raises a
``ValueError`` that names the argument, the expected shape (with symbolic dimensions such as ``(N, T, D)``)
and what was received — instead of a broadcasting error ten lines deeper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Dim = int | str | None


def _fmt(shape: Sequence[Dim]) -> str:
    inner = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def check_array(
    name: str,
    x,
    shape: Sequence[Dim],
    dims: dict[str, int] | None = None,
    *,
    kind: str = "float",
) -> np.ndarray:
    """Check that ``x`` is an ndarray of the given symbolic ``shape`` and return it.

    Parameters
    ----------
    name : the argument's name, used in the error message.
    x : the value to check.
    shape : expected shape; each entry is an ``int`` (exact), a ``str`` symbol such as ``"N"`` (must agree
        with every other use of that symbol, recorded in ``dims``) or ``None`` (anything).
    dims : symbol table shared across the checks of one call; filled in as symbols are first seen.
    kind : ``"float"`` (float32/float64), ``"int"`` (any integer dtype) or ``"bool"`` (bool, or 0/1 ints).

    Raises
    ------
    ValueError naming the expected shape, e.g. ``x must have shape (N, T, D) = (2, 5, 3), got (2, 3)``.
    """
    if dims is None:
        dims = {}
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of shape {_fmt(shape)}, got {type(x).__name__}")
    if kind == "float" and x.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must be float32 or float64, got dtype {x.dtype}")
    if kind == "int" and not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{name} must hold integer indices, got dtype {x.dtype}")
    if kind == "bool":
        if x.dtype != np.bool_ and not (
            np.issubdtype(x.dtype, np.integer) and np.isin(x, (0, 1)).all()
        ):
            raise ValueError(f"{name} must be a boolean mask (bool or 0/1), got dtype {x.dtype}")
    ok = x.ndim == len(shape)
    if ok:  # record new symbols first, so a symbol used twice, as in (H, H), is checked against itself
        for i, d in enumerate(shape):
            if isinstance(d, str) and d not in dims:
                dims[d] = x.shape[i]
        ok = all(d is None or x.shape[i] == (dims[d] if isinstance(d, str) else d) for i, d in enumerate(shape))
    expected_known = [dims.get(d) if isinstance(d, str) else d for d in shape]
    if not ok:
        known = _fmt(expected_known)
        sym = _fmt(shape)
        detail = f"{sym} = {known}" if known != sym else sym
        raise ValueError(f"{name} must have shape {detail}, got {tuple(x.shape)}")
    return x


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer ``>= minimum``; raise ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
