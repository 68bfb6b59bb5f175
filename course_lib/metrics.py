"""Evaluation for sequence labelling: token accuracy, CoNLL span precision/recall/F1, and error analysis.

Deck 000, Part 4 (POS tagging and NER). POS taggers are scored per token (accuracy); NER systems per entity:
a predicted entity counts as correct only if its type *and* both boundaries match a gold entity exactly
(the CoNLL-2000/2003 shared tasks' ``conlleval`` script; Tjong Kim Sang & De Meulder 2003). With ``C`` the
correct, ``P`` the predicted and ``G`` the gold entities: precision ``C / P``, recall ``C / G`` and
``F1 = 2 * precision * recall / (precision + recall)``.

Chunks are read from IOB tags as ``conlleval`` reads them (so IOB2 and IOB1 both work):

* ``B-X`` always starts a chunk of type X;
* ``I-X`` continues the open chunk if it has type X, and otherwise *starts* a new chunk of type X
  (e.g. ``I-X`` after ``O``, or after a chunk of another type) — conlleval does not drop such tokens;
* ``O`` (or any tag without a ``B-``/``I-`` prefix) closes the open chunk.

Inputs are lists of sentences, each a list of tag strings: ``gold[n]`` and ``pred[n]`` have the same length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

Span = tuple[str, int, int]  # (type, first token, last token + 1)


def _check_aligned(gold: Sequence[Sequence], pred: Sequence[Sequence]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred must have the same number of sentences, got {len(gold)} and {len(pred)}")
    for n, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {n}: gold has {len(g)} tags, pred has {len(p)}")


def token_accuracy(gold: Sequence[Sequence], pred: Sequence[Sequence]) -> float:
    """Fraction of tokens whose predicted tag equals the gold tag, over all tokens of all sentences."""
    _check_aligned(gold, pred)
    total = sum(len(g) for g in gold)
    if total == 0:
        raise ValueError("token_accuracy needs at least one token")
    right = sum(a == b for g, p in zip(gold, pred, strict=True) for a, b in zip(g, p, strict=True))
    return right / total


def _split(tag: str) -> tuple[str, str]:
    """``"B-PER" -> ("B", "PER")``; ``"O"`` (or anything without a ``B-``/``I-`` prefix) -> ``("O", "")``."""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BI":
        return tag[0], tag[2:]
    return "O", ""


def iob_spans(tags: Sequence[str]) -> list[Span]:
    """The chunks of one sentence as ``(type, start, end)`` with ``end`` exclusive, conlleval's reading.

    >>> iob_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"])
    [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5), ('ORG', 5, 6)]
    """
    spans: list[Span] = []
    kind, start = None, 0
    for i, tag in enumerate(tags):
        prefix, typ = _split(tag)
        continues = prefix == "I" and typ == kind
        if kind is not None and not continues:
            spans.append((kind, start, i))
            kind = None
        if prefix in ("B", "I") and not continues:
            kind, start = typ, i
    if kind is not None:
        spans.append((kind, start, len(tags)))
    return spans


def _prf(correct: int, n_pred: int, n_gold: int) -> dict:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "correct": correct, "predicted": n_pred, "gold": n_gold}


def span_prf(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Entity-level (exact match) precision, recall and F1, overall and per type, as conlleval computes them.

    Returns ``{"precision", "recall", "f1", "correct", "predicted", "gold", "per_type": {type: {...same}}}``
    with the scores as fractions in [0, 1] (conlleval prints percentages). A score whose denominator is 0
    is 0.0, as in conlleval.
    """
    _check_aligned(gold, pred)
    g_count, p_count, c_count = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(iob_spans(g)), set(iob_spans(p))
        g_count.update(s[0] for s in gs)
        p_count.update(s[0] for s in ps)
        c_count.update(s[0] for s in gs & ps)
    out = _prf(sum(c_count.values()), sum(p_count.values()), sum(g_count.values()))
    out["per_type"] = {t: _prf(c_count[t], p_count[t], g_count[t]) for t in sorted(g_count | p_count)}
    return out


def tagging_error_analysis(train_sents: Iterable[tuple[Sequence[str], Sequence[str]]],
                           words: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                           pred: Sequence[Sequence[str]], top: int = 10, lower: bool = False) -> dict:
    """Where a tagger goes wrong: its most frequent confusions, and accuracy by word type.

    train_sents: the training data as ``[(words, tags)]`` — it defines which word types are *ambiguous*
    (seen with more than one tag in training), *unambiguous* (seen with exactly one) and *OOV* (never seen).
    words, gold, pred: the evaluated sentences (lists of lists of the same lengths). ``lower=True`` compares
    word types case-insensitively.

    Returns ``{"accuracy", "n_tokens", "confusions": [(gold_tag, pred_tag, count), ...] (most frequent
    first, at most ``top``), "by_type": {"ambiguous" | "unambiguous" | "oov": {"accuracy", "n_tokens"}}}``;
    an empty class gets accuracy ``None``. Shows why a contextual model is needed (deck 000, Part 4: one word,
    several tags, e.g. *back*) and why character features matter (the OOV row).
    """
    _check_aligned(gold, pred)
    _check_aligned(words, gold)
    norm = str.lower if lower else (lambda w: w)
    seen: dict[str, set] = {}
    for ws, ts in train_sents:
        for w, t in zip(ws, ts, strict=True):
            seen.setdefault(norm(w), set()).add(t)
    right, count = Counter(), Counter()
    confusions = Counter()
    for ws, gs, ps in zip(words, gold, pred, strict=True):
        for w, g, p in zip(ws, gs, ps, strict=True):
            tags = seen.get(norm(w))
            kind = "oov" if tags is None else ("ambiguous" if len(tags) > 1 else "unambiguous")
            count[kind] += 1
            right[kind] += g == p
            if g != p:
                confusions[(g, p)] += 1
    n = sum(count.values())
    by_type = {k: {"accuracy": right[k] / count[k] if count[k] else None, "n_tokens": count[k]}
               for k in ("ambiguous", "unambiguous", "oov")}
    return {"accuracy": sum(right.values()) / n if n else None, "n_tokens": n,
            "confusions": [(g, p, c) for (g, p), c in confusions.most_common(top)], "by_type": by_type}
