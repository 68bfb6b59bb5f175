"""A minimal RNN encoder-decoder (Sutskever, Vinyals & Le 2014; Cho et al. 2014), for Lecture 3's "many to
many, unaligned" pattern, and the toy task it is shown on.

The encoder GRU reads the source ``x_{1:n}``; its final state ``h_n`` is the whole summary the decoder gets.
The decoder is a conditioned language model: its state starts at ``h_n`` and it predicts ``y_t`` from
``y_{<t}``. Trained with **teacher forcing** — the decoder reads the *gold* previous token ``y_{t-1}`` at every
step (``<s>`` first), so all steps are trained at once — and used **free-running**: at test time it reads its
own previous prediction (:meth:`Seq2Seq.greedy`), so an early mistake can derail the rest ("exposure bias").

Shapes: N batch, S source length, T target length, V vocabulary (the start symbol ``bos`` is an extra id).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Seq2Seq", "reversal_batch"]


def reversal_batch(n: int, length: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random sequences of ``length`` symbols in ``[0, vocab)`` and their reversals: ``(src, tgt)``,
    each (n, length) long. Reversal needs the whole input before the first output: a job for an encoder-decoder,
    not for a transducer that must answer at every position as it reads."""
    src = torch.randint(0, vocab, (n, length), generator=generator)
    return src, src.flip(1)


class Seq2Seq(nn.Module):
    """GRU encoder -> final state -> GRU decoder with a softmax over the ``vocab`` target symbols.

    ``forward(src, tgt) -> logits (N, T, V)`` with teacher forcing (decoder input ``[<s>, y_1 .. y_{T-1}]``);
    :meth:`loss` is the mean cross-entropy; :meth:`greedy` decodes free-running.
    """

    def __init__(self, vocab: int, embed_dim: int = 32, hidden_dim: int = 128) -> None:
        super().__init__()
        self.vocab, self.bos = vocab, vocab                 # <s> is one id past the symbols
        self.src_embed = nn.Embedding(vocab, embed_dim)
        self.tgt_embed = nn.Embedding(vocab + 1, embed_dim)
        self.encoder = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.decoder = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, vocab)

    def _check(self, name: str, ids: torch.Tensor) -> None:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"{name} must be (N, length) long ids, got {tuple(ids.shape)} {ids.dtype}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.vocab):
            raise ValueError(f"{name} ids must be in [0, {self.vocab})")

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """The summary of each source sequence: the encoder's final state, (1, N, H)."""
        self._check("src", src)
        return self.encoder(self.src_embed(src))[1]

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        self._check("tgt", tgt)
        start = torch.full((tgt.shape[0], 1), self.bos, dtype=torch.long)
        dec_in = torch.cat([start, tgt[:, :-1]], dim=1)     # teacher forcing: the gold previous token
        h, _ = self.decoder(self.tgt_embed(dec_in), self.encode(src))
        return self.out(h)

    def loss(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        logits = self(src, tgt)
        return F.cross_entropy(logits.reshape(-1, self.vocab), tgt.reshape(-1))

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, length: int) -> torch.Tensor:
        """Free-running decoding: each step reads the previous step's argmax; returns (N, length) ids."""
        state = self.encode(src)
        tok = torch.full((src.shape[0], 1), self.bos, dtype=torch.long)
        out = []
        for _ in range(length):
            h, state = self.decoder(self.tgt_embed(tok), state)
            tok = self.out(h).argmax(-1)
            out.append(tok)
        return torch.cat(out, dim=1)
