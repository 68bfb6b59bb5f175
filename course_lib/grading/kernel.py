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

**Start-up cost.**  A kernel is started per submission, so its start-up is a large part of the grading time
(issue 4 of the course: median <= 2 s per submission).  Three things that a grading kernel does not need are
left out: ipykernel's debugger (``debugpy``, ~0.1 s of imports), the 0.2 s of IOPub silence that
``jupyter_client``'s ``wait_for_ready`` waits for after the kernel has answered (:class:`ReadyClient`), and the
graceful shutdown handshake (the autograder kills the kernel: nothing it holds is kept).  And the imports
(ipykernel, IPython, zmq, NumPy: ~0.5 s) are paid once per grading worker, not once per submission: a
*kernel zygote* (:class:`KernelZygote`, the same idea as the sandbox's zygote in
:mod:`course_lib.grading.sandbox`) imports them and forks one kernel per submission
(:class:`ForkedProvisioner`); the fork then applies the policy exactly as a freshly started kernel does.  If
the zygote cannot be used, the kernel is started as a plain process (with the OS sandbox: in a box of its
own).  The audit hook is installed once ipykernel is imported — no submitted code runs before that — so the
hundreds of files that imports open do not each go through it.

**The OS sandbox.**  Where bubblewrap works (:mod:`course_lib.grading.box`), the kernel zygote runs in a box
whose only host folder is the worker's exchange folder (the submission's working copy): the kernel's ZMQ
sockets are Unix sockets there (``transport="ipc"``: the box has no network), its pid lives in the box's PID
namespace (the zygote sends the worker a pidfd of each kernel, and the kernel is never signalled as a host
process group), and :meth:`KernelZygote.sweep` kills whatever a submission left running before the next one
arrives.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from course_lib.grading.guards import refuse_raw_spawn

POLICY_ENV = "COURSE_KERNEL_POLICY"
_SPAWN = ("subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.forkpty", "pty.spawn")


class ReadyClient(AsyncKernelClient):
    """``AsyncKernelClient`` whose ``wait_for_ready`` returns as soon as the kernel is usable.

    Same checks as ``jupyter_client``'s: a ``kernel_info_reply`` on the shell channel and a message on IOPub
    (so that IOPub is connected and no output of the first cell is lost; ``kernel_info`` is re-sent until
    both arrived, and a dead kernel or the timeout raise ``RuntimeError``).  What differs: the IOPub messages
    that are already queued are dropped without waiting for 0.2 s of silence — the notebook client only
    reads IOPub messages whose parent is the cell it runs, so late ``kernel_info`` status messages are
    ignored anyway.
    """

    def start_channels(self, *args, **kwargs) -> None:
        # the channels connect before the new kernel has bound its ports; ZMQ then retries every 100 ms by
        # default — every 10 ms here (this client's own context)
        self.context.setsockopt(zmq.RECONNECT_IVL, 10)
        super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:  # drop what is already queued, without waiting for more
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break


