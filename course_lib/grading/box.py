"""The OS-level sandbox: every piece of a submission's code runs inside a bubblewrap box.

Audit hooks (PEP 578) are not a security boundary — code reaching C (``ctypes``, a crafted ``mmap``, SQLite)
goes around them.  So both places where a submission's code runs, the nbgrader kernel
(:mod:`course_lib.grading.kernel`) and the grading sandbox (:mod:`course_lib.grading.sandbox`), run inside a
`bubblewrap <https://github.com/containers/bubblewrap>`_ box.  Each grading worker starts one box per zygote
and keeps it for all its submissions (a box costs ~0.1 s to start and the zygote's imports ~0.5 s: paid once,
not per submission).  What the box is:

* **namespaces**: ``--unshare-all`` — no network (a private loopback only), its own PID namespace (it
  cannot see or signal the grader, the other worker or any host process), IPC and UTS namespaces;
  ``--cap-drop ALL``, ``--new-session``, ``--die-with-parent``;
* **file system**: read-only ``/usr`` (and ``/lib``, ``/bin``), ``/etc``, the Python installation and the
  virtual environment, at their own paths; a private ``/tmp`` (tmpfs); a minimal copy of
  ``course_lib`` at :data:`LIB_IN_BOX` (the files the zygotes run: :data:`STAGED`; no oracle, no spec, no
  judge); and one read-write *exchange folder* per box (the current submission's work files).  Nothing else
  is mounted: not the repository (``solutions/``, ``assignments/source``, the gradebook, other students'
  submissions, ``course_lib/grading/oracles``), not ``/root``, not the data mirror;
* **environment**: cleared; only what the zygote needs is set (no path of the instructor's);
* **processes**: when the host has a writable cgroup-v1 ``pids`` controller, the box is limited to
  :data:`PIDS_MAX` tasks (a fork bomb fails inside it instead of exhausting the machine's pids); between
  two submissions the zygote kills every other process of its box and empties ``/tmp``
  (:func:`sweep`), so nothing of one student's code is alive when the next one's files arrive.

The mode is chosen by ``COURSE_GRADING_SANDBOX``: ``auto`` (default: use bubblewrap when it works, else the
in-process sandbox with a one-line warning), ``require`` (refuse to grade without it; the command line's
``--require-sandbox``) or ``off``.

This module imports only the standard library: it is staged into the box too (:func:`sweep` runs there).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODE_ENV = "COURSE_GRADING_SANDBOX"
IN_BOX_ENV = "COURSE_IN_BOX"  # set inside a box: the zygotes sweep between submissions
RW_ENV = "COURSE_BOX_RW"  # the box's writable (exchange) folders, which the sweep leaves alone
LIB_IN_BOX = "/grader/lib"
PIDS_MAX = 256  # tasks (threads count): an ipykernel uses ~10
STAGED = ("__init__.py", "grading/__init__.py", "grading/box.py", "grading/drivers.py", "grading/guards.py",
          "grading/kernel.py", "grading/sandbox.py")
_PKG = Path(__file__).resolve().parents[1]  # course_lib/
_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")

_probe: str | None | bool = False  # False: not probed yet; None: works; str: why not
_warned = False
_stage_dir: Path | None = None


class SandboxUnavailable(RuntimeError):
    """``COURSE_GRADING_SANDBOX=require`` and bubblewrap cannot be used here."""


def mode() -> str:
    """``COURSE_GRADING_SANDBOX``: auto (the default), require or off."""
    value = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if value not in ("auto", "require", "off"):
        raise ValueError(f"{MODE_ENV} must be auto, require or off, not {value!r}")
    return value


def unavailable_reason() -> str | None:
    """Why bubblewrap cannot be used on this machine (None if it can): checked once per process by starting
    a real box."""
    global _probe
    if _probe is False:
        exe = shutil.which("bwrap")
        if exe is None:
            _probe = "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
        else:
            try:
                res = subprocess.run(command([sys.executable, "-s", "-c", "import numpy"], rw=[]),
                                     capture_output=True, timeout=60)
                _probe = None if res.returncode == 0 else (
                    "bubblewrap cannot start a box here: " + res.stderr.decode(errors="replace").strip()[-300:])
            except (OSError, subprocess.SubprocessError) as exc:
                _probe = f"bubblewrap cannot start a box here: {exc}"
    return _probe


def enabled() -> bool:
    """Whether the zygotes start in a box.  ``require`` and no bubblewrap raise :class:`SandboxUnavailable`;
    ``auto`` and no bubblewrap print one warning line (once per process) and return False."""
    global _warned
    m = mode()
    if m == "off":
        return False
    reason = unavailable_reason()
    if reason is None:
        return True
    if m == "require":
        raise SandboxUnavailable(f"the OS sandbox is required ({MODE_ENV}=require) but {reason}")
    if not _warned:
        print(f"warning: grading without the OS sandbox ({reason}); submissions run under the in-process "
              f"sandbox only", file=sys.stderr, flush=True)
        _warned = True
    return False


def staged_lib() -> Path:
    """A folder holding the minimal ``course_lib`` of the box (:data:`STAGED`), made once per process."""
    global _stage_dir
    if _stage_dir is None or not _stage_dir.is_dir():
        _stage_dir = Path(tempfile.mkdtemp(prefix="course-boxlib-"))
        atexit.register(shutil.rmtree, _stage_dir, True)
        for rel in STAGED:
            dest = _stage_dir / "course_lib" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_PKG / rel, dest)
        # the box's course_lib.__init__: the version only (the real one documents the layers)
        (_stage_dir / "course_lib" / "__init__.py").write_text('__version__ = "grading-box"\n')
    return _stage_dir


def _python_roots() -> list[str]:
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    # a prefix inside /usr is already there; keep the outermost of nested roots
    roots = sorted(r for r in roots if not (r == "/usr" or r.startswith("/usr/")))
    return [r for r in roots if not any(r != o and r.startswith(o + os.sep) for o in roots)]


def command(argv: list[str], rw: list[str], env: dict[str, str] | None = None) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` in a box whose only writable folders are ``rw`` (bound
    at their own paths, so that paths mean the same inside and out)."""
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--ro-bind", "/usr", "/usr"]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        top = Path("/" + name)
        if top.is_symlink():
            cmd += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            cmd += ["--ro-bind", str(top), str(top)]
    cmd += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    cmd += ["--ro-bind", str(staged_lib()), LIB_IN_BOX]
    for path in rw:
        cmd += ["--bind", path, path]
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONPATH": LIB_IN_BOX,
            "PYTHONDONTWRITEBYTECODE": "1", IN_BOX_ENV: "1", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", RW_ENV: os.pathsep.join(rw)}
    cmd += ["--clearenv"]
    for key, value in {**base, **(env or {})}.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + list(argv)


