"""The trained checkpoints the course ships in ``data/checkpoints/``, and the one function that loads them.

    from course_lib.checkpoints import load_shipped
    model, info = load_shipped("char_lstm_shakespeare")     # RNNLM(cell="lstm") in eval mode, float32
    ids = info.encode("ROMEO:")                             # (T,) long
    print(info.decode(model.sample(ids, 200, temperature=0.8)))

Shipped files are small: weights are stored in float16 (halving the size; the loader casts them back to
float32) and the optimizer state is dropped. Next to each ``<name>.pt`` lies ``<name>.json``: the exact
command, seed, data, wall and CPU time, and the metrics that reproduce it (``python -m course_lib.train``);
``byte_lm_imdb`` also has ``sentiment_unit.json`` (the unit found by :mod:`course_lib.train.sentiment`).
The word-level sentiment LM (``word_lm_imdb.pt`` with ``sentiment_word_unit.json``) is an LSTM with an adaptive
softmax rather than an ``RNNLM``; it loads with :func:`course_lib.train.sentiment_words.load_word_lm`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from course_lib.data import Vocabulary, byte_detokenize, byte_tokenize
from course_lib.models.language_models import RNNLM

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "data" / "checkpoints"
FORMAT = "course_lib.shipped/1"
SHIPPED = {
    "char_lstm_shakespeare": "character LSTM LM on Tiny Shakespeare (train: first 90%)",
    "byte_lm_imdb": "byte-level LSTM LM on IMDB train reviews, with its sentiment unit",
}


@dataclass
class ShippedInfo:
    """What comes with a shipped model: how to turn text into ids and back, and its records.

    tokenizer: ``"char"`` (ids from ``vocab``) or ``"byte"`` (UTF-8 bytes, ids 0..255, ``vocab`` is None).
    meta: the training record saved in the checkpoint; records: the JSON files beside it, by file stem.
    """

    name: str
    tokenizer: str
    vocab: Vocabulary | None
    meta: dict
    records: dict = field(default_factory=dict)

    def encode(self, text: str) -> torch.Tensor:
        """Text -> ids, (T,) long."""
        ids = byte_tokenize(text) if self.tokenizer == "byte" else self.vocab.encode(list(text)).tolist()
        return torch.tensor(ids, dtype=torch.long)

    def decode(self, ids) -> str:
        """Ids (any 1-D sequence) -> text."""
        ids = [int(i) for i in torch.as_tensor(ids).reshape(-1)]
        return byte_detokenize(ids) if self.tokenizer == "byte" else "".join(self.vocab.decode(ids))


def export_model(path: str | os.PathLike, model: RNNLM, tokenizer: str, vocab: Vocabulary | None,
                 meta: dict) -> Path:
    """Write a shipped checkpoint: ``RNNLM`` constructor arguments, float16 weights, tokenizer, vocab, meta."""
    config = {"vocab_size": model.vocab_size, "embed_dim": model.embed_dim, "hidden_dim": model.hidden_dim,
              "cell": model.cell, "num_layers": model.num_layers, "dropout": float(model.drop.p),
              "tie_weights": model.decoder.weight is model.embedding.weight}
    state = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "kind": "RNNLM", "config": config, "state_dict": state, "tokenizer": tokenizer,
               "vocab": None if vocab is None else vocab.to_dict(), "meta": meta}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def load_model(path: str | os.PathLike) -> tuple[RNNLM, ShippedInfo]:
    """Load any :func:`export_model` file: a float32 ``RNNLM`` in eval mode and its :class:`ShippedInfo`."""
    path = Path(path)
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a shipped checkpoint (format {payload.get('format')!r}, want {FORMAT!r})")
    model = RNNLM(**payload["config"])
    model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()})
    model.eval()
    vocab = None if payload["vocab"] is None else Vocabulary.from_dict(payload["vocab"])
    records = {p.stem: json.loads(p.read_text()) for p in sorted(path.parent.glob("*.json"))
               if p.stem == path.stem or p.stem in payload["meta"].get("records", [])}
    return model, ShippedInfo(path.stem, payload["tokenizer"], vocab, payload["meta"], records)


def load_shipped(name: str, directory: str | os.PathLike | None = None) -> tuple[RNNLM, ShippedInfo]:
    """Load a checkpoint shipped in ``data/checkpoints/`` by name (see :data:`SHIPPED`).

    Returns ``(model, info)``: ``model`` an :class:`~course_lib.models.language_models.RNNLM` (LSTM cell) in eval
    mode with float32 weights; ``info`` a :class:`ShippedInfo` with ``encode``/``decode``, the vocabulary, the
    training record (``info.records[name]``) and, for ``byte_lm_imdb``, ``info.records["sentiment_unit"]``.
    """
    if name not in SHIPPED:
        raise ValueError(f"unknown checkpoint {name!r}; shipped: {sorted(SHIPPED)}")
    path = Path(directory or CHECKPOINT_DIR) / f"{name}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: train it with `python -m course_lib.train` (see "
                                f"data/checkpoints/README.md)")
    return load_model(path)
