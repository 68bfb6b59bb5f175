"""Configure the JupyterLab of the current environment for the course (run by ``make setup`` and Binder's postBuild).

Writes, under the environment's prefix:

* ``share/jupyter/lab/settings/overrides.json``: no "Jupyter news" / update-check toasts (students should not be
  asked to opt in to anything); percent-format ``.py`` files (our lectures) open as notebooks via jupytext, and
  Markdown files (the landing page ``START_HERE.md``) as rendered previews;
* ``etc/jupyter/jupyter_server_config.json``: the course's contents manager
  (:mod:`course_lib.lab_contents`: notebooks open without the "unsaved" dot) and the file browser hiding the
  site's ``_config.yml`` / ``_toc.yml``;
* ``etc/jupyter/labconfig/page_config.json``: nbgrader's *instructor* Lab extensions (formgrader, course list,
  "Create Assignment", the Nbgrader menu) switched off; students keep "Validate" and the assignment list.
  ``make instructor-lab`` switches them back on for one session (``INSTRUCTOR_LABCONFIG``).

Idempotent; keeps any other settings already present in those files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook",
                                                                   "markdown": "Markdown Preview"}},
}
# nbgrader's Lab plugins for instructors; students keep "@jupyter/nbgrader:validate-assignment" and ":assignment-list"
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:menu"]
HIDDEN_FILES = ["_config.yml", "_toc.yml"]
# jupyter_server's own default hide_globs, which a setting replaces rather than extends
DEFAULT_HIDE_GLOBS = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.so", "*.dylib"]
SERVER_CONFIG = {"ServerApp": {"contents_manager_class": "course_lib.lab_contents.CourseContentsManager"},
                 "ContentsManager": {"hide_globs": DEFAULT_HIDE_GLOBS + HIDDEN_FILES}}


def overrides_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def write_overrides(prefix: str | None = None) -> Path:
    path = overrides_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    for plugin, settings in OVERRIDES.items():
        current.setdefault(plugin, {}).update(settings)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def _merge_json(path: Path, update: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
    for section, settings in update.items():
        current.setdefault(section, {}).update(settings)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def server_config_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"


def page_config_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json"


def write_server_config(prefix: str | None = None) -> Path:
    return _merge_json(server_config_path(prefix), SERVER_CONFIG)


def write_page_config(prefix: str | None = None, instructor: bool = False) -> Path:
    """Students' page config (instructor plugins off) in the environment; with ``instructor=True``, ``prefix``
    is a Jupyter config folder whose ``labconfig`` switches them back on (user-level settings win)."""
    path = Path(prefix) / "labconfig" / "page_config.json" if instructor else page_config_path(prefix)
    return _merge_json(path, {"disabledExtensions": {p: not instructor for p in INSTRUCTOR_PLUGINS}})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--instructor"]:
        print(f"instructor Lab config written to {write_page_config(args[1], instructor=True)}")
        return 0
    for what, path in (("JupyterLab overrides", write_overrides()), ("server config", write_server_config()),
                       ("page config", write_page_config())):
        print(f"{what} written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
