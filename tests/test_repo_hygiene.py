"""Repository-wide rules: lint clean, no notebook outputs, layers point one way, no mirrored data committed."""

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "course_lib"


def _tracked_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [ROOT / f for f in out.splitlines() if (ROOT / f).is_file()]


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    res = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_no_notebook_is_committed_with_outputs():
    offenders = []
    for f in _tracked_files():
        if f.suffix == ".ipynb":
            nb = json.loads(f.read_text())
            if any(c.get("outputs") or c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"):
                offenders.append(str(f.relative_to(ROOT)))
    assert not offenders, f"notebooks with outputs: {offenders}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the package
                pkg = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
                names.add(".".join(pkg + ((node.module,) if node.module else ())))
            else:
                names.add(node.module)
    return names


# Which top-level course_lib packages each layer may import (layers point one way).
ALLOWED = {
    "reference": {"course_lib.reference"},
    "models": {"course_lib.reference", "course_lib.models"},
    "training": {"course_lib.reference", "course_lib.models", "course_lib.training"},
    "data": {"course_lib.data"},
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_point_one_way(layer):
    files = [LIB / f"{layer}.py"] if (LIB / f"{layer}.py").exists() else sorted((LIB / layer).rglob("*.py"))
    assert files, f"course_lib/{layer} is missing"
    for f in files:
        for name in _imports(f):
            if name.startswith("course_lib"):
                assert any(name == a or name.startswith(a + ".") for a in ALLOWED[layer]), (
                    f"{f.relative_to(ROOT)} imports {name}: {layer} may only import {sorted(ALLOWED[layer])}"
                )


def test_numpy_reference_never_imports_torch():
    for f in sorted((LIB / "reference").glob("*.py")):
        bad = {n for n in _imports(f) if n.split(".")[0] in {"torch", "torchcrf", "sklearn", "jax"}}
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}: the NumPy reference must stand on NumPy alone"


def test_no_copy_of_the_mirrored_datasets_is_committed():
    mirror = Path(os.environ.get("COURSE_DATA_MIRROR", ROOT.parent / "shared" / "data"))
    assert mirror.is_dir(), "the data mirror is needed to check that none of it is committed"
    mirrored = {hashlib.sha256(p.read_bytes()).hexdigest() for p in mirror.rglob("*") if p.is_file()
                and p.suffix != ".md"}
    copies = [str(f.relative_to(ROOT)) for f in _tracked_files() if f.stat().st_size > 10_000
              and hashlib.sha256(f.read_bytes()).hexdigest() in mirrored]
    assert not copies, f"files identical to the data mirror are in the repository: {copies}"
