"""Readers for the three column formats of the tagging datasets (lecture part 4, sequence labelling).

* CoNLL-U (UD English-EWT): 10 tab-separated columns, UPOS in column 4. Multiword-token lines (ID ``3-4``)
  and empty nodes (ID ``8.1``) are skipped, so a sentence is the sequence of *syntactic words*.
* UNER IOB2: ``# sent_id`` / ``# text`` comments, then ``index, token, tag[, -, annotator]`` (3 or 5 columns).
* WNUT-17: ``token<TAB>tag``; a blank (or whitespace-only) line ends a sentence.

Every reader takes a path (``.gz`` is gunzipped) or, with ``text=``, the content itself (``path`` then only names
it in errors). It returns ``list[(tokens, tags)]`` with ``len(tokens) == len(tags)`` and raises
``ValueError("<file>:<line>: ...")`` on a malformed line, so a corrupted file is reported where it breaks.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path

# The 17 universal POS tags of UD v2 (https://universaldependencies.org/u/pos/).
UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
             "PUNCT", "SCONJ", "SYM", "VERB", "X")
# UNER v1 tag set (IOB2 over PER / LOC / ORG).
UNER_TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
# WNUT-17 tag set (IOB2 over 6 types).
WNUT_TYPES = ("person", "location", "corporation", "product", "creative-work", "group")
WNUT_TAGS = ("O",) + tuple(f"{p}-{t}" for t in WNUT_TYPES for p in "BI")
# Tags of the UNER pre-release draft that v1 dropped: the OTH type and spurious B-O on final punctuation.
UNER_DRAFT_TO_O = frozenset({"B-OTH", "I-OTH", "B-O"})

Sentence = tuple[list[str], list[str]]
_SKIP_ID = re.compile(r"([1-9][0-9]*-[1-9][0-9]*|[0-9]+\.[1-9][0-9]*)\Z")  # multiword token / empty node
_IOB2 = re.compile(r"(O|[BI]-\S+)\Z")


def _is_int(s: str) -> bool:
    """A word ID: ASCII digits, no leading zero."""
    return s.isascii() and s.isdigit() and s[0] != "0"


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a UTF-8 text file, transparently gunzipping ``*.gz`` (the mirror stores some files gzipped)."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _lines(path: str | Path, text: str | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, line without its newline)`` of the file, or of ``text`` (then ``path`` only names it)."""
    if text is not None:
        yield from enumerate(text.splitlines(), start=1)
        return
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            yield lineno, line.rstrip("\r\n")


def read_conllu(path: str | Path, column: int = 3, text: str | None = None) -> list[Sentence]:
    """Read a CoNLL-U file into ``[(words, tags)]``; ``column`` 3 = UPOS (0-based; 4 = XPOS).

    Skips comments, multiword-token lines (``3-4``) and empty nodes (``8.1``). Word IDs must run 1, 2, ...
    within a sentence and UPOS must be one of the 17 UD tags.

    Raises ValueError ``"<path>:<line>: ..."`` on a line without 10 columns, a bad ID or an unknown UPOS.
    """
    out: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for lineno, line in _lines(path, text):
        if not line.strip():
            if words:
                out.append((words, tags))
                words, tags = [], []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise ValueError(f"{path}:{lineno}: expected 10 tab-separated CoNLL-U columns, got {len(cols)}: "
                             f"{line[:80]!r}")
        if not _is_int(cols[0]) and _SKIP_ID.match(cols[0]):
            continue
        if not _is_int(cols[0]) or int(cols[0]) != len(words) + 1:
            raise ValueError(f"{path}:{lineno}: expected word ID {len(words) + 1}, got {cols[0]!r}")
        if column == 3 and cols[3] not in UPOS_TAGS:
            raise ValueError(f"{path}:{lineno}: unknown UPOS tag {cols[3]!r}")
        words.append(cols[1])
        tags.append(cols[column])
    if words:
        out.append((words, tags))
    return out


