"""Vanishing/exploding-gradient explorer (deck 000 Part 2 and Part 3; Pascanu, Mikolov & Bengio 2013).

Four panels (two rows of inline SVG in the live widget), recomputed from the NumPy reference
(:mod:`course_lib.widgets.gradients`) when a control they depend on moves:

1. ``||dL/dh_t||`` (or ``||∂h_T/∂h_t||_2``) against t on a log scale for several cells side by side, with the
   ``rho^(T-t)`` line of a linear RNN;
2. the eigenvalues of the recurrent matrix against the unit circle;
3. and 4. a short SGD run of a tanh RNN with and without gradient-norm clipping: gradient norm per update
   (before / after clipping) and loss.

The panels are data (:class:`~course_lib.widgets.svgplot.Panel`) drawn by :mod:`course_lib.widgets.svgplot`:
a few milliseconds per row, so an update costs about what its NumPy compute costs (matplotlib's Agg took
~0.3 s per update; ``benchmarks/bench_widgets.py``). Use :func:`vanishing_gradient_explorer` in a notebook: it
returns the live widget, or a :class:`StaticView` (the same SVG) when there is no frontend (nbgrader, CI) or
with ``static=True``.
"""

from __future__ import annotations

import html
import time
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from course_lib.widgets._display import StaticView, want_static
from course_lib.widgets.gradients import (
    CELL_LABELS,
    CELLS,
    INITS,
    clipping_trace,
    gradient_norms_through_time,
    recurrent_eigenvalues,
)
from course_lib.widgets.svgplot import Panel, render_row

__all__ = [
    "VanishingGradientExplorer", "clipping_panels", "explorer_panels", "explorer_svg", "gradient_panels",
    "vanishing_gradient_explorer",
]

COLOURS = {"tanh": "C0", "relu": "C1", "linear": "C2", "lstm": "C3", "gru": "C4"}
FLOOR, CEIL = 1e-30, 1e30  # display range of the log plots; beyond it a value is marked off scale (svgplot)
NORMS = {"loss": "‖∂L/∂h_t‖, L = u·h_T", "spectral": "‖∂h_T/∂h_t‖₂ (full Jacobian)"}
NORMS_AT_1 = {"loss": "‖∂L/∂h₁‖", "spectral": "‖∂h_T/∂h₁‖₂"}  # what the status line reports per cell
PANEL_WIDTH, ROW_HEIGHT = 500, 330  # pixels of one panel; two side by side, or stacked in a narrow notebook


@lru_cache(maxsize=128)
def _norms(cell: str, T: int, H: int, radius: float, forget_bias: float, seed: int, init: str, norm: str):
    """Cached :func:`gradient_norms_through_time` (with the LSTM's cell path); read-only arrays."""
    if cell == "lstm":
        h, c = gradient_norms_through_time(cell, T, H, radius, forget_bias, seed, init=init, norm=norm,
                                           return_cell=True)
    else:
        h, c = gradient_norms_through_time(cell, T, H, radius, forget_bias, seed, init=init, norm=norm), None
    for a in (h, c):
        if a is not None:
            a.flags.writeable = False
    return h, c


def _shown(v: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(v, nan=CEIL, posinf=CEIL), FLOOR, CEIL)


