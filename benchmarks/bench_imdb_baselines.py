"""Benchmark: the bag-of-n-grams baselines of deck 000, Part 5 on the full IMDB 25k / 25k split.

Binarised MNB, logistic regression and NB-LR / NBSVM (Wang & Manning 2012) from :mod:`course_lib.baselines`;
test error and the wall / CPU time of vectorising and of each fit.

    .venv/bin/python benchmarks/bench_imdb_baselines.py [--out benchmarks/results/imdb_baselines.json]

Needs the real IMDB archive (``COURSE_DATA_MIRROR`` or a download); about 10 CPU-minutes in all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_lib.tasks.imdb import run_baselines

RESULTS = Path(__file__).resolve().parent / "results" / "imdb_baselines.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run_baselines(args.out, "python " + " ".join(sys.argv), log=lambda s: print(s, flush=True))
    for row in report["results"]:
        print(f"  {row['model']:10s} {row['test_error_pct']:6.2f} %  (published {row['published_pct']}, "
              f"goal {row['goal_pct']})")


if __name__ == "__main__":
    main()
