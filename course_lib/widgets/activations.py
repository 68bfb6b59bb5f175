"""Pure compute behind the cell-activation viewer and the sentiment-neuron view (no widgets).

Deck 000 Part 3, "Cells activations": Karpathy, Johnson & Fei-Fei (2015), "Visualizing and understanding
recurrent networks", colour each character of a text by the value of one LSTM unit after reading it and find
units that track line length, quotes or brackets. Part 5, "Unsupervised Sentiment Neuron": Radford, Jozefowicz
& Sutskever (2017) find one cell unit of a byte-level mLSTM language model whose value at the end of a review
separates positive from negative reviews, and steer generation by clamping it.

Everything takes a model and a vocabulary:

* :class:`~course_lib.models.language_models.RNNLM` (LSTM, GRU or Elman; any number of layers) with its
  vocabulary: a :class:`~course_lib.data.vocab.Vocabulary` of characters, a ``{char: id}`` dict, or a sequence
  ``itos`` of characters (``itos[id] = char``);
* :class:`~course_lib.models.mlstm.MLSTMLM` (bytes; ``vocab=None``): each character is shown with the state
  after its *last* UTF-8 byte.

Activations are NumPy arrays ``(L, H)``: one row per character of the text (L characters), one column per unit.
torch is imported only by the functions that run a model, so that importing the widgets stays light.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "FEATURES", "activation_html", "clamped_lstm_step", "correlations", "encode_text", "feature_values",
    "final_unit_values", "find_sentiment_units", "generate_with_unit", "has_cell_state", "inside_parentheses",
    "inside_quotes", "n_pages", "page_bounds", "position_in_line", "rank_units", "review_label_feature",
    "sequence_states", "unit_activations",
]


# ------------------------------------------------------------------------------------------- encoding
def _is_mlstm(model) -> bool:
    return hasattr(model, "cell") and hasattr(model.cell, "step") and hasattr(model.cell, "input_projections")


def has_cell_state(model) -> bool:
    """Does the model have a cell state c_t (LSTM RNNLM, mLSTM), or only hidden states (GRU, Elman)?"""
    import torch

    return _is_mlstm(model) or isinstance(getattr(model, "rnn", None), torch.nn.LSTM)


def encode_text(text: str, vocab=None) -> tuple[np.ndarray, np.ndarray]:
    """Ids the model reads, and which character each id belongs to.

    vocab: ``None`` for bytes (UTF-8, ids 0..255); else a ``Vocabulary`` (anything with ``encode`` of a list of
    characters), a ``{char: id}`` mapping, or an ``itos`` sequence. Characters missing from a mapping/``itos``
    raise ``ValueError`` (a ``Vocabulary`` with ``<unk>`` maps them to ``<unk>`` itself).

    Returns ``ids`` (T,) int64 and ``owner`` (T,) int64 with ``owner[k]`` the index of the character that id k
    belongs to (``T == len(text)`` for characters; one entry per byte for bytes).
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    if vocab is None:
        chunks = [ch.encode("utf-8") for ch in text]
        ids = np.frombuffer(b"".join(chunks), dtype=np.uint8).astype(np.int64)
        owner = np.repeat(np.arange(len(text)), [len(c) for c in chunks])
        return ids, owner.astype(np.int64)
    if hasattr(vocab, "encode") and hasattr(vocab, "itos"):
        ids = np.asarray(vocab.encode(list(text)), dtype=np.int64)
    else:
        stoi = vocab if isinstance(vocab, Mapping) else {ch: i for i, ch in enumerate(vocab)}
        missing = sorted({ch for ch in text if ch not in stoi})
        if missing:
            raise ValueError(f"characters not in the vocabulary: {''.join(missing)[:40]!r}")
        ids = np.array([stoi[ch] for ch in text], dtype=np.int64)
    return ids, np.arange(len(text), dtype=np.int64)


# ------------------------------------------------------------------------------------------- states
def _layer_module(rnn: torch.nn.Module, layer: int) -> torch.nn.Module:
    """A one-layer copy of layer ``layer`` of a (stacked) ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``."""
    import torch

    kind = type(rnn)
    in_size = rnn.input_size if layer == 0 else rnn.hidden_size
    kwargs = {"nonlinearity": rnn.nonlinearity} if kind is torch.nn.RNN else {}
    single = kind(in_size, rnn.hidden_size, 1, batch_first=True, bias=rnn.bias, **kwargs)
    params = {name.replace(f"_l{layer}", "_l0"): p for name, p in rnn.named_parameters() if name.endswith(f"_l{layer}")}
    single.load_state_dict(params)
    return single.to(dtype=next(rnn.parameters()).dtype)


