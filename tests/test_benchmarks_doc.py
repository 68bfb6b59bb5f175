"""BENCHMARKS.md is generated from benchmarks/results/*.json, never edited by hand: it must be up to date."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _render():
    spec = importlib.util.spec_from_file_location("render", ROOT / "benchmarks" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render()


def test_benchmarks_md_is_rendered_from_the_committed_results():
    assert (ROOT / "BENCHMARKS.md").read_text() == _render(), "run: python benchmarks/render.py"


def test_every_result_names_its_command_and_goal():
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        data = json.loads(path.read_text())
        assert "command" in data and "title" in data, f"{path.name} lacks title/command"
