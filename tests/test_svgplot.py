"""The SVG plotter behind the live explorer: well-formed SVG whose drawn points map back to the data."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from course_lib.widgets.svgplot import Panel, nice_ticks, render_row, render_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on malformed XML (unescaped '<' or '&' in a label, say)


def _polylines(root) -> list[np.ndarray]:
    return [np.array([[float(v) for v in pt.split(",")] for pt in pl.get("points").split()])
            for pl in root.iterfind(".//s:polyline", NS)]


def _axes_box(root) -> tuple[float, float, float, float]:
    r = root.find(".//s:g/s:rect", NS)
    return tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))


def test_linear_points_land_where_the_data_says():
    p = Panel(title="a < b & c", xlabel="x", ylabel="y", xlim=(0, 10), ylim=(-1, 1))
    x = np.linspace(0, 10, 11)
    p.line(x, np.sin(x), "sin")
    root = _parse(render_svg([p], 500, 300))
    (pts,) = _polylines(root)
    ax, ay, aw, ah = _axes_box(root)
    np.testing.assert_allclose((pts[:, 0] - ax) / aw * 10, x, atol=0.02)
    np.testing.assert_allclose(1 - (pts[:, 1] - ay) / ah * 2, np.sin(x), atol=0.01)
    texts = [t.text for t in root.iterfind(".//s:text", NS)]
    assert "a < b & c" in texts and "sin" in texts  # escaped in the SVG, read back intact


def test_log_axis_is_linear_in_the_exponent_and_breaks_at_non_positive_values():
    p = Panel(logy=True, xlim=(1, 6), ylim=(1e-6, 1e0))
    p.line(np.arange(1, 7), [1e-1, 1e-2, 0.0, np.nan, 1e-4, 1e-5], "decay")
    root = _parse(render_svg([p], 400, 300))
    first, second = _polylines(root)  # the 0 and the NaN split the line in two
    ax, ay, aw, ah = _axes_box(root)
    ys = np.concatenate([first[:, 1], second[:, 1]])
    np.testing.assert_allclose(-6 * (ys - ay) / ah, [-1, -2, -4, -5], atol=0.02)
    labels = [t.text for t in root.iterfind(".//s:text", NS)]
    assert "1e-3" in labels and "1e0" in labels


def test_equal_aspect_circle_is_round():
    phi = np.linspace(0, 2 * np.pi, 65)
    p = Panel(xlim=(-1, 1), ylim=(-1, 1), equal=True, legend=False)
    p.line(np.cos(phi), np.sin(phi))
    (pts,) = _polylines(_parse(render_svg([p], 700, 300)))
    width, height = np.ptp(pts[:, 0]), np.ptp(pts[:, 1])
    assert width == pytest.approx(height, rel=0.01)


def test_legend_sits_above_the_axes_and_never_covers_the_data():
    p = Panel(xlim=(0, 1), ylim=(0, 1))
    x = np.linspace(0, 1, 200)
    for k in range(6):  # enough entries for two rows in a narrow panel
        p.line(x, (1 - x) * (k + 1) / 6, f"falling line number {k}")
    other = Panel(xlim=(0, 1), ylim=(0, 1), legend=False)
    other.line(x, x)
    root = _parse(render_svg([p, other], 600, 300))
    ax, ay, aw, ah = _axes_box(root)
    labels = [t for t in root.iterfind(".//s:text", NS) if t.get("class") == "course-legend"]
    assert [t.text for t in labels] == [f"falling line number {k}" for k in range(6)]
    ys = sorted({float(t.get("y")) for t in labels})
    assert len(ys) >= 2 and max(ys) < ay  # several rows, all of them above the axes
    assert all(ax <= float(t.get("x")) < ax + aw for t in labels)
    boxes = [r for r in root.iterfind(".//s:g/s:rect", NS) if r.get("fill") == "white"]
    assert len(boxes) == 2 and float(boxes[0].get("y")) == float(boxes[1].get("y"))  # the row's axes line up


def test_values_beyond_the_range_are_marked_off_scale():
    p = Panel(logy=True, xlim=(1, 8), yrange=(1e-30, 1e30))
    y = np.array([1e0, 1e10, 1e20, 1e30, np.inf, np.nan, 1e-5, 1e-30])  # 1e30, inf, NaN above; 1e-30 below
    p.line(np.arange(1, 9), y, "norm")
    np.testing.assert_array_equal(p.off_scale()["norm"], [0, 0, 0, 1, 1, 1, 0, -1])
    root = _parse(render_svg([p], 500, 300))
    marks = [m for m in root.iterfind(".//s:polygon", NS) if m.get("class") == "course-offscale"]
    assert [m.get("data-sign") for m in marks] == ["+1", "-1"]  # one triangle where each off-scale run starts
    ax, ay, aw, ah = _axes_box(root)
    up = np.array([[float(v) for v in pt.split(",")] for pt in marks[0].get("points").split()])
    assert up[2, 1] < up[0, 1] and ay <= up[:, 1].min() and up[:, 1].max() <= ay + ah  # points up, inside
    notes = [t.text for t in root.iterfind(".//s:text", NS) if t.get("class") == "course-offscale-note"]
    assert notes and "off scale" in notes[0] and "1e30" in notes[0]
    data = [pl for pl in root.iterfind(".//s:polyline", NS) if pl.get("class") is None]
    drawn = np.concatenate([[float(v.split(",")[1]) for v in pl.get("points").split()] for pl in data])
    assert drawn.size == 4  # only the in-range values are drawn as data, the off-scale ones are not
    plain = Panel(logy=True)
    plain.line([1, 2], [1.0, 1e40], "no range")
    assert "course-offscale" not in render_svg([plain]) and not plain.off_scale()["no range"].any()


def test_a_row_is_one_svg_per_panel_with_aligned_axes():
    with_legend, without = Panel(xlim=(0, 1), ylim=(0, 1)), Panel(xlim=(0, 1), ylim=(0, 1), legend=False)
    for k in range(5):
        with_legend.line([0, 1], [0, k / 5], f"line {k}")
    without.line([0, 1], [1, 0])
    row = render_row([with_legend, without], 500, 330)
    assert row.startswith("<div class='course-svg-row'") and "flex-wrap:wrap" in row and row.count("<svg") == 2
    svgs = [_parse(part[:part.index("</svg>") + 6]) for part in ("<svg" + x for x in row.split("<svg")[1:])]
    assert [_axes_box(r)[1] for r in svgs][0] == [_axes_box(r)[1] for r in svgs][1]  # same legend rows
    assert all(r.get("viewBox") == "0 0 500 330" and "max-width:500px" in r.get("style") for r in svgs)
    with pytest.raises(ValueError, match="at least one panel"):
        render_row([])


def test_nice_ticks_and_bad_input():
    assert nice_ticks(1, 12) == [2, 4, 6, 8, 10, 12]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-1.15, 1.15)[0] >= -1.15
    with pytest.raises(ValueError, match=r"\(n,\)"):
        Panel().line([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least one panel"):
        render_svg([])
    empty = Panel(logy=True)
    empty.line([1, 2], [0, -1], "nothing positive")  # nothing to draw on a log axis: still a valid plot
    assert not _polylines(_parse(render_svg([empty])))
