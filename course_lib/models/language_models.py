"""Neural language models: Bengio's feed-forward LM and the recurrent LM (RNN / LSTM / GRU), plus sampling.

Deck 000, Part 1 ("Neural Language Model based on FFNN by Bengio et al. (2003)") and Part 2 (the RNN
language model, truncated BPTT). Everything is batch-first and works on integer ids, so the same classes
serve characters, bytes or words: the vocabulary is whatever the ids index.

:class:`TBPTTLoss` and :func:`tbptt_batches` are the truncated-BPTT plumbing for :func:`course_lib.training.train`.
Sampling (:func:`sample_next`) divides the logits by a temperature ``tau`` before the softmax,
``p_i ∝ exp(z_i / tau)``: ``tau -> 0`` tends to greedy argmax decoding, ``tau = 1`` samples the model's own
distribution and ``tau > 1`` flattens it (Karpathy's min-char-rnn / "The unreasonable effectiveness of RNNs").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
StepFn = Callable[[torch.Tensor, object], tuple[torch.Tensor, object]]


def _check_ids(name: str, x: torch.Tensor, ndim: int, symbols: str) -> None:
    """Raise ``ValueError`` unless ``x`` is an integer tensor with ``ndim`` dimensions, e.g. ``(N, T)``."""
    if not isinstance(x, torch.Tensor) or x.dim() != ndim or x.dtype.is_floating_point or x.is_complex():
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name} must be an integer tensor of shape {symbols}, got {got}")


def detach_state(state):
    """Cut the graph behind a recurrent state, for truncated BPTT (deck 000, Part 2).

    ``state`` is ``None``, a tensor ``(L, N, H)`` or a tuple of them (the LSTM's ``(h, c)``); the same
    structure comes back with every tensor detached (same values, no ``grad_fn``). The next segment then
    starts from the previous segment's final state while its backward pass stops at the segment boundary.
    """
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw one id per row from ``softmax(logits / temperature)``.

    logits: (N, V) unnormalised scores. temperature: ``0`` means greedy argmax; otherwise must be > 0.
    top_k: if given, only the ``top_k`` largest logits of each row keep their mass (Fan et al., 2018).
    generator: a ``torch.Generator`` for reproducible draws. Returns (N,) long.
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (N, V), got {tuple(logits.shape)}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None:
        if not 1 <= top_k <= logits.shape[1]:
            raise ValueError(f"top_k must be in [1, V={logits.shape[1]}], got {top_k}")
        kth = torch.topk(logits, top_k, dim=1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if temperature == 0:
        return logits.argmax(dim=1)
    probs = F.softmax(logits.double() / temperature, dim=1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def generate(
    step: StepFn,
    start: Sequence[int] | torch.Tensor,
    length: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
    state=None,
) -> torch.Tensor:
    """Autoregressive generation shared by every LM: read the prompt, then feed back each sampled id.

    step(x (N, t) long, state) -> (logits (N, t, V), state) is one call of the model.
    start: the prompt, (T0,) or (N, T0) ids with T0 >= 1. Returns the ``length`` new ids, (length,) or
    (N, length) matching ``start``; the prompt is not repeated in the output.
    """
    x = torch.as_tensor(start, dtype=torch.long)
    squeeze = x.dim() == 1
    x = x.unsqueeze(0) if squeeze else x
    _check_ids("start", x, 2, "(N, T0)")
    if x.shape[1] == 0:
        raise ValueError("start must contain at least one id")
    out = []
    with torch.no_grad():
        logits, state = step(x, state)
        for i in range(length):
            nxt = sample_next(logits[:, -1], temperature, top_k, generator)
            out.append(nxt)
            if i + 1 < length:
                logits, state = step(nxt.unsqueeze(1), state)
    ids = torch.stack(out, dim=1) if out else x.new_zeros((x.shape[0], 0))
    return ids.squeeze(0) if squeeze else ids


class _EvalMode:
    """Context manager: put a module in eval mode (no dropout) and restore its previous mode afterwards."""

    def __init__(self, module: nn.Module) -> None:
        self.module, self.was_training = module, module.training

    def __enter__(self) -> None:
        self.module.eval()

    def __exit__(self, *exc) -> None:
        self.module.train(self.was_training)


class BengioLM(nn.Module):
    """Feed-forward n-gram language model of Bengio et al. (2003), deck 000, Part 1.

    With the window ``x = [C(w_{t-n+1}); ...; C(w_{t-1})]`` of the ``n - 1`` previous embeddings (each ``E``
    wide, concatenated to ``(n-1)E``), the paper's output is ``y = b + W x + U tanh(d + H x)`` and
    ``P(w_t | context) = softmax(y)``. ``W`` holds the optional *direct connections* from the input
    to the output (``direct=True``); without them ``y = b + U tanh(d + H x)``.
    """

    def __init__(self, vocab_size: int, context_size: int, embed_dim: int, hidden_dim: int,
                 direct: bool = False) -> None:
        super().__init__()
        self.vocab_size, self.context_size = vocab_size, context_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)                  # C: (V, E)
        self.hidden = nn.Linear(context_size * embed_dim, hidden_dim)         # H, d
        self.output = nn.Linear(hidden_dim, vocab_size)                       # U, b
        self.direct = nn.Linear(context_size * embed_dim, vocab_size, bias=False) if direct else None  # W

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        """context: (N, n-1) ids, oldest first (``w_{t-n+1} ... w_{t-1}``). Returns logits (N, V) of ``w_t``."""
        _check_ids("context", context, 2, f"(N, n-1) = (N, {self.context_size})")
        if context.shape[1] != self.context_size:
            raise ValueError(f"context must have shape (N, n-1) = (N, {self.context_size}), "
                             f"got {tuple(context.shape)}")
        x = self.embedding(context).flatten(1)                                # (N, (n-1)E)
        y = self.output(torch.tanh(self.hidden(x)))                           # (N, V)
        return y + self.direct(x) if self.direct is not None else y

    @staticmethod
    def windows(ids: Sequence[int] | torch.Tensor, context_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Slide a window over a 1-D id stream (length L): contexts (L-n+1, n-1) and targets (L-n+1,)."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        ctx = ids.unfold(0, context_size, 1)[:-1]                             # (L - n + 1, n - 1)
        return ctx.contiguous(), ids[context_size:]


class RNNLM(nn.Module):
    """Recurrent language model (deck 000, Part 2; Mikolov et al., 2010): embed -> RNN -> linear.

    ``e_t = E[x_t]``, ``h_t = RNN(e_t, h_{t-1})`` with an Elman (``rnn_tanh`` / ``rnn_relu``), LSTM or GRU
    cell (``num_layers`` stacked, dropout between layers and on embeddings / outputs), and
    ``P(x_{t+1} | x_{<=t}) = softmax(V h_t + b)``. ``tie_weights=True`` shares the output matrix with the
    embedding (Press & Wolf, 2017; Inan et al., 2017), which needs ``embed_dim == hidden_dim``.
    """

    CELLS = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, cell: str = "lstm",
                 num_layers: int = 1, dropout: float = 0.0, tie_weights: bool = False) -> None:
        super().__init__()
        if cell not in self.CELLS:
            raise ValueError(f"cell must be one of {sorted(self.CELLS)}, got {cell!r}")
        if tie_weights and embed_dim != hidden_dim:
            raise ValueError(f"tie_weights needs embed_dim == hidden_dim, got {embed_dim} != {hidden_dim}")
        self.vocab_size, self.embed_dim, self.hidden_dim = vocab_size, embed_dim, hidden_dim
        self.cell, self.num_layers = cell, num_layers
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.drop = nn.Dropout(dropout)
        kwargs = {"nonlinearity": cell[4:]} if cell.startswith("rnn_") else {}
        self.rnn = self.CELLS[cell](embed_dim, hidden_dim, num_layers, batch_first=True,
                                    dropout=dropout if num_layers > 1 else 0.0, **kwargs)
        self.decoder = nn.Linear(hidden_dim, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    def init_state(self, batch_size: int) -> State:
        """Zero initial state: (L, N, H), or the pair ``(h0, c0)`` of them for the LSTM."""
        p = self.decoder.weight
        h = torch.zeros(self.num_layers, batch_size, self.hidden_dim, dtype=p.dtype, device=p.device)
        return (h, h.clone()) if self.cell == "lstm" else h

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """x: (N, T) ids; state: ``None`` (zeros) or as :meth:`init_state`.

        Returns logits (N, T, V) — row ``t`` scores the id at ``t + 1`` — and the final state.
        """
        _check_ids("x", x, 2, "(N, T)")
        out, state = self.rnn(self.drop(self.embedding(x)), state)          # (N, T, H)
        return self.decoder(self.drop(out)), state

    def sample(self, start: Sequence[int] | torch.Tensor, length: int, temperature: float = 1.0,
               top_k: int | None = None, generator: torch.Generator | None = None,
               state: State | None = None) -> torch.Tensor:
        """Generate ``length`` ids after the prompt ``start`` ((T0,) or (N, T0)); see :func:`generate`.

        Runs in eval mode without gradients (dropout off) and restores the previous mode.
        Returns (length,) or (N, length) long.
        """
        with _EvalMode(self):
            return generate(self, start, length, temperature=temperature, top_k=top_k,
                            generator=generator, state=state)


class TBPTTLoss:
    """``loss_fn`` for language-model batches ``(x, y)``, both (N, T) ids, with truncated BPTT.

    The final state of batch k, detached, is the initial state of batch k+1 (deck 000, Part 2: start each segment
    from the previous segment's last hidden state, back-propagate only inside the segment; Williams & Peng, 1990).
    :func:`course_lib.training.train` calls :meth:`reset` at the start of every epoch and of validation. Works
    for any ``model(x, state) -> (logits (N, T, V), state, ...)``, e.g. ``RNNLM`` and ``MLSTMLM``.
    """

    def __init__(self) -> None:
        self.state = None

    def reset(self) -> None:
        """Forget the carried state (the next batch starts from zeros)."""
        self.state = None

    def __call__(self, model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        logits, state = model(x, self.state)[:2]
        self.state = detach_state(state)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def tbptt_batches(ids: torch.Tensor, batch_size: int, seq_len: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cut a 1-D id stream into N = ``batch_size`` parallel streams and consecutive (x, y) windows.

    ids: (L,). Row n of batch k continues row n of batch k-1, which is what makes carrying the state correct.
    Returns a list of ``(x, y)``, each (N, <= seq_len), with ``y`` the ids shifted by one.
    """
    ids, width = torch.as_tensor(ids, dtype=torch.long), (len(ids) - 1) // batch_size
    x = ids[: batch_size * width].view(batch_size, width)
    y = ids[1 : batch_size * width + 1].view(batch_size, width)
    return [(x[:, i : i + seq_len], y[:, i : i + seq_len]) for i in range(0, width, seq_len)]