# --------------------------------------------------------------------------------- the pids cgroup
def pids_cgroup_available() -> bool:
    """Whether boxes get a pids cgroup here (a writable cgroup-v1 ``pids`` controller)."""
    group = pids_cgroup()
    remove_cgroup(group)
    return group is not None


def pids_cgroup() -> Path | None:
    """A fresh cgroup-v1 ``pids`` group limited to :data:`PIDS_MAX` tasks, or None where there is none."""
    if not (_CGROUP_ROOT / "cgroup.procs").is_file():
        return None
    for stale in _CGROUP_ROOT.glob("course-grading-*"):  # left by a worker that was killed
        try:
            stale.rmdir()
        except OSError:
            pass
    try:
        group = Path(tempfile.mkdtemp(prefix="course-grading-", dir=_CGROUP_ROOT))
    except OSError:
        # mkdtemp's chmod is refused on cgroupfs by some kernels: fall back to a plain mkdir
        group = _CGROUP_ROOT / f"course-grading-{os.getpid()}-{time.monotonic_ns()}"
        try:
            group.mkdir()
        except OSError:
            return None
    try:
        (group / "pids.max").write_text(str(PIDS_MAX))
    except OSError:
        remove_cgroup(group)
        return None
    return group


def join_cgroup(group: Path | None):
    """A ``preexec_fn`` that moves the new process (and so the whole box) into ``group``."""
    if group is None:
        return None
    procs = str(group / "cgroup.procs")

    def join() -> None:
        fd = os.open(procs, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    return join


def remove_cgroup(group: Path | None) -> None:
    if group is None:
        return
    for _ in range(50):  # the box's processes take a moment to go
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def start(argv: list[str], rw: list[str], **popen) -> tuple[subprocess.Popen, Path | None]:
    """Start ``argv`` in a box (see :func:`command`) inside its own pids cgroup; returns (process, cgroup)."""
    group = pids_cgroup()
    proc = subprocess.Popen(command(argv, rw), preexec_fn=join_cgroup(group), cwd="/", **popen)
    return proc, group


# ------------------------------------------------------------------------------------- inside a box
def in_box() -> bool:
    """True inside a box started by :func:`start` (never on a host, whose PID 1 is not bubblewrap)."""
    if os.environ.get(IN_BOX_ENV) != "1" or os.getpid() == 1:
        return False
    try:
        with open("/proc/1/cmdline", "rb") as fh:
            return os.path.basename(fh.read().split(b"\0")[0]) == b"bwrap"
    except OSError:
        return False


def sweep(seconds: float = 2.0) -> int:
    """Inside a box: kill every process but PID 1 (bubblewrap's reaper) and this one, wait until they are
    gone, then empty ``/tmp`` except the exchange folders (and the folders on the way to them).  Returns
    how many processes were killed."""
    if not in_box():
        raise RuntimeError("box.sweep() outside a box would kill the host's processes")
    keep = [p for p in os.environ.get(RW_ENV, "").split(os.pathsep) if p]
    me = os.getpid()

    def others() -> list[int]:
        pids = []
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in (1, me):
                try:  # zombies are dead already: our own are reaped below, the reaper takes the others
                    with open(f"/proc/{name}/stat", "rb") as fh:
                        if fh.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                            continue
                except OSError:
                    continue
                pids.append(int(name))
        return pids

    killed = len(others())
    deadline = time.monotonic() + seconds
    while others() and time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.002)
    keep_real = [os.path.realpath(k) for k in keep]
    _empty("/tmp", keep_real)
    return killed


def _empty(folder: str, keep: list[str]) -> None:
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for name in entries:
        path = os.path.join(folder, name)
        if any(k == path for k in keep):
            continue
        if any(k.startswith(path + os.sep) for k in keep):
            _empty(path, keep)
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass
