"""A small SVG line/scatter plotter for the live widgets: a few milliseconds per figure instead of matplotlib's
hundreds (Agg rasterisation and text layout cost ~0.3 s for the explorer's two rows of panels; see
``benchmarks/bench_widgets.py``).

A figure is data first: a :class:`Panel` holds its :class:`Series` (x, y, label, style) and axis settings, so
tests read the plotted numbers back from the panel; :func:`render_svg` turns a row of panels into one inline
``<svg>`` string that a ``widgets.HTML`` or a static HTML output shows as it is (crisp at any zoom, no image
decoding in the browser).

Supported, because the widgets need exactly that: lines (solid, dashed, dotted), markers (circle, square), scatter
points, horizontal reference lines, linear or base-10 log y-axes with "nice" ticks, an equal-aspect option
(eigenvalues against the unit circle), a title, axis labels and a legend placed in the emptiest corner.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["COLOURS", "Panel", "Series", "nice_ticks", "render_svg"]

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
    factor of 5, as the explorer's matplotlib version did); ``equal`` gives both axes the same scale."""

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    logy: bool = False
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    equal: bool = False
    legend: bool = True
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

    # ---------------------------------------------------------------- limits
    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        xs = np.concatenate([s.x for s in self.series]) if self.series else np.zeros(1)
        ys = np.concatenate([s.y for s in self.series] + [np.array([h[0] for h in self.hlines])])
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


def _panel_svg(p: Panel, x0: float, y0: float, w: float, h: float) -> list[str]:
    """SVG elements of one panel inside the box (x0, y0, w, h) of the figure."""
    ml, mr, mt, mb = 62, 10, 24, 38  # margins: tick labels + y label, right, title, tick labels + x label
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
    for s in p.series:
        X, Y = px(s.x), py(s.y)
        ok = np.isfinite(X) & np.isfinite(Y)
        colour, op = _colour(s.color), (f" opacity='{s.alpha:g}'" if s.alpha < 1 else "")
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
    # labels
    esc = html.escape
    out.append(f"<text x='{ax + aw / 2:.1f}' y='{y0 + 15:.1f}' font-size='12' text-anchor='middle'>"
               f"{esc(p.title)}</text>")
    out.append(f"<text x='{ax + aw / 2:.1f}' y='{ay + ah + 31:.1f}' font-size='11' text-anchor='middle'>"
               f"{esc(p.xlabel)}</text>")
    out.append(f"<text transform='translate({x0 + 13:.1f},{ay + ah / 2:.1f}) rotate(-90)' font-size='11' "
               f"text-anchor='middle'>{esc(p.ylabel)}</text>")
    out.extend(_legend(p, px, py, ax, ay, aw, ah))
    out.append("</g>")
    return out


def _legend(p: Panel, px, py, ax, ay, aw, ah) -> list[str]:
    """The legend box, in the corner of the axes that covers the fewest data points."""
    items = [(s.label, s.color, s.linestyle, s.marker, s.alpha) for s in p.series if s.label]
    items += [(label, colour, style, None, 1.0) for _y, colour, style, label in p.hlines if label]
    if not (p.legend and items):
        return []
    lw = 34 + 6.2 * max(len(i[0]) for i in items)
    lh = 6 + 14 * len(items)
    pts = [(px(s.x), py(s.y)) for s in p.series]
    corners = [(ax + aw - lw - 6, ay + 6), (ax + 6, ay + 6), (ax + aw - lw - 6, ay + ah - lh - 6),
               (ax + 6, ay + ah - lh - 6)]

    def covered(c):
        return sum(int(np.sum((X >= c[0]) & (X <= c[0] + lw) & (Y >= c[1]) & (Y <= c[1] + lh))) for X, Y in pts)

    lx, ly = min(corners, key=covered)
    out = [f"<rect x='{lx:.1f}' y='{ly:.1f}' width='{lw:.1f}' height='{lh:.1f}' fill='white' fill-opacity='0.8' "
           "stroke='#ccc'/>"]
    for k, (label, colour, style, marker, alpha) in enumerate(items):
        yy = ly + 11 + 14 * k
        c = _colour(colour)
        if style is not None:
            dash = _DASH.get(style)
            out.append(f"<line x1='{lx + 5:.1f}' y1='{yy:.1f}' x2='{lx + 27:.1f}' y2='{yy:.1f}' stroke='{c}' "
                       "stroke-width='2'" + (f" stroke-dasharray='{dash}'" if dash else "")
                       + (f" opacity='{alpha:g}'" if alpha < 1 else "") + "/>")
        if marker is not None:
            out.append(f"<circle cx='{lx + 16:.1f}' cy='{yy:.1f}' r='2.5' fill='{c}'/>")
        out.append(f"<text x='{lx + 31:.1f}' y='{yy + 3.5:.1f}' font-size='10'>{html.escape(label)}</text>")
    return out


def render_svg(panels: list[Panel], width: int = 1000, height: int = 330, css_class: str = "") -> str:
    """One row of ``panels`` side by side as an inline ``<svg>`` of ``width`` x ``height`` pixels (it scales with
    its container: ``width: 100%`` up to ``width`` pixels)."""
    if not panels:
        raise ValueError("render_svg needs at least one panel")
    w = width / len(panels)
    body = [e for k, p in enumerate(panels) for e in _panel_svg(p, k * w, 0.0, w, float(height))]
    cls = f" class='{html.escape(css_class)}'" if css_class else ""
    return (f"<svg{cls} xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
            f"style='width:100%;max-width:{width}px;height:auto' {_FONT}>" + "".join(body) + "</svg>")
