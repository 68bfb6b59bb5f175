"""The OS sandbox (``course_lib/grading/box.py``): what a bubblewrap box sees, reaches and leaves behind.

These run real boxes (bubblewrap is required: `make test` installs Debian's package).  The pipeline tests
(`test_assignments_pipeline.py`) grade whole hostile notebooks in them; here each guarantee is checked alone,
with plain Python run in a box — no audit hook in the way, as for code that reaches C.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_lib.grading import box, pipeline

REPO = pipeline.REPO_ROOT


@pytest.fixture(scope="module", autouse=True)
def _bubblewrap():
    assert box.unavailable_reason() is None, (
        f"the OS sandbox cannot be tested: {box.unavailable_reason()} (`make test` installs bubblewrap)")


@pytest.fixture
def exchange():
    with tempfile.TemporaryDirectory(prefix="course-box-test-") as folder:
        yield Path(folder)


def in_box(code: str, rw: list[str] = (), timeout: float = 60) -> dict:
    """Run ``code`` (which prints one JSON line last) in a box; returns that JSON."""
    proc, group = box.start([sys.executable, "-s", "-c", code], list(rw), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        box.remove_cgroup(group)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


def test_the_box_sees_the_system_and_its_exchange_folder_only(exchange):
    secrets = [REPO / "solutions", REPO / "assignments" / "source", REPO / "assignments" / "gradebook.db",
               REPO / "course_lib" / "grading" / "oracles", REPO / "course_lib" / "grading" / "judge.py",
               REPO / "tests", Path("/work/shared"), Path.home() / ".ssh"]
    (exchange / "in.txt").write_text("from the host")
    code = (
        "import json, os, sys, numpy\n"
        f"secrets = {[str(p) for p in secrets]!r}\n"
        f"ex = {str(exchange)!r}\n"
        "def writable(path):\n"
        "    try:\n        open(path, 'w').write('x')\n        return True\n    except OSError:\n        return False\n"
        "print(json.dumps({'seen': [p for p in secrets if os.path.exists(p)],\n"
        "    'read': open(os.path.join(ex, 'in.txt')).read(), 'wrote': writable(os.path.join(ex, 'out.txt')),\n"
        "    'usr': writable('/usr/pwned'), 'venv': writable(os.path.join(sys.prefix, 'pwned')),\n"
        "    'tmp': writable('/tmp/scratch'), 'repo': sorted(os.listdir(os.path.dirname(sys.prefix))),\n"
        "    'lib': sorted(os.listdir('/grader/lib/course_lib/grading')), 'uid': os.getuid(),\n"
        "    'env': dict(os.environ)}))\n")
    got = in_box(code, [str(exchange)])
    assert got["seen"] == []
    assert got["read"] == "from the host" and got["wrote"] and (exchange / "out.txt").read_text() == "x"
    assert not got["usr"] and not got["venv"]  # read-only system and virtual environment
    assert got["tmp"] and not Path("/tmp/scratch").exists()  # a private /tmp
    assert got["repo"] == [".venv"]  # of the repository, the box has the virtual environment only
    assert got["lib"] == sorted(Path(p).name for p in box.STAGED if p.startswith("grading/"))
    assert not [v for v in got["env"].values() if str(REPO) in v and ".venv" not in v]


def test_the_staged_library_has_no_oracle_spec_or_judge():
    staged = box.staged_lib() / "course_lib"
    files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*.py"))
    assert files == sorted(box.STAGED)
    assert not any(name in " ".join(files) for name in ("oracles", "spec_", "judge", "pipeline", "checks"))


def test_every_mount_is_read_only_but_the_exchange_folders(exchange):
    cmd = box.command(["true"], [str(exchange)])
    binds = [(cmd[k], cmd[k + 1]) for k in range(len(cmd) - 1) if cmd[k] in ("--bind", "--ro-bind")]
    writable = [src for flag, src in binds if flag == "--bind"]
    assert writable == [str(exchange)]
    for _flag, src in binds:
        assert not src.startswith(str(REPO)) or src.startswith(sys.prefix) or src == str(exchange), src


def test_the_box_has_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(3)
    port = server.getsockname()[1]
    code = ("import json, socket\nres = {}\n"
            f"for host in ('127.0.0.1', 'pypi.org', '1.1.1.1'):\n"
            f"    try:\n        socket.create_connection((host, {port}), timeout=2)\n        res[host] = 'connected'\n"
            "    except OSError as err:\n        res[host] = type(err).__name__\n"
            "print(json.dumps(res))\n")
    got = in_box(code)
    with pytest.raises(socket.timeout):
        server.accept()  # the box's 127.0.0.1 is its own loopback, not the host's
    server.close()
    assert "connected" not in got.values(), got


def test_the_box_cannot_see_or_signal_host_processes():
    code = ("import json, os, signal\n"
            f"try:\n    os.kill({os.getpid()}, 0)\n    host = 'visible'\n"
            "except OSError as err:\n    host = type(err).__name__\n"
            "procs = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            "print(json.dumps({'pid': os.getpid(), 'procs': procs, 'host': host}))\n")
    got = in_box(code)
    assert got["pid"] == 2 and sorted(got["procs"], key=int) == ["1", "2"]  # bubblewrap's reaper and itself
    assert got["host"] == "ProcessLookupError"  # the test's own pid does not exist in the box


def test_a_fork_bomb_is_capped_and_the_sweep_leaves_nothing_alive(exchange):
    code = ("import ctypes, json, os, time\nfrom course_lib.grading import box\n"
            "libc = ctypes.CDLL(None)\nkids = 0\n"
            "for _ in range(2000):\n    pid = libc.fork()\n"
            "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
            "    if pid < 0:\n        break\n    kids += 1\n"
            "killed = box.sweep()\n"
            "alive = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())\n"
            "         and open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z']\n"
            "open('/tmp/left-over', 'w').write('x')\n"
            "box.sweep()\n"
            "print(json.dumps({'kids': kids, 'killed': killed, 'alive': alive, 'tmp': os.listdir('/tmp')}))\n")
    got = in_box(code, [str(exchange)])
    if box.pids_cgroup_available():
        assert got["kids"] < box.PIDS_MAX
    assert got["killed"] >= min(got["kids"], 1) and got["alive"] == []
    # /tmp emptied, but the way to the exchange folder (and the folder itself) kept
    assert got["tmp"] == [Path(exchange).relative_to("/tmp").parts[0]]


def test_sweep_refuses_to_run_outside_a_box():
    assert not box.in_box()
    with pytest.raises(RuntimeError, match="outside a box"):
        box.sweep()


def test_without_bubblewrap_auto_warns_once_and_require_refuses(monkeypatch, capsys):
    monkeypatch.setattr(box, "_probe", "bubblewrap is not installed (test)")
    monkeypatch.setattr(box, "_warned", False)
    monkeypatch.setenv(box.MODE_ENV, "auto")
    assert box.enabled() is False and box.enabled() is False
    err = capsys.readouterr().err
    assert err.count("warning: grading without the OS sandbox") == 1 and len(err.strip().splitlines()) == 1
    monkeypatch.setenv(box.MODE_ENV, "require")
    with pytest.raises(box.SandboxUnavailable, match="required"):
        box.enabled()
    monkeypatch.setenv(box.MODE_ENV, "off")
    assert box.enabled() is False
    monkeypatch.setenv(box.MODE_ENV, "sometimes")
    with pytest.raises(ValueError, match="auto, require or off"):
        box.enabled()


def test_the_command_line_refuses_to_grade_without_the_required_sandbox(monkeypatch, capsys, tmp_path):
    from course_lib.grading.__main__ import main

    monkeypatch.setattr(box, "_probe", "bubblewrap is not installed (test)")
    monkeypatch.setenv(box.MODE_ENV, "auto")  # (restored afterwards: main() sets it to "require")
    assert main(["--root", str(tmp_path), "autograde", "bptt", "--require-sandbox"]) == 2
    assert "OS sandbox is required" in capsys.readouterr().err
