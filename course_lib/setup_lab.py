"""Configure the JupyterLab of the current environment for the course (run by ``make setup`` and Binder's postBuild).

Writes ``<prefix>/share/jupyter/lab/settings/overrides.json``:
- no "Jupyter news" / update-check toasts (students should not be asked to opt in to anything);
- percent-format ``.py`` files (our lectures) open as notebooks via jupytext by default.
Idempotent; keeps any other overrides already present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}},
}


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


if __name__ == "__main__":
    print(f"JupyterLab overrides written to {write_overrides()}")
