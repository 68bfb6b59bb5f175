"""Self-checking exercises for the lectures: ``check(...)`` prints whether an answer is right and a hint if not.

Lectures end with small exercises. A learner writes an answer in a cell and calls :func:`check`; with the answer
left as ``None`` the check says "not attempted" instead of failing, so every lecture still runs top to bottom.
The expected value is computed by the lecture from ``course_lib`` (never typed in), so the check is only as
strong as that code — which the test suite verifies.
"""

from __future__ import annotations

import numpy as np


def check(name: str, answer, expected, *, rtol: float = 1e-6, atol: float = 1e-9, hint: str = "") -> bool | None:
    """Compare ``answer`` with ``expected`` and print a one-line verdict.

    Numbers and arrays are compared with ``np.allclose(rtol, atol)`` (shapes must agree); anything else with
    ``==``. Returns True / False, or None when ``answer`` is None (not attempted).
    """
    if answer is None:
        print(f"[ ] {name}: not attempted yet — replace None with your answer and re-run this cell.")
        return None
    try:
        a, e = np.asarray(answer), np.asarray(expected)
        if a.dtype.kind in "biuf" and e.dtype.kind in "biuf":
            ok = a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))
            if a.shape != e.shape:
                hint = f"expected shape {e.shape}, got {a.shape}. " + hint
        else:
            ok = bool(answer == expected)
    except Exception as exc:  # a malformed answer is a wrong answer, with the reason
        ok, hint = False, f"could not compare ({exc}). " + hint
    print(f"[{'x' if ok else '!'}] {name}: {'correct' if ok else 'not yet. ' + hint}".rstrip())
    return ok
