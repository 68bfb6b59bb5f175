"""Subject-verb agreement as number prediction (Linzen, Dupoux & Goldberg 2016; deck 000 Part 2, "Effect of
vanishing gradient on RNN language model"; lecture 4).

An item (:func:`course_lib.data.load_agreement`) is a sentence prefix up to its main verb, e.g.
``the keys to the cabinet`` -> ``are``. The model reads the prefix left to right and predicts the *number* of the
verb, singular (0) or plural (1), from its state after the last word: an RNN acceptor (deck 001). Nouns between
the subject and the verb whose number differs from the subject's are *attractors*; they separate two rules
that agree on sentences without attractors:

* **syntactic recency** -- agree with the head of the subject (the correct rule);
* **sequential recency** -- agree with the most recent noun (:func:`recency_baseline`), right on every sentence
  without attractors and wrong whenever the last noun is one.

Shapes: N items, T = the longest prefix. Ids are ``0`` for padding, ``1..V-1`` for words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from course_lib.data.synthetic import NOUNS
from course_lib.training import train

__all__ = [
    "CELLS", "NOUN_NUMBER", "NumberPredictor", "accuracy_by_attractors", "build_vocab", "encode", "predict",
    "recency_baseline", "train_number_predictor",
]

NOUN_NUMBER = {**{sg: 0 for sg, _ in NOUNS}, **{pl: 1 for _, pl in NOUNS}}  # word -> 0 singular, 1 plural
CELLS = {"lstm": nn.LSTM, "rnn_tanh": nn.RNN, "gru": nn.GRU}


def build_vocab(items: Sequence[dict]) -> dict[str, int]:
    """``{word: id}`` over the prefixes of ``items``, ids 1..V-1 in sorted order (0 is padding)."""
    words = sorted({w for x in items for w in x["prefix"]})
    return {w: i + 1 for i, w in enumerate(words)}


def encode(items: Sequence[dict], stoi: dict[str, int]) -> dict[str, torch.Tensor]:
    """Pad the prefixes of ``items`` into a batch.

    Returns ``ids`` (N, T) long (0 after each prefix), ``lengths`` (N,) long, ``labels`` (N,) long (1 = plural
    verb) and ``attractors`` (N,) long. A word missing from ``stoi`` raises ``ValueError``.
    """
    if not items:
        raise ValueError("items must not be empty")
    missing = sorted({w for x in items for w in x["prefix"] if w not in stoi})
    if missing:
        raise ValueError(f"words not in the vocabulary: {missing[:5]}")
    T = max(len(x["prefix"]) for x in items)
    ids = torch.zeros(len(items), T, dtype=torch.long)
    for n, x in enumerate(items):
        ids[n, : len(x["prefix"])] = torch.tensor([stoi[w] for w in x["prefix"]])
    return {"ids": ids, "lengths": torch.tensor([len(x["prefix"]) for x in items]),
            "labels": torch.tensor([int(x["number"] == "pl") for x in items]),
            "attractors": torch.tensor([x["attractors"] for x in items])}


def recency_baseline(items: Sequence[dict]) -> np.ndarray:
    """Sequential recency: the number of the *last* noun of each prefix, (N,) int (1 = plural)."""
    out = []
    for x in items:
        nouns = [NOUN_NUMBER[w] for w in x["prefix"] if w in NOUN_NUMBER]
        if not nouns:
            raise ValueError(f"prefix without a noun: {' '.join(x['prefix'])!r}")
        out.append(nouns[-1])
    return np.array(out, dtype=np.int64)


def accuracy_by_attractors(correct, attractors, max_attractors: int = 3) -> np.ndarray:
    """Accuracy for each number of attractors: correct (N,) bool, attractors (N,) int -> (max_attractors + 1,).

    Entry k is the mean of ``correct`` over the items with k attractors (NaN when there are none).
    """
    correct, attractors = np.asarray(correct, dtype=float), np.asarray(attractors)
    if correct.shape != attractors.shape or correct.ndim != 1:
        raise ValueError(f"correct and attractors must both be (N,), got {correct.shape} and {attractors.shape}")
    return np.array([correct[attractors == k].mean() if (attractors == k).any() else np.nan
                     for k in range(max_attractors + 1)])


class NumberPredictor(nn.Module):
    """Embedding -> one-layer recurrent cell -> linear layer on the state after the last real word.

    cell: ``"lstm"``, ``"gru"`` or ``"rnn_tanh"`` (the Elman network). ``forward(ids (N, T), lengths (N,))``
    returns logits (N, 2) for (singular, plural). Padding comes after each prefix, so it never reaches the state
    that is read.
    """

    def __init__(self, vocab_size: int, cell: str = "lstm", embed_dim: int = 16, hidden_dim: int = 32) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = CELLS[cell](embed_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(self.embedding(ids))                    # (N, T, H)
        last = states[torch.arange(len(ids)), lengths - 1]            # (N, H): after each prefix's last word
        return self.out(last)


def train_number_predictor(cell: str, data: dict[str, torch.Tensor], vocab_size: int, *, seed: int = 0,
                           epochs: int = 30, batch_size: int = 32, lr: float = 3e-3, clip_norm: float = 5.0,
                           embed_dim: int = 16, hidden_dim: int = 32) -> tuple[NumberPredictor, list[dict]]:
    """Train a :class:`NumberPredictor` with Adam and cross-entropy on an :func:`encode` batch.

    Mini-batches are reshuffled every epoch from a generator seeded by ``(seed, epoch)``, and the weights are
    initialised after ``torch.manual_seed(seed)``: the same arguments give the same model. Returns
    ``(model in eval mode, history of course_lib.training.train)``.
    """
    torch.manual_seed(seed)
    model = NumberPredictor(vocab_size, cell, embed_dim, hidden_dim)
    n = len(data["ids"])

    def batches(epoch: int):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(1000 * seed + epoch))
        return [(data["ids"][b], data["lengths"][b], data["labels"][b]) for b in perm.split(batch_size)]

    def loss_fn(m, batch):
        ids, lengths, labels = batch
        return nn.functional.cross_entropy(m(ids, lengths), labels)

    history = train(model, batches, loss_fn=loss_fn, optimizer=torch.optim.Adam(model.parameters(), lr=lr),
                    epochs=epochs, clip_norm=clip_norm, progress=False)
    model.eval()
    return model, history


@torch.no_grad()
def predict(model: NumberPredictor, data: dict[str, torch.Tensor]) -> np.ndarray:
    """Predicted numbers (N,) int (1 = plural) for an :func:`encode` batch."""
    model.eval()
    return model(data["ids"], data["lengths"]).argmax(1).numpy()
