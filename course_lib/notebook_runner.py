"""Execute a notebook (a jupytext ``.py`` or an ``.ipynb``) headless and measure it.

Used by the tests (every lecture and solution notebook must run top to bottom) and by
``benchmarks/bench_lectures.py`` (execution time and peak memory per lecture). Run it as a module so that the kernel
is a child of a fresh process and ``RUSAGE_CHILDREN`` measures that kernel alone::

    python -m course_lib.notebook_runner lectures/01_ngram_language_models.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path


def read_notebook(path: str | Path):
    """Read ``path`` as a notebook: ``.py`` files through jupytext (percent format), ``.ipynb`` through nbformat."""
    import jupytext
    import nbformat

    path = Path(path)
    if path.suffix == ".py":
        return jupytext.read(path, fmt="py:percent")
    return nbformat.read(path, as_version=4)


def execute(path: str | Path, timeout: int = 300, env: dict | None = None) -> dict:
    """Execute every cell of ``path`` in a fresh python3 kernel, working directory = the notebook's folder.

    Returns ``{"seconds": wall time, "peak_rss_mb": peak resident memory of the kernel process}``; raises
    ``nbclient.exceptions.CellExecutionError`` (with the failing cell and traceback) if a cell fails.
    Peak memory is read from ``RUSAGE_CHILDREN`` and is only the kernel's when this runs in its own process
    (see the module docstring).
    """
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = read_notebook(path)
    if env:
        os.environ.update(env)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    return {"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "notebook": nb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON line")
    args = parser.parse_args(argv)
    result = execute(args.path, timeout=args.timeout)
    result.pop("notebook")
    print(json.dumps(result) if args.json else f"{args.path}: {result['seconds']:.1f} s, "
          f"peak {result['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
