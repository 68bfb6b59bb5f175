"""Vanishing/exploding-gradient explorer (deck 000 Part 2 and Part 3; Pascanu, Mikolov & Bengio 2013).

Four panels (two PNG images in the live widget), recomputed from the NumPy reference
(:mod:`course_lib.widgets.gradients`) when a control they depend on moves:

1. ``||dL/dh_t||`` (or ``||∂h_T/∂h_t||_2``) against t on a log scale for several cells side by side, with the
   ``rho^(T-t)`` line of a linear RNN;
2. the eigenvalues of the recurrent matrix against the unit circle;
3. and 4. a short SGD run of a tanh RNN with and without gradient-norm clipping: gradient norm per update
   (before / after clipping) and loss.

Use :func:`vanishing_gradient_explorer` in a notebook: it returns the live widget, or a :class:`StaticView`
(the same figure) when there is no frontend (nbgrader, CI) or with ``static=True``.
"""

from __future__ import annotations

import html
import time
from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from course_lib.widgets._display import StaticView, figure_png, png_img_tag, want_static
from course_lib.widgets.gradients import (
    CELL_LABELS,
    CELLS,
    INITS,
    clipping_trace,
    gradient_norms_through_time,
    recurrent_eigenvalues,
)

__all__ = [
    "VanishingGradientExplorer", "draw_clipping", "draw_gradients", "explorer_figure", "vanishing_gradient_explorer",
]

COLOURS = {"tanh": "C0", "relu": "C1", "linear": "C2", "lstm": "C3", "gru": "C4"}
FLOOR, CEIL = 1e-30, 1e30  # display range of the log plots (0 and inf are drawn at the edges)
NORMS = {"loss": "‖∂L/∂h_t‖, L = u·h_T", "spectral": "‖∂h_T/∂h_t‖₂ (full Jacobian)"}


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


_DECADES = FuncFormatter(lambda v, _pos: f"1e{round(np.log10(v))}" if v > 0 else "0")


def _title(ax, text: str) -> None:
    """A title at a fixed height: matplotlib's automatic title placement costs a fifth of the drawing time."""
    ax.set_title(text, y=1.01, fontsize=10)


def _log_limits(ax, **kwargs) -> None:
    """Log y-axis limited to the data (within the display range) with at most ~8 labelled decades."""
    ys = np.concatenate([ln.get_ydata() for ln in ax.get_lines()])
    lo, hi = float(ys.min(initial=1.0)), float(ys.max(initial=1.0))
    ax.set(ylim=(max(FLOOR, lo) / 5, min(CEIL, hi) * 5), **kwargs)
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=7))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(_DECADES)  # plain "1e-5" labels: mathtext would double the drawing time


def draw_gradients(ax_g, ax_e, cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                   forget_bias: float = 1.0, seed: int = 0, init: str = "orthogonal", norm: str = "loss") -> dict:
    """Panels 1-2 into the axes ``ax_g`` (gradient norms against t) and ``ax_e`` (eigenvalues).

    Returns ``{cell: ||dL/dh_1||}`` (the gradient that reaches the first state) for the cells drawn.
    """
    cells = [c for c in CELLS if c in set(cells)]
    t = np.arange(1, T + 1)
    summary: dict = {}
    ax_g.semilogy(t, _shown(radius ** (T - t).astype(float)), color="0.6", ls="--", lw=1,
                  label=f"ρ^(T−t), ρ = {radius:.2f}")
    for cell in cells:
        h, c = _norms(cell, T, H, float(radius), float(forget_bias) if cell in ("lstm", "gru") else 0.0, seed,
                      init, norm)
        ax_g.semilogy(t, _shown(h), color=COLOURS[cell], lw=2, label=CELL_LABELS[cell])
        if c is not None:
            ax_g.semilogy(t[:-1], _shown(c[:-1]), color=COLOURS[cell], lw=1.2, ls=":", label="LSTM cell path")
        summary[cell] = float(h[0])
    _log_limits(ax_g, xlabel="t", ylabel=NORMS[norm], xlim=(1, T))
    _title(ax_g, f"Gradient reaching h_t from step T = {T} (H = {H})")
    ax_g.axhline(1.0, color="0.85", lw=0.8, zorder=0)
    ax_g.legend(fontsize=7, loc="best", framealpha=0.6)

    lam = recurrent_eigenvalues(H, radius, seed, init)
    phi = np.linspace(0, 2 * np.pi, 256)
    ax_e.plot(np.cos(phi), np.sin(phi), color="k", lw=1)
    ax_e.plot(radius * np.cos(phi), radius * np.sin(phi), color="0.6", lw=1, ls="--")
    ax_e.scatter(lam.real, lam.imag, s=12, color="C0", zorder=3)
    lim = 1.15 * max(1.0, radius)
    ax_e.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel="Re λ", ylabel="Im λ")
    _title(ax_e, f"eig(W_h), {init}: unit circle (black), |λ| = ρ (dashed)")
    return summary


