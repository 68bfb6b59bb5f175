"""Turn the records of ``python -m course_lib.train sentiment_word_lm`` runs into a benchmark result.

    python benchmarks/record_sentiment_word_lm.py RUN_DIR[=WHAT] [RUN_DIR=WHAT ...]

The first run is the shipped one; the others are set beside it as variants (same data, probe and budget unit),
``WHAT`` saying in a few words what each one changed.
Writes ``benchmarks/results/train_sentiment_word_lm.json`` (rendered into BENCHMARKS.md by ``render.py``): the
final full-size measurement of each run and the emergence curve of each (one row per chunk: CPU-minutes, tokens,
LM validation loss, the probe's one-unit and all-units test accuracies on 1,000 test reviews).
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
GOAL = ("one unit as a threshold classifier <= 20 % IMDB test error from <= 3 CPU-hours of (resumable) LM training; "
        "all-units LR reported too (Radford et al. 2017: 7.70 % one unit, 7.12 % all units, 1 month on 4 GPUs)")


def summarise(run: Path) -> dict:
    r = json.loads((run / "sentiment_word_unit.json").read_text())
    row = {"run": run.name, "command": " && ".join(r["commands"]), "chrono_t_max": r["config"].get("chrono_t_max"),
           "skip_ahead": r["config"].get("skip_ahead", 0), "hidden": r["config"]["hidden_dim"],
           "lr": r["config"]["lr"], "cpu_minutes": round(r["train_cpu_seconds"] / 60, 1),
           "tokens_M": round(r["tokens_seen"] / 1e6, 1), "epochs": round(r["epochs"], 2),
           "val_ppl": round(r["val_ppl"], 1), "dropout": r["config"].get("dropout", 0.0),
           "bf16": r["config"].get("bf16", False)}
    row.update(_probe_columns(r["emergence_curve"][-1]))
    for kind, f in r["features"].items():
        row[f"{kind}_unit"] = f["unit"]
        for ds in ("imdb", "sst"):
            row[f"{kind}_one_unit_{ds}_err"] = round(100 * (1 - f["one_unit"][ds]["test_accuracy"]), 2)
            row[f"{kind}_all_units_{ds}_err"] = round(100 * (1 - f["all_units"][ds]["test_accuracy"]), 2)
    return row


def curve_rows(run: Path, tokens_per_review: float) -> list[dict]:
    """The emergence curve of a run: from its record, or (a run stopped by hand before its final analysis) from
    its ``metrics.json``, with the same probe; its tokens then count ``tokens_per_review`` per review read."""
    record = run / "sentiment_word_unit.json"
    if record.exists():
        return json.loads(record.read_text())["emergence_curve"]
    from course_lib.train.sentiment_words import annotate_progress, emergence_curve

    cfg = _state_meta(run)["config"]
    history = json.loads((run / "metrics.json").read_text())
    return emergence_curve(annotate_progress(history, cfg["chunk_steps"] * cfg["batch_size"], tokens_per_review))


def _state_meta(run: Path) -> dict:
    import torch

    return torch.load(run / "train_state.pt", map_location="cpu", weights_only=True)["meta"]


def stopped_row(run: Path, tokens_per_review: float) -> dict:
    """The summary row of a run stopped by hand: its config, budget used and the probe at its last chunk."""
    meta, last = _state_meta(run), curve_rows(run, tokens_per_review)[-1]
    cfg = meta["config"]
    return {"run": run.name, "command": " && ".join(meta.get("commands", [meta["command"]])),
            "chrono_t_max": cfg.get("chrono_t_max"), "skip_ahead": cfg.get("skip_ahead", 0),
            "hidden": cfg["hidden_dim"], "lr": cfg["lr"],
            "cpu_minutes": round(last["cpu_minutes"], 1), "val_ppl": round(math.exp(last["val_loss"]), 1),
            "dropout": cfg.get("dropout", 0.0), "bf16": cfg.get("bf16", False),
            "note": f"stopped by hand after {last['chunk']} chunks; probe only (1,000 test reviews)",
            **_probe_columns(last)}


def _probe_columns(last: dict) -> dict:
    """The probe (1,000 test reviews) at a run's last chunk: comparable between finished and stopped runs."""
    return {"probe_c_T_one_unit_acc": round(last["final_c_one_unit_acc"], 3),
            "probe_mean_h_one_unit_acc": round(last["mean_h_one_unit_acc"], 3),
            "probe_all_units_acc": round(last["mean_h_all_units_acc"], 3)}


def main(runs: list[Path], changes: list[str] | None = None) -> Path:
    shipped = json.loads((runs[0] / "sentiment_word_unit.json").read_text())
    per_review = shipped["data"]["tokens_per_epoch"] / shipped["data"]["train_reviews"]
    rows = [summarise(r) if (r / "sentiment_word_unit.json").exists() else stopped_row(r, per_review) for r in runs]
    for row, change in zip(rows, changes or [""] * len(rows), strict=True):
        row["change"] = change
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
        curve = curve_rows(run, per_review)
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
    args = [a.split("=", 1) + [""] for a in sys.argv[1:]]
    print(main([Path(a[0]) for a in args], [a[1] for a in args]))
