"""Benchmark: the NumPy reference LSTM (course_lib.reference.lstm) against torch.nn.LSTM, on the CPU.

One training step's worth of work on each side -- forward over the whole sequence, then backward to the
input, the initial states and all weights -- in float32, batch 32, 64 steps, input = hidden = 256, in
the same process with the same weights and the same number of threads for NumPy's BLAS and torch.
Runs alternate (NumPy, torch, NumPy, ...) after a warm-up so that a load change on a shared machine hits
both; the ratio of the median wall-clock times is the headline number. The median of the per-pair
ratios and the ratio of median CPU times (``time.process_time``, all threads of the process: less
sensitive to other processes competing for the cores) are reported too.

    .venv/bin/python benchmarks/bench_lstm.py [--threads 1] [--repeats 15]

Writes benchmarks/results/lstm.json (numbers and machine info) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from course_lib.reference.lstm import from_torch_lstm, lstm_backward, lstm_forward

GOAL = 1.5  # numpy time / torch time
RESULTS = Path(__file__).resolve().parent / "results" / "lstm.json"


def limit_threads(n: int):
    """Use ``n`` threads in torch and in NumPy's BLAS (via threadpoolctl, which scikit-learn brings)."""
    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return None, []
    limiter = threadpool_limits(limits=n, user_api="blas")
    info = [{k: d.get(k) for k in ("internal_api", "prefix", "version", "num_threads", "architecture")}
            for d in threadpool_info()]
    return limiter, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256, help="input size = hidden size")
    parser.add_argument("--threads", type=int, default=1, help="threads for both NumPy's BLAS and torch")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    N, T, D = args.batch, args.steps, args.hidden
    H = D
    _limiter, blas_info = limit_threads(args.threads)

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(D, H, batch_first=True)  # float32
    Wx, Wh, b = from_torch_lstm(*[p.detach().numpy() for p in
                                  (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D), dtype=np.float32)
    dout = rng.standard_normal((N, T, H), dtype=np.float32)
    h0 = np.zeros((N, H), np.float32)
    c0 = np.zeros((N, H), np.float32)
    dout_t = torch.from_numpy(dout)

    def run_numpy():
        _, _, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
        return lstm_backward(dout, cache)

    def run_torch():
        lstm.zero_grad(set_to_none=True)
        xt = torch.from_numpy(x).requires_grad_(True)
        h0t = torch.zeros(1, N, H, requires_grad=True)
        c0t = torch.zeros(1, N, H, requires_grad=True)
        out, _ = lstm(xt, (h0t, c0t))
        out.backward(dout_t)
        return xt.grad, lstm.weight_hh_l0.grad

    # Same computation on both sides (float32 round-off only).
    dx, _, _, _, dWh, _, _ = run_numpy()
    dxt, dWht = run_torch()
    max_dx = float(np.abs(dx - dxt.numpy()).max())
    max_dWh = float(np.abs(dWh - dWht.numpy().T).max())
    assert max_dx < 1e-3 and max_dWh < 1e-2, (max_dx, max_dWh)

    for _ in range(args.warmup):
        run_numpy()
        run_torch()
    times = {"numpy": [], "torch": []}
    cpu = {"numpy": [], "torch": []}
    for _ in range(args.repeats):
        for name, fn in (("numpy", run_numpy), ("torch", run_torch)):
            t0, cpu0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(1e3 * (time.perf_counter() - t0))
            cpu[name].append(1e3 * (time.process_time() - cpu0))

    # The recurrent product y^{t-1} Wh, done 2T times per run (forward and backward) by both sides: how
    # fast each library's BLAS (NumPy: OpenBLAS; torch: MKL on x86) does this one shape, in CPU time.
    h_np = rng.standard_normal((N, H), dtype=np.float32)
    h_t, Wh_t, rec = torch.from_numpy(h_np), torch.from_numpy(Wh), np.empty((N, 4 * H), np.float32)
    step_mm = {}
    for name, fn in (("numpy", lambda: np.matmul(h_np, Wh, out=rec)), ("torch", lambda: torch.mm(h_t, Wh_t))):
        samples = []
        for _ in range(15):
            c = time.process_time()
            for _ in range(20):
                fn()
            samples.append(1e3 * (time.process_time() - c) / 20)
        step_mm[name] = round(statistics.median(samples), 4)

    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["numpy"] / med["torch"]
    cpu_ratio = med_cpu["numpy"] / med_cpu["torch"]
    pair_ratio = statistics.median(a / b for a, b in zip(times["numpy"], times["torch"], strict=True))
    result = {
        "title": "NumPy reference LSTM vs torch.nn.LSTM (forward + backward)",
        "command": "python benchmarks/bench_lstm.py",
        "goal": f"numpy/torch time ratio <= {GOAL} (float32, batch 32, 64 steps, input = hidden = 256, same process)",
        "verdict": f"wall ratio {ratio:.2f} (median pairwise {pair_ratio:.2f}), CPU-time ratio {cpu_ratio:.2f}: "
                   + ("met" if ratio <= GOAL else "not met on wall time"),
        "benchmark": "LSTM forward + backward (input, initial states and weight gradients), CPU",
        "config": {"batch": N, "steps": T, "input_size": D, "hidden_size": H, "dtype": "float32",
                   "repeats": args.repeats, "warmup": args.warmup, "threads": args.threads},
        "numpy_ms": {"median": round(med["numpy"], 2), "min": round(min(times["numpy"]), 2),
                     "all": [round(t, 2) for t in times["numpy"]], "cpu_median": round(med_cpu["numpy"], 2)},
        "torch_ms": {"median": round(med["torch"], 2), "min": round(min(times["torch"]), 2),
                     "all": [round(t, 2) for t in times["torch"]], "cpu_median": round(med_cpu["torch"], 2)},
        "ratio_numpy_over_torch": round(ratio, 3),
        "median_pairwise_ratio": round(pair_ratio, 3),
        "cpu_time_ratio": round(cpu_ratio, 3),
        "min_wall_ratio": round(min(times["numpy"]) / min(times["torch"]), 3),
        "goal_ratio": GOAL,
        "meets_goal": ratio <= GOAL,
        "max_abs_diff": {"dx": max_dx, "dWh": max_dWh},
        "recurrent_matmul_ms_cpu": step_mm,
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "blas": blas_info,
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"LSTM fwd+bwd, N={N} T={T} D=H={H} float32, {args.threads} thread(s), "
          f"median of {args.repeats}:")
    print(f"  numpy reference {med['numpy']:8.1f} ms wall  {med_cpu['numpy']:8.1f} ms CPU")
    print(f"  torch.nn.LSTM   {med['torch']:8.1f} ms wall  {med_cpu['torch']:8.1f} ms CPU")
    print(f"  ratio numpy/torch = {ratio:.2f} wall (median pairwise {pair_ratio:.2f}), {cpu_ratio:.2f} CPU;"
          f" goal <= {GOAL}")
    print(f"  one recurrent product ({N}x{H} @ {H}x{4 * H}): numpy {step_mm['numpy']:.3f} ms, "
          f"torch {step_mm['torch']:.3f} ms CPU")
    print(f"  written to {args.out}")


if __name__ == "__main__":
    main()
