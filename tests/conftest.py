"""Test-wide settings: headless matplotlib, the local data mirror, and a private data cache per session."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")
# `make test` runs two pytest workers on two cores: one BLAS/torch thread each, or tiny models crawl
# (measured: 120 Adam steps of a small char LSTM, 10.1 s with 2 threads vs 0.28 s with 1 on a loaded box).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# Tests read the real datasets from the read-only mirror beside the checkout (CI: ../shared/data).
_default_mirror = ROOT.parent / "shared" / "data"
if not os.environ.get("COURSE_DATA_MIRROR") and (_default_mirror / "MANIFEST.md").exists():
    os.environ["COURSE_DATA_MIRROR"] = str(_default_mirror)


@pytest.fixture(scope="session")
def data_mirror() -> Path:
    """The mirror folder of real datasets; the tests that need it fail (not skip) when it is missing."""
    mirror = os.environ.get("COURSE_DATA_MIRROR")
    assert mirror and (Path(mirror) / "MANIFEST.md").exists(), (
        "COURSE_DATA_MIRROR must name a folder laid out like ../shared/data (see README, 'Data')"
    )
    return Path(mirror)


@pytest.fixture(autouse=True, scope="session")
def _private_data_cache(tmp_path_factory):
    """Never write into a user's real cache from the tests."""
    if "COURSE_DATA_CACHE" not in os.environ:
        os.environ["COURSE_DATA_CACHE"] = str(tmp_path_factory.mktemp("course-data-cache"))
    yield


@pytest.fixture(autouse=True, scope="module")
def _torch_defaults(request):
    """Tiny models run one intra-op thread per test worker (two workers share two cores); and a test module that
    changes torch's default dtype must restore it: fail loudly instead of poisoning the modules after it."""
    import sys

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(1)
    before = torch.get_default_dtype() if torch else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    if torch is not None and before is not None:
        after = torch.get_default_dtype()
        torch.set_default_dtype(before)
        assert after == before, f"{request.module.__name__} left torch's default dtype at {after}"
