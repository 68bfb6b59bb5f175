"""Turn the records of ``python -m course_lib.train sentiment_word_lm`` runs into a benchmark result.

    python benchmarks/record_sentiment_word_lm.py RUN_DIR [RUN_DIR ...]

The first run is the shipped one; the others are set beside it as variants (same data, probe and budget unit).
Writes ``benchmarks/results/train_sentiment_word_lm.json`` (rendered into BENCHMARKS.md by ``render.py``): the
final full-size measurement of each run and the emergence curve of each (one row per chunk: CPU-minutes, tokens,
LM validation loss, the probe's one-unit and all-units test accuracies on 1,000 test reviews).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL = ("one unit as a threshold classifier <= 20 % IMDB test error from <= 3 CPU-hours of (resumable) LM training; "
        "all-units LR reported too (Radford et al. 2017: 7.70 % one unit, 7.12 % all units, 1 month on 4 GPUs)")


def summarise(run: Path) -> dict:
    r = json.loads((run / "sentiment_word_unit.json").read_text())
    row = {"run": run.name, "chrono_t_max": r["config"].get("chrono_t_max"), "hidden": r["config"]["hidden_dim"],
           "lr": r["config"]["lr"], "cpu_minutes": round(r["train_cpu_seconds"] / 60, 1),
           "tokens_M": round(r["tokens_seen"] / 1e6, 1), "epochs": round(r["epochs"], 2),
           "val_ppl": round(r["val_ppl"], 1)}
    for kind, f in r["features"].items():
        row[f"{kind}_unit"] = f["unit"]
        for ds in ("imdb", "sst"):
            row[f"{kind}_one_unit_{ds}_err"] = round(100 * (1 - f["one_unit"][ds]["test_accuracy"]), 2)
            row[f"{kind}_all_units_{ds}_err"] = round(100 * (1 - f["all_units"][ds]["test_accuracy"]), 2)
    return row


def main(runs: list[Path]) -> Path:
    shipped = json.loads((runs[0] / "sentiment_word_unit.json").read_text())
    rows = [summarise(r) for r in runs]
    best = rows[0]
    err = best["final_c_one_unit_imdb_err"]
    err_h = best["mean_h_one_unit_imdb_err"]
    verdict = (f"shipped run ({best['cpu_minutes']} CPU-min): one unit (c_T) {err} % IMDB test error, one unit "
               f"(mean h) {err_h} %, all units {best['final_c_all_units_imdb_err']} / "
               f"{best['mean_h_all_units_imdb_err']} %; goal {'met' if min(err, err_h) <= 20 else 'not met'}")
    result = {
        "title": "Training: a sentiment unit from a word-level LSTM LM on IMDB reviews (CPU)",
        "command": " && ".join(shipped["commands"]),
        "goal": GOAL, "verdict": verdict,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "torch_threads": shipped["threads"], "torch": shipped["torch"]},
        "runs": rows,
    }
    for run in runs:
        curve = json.loads((run / "sentiment_word_unit.json").read_text())["emergence_curve"]
        result[f"emergence_curve_{run.name}"] = [
            {"chunk": c["chunk"], "cpu_min": round(c["cpu_minutes"], 1), "tokens_M": round(c["tokens_seen"] / 1e6, 2),
             "val_loss": round(c["val_loss"], 3),
             "c_T_unit": c["final_c_unit"], "c_T_one_unit_acc": round(c["final_c_one_unit_acc"], 3),
             "mean_h_unit": c["mean_h_unit"], "mean_h_one_unit_acc": round(c["mean_h_one_unit_acc"], 3),
             "all_units_acc_mean_h": round(c["mean_h_all_units_acc"], 3)} for c in curve]
    out = HERE / "results" / "train_sentiment_word_lm.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


if __name__ == "__main__":
    print(main([Path(p) for p in sys.argv[1:]]))