def read_uner(path: str | Path, text: str | None = None) -> list[Sentence]:
    """Read a UNER ``.iob2`` file into ``[(tokens, iob2_tags)]`` (tags as stored; see :func:`clean_uner_tags`).

    Raises ValueError ``"<path>:<line>: ..."`` on a line with fewer than 3 columns, a non-consecutive index
    or a tag that is not IOB2 (``O``, ``B-X``, ``I-X``).
    """
    out: list[Sentence] = []
    toks: list[str] = []
    tags: list[str] = []
    seen_tags: set[str] = set()
    for lineno, line in _lines(path, text):
        if not line.strip():
            if toks:
                out.append((toks, tags))
                toks, tags = [], []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            raise ValueError(f"{path}:{lineno}: expected 3 or 5 tab-separated columns (index, token, tag, ...), "
                             f"got {len(cols)}: {line[:80]!r}")
        if not _is_int(cols[0]) or int(cols[0]) != len(toks) + 1:
            raise ValueError(f"{path}:{lineno}: expected token index {len(toks) + 1}, got {cols[0]!r}")
        if cols[2] not in seen_tags:
            if not _IOB2.match(cols[2]):
                raise ValueError(f"{path}:{lineno}: tag {cols[2]!r} is not IOB2 (O, B-TYPE or I-TYPE)")
            seen_tags.add(cols[2])
        toks.append(cols[1])
        tags.append(cols[2])
    if toks:
        out.append((toks, tags))
    return out


def read_wnut(path: str | Path, text: str | None = None) -> list[Sentence]:
    """Read a WNUT-17 ``token<TAB>tag`` file into ``[(tokens, iob2_tags)]``.

    Raises ValueError ``"<path>:<line>: ..."`` on a line that is not exactly two columns or whose tag is not
    one of :data:`WNUT_TAGS`.
    """
    out: list[Sentence] = []
    toks: list[str] = []
    tags: list[str] = []
    for lineno, line in _lines(path, text):
        if not line.strip():  # upstream separates some sentences with a lone tab
            if toks:
                out.append((toks, tags))
                toks, tags = [], []
            continue
        cols = line.split("\t")
        if len(cols) != 2 or not cols[0]:
            raise ValueError(f"{path}:{lineno}: expected 'token<TAB>tag', got {line[:80]!r}")
        if cols[1] not in WNUT_TAGS:
            raise ValueError(f"{path}:{lineno}: unknown WNUT-17 tag {cols[1]!r}")
        toks.append(cols[0])
        tags.append(cols[1])
    if toks:
        out.append((toks, tags))
    return out


def clean_uner_tags(tags: list[str]) -> list[str]:
    """Map the UNER draft's dropped tags (``B-OTH``, ``I-OTH``, ``B-O``) to ``O``; v1 tags pass unchanged.

    No I-X-after-O repair is done: after this mapping the draft has no such sequence (a test checks it).
    Raises ValueError if a tag outside :data:`UNER_TAGS` remains.
    """
    out = ["O" if t in UNER_DRAFT_TO_O else t for t in tags]
    bad = set(out) - set(UNER_TAGS)
    if bad:
        raise ValueError(f"tags outside UNER v1's {UNER_TAGS}: {sorted(bad)}")
    return out


def iob2_errors(tags: list[str]) -> list[int]:
    """Positions ``t`` where ``tags[t]`` is ``I-X`` but ``tags[t-1]`` is neither ``B-X`` nor ``I-X``."""
    bad = []
    prev = "O"
    for t, tag in enumerate(tags):
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            bad.append(t)
        prev = tag
    return bad


def write_conllu(sentences: list[tuple[list[str], list[str]]], sent_ids: list[str],
                 mwt: list[dict[int, str]] | None = None) -> str:
    """Format ``[(words, upos)]`` as minimal CoNLL-U (used by the synthetic fallback data).

    ``mwt[i]`` maps a 1-based word ID to the surface form of a two-word token starting there (``3-4``).
    Columns other than ID, FORM, UPOS are ``_`` (LEMMA is the lower-cased form).
    """
    lines = []
    for i, (words, tags) in enumerate(sentences):
        multi = mwt[i] if mwt else {}
        lines.append(f"# sent_id = {sent_ids[i]}")
        text, k = [], 1
        while k <= len(words):
            if k in multi:
                text.append(multi[k])
                k += 2
            else:
                text.append(words[k - 1])
                k += 1
        lines.append("# text = " + " ".join(text))
        for k, (w, t) in enumerate(zip(words, tags, strict=True), start=1):
            if k in multi:
                lines.append(f"{k}-{k + 1}\t{multi[k]}\t_\t_\t_\t_\t_\t_\t_\t_")
            lines.append(f"{k}\t{w}\t{w.lower()}\t{t}\t_\t_\t_\t_\t_\t_")
        lines.append("")
    return "\n".join(lines) + "\n"
