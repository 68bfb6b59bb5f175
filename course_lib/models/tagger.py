"""BiLSTM sequence taggers: per-token softmax (BiLSTMTagger) and BiLSTM-CRF (BiLSTMCRF).

Deck 000, Part 4 (LSTMs for sequence labelling) and deck 001 ("Bi-LSTM CRF"). Both models share one encoder:

    word embedding (+ optional character-level word features) -> dropout -> bidirectional LSTM
    -> dropout -> linear layer -> emissions (N, T, K)

* :class:`BiLSTMTagger` turns the emissions into an independent softmax per token (the transducer of
  deck 001); the loss is the cross-entropy averaged over the real (unmasked) tokens; ``predict`` takes the
  argmax per token.
* :class:`BiLSTMCRF` feeds the emissions into our linear-chain :class:`~course_lib.models.crf.CRF`
  (Huang et al. 2015; Lample et al. 2016); the loss is the negative log-likelihood averaged over the
  sentences; ``predict`` is Viterbi decoding.

Character features (optional, ``char_vocab_size`` given) compose a vector for each word from its characters,
so that unseen words still get a useful representation: ``char_mode="lstm"`` concatenates the final states of
a character BiLSTM (Lample et al. 2016; Ling et al. 2015), ``char_mode="cnn"`` max-pools a character
convolution (Ma & Hovy 2016 use window 3 and 30 filters).

Shapes: ``words (N, T)`` long, ``mask (N, T)`` bool, left-aligned (``mask[:, 0]`` all True);
``chars (N, T, C)`` long with ``0`` as the character padding index; ``tags (N, T)`` long. Padded positions
never influence a real token: the BiLSTM runs on packed sequences, so neither direction reads past the end of
a sentence.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.models.crf import CRF


def _check_batch(words: torch.Tensor, mask: torch.Tensor, chars: torch.Tensor | None, tags=None):
    if words.dim() != 2:
        raise ValueError(f"words must have shape (N, T), got {tuple(words.shape)}")
    if tuple(mask.shape) != tuple(words.shape):
        raise ValueError(f"mask must have shape (N, T) = {tuple(words.shape)}, got {tuple(mask.shape)}")
    if tags is not None and tuple(tags.shape) != tuple(words.shape):
        raise ValueError(f"tags must have shape (N, T) = {tuple(words.shape)}, got {tuple(tags.shape)}")
    if chars is not None and (chars.dim() != 3 or tuple(chars.shape[:2]) != tuple(words.shape)):
        raise ValueError(f"chars must have shape (N, T, C) with (N, T) = {tuple(words.shape)}, "
                         f"got {tuple(chars.shape)}")
    mask = mask.bool()
    if not bool(mask[:, 0].all()):
        raise ValueError("mask[:, 0] must be all True (every sentence needs at least one token)")
    if bool((mask[:, 1:] > mask[:, :-1]).any()):                             # a True after a False
        raise ValueError("mask must be contiguous: each row True for its first L_n positions, then False")
    return mask


class CharEncoder(nn.Module):
    """A vector per word from its characters. chars: (N, T, C) long (0 = padding) -> (N, T, out_dim).

    ``mode="lstm"``: final forward and backward states of a character BiLSTM, concatenated
    (out_dim = 2 * hidden_size). ``mode="cnn"``: convolution of width ``kernel_size`` with ``hidden_size``
    filters over the character embeddings, max-pooled over the word (out_dim = hidden_size).
    Words with no characters (padding tokens) get a zero vector.
    """

    def __init__(self, char_vocab_size: int, embedding_dim: int = 25, hidden_size: int = 25,
                 mode: str = "lstm", kernel_size: int = 3) -> None:
        super().__init__()
        if mode not in ("lstm", "cnn"):
            raise ValueError(f"char mode must be 'lstm' or 'cnn', got {mode!r}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"char kernel_size must be odd (same-length convolution), got {kernel_size}")
        self.mode = mode
        self.embedding = nn.Embedding(char_vocab_size, embedding_dim, padding_idx=0)
        if mode == "lstm":
            self.rnn = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
            self.out_dim = 2 * hidden_size
        else:
            self.conv = nn.Conv1d(embedding_dim, hidden_size, kernel_size, padding=kernel_size // 2)
            self.out_dim = hidden_size

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        N, T, C = chars.shape
        flat = chars.reshape(N * T, C)
        n_chars = (flat != 0).sum(dim=1)                                        # (N*T,)
        emb = self.embedding(flat)                                              # (N*T, C, E)
        if self.mode == "lstm":
            packed = pack_padded_sequence(emb, n_chars.clamp(min=1).cpu(), batch_first=True,
                                          enforce_sorted=False)
            _, (h, _) = self.rnn(packed)                                        # h: (2, N*T, H)
            out = torch.cat([h[0], h[1]], dim=1)
        else:
            feats = self.conv(emb.transpose(1, 2))                              # (N*T, H, C)
            feats = feats.masked_fill((flat == 0).unsqueeze(1), float("-inf"))
            out = feats.max(dim=2).values
        out = out.masked_fill((n_chars == 0).unsqueeze(1), 0.0)
        return out.reshape(N, T, -1)


class BiLSTMEncoder(nn.Module):
    """Words (and characters) -> emissions. forward(words (N, T), mask (N, T), chars (N, T, C) | None)
    -> (N, T, num_tags). The LSTM has ``hidden_size`` units per direction. ``chars`` is required when
    ``char_vocab_size`` was given and ignored otherwise (so one training loop can always pass it)."""

    def __init__(self, vocab_size: int, num_tags: int, embedding_dim: int = 100, hidden_size: int = 100,
                 num_layers: int = 1, dropout: float = 0.5, padding_idx: int = 0,
                 char_vocab_size: int | None = None, char_embedding_dim: int = 25, char_hidden_size: int = 25,
                 char_mode: str = "lstm", char_kernel_size: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.char_encoder = None
        in_dim = embedding_dim
        if char_vocab_size is not None:
            self.char_encoder = CharEncoder(char_vocab_size, char_embedding_dim, char_hidden_size,
                                            char_mode, char_kernel_size)
            in_dim += self.char_encoder.out_dim
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(in_dim, hidden_size, num_layers=num_layers, batch_first=True, bidirectional=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.hidden2tag = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, words: torch.Tensor, mask: torch.Tensor, chars: torch.Tensor | None = None):
        mask = _check_batch(words, mask, chars)
        x = self.embedding(words)                                               # (N, T, E)
        if self.char_encoder is not None:
            if chars is None:
                raise ValueError("this model uses character features: pass chars of shape (N, T, C)")
            x = torch.cat([x, self.char_encoder(chars)], dim=2)
        lengths = mask.sum(dim=1).cpu()
        packed = pack_padded_sequence(self.dropout(x), lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(h, batch_first=True, total_length=words.shape[1])   # (N, T, 2H), 0 on pads
        return self.hidden2tag(self.dropout(h))


class BiLSTMTagger(nn.Module):
    """BiLSTM with an independent softmax per token (deck 000, Part 4; deck 001, transducer).

    Arguments as in :class:`BiLSTMEncoder`: ``vocab_size, num_tags, embedding_dim=100, hidden_size=100,
    num_layers=1, dropout=0.5, padding_idx=0, char_vocab_size=None, char_embedding_dim=25,
    char_hidden_size=25, char_mode="lstm", char_kernel_size=3``.
    """

    def __init__(self, vocab_size: int, num_tags: int, **kwargs) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.encoder = BiLSTMEncoder(vocab_size, num_tags, **kwargs)

    def forward(self, words, mask, chars=None) -> torch.Tensor:
        """Emission scores (logits) (N, T, K)."""
        return self.encoder(words, mask, chars)

    def loss(self, words, tags, mask, chars=None) -> torch.Tensor:
        """Cross-entropy averaged over the real tokens (scalar). tags: (N, T) long; padded tags ignored."""
        mask = _check_batch(words, mask, chars, tags)
        logits = self(words, mask, chars)
        return F.cross_entropy(logits[mask], tags[mask])

    @torch.no_grad()
    def predict(self, words, mask, chars=None) -> list[list[int]]:
        """Most probable tag of every real token: a list of N lists, list n of length L_n."""
        mask = _check_batch(words, mask, chars)
        best = self(words, mask, chars).argmax(dim=2)
        return [row[:n] for row, n in zip(best.tolist(), mask.sum(1).tolist(), strict=True)]


class BiLSTMCRF(nn.Module):
    """BiLSTM encoder + linear-chain CRF (Huang et al. 2015; Lample et al. 2016; Ma & Hovy 2016).

    Arguments as in :class:`BiLSTMTagger`. ``self.crf`` is a :class:`~course_lib.models.crf.CRF`.
    """

    def __init__(self, vocab_size: int, num_tags: int, **kwargs) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.encoder = BiLSTMEncoder(vocab_size, num_tags, **kwargs)
        self.crf = CRF(num_tags)

    def forward(self, words, mask, chars=None) -> torch.Tensor:
        """Emission scores (N, T, K) for the CRF."""
        return self.encoder(words, mask, chars)

    def loss(self, words, tags, mask, chars=None) -> torch.Tensor:
        """Negative CRF log-likelihood averaged over the sentences (scalar). tags: (N, T) long."""
        mask = _check_batch(words, mask, chars, tags)
        return -self.crf(self(words, mask, chars), tags, mask, reduction="mean")

    @torch.no_grad()
    def predict(self, words, mask, chars=None) -> list[list[int]]:
        """Viterbi-best tag sequences: a list of N lists, list n of length L_n."""
        mask = _check_batch(words, mask, chars)
        return self.crf.decode(self(words, mask, chars), mask)
