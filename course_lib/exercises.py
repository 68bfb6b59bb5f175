"""Self-checking exercises and "check your understanding" questions for the lectures.

Two kinds, both kept in :mod:`course_lib.exercise_bank` so that the expected answer is never in the notebook:

* **Numeric / array exercises.** The learner writes an answer and calls ``check("l1.mle", answer_1, ...)``;
  the verdict is one line. The expected value is computed by ``course_lib`` code in the bank (from the
  lecture's objects, passed as keyword arguments when the answer depends on them) and is never printed. A wrong
  answer gets the exercise's hint; ``solution("l1.mle")`` prints the worked solution on request.
* **Multiple-choice questions.** ``ask("l1.q.sparsity", ...)`` shows questions: in JupyterLab as radio buttons
  with a *Check* and a *Show solution* button; headless (tests, nbgrader, ``static=True``) as text, answered with
  ``check("l1.q.sparsity", "b")``.

With the answer left as ``None`` a check says "not attempted" instead of failing, so every lecture runs top to
bottom. The older form ``check(name, answer, expected, hint=...)`` (expected value given by the caller) still
works for notebooks written against it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

__all__ = ["ask", "check", "compare", "solution"]

_MISSING = object()


def compare(answer, expected, rtol: float = 1e-6, atol: float = 1e-9) -> tuple[bool, str]:
    """``(ok, why)``: numbers and arrays with ``np.allclose`` (shapes must agree), anything else with ``==``;
    ``why`` explains a shape mismatch or a failed comparison without showing ``expected``'s value."""
    try:
        a, e = np.asarray(answer), np.asarray(expected)
        if a.dtype.kind in "biuf" and e.dtype.kind in "biuf":
            if a.shape != e.shape:
                return False, f"expected an answer of shape {e.shape}, got {a.shape}. "
            return bool(np.allclose(a, e, rtol=rtol, atol=atol)), ""
        return bool(answer == expected), ""
    except Exception as exc:  # a malformed answer is a wrong answer, with the reason
        return False, f"could not compare ({type(exc).__name__}: {exc}). "


def check(key: str, answer, expected=_MISSING, *, rtol: float | None = None, atol: float | None = None,
          hint: str = "", **context) -> bool | None:
    """Check ``answer`` and print a one-line verdict; returns True / False, or None if ``answer`` is None.

    ``key`` names an exercise or question of :mod:`course_lib.exercise_bank` (``context``: the lecture objects
    its answer is computed from). Legacy form: ``check(name, answer, expected, hint=...)``.
    """
    from course_lib.exercise_bank import lookup

    item = lookup(key) if expected is _MISSING else None   # None: the legacy form, expected value given
    name = key if item is None else item.title
    if answer is None:
        print(f"[ ] {name}: not attempted yet — replace None with your answer and re-run this cell.")
        return None
    if item is None:
        ok, why = compare(answer, expected, rtol=1e-6 if rtol is None else rtol, atol=1e-9 if atol is None else atol)
    elif item.choices:
        letter = str(answer).strip().lower()
        if letter not in item.letters():
            print(f"[!] {name}: answer with one of {', '.join(item.letters())}.")
            return False
        ok, why = letter == item.correct, ""
    else:
        ok, why = compare(answer, item.expected(**context), rtol=item.rtol if rtol is None else rtol,
                          atol=item.atol if atol is None else atol)
    if item is not None:
        hint = f'{item.hint} (worked solution: solution("{key}"))'
    print(f"[{'x' if ok else '!'}] {name}: " + ("correct" if ok else f"not yet. {why}{hint}".rstrip()))
    return ok


def solution(key: str) -> None:
    """Print the worked solution of exercise or question ``key`` (on request: the lecture never calls it)."""
    from course_lib.exercise_bank import lookup

    item = lookup(key)
    print(f"{item.title}\n\n{item.solution}")


def ask(*keys: str, static: bool | None = None):
    """Show the multiple-choice questions ``keys``: a widget with radio buttons, *Check* and *Show solution* per
    question in JupyterLab; the questions as text when headless (answer them with ``check(key, "a")``)."""
    from course_lib.exercise_bank import lookup
    from course_lib.widgets._display import want_static

    items = [lookup(k) for k in keys]
    for k, item in zip(keys, items, strict=True):
        if not item.choices:
            raise ValueError(f"{k} is not a multiple-choice question")
    if want_static(static):
        return _StaticQuiz(list(keys), items)
    import ipywidgets as widgets

    # A long choice wraps onto several lines; ipywidgets gives each radio label one line's fixed height, so
    # without this the wrapped lines would overlap the next choice.
    style = widgets.HTML("<style>.course-quiz .widget-radio-box label {height: auto; min-height: "
                         "var(--jp-widgets-radio-item-height); line-height: 1.4; white-space: normal; display: flex; "
                         "align-items: flex-start; gap: 4px; padding: 2px 0}"
                         ".course-quiz .widget-radio-box label input {order: -1; flex: none; margin-top: 0.2em}"
                         ".course-quiz .widget-html-content {line-height: 1.45}</style>",
                         layout=widgets.Layout(height="0px", margin="0"))
    boxes = [style]
    for item in items:
        radio = widgets.RadioButtons(options=[(f"{ltr}) {c}", ltr) for ltr, c in zip(item.letters(), item.choices,
                                                                                    strict=True)],
                                     value=None, layout=widgets.Layout(width="auto"))
        verdict, sol = widgets.HTML(), widgets.HTML()
        check_b = widgets.Button(description="Check", button_style="primary")
        show_b = widgets.Button(description="Show solution")

        def on_check(_b, item=item, radio=radio, verdict=verdict):
            if radio.value is None:
                verdict.value = "<i>pick an answer first</i>"
            elif radio.value == item.correct:
                verdict.value = "<b style='color:#1a7f37'>correct</b>"
            else:
                verdict.value = f"<b style='color:#b00'>not yet.</b> {html.escape(item.hint)}"

        def on_show(_b, item=item, sol=sol):
            sol.value = f"<div style='background:#f6f8fa;padding:6px'>{html.escape(item.solution)}</div>"

        check_b.on_click(on_check)
        show_b.on_click(on_show)
        box = widgets.VBox([widgets.HTML(f"<b>{html.escape(item.title)}</b>: {html.escape(item.prompt)}"), radio,
                            widgets.HBox([check_b, show_b]), verdict, sol])
        box.add_class("course-quiz-question")
        boxes.append(box)
    out = widgets.VBox(boxes, layout=widgets.Layout(max_width="100%"))
    out.add_class("course-quiz")
    return out


class _StaticQuiz:
    """The questions as text (and HTML), for headless runs."""

    def __init__(self, keys: Sequence[str], items) -> None:
        self.keys, self.items = list(keys), list(items)

    def text(self) -> str:
        parts = []
        for k, item in zip(self.keys, self.items, strict=True):
            opts = "\n".join(f"   {ltr}) {c}" for ltr, c in zip(item.letters(), item.choices, strict=True))
            parts.append(f"{item.title}: {item.prompt}\n{opts}\n   -> check(\"{k}\", \"a\"), solution(\"{k}\")")
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.text()) + "</pre>"
