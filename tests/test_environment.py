"""The Binder environment (environment.yml, conda) and the pip set-up (pyproject.toml) must not drift apart.

conda cannot be solved on the course machines, so this test is what keeps Binder honest: the same packages,
the same version ranges, torch pinned to the CPU build everywhere.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch-cpu": "torch"}


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"]


def _conda_deps():
    """Parse the `dependencies:` list of environment.yml (flat strings only) into {pip name: SpecifierSet}."""
    deps, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            in_deps = line.strip() == "dependencies:"
            continue
        m = re.match(r"\s+-\s+([A-Za-z0-9_.-]+)\s*(.*)$", line)
        if in_deps and m:
            name, spec = m.group(1).lower(), m.group(2).strip()
            if name in ("python", "pip"):
                deps[name] = spec
                continue
            spec = re.sub(r"^=(?!=)", "==", spec)  # conda's `=x.y` means pip's `==x.y.*`-ish; we only use ==
            deps[CONDA_TO_PIP.get(name, name)] = SpecifierSet(spec)
    return deps


def test_environment_lists_every_runtime_dependency_with_the_same_range():
    conda = _conda_deps()
    for raw in _pyproject()["dependencies"]:
        req = Requirement(raw)
        assert req.name.lower() in conda, f"{req.name} is in pyproject.toml but not in environment.yml"
        assert conda[req.name.lower()] == req.specifier, (
            f"{req.name}: pyproject.toml says {req.specifier}, environment.yml says {conda[req.name.lower()]}"
        )


def test_environment_has_nothing_pyproject_lacks():
    pip_names = {Requirement(r).name.lower() for r in _pyproject()["dependencies"]}
    extra = set(_conda_deps()) - pip_names - {"python", "pip"}
    assert not extra, f"environment.yml lists {sorted(extra)} which pyproject.toml does not"


def test_python_versions_agree():
    conda = _conda_deps()
    assert conda["python"] == "=3.11"
    assert SpecifierSet(_pyproject()["requires-python"]).contains("3.11.7")


@pytest.mark.parametrize("path", ["pyproject.toml", "environment.yml", "Makefile"])
def test_torch_is_always_pinned_to_the_local_cpu_build(path):
    """An unpinned torch (or a newer pin) pulls gigabytes of CUDA wheels: every mention must pin 2.13.0."""
    for line in (ROOT / path).read_text().splitlines():
        code = line.split("#", 1)[0]
        if re.search(r"(?<![\w-])(torch|pytorch-cpu)(?![\w-])", code) and "import" not in code:
            assert "2.13.0" in code, f"{path}: torch named without the 2.13.0 pin: {line.strip()!r}"


def test_pip_extra_requirements_cannot_pull_another_torch():
    """Test-only dependencies that depend on torch (pytorch-crf) must accept the pinned 2.13.0."""
    from importlib.metadata import requires

    for dist in ("pytorch-crf",):
        for raw in requires(dist) or []:
            req = Requirement(raw.split(";")[0])
            if req.name == "torch":
                assert req.specifier.contains("2.13.0"), f"{dist} requires {req}, which excludes torch 2.13.0"


def test_binder_post_build_installs_course_lib_without_touching_dependencies():
    text = (ROOT / "postBuild").read_text()
    assert "--no-deps -e ." in text
    assert "course_lib.setup_lab" in text
