"""Small tools for Lecture 6 (sequence labelling): a brute-force CRF, IOB validity, per-word error analysis.

Deck 000, Part 4 (POS tagging, NER, Bi-LSTM taggers, Bi-LSTM-CRF) and deck 001 ("Bi-LSTM CRF"). The CRF itself
lives in :mod:`course_lib.reference.crf` (NumPy) and :mod:`course_lib.models.crf` (PyTorch); this module holds what
the lecture needs *around* it:

* :func:`brute_force_crf` — ``log Z``, the best path and the marginals by enumerating all ``K^T`` tag sequences,
  the definition the forward and Viterbi algorithms must agree with (only for tiny ``K`` and ``T``);
* :func:`invalid_iob` / :func:`count_invalid_iob` — positions where an ``I-X`` tag follows neither ``B-X`` nor
  ``I-X`` (e.g. ``O I-PER``): a sequence no annotator writes, which independent per-token decisions can produce;
* :func:`emission_argmax` — the tags a :class:`~course_lib.models.tagger.BiLSTMCRF` would output if its CRF layer
  were removed (the per-token argmax of its emission scores);
* :func:`word_report` — accuracy, gold tags and confusions of chosen (ambiguous) words such as *back*;
* :func:`shipped_report` — the metrics JSON written beside a shipped tagger;
* :data:`PUBLISHED` — published figures the lecture compares with, each with its source.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from course_lib.reference.crf import logsumexp, sequence_score

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "data" / "checkpoints"

# Published results (value in %, source). Not comparable one-to-one with ours: other data (WSJ / CoNLL-2003),
# pre-trained embeddings, and far more training; printed in the lecture next to what we measure.
PUBLISHED = {
    "pos_wsj_huang": (97.55, "Huang et al. 2015, BI-LSTM-CRF (Senna embeddings + features), WSJ POS accuracy"),
    "pos_wsj_ma_hovy": (97.55, "Ma & Hovy 2016, BLSTM-CNN-CRF, WSJ POS accuracy"),
    "ner_conll_huang": (90.10, "Huang et al. 2015, BI-LSTM-CRF (Senna embeddings + features), CoNLL-2003 NER F1"),
    "ner_conll_lample": (90.94, "Lample et al. 2016, LSTM-CRF with character BiLSTM, CoNLL-2003 English NER F1"),
    "ner_conll_ma_hovy": (91.21, "Ma & Hovy 2016, BLSTM-CNN-CRF, CoNLL-2003 English NER F1"),
    "ner_wnut17_best": (41.86, "WNUT-17 shared task (Derczynski et al. 2017), best system entity F1"),
}


def enumerate_paths(T: int, K: int) -> np.ndarray:
    """All ``K^T`` tag sequences of length ``T`` over ``K`` tags, in lexicographic order: (K^T, T) int64."""
    if T < 1 or K < 1:
        raise ValueError(f"need T >= 1 and K >= 1, got T={T}, K={K}")
    return np.array(list(itertools.product(range(K), repeat=T)), dtype=np.int64).reshape(-1, T)


def brute_force_crf(emissions: np.ndarray, transitions: np.ndarray, start: np.ndarray, end: np.ndarray) -> dict:
    """The CRF quantities of ONE sentence by enumeration (the definitions; cost ``O(K^T T)``).

    emissions: (T, K); transitions: (K, K) (``[i, j]`` = from ``i`` to ``j``); start, end: (K,).
    Returns ``{"paths" (K^T, T), "scores" (K^T,), "log_z" float, "best_path" list[int], "best_score" float,
    "marginals" (T, K)}``, with ``log Z = log sum_y exp(score(y))`` and ``marginals[t, k] = P(y_t = k | x)``.
    """
    emissions = np.asarray(emissions)
    if emissions.ndim != 2:
        raise ValueError(f"emissions must have shape (T, K), got {emissions.shape}")
    T, K = emissions.shape
    if K ** T > 2_000_000:
        raise ValueError(f"K^T = {K}^{T} sequences is too many to enumerate")
    paths = enumerate_paths(T, K)
    scores = sequence_score(np.broadcast_to(emissions, (len(paths), T, K)), paths, None, transitions, start, end)
    log_z = float(logsumexp(scores, axis=0))
    prob = np.exp(scores - log_z)                                        # (K^T,) P(y | x)
    marg = np.stack([np.bincount(paths[:, t], weights=prob, minlength=K) for t in range(T)])
    best = int(np.argmax(scores))
    return {"paths": paths, "scores": scores, "log_z": log_z, "best_path": paths[best].tolist(),
            "best_score": float(scores[best]), "marginals": marg}


def invalid_iob(tags: Sequence[str]) -> list[int]:
    """Positions ``t`` where ``tags[t] = I-X`` but the previous tag is neither ``B-X`` nor ``I-X``.

    Under IOB2 a span starts with ``B-``, so these are ill-formed (``O I-PER``, ``B-LOC I-PER``, ``I-ORG`` first).
    """
    bad, prev = [], "O"
    for t, tag in enumerate(tags):
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            bad.append(t)
        prev = tag if tag[:2] in ("B-", "I-") else "O"
    return bad


def count_invalid_iob(sentences: Sequence[Sequence[str]]) -> dict:
    """``{"tokens": invalid positions in all sentences, "sentences": sentences with at least one}``."""
    per = [len(invalid_iob(s)) for s in sentences]
    return {"tokens": sum(per), "sentences": sum(n > 0 for n in per)}


@torch.no_grad()
def emission_argmax(model, vocabs: dict, sentences: Sequence[Sequence[str]], batch_size: int = 64) -> list:
    """Per-token argmax of a tagger's emission scores (N, T, K), ignoring any CRF layer: tag strings per sentence.

    ``model`` is a shipped tagger (:func:`course_lib.tasks.tagging.load_tagger`); ``model(words, mask, chars)``
    returns the emissions for both :class:`BiLSTMTagger` and :class:`BiLSTMCRF`. Sentences are batched by length
    (less padding, bounded memory); the result is in input order.
    """
    from course_lib.tasks.tagging import collate, encode

    model.eval()
    itos = vocabs["tags"].itos
    enc = encode([(ws, [itos[0]] * len(ws)) for ws in sentences], vocabs)
    order = sorted(range(len(enc)), key=lambda i: len(enc[i][0]))
    out: list = [None] * len(enc)
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        words, chars, _, mask = collate([enc[i] for i in idx])
        best = model(words, mask, chars).argmax(dim=2).tolist()
        for i, row, n in zip(idx, best, mask.sum(1).tolist(), strict=True):
            out[i] = [itos[j] for j in row[:n]]
    return out


def word_report(words: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                focus: Sequence[str], lower: bool = True) -> dict:
    """How a tagger does on chosen words: ``{word: {"n", "accuracy", "gold", "errors"}}``.

    ``gold``: Counter of the word's gold tags; ``errors``: Counter of ``(gold, predicted)`` pairs where they
    differ; ``accuracy`` is None when the word does not occur. Words compared lower-cased unless ``lower=False``.
    """
    norm = str.lower if lower else (lambda w: w)
    keys = {norm(w): w for w in focus}
    rep = {w: {"n": 0, "right": 0, "gold": Counter(), "errors": Counter()} for w in focus}
    for ws, gs, ps in zip(words, gold, pred, strict=True):
        for w, g, p in zip(ws, gs, ps, strict=True):
            key = keys.get(norm(w))
            if key is None:
                continue
            r = rep[key]
            r["n"] += 1
            r["right"] += g == p
            r["gold"][g] += 1
            if g != p:
                r["errors"][(g, p)] += 1
    return {w: {"n": r["n"], "accuracy": r["right"] / r["n"] if r["n"] else None, "gold": r["gold"],
                "errors": r["errors"]} for w, r in rep.items()}


def shipped_report(task: str, directory: str | Path | None = None) -> dict | None:
    """The JSON written beside a shipped tagger (``data/checkpoints/<task>.json``: dev/test metrics, error
    analysis, training time), or None if it is not there (the checkpoint is still being trained)."""
    path = Path(directory or CHECKPOINT_DIR) / f"{task}.json"
    return json.loads(path.read_text()) if path.exists() else None