def _lstm_cells(single: torch.nn.LSTM, u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Cell states c_t (N, T, H) of a one-layer LSTM from zero state, given its inputs u (N, T, D) and outputs h.

    With all h_{t-1} known, every gate is one matmul (deck 000 Part 3; torch's packing ``[i, f, g, o]``)::

        [i, f, g, o] = σ/σ/tanh/σ(u_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   c_t = f ⊙ c_{t-1} + i ⊙ g,

    and only the elementwise recurrence for c is a loop.
    """
    import torch

    h_prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)
    gates = u @ single.weight_ih_l0.T + h_prev @ single.weight_hh_l0.T
    if single.bias:
        gates = gates + single.bias_ih_l0 + single.bias_hh_l0
    i, f, g, _ = gates.chunk(4, dim=-1)
    i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
    c = torch.empty_like(i)
    c_prev = torch.zeros_like(i[:, 0])
    for t in range(i.shape[1]):
        c_prev = f[:, t] * c_prev + i[:, t] * g[:, t]
        c[:, t] = c_prev
    return c


def sequence_states(model, ids, kind: str = "cell", layer: int = -1) -> np.ndarray:
    """States of every step, ``(N, T, H)`` float64, for a batch of id sequences ``ids`` (N, T) from zero state.

    kind: ``"cell"`` (c_t; LSTM and mLSTM only) or ``"hidden"`` (h_t). layer: which layer of a stacked RNNLM
    (``-1`` the top one). The model runs in eval mode (no dropout) without gradients.
    """
    import torch

    if kind not in ("cell", "hidden"):
        raise ValueError(f"kind must be 'cell' or 'hidden', got {kind!r}")
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if ids.dim() != 2:
        raise ValueError(f"ids must have shape (N, T), got {tuple(ids.shape)}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if _is_mlstm(model):
                out = _mlstm_states(model, ids, kind)
            elif hasattr(model, "rnn") and hasattr(model, "embedding"):
                out = _rnnlm_states(model, ids, kind, layer)
            else:
                raise ValueError(f"model must be an RNNLM or MLSTMLM, got {type(model).__name__}")
    finally:
        model.train(was_training)
    return out.double().numpy()


def _mlstm_states(model, ids: torch.Tensor, kind: str) -> torch.Tensor:
    """mLSTM (Krause et al. 2016): the cell's own step, run over the batch (what ``forward`` does)."""
    import torch

    if kind == "cell":
        return model(ids, return_cells=True)[2]
    xm, xg = model.cell.input_projections(model.embedding(ids))
    state, hs = model.cell.init_state(ids.shape[0]), []
    for t in range(ids.shape[1]):
        state = model.cell.step(xm[:, t], xg[:, t], state)
        hs.append(state[0])
    return torch.stack(hs, dim=1)


def _rnnlm_states(model, ids: torch.Tensor, kind: str, layer: int) -> torch.Tensor:
    import torch

    rnn = model.rnn
    L = rnn.num_layers
    layer = layer + L if layer < 0 else layer
    if not 0 <= layer < L:
        raise ValueError(f"layer must be in [-{L}, {L}), got {layer}")
    if kind == "cell" and not isinstance(rnn, torch.nn.LSTM):
        raise ValueError(f"kind='cell' needs an LSTM (only it has a cell state); this model's cell is "
                         f"{type(rnn).__name__}: use kind='hidden'")
    u = model.embedding(ids)
    for k in range(layer + 1):
        single = _layer_module(rnn, k)
        h = single(u)[0]
        if k == layer:
            return _lstm_cells(single, u, h) if kind == "cell" else h
        u = h
    raise AssertionError("unreachable")


def unit_activations(model, text: str, vocab=None, kind: str = "cell", layer: int = -1) -> np.ndarray:
    """Activations of every unit after each character of ``text``: (L, H) float64, L = ``len(text)``.

    Row j is the state after the model has read character j (for bytes: after its last byte); see
    :func:`encode_text` for ``vocab`` and :func:`sequence_states` for ``kind`` / ``layer``.
    """
    ids, owner = encode_text(text, vocab)
    if len(ids) == 0:
        raise ValueError("text must not be empty")
    states = sequence_states(model, ids[None], kind, layer)[0]  # (T, H)
    last = np.r_[owner[1:] != owner[:-1], True]  # the last id of every character
    return states[last]


# ------------------------------------------------------------------------------------------- features
def inside_quotes(text: str, i: int) -> bool:
    """Is character i inside a double-quoted passage (an odd number of ``"`` before it, or on one)?"""
    return text.count('"', 0, i) % 2 == 1 or text[i] == '"'


def inside_parentheses(text: str, i: int) -> int:
    """Nesting depth of round brackets at character i (``(`` counts from itself, ``)`` up to itself)."""
    return text.count("(", 0, i + 1) - text.count(")", 0, i)


def position_in_line(text: str, i: int) -> int:
    """Column of character i: characters since the last newline (Karpathy et al.'s line-length cell)."""
    return i - (text.rfind("\n", 0, i) + 1)


FEATURES: dict[str, Callable[[str, int], float]] = {
    "inside quotes": inside_quotes,
    "inside parentheses": inside_parentheses,
    "position in line": position_in_line,
}


def review_label_feature(texts: Sequence[str], labels: Sequence[int], sep: str = "\n") -> tuple[str, Callable]:
    """Join reviews into one text and return ``(text, feature)`` with ``feature(text, i)`` the label (0/1) of
    the review that character i belongs to ("review is positive"; separators count for the review before)."""
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels must have the same length, got {len(texts)} and {len(labels)}")
    ends = np.cumsum([len(t) + len(sep) for t in texts])
    lab = np.asarray(labels, dtype=float)

    def review_is_positive(text: str, i: int) -> float:
        return float(lab[min(np.searchsorted(ends, i, side="right"), len(lab) - 1)])

    return sep.join(texts), review_is_positive


def feature_values(feature: Callable[[str, int], float], text: str, max_chars: int | None = None) -> np.ndarray:
    """``feature(text, i)`` for i = 0..L-1 (L = ``len(text)``, at most ``max_chars``): (L,) float64."""
    L = len(text) if max_chars is None else min(len(text), max_chars)
    return np.array([float(feature(text, i)) for i in range(L)], dtype=np.float64)


def correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of every unit with a feature: activations (L, H), feature (L,) -> r (H,).

    A constant unit (or a constant feature) has no defined correlation; it gets r = 0.
    """
    A, f = np.asarray(activations, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    if A.ndim != 2 or f.shape != (A.shape[0],):
        raise ValueError(f"activations (L, H) and feature (L,) must agree, got {A.shape} and {f.shape}")
    A, f = A - A.mean(axis=0), f - f.mean()
    denom = np.sqrt((A * A).sum(axis=0) * (f @ f))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (f @ A) / denom
    return np.where(denom > 1e-12 * max(1.0, float(denom.max(initial=0.0))), r, 0.0)


def rank_units(activations: np.ndarray, feature: np.ndarray, top: int = 10) -> list[tuple[int, float]]:
    """The ``top`` units most correlated with the feature, as ``[(unit, r)]`` by decreasing ``|r|``."""
    r = correlations(activations, feature)
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    return [(int(u), float(r[u])) for u in order]


# ------------------------------------------------------------------------------------------- rendering
def n_pages(n_chars: int, page_size: int) -> int:
    """Number of pages of ``page_size`` characters needed for ``n_chars`` (at least 1)."""
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    return max(1, -(-n_chars // page_size))


def page_bounds(n_chars: int, page: int, page_size: int) -> tuple[int, int]:
    """``[start, stop)`` of page ``page`` (0-based, clamped to the last page)."""
    page = min(max(0, int(page)), n_pages(n_chars, page_size) - 1)
    return page * page_size, min(n_chars, (page + 1) * page_size)


_LEVELS = 8  # colour steps on each side of zero


def _colour(level: int) -> str:
    """Background for a quantised value in [-_LEVELS, _LEVELS]: white at 0, red (+) or blue (-) at the ends."""
    a = abs(level) / _LEVELS
    fade = round(255 * (1 - 0.75 * a))
    rgb = (255, fade, fade) if level > 0 else (fade, fade, 255)
    return "#" + "".join(f"{v:02x}" for v in rgb)


def activation_html(text: str, values: np.ndarray, start: int = 0, stop: int | None = None, *,
                    scale: float | None = None, max_chars: int = 2000, title: str = "") -> str:
    """Karpathy-style shading of ``text[start:stop]`` by one unit's values (L,) (L = ``len(text)``).

    Each character gets a background from blue (``-scale``) through white (0) to red (``+scale``), in
    ``2*8+1`` steps; runs of equal colour share one ``<span>``, so the HTML stays small. ``scale`` defaults to
    ``max |values|`` over the *whole* text (so pages are comparable). At most ``max_chars`` characters are
    rendered whatever ``stop`` says: the output is bounded, O(max_chars), for any text length.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(f"values must have shape (L,) = ({len(text)},), got {values.shape}")
    stop = len(text) if stop is None else min(stop, len(text))
    start = max(0, min(start, stop))
    stop = min(stop, start + max_chars)
    if scale is None:
        finite = np.abs(values[np.isfinite(values)])
        scale = float(finite.max()) if finite.size else 1.0
    scale = scale if scale > 0 else 1.0
    levels = np.rint(np.clip(np.nan_to_num(values[start:stop]) / scale, -1, 1) * _LEVELS).astype(int)
    parts, k = [], 0
    seg = text[start:stop]
    while k < len(seg):
        j = k + 1
        while j < len(seg) and levels[j] == levels[k]:
            j += 1
        parts.append(f'<span style="background:{_colour(levels[k])}">{html.escape(seg[k:j])}</span>')
        k = j
    head = f'<div style="font-size:85%;margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    legend = (f'<div style="font-size:80%;margin-top:4px">characters {start}–{stop} of {len(text)} · '
              f'<span style="background:{_colour(-_LEVELS)}">&nbsp;−{scale:.3g}&nbsp;</span> '
              f'<span style="background:#ffffff;border:1px solid #ddd">&nbsp;0&nbsp;</span> '
              f'<span style="background:{_colour(_LEVELS)}">&nbsp;+{scale:.3g}&nbsp;</span></div>')
    body = ('<div class="course-activations" style="font-family:monospace;white-space:pre-wrap;'
            'line-height:1.45;word-break:break-all">' + "".join(parts) + "</div>")
    return head + body + legend


# ------------------------------------------------------------------------------------------- sentiment
def final_unit_values(model, texts: Sequence[str], unit: int | None = None, vocab=None, kind: str = "cell",
                      max_chars: int = 1000, batch_size: int = 32) -> np.ndarray:
    """The state after the *last* character of each text (Radford et al. 2017 read the final cell state).

    Texts are cut to their first ``max_chars`` characters and run in right-padded batches (the padding comes
    after the read position, so it never changes the result). Returns (n,) for one ``unit``, or (n, H) for
    ``unit=None`` (all units, e.g. to search for the sentiment unit with :func:`rank_units`).
    """
    rows = []
    for b in range(0, len(texts), batch_size):
        enc = [encode_text(t[:max_chars], vocab)[0] for t in texts[b:b + batch_size]]
        if any(len(e) == 0 for e in enc):
            raise ValueError("texts must not be empty")
        lengths = np.array([len(e) for e in enc])
        ids = np.zeros((len(enc), lengths.max()), dtype=np.int64)
        for n, e in enumerate(enc):
            ids[n, : len(e)] = e
        states = sequence_states(model, ids, kind)  # (n, T, H)
        rows.append(states[np.arange(len(enc)), lengths - 1])
    out = np.concatenate(rows) if rows else np.zeros((0, 0))
    return out if unit is None else out[:, unit]


def find_sentiment_units(model, texts: Sequence[str], labels, vocab=None, top: int = 5,
                         max_chars: int = 1000) -> list[tuple[int, float]]:
    """Units whose final cell state best separates the classes: ``[(unit, r)]`` by decreasing ``|r|``, r the
    point-biserial correlation with the 0/1 labels (Radford et al. 2017 found theirs through the weights of a
    sparse logistic regression on the same final states; for one unit both point at the same thing)."""
    finals = final_unit_values(model, list(texts), None, vocab, max_chars=max_chars)
    return rank_units(finals, np.asarray(labels, dtype=np.float64), top)


def clamped_lstm_step(model, unit: int | None, value: float | None, layer: int = -1):
    """A step function ``step(x (N, t) ids, state) -> (logits (N, t, V), state)`` for an LSTM RNNLM that runs the
    LSTM equations itself (deck 000 Part 3; torch's gate packing ``[i, f, g, o]``), layer by layer, and after
    each cell update ``c_t = f ⊙ c_{t-1} + i ⊙ g`` sets ``c_t[unit] = value`` in ``layer`` *before*
    ``h_t = o ⊙ tanh(c_t)`` — as Radford et al. (2017) fixed their sentiment unit (``unit=None``: no clamp, the
    same numbers as ``model(x, state)``). ``state``: ``None`` or ``(h, c)``, each (L, N, H), like ``nn.LSTM``.
    Use it with :func:`course_lib.models.language_models.generate`.
    """
    import torch

    rnn = model.rnn
    if not isinstance(rnn, torch.nn.LSTM):
        raise ValueError(f"clamped generation needs an LSTM or mLSTM model, got cell {type(rnn).__name__}")
    L, H = rnn.num_layers, rnn.hidden_size
    layer = layer + L if layer < 0 else layer
    if unit is not None and not 0 <= int(unit) < H:
        raise ValueError(f"unit must be in [0, H={H}), got {unit}")
    weights = [(getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}"),
                getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}") if rnn.bias else 0.0)
               for k in range(L)]

    def step(x, state):
        N = x.shape[0]
        if state is None:
            z = model.embedding.weight.new_zeros(L, N, H)
            state = (z, z.clone())
        hs, cs = list(state[0].unbind(0)), list(state[1].unbind(0))
        tops = []
        for e in model.embedding(x).unbind(1):  # (N, E) per position
            for k, (w_ih, w_hh, b) in enumerate(weights):
                i, f, g, o = (e @ w_ih.T + hs[k] @ w_hh.T + b).chunk(4, dim=1)
                c = torch.sigmoid(f) * cs[k] + torch.sigmoid(i) * torch.tanh(g)
                if unit is not None and k == layer:
                    c = c.clone()
                    c[:, int(unit)] = float(value)
                hs[k], cs[k] = torch.sigmoid(o) * torch.tanh(c), c
                e = hs[k]
            tops.append(e)
        return model.decoder(torch.stack(tops, dim=1)), (torch.stack(hs), torch.stack(cs))

    return step


def generate_with_unit(model, prompt: str, unit: int, value: float | None, length: int = 200,
                       temperature: float = 1.0, seed: int = 0, vocab=None, layer: int = -1) -> str:
    """Sample ``length`` tokens after ``prompt`` with cell ``unit`` fixed at ``value`` at every step (Radford et
    al. 2017, Table 5), or free-running with ``value=None``; returns the generated text (prompt excluded).

    model: a byte-level MLSTMLM (its own ``sample(clamp=...)``), or an LSTM RNNLM (:func:`clamped_lstm_step`;
    ``layer`` picks the clamped layer) with ``vocab`` as in :func:`encode_text` (``None``: bytes).
    """
    import torch

    from course_lib.models.language_models import generate

    gen = torch.Generator().manual_seed(int(seed))
    if _is_mlstm(model):
        clamp = None if value is None else {int(unit): float(value)}
        ids = model.sample(prompt, length, temperature=temperature, clamp=clamp, generator=gen)
    elif isinstance(getattr(model, "rnn", None), torch.nn.LSTM):
        start = torch.as_tensor(encode_text(prompt, vocab)[0])
        was_training = model.training
        model.eval()  # no dropout while sampling
        try:
            ids = generate(clamped_lstm_step(model, None if value is None else unit, value, layer), start, length,
                           temperature=temperature, generator=gen)
        finally:
            model.train(was_training)
    else:
        raise ValueError(f"clamped generation needs an LSTM RNNLM or an MLSTMLM, got {type(model).__name__}")
    ids = [int(i) for i in ids]
    if vocab is None:
        return bytes(ids).decode("utf-8", errors="replace")
    itos = vocab.itos if hasattr(vocab, "itos") else (
        {i: ch for ch, i in vocab.items()} if isinstance(vocab, Mapping) else list(vocab))
    return "".join(itos[i] for i in ids)
