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


# Layers point one way. Rank 0 stands on NumPy alone; models/data/training on rank 0; the task pipelines and
# helpers (rank 2) on ranks 0-1 and each other; widgets and grading (rank 3) on everything below, never on each other;
# the notebooks' self-check front end (rank 4, `exercises`: questions shown as widgets) on everything below.
RANK = {
    "reference": 0, "metrics": 0, "notebook_runner": 0, "setup_lab": 0, "lab_contents": 0,
    "models": 1, "data": 1, "training": 1,
    "checkpoints": 2, "baselines": 2, "lm_eval": 2, "agreement": 2, "distributed": 2, "tasks": 2, "train": 2,
    "sequence_labelling": 2, "text_classification": 2, "pretrained": 2, "figures": 2, "exercise_bank": 2,
    "widgets": 3, "grading": 3,
    "exercises": 4,
}
ALLOWED_RANK1 = {"models": {"reference", "models"}, "data": {"data"}, "training": {"reference", "models", "training"}}


def _modules():
    for path in sorted(LIB.iterdir()):
        if path.name.startswith("_") or path.name == "__pycache__":
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            yield path.stem if path.suffix == ".py" else path.name, path


def test_every_module_has_a_layer():
    unknown = [name for name, _ in _modules() if name not in RANK]
    assert not unknown, f"add {unknown} to RANK in tests/test_repo_hygiene.py (which layer is it?)"


@pytest.mark.parametrize("name,path", list(_modules()), ids=[n for n, _ in _modules()])
def test_layers_point_one_way(name, path):
    files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    rank = RANK[name]
    for f in files:
        for imported in _imports(f):
            parts = imported.split(".")
            if parts[0] != "course_lib" or len(parts) < 2 or parts[1] == name:
                continue
            target = parts[1]
            ok = target in RANK and (RANK[target] < rank or (rank == 2 and RANK[target] == 2))
            if rank == 1:
                ok = target in ALLOWED_RANK1[name]
            if rank == 0:
                ok = False
            assert ok, f"{f.relative_to(ROOT)} imports course_lib.{target}: layer {name} may not depend on it"


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
