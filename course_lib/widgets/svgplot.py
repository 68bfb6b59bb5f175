"""A small SVG line/scatter plotter for the live widgets: a few milliseconds per figure instead of matplotlib's
hundreds (Agg rasterisation and text layout cost ~0.3 s for the explorer's two rows of panels; see
``benchmarks/bench_widgets.py``).

A figure is data first: a :class:`Panel` holds its :class:`Series` (x, y, label, style) and axis settings, so
tests read the plotted numbers back from the panel; :func:`render_svg` turns a row of panels into one inline
``<svg>`` string that a ``widgets.HTML`` or a static HTML output shows as it is (crisp at any zoom, no image
decoding in the browser).

Supported, because the widgets need exactly that: lines (solid, dashed, dotted), markers (circle, square), scatter
points, horizontal reference lines, linear or base-10 log y-axes with "nice" ticks, an equal-aspect option
(eigenvalues against the unit circle), a title, axis labels, a legend in rows *above* the axes (it never covers
a curve) and off-scale marks: with ``Panel(yrange=(lo, hi))`` a value beyond the range is drawn at its edge as a
dotted run with a triangle pointing out of the range, and the panel says "off scale".
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["COLOURS", "Panel", "Series", "nice_ticks", "render_row", "render_svg"]

# matplotlib's default colour cycle ("C0".."C9"), so the SVG panels keep the course's usual colours.
COLOURS = {f"C{k}": c for k, c in enumerate(("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"))}
_NAMED = {"k": "#000000", "w": "#ffffff", "r": "#d62728", "g": "#2ca02c", "b": "#1f77b4"}
_DASH = {"-": None, "--": "6,4", ":": "1.5,3", "-.": "6,3,1.5,3"}
_FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


def _colour(c: str) -> str:
    """``"C3"`` -> matplotlib's hex; ``"k"`` -> black; ``"0.6"`` (a grey level, as in matplotlib) -> ``#999999``;
    anything else (``"#rrggbb"``, a CSS colour name) as given."""
    if c in COLOURS:
        return COLOURS[c]
    if c in _NAMED:
        return _NAMED[c]
    try:
        level = float(c)
    except ValueError:
        return c
    v = round(255 * min(1.0, max(0.0, level)))
    return f"#{v:02x}{v:02x}{v:02x}"


@dataclass
class Series:
    """One plotted series: ``x``, ``y`` (same length), drawn as a line (``linestyle`` in ``- -- : -.``, or
    ``None`` for markers only) with optional ``marker`` (``"o"`` or ``"s"``) of ``size`` pixels."""

    x: np.ndarray
    y: np.ndarray
    label: str | None = None
    color: str = "C0"
    linewidth: float = 1.5
    linestyle: str | None = "-"
    marker: str | None = None
    size: float = 4.0
    alpha: float = 1.0


@dataclass
class Panel:
    """One set of axes. Add data with :meth:`line`, :meth:`scatter`, :meth:`hline`; ``logy`` draws the y-axis in
    decades (non-positive values are left out); ``xlim``/``ylim`` default to the data range (log: padded by a
    factor of 5, as the explorer's matplotlib version did); ``equal`` gives both axes the same scale.

    ``yrange = (lo, hi)``: the values the plot can show. A value ``>= hi`` (or NaN, +inf) or ``<= lo`` is *off
    scale*: drawn at the edge of the range as a dotted run starting with a triangle (pointing up above ``hi``, down
    below ``lo``), never as a plain flat line that looks like data; :meth:`off_scale` lists them."""

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    logy: bool = False
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    equal: bool = False
    legend: bool = True
    yrange: tuple[float, float] | None = None
    series: list[Series] = field(default_factory=list)
    hlines: list[tuple[float, str, str, str | None]] = field(default_factory=list)

    def line(self, x, y, label=None, color="C0", linewidth=1.5, linestyle="-", marker=None, size=4.0,
             alpha=1.0) -> Series:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"x and y must be 1-D of the same length (n,), got {x.shape} and {y.shape}")
        s = Series(x, y, label, color, linewidth, linestyle, marker, size, alpha)
        self.series.append(s)
        return s

    def scatter(self, x, y, label=None, color="C0", size=3.0) -> Series:
        return self.line(x, y, label, color, linestyle=None, marker="o", size=size)

    def hline(self, y: float, color: str = "k", linestyle: str = "-", label: str | None = None) -> None:
        self.hlines.append((float(y), color, linestyle, label))

    def lines(self) -> dict[str, np.ndarray]:
        """``{label: y}`` of the labelled series (what the tests compare with the compute functions)."""
        return {s.label: s.y for s in self.series if s.label}

    def off_scale(self) -> dict[str, np.ndarray]:
        """``{label: sign}`` per labelled series: +1 where a value is above ``yrange`` (or NaN/+inf), -1 below,
        0 inside (all 0 without ``yrange``)."""
        return {s.label: self._off(s.y) for s in self.series if s.label}

    def _off(self, y: np.ndarray) -> np.ndarray:
        if self.yrange is None:
            return np.zeros(len(y), dtype=int)
        lo, hi = self.yrange
        with np.errstate(invalid="ignore"):
            return np.where(np.isnan(y) | (y >= hi), 1, np.where(y <= lo, -1, 0))

    # ---------------------------------------------------------------- limits
    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        xs = np.concatenate([s.x for s in self.series]) if self.series else np.zeros(1)
        ys = np.concatenate([s.y for s in self.series] + [np.array([h[0] for h in self.hlines])])
        if self.yrange is not None:
            ys = np.clip(np.nan_to_num(ys, nan=self.yrange[1]), *self.yrange)
        if self.logy:
            ys = ys[ys > 0]
        xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
        xlim = self.xlim or ((float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0))
        if self.ylim:
            ylim = self.ylim
        elif self.logy:
            lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (1.0, 1.0)
            ylim = (lo / 5, hi * 5)
        else:
            lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
            pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
            ylim = (lo - pad, hi + pad)
        if xlim[1] <= xlim[0]:
            xlim = (xlim[0] - 0.5, xlim[0] + 0.5)
        if ylim[1] <= ylim[0]:
            ylim = (ylim[0] / 2, ylim[0] * 2) if self.logy else (ylim[0] - 0.5, ylim[0] + 0.5)
        return xlim, ylim


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` round tick values (1, 2 or 5 times a power of ten apart) inside ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= 0.7 * raw)  # closest to n ticks, not at most n
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 12) for k in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    return f"{v:g}"


_ML, _MR, _MT, _MB = 62, 10, 24, 38  # margins: tick labels + y label, right, title, tick labels + x label
_LEGEND_ROW = 14  # pixels per legend row (above the axes)


def _legend_items(p: Panel) -> list[tuple[str, str, str | None, str | None, float]]:
    items = [(s.label, s.color, s.linestyle, s.marker, s.alpha) for s in p.series if s.label]
    items += [(label, colour, style, None, 1.0) for _y, colour, style, label in p.hlines if label]
    return items if p.legend else []


def _legend_layout(p: Panel, aw: float) -> list[tuple[int, float]]:
    """``(row, x offset)`` of each legend item, laid out left to right in rows at most ``aw`` pixels wide."""
    out, row, x = [], 0, 0.0
    for label, *_ in _legend_items(p):
        iw = 34 + 6.0 * len(label)
        if x > 0 and x + iw > aw:
            row, x = row + 1, 0.0
        out.append((row, x))
        x += iw + 8
    return out


def _legend_rows(p: Panel, w: float) -> int:
    lay = _legend_layout(p, w - _ML - _MR)
    return lay[-1][0] + 1 if lay else 0


def _panel_svg(p: Panel, x0: float, y0: float, w: float, h: float, legend_rows: int | None = None) -> list[str]:
    """SVG elements of one panel inside the box (x0, y0, w, h) of the figure; the legend takes ``legend_rows``
    rows above the axes (default: as many as it needs; a row of panels passes its maximum, so axes line up)."""
    rows = _legend_rows(p, w) if legend_rows is None else legend_rows
    ml, mr, mt, mb = _ML, _MR, _MT + _LEGEND_ROW * rows + (4 if rows else 0), _MB
    ax, ay, aw, ah = x0 + ml, y0 + mt, w - ml - mr, h - mt - mb
    (xa, xb), (ya, yb) = p._limits()
    if p.logy:
        ya, yb = math.log10(ya), math.log10(yb)
    if p.equal:  # same units per pixel on both axes: widen the range of the axis that has room to spare
        ux, uy = (xb - xa) / aw, (yb - ya) / ah
        if ux > uy:
            c, r = (ya + yb) / 2, ux * ah / 2
            ya, yb = c - r, c + r
        else:
            c, r = (xa + xb) / 2, uy * aw / 2
            xa, xb = c - r, c + r

    def px(x):
        return ax + (np.asarray(x, dtype=float) - xa) / (xb - xa) * aw

    def py(y):
        y = np.asarray(y, dtype=float)
        if p.logy:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        return ay + ah - (y - ya) / (yb - ya) * ah

    out = [f"<g><rect x='{ax:.1f}' y='{ay:.1f}' width='{aw:.1f}' height='{ah:.1f}' fill='white' stroke='#444' "
           "stroke-width='0.8'/>"]
    clip = f"course-clip-{ax:.0f}-{ay:.0f}-{aw:.0f}-{ah:.0f}"  # same id in two figures => the same rectangle
    out.append(f"<clipPath id='{clip}'><rect x='{ax:.1f}' y='{ay:.1f}' width='{aw:.1f}' height='{ah:.1f}'/>"
               "</clipPath>")
    # ticks and grid
    for v in nice_ticks(xa, xb):
        X = float(px(v))
        out.append(f"<line x1='{X:.1f}' y1='{ay + ah:.1f}' x2='{X:.1f}' y2='{ay + ah + 4:.1f}' stroke='#444'/>"
                   f"<text x='{X:.1f}' y='{ay + ah + 15:.1f}' font-size='10' text-anchor='middle'>{_fmt(v)}</text>")
    if p.logy:
        lo, hi = math.ceil(ya - 1e-9), math.floor(yb + 1e-9)
        every = max(1, math.ceil((hi - lo + 1) / 7))
        yticks = [(float(d), f"1e{d}") for d in range(lo, hi + 1) if d % every == 0]
    else:
        yticks = [(v, _fmt(v)) for v in nice_ticks(ya, yb)]
    for v, text in yticks:
        Y = ay + ah - (v - ya) / (yb - ya) * ah
        out.append(f"<line x1='{ax:.1f}' y1='{Y:.1f}' x2='{ax + aw:.1f}' y2='{Y:.1f}' stroke='#eee'/>"
                   f"<line x1='{ax - 4:.1f}' y1='{Y:.1f}' x2='{ax:.1f}' y2='{Y:.1f}' stroke='#444'/>"
                   f"<text x='{ax - 6:.1f}' y='{Y + 3.5:.1f}' font-size='10' text-anchor='end'>{text}</text>")
    # data
    out.append(f"<g clip-path='url(#{clip})'>")
    for y, colour, style, _label in p.hlines:
        Y = float(py(y))
        if math.isfinite(Y):
            dash = _DASH.get(style)
            out.append(f"<line x1='{ax:.1f}' y1='{Y:.1f}' x2='{ax + aw:.1f}' y2='{Y:.1f}' stroke='{_colour(colour)}'"
                       + (f" stroke-dasharray='{dash}'" if dash else "") + "/>")
    marks = []
    for s in p.series:
        off = p._off(s.y)
        y_in = s.y if p.yrange is None else np.clip(np.nan_to_num(s.y, nan=p.yrange[1]), *p.yrange)
        X, Y = px(s.x), py(np.where(off == 0, y_in, np.nan))
        ok = np.isfinite(X) & np.isfinite(Y)
        colour, op = _colour(s.color), (f" opacity='{s.alpha:g}'" if s.alpha < 1 else "")
        if off.any():  # off scale: a dotted run along the edge of the range, a triangle where each run starts
            Ye = py(y_in)
            for sign in (1, -1):
                run = off == sign
                starts = np.flatnonzero(run & ~np.r_[False, run[:-1]])
                ends = np.flatnonzero(run & ~np.r_[run[1:], False])
                for a, b in zip(starts, ends):
                    lo_k, hi_k = max(a - 1, 0), b  # join the last in-range point to the edge
                    pts = " ".join(f"{u:.1f},{v:.1f}" for u, v in zip(X[lo_k:hi_k + 1], Ye[lo_k:hi_k + 1]))
                    out.append(f"<polyline class='course-offscale-run' points='{pts}' fill='none' stroke='{colour}' "
                               f"stroke-width='1' stroke-dasharray='1.5,3'{op}/>")
                    tx, ty = float(X[a]), float(Ye[a]) + (5 if sign > 0 else -5)  # inside the frame
                    tip = ty - 7 * sign
                    marks.append(f"<polygon class='course-offscale' data-sign='{sign:+d}' points='{tx - 5:.1f},"
                                 f"{ty:.1f} {tx + 5:.1f},{ty:.1f} {tx:.1f},{tip:.1f}' fill='{colour}' "
                                 "stroke='#000' stroke-width='0.6'/>")
        if s.linestyle is not None:
            # a polyline per run of finite points: a NaN (or a non-positive value on a log axis) breaks the line
            breaks = np.flatnonzero(np.diff(ok.astype(int)) != 0) + 1
            dash = _DASH.get(s.linestyle)
            for seg in np.split(np.arange(len(X)), breaks):
                if seg.size and ok[seg[0]]:
                    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(X[seg], Y[seg]))
                    out.append(f"<polyline points='{pts}' fill='none' stroke='{colour}' "
                               f"stroke-width='{s.linewidth:g}' stroke-linejoin='round'"
                               + (f" stroke-dasharray='{dash}'" if dash else "") + f"{op}/>")
        if s.marker is not None:
            r = s.size / 2
            for a, b in zip(X[ok], Y[ok]):
                if s.marker == "s":
                    out.append(f"<rect x='{a - r:.1f}' y='{b - r:.1f}' width='{2 * r:.1f}' height='{2 * r:.1f}' "
                               f"fill='{colour}'{op}/>")
                else:
                    out.append(f"<circle cx='{a:.1f}' cy='{b:.1f}' r='{r:.1f}' fill='{colour}'{op}/>")
    out.append("</g>")
    out.extend(marks)
    if marks:
        lo, hi = p.yrange
        out.append(f"<text class='course-offscale-note' x='{ax + aw - 4:.1f}' y='{ay + ah - 5:.1f}' font-size='10' "
                   f"text-anchor='end' fill='#000'>▲ ▼ off scale: beyond {_fmt(hi)} or below {_fmt(lo)}</text>")
    # labels
    esc = html.escape
    out.append(f"<text x='{ax + aw / 2:.1f}' y='{y0 + 15:.1f}' font-size='12' text-anchor='middle'>"
               f"{esc(p.title)}</text>")
    out.append(f"<text x='{ax + aw / 2:.1f}' y='{ay + ah + 31:.1f}' font-size='11' text-anchor='middle'>"
               f"{esc(p.xlabel)}</text>")
    out.append(f"<text transform='translate({x0 + 13:.1f},{ay + ah / 2:.1f}) rotate(-90)' font-size='11' "
               f"text-anchor='middle'>{esc(p.ylabel)}</text>")
    out.extend(_legend(p, ax, ay, aw, rows))
    out.append("</g>")
    return out


def _legend(p: Panel, ax: float, ay: float, aw: float, rows: int) -> list[str]:
    """The legend, in ``rows`` rows between the title and the axes: it never covers the data."""
    items = _legend_items(p)
    if not items:
        return []
    out = []
    top = ay - _LEGEND_ROW * rows - 2
    for (label, colour, style, marker, alpha), (row, dx) in zip(items, _legend_layout(p, aw)):
        lx, yy = ax + dx, top + _LEGEND_ROW * row + 7
        c = _colour(colour)
        if style is not None:
            dash = _DASH.get(style)
            out.append(f"<line x1='{lx + 2:.1f}' y1='{yy:.1f}' x2='{lx + 26:.1f}' y2='{yy:.1f}' stroke='{c}' "
                       "stroke-width='2'" + (f" stroke-dasharray='{dash}'" if dash else "")
                       + (f" opacity='{alpha:g}'" if alpha < 1 else "") + "/>")
        if marker is not None:
            out.append(f"<circle cx='{lx + 14:.1f}' cy='{yy:.1f}' r='2.5' fill='{c}'/>")
        out.append(f"<text class='course-legend' x='{lx + 30:.1f}' y='{yy + 3.5:.1f}' font-size='10'>"
                   f"{html.escape(label)}</text>")
    return out


def render_svg(panels: list[Panel], width: int = 1000, height: int = 330, css_class: str = "",
               legend_rows: int | None = None, style: str | None = None) -> str:
    """One row of ``panels`` side by side as an inline ``<svg>`` of ``width`` x ``height`` pixels (it scales with
    its container: ``width: 100%`` up to ``width`` pixels, unless ``style`` says otherwise). ``legend_rows``: rows
    kept for the legends above the axes (default: what the panels need)."""
    if not panels:
        raise ValueError("render_svg needs at least one panel")
    w = width / len(panels)
    rows = max(_legend_rows(p, w) for p in panels) if legend_rows is None else legend_rows  # one top margin
    body = [e for k, p in enumerate(panels) for e in _panel_svg(p, k * w, 0.0, w, float(height), rows)]
    cls = f" class='{html.escape(css_class)}'" if css_class else ""
    style = style or f"width:100%;max-width:{width}px;height:auto"
    return (f"<svg{cls} xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
            f"style='{style}' {_FONT}>" + "".join(body) + "</svg>")


def render_row(panels: list[Panel], width: int = 500, height: int = 330) -> str:
    """``panels`` as one ``<svg>`` each (``width`` x ``height``) in a wrapping row: side by side where the
    container is wide enough, stacked (each up to ``width`` pixels, so its text stays readable) where it is not.
    The panels keep the same legend rows, so their axes line up when side by side."""
    if not panels:
        raise ValueError("render_row needs at least one panel")
    rows = max(_legend_rows(p, width) for p in panels)
    style = f"flex:1 1 {int(0.8 * width)}px;max-width:{width}px;height:auto"
    return ("<div class='course-svg-row' style='display:flex;flex-wrap:wrap;column-gap:8px;width:100%'>"
            + "".join(render_svg([p], width, height, legend_rows=rows, style=style) for p in panels) + "</div>")
