"""Run a submission's code in a sandboxed child process and collect what its functions return.

Why a separate process: a notebook's test cells run in the student's own kernel, where the student's code
can replace anything (``np.allclose``, the checker, IPython's traceback printer).  So the grade is never
decided there.  Instead the grader (trusted) hands the submission's code cells to a *zygote* — a small,
single-threaded helper process that has imported NumPy once — which forks one child per phase.  The child

1. sets resource limits (address space, CPU seconds, file size) and silences stdin/stdout/stderr;
2. imports the oracle functions to inject for this phase (lower-level functions already graded), keeps
   detached copies of them (``__globals__`` holding only what they use) and replaces every ``course_lib``
   module in ``sys.modules`` by a stub that only has ``course_lib.grading.check`` (a no-op), so that the
   submission can reach no other oracle;
3. installs an audit hook (PEP 578; it cannot be removed) that refuses: reading anything under the course
   repository or the nbgrader course root (solutions, source notebooks, other students, the oracles),
   writing anywhere but its output folder, importing ``course_lib``/``torch``/``torchcrf`` (using the
   course's reference implementation instead of writing the code), starting processes, ``ctypes``,
   sockets and ``gc``/tracing introspection;
4. executes the code cells, then calls the drivers (:mod:`course_lib.grading.drivers`) on each case and
   saves the returned arrays with ``np.savez``.

The judge (:mod:`course_lib.grading.judge`) loads the arrays with ``allow_pickle=False`` and compares them
in the trusted process, so nothing the student's code does to NumPy or to the checker can change a verdict.

The audit hook is the second layer.  The first is the OS sandbox (:mod:`course_lib.grading.box`): the zygote
runs in a bubblewrap box where the repository, the course root and the oracles' folder are not mounted at all
(the oracles arrive as source in the request, :func:`oracle_sources`, read over the zygote's stdin — no request
file is ever written), and after each child the zygote kills whatever the child left running in the box.
"""

from __future__ import annotations

import atexit
import builtins
import importlib
import json
import multiprocessing.util
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from course_lib.grading import drivers
from course_lib.grading.guards import refuse_raw_spawn

REPO_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IMPORTS = ("course_lib", "torch", "torchcrf", "functorch", "_posixsubprocess", "sqlite3", "_sqlite3")
_BLOCKED_EVENTS = (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function",
    "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at", "socket.connect", "socket.bind",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace", "sys.setprofile",
    "sys._current_frames", "os.kill", "os.killpg", "signal.pthread_kill", "os.chdir", "os.chroot",
)
_WRITE_EVENTS = ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.chmod",
                 "os.chown", "os.link", "os.symlink", "os.mkdir", "os.utime", "shutil.copyfile",
                 "shutil.move")


class CellTimeout(BaseException):
    """Raised by the per-cell alarm (a BaseException so that ``except Exception`` does not swallow it)."""


