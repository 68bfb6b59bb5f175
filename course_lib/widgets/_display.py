"""Shared display plumbing: headless detection, figure -> PNG, and the static view used as a fallback.

A notebook must run top to bottom without a browser (CI, ``nbgrader autograde``): every widget then shows a
static picture or HTML instead of live controls. Figures are drawn with matplotlib's object API
(``matplotlib.figure.Figure``, no pyplot), so nothing depends on the notebook's matplotlib backend and no figure
is left open.
"""

from __future__ import annotations

import base64
import io
import os

from matplotlib.figure import Figure

STATIC_ENV = "COURSE_WIDGETS_STATIC"


def is_headless() -> bool:
    """True when interactive widgets cannot be shown: under nbgrader (``NBGRADER_EXECUTION`` set), when
    ``COURSE_WIDGETS_STATIC`` is ``1``/``true``/``yes``, or outside a Jupyter kernel (plain Python, pytest)."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return True
    if os.environ.get(STATIC_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return True
    shell = get_ipython()
    return shell is None or not hasattr(shell, "kernel")


def want_static(static: bool | None) -> bool:
    """``static`` if given, else :func:`is_headless`."""
    return is_headless() if static is None else bool(static)


def figure_png(fig: Figure, dpi: int = 72) -> bytes:
    """PNG bytes of a matplotlib figure (Agg, whatever the notebook's backend; light compression for speed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def png_img_tag(png: bytes, alt: str = "") -> str:
    """An ``<img>`` tag with the PNG inlined as base64."""
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/>'


class StaticView:
    """What a widget shows without a frontend: a matplotlib ``figure`` and/or an ``html`` string (which may hold
    inline SVG).

    Displays as HTML (figure inlined as PNG, then the HTML) and as PNG when there is a figure; ``figure`` stays
    available for tests and for saving (``view.figure.savefig(...)``), and ``data`` holds what was drawn when
    the picture is SVG (e.g. the explorer's :class:`~course_lib.widgets.svgplot.Panel` list).
    """

    def __init__(self, figure: Figure | None = None, html: str = "", title: str = "", data=None) -> None:
        if figure is None and not html:
            raise ValueError("a static view needs a figure or some HTML")
        self.figure, self.html, self.title, self.data = figure, html, title, data
        self._png: bytes | None = None

    def png(self) -> bytes | None:
        if self.figure is not None and self._png is None:
            self._png = figure_png(self.figure)
        return self._png

    def _repr_html_(self) -> str:
        head = f"<div><b>{self.title}</b> (static view)</div>" if self.title else ""
        img = png_img_tag(self.png(), self.title) if self.figure is not None else ""
        return head + img + self.html

    def _repr_png_(self) -> bytes | None:
        return self.png()

    def __repr__(self) -> str:
        return f"StaticView({self.title!r}, figure={self.figure is not None}, html={len(self.html)} chars)"
