"""Multiplicative LSTM (Krause et al., 2016) and the byte-level mLSTM language model of Radford et al. (2017).

Deck 000, Part 5, "Unsupervised Sentiment Neuron": Radford et al. trained a 4096-unit byte mLSTM as a language
model on Amazon reviews and found a single cell unit that tracks sentiment; fixing that unit while sampling
steers the sentiment of the generated review. The mLSTM ("Multiplicative LSTM for sequence modelling",
Krause et al., 2016) lets the input choose the recurrent transition: an intermediate state

    m_t = (W_mx x_t) ⊙ (W_mh h_{t-1})

replaces ``h_{t-1}`` in every gate of the LSTM,

    i_t = σ(W_ix x_t + W_im m_t + b_i)      f_t = σ(W_fx x_t + W_fm m_t + b_f)
    u_t = tanh(W_ux x_t + W_um m_t + b_u)   o_t = σ(W_ox x_t + W_om m_t + b_o)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ u_t         h_t = o_t ⊙ tanh(c_t)

(``u_t`` is the block input, torch's ``g``; gates are packed ``[i, f, u, o]`` like ``torch.nn.LSTM``.)
Weights are stored torch-style, ``(out, in)``, and multiply as ``x @ W.T``.

Speed: the input projections of all time steps are one matmul before the loop; each step then costs two
matmuls (``h W_mh^T`` and ``m W_m^T``). Radford et al. also used weight normalisation (Salimans & Kingma,
2016) on the mLSTM; it is omitted here to keep the cell readable, and :func:`mlstm_from_radford_params` folds
it into the weights when it loads their released model.

**Radford et al.'s released model** (``openai/generating-reviews-discovering-sentiment``, ``encoder.py``) differs
from this module only in layout, never in maths: TF weights are ``(in, out)`` (ours ``(out, in)``); the gates
are packed ``[i, f, o, u]`` (ours ``[i, f, u, o]``); each of ``wx, wh, wmx, wmh`` is weight-normalised per output
column, ``w = g ⊙ w / ||w||_col`` (``tf.nn.l2_normalize(w, dim=0) * g``); the embedding and the output layer
are plain. :func:`mlstm_from_radford_params` converts; the test compares it with a NumPy transcription of
``encoder.py``'s equations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from course_lib.models.language_models import _check_ids, _EvalMode, generate

MState = tuple[torch.Tensor, torch.Tensor]


class MLSTMCell(nn.Module):
    """One mLSTM step (Krause et al., 2016, eqs. above) with fused input projections.

    Parameters: ``weight_mx`` (H, D), ``weight_mh`` (H, H), ``weight_x`` (4H, D), ``weight_m`` (4H, H),
    ``bias`` (4H,). All are initialised U(-1/sqrt(H), 1/sqrt(H)) like ``torch.nn.LSTM``.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        d, h = input_size, hidden_size
        self.weight_mx = nn.Parameter(torch.empty(h, d))
        self.weight_mh = nn.Parameter(torch.empty(h, h))
        self.weight_x = nn.Parameter(torch.empty(4 * h, d))
        self.weight_m = nn.Parameter(torch.empty(4 * h, h))
        self.bias = nn.Parameter(torch.empty(4 * h))
        bound = 1.0 / math.sqrt(h)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, batch_size: int) -> MState:
        """Zero state ``(h0, c0)``, each (N, H)."""
        z = self.bias.new_zeros(batch_size, self.hidden_size)
        return z, z.clone()

    def input_projections(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """All input terms in one matmul. x: (..., D) -> ``W_mx x`` (..., H) and ``W_x x + b`` (..., 4H)."""
        proj = x @ torch.cat([self.weight_mx, self.weight_x]).T                # (..., 5H)
        xm, xg = proj.split([self.hidden_size, 4 * self.hidden_size], dim=-1)
        return xm, xg + self.bias

    def step(self, xm: torch.Tensor, xg: torch.Tensor, state: MState,
             clamp: tuple[torch.Tensor, torch.Tensor] | None = None) -> MState:
        """One time step from precomputed projections. xm: (N, H), xg: (N, 4H), state: ``(h, c)`` (N, H) each.

        clamp: optional ``(mask (H,) bool, values (H,))``; where ``mask`` is true, ``c_t`` is replaced by
        ``values`` before ``h_t`` is computed (Radford et al.'s generation with the sentiment unit fixed).
        Returns the new ``(h_t, c_t)``.
        """
        h, c = state
        m = xm * (h @ self.weight_mh.T)                                        # m_t: (N, H)
        i, f, u, o = (xg + m @ self.weight_m.T).chunk(4, dim=1)                # each (N, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(u)
        if clamp is not None:
            c = torch.where(clamp[0], clamp[1], c)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, x: torch.Tensor, state: MState | None = None) -> MState:
        """One step from raw input. x: (N, D); state: ``(h, c)`` or ``None`` (zeros). Returns ``(h_t, c_t)``."""
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"x must have shape (N, D) = (N, {self.input_size}), got {tuple(x.shape)}")
        state = self.init_state(x.shape[0]) if state is None else state
        return self.step(*self.input_projections(x), state)


