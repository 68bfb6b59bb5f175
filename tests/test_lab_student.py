"""The Lab a student gets from `make lab` / Binder, in headless Chromium: it opens on the course map, a lecture
opens without the "unsaved changes" dot, the site's _config.yml / _toc.yml are hidden, and nbgrader's
instructor tools are not there — while `make instructor-lab`'s configuration brings them back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_widgets_browser as _wb  # noqa: E402
from test_widgets_browser import _stop, start_lab  # noqa: E402

browser = _wb.browser  # the same headless Chromium fixture as the widget tests

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def _lab_args() -> list[str]:
    """The arguments `make lab` passes (read from the Makefile, so that the test follows it)."""
    make = (ROOT / "Makefile").read_text()
    block = re.search(r"^LAB_ARGS = (.+?)\n\S", make, flags=re.M | re.S).group(1)
    return [a for a in block.replace("\\\n", " ").split() if a.startswith("--LabApp.default_url")]


def _start(tmp_path, **env_extra: str):
    """The course's Lab as `make lab` starts it (its root, its arguments)."""
    return start_lab(ROOT, tmp_path / "home", *_lab_args(), **env_extra)


def test_students_lab(tmp_path, browser):
    proc, base, token = _start(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(f"{base}/?token={token}")                           # redirected to the default URL: the map
        preview = page.locator(".jp-RenderedMarkdown", has_text="start here").locator("visible=true").first
        preview.wait_for(timeout=90_000)                              # rendered, not the Markdown source
        assert "Sequence labelling" in preview.inner_text() and preview.locator("table a").count() >= 10
        assert page.locator(".lm-MenuBar-item").all_inner_texts().count("Nbgrader") == 0
        assert page.locator(".jp-SideBar .lm-TabBar-tab", has_text="Create Assignment").count() == 0

        page.goto(f"{base}/lab/tree/lectures/01_ngram_language_models.py?reset&token={token}")
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").locator("visible=true").first.wait_for(
            timeout=90_000)
        page.wait_for_timeout(3000)                                   # the kernel's metadata has arrived
        tab = page.locator(".lm-TabBar-tab.jp-mod-current", has_text="01_ngram_language_models")
        assert tab.count() == 1 and "jp-mod-dirty" not in (tab.get_attribute("class") or "")
        page.screenshot(path=tmp_path / "lecture.png")

        page.goto(f"{base}/lab/tree/lectures?reset&token={token}")
        names = page.locator(".jp-DirListing-itemName")
        names.filter(has_text="syllabus.md").wait_for()
        listed = names.all_inner_texts()
        assert "01_ngram_language_models.py" in listed and "_config.yml" not in listed and "_toc.yml" not in listed
        page.close()
    finally:
        _stop(proc)


def test_instructor_lab_has_the_nbgrader_tools(tmp_path, browser):
    cfg = tmp_path / "instructor"
    subprocess.run([sys.executable, "-m", "course_lib.setup_lab", "--instructor", str(cfg)], check=True)
    make = (ROOT / "Makefile").read_text()
    assert "JUPYTER_PREFER_ENV_PATH=0 JUPYTER_CONFIG_DIR=" in make    # what makes the instructor's config win
    proc, base, token = _start(tmp_path, JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_PREFER_ENV_PATH="0")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/lab/tree/lectures/01_ngram_language_models.py?reset&token={token}")
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=90_000)
        assert page.locator(".jp-SideBar .lm-TabBar-tab", has_text="Create Assignment").count() == 1
        page.close()
    finally:
        _stop(proc)
