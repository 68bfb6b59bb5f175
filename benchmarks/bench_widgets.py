"""Benchmark: how long one update of each widget takes (goal: < 200 ms for the explorer at T = 100, H = 64).

Explorer (``course_lib.widgets.vanishing``): the NumPy-reference compute per cell
(``gradient_norms_through_time``, one backward pass, and the full-Jacobian ``norm="spectral"`` option), the
clipping trace, and a whole slider update = compute + drawing the four panels as SVG, both *cold* (every cache
cleared: moving T, H, ρ or the seed) and *warm* (moving the forget-gate bias: only the gated cells rerun); for
comparison, the same four panels drawn by matplotlib (Agg + PNG), which the explorer used before.
Activation viewer (``course_lib.widgets.activations``): the activations of a 5,000-character text (char LSTM with
H = 128; 2,000 bytes for a byte mLSTM with H = 64; random weights: the timing does not depend on training) and rendering
one 2,000-character page of a 50,000-character text.

Each number is the median over ``--repeats`` after one warm-up, in milliseconds. The machine is shared, so the load
average is recorded next to the numbers.

Usage: ``python benchmarks/bench_widgets.py [--repeats 7] [--out PATH]``. Writes ``benchmarks/results/widgets.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import matplotlib
import numpy as np
import torch

from course_lib.models.language_models import RNNLM
from course_lib.models.mlstm import MLSTMLM
from course_lib.widgets import gradients, vanishing
from course_lib.widgets._display import figure_png
from course_lib.widgets.activations import activation_html, unit_activations
from course_lib.widgets.svgplot import render_row

HERE = Path(__file__).resolve().parent
GOAL_MS = 200.0


def measure(fn, repeats: int, setup=None) -> dict:
    """``{"ms", "cpu_ms"}``: median wall time and median CPU time (this process, all threads) of ``fn()`` over
    ``repeats`` runs after one warm-up; ``setup()`` runs untimed before each. On a loaded machine the wall time
    grows with the load, the CPU time much less."""
    wall, cpu = [], []
    for k in range(repeats + 1):
        if setup is not None:
            setup()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        if k:
            wall.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.process_time() - start_cpu) * 1e3)
    return {"ms": round(statistics.median(wall), 2), "cpu_ms": round(statistics.median(cpu), 2)}


def row(what: str, m: dict) -> dict:
    return {"what": what, **m}


def clear_caches() -> None:
    vanishing._norms.cache_clear()
    gradients._sgd_run.cache_clear()


def _matplotlib_figure(panels):
    """The explorer's four panels drawn with matplotlib, as the explorer did before it drew SVG (for the
    comparison row only: fixed margins, no layout engine, plain tick labels)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.2))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.07, top=0.95, wspace=0.2, hspace=0.33)
    for ax, p in zip(fig.subplots(2, 2).ravel(), panels):
        for s in p.series:
            ax.plot(s.x, s.y, color=s.color, lw=s.linewidth, ls=s.linestyle or "none", marker=s.marker,
                    label=s.label)
        ax.set(title=p.title, xlabel=p.xlabel, ylabel=p.ylabel, yscale="log" if p.logy else "linear")
        ax.legend(fontsize=7)
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--H", type=int, default=64)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "widgets.json")
    args = ap.parse_args()
    T, H, R = args.T, args.H, args.repeats
    load_before = os.getloadavg()

    per_cell = []
    for cell in gradients.CELLS:
        loss = measure(lambda c=cell: gradients.gradient_norms_through_time(c, T, H, 1.0, 1.0), R)
        spectral = measure(
            lambda c=cell: gradients.gradient_norms_through_time(c, T, H, 1.0, 1.0, norm="spectral"), max(1, R // 3))
        per_cell.append({"cell": gradients.CELL_LABELS[cell], "loss_ms": loss["ms"], "loss_cpu_ms": loss["cpu_ms"],
                         "spectral_ms": spectral["ms"], "spectral_cpu_ms": spectral["cpu_ms"]})

    default = {"cells": ("tanh", "lstm", "gru"), "T": T, "H": H}
    trace_ms = measure(lambda: gradients.clipping_trace(40, H, 1.0, 5.0, 0, steps=12), R, setup=clear_caches)
    compute_cold = measure(lambda: vanishing.explorer_panels(**default), R, setup=clear_caches)
    full_cold = measure(lambda: vanishing.explorer_svg(**default), R, setup=clear_caches)
    bias = iter(np.linspace(0.0, 5.0, 10 * (R + 1)))
    full_warm = measure(lambda: vanishing.explorer_svg(**default, forget_bias=next(bias)), R)
    panels = vanishing.explorer_panels(**default)[0]
    draw_only = measure(lambda: [render_row(panels[k:k + 2]) for k in (0, 2)], R)
    draw_matplotlib = measure(lambda: figure_png(_matplotlib_figure(panels)), R)
    widget = vanishing.VanishingGradientExplorer(**default)
    values = iter(np.linspace(0.01, 4.99, 10 * (R + 1)))  # not the biases above: those are cached
    widget_bias = measure(lambda: setattr(widget.forget_bias, "value", float(next(values))), R)
    radii = iter(np.linspace(0.8, 1.2, 10 * (R + 1)))
    widget_radius = measure(lambda: setattr(widget.radius, "value", float(next(radii))), R, setup=clear_caches)
    all_cells = measure(lambda: vanishing.explorer_panels(**{**default, "cells": gradients.CELLS}), R,
                          setup=clear_caches)

    rng = np.random.default_rng(0)
    text5k = "".join(rng.choice(list("abcdefgh ,.\n\"()"), size=5000))
    text2k = text5k[:2000]
    vocab = sorted(set(text5k))
    torch.manual_seed(0)
    lstm = RNNLM(len(vocab), 32, 128, cell="lstm")
    mlstm = MLSTMLM(hidden=64, embed=32)
    acts_lstm = measure(lambda: unit_activations(lstm, text5k, vocab, "cell"), max(1, R // 2))
    acts_mlstm = measure(lambda: unit_activations(mlstm, text2k, None, "cell"), max(1, R // 2))
    text50k = text5k * 10
    values = np.sin(np.arange(len(text50k)) / 9.0)
    page_ms = measure(lambda: activation_html(text50k, values, 30_000, None, max_chars=2000), R)
    page_bytes = len(activation_html(text50k, values, 30_000, None, max_chars=2000))

    verdict = (f"live explorer at T={T}, H={H}, 3 cells: radius moved (cold) {widget_radius['ms']:.0f} ms wall / "
               f"{widget_radius['cpu_ms']:.0f} ms CPU, forget-gate bias moved {widget_bias['ms']:.0f} ms wall / "
               f"{widget_bias['cpu_ms']:.0f} ms CPU; compute alone {compute_cold['ms']:.0f} ms wall / "
               f"{compute_cold['cpu_ms']:.0f} ms CPU; goal {GOAL_MS:.0f} ms: "
               f"{'met' if widget_radius['ms'] < GOAL_MS else 'not met on this machine (see load average)'}")
    result = {
        "title": "Widgets: time per update",
        "command": "python benchmarks/bench_widgets.py " + f"--repeats {R} --T {T} --H {H}",
        "goal": f"one explorer update at T={T}, H={H} under {GOAL_MS:.0f} ms",
        "verdict": verdict,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                    "torch": torch.__version__, "matplotlib": matplotlib.__version__,
                    "load_avg_1min_before": round(load_before[0], 2),
                    "load_avg_1min_after": round(os.getloadavg()[0], 2)},
        "gradient_norms_per_cell": per_cell,
        "explorer": [
            row("clipping trace (tanh, T=40, 12 SGD steps x 2 runs)", trace_ms),
            row("compute, 3 cells + eigenvalues + trace (cold caches)", compute_cold),
            row("compute, all 5 cells (cold caches)", all_cells),
            row("draw 4 panels as SVG only", draw_only),
            row("for comparison: the same 4 panels drawn by matplotlib (Agg) + PNG", draw_matplotlib),
            row("slider update, cold (T/H/radius/seed moved)", full_cold),
            row("slider update, warm (forget-gate bias moved)", full_warm),
            row("live widget: forget-gate bias moved (redraws the gradient panels only)", widget_bias),
            row("live widget: radius moved, cold caches (redraws all four panels)", widget_radius),
        ],
        "activation_viewer": [
            row("char LSTM H=128, cell states of 5,000 chars", acts_lstm),
            row("byte mLSTM H=64, cell states of 2,000 bytes", acts_mlstm),
            row(f"render one 2,000-char page of a 50,000-char text ({page_bytes} bytes of HTML)", page_ms),
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
