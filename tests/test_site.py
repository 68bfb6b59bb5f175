"""The course builds as an offline static site with jupyter-book 1.x (`make site`).

The test builds without executing the notebooks (execution is what tests/test_lectures.py checks) and checks
that every lecture became a page with its title and equations.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.py"))


def test_table_of_contents_lists_every_lecture_in_order():
    toc = (ROOT / "lectures" / "_toc.yml").read_text()
    listed = re.findall(r"- file: (\S+)", toc)
    assert listed == ["syllabus"] + [p.stem for p in LECTURES]


@pytest.mark.slow
def test_static_site_builds_offline(tmp_path):
    config = (ROOT / "lectures" / "_config.yml").read_text().replace("execute_notebooks: force",
                                                                     'execute_notebooks: "off"')
    assert 'execute_notebooks: "off"' in config
    (tmp_path / "_config.yml").write_text(config)
    jb = Path(sys.executable).with_name("jupyter-book")
    res = subprocess.run([str(jb), "build", str(ROOT / "lectures"), "--config", str(tmp_path / "_config.yml"),
                          "--path-output", str(tmp_path / "out")], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    html = tmp_path / "out" / "_build" / "html"
    for lecture in LECTURES:
        page = html / f"{lecture.stem}.html"
        assert page.exists(), f"{page.name} was not built"
        text = page.read_text()
        title = re.search(r"^# # (.+)$", lecture.read_text(), re.M).group(1)
        assert title.split("—")[0].strip() in text, f"{page.name} lacks its title"
    assert "Where it is taught" in (html / "syllabus.html").read_text() or "where it is taught" in \
        (html / "syllabus.html").read_text()
    assert "math" in (html / "01_ngram_language_models.html").read_text()  # equations rendered by MathJax
