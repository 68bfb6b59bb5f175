"""Pure-NumPy reference implementations (forward *and* hand-written backward).

One module per concept, CS231n style: every step is a pure function ``*_forward(...) -> (out, cache)``
with a matching ``*_backward(dout, cache) -> grads``; every shape is in the docstring. The modules
import NumPy and nothing else (no torch, nothing above this package) so that they can be read, and
graded against, on their own.

Modules: ``validation`` (input checks), ``gradcheck`` (finite differences), ``layers`` (embedding,
affine, softmax cross-entropy), ``rnn`` (Elman RNN, BPTT, truncated BPTT), ``lstm``, ``gru``,
``crf`` (linear-chain CRF), ``ngram`` (count-based language models), ``optim`` (clipping, optimisers).
"""
