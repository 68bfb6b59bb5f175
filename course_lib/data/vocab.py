"""Tokenisers and the :class:`Vocabulary` that maps tokens to the integer ids an RNN embeds.

The lecture's language model (part 1) predicts :math:`\\mathbf{x}^{(t+1)}` over a vocabulary
:math:`V = \\{\\mathbf{w}_1, \\dots, \\mathbf{w}_{|V|}\\}`; here ``V`` is built from training counts, with two
reserved ids: ``<pad>`` = 0 (masked out of every loss, see :func:`course_lib.data.batching.pad_batch`) and
``<unk>`` = 1 (every token below ``min_count`` or beyond ``max_size``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def char_tokenize(text: str) -> list[str]:
    """Characters (Unicode code points), as in char-rnn / min-char-rnn."""
    return list(text)


def byte_tokenize(text: str) -> list[int]:
    """UTF-8 bytes, ids 0..255: a closed vocabulary that never needs ``<unk>`` (the sentiment neuron's input)."""
    return list(text.encode("utf-8"))


def byte_detokenize(ids: Iterable[int]) -> str:
    """Inverse of :func:`byte_tokenize` (undecodable byte runs become U+FFFD)."""
    return bytes(int(i) for i in ids).decode("utf-8", errors="replace")


def word_tokenize(text: str, lower: bool = False) -> list[str]:
    """Words and single punctuation marks: ``"Don't stop!" -> ["Don't", "stop", "!"]``."""
    return _WORD.findall(text.lower() if lower else text)


class Vocabulary:
    """Token <-> id map. ``itos[i]`` is the token of id ``i``; ``stoi`` the inverse.

    The specials come first (default ``("<pad>", "<unk>")``, so ``<pad>`` = 0 and ``<unk>`` = 1), then the
    tokens. Without ``<unk>`` among the specials (e.g. a tag vocabulary), encoding an unknown token raises.
    """

    def __init__(self, tokens: Iterable[str] = (), specials: Sequence[str] = (PAD, UNK)):
        self.itos: list[str] = []
        self.stoi: dict[str, int] = {}
        for tok in list(specials) + list(tokens):
            if tok in self.stoi:
                raise ValueError(f"duplicate token {tok!r} in vocabulary")
            self.stoi[tok] = len(self.itos)
            self.itos.append(tok)
        self.specials = tuple(specials)
        self.counts: Counter[str] = Counter()  # training counts, filled by build()

    @classmethod
    def build(cls, corpus: Iterable[Iterable[str]], min_count: int = 1, max_size: int | None = None,
              specials: Sequence[str] = (PAD, UNK)) -> Vocabulary:
        """Count tokens over ``corpus`` (an iterable of token sequences) and keep the frequent ones.

        Kept: tokens with count >= ``min_count``, most frequent first (ties in first-seen order), at most
        ``max_size`` entries *including* the specials. Everything else will encode as ``<unk>``.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"max_size must be >= {len(specials)} (the specials), got {max_size}")
        counts: Counter[str] = Counter()
        for seq in corpus:
            counts.update(seq)
        ranked = [t for t, c in counts.most_common() if c >= min_count and t not in specials]
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        vocab = cls(ranked, specials)
        vocab.counts = counts
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.itos[:6])
        return f"Vocabulary(size={len(self)}, [{head}{', ...' if len(self) > 6 else ''}])"

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    @property
    def unk_id(self) -> int:
        return self.stoi[UNK]

    def index(self, token: str) -> int:
        """Id of ``token``; ``<unk>``'s id if unknown, KeyError if the vocabulary has no ``<unk>``."""
        i = self.stoi.get(token)
        if i is not None:
            return i
        if UNK in self.stoi:
            return self.stoi[UNK]
        raise KeyError(f"{token!r} is not in this vocabulary (which has no {UNK})")

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Tokens -> ids, shape ``(T,)`` int64."""
        return np.array([self.index(t) for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int], skip_pad: bool = True) -> list[str]:
        """Ids -> tokens (``<pad>`` dropped unless ``skip_pad=False``)."""
        pad = self.stoi.get(PAD)
        return [self.itos[int(i)] for i in ids if not (skip_pad and int(i) == pad)]

    def to_dict(self) -> dict:
        """JSON-able form, restored by :meth:`from_dict` (for saving next to a checkpoint)."""
        return {"specials": list(self.specials), "tokens": self.itos[len(self.specials):]}

    @classmethod
    def from_dict(cls, d: dict) -> Vocabulary:
        return cls(d["tokens"], d["specials"])