class _ForkedProcess:
    """The ``Popen``-like handle ``LocalProvisioner`` needs, for a kernel forked by the zygote (not a child of
    this process: it is watched and signalled through a pidfd, which cannot hit a recycled pid)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int | None = None):
        self.pid = pid
        self.returncode: int | None = None
        if pidfd is not None:  # from a zygote in a box (another PID namespace: its pid means nothing here)
            self._fd: int | None = pidfd
            return
        try:
            self._fd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone (and reaped by the zygote)
            self._fd, self.returncode = None, 1

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            os.close(self._fd)
            # the zygote waits for its children, so the exit status is not known here: 1 ("ended"), or the signal
            self._fd, self.returncode = None, getattr(self, "_signalled", 1)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            select.select([self._fd], [], [], 0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """As ``Popen.send_signal``: nothing happens if the process has already ended."""
        if self.poll() is not None:
            return
        if signum == signal.SIGKILL:
            self._signalled = -signal.SIGKILL
        try:
            signal.pidfd_send_signal(self._fd, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# what a kernel in the OS sandbox keeps of the environment the notebook client gives it (no host paths)
_BOX_ENV_KEYS = ("JPY_", "NBGRADER_", POLICY_ENV, "MPLBACKEND", "OMP_", "OPENBLAS_", "MKL_", "PYDEVD_",
                 "TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR")


def box_env(env: dict) -> dict:
    """The part of ``env`` a boxed kernel gets (the box sets PATH, HOME, PYTHONPATH itself)."""
    return {k: v for k, v in env.items() if k.startswith(_BOX_ENV_KEYS)}


class KernelZygote:
    """Handle on this process's kernel zygote (``python -m course_lib.grading.kernel zygote``), started on
    first use and restarted if it died.  Thread-safe.  :meth:`spawn` returns the pid of a new kernel (and,
    in the OS sandbox, a pidfd for it).

    In the OS sandbox (:mod:`course_lib.grading.box`) the zygote runs in a box whose only host folder is
    :meth:`exchange`; the kernels it forks are in the box's PID namespace, so the zygote hands the worker a
    pidfd of each (over a Unix socket) and the worker never signals a pid.  :meth:`sweep` kills whatever is
    left in the box between two submissions."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None
        self._sock = None
        self._cgroup = None
        self._boxed: bool | None = None
        self._exchange: str | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)
        # multiprocessing workers leave through os._exit, which skips atexit: finalize there too
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def exchange(self) -> str | None:
        """The host folder the box sees (read-write), or None without the OS sandbox."""
        from course_lib.grading import box

        with self._lock:
            if self._boxed is None:
                self._boxed = box.enabled()
            if self._boxed and (self._exchange is None or not os.path.isdir(self._exchange)):
                import tempfile

                self._exchange = tempfile.mkdtemp(prefix="course-kbox-")
                os.chmod(self._exchange, 0o755)
                self._stop()
            return self._exchange if self._boxed else None

    def _start(self) -> None:
        import socket

        from course_lib.grading import box

        if self._boxed:
            host, inside = socket.socketpair()
            try:
                self._proc, self._cgroup = box.start([sys.executable, "-s", "-m", __name__, "zygote"],
                                                     [self._exchange], stdin=inside, stdout=inside)
            finally:
                inside.close()
            self._sock, self._buf = host, b""
        else:
            env0 = {k: v for k, v in os.environ.items() if k != POLICY_ENV}
            self._proc = subprocess.Popen([sys.executable, "-m", __name__, "zygote"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env=env0, cwd="/", start_new_session=True)

    def _ask(self, req: dict) -> tuple[dict, list[int]]:
        """Send one request, read one answer line (and, from a box, the file descriptors sent with it)."""
        import socket

        if self._sock is None:
            self._proc.stdin.write(json.dumps(req).encode() + b"\n")
            self._proc.stdin.flush()
            return json.loads(self._proc.stdout.readline()), []
        self._sock.sendall(json.dumps(req).encode() + b"\n")
        fds: list[int] = []
        while b"\n" not in self._buf:
            data, got, _, _ = socket.recv_fds(self._sock, 65536, 4)
            fds += got
            if not data:
                raise OSError("the kernel zygote closed its socket")
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line), fds

    def spawn(self, argv: list[str], env: dict, cwd: str | None) -> tuple[int, int | None]:
        self.exchange()
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            try:
                if self._boxed:
                    env = box_env(env)
                answer, fds = self._ask({"argv": argv, "env": env, "cwd": cwd})
                if self._boxed and len(fds) != 1:
                    raise ValueError("no pidfd from the boxed zygote")
                return int(answer["pid"]), (fds[0] if fds else None)
            except (OSError, ValueError, KeyError, TypeError):
                self._stop()
                raise RuntimeError("the kernel zygote is not available") from None

    def sweep(self) -> int:
        """In the OS sandbox: kill every process left in the box (but the zygote) and empty its /tmp;
        returns how many were killed (0 without the OS sandbox, or if the zygote is not running)."""
        with self._lock:
            if not self._boxed or self._proc is None or self._proc.poll() is not None:
                return 0
            try:
                return int(self._ask({"sweep": True})[0]["swept"])
            except (OSError, ValueError, KeyError, TypeError):
                self._stop()
                return 0

    def _stop(self) -> None:
        if self._proc is not None:
            try:
                if self._sock is not None:
                    self._sock.close()  # the zygote kills its kernels when its input ends
                else:
                    self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                self._proc.kill()
            self._proc, self._sock = None, None
        if self._cgroup is not None:
            from course_lib.grading import box

            box.remove_cgroup(self._cgroup)
            self._cgroup = None

    def close(self) -> None:
        self._stop()
        if self._exchange is not None:
            import shutil

            shutil.rmtree(self._exchange, ignore_errors=True)
            self._exchange = None


