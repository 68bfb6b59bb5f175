"""Loaders: one function per dataset, returning plain Python / NumPy objects.

Each loader gets its file through :func:`course_lib.data.registry.fetch` (mirror, cache or download, always
hash-checked). When the real file cannot be had — no mirror, and offline or no connection — it prints exactly
one line to stderr naming the dataset, its canonical URL and ``COURSE_DATA_MIRROR``, and returns the small
stand-in of the same shape from ``data/synthetic`` (see :mod:`course_lib.data.synthetic`). Hash errors and
malformed files are never hidden behind the fallback: they raise.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import tarfile
from pathlib import Path

from .conll import clean_uner_tags, open_text, read_conllu, read_uner, read_wnut
from .registry import MIRROR_ENV, REGISTRY, DatasetUnavailable, fetch
from .synthetic import synthetic_text

Example = tuple[str, int]
Tagged = tuple[list[str], list[str]]
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_IMDB_MEMBER = re.compile(r"aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt\Z")


def _check_split(split: str, allowed: tuple[str, ...]) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}, got {split!r}")


def announce_fallback(dataset: str, reason: str) -> None:
    """Print the single line that tells a student the stand-in data is being used, and how to get the real."""
    ds = REGISTRY[dataset]
    print(f"[course_lib.data] {dataset}: real data unavailable ({reason}); using the small synthetic stand-in "
          f"from data/synthetic. Get the real data from {ds.url} or set {MIRROR_ENV} to a folder laid out "
          f"like shared/data.", file=sys.stderr, flush=True)


def _fetch_or_none(dataset: str, split: str) -> Path | None:
    """The verified local file, or None (after the one-line notice) when only the fallback is possible."""
    try:
        return fetch(dataset, split)
    except DatasetUnavailable as err:
        announce_fallback(dataset, str(err))
        return None


def _read_tsv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(synthetic_text(name)), delimiter="\t", quoting=csv.QUOTE_NONE))


# ------------------------------------------------------------------------------------ language modelling
def load_tinyshakespeare(split: str = "train") -> str:
    """Tiny Shakespeare as one string: ``"train"`` = first 90% of the characters, ``"val"`` = last 10%,
    ``"all"`` = everything (1,115,394 characters). Tokenise with ``char_tokenize`` / ``byte_tokenize`` /
    ``word_tokenize`` (lecture part 1; Karpathy's char-rnn).
    """
    _check_split(split, ("train", "val", "all"))
    path = _fetch_or_none("tinyshakespeare", "all")
    if path is None:
        text = synthetic_text("lm_corpus.txt")
    else:
        with open_text(path) as fh:
            text = fh.read()
    cut = int(0.9 * len(text))
    return {"train": text[:cut], "val": text[cut:], "all": text}[split]


def load_kjv() -> list[str]:
    """The King James Bible as 31,102 verses (the ``Ge1:1`` reference stripped): a word-level LM corpus."""
    path = _fetch_or_none("kjv", "all")
    if path is None:
        return [ln for ln in synthetic_text("lm_corpus.txt").splitlines()
                if ln and not ln.endswith(":") and not ln.startswith("SCENE")]
    verses = []
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            ref, sep, verse = line.rstrip("\r\n").partition(" ")
            if not sep or ":" not in ref:
                raise ValueError(f"{path}:{lineno}: expected '<Book><chapter>:<verse> <text>', got {line[:60]!r}")
            verses.append(verse)
    return verses


# --------------------------------------------------------------------------------- text classification
def clean_imdb(text: str) -> str:
    """IMDB reviews carry HTML line breaks: every run of ``<br />`` (any spacing/case, with the whitespace
    around it) becomes one space; the text is otherwise untouched (no lower-casing, no unescaping)."""
    parts = (p.strip() for p in _BR.split(text))  # split, not sub: 10x faster on 50,000 reviews
    return " ".join(p for p in parts if p)


def load_imdb_splits(splits: tuple[str, ...] = ("train", "test")) -> dict[str, list[Example]]:
    """Several IMDB splits in one pass over the tarball (which is read as a stream, never extracted).

    Returns ``{split: [(text, label)]}``, label 1 = positive (folder ``pos``: rating >= 7), 0 = negative
    (rating <= 4), ordered negatives first, then by review id. Official split: 25,000 / 25,000, 12,500 per
    class. ``train/unsup`` (unlabelled) is skipped. Text cleaned by :func:`clean_imdb`.
    """
    for s in splits:
        _check_split(s, ("train", "test"))
    path = _fetch_or_none("imdb", "all")
    if path is None:
        return {s: [(r["text"], int(r["label"])) for r in _read_tsv("reviews_long.tsv") if r["split"] == s]
                for s in splits}
    found: dict[str, list[tuple[int, int, str]]] = {s: [] for s in splits}
    # Stream mode ("r|"): one sequential pass, nothing extracted to disk, memory bounded by one member.
    with gzip.open(path) as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
        for member in tar:
            m = _IMDB_MEMBER.search(member.name)
            if not member.isfile() or m is None or m.group(1) not in found:
                continue
            raw = tar.extractfile(member).read().decode("utf-8")
            found[m.group(1)].append((m.group(2) == "pos", int(m.group(3)), clean_imdb(raw)))
    return {s: [(text, int(pos)) for pos, _, text in sorted(rows)] for s, rows in found.items()}


def load_imdb(split: str = "train") -> list[Example]:
    """IMDB (Maas et al. 2011) ``split`` in ``{"train", "test"}`` as ``[(text, label)]``; see
    :func:`load_imdb_splits` (use it to read both splits in one pass: the tarball is 28 MB)."""
    return load_imdb_splits((split,))[split]


def load_sst2(split: str = "train") -> list[Example]:
    """Sentence-level binary SST (6,920 / 872 / 1,821) as ``[(sentence, label)]``, label 1 = positive."""
    _check_split(split, ("train", "dev", "test"))
    path = _fetch_or_none("sst2", split)
    if path is None:
        return [(r["text"], int(r["label"])) for r in _read_tsv("reviews_short.tsv") if r["split"] == split]
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != ["label", "sentence"]:
            raise ValueError(f"{path}:1: expected header 'label,sentence', got {header}")
        out = []
        for row in reader:
            if len(row) != 2 or row[0] not in ("0", "1"):
                raise ValueError(f"{path}:{reader.line_num}: expected 'label,sentence' with label 0/1, got {row}")
            out.append((row[1], int(row[0])))
    return out


# ---------------------------------------------------------------------------------- sequence labelling
def load_ud_pos(split: str = "train") -> list[Tagged]:
    """UD English-EWT v2.16 as ``[(words, upos)]`` (17 UPOS tags; multiword tokens and empty nodes skipped).
    train 12,544 sentences / 204,577 words, dev 2,001 / 25,147, test 2,077 / 25,094."""
    _check_split(split, ("train", "dev", "test"))
    path = _fetch_or_none("ud_english_ewt", split)
    if path is None:
        name = f"tagged-{split}.conllu"
        return read_conllu(f"data/synthetic/{name}", text=synthetic_text(name))
    return read_conllu(path)


def load_uner(split: str = "train") -> list[Tagged]:
    """Universal NER English-EWT as ``[(tokens, tags)]`` over ``O, B/I-PER, B/I-LOC, B/I-ORG``.

    ``"train"`` is the pre-release DRAFT (2022-12-02, 12,543 sentences): its ``B-OTH``/``I-OTH`` (a type v1
    dropped) and spurious ``B-O`` are mapped to ``O`` by :func:`course_lib.data.conll.clean_uner_tags`.
    Results on it are not "UNER v1 train" results. ``"dev"``/``"test"`` are v1 (2,001 / 2,077).
    """
    _check_split(split, ("train", "dev", "test"))
    path = _fetch_or_none("uner_english_ewt", split)
    if path is None:
        name = f"tagged-{split}.iob2"
        sents = read_uner(f"data/synthetic/{name}", text=synthetic_text(name))
    else:
        sents = read_uner(path)
    return [(toks, clean_uner_tags(tags)) for toks, tags in sents]


def load_wnut17(split: str = "train") -> list[Tagged]:
    """WNUT-17 emerging entities as ``[(tokens, tags)]`` (IOB2 over 6 types; 3,394 / 1,009 / 1,287)."""
    _check_split(split, ("train", "dev", "test"))
    path = _fetch_or_none("wnut17", split)
    if path is None:
        name = f"tagged-{split}.wnut.conll"
        return read_wnut(f"data/synthetic/{name}", text=synthetic_text(name))
    return read_wnut(path)


# ------------------------------------------------------------------------- generated tasks (no download)
def load_agreement(split: str = "train") -> list[dict]:
    """Subject-verb agreement items (Linzen et al. 2016 style; see :mod:`course_lib.data.synthetic`).

    Each item: ``prefix`` (tokens up to the verb), ``verb`` (correct), ``wrong`` (other number), ``tail``,
    ``number`` (``"sg"``/``"pl"``), ``attractors`` (0-3) and ``distance`` (tokens between subject and verb).
    """
    _check_split(split, ("train", "dev", "test"))
    return [{"prefix": r["prefix"].split(), "verb": r["verb"], "wrong": r["wrong_verb"],
             "tail": r["tail"].split(), "number": r["number"], "attractors": int(r["attractors"]),
             "distance": int(r["distance"])} for r in _read_tsv("agreement.tsv") if r["split"] == split]


def load_brackets(split: str = "train") -> list[tuple[str, int]]:
    """Dyck-2 strings as ``[(string, label)]``, label 1 = balanced."""
    _check_split(split, ("train", "dev", "test"))
    return [(r["sequence"], int(r["label"])) for r in _read_tsv("brackets.tsv") if r["split"] == split]


def load_copy_task(split: str = "train") -> list[tuple[str, str]]:
    """Copy-after-delay pairs ``[(input, target)]``: ``"abc____:" -> "abc"``."""
    _check_split(split, ("train", "dev", "test"))
    return [(r["input"], r["target"]) for r in _read_tsv("copy.tsv") if r["split"] == split]