def gradient_panels(cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                    forget_bias: float = 1.0, seed: int = 0, init: str = "orthogonal",
                    norm: str = "loss") -> tuple[Panel, Panel, dict]:
    """Panels 1-2: gradient norms against t (log scale) and the eigenvalues of ``W_h`` against the unit circle.

    Returns ``(panel_gradients, panel_eigenvalues, summary)`` with ``summary = {cell: ||dL/dh_1||}`` (the gradient
    that reaches the first state, in the chosen measure) for the cells drawn. Plotted values are clipped to
    [1e-30, 1e30]; the panels' ``yrange`` marks the clipped ones off scale (a triangle at the edge).
    """
    cells = [c for c in CELLS if c in set(cells)]
    t = np.arange(1, T + 1)
    summary: dict = {}
    g = Panel(title=f"Gradient reaching h_t from step T = {T} (H = {H})", xlabel="t", ylabel=NORMS[norm], logy=True,
              xlim=(1, T), yrange=(FLOOR, CEIL))
    g.hline(1.0, color="0.85")
    g.line(t, _shown(radius ** (T - t).astype(float)), f"ρ^(T−t), ρ = {radius:.2f}", color="0.6", linewidth=1,
           linestyle="--")
    for cell in cells:
        h, c = _norms(cell, T, H, float(radius), float(forget_bias) if cell in ("lstm", "gru") else 0.0, seed,
                      init, norm)
        g.line(t, _shown(h), CELL_LABELS[cell], color=COLOURS[cell], linewidth=2)
        if c is not None:
            g.line(t[:-1], _shown(c[:-1]), "LSTM cell path", color=COLOURS[cell], linewidth=1.2, linestyle=":")
        summary[cell] = float(h[0])

    lam = recurrent_eigenvalues(H, radius, seed, init)
    phi = np.linspace(0, 2 * np.pi, 129)
    lim = 1.15 * max(1.0, radius)
    e = Panel(title=f"eig(W_h), {init}: unit circle (black), |λ| = ρ (dashed)", xlabel="Re λ", ylabel="Im λ",
              xlim=(-lim, lim), ylim=(-lim, lim), equal=True, legend=False)
    e.line(np.cos(phi), np.sin(phi), color="k", linewidth=1)
    e.line(radius * np.cos(phi), radius * np.sin(phi), color="0.6", linewidth=1, linestyle="--")
    e.scatter(lam.real, lam.imag, "eigenvalues", color="C0", size=5)
    return g, e, summary


def clipping_panels(H: int = 64, radius: float = 1.0, threshold: float = 5.0, seed: int = 0,
                    init: str = "orthogonal", trace_T: int = 40, trace_steps: int = 12) -> tuple[Panel, Panel, dict]:
    """Panels 3-4: gradient norm per SGD update (before/after clipping, log scale) and the loss, from
    :func:`~course_lib.widgets.gradients.clipping_trace`. Returns ``(panel_norms, panel_loss, trace)``."""
    tr = clipping_trace(trace_T, H, radius, threshold, seed, steps=trace_steps, init=init)
    u = np.arange(1, trace_steps + 1)
    c = Panel(title=f"Norm clipping, tanh RNN (T = {trace_T}, ρ = {radius:.2f})", xlabel="SGD update",
              ylabel="gradient norm", logy=True, yrange=(FLOOR, CEIL))
    c.line(u, _shown(tr["norm_plain"]), "no clipping: ‖g‖", color="C3", marker="o")
    c.line(u, _shown(tr["norm_clipped"]), "clipped run: ‖g‖ before", color="C0", linestyle="--", marker="s",
           alpha=0.5)
    c.line(u, _shown(tr["step_clipped"]), "clipped run: ‖g‖ after", color="C0", marker="s")
    c.hline(threshold, color="k", linestyle=":", label=f"threshold = {threshold:.3g}")
    loss = Panel(title="Loss during the same runs", xlabel="SGD update", ylabel="training loss")
    loss.line(u, tr["loss_plain"], "no clipping", color="C3", marker="o")
    loss.line(u, tr["loss_clipped"], "with clipping", color="C0", marker="s")
    return c, loss, tr


def explorer_panels(cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                    forget_bias: float = 1.0, threshold: float = 5.0, seed: int = 0, init: str = "orthogonal",
                    norm: str = "loss", trace_T: int = 40, trace_steps: int = 12) -> tuple[list[Panel], dict]:
    """The explorer's four panels (:func:`gradient_panels`, then :func:`clipping_panels`).

    cells: a subset of :data:`~course_lib.widgets.gradients.CELLS`; the other arguments as in
    :func:`~course_lib.widgets.gradients.gradient_norms_through_time` and
    :func:`~course_lib.widgets.gradients.clipping_trace` (which runs ``trace_steps`` SGD updates on sequences of
    length ``trace_T`` with the same H, radius, seed and init). Returns ``(panels, summary)``: ``summary`` maps
    each cell to ``||dL/dh_1||`` and has ``"clipping"`` (the trace arrays).
    """
    g, e, summary = gradient_panels(cells, T, H, radius, forget_bias, seed, init, norm)
    c, loss, summary["clipping"] = clipping_panels(H, radius, threshold, seed, init, trace_T, trace_steps)
    return [g, e, c, loss], summary


def explorer_svg(**kwargs) -> tuple[str, dict]:
    """:func:`explorer_panels` drawn as two wrapping rows of SVG panels; returns ``(html, summary)``."""
    panels, summary = explorer_panels(**kwargs)
    return "".join(render_row(panels[k:k + 2], PANEL_WIDTH, ROW_HEIGHT) for k in (0, 2)), summary


