"""Trusted NumPy oracles the grader compares submissions against.

They are split by *level* on purpose: when a part that builds on lower-level functions is checked (say
``rnn_backward``, which calls ``rnn_step_backward``), the sandbox injects the oracle versions of the
lower-level functions only, so that a mistake is charged to the part where it was made.  Each module
imports nothing from a higher level, so an injected function's ``__globals__`` never reaches an oracle
of a part that is still to be checked.  The oracles themselves are validated against finite differences,
``torch`` autograd and ``pytorch-crf`` in ``tests/test_assignments_checks.py``.
"""
