"""The landing page students' Lab opens on (START_HERE.md, `make lab`): every link works and every lecture and
assignment is on it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_link_exists_and_every_lecture_and_assignment_is_listed():
    text = (ROOT / "START_HERE.md").read_text()
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert links and all((ROOT / link).exists() for link in links), [k for k in links if not (ROOT / k).exists()]
    for lecture in sorted((ROOT / "lectures").glob("0*.py")):
        assert f"lectures/{lecture.name}" in links, lecture.name
    for a in ("bptt", "gating", "crf"):
        assert f"assignments/release/{a}/{a}.ipynb" in links


def test_make_lab_opens_it():
    make = (ROOT / "Makefile").read_text()
    assert "--LabApp.default_url=/lab/tree/START_HERE.md" in make and "instructor-lab:" in make
