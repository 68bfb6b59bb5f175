"""Trusted NumPy oracles the grader compares submissions against.

They are split by *level* on purpose: when a part that builds on lower-level functions is checked (say
``rnn_backward``, which calls ``rnn_step_backward``), the sandbox injects the oracle versions of the
lower-level functions only, so that a mistake is charged to the part where it was made.  Each module
imports nothing from a higher level; and the sandbox injects detached copies whose ``__globals__`` hold
only the names they use (:func:`course_lib.grading.sandbox._detached`), so an injected function never
reaches an oracle of a part that is still to be checked (``rnn_steps`` holds both the forward and the
backward step).  The oracles themselves are validated against finite differences,
``torch`` autograd and ``pytorch-crf`` in ``tests/test_assignments_checks.py``.
"""