def draw_clipping(ax_c, ax_l, H: int = 64, radius: float = 1.0, threshold: float = 5.0, seed: int = 0,
                  init: str = "orthogonal", trace_T: int = 40, trace_steps: int = 12) -> dict:
    """Panels 3-4 into ``ax_c`` (gradient norm per SGD update, before/after clipping) and ``ax_l`` (loss), from
    :func:`~course_lib.widgets.gradients.clipping_trace`; returns the trace arrays."""
    tr = clipping_trace(trace_T, H, radius, threshold, seed, steps=trace_steps, init=init)
    u = np.arange(1, trace_steps + 1)
    ax_c.semilogy(u, _shown(tr["norm_plain"]), "o-", color="C3", label="no clipping: ‖g‖")
    ax_c.semilogy(u, _shown(tr["norm_clipped"]), "s--", color="C0", alpha=0.5, ms=4, label="clipped run: ‖g‖ before")
    ax_c.semilogy(u, _shown(tr["step_clipped"]), "s-", color="C0", label="clipped run: ‖g‖ after")
    ax_c.axhline(threshold, color="k", lw=1, ls=":", label=f"threshold = {threshold:.3g}")
    _log_limits(ax_c, xlabel="SGD update", ylabel="gradient norm")
    _title(ax_c, f"Norm clipping, tanh RNN (T = {trace_T}, ρ = {radius:.2f})")
    ax_c.legend(fontsize=7)
    ax_l.plot(u, tr["loss_plain"], "o-", color="C3", label="no clipping")
    ax_l.plot(u, tr["loss_clipped"], "s-", color="C0", label="with clipping")
    ax_l.set(xlabel="SGD update", ylabel="training loss")
    _title(ax_l, "Loss during the same runs")
    ax_l.legend(fontsize=7)
    return tr


def _figure(rows: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(11, 3.6 * rows))  # fixed margins: a layout engine would triple the drawing time
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.07 * 2 / rows, top=1 - 0.05 * 2 / rows, wspace=0.2,
                        hspace=0.33)
    return fig, fig.subplots(rows, 2).ravel()


def explorer_figure(cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                    forget_bias: float = 1.0, threshold: float = 5.0, seed: int = 0, init: str = "orthogonal",
                    norm: str = "loss", trace_T: int = 40, trace_steps: int = 12) -> tuple[Figure, dict]:
    """The explorer's four panels in one figure (:func:`draw_gradients` above :func:`draw_clipping`).

    cells: a subset of :data:`~course_lib.widgets.gradients.CELLS`; the other arguments as in
    :func:`~course_lib.widgets.gradients.gradient_norms_through_time` and
    :func:`~course_lib.widgets.gradients.clipping_trace` (which runs ``trace_steps`` SGD updates on sequences of
    length ``trace_T`` with the same H, radius, seed and init). Returns ``(figure, summary)``: ``summary`` maps
    each cell to ``||dL/dh_1||`` and has ``"clipping"`` (the trace arrays).
    """
    fig, (ax_g, ax_e, ax_c, ax_l) = _figure(2)
    summary = draw_gradients(ax_g, ax_e, cells, T, H, radius, forget_bias, seed, init, norm)
    summary["clipping"] = draw_clipping(ax_c, ax_l, H, radius, threshold, seed, init, trace_T, trace_steps)
    return fig, summary


def _summary_html(summary: dict, radius: float, ms: float | None = None) -> str:
    parts = [f"{CELL_LABELS[c]}: ‖∂L/∂h₁‖ = {summary[c]:.2e}" for c in CELLS if c in summary]
    tr = summary["clipping"]
    blew_up = np.isnan(tr["loss_plain"]).any() or np.nanmax(tr["loss_plain"]) > tr["loss_plain"][0] or \
        np.nanmax(tr["norm_plain"]) > 1e3 * max(1.0, np.nanmin(tr["norm_plain"]))
    parts.append("unclipped run " + ("exploded" if blew_up else "stayed stable"))
    if ms is not None:
        parts.append(f"update {ms:.0f} ms")
    return f"<div style='font-size:90%'>ρ = {radius:.2f} · " + " · ".join(parts) + "</div>"


GRADIENT_CONTROLS = ("cells", "T", "H", "radius", "forget_bias", "seed", "init", "norm")
CLIPPING_CONTROLS = ("H", "radius", "threshold", "seed", "init")


