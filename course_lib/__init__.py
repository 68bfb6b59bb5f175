"""course_lib — the library behind the course *Recurrent neural networks for NLP, taught in Jupyter*.

Layers point one way (each imports only those listed before it):

``course_lib.reference``
    Pure-NumPy reference implementations, forward and hand-written backward, in the lecture's notation.
    Imports NumPy only — never torch, never anything else in ``course_lib``.
``course_lib.models`` / ``course_lib.training`` / ``course_lib.data``
    PyTorch models, the shared training loop, dataset registry and loaders.
``course_lib.widgets`` / ``course_lib.grading``
    Interactive widgets and grading helpers, built on the layers above.
"""

__version__ = "0.1.0"
