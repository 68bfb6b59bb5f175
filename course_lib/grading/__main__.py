"""Instructor command line: ``python -m course_lib.grading <command>`` (see ``--help``)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from course_lib.grading import box, pipeline
from course_lib.grading.judge import ASSIGNMENTS


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.grading", description=__doc__)
    p.add_argument("--root", type=Path, default=pipeline.COURSE_ROOT, help="nbgrader course root")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="solutions/*.py -> source/ -> release/ (nbgrader generate_assignment)")
    r.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    c = sub.add_parser("collect", help="copy submissions from a folder or .zip into submitted/")
    c.add_argument("source", type=Path, help="<student>/<assignment>.ipynb folder or zip")
    c.add_argument("assignment", choices=ASSIGNMENTS)
    a = sub.add_parser("autograde", help="grade every collected submission, in parallel")
    a.add_argument("assignment", choices=ASSIGNMENTS)
    a.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    a.add_argument("--timeout", type=int, default=30, help="seconds per notebook cell")
    a.add_argument("--mem-gb", type=float, default=2.0, help="address-space limit of a kernel / sandbox")
    a.add_argument("--require-sandbox", action="store_true",
                   help="refuse to grade unless every submission runs in the OS sandbox (bubblewrap)")
    a.add_argument("--no-execute", action="store_true",
                   help="skip the kernel run (same grades, faster; feedback without the students' outputs)")
    f = sub.add_parser("feedback", help="HTML feedback (no hidden tests) in feedback/")
    f.add_argument("assignment", choices=ASSIGNMENTS)
    e = sub.add_parser("export", help="grades CSV: one row per student and assignment, a column per part")
    e.add_argument("out", type=Path)
    args = p.parse_args(argv)

    if args.command == "release":
        pipeline.release(args.root, args.assignments)
        print(f"released {', '.join(args.assignments)} into {args.root / 'release'}")
    elif args.command == "collect":
        students = pipeline.collect(args.source, args.assignment, args.root)
        print(f"collected {len(students)} submissions of {args.assignment}")
    elif args.command == "autograde":
        if args.require_sandbox:
            os.environ[box.MODE_ENV] = "require"
        try:
            box.enabled()
        except box.SandboxUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        def show(res):
            total = sum(g["auto_score"] or 0 for nb in res["grades"].values() for g in nb.values())
            print(f"{res['student']:>24s}  {total:6.2f} points  {res['seconds']:5.1f} s"
                  + ("" if res["success"] else "  (see log: not graded normally)")
                  + "".join(f"\n{'':>26s}note: {n}" for n in res.get("notes", [])), flush=True)
        results = pipeline.autograde(args.assignment, args.root, workers=args.workers, cell_timeout=args.timeout,
                                     mem_bytes=int(args.mem_gb * (1 << 30)), execute=not args.no_execute,
                                     progress=show)
        if results:
            print(f"{len(results)} submissions, median {statistics.median(r['seconds'] for r in results):.2f} s")
    elif args.command == "feedback":
        res = pipeline.feedback(args.assignment, args.root)
        print("feedback written" if res.get("success") else res.get("log", ""))
    elif args.command == "export":
        rows = pipeline.export_csv(args.out, args.root)
        print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