def zygote() -> KernelZygote:
    """This process's kernel zygote (one per grading worker)."""
    global _ZYGOTE
    if _ZYGOTE is None:
        _ZYGOTE = KernelZygote()
    return _ZYGOTE


_ZYGOTE: KernelZygote | None = None


class ForkedProvisioner(LocalProvisioner):
    """``LocalProvisioner`` whose kernel is forked by the worker's :class:`KernelZygote` instead of being
    started as a new Python process (same command line, environment, working directory, and policy).
    Falls back to starting the process if the command is not this module's or the zygote is unavailable."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        if cmd[1:3] != ["-m", __name__]:
            return await super().launch_kernel(cmd, **kwargs)
        zyg = zygote()
        env = dict(kwargs.get("env") or os.environ)
        try:
            pid, pidfd = zyg.spawn([cmd[0]] + cmd[3:], env, kwargs.get("cwd"))
        except RuntimeError as exc:
            exchange = zyg.exchange()
            if exchange is not None:  # never outside the box: a box of its own, killed with its bwrap
                from course_lib.grading import box

                self.log.warning("%s; starting the kernel in a box of its own", exc)
                kwargs["env"] = {**box_env(env), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
                return await super().launch_kernel(box.command(cmd[:1] + ["-s"] + cmd[1:], [exchange],
                                                               box_env(env)), **kwargs)
            self.log.warning("%s; starting the kernel as a new process", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = _ForkedProcess(pid, pidfd)
        self.pid = pid
        # a boxed kernel's pid is in the box's PID namespace: never signal it as a host process group
        self.pgid = None if pidfd is not None else pid
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info


class LimitedKernelManager(AsyncKernelManager):
    """Starts the kernel through this module (same interpreter, same connection file), forked by the
    worker's kernel zygote (:class:`ForkedProvisioner`)."""

    client_class = DottedObjectName("course_lib.grading.kernel.ReadyClient", config=True)
    client_factory = Type(ReadyClient, klass=AsyncKernelClient, config=True)

    async def _async_wait(self, pollinterval: float = 0.005) -> None:
        """Wait for the kernel process to end, polling every 5 ms (``jupyter_client``: 100 ms, which a
        killed kernel — dead a few ms after ``SIGKILL`` — always waits once)."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    async def _async_pre_start_kernel(self, **kw):
        exchange = zygote().exchange()
        if exchange is not None:
            # the box has no network (a loopback of its own): the kernel's ZMQ sockets are Unix sockets in
            # the exchange folder, the one host folder the box sees
            self.transport = "ipc"
            self.ip = os.path.join(exchange, "kernel")
            self.connection_file = os.path.join(exchange, f"kernel-{uuid.uuid4().hex[:8]}.json")
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkedProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

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
        elif event == "sqlite3.connect":
            # SQLite opens its files in C (no "open" event): the gradebook would otherwise be writable
            database = args[0] if args else None
            if isinstance(database, (str, bytes, os.PathLike)) and os.fsdecode(database) not in (":memory:", ""):
                if not _under(os.path.realpath(os.fsdecode(database)), writable):
                    raise PermissionError("opening a database outside the submission's folder is not allowed "
                                          "while grading")
        elif event == "mmap.__new__":
            fd = args[0] if args else -1
            if isinstance(fd, int) and fd >= 0:
                try:
                    real = os.path.realpath(os.readlink(f"/proc/self/fd/{fd}"))
                except OSError:
                    real = ""
                if _under(real, deny) and not _under(real, allow + writable):
                    raise PermissionError(f"mapping {real} is not allowed while grading")
        elif event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.chmod",
                       "os.link", "os.symlink", "os.utime", "os.mkdir"):
            target = args[0] if args else None
            if isinstance(target, (str, bytes, os.PathLike)) and not _under(
                    os.path.realpath(os.fsdecode(target)), writable):
                raise PermissionError(f"{event} is not allowed here while grading")
        elif event in _SPAWN or event.startswith(("os.exec", "os.spawn")):
            raise PermissionError(f"{event}: starting processes is not allowed while grading")
        elif event in ("os.kill", "os.killpg") and not (event == "os.kill" and args and args[0] == os.getpid()):
            # signalling another process (the grading worker, say) — the pipeline also survives a worker that
            # dies anyway (through ctypes, which no audit hook sees): see pipeline._grade_all
            raise PermissionError(f"{event}: signalling other processes is not allowed while grading")

    sys.addaudithook(hook)
    refuse_raw_spawn()


def main() -> None:
    """Kernel process: the policy of ``COURSE_KERNEL_POLICY`` (if any), then ipykernel with ``sys.argv``."""
    policy = json.loads(os.environ.pop(POLICY_ENV, "{}") or "{}")
    if policy:
        sys.modules["debugpy"] = None  # no debugger in a grading kernel: ipykernel then starts without it
        # the limits first; the audit hook once ipykernel is imported (no submitted code has run yet)
        resource.setrlimit(resource.RLIMIT_AS, (int(policy.get("mem_bytes", 2 << 30)),) * 2)
    from ipykernel import kernelapp

    if policy:
        install_policy(policy)

    kernelapp.launch_new_instance()


def _zygote() -> None:
    """Kernel zygote: import what every grading kernel imports, then fork one kernel per request (one JSON
    line ``{"argv", "env", "cwd"}`` on stdin; answers ``{"pid"}``).  Kills (and waits for) its kernels when
    stdin ends."""
    import random
    import tempfile

    sys.modules["debugpy"] = None
    import importlib

    import numpy as np

    # ipykernel and what IPKernelApp.initialize() imports, then what the notebooks import
    for name in ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                 "IPython.core.debugger", "IPython.core.completerlib", "IPython.core.oinspect",
                 "IPython.extensions.storemagic", "IPython.utils.wildcard", "faulthandler", "pdb", "sqlite3",
                 "psutil", "tornado.gen", "tornado.locks", "tornado.queues", "tornado.platform.asyncio",
                 "unicodedata", "numpy.linalg"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass

    # reap kernels as they end (waited for, their CPU time counts in this process's RUSAGE_CHILDREN, as it
    # would for kernels started by the worker); the worker watches them through pidfds
    signal.signal(signal.SIGCHLD, lambda *_: _reap())
    from course_lib.grading import box

    boxed = box.in_box()
    kids: list[int] = []
    out = sys.stdout.buffer
    if boxed:
        import socket

        chan = socket.socket(fileno=os.dup(1))
    for line in sys.stdin.buffer:
        req = json.loads(line)
        if req.get("sweep"):
            swept = box.sweep() if boxed else 0
            kids = []
            out.write(json.dumps({"swept": swept}).encode() + b"\n")
            out.flush()
            continue
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)
                os.dup2(2, 1)  # never the zygote's answer pipe
                os.chdir(req["cwd"] or "/")
                base = dict(os.environ) if boxed else {}  # in a box: PATH, HOME, PYTHONPATH of the box
                os.environ.clear()
                os.environ.update({**base, **req["env"]})
                tempfile.tempdir = None
                random.seed()
                np.random.seed()
                # ipykernel read JPY_PARENT_PID when the zygote imported it: say it again (it exits when its
                # parent, the zygote, is gone)
                sys.argv = list(req["argv"]) + [f"--IPKernelApp.parent_handle={os.getppid()}"]
                main()
            finally:
                os._exit(0)
        try:
            os.setpgid(pid, pid)  # also done by the child: whichever runs first (killpg needs it at once)
        except OSError:
            pass
        kids = [k for k in kids if _alive(k)] + [pid]
        answer = json.dumps({"pid": pid}).encode() + b"\n"
        if boxed:  # the worker cannot name this pid (another PID namespace): it gets a pidfd
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                fd = os.open(os.devnull, os.O_RDONLY)  # (ended at once: a pidfd of nothing reads as ended)
            socket.send_fds(chan, [answer], [fd])
            os.close(fd)
        else:
            out.write(answer)
            out.flush()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for k in kids:
        try:
            os.killpg(k, signal.SIGKILL)
            os.waitpid(k, 0)
        except OSError:
            pass


def _reap() -> None:
    """Wait for every ended child of the zygote (SIGCHLD handler)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    if sys.argv[1:] == ["zygote"]:
        _zygote()
    else:
        main()
