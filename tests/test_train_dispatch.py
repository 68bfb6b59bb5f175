"""`python -m course_lib.train <task>` reaches every training pipeline of the course."""

import subprocess
import sys

import pytest

from course_lib.tasks import imdb, tagging
from course_lib.train import cli


def _run(*args):
    return subprocess.run([sys.executable, "-m", "course_lib.train", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("task,usage", [("upos_crf", "course_lib.tasks.tagging"),
                                        ("imdb_lstm_pretrained", "course_lib.tasks.imdb"),
                                        ("char_lm", "course_lib.train")])
def test_each_family_of_tasks_is_reachable(task, usage):
    proc = _run(task, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"usage: python -m {usage}" in proc.stdout


def test_unknown_task_lists_every_task():
    proc = _run("char_rnn")
    assert proc.returncode == 2
    for name in [*cli.TASKS, *tagging.TASKS, *(f"imdb_{t}" for t in imdb.TASKS)]:
        assert name in proc.stderr
