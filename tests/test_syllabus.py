"""The syllabus page (lectures/syllabus.md): every deck topic has a row, and every row points at a section that
exists in its lecture; the page is in the site's table of contents."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT / "lectures"

# The topics of the two decks, as the seeds' README lists them (deck 000's five parts, then deck 001).
DECK_TOPICS = [
    "n-gram", "Bengio", "Elman", "backpropagation through time", "truncated BPTT", "RNN language model",
    "bidirectional RNNs", "stacked", "vanishing", "clipping", "gating", "LSTM, memory cell", "peepholes",
    "BPTT through the LSTM", "GRU", "Jozefowicz", "cell activations", "POS, NER", "BiLSTM tagger", "BiLSTM-CRF",
    "IMDB error-rate table", "Dai & Le", "sentiment neuron", "Miyato", "R / O", "acceptor and transducer",
    "DeepMoji", "teacher forcing", "seq2seq", "ELMo", "perplexity", "smoothing",
]


def _rows():
    text = (LECTURES / "syllabus.md").read_text()
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return [[c.strip() for c in r] for r in rows[1:]]            # without the header


def test_every_deck_topic_has_a_row():
    topics = " ; ".join(r[0] for r in _rows())
    missing = [t for t in DECK_TOPICS if t not in topics]
    assert not missing, f"no syllabus row for: {missing}"


def test_every_row_points_at_an_existing_section_in_deck_order():
    last = 0
    for topic, deck, lecture, section in _rows():
        n, target = re.fullmatch(r"\[(\d)\]\((0\d_\w+)\)", lecture).groups()
        path = LECTURES / f"{target}.py"
        assert path.exists() and target.startswith(f"0{n}_"), (topic, lecture)
        headers = [h.strip() for h in re.findall(r"^# #{2,3} (.+)$", path.read_text(), flags=re.M)]
        assert any(h.startswith(section) for h in headers), (topic, section, path.name)
        assert int(n) >= last, f"{topic}: lecture {n} after lecture {last} (the table follows the course order)"
        last = int(n)
        assert re.fullmatch(r"(000 Part [1-5]|001)(, 001)?", deck), (topic, deck)


def test_the_syllabus_is_in_the_site():
    assert "- file: syllabus" in (LECTURES / "_toc.yml").read_text()
    assert "(syllabus)" in (LECTURES / "index.md").read_text()


def test_students_read_sources_not_deck_numbers():
    """The decks are the course's syllabus, not something a student has: lectures, assignments and the questions
    cite the papers and books (Goldberg 2016, ...) and name this course's lectures, never "deck 000/001"."""
    from course_lib.exercise_bank import ITEMS

    texts = {p.name: p.read_text() for p in sorted(LECTURES.glob("0*.py"))}
    texts |= {p.name: p.read_text() for p in sorted((ROOT / "solutions").glob("*.py"))}  # the assignments' source
    texts |= {str(p): p.read_text() for p in sorted((ROOT / "assignments").rglob("*.ipynb"))}
    texts |= {k: " ".join([it.title, it.prompt, it.hint, it.solution, *it.choices]) for k, it in ITEMS.items()}
    assert len(texts) > 100
    hits = {name: re.findall(r".{0,30}\bdecks?\b.{0,30}", t, flags=re.I) for name, t in texts.items()}
    assert not {k: v for k, v in hits.items() if v}
