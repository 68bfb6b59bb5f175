"""The committed nbgrader course root: generated from solutions/ (not stale), and nothing secret released."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from course_lib.grading import pipeline
from course_lib.grading.judge import ASSIGNMENTS

ROOT = pipeline.COURSE_ROOT
MARKERS = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def _cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, json.dumps(c.metadata, sort_keys=True)) for c in nb.cells]


def _secret_lines(assignment: str) -> set[str]:
    """Every substantial line of the solution blocks and hidden-test blocks of an assignment's source."""
    secret = set()
    for cell in pipeline.render_source(assignment).cells:
        for block in re.findall(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", cell.source, re.S):
            for line in block[1].splitlines():
                line = line.strip()
                if len(line) >= 12 and not line.startswith("#") and line not in ('"""', "return"):
                    secret.add(line)
    return secret


@pytest.mark.slow
def test_committed_source_and_release_are_generated_from_solutions(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    pipeline.release(tmp_path)
    for a in ASSIGNMENTS:
        for folder in ("source", "release"):
            fresh, committed = tmp_path / folder / a / f"{a}.ipynb", ROOT / folder / a / f"{a}.ipynb"
            assert committed.is_file(), f"{committed} is missing: run `python -m course_lib.grading release`"
            assert _cells(fresh) == _cells(committed), f"{committed} is stale: run the release command"
        released = sorted(p.relative_to(tmp_path / "release") for p in (tmp_path / "release").rglob("*") if p.is_file())
        committed = sorted(p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*") if p.is_file())
        assert released == committed


def test_no_released_file_contains_solution_code_or_hidden_tests():
    secret = set().union(*(_secret_lines(a) for a in ASSIGNMENTS))
    assert len(secret) > 100  # the scan is looking for something
    files = [p for p in (ROOT / "release").rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        assert not MARKERS.search(text), path
        assert "hidden=True" not in text, path
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{path} contains solution lines: {leaked[:3]}"


def test_released_notebooks_keep_the_stubs_and_the_visible_tests():
    for a in ASSIGNMENTS:
        nb = nbformat.read(ROOT / "release" / a / f"{a}.ipynb", as_version=4)
        stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)
        assert tests and all(c.source.startswith(f'check("{a}", ') for c in tests)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_nbgrader_config_uses_the_sandboxed_pipeline_and_ignores_py_files():
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = [pp.__name__ for pp in cfg.Autograde.autograde_preprocessors]
    assert names[:4] == ["SandboxedExecute", "IgnorePattern", "TruncateOutput", "TrustedGrade"]
    assert "RedactHidden" in [pp.__name__ for pp in cfg.GenerateFeedback.preprocessors]
    assert "*.py" in cfg.CourseDirectory.ignore
    assert Path(cfg.CourseDirectory.root) == ROOT.resolve()
