"""CPU time of one training step of the sentiment word LM, float32 against bfloat16 autocast.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_word_lm_step.py

The model and batch of ``python -m course_lib.train sentiment_word_lm`` (8,000 words, 64-d embeddings, 512 LSTM
units, adaptive softmax; 32 reviews of 241 tokens, the training set's mean length): forward, backward and Adam
step, one thread, process CPU time. Writes ``benchmarks/results/word_lm_step.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from course_lib.train.sentiment_words import WordLMConfig, build_model, review_lm_loss  # noqa: E402


def step_seconds(bf16: bool, repeats: int = 8) -> list[float]:
    cfg = WordLMConfig()
    torch.manual_seed(0)
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    ids = torch.randint(3, cfg.vocab_size, (cfg.batch_size, 242))
    mask = torch.ones_like(ids, dtype=torch.bool)
    times = []
    for i in range(repeats + 1):
        t = time.process_time()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = review_lm_loss(model, (ids, mask))
        loss.backward()
        opt.step()
        if i:                                    # the first step warms up the kernels
            times.append(time.process_time() - t)
    return times


def main() -> Path:
    torch.set_num_threads(1)
    rows = []
    for name, bf16 in (("float32", False), ("bfloat16 autocast", True)):
        t = step_seconds(bf16)
        rows.append({"precision": name, "median_cpu_s_per_step": round(statistics.median(t), 3),
                     "min_cpu_s_per_step": round(min(t), 3), "steps": len(t),
                     "tokens_per_cpu_s": round(32 * 241 / statistics.median(t))})
    result = {
        "title": "Sentiment word LM: CPU time of one training step, float32 vs bfloat16 autocast",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_word_lm_step.py",
        "goal": "know what bfloat16 autocast buys the CPU-budgeted sentiment LM (measured, not assumed)",
        "verdict": f"bfloat16 autocast {rows[0]['median_cpu_s_per_step'] / rows[1]['median_cpu_s_per_step']:.2f}x "
                   "less CPU per step than float32",
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": str(torch.__version__),
                    "torch_threads": 1, "bf16_cpu_flags": sorted({f for f in Path("/proc/cpuinfo").read_text().split()
                                                                  if "bf16" in f or f.startswith("amx")}),
                    "load_average_1min": os.getloadavg()[0]},
        "steps": rows,
    }
    out = HERE / "results" / "word_lm_step.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


if __name__ == "__main__":
    print(main())
