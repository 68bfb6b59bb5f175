"""Benchmark: the bag-of-n-grams baselines of deck 000, Part 5 on the full IMDB 25k / 25k split.

Binarised MNB, logistic regression and NB-LR / NBSVM (Wang & Manning 2012) from :mod:`course_lib.baselines`;
test error and the wall / CPU time of vectorising and of each fit.

    COURSE_DATA_MIRROR=/work/shared/data nice -n 10 .venv/bin/python benchmarks/bench_imdb_baselines.py \
        [--out benchmarks/results/imdb_baselines.json]

Needs the real IMDB archive (``COURSE_DATA_MIRROR`` or a download); about 7 CPU-minutes in all (one 1-3-gram
vectorisation, held-out selection of the ``_tuned`` rows on whole training movies, two NBSVM fits).
The ``command`` recorded in the JSON is the command line as run: the mirror variable, ``nice`` and the interpreter.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from course_lib.tasks.imdb import run_baselines

RESULTS = Path(__file__).resolve().parent / "results" / "imdb_baselines.json"


def command_line() -> str:
    """This process's command line: ``COURSE_DATA_MIRROR=...`` / ``OMP_NUM_THREADS=...`` when set, ``nice -n K``
    when niced, interpreter and arguments (paths relative to the working directory where possible)."""
    def rel(p: str) -> str:
        try:
            return os.path.relpath(p) if os.path.isabs(p) and not os.path.relpath(p).startswith("..") else p
        except ValueError:
            return p
    env = [f"{k}={shlex.quote(os.environ[k])}" for k in ("COURSE_DATA_MIRROR", "OMP_NUM_THREADS") if os.environ.get(k)]
    nice = [f"nice -n {os.nice(0)}"] if os.nice(0) > 0 else []
    return " ".join(env + nice + [shlex.quote(rel(p)) for p in (sys.executable, *sys.argv)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run_baselines(args.out, command_line(), log=lambda s: print(s, flush=True))
    for row in report["results"]:
        print(f"  {row['model']:10s} {row['test_error_pct']:6.2f} %  (published {row['published_pct']}, "
              f"goal {row['goal_pct']})")


if __name__ == "__main__":
    main()
