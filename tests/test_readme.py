"""The README is the course's front door: its quick start, course map and links must stay true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_is_make_lab_and_make_test():
    assert "make lab" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_lecture_has_a_row_and_a_binder_badge():
    for lecture in sorted((ROOT / "lectures").glob("[0-9][0-9]_*.py")):
        rel = lecture.relative_to(ROOT).as_posix()
        assert f"]({rel})" in README, f"README course map lacks {rel}"
        assert f"urlpath=lab/tree/{rel})" in README, f"README lacks a Binder badge for {rel}"


def test_relative_links_point_at_files_that_exist():
    for target in re.findall(r"\]\(((?!https?:)[^)#\s]+)\)", README):
        assert (ROOT / target).exists(), f"README links to missing {target}"
