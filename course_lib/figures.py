"""The course's diagrams, drawn by code: unrolled, stacked and bidirectional RNNs (Lecture 3), the LSTM and GRU
cells (Lecture 5) and the CRF trellis with its Viterbi path (Lecture 6).

Each function returns a matplotlib ``Figure`` (nothing is written to disk), so a lecture shows a diagram with one
call and ``fig.savefig("x.svg")`` gives an SVG. The drawings follow the course's conventions, the ones the
lectures and :mod:`course_lib.reference` use: the LSTM's ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``;
the GRU's ``h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃_t`` with the reset gate on the old state before the recurrent
product (deck 000, Cho et al. 2014; :mod:`course_lib.reference.gru` documents PyTorch's other placement); the
CRF's ``transitions[i, j]`` scoring a move *from* tag ``i`` *to* tag ``j``. The trellis's path is computed by
:func:`course_lib.reference.crf.viterbi_decode`, never typed in.

Every drawing keeps what it drew in ``fig.course_parts`` (a dict of counts and labels) so that tests can check
the picture's content without looking at pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["bidirectional_rnn", "crf_trellis", "gru_cell", "lstm_cell", "stacked_rnn", "unrolled_rnn"]

_COL = {"x": "#dbe9f6", "h": "#fde2c4", "y": "#d8f0d2", "b": "#e8dcf5", "gate": "#fff3b0", "op": "#ffffff"}


class _Canvas:
    """A blank axes in data coordinates with box / op / arrow helpers that count what they draw."""

    def __init__(self, width: float, height: float, size: tuple[float, float], title: str = "") -> None:
        self.fig = Figure(figsize=size)
        self.ax = self.fig.add_axes((0, 0, 1, 0.92 if title else 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        if title:
            self.fig.suptitle(title, fontsize=11, y=0.98)
        self.parts: dict = {"boxes": [], "arrows": 0, "ops": []}
        self.fig.course_parts = self.parts

    def box(self, x: float, y: float, label: str, kind: str = "h", w: float = 0.9, h: float = 0.6,
            fontsize: int = 11) -> tuple[float, float]:
        self.ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                         facecolor=_COL[kind], edgecolor="#444", lw=1.2))
        self.ax.text(x, y, label, ha="center", va="center", fontsize=fontsize)
        self.parts["boxes"].append(label)
        return x, y

    def op(self, x: float, y: float, label: str, r: float = 0.22) -> tuple[float, float]:
        self.ax.add_patch(Circle((x, y), r, facecolor=_COL["op"], edgecolor="#444", lw=1.2))
        self.ax.text(x, y, label, ha="center", va="center", fontsize=11)
        self.parts["ops"].append(label)
        return x, y

    def arrow(self, p, q, label: str = "", color: str = "#333", shrink: float = 14, rad: float = 0.0,
              lw: float = 1.3, label_at: float = 0.5, label_offset=(0.0, 0.12), fontsize: int = 9) -> None:
        self.ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=11, color=color, lw=lw,
                                          shrinkA=shrink, shrinkB=shrink, connectionstyle=f"arc3,rad={rad}"))
        self.parts["arrows"] += 1
        if label:
            mx, my = p[0] + label_at * (q[0] - p[0]), p[1] + label_at * (q[1] - p[1])
            self.ax.text(mx + label_offset[0], my + label_offset[1], label, ha="center", va="bottom",
                         fontsize=fontsize, color=color)

    def line(self, pts, color: str = "#333", lw: float = 1.3) -> None:
        xs, ys = zip(*pts, strict=True)
        self.ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="round")

    def text(self, x: float, y: float, s: str, **kw) -> None:
        self.ax.text(x, y, s, ha=kw.pop("ha", "center"), va=kw.pop("va", "center"), fontsize=kw.pop("fontsize", 10),
                     **kw)


def _check_T(T: int, low: int = 2, high: int = 8) -> int:
    if not isinstance(T, (int, np.integer)) or not low <= T <= high:
        raise ValueError(f"T must be an int in [{low}, {high}], got {T!r}")
    return int(T)


def unrolled_rnn(T: int = 4) -> Figure:
    """An Elman RNN folded (a state with a loop) and unrolled over ``T`` steps: ``h_t = tanh(W_x x_t + W_h h_{t-1}
    + b)``, ``y_t = softmax(W_y h_t)``, the same three matrices at every step (Lecture 3, "Unrolling")."""
    T = _check_T(T)
    c = _Canvas(3.8 + 1.6 * T, 4.2, (2.0 + 1.25 * T, 3.4),
                "An RNN, folded and unrolled: the same weights at every step")
    # folded: the state with its loop
    c.box(0.9, 0.8, "$x_t$", "x")
    c.box(0.9, 2.1, "$h_t$", "h")
    c.box(0.9, 3.4, "$y_t$", "y")
    c.arrow((0.9, 0.8), (0.9, 2.1), "$W_x$", label_offset=(0.3, -0.1))
    c.arrow((0.9, 2.1), (0.9, 3.4), "$W_y$", label_offset=(0.3, -0.1))
    c.line([(1.35, 1.95), (1.85, 1.95), (1.85, 2.25)], color="#b5531b")
    c.arrow((1.85, 2.25), (1.36, 2.25), color="#b5531b", shrink=0)
    c.text(2.15, 2.1, "$W_h$", color="#b5531b", fontsize=9)
    c.text(2.7, 2.1, "=", fontsize=16)
    xs = [4.4 + 1.6 * t for t in range(T)]
    for t, x in enumerate(xs, 1):
        c.box(x, 0.8, f"$x_{t}$", "x")
        c.box(x, 2.1, f"$h_{t}$", "h")
        c.box(x, 3.4, f"$y_{t}$", "y")
        c.arrow((x, 0.8), (x, 2.1), "$W_x$" if t == 1 else "", label_offset=(0.3, -0.1))
        c.arrow((x, 2.1), (x, 3.4), "$W_y$" if t == 1 else "", label_offset=(0.3, -0.1))
        if t > 1:
            c.arrow((x - 1.6, 2.1), (x, 2.1), "$W_h$", color="#b5531b", shrink=22)
    c.box(xs[0] - 1.1, 2.1, "$h_0$", "h", w=0.6)
    c.arrow((xs[0] - 1.1, 2.1), (xs[0], 2.1), color="#b5531b", shrink=16)
    c.parts.update(kind="unrolled", T=T)
    return c.fig


def stacked_rnn(T: int = 4, layers: int = 2) -> Figure:
    """A stacked (deep) RNN: layer ``l`` reads the states of layer ``l - 1`` at the same step, ``h^{(0)}_t = x_t``;
    each layer has its own weights, shared over time (Lecture 3, "Stacked RNNs")."""
    T = _check_T(T)
    if not isinstance(layers, (int, np.integer)) or not 1 <= layers <= 4:
        raise ValueError(f"layers must be an int in [1, 4], got {layers!r}")
    c = _Canvas(1.2 + 1.6 * T, 1.9 + 1.3 * (layers + 1), (1.0 + 1.2 * T, 1.5 + 0.95 * (layers + 1)),
                f"A stacked RNN: {layers} layers, each reading the one below")
    xs = [1.2 + 1.6 * t for t in range(T)]
    for t, x in enumerate(xs, 1):
        c.box(x, 0.7, f"$x_{t}$", "x")
        prev = (x, 0.7)
        for l in range(1, layers + 1):
            y = 0.7 + 1.3 * l
            c.box(x, y, f"$h^{{({l})}}_{t}$", "h", w=1.0)
            c.arrow(prev, (x, y))
            if t > 1:
                c.arrow((x - 1.6, y), (x, y), color="#b5531b", shrink=24)
            prev = (x, y)
        c.box(x, 0.7 + 1.3 * (layers + 1), f"$y_{t}$", "y")
        c.arrow(prev, (x, 0.7 + 1.3 * (layers + 1)))
    for l in range(1, layers + 1):
        c.text(0.25, 0.7 + 1.3 * l, f"layer {l}", fontsize=8, rotation=90)
    c.parts.update(kind="stacked", T=T, layers=layers)
    return c.fig


def bidirectional_rnn(T: int = 4) -> Figure:
    """A bidirectional RNN: a forward RNN reads ``x_1 .. x_T``, a backward one ``x_T .. x_1``; the output at step
    ``t`` sees both states, ``y_t = O([h^f_t ; h^b_t])`` — all of the sentence (Lecture 3, "Bidirectional RNNs")."""
    T = _check_T(T)
    c = _Canvas(1.4 + 1.6 * T, 5.2, (1.1 + 1.2 * T, 3.9), "A bidirectional RNN: every output sees the whole input")
    xs = [1.4 + 1.6 * t for t in range(T)]
    for t, x in enumerate(xs, 1):
        c.box(x, 0.7, f"$x_{t}$", "x")
        c.box(x, 1.9, f"$h^f_{t}$", "h")
        c.box(x, 3.1, f"$h^b_{t}$", "b")
        c.box(x, 4.4, f"$y_{t}$", "y")
        c.arrow((x, 0.7), (x, 1.9))
        c.arrow((x - 0.25, 0.7), (x - 0.25, 3.1), rad=-0.25, shrink=16)
        c.arrow((x + 0.3, 1.9), (x + 0.3, 4.4), rad=0.3, shrink=16)
        c.arrow((x, 3.1), (x, 4.4))
        if t > 1:
            c.arrow((x - 1.6, 1.9), (x, 1.9), color="#b5531b", shrink=22)
            c.arrow((x, 3.1), (x - 1.6, 3.1), color="#6a3fa0", shrink=22)
    c.text(0.35, 1.9, "forward", fontsize=8, rotation=90, color="#b5531b")
    c.text(0.35, 3.1, "backward", fontsize=8, rotation=90, color="#6a3fa0")
    c.parts.update(kind="bidirectional", T=T)
    return c.fig


def lstm_cell() -> Figure:
    """One LSTM step: the cell state ``c`` runs along the top, changed only by ``⊙ f`` and ``+ i ⊙ g``; the four
    gates read ``[h_{t-1}; x_t]``; ``h_t = o ⊙ tanh(c_t)`` (Lecture 5; PyTorch packs the gate rows ``[i, f, g, o]``,
    see :mod:`course_lib.reference.lstm`)."""
    c = _Canvas(10.0, 5.6, (8.0, 4.5), "The LSTM cell: $c_t = f \\odot c_{t-1} + i \\odot g$,  "
                                       "$h_t = o \\odot \\tanh(c_t)$")
    c.ax.add_patch(FancyBboxPatch((1.2, 0.9), 7.6, 3.9, boxstyle="round,pad=0.05,rounding_size=0.3",
                                  facecolor="#f7f7f7", edgecolor="#999", lw=1.0))
    top, low = 4.2, 1.3
    c.text(0.55, top, "$c_{t-1}$")
    c.text(9.45, top, "$c_t$")
    c.text(0.55, low, "$h_{t-1}$")
    c.text(9.45, 2.55, "$h_t$")
    c.text(3.9, 0.3, "$x_t$")
    fx, ix, gx, ox = 2.4, 3.6, 4.8, 6.4
    mul_f, add, mul_o = c.op(fx, top, "×"), c.op(gx - 0.6, top, "+"), c.op(7.6, 2.55, "×")
    c.arrow((0.85, top), mul_f, shrink=2)
    c.arrow(mul_f, add, shrink=10)
    c.arrow(add, (9.15, top), shrink=10)
    tanh_c = c.box(7.6, 3.45, "tanh", "gate", w=0.9, h=0.45, fontsize=9)
    c.line([(7.0, top), (7.6, top), (7.6, 3.67)])
    c.arrow(tanh_c, mul_o, shrink=12)
    c.arrow(mul_o, (9.15, 2.55), shrink=10)
    for x, name, fn in ((fx, "f", "σ"), (ix, "i", "σ"), (gx, "g", "tanh"), (ox, "o", "σ")):
        c.box(x, 2.45, f"{fn}\n${name}$", "gate", w=0.85, h=0.8, fontsize=9)
        c.line([(x, low), (x, 2.05)])
    c.line([(0.85, low), (ox, low)])
    c.line([(3.9, 0.5), (3.9, low)])
    c.arrow((fx, 2.85), mul_f, shrink=6)
    mul_i = c.op(ix + 0.6, 3.35, "×")
    c.arrow((ix, 2.85), mul_i, shrink=6)
    c.arrow((gx, 2.85), mul_i, shrink=6)
    c.arrow(mul_i, add, shrink=6)
    c.arrow((ox, 2.85), mul_o, shrink=8, rad=-0.3)
    c.line([(mul_o[0] + 0.7, 2.55), (mul_o[0] + 0.7, 1.0), (1.0, 1.0)], color="#999", lw=0.8)
    c.text(5.2, 0.75, "$h_t$ is the next step's $h_{t-1}$", fontsize=8, color="#777")
    c.parts.update(kind="lstm", gates=["f", "i", "g", "o"])
    return c.fig


def gru_cell() -> Figure:
    """One GRU step in the course's form: ``r`` and ``z`` read ``[h_{t-1}; x_t]``, the candidate ``h̃ = tanh(W x_t
    + U (r ⊙ h_{t-1}))`` (reset before the recurrent product) and ``h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃`` (Lecture 5;
    PyTorch applies ``r`` after the product, :mod:`course_lib.reference.gru`)."""
    c = _Canvas(10.0, 5.6, (8.0, 4.5), "The GRU cell: $h_t = z \\odot h_{t-1} + (1 - z) \\odot \\tilde h_t$")
    c.ax.add_patch(FancyBboxPatch((1.2, 0.9), 7.6, 3.9, boxstyle="round,pad=0.05,rounding_size=0.3",
                                  facecolor="#f7f7f7", edgecolor="#999", lw=1.0))
    top, low = 4.2, 1.3
    c.text(0.55, top, "$h_{t-1}$")
    c.text(9.45, top, "$h_t$")
    c.text(3.9, 0.3, "$x_t$")
    rx, nx, zx = 2.0, 3.9, 6.0
    c.box(rx, 2.2, "σ\n$r$", "gate", w=0.85, h=0.8, fontsize=9)
    c.box(nx, 2.2, "tanh\n$\\tilde h$", "gate", w=0.95, h=0.8, fontsize=9)
    c.box(zx, 2.2, "σ\n$z$", "gate", w=0.85, h=0.8, fontsize=9)
    # [h_{t-1}; x_t] feeds the two gates; x_t and r ⊙ h_{t-1} feed the candidate
    c.line([(1.4, top), (1.4, low), (zx, low)])
    for x in (rx, zx):
        c.line([(x, low), (x, 1.8)])
    c.line([(nx, 0.5), (nx, 1.8)])
    c.ax.plot([nx], [low], "o", color="#333", ms=4)
    mul_r = c.op(2.95, 3.3, "×")
    c.arrow((rx, 2.6), mul_r, shrink=4)
    c.line([(2.95, top), (2.95, 3.6)])
    c.arrow((2.95, 3.8), mul_r, shrink=2)
    c.arrow(mul_r, (nx - 0.2, 2.6), shrink=6)
    c.text(2.3, 3.55, "$r \\odot h_{t-1}$", fontsize=8)
    keep, add = c.op(zx, top, "×"), c.op(8.6, top, "+")
    c.arrow((0.85, top), keep, shrink=2)
    c.arrow(keep, add, shrink=10)
    c.arrow(add, (9.15, top), shrink=10)
    c.arrow((zx, 2.6), keep, shrink=4, label="$z$", label_at=0.45, label_offset=(0.15, 0.0))
    one_minus, mul_new = c.op(7.0, 3.0, "1−"), c.op(7.9, 3.0, "×")
    c.line([(zx + 0.43, 2.2), (7.0, 2.2), (7.0, 2.75)])
    c.arrow(one_minus, mul_new, shrink=10)
    c.line([(nx + 0.48, 2.2), (4.8, 2.2), (4.8, 3.6), (7.9, 3.6)])
    c.arrow((7.9, 3.62), mul_new, shrink=2, label="$\\tilde h$", label_offset=(0.25, -0.1), fontsize=8)
    c.arrow(mul_new, add, shrink=8)
    c.parts.update(kind="gru", gates=["r", "z"])
    return c.fig


def crf_trellis(words: Sequence[str], tag_names: Sequence[str], emissions: np.ndarray, transitions: np.ndarray,
                start: np.ndarray, end: np.ndarray) -> Figure:
    """The trellis of a linear-chain CRF over ``words``: one node per (position, tag) with its emission score, every
    transition edge drawn faintly, and the Viterbi path — :func:`course_lib.reference.crf.viterbi_decode` on these
    scores — drawn bold with its total score (Lecture 6, "The linear-chain CRF").

    emissions: (T, K); transitions: (K, K), ``[i, j]`` from tag i to tag j; start, end: (K,).
    ``fig.course_parts["path"]`` holds the decoded tag indices, ``["score"]`` their score.
    """
    from course_lib.reference.crf import viterbi_decode

    emissions = np.asarray(emissions, dtype=np.float64)
    T, K = len(words), len(tag_names)
    if emissions.shape != (T, K):
        raise ValueError(f"emissions must have shape (T, K) = ({T}, {K}), got {emissions.shape}")
    paths, scores = viterbi_decode(emissions[None], None, np.asarray(transitions, dtype=np.float64),
                                   np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64))
    path, score = paths[0], float(scores[0])
    c = _Canvas(1.6 + 1.9 * T, 1.3 + 1.0 * K, (1.4 + 1.45 * T, 1.3 + 0.75 * K),
                f"CRF trellis: the Viterbi path (bold) scores {score:.2f}")
    xs = [1.7 + 1.9 * t for t in range(T)]
    ys = [0.6 + 1.0 * (K - 1 - k) for k in range(K)]
    for t in range(1, T):
        for i in range(K):
            for j in range(K):
                if not (path[t - 1] == i and path[t] == j):
                    c.line([(xs[t - 1] + 0.45, ys[i]), (xs[t] - 0.45, ys[j])], color="#d0d0d0", lw=0.7)
    for t, x in enumerate(xs):
        c.text(x, 0.6 + 1.0 * K - 0.25, words[t], fontsize=10, weight="bold")
        for k, y in enumerate(ys):
            on = path[t] == k
            c.box(x, y, f"{emissions[t, k]:+.1f}", "y" if on else "op", w=0.85, h=0.5, fontsize=8)
            if on:
                c.ax.patches[-1].set_linewidth(2.2)
        if t > 0:
            c.arrow((xs[t - 1], ys[path[t - 1]]), (x, ys[path[t]]), color="#1f6f2b", lw=2.4, shrink=16,
                    label=f"{transitions[path[t - 1], path[t]]:+.1f}", label_offset=(0.0, 0.08), fontsize=8)
    for k, y in enumerate(ys):
        c.text(0.45, y, tag_names[k], fontsize=9, ha="center")
    c.parts.update(kind="crf", path=path, score=score, T=T, K=K)
    return c.fig
