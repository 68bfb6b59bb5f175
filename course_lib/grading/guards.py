"""Guards shared by the grading kernel (:mod:`course_lib.grading.kernel`) and the sandbox
(:mod:`course_lib.grading.sandbox`) that an audit hook alone cannot provide."""

from __future__ import annotations

import sys


def refuse_raw_spawn(on_use=None) -> None:
    """Replace ``_posixsubprocess.fork_exec`` — which starts a process without the ``subprocess.Popen`` audit
    event — by a refusal, also where ``subprocess`` keeps its own reference (``_fork_exec``).  ``on_use()`` is
    called first when submitted code tries it (the sandbox records a violation)."""
    import _posixsubprocess

    def refuse_fork_exec(*args, **kwargs):
        if on_use is not None:
            on_use()
        raise PermissionError("starting processes is not allowed in a graded submission")

    _posixsubprocess.fork_exec = refuse_fork_exec
    if "subprocess" in sys.modules:
        sys.modules["subprocess"]._fork_exec = refuse_fork_exec