def _summary_html(summary: dict, radius: float, norm: str = "loss") -> str:
    """The status line: per cell shown, the gradient that reaches h_1 in the chosen measure (its label follows
    ``norm``), and whether the unclipped run exploded. No timings: those are in ``last_update_ms``."""
    shown = [c for c in CELLS if c in summary]
    parts = [f"{CELL_LABELS[c]}: {NORMS_AT_1[norm]} = {summary[c]:.2e}" for c in shown] or ["no cell type shown"]
    tr = summary["clipping"]
    blew_up = np.isnan(tr["loss_plain"]).any() or np.nanmax(tr["loss_plain"]) > tr["loss_plain"][0] or \
        np.nanmax(tr["norm_plain"]) > 1e3 * max(1.0, np.nanmin(tr["norm_plain"]))
    parts.append("unclipped run " + ("exploded" if blew_up else "stayed stable"))
    return f"<div style='font-size:90%'>ρ = {radius:.2f} · " + " · ".join(parts) + "</div>"


GRADIENT_CONTROLS = ("cells", "T", "H", "radius", "forget_bias", "seed", "init", "norm")
CLIPPING_CONTROLS = ("H", "radius", "threshold", "seed", "init")


class VanishingGradientExplorer(widgets.VBox):
    """The live explorer: controls on top, then two ``HTML`` widgets holding one SVG row each, ``svg_gradients``
    (panels 1-2) and ``svg_clipping`` (panels 3-4).

    Controls (attributes): ``cell_buttons`` (one check box per cell type: ticked = drawn), ``radius``, ``T``, ``H``,
    ``forget_bias``, ``threshold``, ``seed``, ``init``, ``norm``. Sliders update on release, and a change redraws
    only the panels that depend on it (the threshold only the clipping panels; T, the cells, the forget-gate bias
    and the measure only the gradient panels). ``panels()`` returns the four panels (data);
    ``last_update_ms`` is the time of the last update.
    """

    def __init__(self, cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                 forget_bias: float = 1.0, threshold: float = 5.0, seed: int = 0, init: str = "orthogonal",
                 norm: str = "loss", trace_T: int = 40, trace_steps: int = 12) -> None:
        style = {"description_width": "140px"}
        lay = widgets.Layout(width="400px", max_width="100%")
        self.cell_buttons = {c: widgets.Checkbox(value=c in cells, description=CELL_LABELS[c], indent=False,
                                                 layout=widgets.Layout(width="auto", margin="0 14px 0 0"))
                             for c in CELLS}
        self.radius = widgets.FloatSlider(value=radius, min=0.5, max=3.0, step=0.05, description="spectral radius ρ",
                                          continuous_update=False, style=style, layout=lay)
        self.T = widgets.IntSlider(value=T, min=5, max=300, step=5, description="sequence length T",
                                   continuous_update=False, style=style, layout=lay)
        self.H = widgets.IntSlider(value=H, min=2, max=128, description="hidden size H",
                                   continuous_update=False, style=style, layout=lay)
        self.forget_bias = widgets.FloatSlider(value=forget_bias, min=-3.0, max=8.0, step=0.25,
                                               description="forget-gate bias", continuous_update=False,
                                               style=style, layout=lay)
        self.threshold = widgets.FloatLogSlider(value=threshold, base=10, min=-1, max=4, step=0.1,
                                                description="clipping threshold", continuous_update=False,
                                                style=style, layout=lay)
        self.seed = widgets.IntSlider(value=seed, min=0, max=50, description="random seed",
                                      continuous_update=False, style=style, layout=lay)
        self.init = widgets.Dropdown(options=INITS, value=init, description="W_h init", style=style, layout=lay)
        self.norm = widgets.Dropdown(options=[(v, k) for k, v in NORMS.items()], value=norm, description="measure",
                                     style=style, layout=lay)
        self.trace_T, self.trace_steps = trace_T, trace_steps
        img_layout = {"width": "auto", "max_width": f"{2 * PANEL_WIDTH + 8}px"}
        self.svg_gradients = widgets.HTML(layout=widgets.Layout(**img_layout))
        self.svg_clipping = widgets.HTML(layout=widgets.Layout(**img_layout))
        self.status = widgets.HTML()
        self.last_update_ms = float("nan")
        self._summary: dict = {}
        wrap = widgets.Layout(flex_flow="row wrap", width="100%")  # two columns when there is room, else one
        controls = widgets.HBox([
            widgets.VBox([self.radius, self.T, self.H, self.forget_bias], layout=widgets.Layout(margin="0 12px 0 0")),
            widgets.VBox([self.threshold, self.seed, self.init, self.norm]),
        ], layout=wrap)
        controls.add_class("course-explorer-controls")
        figures = widgets.VBox([self.svg_gradients, self.svg_clipping], layout=widgets.Layout(width="auto"))
        figures.add_class("course-explorer-figures")
        cells_row = widgets.HBox([widgets.HTML("<b>cells drawn:</b>", layout=widgets.Layout(margin="0 10px 0 0")),
                                  *self.cell_buttons.values()], layout=wrap)
        cells_row.add_class("course-explorer-cells")
        self.status.add_class("course-explorer-status")
        super().__init__([cells_row, controls, self.status, figures], layout=widgets.Layout(max_width="100%"))
        self.add_class("course-vanishing-explorer")
        for b in self.cell_buttons.values():
            b.observe(lambda _c: self.update(("cells",)), names="value")
        for name in ("radius", "T", "H", "forget_bias", "threshold", "seed", "init", "norm"):
            getattr(self, name).observe(lambda _c, n=name: self.update((n,)), names="value")
        self.update()

    def params(self) -> dict:
        """The current settings, as keyword arguments of :func:`explorer_panels`."""
        return {"cells": tuple(c for c, b in self.cell_buttons.items() if b.value), "T": self.T.value,
                "H": self.H.value, "radius": self.radius.value, "forget_bias": self.forget_bias.value,
                "threshold": self.threshold.value, "seed": self.seed.value, "init": self.init.value,
                "norm": self.norm.value, "trace_T": self.trace_T, "trace_steps": self.trace_steps}

    def panels(self) -> tuple[list[Panel], dict]:
        """The four panels of the current settings, and the summary (see :func:`explorer_panels`)."""
        return explorer_panels(**self.params())

    def update(self, changed=GRADIENT_CONTROLS + CLIPPING_CONTROLS) -> None:
        """Recompute and redraw the panels that depend on the ``changed`` controls (names as in :meth:`params`)."""
        start, p = time.perf_counter(), self.params()
        try:
            if set(changed) & set(GRADIENT_CONTROLS):
                g, e, grads = gradient_panels(**{k: p[k] for k in GRADIENT_CONTROLS})
                self._summary = {**grads, "clipping": self._summary.get("clipping")}
                self.svg_gradients.value = render_row([g, e], PANEL_WIDTH, ROW_HEIGHT)
            if set(changed) & set(CLIPPING_CONTROLS):
                keys = ("H", "radius", "threshold", "seed", "init", "trace_T", "trace_steps")
                c, loss, self._summary["clipping"] = clipping_panels(**{k: p[k] for k in keys})
                self.svg_clipping.value = render_row([c, loss], PANEL_WIDTH, ROW_HEIGHT)
        except Exception as err:  # keep the widget alive; show what went wrong
            self.status.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return
        self.last_update_ms = (time.perf_counter() - start) * 1e3
        self.status.value = _summary_html(self._summary, self.radius.value, self.norm.value)

    def _repr_mimebundle_(self, **kwargs):
        """The widget view plus both rows of panels as HTML, for renderers without a widget manager."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and self.svg_gradients.value:
            bundle["text/html"] = self.status.value + self.svg_gradients.value + self.svg_clipping.value
        return bundle


def vanishing_gradient_explorer(static: bool | None = None, **kwargs):
    """The explorer for a notebook cell: the live :class:`VanishingGradientExplorer`, or a :class:`StaticView`
    of the same figure when ``static`` is true or, with ``static=None``, when there is no frontend
    (``NBGRADER_EXECUTION`` set, ``COURSE_WIDGETS_STATIC=1``, or no Jupyter kernel). ``kwargs`` go to
    :func:`explorer_panels` (cells, T, H, radius, forget_bias, threshold, seed, init, norm, ...)."""
    if want_static(static):
        panels, summary = explorer_panels(**kwargs)
        rows = "".join(render_row(panels[k:k + 2], PANEL_WIDTH, ROW_HEIGHT) for k in (0, 2))
        return StaticView(html=_summary_html(summary, kwargs.get("radius", 1.0), kwargs.get("norm", "loss")) + rows,
                          title="Vanishing-gradient explorer", data=panels)
    return VanishingGradientExplorer(**kwargs)
