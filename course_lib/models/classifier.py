"""The LSTM acceptor: read a whole sequence, classify it (deck 001 "RNN usage-patterns: Acceptor"; deck 000, Part 5).

``p(label | w_{1:n}) = softmax(MLP(RNN(x_{1:n})))`` with ``x_i = E[w_i]`` (Goldberg's primer, eq. 5 of deck 001).
Padded batches are read with ``pack_padded_sequence``, so the padding never enters the recurrence and the
"final state" is the state after each sequence's own last real token. Besides the final state the summary can
be the mean or max over the real time steps. :meth:`LSTMClassifier.load_pretrained_lm` initialises the
embedding and the LSTM from a trained :class:`~course_lib.models.language_models.RNNLM` — the LM-LSTM
pretraining of Dai & Le (2015, "Semi-supervised Sequence Learning", deck 000, Part 5).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.models.language_models import RNNLM, _check_ids


class LSTMClassifier(nn.Module):
    """Embedding -> (Bi)LSTM -> pooled summary -> MLP -> class logits.

    pooling: ``"last"`` (final state; for a BiLSTM the forward state after the last real token concatenated
    with the backward state after the first token), ``"mean"`` or ``"max"`` over the real time steps.
    mlp_hidden: width of one tanh hidden layer of the MLP, or ``None`` for a single linear layer.
    """

    POOLINGS = ("last", "mean", "max")

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, num_classes: int,
                 num_layers: int = 1, bidirectional: bool = False, pooling: str = "last",
                 mlp_hidden: int | None = None, dropout: float = 0.0, padding_idx: int | None = 0) -> None:
        super().__init__()
        if pooling not in self.POOLINGS:
            raise ValueError(f"pooling must be one of {self.POOLINGS}, got {pooling!r}")
        self.vocab_size, self.embed_dim, self.hidden_dim = vocab_size, embed_dim, hidden_dim
        self.num_layers, self.bidirectional, self.pooling = num_layers, bidirectional, pooling
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers, batch_first=True, bidirectional=bidirectional,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        d = hidden_dim * (2 if bidirectional else 1)
        if mlp_hidden is None:
            self.mlp = nn.Linear(d, num_classes)
        else:
            self.mlp = nn.Sequential(nn.Linear(d, mlp_hidden), nn.Tanh(), nn.Dropout(dropout),
                                     nn.Linear(mlp_hidden, num_classes))

    def encode(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Summary vector of each sequence. x: (N, T) ids, padded at the end; lengths: (N,) in ``[1, T]``
        (``None``: every row is ``T`` long; from a 0/1 mask use ``mask.sum(1)``). Returns (N, D*H), D = 1 or 2.
        """
        _check_ids("x", x, 2, "(N, T)")
        n, t = x.shape
        if lengths is None:
            lengths = torch.full((n,), t, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if lengths.shape != (n,) or (lengths < 1).any() or (lengths > t).any():
            raise ValueError(f"lengths must have shape (N,) = ({n},) with values in [1, T={t}], got {lengths}")
        packed = pack_padded_sequence(self.drop(self.embedding(x)), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)                                     # h_n: (L*D, N, H)
        if self.pooling == "last":
            d = 2 if self.bidirectional else 1
            return torch.cat(list(h_n[-d:]), dim=1)                            # (N, D*H)
        out, _ = pad_packed_sequence(out, batch_first=True)                   # (N, max(lengths), D*H)
        mask = torch.arange(out.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)  # (N, T')
        mask = mask.unsqueeze(2).to(out.device)
        if self.pooling == "mean":
            return (out * mask).sum(1) / lengths.to(out).unsqueeze(1)
        return out.masked_fill(~mask, float("-inf")).amax(dim=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x: (N, T) ids; lengths: (N,) or ``None``. Returns class logits (N, C)."""
        return self.mlp(self.drop(self.encode(x, lengths)))

    @torch.no_grad()
    def load_pretrained_lm(self, lm: RNNLM, freeze: bool = False) -> list[str]:
        """Copy the embedding and LSTM weights of a trained LSTM language model (Dai & Le, 2015).

        ``lm`` must be an LSTM :class:`RNNLM` with the same vocabulary size, ``embed_dim``, ``hidden_dim`` and
        ``num_layers``; otherwise ``ValueError``. For a BiLSTM (one layer only: a second BiLSTM layer reads 2H
        inputs, the LM's H) only the forward direction is copied, since the LM read left to right; the backward
        direction and the MLP keep their random initialisation.
        freeze: also set ``requires_grad=False`` on the copied tensors (feature extraction instead of
        fine-tuning). Returns the names of the copied parameters.
        """
        if not isinstance(lm, RNNLM) or lm.cell != "lstm":
            raise ValueError("load_pretrained_lm needs an RNNLM with cell='lstm'")
        mine = (self.vocab_size, self.embed_dim, self.hidden_dim, self.num_layers)
        theirs = (lm.vocab_size, lm.embed_dim, lm.hidden_dim, lm.num_layers)
        if mine != theirs:
            raise ValueError(f"(vocab_size, embed_dim, hidden_dim, num_layers) differ: classifier {mine}, "
                             f"LM {theirs}")
        if self.bidirectional and self.num_layers > 1:
            raise ValueError("a stacked BiLSTM cannot take LM weights: its upper layers read 2*hidden_dim inputs")
        copied = []
        pairs = [("embedding.weight", self.embedding.weight, lm.embedding.weight)]
        pairs += [(f"lstm.{k}", getattr(self.lstm, k), v) for k, v in lm.rnn.named_parameters()]
        for name, dst, src in pairs:
            dst.copy_(src)
            dst.requires_grad_(not freeze)
            copied.append(name)
        return copied
