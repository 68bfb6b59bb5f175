"""Batching: padding with a mask, shuffled mini-batches, length bucketing, and TBPTT streams.

Shapes follow the course convention (batch first): ids ``(N, T)``, mask ``(N, T)``. A padded position has
``mask == False`` and must be left out of every loss and every pooled state (lecture parts 4 and 5).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = 0,
              max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad ``N`` id sequences to a common length ``T``.

    Returns ``ids`` ``(N, T)`` int64 (``pad_id`` after each sequence's end) and ``mask`` ``(N, T)`` bool
    (True on real tokens), with ``T = max(len(s))`` or ``max_len`` (longer sequences are then cut).
    """
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence")
    lengths = [len(s) for s in sequences]
    T = max(lengths) if max_len is None else max_len
    ids = np.full((len(sequences), T), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), T), dtype=bool)
    for i, s in enumerate(sequences):
        n = min(len(s), T)
        ids[i, :n] = np.asarray(s[:n], dtype=np.int64)
        mask[i, :n] = True
    return ids, mask


def batches(data: Sequence, batch_size: int, shuffle: bool = False, rng=None,
            drop_last: bool = False) -> Iterator[list]:
    """Yield lists of ``batch_size`` items of ``data`` (the last one shorter unless ``drop_last``).

    ``shuffle=True`` draws a fresh permutation from ``rng`` (a ``np.random.Generator`` or a seed) per call.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = _rng(rng).permutation(len(data)) if shuffle else np.arange(len(data))
    for start in range(0, len(data), batch_size):
        idx = order[start:start + batch_size]
        if drop_last and len(idx) < batch_size:
            return
        yield [data[i] for i in idx]


def bucket_batches(data: Sequence, batch_size: int, key=len, shuffle: bool = True, rng=None,
                   pool: int = 50) -> Iterator[list]:
    """Batches of similar length: less padding, same examples.

    Takes (shuffled) pools of ``pool * batch_size`` items, sorts each pool by ``key`` (default ``len`` of the
    item; pass e.g. ``key=lambda ex: len(ex[0])``), cuts it into batches and yields them in random order.
    """
    gen = _rng(rng)
    order = gen.permutation(len(data)) if shuffle else np.arange(len(data))
    out = []
    size = pool * batch_size
    for start in range(0, len(data), size):
        chunk = sorted(order[start:start + size], key=lambda i: key(data[i]))
        out += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    for b in (gen.permutation(len(out)) if shuffle else range(len(out))):
        yield [data[i] for i in out[b]]


def stream_batches(ids: Sequence[int], batch_size: int, seq_len: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Cut one long id stream into ``N = batch_size`` parallel rows for truncated BPTT (lecture part 2).

    The stream is trimmed to ``N * L`` ids and reshaped to ``(N, L)``; windows of ``seq_len`` columns are
    yielded in order as ``(x, y)``, both ``(N, T)`` int64 with ``y[:, t] = x[:, t + 1]`` of the stream, so
    the final hidden state of one window is the right initial state of the next.
    """
    ids = np.asarray(ids, dtype=np.int64)
    L = (len(ids) - 1) // batch_size
    if L < 1:
        raise ValueError(f"a stream of {len(ids)} ids is too short for batch_size {batch_size}")
    x_all = ids[: batch_size * L].reshape(batch_size, L)
    y_all = ids[1: batch_size * L + 1].reshape(batch_size, L)
    for start in range(0, L, seq_len):
        yield x_all[:, start:start + seq_len], y_all[:, start:start + seq_len]


def to_torch(ids: np.ndarray, mask: np.ndarray, device=None):
    """Optional collate helper: ``(ids, mask)`` as torch tensors (int64, bool). Imports torch lazily."""
    import torch

    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)
