"""Execution time and peak memory of every lecture, each run headless in a fresh process (CPU only).

Writes benchmarks/results/lectures.json. Budget per lecture (issue: the lectures): <= 90 s and <= 1 GB peak on the
course's 2-core machine, with the real data from COURSE_DATA_MIRROR (as in CI) and again with no data at all
(COURSE_DATA_OFFLINE=1 without a mirror: the shipped fallback data). Both runs set COURSE_DATA_OFFLINE=1, so lecture
7 does not download Radford et al.'s weights (not in the mirror); the numbers are for the lectures without them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "lectures.json"


def run(lecture: Path, extra_env: dict) -> dict:
    env = {**os.environ, **extra_env}
    res = subprocess.run([sys.executable, "-m", "course_lib.notebook_runner", str(lecture), "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": res.stderr[-500:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    for lecture in sorted((ROOT / "lectures").glob("[0-9][0-9]_*.py")):
        real = run(lecture, {"COURSE_DATA_OFFLINE": "1"})  # mirrored data only: no 345 MB sentiment-neuron download
        offline = run(lecture, {"COURSE_DATA_OFFLINE": "1", "COURSE_DATA_MIRROR": ""})
        rows.append({"lecture": lecture.stem,
                     "seconds (real data)": round(real.get("seconds", float("nan")), 1),
                     "peak MB (real data)": round(real.get("peak_rss_mb", float("nan"))),
                     "seconds (offline)": round(offline.get("seconds", float("nan")), 1),
                     "peak MB (offline)": round(offline.get("peak_rss_mb", float("nan"))),
                     "ok": "error" not in real and "error" not in offline})
        print(rows[-1], flush=True)
    worst_s = max(max(r["seconds (real data)"], r["seconds (offline)"]) for r in rows)
    worst_mb = max(max(r["peak MB (real data)"], r["peak MB (offline)"]) for r in rows)
    OUT.write_text(json.dumps({
        "title": "Lectures: execution time and peak memory",
        "command": "python benchmarks/bench_lectures.py",
        "goal": "every lecture <= 90 s and <= 1024 MB peak, with real data and offline",
        "verdict": f"worst {worst_s:.1f} s, {worst_mb} MB: "
                   + ("met" if worst_s <= 90 and worst_mb <= 1024 and all(r["ok"] for r in rows) else "NOT met"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": list(os.getloadavg()), "mirror": os.environ.get("COURSE_DATA_MIRROR")},
        "lectures": rows,
    }, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