def strip_magics(source: str) -> str:
    """Drop IPython-only lines (``%magic``, ``!shell``); a ``%%cell`` magic drops the whole cell."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _install_audit_hook(deny_read: list[str], allow_read: list[str], allow_write: str, violations: list):
    deny_read = [os.path.realpath(p) for p in deny_read]
    allow_read = [os.path.realpath(p) for p in allow_read]
    allow_write = os.path.realpath(allow_write)

    def under(path, roots):
        return any(path == r or path.startswith(r + os.sep) for r in roots)

    def hook(event, args):
        if event == "open":
            path, mode = args[0], args[1]
            if isinstance(path, int) or path is None:
                return
            real = os.path.realpath(os.fsdecode(path))
            writing = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or (
                isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            if writing and not (under(real, [allow_write]) or real == os.devnull):
                violations.append(f"tried to write {real}")
                raise PermissionError(f"the grader does not allow writing {real}")
            if under(real, deny_read) and not under(real, allow_read + [allow_write]):
                violations.append(f"tried to read {real}")
                raise PermissionError(f"the grader does not allow reading {real}")
        elif event == "import":
            name = args[0] or ""
            if name.split(".")[0] in FORBIDDEN_IMPORTS and name not in sys.modules:
                violations.append(f"imported {name}")
                raise ImportError(f"importing {name} is not allowed in a graded submission: write the code")
        elif event in _WRITE_EVENTS:
            target = args[0] if args else None
            if isinstance(target, (str, bytes, os.PathLike)):
                if not under(os.path.realpath(os.fsdecode(target)), [allow_write]):
                    violations.append(f"used {event} outside its folder")
                    raise PermissionError(f"the grader does not allow {event} here")
        elif event == "sqlite3.connect":
            # SQLite opens files in C, unseen by the "open" event: no database but an in-memory one
            database = args[0] if args else None
            if not (isinstance(database, (str, bytes)) and os.fsdecode(database) in (":memory:", "")):
                violations.append("opened a database file")
                raise PermissionError("the grader does not allow opening database files")
        elif event == "mmap.__new__":
            fd = args[0] if args else -1
            if isinstance(fd, int) and fd >= 0:
                violations.append("mapped a file into memory")
                raise PermissionError("the grader does not allow mapping files")
        elif event in _BLOCKED_EVENTS or event.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            violations.append(f"used {event}")
            raise PermissionError(f"{event} is not allowed in a graded submission")

    sys.addaudithook(hook)


def _alarm(seconds: float):
    def handler(signum, frame):
        raise CellTimeout(f"took longer than {seconds:g} s")

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _write_json(path: Path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError) and not str(exc):
        return ("NotImplementedError: not written yet (the function still raises NotImplementedError(): "
                "replace that line with your code)")
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 400 else text[:400] + " ..."


def _run_part(part: dict, ns: dict, oracles: dict, out: Path, violations: list) -> None:
    """Call the part's driver on every case, once with the submission's own functions and, if the part
    has lower-level dependencies, once with the oracle versions of those injected."""
    driver = getattr(drivers, part["name"])
    variants = [("own", {})] + ([("injected", part["inject"])] if part["inject"] else [])
    for label, inject in variants:
        saved = {fn: ns.get(fn) for fn in inject}
        ns.update({fn: oracles[fn] for fn in inject})
        for idx, inputs in part["cases"]:
            stem = f"{part['name']}__{idx}__{label}"
            start = len(violations)
            try:
                _alarm(part.get("case_seconds", 10.0))
                result = driver(ns, inputs)
                signal.setitimer(signal.ITIMER_REAL, 0)
                np.savez(out / f"{stem}.npz", **result)
                status = {"ok": True}
            except BaseException as exc:  # noqa: BLE001
                signal.setitimer(signal.ITIMER_REAL, 0)
                status = {"ok": False, "error": _describe(exc)}
            status["violations"] = violations[start:][:5]
            try:
                _write_json(out / f"{stem}.json", status)
            except BaseException:  # noqa: BLE001
                pass
        for fn, value in saved.items():
            if value is None:
                ns.pop(fn, None)
            else:
                ns[fn] = value


def _detached(fn, _seen: dict | None = None):
    """A copy of the oracle function ``fn`` whose ``__globals__`` hold only the names its code uses (NumPy,
    and detached copies of the oracle functions it calls), so that a submission handed the injected
    ``rnn_step_forward`` cannot reach ``rnn_step_forward.__globals__["rnn_step_backward"]``, the oracle of
    the part being checked."""
    import types

    seen = {} if _seen is None else _seen
    if not isinstance(fn, types.FunctionType):
        return fn
    if id(fn) in seen:
        return seen[id(fn)]
    names, stack = set(), [fn.__code__]
    while stack:
        code = stack.pop()
        names |= set(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    env = {"__builtins__": builtins, "__name__": fn.__module__}
    copy = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__, copy.__doc__, copy.__qualname__ = fn.__kwdefaults__, fn.__doc__, fn.__qualname__
    seen[id(fn)] = copy
    for name in names & set(fn.__globals__):
        env[name] = _detached(fn.__globals__[name], seen)
    return copy


def _notebook_stubs():
    """The only ``course_lib`` a submission sees in the sandbox: ``from course_lib.grading import check``
    (the notebooks' first cell) works, ``check`` does nothing (the test cells are not run here), and
    nothing else of the package is reachable from it."""
    import types

    pkg, grading = types.ModuleType("course_lib"), types.ModuleType("course_lib.grading")
    env = {"__builtins__": builtins}
    exec("def check(assignment, part, *functions, hidden=False):\n    return None\n", env)  # noqa: S102
    grading.check, pkg.grading = env["check"], grading
    return pkg, grading


def oracle_sources() -> dict[str, str]:
    """The source of every oracle module (``course_lib.grading.oracles.*``), read by the trusted judge and
    sent to the child with its request: the oracles' folder is never mounted in the OS sandbox's box."""
    folder = Path(__file__).with_name("oracles")
    sources = {"course_lib.grading.oracles": (folder / "__init__.py").read_text()}
    for path in sorted(folder.glob("*.py")):
        if path.stem != "__init__":
            sources[f"course_lib.grading.oracles.{path.stem}"] = path.read_text()
    return sources


class _SourceFinder:
    """Meta-path finder that imports modules from source text (the oracles the judge sent)."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        import importlib.util

        if name not in self.sources:
            return None
        is_pkg = any(other.startswith(name + ".") for other in self.sources)
        return importlib.util.spec_from_loader(name, self, is_package=is_pkg)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = compile(self.sources[module.__name__], f"<oracle {module.__name__}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the course's own oracle source


def run_child(req: dict, out_dir: str) -> None:
    """Body of the sandboxed child (see the module docstring). Never returns normally: it ``_exit`` s."""
    out = Path(out_dir)
    mem = int(req.get("mem_bytes", 2 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(req.get("cpu_seconds", 60))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.environ["MPLBACKEND"] = "Agg"
    oracles = {}
    finder = _SourceFinder(req.pop("oracle_sources", {}))
    sys.meta_path.insert(0, finder)
    for name in [m for m in sys.modules if m.startswith("course_lib.grading.oracles")]:
        del sys.modules[name]  # (outside the box) imported from the sources, as in the box
    for part in req["parts"]:
        for fn, target in part["inject"].items():
            module, attr = target.split(":")
            oracles[fn] = _detached(getattr(importlib.import_module(module), attr))
    sys.meta_path.remove(finder)
    del finder  # nothing of the oracles' sources stays reachable but the detached copies
    violations: list[str] = []
    refuse_raw_spawn(lambda: violations.append("used _posixsubprocess.fork_exec"))
    # the oracle modules must not be importable by the submission (an import of a module already in
    # sys.modules raises no audit event): the injected copies above are all that is left of them
    for name in [m for m in sys.modules if m.split(".")[0] in FORBIDDEN_IMPORTS]:
        del sys.modules[name]
    sys.modules["course_lib"], sys.modules["course_lib.grading"] = _notebook_stubs()
    os.chdir(out)
    _install_audit_hook(req["deny_read"], req["allow_read"], str(out), violations)

    ns = {"__name__": "__main__", "__builtins__": builtins}
    cell_errors: list[str] = []
    timeouts: list[int] = []
    skip = set(req.get("skip_cells", []))  # cells that already ran out of time in an earlier phase
    parts = {part["name"]: part for part in req["parts"]}
    done: set[str] = set()
    items = [tuple(item) for item in req["cells"]] + [("test", name) for name in parts]
    for k, (kind, payload) in enumerate(items):
        if done == set(parts):
            break
        if kind == "test":
            if payload in parts and payload not in done:
                done.add(payload)
                _write_json(out / "cells.json", {"errors": cell_errors[:20], "violations": violations[:20],
                                                 "timeouts": timeouts})
                _run_part(parts[payload], ns, oracles, out, violations)
            continue
        code = strip_magics(payload)
        if not code.strip() or k in skip:
            continue
        try:
            _alarm(req.get("cell_seconds", 10.0))
            exec(compile(code, f"<cell {k}>", "exec"), ns)  # noqa: S102 - the point of the sandbox
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, CellTimeout too
            cell_errors.append(f"code cell {k}: {_describe(exc)}")
            if isinstance(exc, CellTimeout):
                timeouts.append(k)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    _write_json(out / "cells.json", {"errors": cell_errors[:20], "violations": violations[:20],
                                     "timeouts": timeouts})
    _write_json(out / "done.json", {"violations": violations[:20]})
    os._exit(0)


# ------------------------------------------------------------------------------------------- zygote
def _serve() -> None:
    """Zygote loop: read one request (a JSON line ``{"out", "timeout", "size"}`` then ``size`` bytes of
    pickle, sent by the trusted judge) on stdin, fork a child, answer one JSON line.  In the OS sandbox
    (:mod:`course_lib.grading.box`), every other process of the box is killed and ``/tmp`` emptied before
    the answer, so nothing the child started outlives it."""
    from course_lib.grading import box

    inp, outp = sys.stdin.buffer, sys.stdout
    boxed = box.in_box()
    for line in inp:
        req = json.loads(line)
        blob = inp.read(int(req["size"]))
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                run_child(pickle.loads(blob), req["out"])
            finally:
                os._exit(70)
        del blob
        deadline = time.monotonic() + float(req["timeout"])
        status = "timeout"
        code = None
        while time.monotonic() < deadline:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(st)
                status = "ok" if code == 0 else "died"
                break
            time.sleep(0.003)
        if status == "timeout":
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        if boxed:
            box.sweep()
        outp.write(json.dumps({"status": status, "code": code}) + "\n")
        outp.flush()


class Zygote:
    """Handle on the zygote process (started lazily, restarted if it dies). Thread-safe."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._boxed: bool | None = None  # decided on first use (box.enabled())
        self._exchange: str | None = None
        self._cgroup = None
        atexit.register(self.close)
        # multiprocessing workers leave through os._exit, which skips atexit: finalize there too
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def exchange(self) -> str | None:
        """The folder the child's output folders must be in when the zygote runs in the OS sandbox (the
        only folder of the host its box sees); None without the OS sandbox."""
        from course_lib.grading import box

        with self._lock:
            if self._boxed is None:
                self._boxed = box.enabled()
            if self._boxed and (self._exchange is None or not os.path.isdir(self._exchange)):
                import tempfile

                self._exchange = tempfile.mkdtemp(prefix="course-box-")
                os.chmod(self._exchange, 0o755)
                self.close_process()
            return self._exchange if self._boxed else None

    def _start(self):
        from course_lib.grading import box

        pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self._boxed:
            self._proc, self._cgroup = box.start(
                [sys.executable, "-s", "-m", "course_lib.grading.sandbox", "serve"], [self._exchange], **pipes)
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_", "NBGRADER"))}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
        self._proc = subprocess.Popen([sys.executable, "-I", "-m", "course_lib.grading.sandbox", "serve"],
                                      env=env, cwd="/", start_new_session=True, **pipes)

    def run(self, request: bytes, out_dir: str, timeout: float) -> dict:
        """Run one request (pickled dict, see :func:`run_child`) writing into ``out_dir``."""
        self.exchange()
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            msg = json.dumps({"out": out_dir, "timeout": timeout, "size": len(request)}) + "\n"
            try:
                self._proc.stdin.write(msg.encode() + request)
                self._proc.stdin.flush()
                line = self._proc.stdout.readline()
                return json.loads(line)
            except (BrokenPipeError, json.JSONDecodeError, ValueError):
                self.close_process()
                return {"status": "died", "code": None}

    def close_process(self):
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            self._proc = None
        if self._cgroup is not None:
            from course_lib.grading import box

            box.remove_cgroup(self._cgroup)
            self._cgroup = None

    def close(self):
        self.close_process()
        if self._exchange is not None:
            import shutil

            shutil.rmtree(self._exchange, ignore_errors=True)
            self._exchange = None


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    _serve()