class VanishingGradientExplorer(widgets.VBox):
    """The live explorer: controls on top, then two PNG ``Image`` widgets, ``image_gradients`` (panels 1-2) and
    ``image_clipping`` (panels 3-4).

    Controls (attributes): ``cell_buttons`` (one toggle per cell type), ``radius``, ``T``, ``H``,
    ``forget_bias``, ``threshold``, ``seed``, ``init``, ``norm``. Sliders update on release, and a change redraws
    only the panels that depend on it (the threshold only the clipping panels; T, the cells, the forget-gate bias
    and the measure only the gradient panels). ``figure()`` returns the four panels as one matplotlib figure;
    ``last_update_ms`` is the time of the last update.
    """

    def __init__(self, cells=("tanh", "lstm", "gru"), T: int = 100, H: int = 64, radius: float = 1.0,
                 forget_bias: float = 1.0, threshold: float = 5.0, seed: int = 0, init: str = "orthogonal",
                 norm: str = "loss", trace_T: int = 40, trace_steps: int = 12) -> None:
        style = {"description_width": "150px"}
        lay = widgets.Layout(width="430px")
        self.cell_buttons = {c: widgets.ToggleButton(value=c in cells, description=CELL_LABELS[c],
                                                     layout=widgets.Layout(width="110px")) for c in CELLS}
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
        img_layout = {"width": "100%", "max_width": "1000px"}
        self.image_gradients = widgets.Image(format="png", layout=widgets.Layout(**img_layout))
        self.image_clipping = widgets.Image(format="png", layout=widgets.Layout(**img_layout))
        self.status = widgets.HTML()
        self.last_update_ms = float("nan")
        self._summary: dict = {}
        controls = widgets.HBox([
            widgets.VBox([self.radius, self.T, self.H, self.forget_bias]),
            widgets.VBox([self.threshold, self.seed, self.init, self.norm]),
        ])
        figures = widgets.VBox([self.image_gradients, self.image_clipping])
        figures.add_class("course-explorer-figures")
        super().__init__([widgets.HBox(list(self.cell_buttons.values())), controls, self.status, figures])
        self.add_class("course-vanishing-explorer")
        for b in self.cell_buttons.values():
            b.observe(lambda _c: self.update(("cells",)), names="value")
        for name in ("radius", "T", "H", "forget_bias", "threshold", "seed", "init", "norm"):
            getattr(self, name).observe(lambda _c, n=name: self.update((n,)), names="value")
        self.update()

    def params(self) -> dict:
        """The current settings, as keyword arguments of :func:`explorer_figure`."""
        return {"cells": tuple(c for c, b in self.cell_buttons.items() if b.value), "T": self.T.value,
                "H": self.H.value, "radius": self.radius.value, "forget_bias": self.forget_bias.value,
                "threshold": self.threshold.value, "seed": self.seed.value, "init": self.init.value,
                "norm": self.norm.value, "trace_T": self.trace_T, "trace_steps": self.trace_steps}

    def figure(self) -> tuple[Figure, dict]:
        """All four panels of the current settings in one figure, and the summary (see :func:`explorer_figure`)."""
        return explorer_figure(**self.params())

    def update(self, changed=GRADIENT_CONTROLS + CLIPPING_CONTROLS) -> None:
        """Recompute and redraw the panels that depend on the ``changed`` controls (names as in :meth:`params`)."""
        start, p = time.perf_counter(), self.params()
        try:
            if set(changed) & set(GRADIENT_CONTROLS):
                fig, axes = _figure(1)
                grads = draw_gradients(*axes, **{k: p[k] for k in GRADIENT_CONTROLS})
                self._summary = {**grads, "clipping": self._summary.get("clipping")}
                self.image_gradients.value = figure_png(fig)
            if set(changed) & set(CLIPPING_CONTROLS):
                fig, axes = _figure(1)
                keys = ("H", "radius", "threshold", "seed", "init", "trace_T", "trace_steps")
                self._summary["clipping"] = draw_clipping(*axes, **{k: p[k] for k in keys})
                self.image_clipping.value = figure_png(fig)
        except Exception as err:  # keep the widget alive; show what went wrong
            self.status.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return
        self.last_update_ms = (time.perf_counter() - start) * 1e3
        self.status.value = _summary_html(self._summary, self.radius.value, self.last_update_ms)

    def _repr_mimebundle_(self, **kwargs):
        """The widget view plus both pictures as HTML, for renderers without a widget manager."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and self.image_gradients.value:
            bundle["text/html"] = self.status.value + "".join(
                png_img_tag(img.value, "vanishing-gradient explorer") for img in (self.image_gradients,
                                                                                 self.image_clipping))
        return bundle


def vanishing_gradient_explorer(static: bool | None = None, **kwargs):
    """The explorer for a notebook cell: the live :class:`VanishingGradientExplorer`, or a :class:`StaticView`
    of the same figure when ``static`` is true or, with ``static=None``, when there is no frontend
    (``NBGRADER_EXECUTION`` set, ``COURSE_WIDGETS_STATIC=1``, or no Jupyter kernel). ``kwargs`` go to
    :func:`explorer_figure` (cells, T, H, radius, forget_bias, threshold, seed, init, norm, ...)."""
    if want_static(static):
        fig, summary = explorer_figure(**kwargs)
        return StaticView(fig, _summary_html(summary, kwargs.get("radius", 1.0)), "Vanishing-gradient explorer")
    return VanishingGradientExplorer(**kwargs)