def encode_bytes(text: str | bytes) -> torch.Tensor:
    """UTF-8 bytes of ``text`` as ids in [0, 256): (L,) long."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return torch.tensor(list(data), dtype=torch.long)


def decode_bytes(ids: Sequence[int] | torch.Tensor) -> str:
    """Inverse of :func:`encode_bytes` for a 1-D id sequence; invalid UTF-8 becomes U+FFFD."""
    return bytes(int(i) for i in torch.as_tensor(ids).reshape(-1)).decode("utf-8", errors="replace")


class MLSTMLM(nn.Module):
    """Byte-level mLSTM language model (Radford et al., 2017): embed 256 bytes -> mLSTM -> linear to 256.

    hidden: mLSTM width H (Radford et al.: 4096); embed: byte embedding width E (theirs: 64).
    """

    def __init__(self, hidden: int, embed: int = 64, vocab: int = 256) -> None:
        super().__init__()
        self.hidden, self.embed, self.vocab = hidden, embed, vocab
        self.embedding = nn.Embedding(vocab, embed)
        self.cell = MLSTMCell(embed, hidden)
        self.decoder = nn.Linear(hidden, vocab)

    def init_state(self, batch_size: int) -> MState:
        """Zero state ``(h0, c0)``, each (N, H)."""
        return self.cell.init_state(batch_size)

    def _clamp(self, clamp: Mapping[int, float] | None) -> tuple[torch.Tensor, torch.Tensor] | None:
        if not clamp:
            return None
        w = self.cell.bias
        mask = torch.zeros(self.hidden, dtype=torch.bool, device=w.device)
        values = torch.zeros(self.hidden, dtype=w.dtype, device=w.device)
        for unit, value in clamp.items():
            if not 0 <= int(unit) < self.hidden:
                raise ValueError(f"clamp unit must be in [0, H={self.hidden}), got {unit}")
            mask[int(unit)], values[int(unit)] = True, float(value)
        return mask, values

    def forward(self, x: torch.Tensor, state: MState | None = None, return_cells: bool = False,
                clamp: Mapping[int, float] | None = None):
        """x: (N, T) byte ids; state: ``(h, c)`` (N, H) each, or ``None`` for zeros.

        clamp: ``{unit: value}`` fixes those cell units at every step. Returns ``(logits (N, T, 256), (h_T, c_T))``
        and, if ``return_cells``, also the cell states of every step, (N, T, H) — what the sentiment-neuron
        analysis reads.
        """
        _check_ids("x", x, 2, "(N, T)")
        state = self.init_state(x.shape[0]) if state is None else state
        xm, xg = self.cell.input_projections(self.embedding(x))               # (N, T, H), (N, T, 4H)
        cl = self._clamp(clamp)
        hs, cs = [], []
        for t in range(x.shape[1]):
            state = self.cell.step(xm[:, t], xg[:, t], state, cl)
            hs.append(state[0])
            cs.append(state[1])
        h_all = torch.stack(hs, dim=1) if hs else xm.new_zeros(x.shape[0], 0, self.hidden)
        logits = self.decoder(h_all)                                           # (N, T, 256)
        if return_cells:
            cells = torch.stack(cs, dim=1) if cs else h_all
            return logits, state, cells
        return logits, state

    def sample(self, start: str | bytes | Sequence[int] | torch.Tensor, length: int, temperature: float = 1.0,
               top_k: int | None = None, clamp: Mapping[int, float] | None = None,
               generator: torch.Generator | None = None, state: MState | None = None) -> torch.Tensor:
        """Generate ``length`` bytes after the prompt (text, bytes, (T0,) or (N, T0) ids).

        clamp fixes cell units during the prompt and the generation alike. Eval mode, no gradients.
        Returns (length,) or (N, length) long; :func:`decode_bytes` turns a row into text.
        """
        if isinstance(start, str | bytes):
            start = encode_bytes(start)

        def step(x: torch.Tensor, st):
            return self(x, st, clamp=clamp)

        with _EvalMode(self):
            return generate(step, start, length, temperature=temperature, top_k=top_k,
                            generator=generator, state=state)


# ------------------------------------------------------------------------------------- Radford et al.'s weights
RADFORD_HIDDEN, RADFORD_EMBED, RADFORD_VOCAB = 4096, 64, 256
RADFORD_SENTIMENT_UNIT = 2388  # the cell unit of the released model that tracks sentiment (Radford et al. 2017)


def radford_file_shapes(hidden: int = RADFORD_HIDDEN, embed: int = RADFORD_EMBED,
                        vocab: int = RADFORD_VOCAB) -> list[tuple[int, ...]]:
    """Shapes of the 15 released files ``model/0.npy`` .. ``14.npy``, in order (``encoder.py``'s variables):

    0 embedding ``(256, 64)``; 1 ``wx (64, 4H)``; 2-5 ``wh (H, 4H)`` split into four ``(H, H)`` column blocks;
    6 ``wmx (64, H)``; 7 ``wmh (H, H)``; 8 ``b (4H,)``; 9 ``gx (4H,)``; 10 ``gh (4H,)``; 11 ``gmx (H,)``;
    12 ``gmh (H,)``; 13 output ``w (H, 256)``; 14 output ``b (256,)``. All float32.
    """
    h, e, v = hidden, embed, vocab
    return [(v, e), (e, 4 * h), (h, h), (h, h), (h, h), (h, h), (e, h), (h, h), (4 * h,), (4 * h,), (4 * h,),
            (h,), (h,), (h, v), (v,)]


def _weight_normed(w: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``tf.nn.l2_normalize(w, dim=0) * g``: every column scaled to norm ``g[j]`` (TF's epsilon 1e-12 on the
    squared norm). Keeps the dtype of ``w`` (norms summed in float64)."""
    w = np.asarray(w)
    sq = np.einsum("ij,ij->j", w, w, dtype=np.float64)
    return w * (np.asarray(g, dtype=np.float64) / np.sqrt(np.maximum(sq, 1e-12))).astype(w.dtype)


# Radford's gate blocks [i, f, o, u] -> our block index in [i, f, u, o]
_RADFORD_TO_OURS = (0, 1, 3, 2)


def mlstm_from_radford_params(params: Sequence[np.ndarray], dtype: torch.dtype = torch.float32) -> MLSTMLM:
    """An :class:`MLSTMLM` holding Radford et al.'s released weights (the 15 arrays of
    :func:`radford_file_shapes`, in file order), with the weight normalisation folded in and the gates reordered.

    Works gate block by gate block (files 2-5 are ``wh``'s four blocks), so converting the 4096-unit model needs
    the model (~345 MB in float32) plus one (H, H) block on top of the arrays; pass memory-mapped arrays
    (``np.load(..., mmap_mode="r")``) to keep those on disk. Raises ValueError naming the file and the expected
    shape if an array does not fit (sizes are read from files 0 and 7, so smaller models of the same layout load
    too — the tests use them).
    """
    if len(params) != 15:
        raise ValueError(f"expected the 15 arrays of model/0.npy .. 14.npy, got {len(params)}")
    vocab, embed = np.shape(params[0]) if np.ndim(params[0]) == 2 else (0, 0)
    hidden = np.shape(params[7])[0] if np.ndim(params[7]) == 2 else 0
    for k, (a, shape) in enumerate(zip(params, radford_file_shapes(hidden, embed, vocab))):
        if tuple(np.shape(a)) != shape:
            raise ValueError(f"model/{k}.npy must have shape {shape} (hidden={hidden}, embed={embed}, "
                             f"vocab={vocab}), got {tuple(np.shape(a))}")
    emb, wx, *wh_blocks = params[:6]
    wmx, wmh, b, gx, gh, gmx, gmh, w_out, b_out = params[6:]
    H = hidden
    model = MLSTMLM(hidden=H, embed=embed, vocab=vocab).to(dtype)

    def t(a) -> torch.Tensor:
        return torch.tensor(np.asarray(a), dtype=dtype)  # a copy: the arrays may be read-only memory maps

    with torch.no_grad():
        model.embedding.weight.copy_(t(emb))
        cell = model.cell
        wx_n = _weight_normed(wx, gx)                                          # (E, 4H), Radford's gate order
        for k, ours in enumerate(_RADFORD_TO_OURS):
            rows = slice(ours * H, (ours + 1) * H)
            cols = slice(k * H, (k + 1) * H)
            cell.weight_x[rows] = t(wx_n[:, cols].T)                           # (H, E)
            cell.weight_m[rows] = t(_weight_normed(wh_blocks[k], np.asarray(gh)[cols]).T)  # (H, H)
            cell.bias[rows] = t(np.asarray(b)[cols])
        cell.weight_mx.copy_(t(_weight_normed(wmx, gmx).T))                    # (H, E)
        cell.weight_mh.copy_(t(_weight_normed(wmh, gmh).T))                    # (H, H)
        model.decoder.weight.copy_(t(np.asarray(w_out).T))                     # (256, H)
        model.decoder.bias.copy_(t(b_out))
    return model.eval()
