"""Benchmark: our batched CRF layer (course_lib.models.crf.CRF) against pytorch-crf (torchcrf.CRF 0.7.2).

Same parameters copied into both, same random ragged batch (batch 64, 50 steps, 20 tags, float32, one
sequence of full length so that both loop over all 50 steps). Three operations, each timed as the median
over repeats after a warm-up, ours and pytorch-crf interleaved so that load on the machine hits both alike:

* ``loglik_forward``  — log-likelihood (reduction "mean") with autograd recording, as in a training step;
* ``loglik_forward_backward`` — the same plus ``backward()`` into emissions and CRF parameters;
* ``decode`` — Viterbi decoding to lists of tags (under ``no_grad``).

Usage: ``python benchmarks/bench_crf.py [--repeats 30] [--inner 5] [--threads 1 2] [--out PATH]``
(each thread count in turn; default 1 thread: on a shared 2-core machine two OpenMP threads mostly measure
the other processes).
Writes ``benchmarks/results/crf.json`` and prints a table. The result file has the keys ``title``,
``command``, ``goal``, ``verdict`` and ``machine`` that ``benchmarks/render.py`` puts into BENCHMARKS.md. The
load average is recorded because other processes inflate absolute times (the interleaved ratio is the robust
number).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
import torchcrf

from course_lib.models.crf import CRF

HERE = Path(__file__).resolve().parent


def make_batch(n: int, t: int, k: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(n, t, k, generator=g)
    tags = torch.randint(0, k, (n, t), generator=g)
    lengths = torch.randint(1, t + 1, (n,), generator=g)
    lengths[0] = t
    mask = torch.arange(t).unsqueeze(0) < lengths.unsqueeze(1)
    return emissions, tags, mask


def timed(fn, inner: int) -> float:
    """Milliseconds per call of ``fn``, averaged over ``inner`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) * 1e3 / inner


def run_all(impls, args) -> dict:
    """Median (and min) ms per call of every operation, ours and pytorch-crf interleaved."""
    results = {}
    for op in ("loglik_forward", "loglik_forward_backward", "decode"):
        times = {name: [] for name in impls}
        for name in impls:
            for _ in range(args.warmup):
                impls[name][op]()
        for _ in range(args.repeats):
            for name in impls:
                times[name].append(timed(impls[name][op], args.inner))
        med = {name: statistics.median(v) for name, v in times.items()}
        results[op] = {
            "ours_ms": round(med["ours"], 4),
            "pytorch_crf_ms": round(med["pytorch_crf"], 4),
            "speedup": round(med["pytorch_crf"] / med["ours"], 3),
            "ours_min_ms": round(min(times["ours"]), 4),
            "pytorch_crf_min_ms": round(min(times["pytorch_crf"]), 4),
        }
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--tags", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--inner", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1],
                    help="torch thread counts to time, each in turn (default: 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "crf.json")
    args = ap.parse_args()
    default_threads = torch.get_num_threads()
    torch.manual_seed(args.seed)

    emissions, tags, mask = make_batch(args.batch, args.steps, args.tags, args.seed)
    ours = CRF(args.tags)
    theirs = torchcrf.CRF(args.tags, batch_first=True)
    theirs.load_state_dict(ours.state_dict())

    # Same numbers before timing anything.
    llh_ours = ours(emissions, tags, mask, reduction="sum").item()
    llh_theirs = theirs(emissions, tags, mask, reduction="sum").item()
    assert abs(llh_ours - llh_theirs) <= 1e-4 * abs(llh_theirs), (llh_ours, llh_theirs)
    assert ours.decode(emissions, mask) == theirs.decode(emissions, mask)

    def ops(crf):
        x = emissions.clone().requires_grad_(True)

        def fwd():
            crf(x, tags, mask, reduction="mean")

        def fwd_bwd():
            crf.zero_grad(set_to_none=True)
            x.grad = None
            crf(x, tags, mask, reduction="mean").neg().backward()

        def dec():
            with torch.no_grad():
                crf.decode(emissions, mask)

        return {"loglik_forward": fwd, "loglik_forward_backward": fwd_bwd, "decode": dec}

    impls = {"ours": ops(ours), "pytorch_crf": ops(theirs)}
    load_before = os.getloadavg()[0]
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        rows += [{"threads": threads, "operation": op, **r} for op, r in run_all(impls, args).items()]
    torch.set_num_threads(default_threads)
    meets_goal = all(r["speedup"] >= 1.0 for r in rows)
    speedups = ", ".join(f"{r['operation']} {r['speedup']:.2f}x" for r in rows)

    report = {
        "title": "Linear-chain CRF layer: course_lib.models.crf.CRF vs pytorch-crf 0.7.2",
        "command": "python benchmarks/bench_crf.py" + (f" --threads {' '.join(map(str, args.threads))}"
                                                       if args.threads != [1] else ""),
        "goal": "ours at least at parity with pytorch-crf (speed-up >= 1) on log-likelihood forward, "
                "forward + backward and Viterbi decoding",
        "verdict": ("met" if meets_goal else "NOT met")
        + f" (speed-up = pytorch-crf time / ours: {speedups})",
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "python": platform.python_version(), "processor": platform.machine(), "torch": torch.__version__,
            "pytorch_crf": torchcrf.__version__, "torch_default_threads": default_threads, "device": "cpu",
        },
        "config": {
            "batch": args.batch, "steps": args.steps, "tags": args.tags, "dtype": "float32",
            "lengths": "uniform in [1, steps], first sequence full length", "repeats": args.repeats,
            "calls_per_repeat": args.inner, "warmup_calls": args.warmup, "statistic": "median ms per call",
            "seed": args.seed,
        },
        "check": {"loglik_sum_ours": llh_ours, "loglik_sum_pytorch_crf": llh_theirs,
                  "decode_identical": True},
        "meets_goal": meets_goal,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"CRF benchmark: batch {args.batch}, {args.steps} steps, {args.tags} tags, float32, "
          f"torch {torch.__version__}; median ms per call over {args.repeats} repeats; "
          f"1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'threads':<9}{'operation':<26}{'ours':>10}{'pytorch-crf':>14}{'speed-up':>10}")
    for r in rows:
        print(f"{r['threads']:<9}{r['operation']:<26}{r['ours_ms']:>10.3f}{r['pytorch_crf_ms']:>14.3f}"
              f"{r['speedup']:>9.2f}x")
    print(report["verdict"])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
