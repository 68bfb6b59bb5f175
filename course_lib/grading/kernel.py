"""Kernel launcher for autograding: resource limits and a file/process policy, then a normal ipykernel.

nbgrader runs every submission in a Jupyter kernel.  :class:`LimitedKernelManager` starts that kernel as
``python -m course_lib.grading.kernel -f <connection file>`` instead of ``-m ipykernel_launcher``; before
ipykernel starts, this module reads the policy the grading worker put in ``COURSE_KERNEL_POLICY`` (JSON) and

* limits the address space (a memory bomb gets ``MemoryError`` instead of the machine's OOM killer) and
  the size of files it may write;
* installs an audit hook (PEP 578, irremovable) that refuses reading the instructor's files (the course
  root with ``source/`` and the gradebook, ``solutions/``, the grader's oracles, other students' work) and
  writing outside the submission's own folder, and refuses starting processes (``!cat ...``).

The kernel's outputs never decide a grade (see :mod:`course_lib.grading.sandbox`); the policy protects the
instructor's files and the other students.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from jupyter_client.manager import AsyncKernelManager

POLICY_ENV = "COURSE_KERNEL_POLICY"
_SPAWN = ("subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.forkpty", "pty.spawn")


class LimitedKernelManager(AsyncKernelManager):
    """Starts the kernel through this module (same interpreter, same connection file)."""

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if "ipykernel_launcher" in cmd:
            k = cmd.index("ipykernel_launcher")
            cmd[k] = "course_lib.grading.kernel"
        return cmd


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r + os.sep) for r in roots)


def install_policy(policy: dict) -> None:
    """Apply the resource limits and the audit hook described by ``policy`` to this process."""
    os.environ.update({k: str(v) for k, v in policy.get("env", {}).items()})
    mem = int(policy.get("mem_bytes", 2 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = int(policy.get("fsize_bytes", 256 << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    deny = [os.path.realpath(p) for p in policy.get("deny_read", [])]
    allow = [os.path.realpath(p) for p in policy.get("allow_read", [])]
    writable = [os.path.realpath(p) for p in policy.get("allow_write", [])]

    def hook(event, args):
        if event == "open":
            path = args[0]
            if isinstance(path, int) or path is None:
                return
            real = os.path.realpath(os.fsdecode(path))
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            if writing and not (_under(real, writable) or real == os.devnull):
                raise PermissionError(f"writing {real} is not allowed while grading")
            if _under(real, deny) and not _under(real, allow + writable):
                raise PermissionError(f"reading {real} is not allowed while grading")
        elif event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.chmod",
                       "os.link", "os.symlink", "os.utime"):
            target = args[0] if args else None
            if isinstance(target, (str, bytes, os.PathLike)) and not _under(
                    os.path.realpath(os.fsdecode(target)), writable):
                raise PermissionError(f"{event} is not allowed here while grading")
        elif event in _SPAWN or event.startswith(("os.exec", "os.spawn")):
            raise PermissionError(f"{event}: starting processes is not allowed while grading")

    sys.addaudithook(hook)


def main() -> None:
    policy = json.loads(os.environ.pop(POLICY_ENV, "{}") or "{}")
    if policy:
        install_policy(policy)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
