"""`python -m course_lib.train`: end to end on a tiny model, exact resume, time budget, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from course_lib.checkpoints import load_model
from course_lib.data import char_tokenize, load_tinyshakespeare
from course_lib.models.language_models import RNNLM
from course_lib.train import TASKS, lm_loss, main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["char_lm", "--tiny", "--no-progress"]



def _losses(out: Path) -> list[tuple[float, float]]:
    return [(row["train_loss"], row["val_loss"]) for row in json.loads((out / "metrics.json").read_text())]


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory, data_mirror):
    """Two rounds in one go: the reference for the resumed run."""
    out = tmp_path_factory.mktemp("straight")
    assert main([*TINY, "--rounds", "2", "--out", str(out)]) == 0
    return out


def test_run_writes_checkpoint_metrics_and_shipped_model(straight_run):
    out = straight_run
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and len(ckpt["history"]) == 2
    rows = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["val_loss"] < rows[0]["val_loss"] < 4.3          # ln(67) = 4.2: it learns from chance
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rounds_done"] == 2 and summary["steps"] == 2 * TASKS["char_lm"].tiny.steps_per_round
    assert summary["wall_s"] > 0 and summary["cpu_s"] > 0 and summary["val_loss"] == rows[1]["val_loss"]
    assert summary["commands"] == ["python -m course_lib.train char_lm --tiny --no-progress --rounds 2 --out "
                                   + str(out)]
    # the float16 shipped model loads as an RNNLM and reproduces the recorded check loss
    model, info = load_model(out / "char_lstm_shakespeare.pt")
    assert isinstance(model, RNNLM) and model.cell == "lstm" and not model.training
    assert next(model.parameters()).dtype == torch.float32
    val = load_tinyshakespeare("val")[: summary["check"]["val_tokens"]]
    ids = info.encode(val)
    assert info.decode(ids) == val
    assert lm_loss(model, ids, seq_len=200) == pytest.approx(summary["check"]["loss"], abs=1e-5)
    assert len(info.vocab) == len(set(char_tokenize(load_tinyshakespeare("train")))) + 2


def test_time_budget_stops_and_resume_continues_exactly(straight_run, tmp_path):
    out = tmp_path / "resumed"
    assert main([*TINY, "--rounds", "2", "--minutes", "0", "--out", str(out)]) == 0   # budget spent at once
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 1
    assert len(_losses(out)) == 1
    assert main([*TINY, "--rounds", "2", "--resume", "--out", str(out)]) == 0
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 2
    assert _losses(out) == _losses(straight_run)                   # same numbers as the uninterrupted run
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["commands"]) == 2 and "--resume" in summary["commands"][1]
    # nothing left to train: the finished model is exported again, not a fresh one
    assert main([*TINY, "--rounds", "2", "--resume", "--out", str(out)]) == 0
    again = json.loads((out / "summary.json").read_text())
    assert again["check"]["loss"] == summary["check"]["loss"] and again["rounds_done"] == 2
    a = torch.load(out / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(straight_run / "checkpoint.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_without_resume_an_old_checkpoint_is_not_continued(straight_run, tmp_path, capsys):
    out = tmp_path / "again"
    assert main([*TINY, "--rounds", "1", "--out", str(out)]) == 0
    assert main([*TINY, "--rounds", "1", "--out", str(out)]) == 0
    assert "starting afresh" in capsys.readouterr().out
    assert _losses(out) == _losses(straight_run)[:1]


def test_unknown_task_names_the_tasks():
    proc = subprocess.run([sys.executable, "-m", "course_lib.train", "char_rnn"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "invalid choice: 'char_rnn'" in proc.stderr
    assert all(name in proc.stderr for name in TASKS)
