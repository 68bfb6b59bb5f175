"""The course's contents manager for JupyterLab: Jupytext's (so that the ``.py`` lectures open as notebooks),
plus the metadata the running kernel would write, so that a notebook opens *clean* — without the "unsaved
changes" dot on its tab before the student has changed anything.

JupyterLab marks a notebook dirty as soon as its kernel starts if the notebook's ``kernelspec`` display name or
its ``language_info`` differ from the kernel's. Jupytext never stores ``language_info`` in a ``.py`` file and our
headers name the kernel "Python 3", so every lecture used to open dirty. :func:`kernel_metadata` is what the
environment's ``python3`` kernel (ipykernel) reports; :class:`CourseContentsManager` puts it into every Python
notebook it serves. Nothing is written to disk: Jupytext filters ``language_info`` out again on save.

Enabled by ``python -m course_lib.setup_lab`` (``ServerApp.contents_manager_class``).
"""

from __future__ import annotations

import copy
import sys

from jupytext.async_contentsmanager import AsyncTextFileContentsManager

__all__ = ["CourseContentsManager", "kernel_metadata"]


def kernel_metadata() -> dict:
    """``{"kernelspec": ..., "language_info": ...}`` as the ``python3`` kernel of this environment reports them."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        display_name = KernelSpecManager().get_kernel_spec("python3").display_name
    except NoSuchKernel:
        display_name = "Python 3 (ipykernel)"
    language_info = copy.deepcopy(IPythonKernel.language_info)
    language_info["version"] = sys.version.split()[0]
    return {"kernelspec": {"display_name": display_name, "language": "python", "name": "python3"},
            "language_info": language_info}


def with_kernel_metadata(nb: dict, meta: dict) -> dict:
    """``nb`` (a notebook dict) with the kernel's metadata, if it is a Python notebook (else unchanged)."""
    md = nb.setdefault("metadata", {})
    spec = md.get("kernelspec") or {}
    if spec.get("name", "python3") == "python3" and spec.get("language", "python") == "python":
        md["kernelspec"] = dict(meta["kernelspec"])
        md["language_info"] = copy.deepcopy(meta["language_info"])
    return nb


class CourseContentsManager(AsyncTextFileContentsManager):
    """Jupytext's contents manager; every Python notebook it serves carries this kernel's metadata."""

    _meta: dict | None = None

    async def get(self, path, content=True, type=None, format=None, require_hash=False):  # noqa: A002
        model = await super().get(path, content=content, type=type, format=format, require_hash=require_hash)
        if content and model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            if CourseContentsManager._meta is None:
                CourseContentsManager._meta = kernel_metadata()
            with_kernel_metadata(model["content"], CourseContentsManager._meta)
        return model
