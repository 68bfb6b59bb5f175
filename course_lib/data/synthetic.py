"""Small data the course writes itself: generated tasks and stand-ins for the real corpora.

Everything here comes from hand-written grammars and lexicons in this file (no text of any real dataset),
with a fixed seed, so ``course_lib.data.write_synthetic()`` rewrites the shipped files
byte for byte (a test checks it). Two kinds:

* **Tasks** that need no real data:
  - ``brackets.tsv`` — Dyck-2 (``()`` and ``[]``) strings labelled balanced / unbalanced. Negatives swap two
    closers of different types, so lengths and bracket counts match and only the long-range matching tells
    them apart.
  - ``copy.tsv`` — copy after a delay (Hochreiter & Schmidhuber 1997; the copying-memory task of Arjovsky
    et al. 2016): ``K`` symbols, ``D`` blanks ``_``, a ``:`` cue, then the model must emit the ``K`` symbols.
  - ``agreement.tsv`` — subject-verb number agreement with attractors (Linzen, Dupoux and Goldberg 2016):
    "the writer of the books ... [is/are]". The intervening nouns whose number differs from the subject's
    are *attractors*; a model relying on sequential rather than syntactic recency picks the wrong verb
    (lecture part 2, vanishing gradients). Relative-clause verbs are past tense, so they carry no number cue.
* **Stand-ins** the loaders fall back to when the real data cannot be fetched: ``lm_corpus.txt`` (a
  play-script for char/word LMs), ``reviews_long.tsv`` (IMDB-like), ``reviews_short.tsv`` (SST-like),
  ``tagged-*.conllu`` / ``tagged-*.iob2`` / ``tagged-*.wnut.conll`` (UPOS and NER in the three real formats).
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from pathlib import Path

from .conll import write_conllu

SEED = 2016
SPLITS = {"train": 0.7, "dev": 0.15, "test": 0.15}
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "synthetic"


def _unique(make, n: int, rng: random.Random, key=lambda x: x) -> list:
    """Draw ``make(rng)`` until ``n`` distinct items (by ``key``): no example is in two splits."""
    seen, out = set(), []
    for _ in range(200 * n):
        item = make(rng)
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
            if len(out) == n:
                return out
    raise RuntimeError(f"could not draw {n} distinct items")


def _with_splits(items: list, fractions: dict[str, float] = SPLITS) -> list[tuple[str, object]]:
    """Consecutive blocks of ``items`` for each split, sized by ``fractions`` (the first split takes the rest)."""
    names = list(fractions)
    counts = {s: round(len(items) * fractions[s]) for s in names[1:]}
    counts[names[0]] = len(items) - sum(counts.values())
    names = [s for s in names for _ in range(counts[s])]
    return list(zip(names, items, strict=True))


# ----------------------------------------------------------------------------------------------- brackets
def make_dyck(rng: random.Random, min_pairs: int = 4, max_pairs: int = 20, max_depth: int = 8) -> str:
    """A balanced Dyck-2 string of ``2n`` brackets, ``n`` uniform in ``[min_pairs, max_pairs]``."""
    n = rng.randint(min_pairs, max_pairs)
    out, stack, opened = [], [], 0
    while opened < n or stack:
        can_open = opened < n and len(stack) < max_depth
        if can_open and (not stack or rng.random() < 0.5):
            b = rng.choice("([")
            stack.append(b)
            out.append(b)
            opened += 1
        else:
            out.append(")" if stack.pop() == "(" else "]")
    return "".join(out)


def is_balanced(s: str) -> bool:
    """Stack check of a bracket string over ``()[]``."""
    stack = []
    for c in s:
        if c in "([":
            stack.append(c)
        elif not stack or stack.pop() != ("(" if c == ")" else "["):
            return False
    return not stack


def make_bracket_example(rng: random.Random) -> tuple[int, str]:
    """``(label, string)``: label 1 balanced; label 0 = a balanced string with two unlike closers swapped."""
    if rng.random() < 0.5:
        return 1, make_dyck(rng)
    while True:
        s = make_dyck(rng)
        closers = [i for i, c in enumerate(s) if c in ")]"]
        i, j = sorted(rng.sample(closers, 2))
        if s[i] != s[j]:
            t = list(s)
            t[i], t[j] = t[j], t[i]
            return 0, "".join(t)


def brackets_tsv(n: int = 1400, seed: int = SEED) -> str:
    items = _unique(make_bracket_example, n, random.Random(seed), key=lambda x: x[1])
    rows = [f"{split}\t{label}\t{s}" for split, (label, s) in _with_splits(items)]
    return "split\tlabel\tsequence\n" + "\n".join(rows) + "\n"


# ------------------------------------------------------------------------------------------------ copying
def make_copy_example(rng: random.Random, alphabet: str = "abcdefgh", k: tuple[int, int] = (5, 8),
                      delay: tuple[int, int] = (5, 30)) -> tuple[int, str, str]:
    """``(D, input, target)``: input = K symbols + D blanks ``_`` + ``:``; target = the K symbols."""
    sym = "".join(rng.choice(alphabet) for _ in range(rng.randint(*k)))
    d = rng.randint(*delay)
    return d, sym + "_" * d + ":", sym


def copy_tsv(n: int = 1400, seed: int = SEED) -> str:
    items = _unique(make_copy_example, n, random.Random(seed + 1), key=lambda x: x[1])
    rows = [f"{split}\t{d}\t{x}\t{y}" for split, (d, x, y) in _with_splits(items)]
    return "split\tdelay\tinput\ttarget\n" + "\n".join(rows) + "\n"


# -------------------------------------------------------------------------------------------- agreement
NOUNS = [("writer", "writers"), ("author", "authors"), ("key", "keys"), ("cabinet", "cabinets"),
         ("teacher", "teachers"), ("painting", "paintings"), ("senator", "senators"), ("dog", "dogs"),
         ("student", "students"), ("manager", "managers"), ("farmer", "farmers"), ("letter", "letters"),
         ("bridge", "bridges"), ("player", "players"), ("neighbour", "neighbours"), ("lamp", "lamps")]
PREPS = ["of", "near", "behind", "beside", "with", "for"]
RC_VERBS = ["praised", "visited", "saw", "liked", "followed", "ignored"]  # past tense: no number cue
MAIN_VERBS = [("is", "are", "here ."), ("was", "were", "late ."), ("has", "have", "arrived ."),
              ("seems", "seem", "ready ."), ("looks", "look", "tired ."), ("remains", "remain", "popular .")]


def make_agreement_example(rng: random.Random, attractors: int | None = None) -> dict:
    """One Linzen-style item. Returns a dict with ``prefix`` (tokens before the verb), ``verb``, ``wrong``,
    ``tail``, ``number`` (``"sg"``/``"pl"``), ``attractors`` (intervening nouns of the other number) and
    ``distance`` (tokens between the subject's head noun and the verb).
    """
    pl = rng.random() < 0.5
    k = rng.randint(0, 3) if attractors is None else attractors
    m = rng.randint(k, 3)  # number of modifiers (PP or relative clause), each adding one noun
    flips = set(rng.sample(range(m), k))
    prefix = ["the", rng.choice(NOUNS)[pl]]
    for j in range(m):
        noun = rng.choice(NOUNS)[pl != (j in flips)]
        r = rng.random()
        if r < 0.6:
            prefix += [rng.choice(PREPS), "the", noun]
        elif r < 0.8:
            prefix += ["that", "the", noun, rng.choice(RC_VERBS)]  # object relative clause
        else:
            prefix += ["that", rng.choice(RC_VERBS), "the", noun]  # subject relative clause
    sg, plv, tail = rng.choice(MAIN_VERBS)
    return {"number": "pl" if pl else "sg", "attractors": k, "distance": len(prefix) - 2,
            "prefix": prefix, "verb": plv if pl else sg, "wrong": sg if pl else plv, "tail": tail.split()}


def agreement_tsv(n: int = 1200, seed: int = SEED) -> str:
    rng = random.Random(seed + 2)
    key = lambda x: " ".join(x["prefix"])
    # Equal numbers of items with 0, 1, 2 and 3 attractors (the x-axis of Linzen et al.'s error plots),
    # interleaved so that every split is balanced too.
    per_k = [_unique(lambda r, k=k: make_agreement_example(r, k), n // 4, rng, key=key) for k in range(4)]
    items = [per_k[i % 4][i // 4] for i in range(4 * (n // 4))]
    return _agreement_rows(items)


def _agreement_rows(items: list[dict]) -> str:
    rows = [f"{s}\t{x['number']}\t{x['attractors']}\t{x['distance']}\t{' '.join(x['prefix'])}\t{x['verb']}\t"
            f"{x['wrong']}\t{' '.join(x['tail'])}" for s, x in _with_splits(items)]
    return "split\tnumber\tattractors\tdistance\tprefix\tverb\twrong_verb\ttail\n" + "\n".join(rows) + "\n"


# ------------------------------------------------------------------------------------- tagged sentences
# Entities: tokens with their UPOS; the type is mapped to UNER (PER/LOC/ORG) and WNUT-17 types below.
_ENTITIES = {
    "PER": [[(f, "PROPN")] + ([(s, "PROPN")] if s else []) for f in
            ["Ada", "Bruno", "Chiara", "Dmitri", "Esther", "Farid", "Greta", "Hiro", "Ines", "Kwame"]
            for s in ["", "Lindqvist", "Okafor", "Moreau", "Tanaka"]],
    "LOC": [[(w, "PROPN") for w in name.split()] for name in
            ["Lisbon", "Nairobi", "Oslo", "Quito", "Kyoto", "Tbilisi", "Port Elin", "New Harbour", "Lake Varra"]],
    "ORG": [[(w, "PROPN") for w in name.split()] for name in
            ["Northwind Bank", "Acme Mills", "Orbis", "Lantern Trust", "Riverside Council", "Fennel Labs"]],
    "GROUP": [[(w, "PROPN") for w in name.split()] for name in ["Tidewater Choir", "Red Kites", "Moss Quartet"]],
    "PRODUCT": [[("Zephyr", "PROPN"), ("X2", "PROPN")], [("Kettlebox", "PROPN")], [("Lumo", "PROPN"),
                ("Lamp", "PROPN")]],
    "WORK": [[("The", "DET"), ("Quiet", "PROPN"), ("Lake", "PROPN")], [("Salt", "PROPN"), ("and", "CCONJ"),
             ("Ember", "PROPN")], [("Night", "PROPN"), ("Ferry", "PROPN")]],
}
UNER_TYPE = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "GROUP": "ORG", "PRODUCT": None, "WORK": None}
WNUT_TYPE = {"PER": "person", "LOC": "location", "ORG": "corporation", "GROUP": "group", "PRODUCT": "product",
             "WORK": "creative-work"}
_WORDS = {
    "DET": ["the", "a", "this", "every"], "ADJ": ["new", "old", "small", "busy", "quiet", "bright"],
    "NOUN": ["report", "train", "garden", "market", "letter", "song", "bridge", "concert", "ticket"],
    "VT": ["visited", "praised", "repaired", "bought", "reviewed", "joined", "left"],
    "VB": ["visit", "praise", "repair", "buy", "review", "join", "leave"],
    "VI": ["arrived", "laughed", "waited", "sang", "won"], "AUX": ["will", "can", "should", "may", "must"],
    "ADV": ["quickly", "yesterday", "again", "really", "soon", "today"],
    "ADP": ["in", "near", "from", "with", "after"], "PRON": ["she", "he", "they", "we", "I"],
    "CCONJ": ["and", "but", "or"], "SCONJ": ["because", "while", "although", "if"],
    "NUM": ["two", "three", "12", "40", "2019"], "INTJ": ["wow", "oh", "well", "yes"],
}
_VTAG = {"VT": "VERB", "VB": "VERB", "VI": "VERB"}
_NEG = [("do", "n't", "don't"), ("ca", "n't", "can't"), ("wo", "n't", "won't")]  # UD splits these in two
_TEMPLATES = [
    "PER VT LOC ADV ./PUNCT", "PER VT DET ADJ NOUN ADP LOC ./PUNCT", "PRON AUX VB DET NOUN ADP ORG ./PUNCT",
    "INTJ ,/PUNCT PER VT WORK ADV !/PUNCT", "PER and/CCONJ PER VT GROUP ADP LOC ./PUNCT",
    "PRON NEG VB DET PRODUCT SCONJ PRON VI ./PUNCT", "ORG VT NUM NOUN ADP LOC ADV ./PUNCT",
    "DET NOUN ADP ORG costs/VERB $/SYM NUM ./PUNCT", "PER wants/VERB to/PART VB DET PRODUCT ./PUNCT",
    "GROUP VI ADP LOC CCONJ PRON VI ADV ./PUNCT", "PER VT apples/NOUN ,/PUNCT pears/NOUN etc/X ./PUNCT",
    "PER said/VERB ORG AUX VB DET ADJ NOUN ADV ./PUNCT", "ADV ,/PUNCT PRON VT WORK ADP NUM %/SYM ./PUNCT",
]


def make_tagged_sentence(rng: random.Random) -> tuple[list[tuple[str, str, str | None]], dict[int, str]]:
    """One sentence as ``[(word, upos, entity_type | None)]`` with B/I implied by adjacent same-type spans
    (type strings are suffixed ``"#B"`` on an entity's first word), and the two-word tokens ``{id: surface}``.
    """
    words: list[tuple[str, str, str | None]] = []
    mwt: dict[int, str] = {}
    for slot in rng.choice(_TEMPLATES).split():
        if "/" in slot and slot not in _ENTITIES:
            w, tag = slot.rsplit("/", 1)
            words.append((w, tag, None))
        elif slot in _ENTITIES:
            ent = rng.choice(_ENTITIES[slot])
            words += [(w, tag, f"{slot}#{'B' if i == 0 else 'I'}") for i, (w, tag) in enumerate(ent)]
        elif slot == "NEG":
            a, b, surface = rng.choice(_NEG)
            mwt[len(words) + 1] = surface
            words += [(a, "AUX", None), (b, "PART", None)]
        else:
            words.append((rng.choice(_WORDS[slot]), _VTAG.get(slot, slot), None))
    if words[0][0][0].islower():
        w, tag, ent = words[0]
        words[0] = (w[0].upper() + w[1:], tag, ent)
        if 1 in mwt:
            mwt[1] = mwt[1][0].upper() + mwt[1][1:]
    return words, mwt


def _ner_tag(ent: str | None, types: dict) -> str:
    if ent is None:
        return "O"
    kind, pos = ent.split("#")
    mapped = types[kind]
    return "O" if mapped is None else f"{pos}-{mapped}"


def tagged_files(n: int = 300, seed: int = SEED) -> dict[str, str]:
    """``tagged-{split}.conllu`` (UPOS), ``tagged-{split}.iob2`` (UNER) and ``tagged-{split}.wnut.conll``."""
    items = _unique(make_tagged_sentence, n, random.Random(seed + 3),
                    key=lambda x: " ".join(w for w, _, _ in x[0]))
    out: dict[str, str] = {}
    for split in ("train", "dev", "test"):
        sents = [(i, x) for i, (s, x) in enumerate(_with_splits(items)) if s == split]
        ids = [f"synthetic-{split}-{i:04d}" for i, _ in sents]
        out[f"tagged-{split}.conllu"] = write_conllu([([w for w, _, _ in ws], [t for _, t, _ in ws])
                                                      for _, (ws, _) in sents], ids, [m for _, (_, m) in sents])
        uner, wnut = [], []
        for sid, (_, (ws, mwt)) in zip(ids, sents, strict=True):
            uner += [f"# sent_id = {sid}", "# text = " + " ".join(w for w, _, _ in ws)]
            for k, (w, _, ent) in enumerate(ws, start=1):
                tag = _ner_tag(ent, UNER_TYPE)
                uner.append(f"{k}\t{w}\t{tag}\t-\t-" if tag != "O" else f"{k}\t{w}\tO")
            k = 1
            while k <= len(ws):  # WNUT keeps surface tokens: "don't" stays one token
                if k in mwt:
                    wnut.append(f"{mwt[k]}\tO")
                    k += 2
                else:
                    wnut.append(f"{ws[k - 1][0]}\t{_ner_tag(ws[k - 1][2], WNUT_TYPE)}")
                    k += 1
            uner.append("")
            wnut.append("")
        out[f"tagged-{split}.iob2"] = "\n".join(uner) + "\n"
        out[f"tagged-{split}.wnut.conll"] = "\n".join(wnut) + "\n"
    return out


# ---------------------------------------------------------------------------------------------- reviews
_POS = ["wonderful", "moving", "clever", "gripping", "charming", "superb", "delightful", "memorable"]
_NEGV = ["dull", "clumsy", "tedious", "shallow", "forgettable", "awful", "lifeless", "predictable"]
_ASPECTS = ["plot", "acting", "script", "soundtrack", "direction", "ending", "cast", "dialogue", "pacing"]
_INTENS = ["", "really ", "truly ", "rather ", "quite "]
_NEUTRAL = ["I watched it on a {day} with my {who}.", "It runs for about {n} minutes.",
            "The film is set in a small harbour town.", "I had read nothing about it beforehand.",
            "The story follows two sisters who inherit a ferry."]


def make_review_sentence(rng: random.Random, positive: bool) -> str:
    """One sentence whose sentiment is ``positive``; some need negation or a contrast to be read right."""
    good, bad = (_POS, _NEGV) if positive else (_NEGV, _POS)
    a, b = rng.sample(_ASPECTS, 2)
    return rng.choice([
        f"The {a} was {rng.choice(_INTENS)}{rng.choice(good)}.",
        f"I found the {a} {rng.choice(good)}.",
        f"The {a} was not {rng.choice(bad)} at all.",
        f"What a {rng.choice(good)} film.",
        f"Although the {a} was {rng.choice(bad)}, the {b} was {rng.choice(_INTENS)}{rng.choice(good)}.",
        f"I would {'' if positive else 'not '}recommend it to my friends.",
        f"It is {'one of the best' if positive else 'one of the worst'} films I have seen this year.",
    ])


def make_review(rng: random.Random, positive: bool, sentences: tuple[int, int]) -> str:
    """A review of ``sentences`` (min, max) sentences: mostly on-label, one neutral or off-label aside."""
    k = rng.randint(*sentences)
    out = [make_review_sentence(rng, positive) for _ in range(k)]
    if k >= 3:
        aside = rng.choice(_NEUTRAL).format(day=rng.choice(["Sunday", "Tuesday", "rainy evening"]),
                                            who=rng.choice(["brother", "flatmate", "parents"]),
                                            n=rng.choice([90, 105, 120, 140]))
        out[rng.randrange(k - 1)] = aside if rng.random() < 0.6 else make_review_sentence(rng, not positive)
    return " ".join(out)


def reviews_tsv(n: int, sentences: tuple[int, int], seed: int, fractions: dict[str, float]) -> str:
    """``n`` distinct reviews, half positive (label 1), interleaved so every split is balanced."""
    rng = random.Random(seed)
    per = [_unique(lambda r, y=y: make_review(r, y == 1, sentences), n // 2, rng) for y in (0, 1)]
    items = [(i % 2, per[i % 2][i // 2]) for i in range(2 * (n // 2))]
    rows = [f"{split}\t{y}\t{text}" for split, (y, text) in _with_splits(items, fractions)]
    return "split\tlabel\ttext\n" + "\n".join(rows) + "\n"


# -------------------------------------------------------------------------------------------- LM corpus
_SPEAKERS = ["MARA", "TOBIN", "ELSPETH", "CORIN", "FERRYMAN", "OLD WREN"]
_PLACES = ["the harbour", "the mill", "the lantern room", "the salt road", "the orchard", "the ferry"]
_LM_NOUNS = ["tide", "lantern", "letter", "orchard", "rope", "bell", "river", "supper", "storm", "oar"]
_LM_ADJ = ["grey", "patient", "broken", "early", "bitter", "quiet", "honest", "restless"]
_LM_VT = ["mended", "carried", "heard", "forgot", "wanted", "hid", "rang", "counted"]
_LM_VB = ["mend", "carry", "hear", "forget", "keep", "hide", "ring", "count"]
_LM_ADV = ["again", "tonight", "slowly", "at last", "before dawn", "for once"]


def make_line(rng: random.Random) -> str:
    """One line of verse-like dialogue from a small hand-written grammar."""
    n1, n2 = rng.sample(_LM_NOUNS, 2)
    a = rng.choice(_LM_ADJ)
    return rng.choice([
        f"The {a} {n1} {rng.choice(_LM_VT)} the {n2} {rng.choice(_LM_ADV)}.",
        f"Why must we {rng.choice(_LM_VB)} the {n1} {rng.choice(_LM_ADV)}?",
        f"I {rng.choice(_LM_VT)} your {n1}, and you {rng.choice(_LM_VT)} my {n2}.",
        f"Go, {rng.choice(_SPEAKERS).title()}; the {n1} is {a} {rng.choice(_LM_ADV)}.",
        f"O {a} {n1}, {rng.choice(_LM_VB)} me {rng.choice(_LM_ADV)}!",
        f"Who {rng.choice(_LM_VT)} the {n1} by {rng.choice(_PLACES)}?",
        f"Then let the {n1} be {a}, and let the {n2} be {rng.choice(_LM_ADJ)}.",
        f"No more of {n1}s; there is {'an' if a[0] in 'aeiou' else 'a'} {a} {n2} at {rng.choice(_PLACES)}.",
    ])


def lm_corpus(n_speeches: int = 700, seed: int = SEED) -> str:
    """A play-script in Tiny Shakespeare's layout: ``SPEAKER:`` line, 1-3 lines of speech, blank line."""
    rng = random.Random(seed + 4)
    out = []
    for i in range(n_speeches):
        if i % 60 == 0:
            out.append(f"SCENE {i // 60 + 1}. {rng.choice(_PLACES).capitalize()}.\n")
        speaker = rng.choice(_SPEAKERS).title()
        lines = [make_line(rng) for _ in range(rng.randint(1, 3))]
        out.append(f"{speaker}:\n" + "\n".join(lines) + "\n")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ files
_README = """# Synthetic data written by the course

Generated by `course_lib/data/synthetic.py` (seed {seed}) from hand-written grammars: no text of any real
dataset. Regenerate with
`python -c "from course_lib.data import write_synthetic; write_synthetic()"`; `tests/test_data_loaders.py`
checks these files are byte-identical to a fresh generation. Licence: as the repository.

| file | what | bytes | sha256 |
|---|---|---|---|
{rows}
"""
_WHAT = {
    "agreement.tsv": "subject-verb agreement with 0-3 attractors (Linzen et al. 2016 style)",
    "brackets.tsv": "Dyck-2 strings, balanced vs two unlike closers swapped",
    "copy.tsv": "copy K symbols after a delay of D blanks",
    "lm_corpus.txt": "play-script stand-in for Tiny Shakespeare / KJV",
    "reviews_long.tsv": "multi-sentence labelled reviews, stand-in for IMDB (train/test)",
    "reviews_short.tsv": "one-sentence labelled reviews, stand-in for SST (train/dev/test)",
}


@lru_cache(maxsize=1)
def synthetic_texts() -> dict[str, str]:
    """Every shipped file's content, by file name (generated in about a second; cached)."""
    files = {
        "agreement.tsv": agreement_tsv(),
        "brackets.tsv": brackets_tsv(),
        "copy.tsv": copy_tsv(),
        "lm_corpus.txt": lm_corpus(),
        "reviews_long.tsv": reviews_tsv(400, (3, 7), SEED + 5, {"train": 0.5, "test": 0.5}),
        "reviews_short.tsv": reviews_tsv(800, (1, 1), SEED + 6, SPLITS),
        **tagged_files(),
    }
    rows = []
    for name in sorted(files):
        data = files[name].encode("utf-8")
        what = _WHAT.get(name, "UPOS (CoNLL-U) / UNER IOB2 / WNUT-17 stand-in, same format as the real file")
        rows.append(f"| `{name}` | {what} | {len(data):,} | `{hashlib.sha256(data).hexdigest()[:16]}…` |")
    files["README.md"] = _README.format(seed=SEED, rows="\n".join(rows))
    return files


def write_synthetic(directory: str | Path = DEFAULT_DIR) -> list[Path]:
    """Write every synthetic file into ``directory`` (created if needed); returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in synthetic_texts().items():
        path = directory / name
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def synthetic_text(name: str) -> str:
    """The shipped file ``data/synthetic/<name>`` if present (a source checkout), else a fresh generation."""
    path = DEFAULT_DIR / name
    if path.is_file():
        return path.read_bytes().decode("utf-8")
    return synthetic_texts()[name]

