"""course_lib.exercises and its bank: verdicts, hidden answers, hints, worked solutions, questions."""

import re
from pathlib import Path

import numpy as np
import pytest

from course_lib.exercise_bank import ITEMS, lookup
from course_lib.exercises import ask, check, solution

LECTURES = Path(__file__).resolve().parents[1] / "lectures"


def test_legacy_check_verdicts(capsys):
    assert check("a", None, 1.0) is None
    assert check("b", 0.5, 0.5 + 1e-12) is True
    assert check("c", 0.5, 0.6, hint="count again") is False
    assert check("d", np.ones(3), np.ones(4)) is False
    assert check("e", "NOUN", "NOUN") is True
    assert check("f", [1, 2], "x") is False
    out = capsys.readouterr().out
    assert "not attempted" in out and "count again" in out and "shape (4,)" in out


def _context(item):
    """Stand-ins for the lecture objects an exercise needs (the real ones are checked by running the lectures)."""
    rng = np.random.default_rng(0)

    class Trigram:
        def prob(self, w, h):
            return 0.25

    pool = {"trigram": Trigram(), "V": 6407, "a_vec": rng.normal(size=8), "b_vec": rng.normal(size=8),
            "recency_acc": np.array([1.0, 0.7, 0.4, 0.0]), "E": rng.normal(size=(5, 3)),
            "A": rng.normal(size=(3, 3)), "a_start": rng.normal(size=3), "a_end": rng.normal(size=3), "log_z": 4.0}
    return {n: pool[n] for n in item.needs}


@pytest.mark.parametrize("key", [k for k, it in ITEMS.items() if not it.choices])
def test_every_exercise_accepts_its_answer_and_never_prints_it(key, capsys):
    item = lookup(key)
    ctx = _context(item)
    want = item.expected(**ctx)
    assert check(key, want, **ctx) is True
    assert check(key, None, **ctx) is None
    if isinstance(want, (int, float, np.ndarray, np.floating, np.integer)):
        wrong = np.asarray(want, dtype=float) * 1.5 + 1.0
        assert check(key, wrong, **ctx) is False
        out = capsys.readouterr().out
        last = out.strip().splitlines()[-1]
        # exactly the title, the hint and where the solution is: the verdict never gives the answer away
        assert last == f'[!] {item.title}: not yet. {item.hint} (worked solution: solution("{key}"))', last
    solution(key)
    assert item.solution in capsys.readouterr().out


def test_an_exercise_without_its_lecture_objects_says_which(capsys):
    with pytest.raises(TypeError, match="trigram=trigram"):
        check("l1.mle", 0.5)
    with pytest.raises(KeyError, match="this lecture's are"):
        check("l1.nope", 1)


@pytest.mark.parametrize("key", [k for k, it in ITEMS.items() if it.choices])
def test_every_question_has_one_right_letter(key, capsys):
    item = lookup(key)
    assert item.correct in item.letters() and len(item.choices) >= 3 and item.solution and item.hint
    verdicts = [check(key, ltr) for ltr in item.letters()]
    assert verdicts.count(True) == 1 and verdicts[item.letters().index(item.correct)]
    assert check(key, "z") is False and "answer with one of" in capsys.readouterr().out
    text = ask(key, static=True).text()
    assert item.prompt in text and all(c in text for c in item.choices) and item.solution not in text


def test_the_widget_checks_and_explains():
    item = lookup("l3.q.shared")
    quiz = ask("l3.q.shared", static=False)
    box = quiz.children[1]  # [0] is the style sheet that lets long choices wrap
    radio, (check_b, show_b), verdict, sol = box.children[1], box.children[2].children, box.children[3], box.children[4]
    check_b.click()
    assert "pick an answer" in verdict.value
    radio.value = next(ltr for ltr in item.letters() if ltr != item.correct)
    check_b.click()
    assert "not yet" in verdict.value
    radio.value = item.correct
    check_b.click()
    assert "correct" in verdict.value and sol.value == ""
    show_b.click()
    assert "shared" in sol.value or "same" in sol.value


def test_lectures_use_only_bank_keys_and_every_question_is_asked():
    used, asked = set(), set()
    for path in sorted(LECTURES.glob("0*.py")):
        src = path.read_text()
        calls = re.findall(r"^check\((.*)$", src, flags=re.M)
        assert all(re.match(r'"l\d\.[\w.]+"', c) for c in calls), (path.name, calls)  # no expected value inline
        used |= set(re.findall(r'^check\("(l\d\.[\w.]+)"', src, flags=re.M))
        asked |= {k for call in re.findall(r"^ask\((.*)\)$", src, flags=re.M) for k in re.findall(r'"([\w.]+)"', call)}
    assert used | asked <= set(ITEMS)
    assert {k for k, it in ITEMS.items() if not it.choices} <= used
    assert {k for k, it in ITEMS.items() if it.choices} <= asked, "a question of the bank is asked nowhere"


def test_the_right_letter_is_spread_over_the_bank():
    """A student who always answers the same letter must not do well: no letter is right in more than 35 %."""
    from collections import Counter

    letters = Counter(it.correct for it in ITEMS.values() if it.choices)
    assert max(letters.values()) <= 0.35 * sum(letters.values()), letters


NOT_TAUGHT = ("Summary", "Exercises")


def _questions_per_section(path):
    """``[(section title, [question keys asked in it])]`` for a lecture's ``# ## `` sections."""
    sections = []
    for line in path.read_text().splitlines():
        if line.startswith("# ## "):
            sections.append((line[5:].strip(), []))
        elif line.startswith("ask(") and sections:
            sections[-1][1].extend(re.findall(r'"([\w.]+)"', line))
    return sections


@pytest.mark.parametrize("path", sorted(LECTURES.glob("0*.py")), ids=lambda p: p.stem)
def test_every_section_ends_with_two_or_three_questions(path):
    sections = _questions_per_section(path)
    taught = [(t, k) for t, k in sections if not t.startswith(NOT_TAUGHT)]
    assert len(taught) >= 5, sections
    wrong = [(t, len(k)) for t, k in taught if not 2 <= len(k) <= 3]
    assert not wrong, f"sections without 2-3 check-your-understanding questions: {wrong}"
    lecture = path.name[1]
    assert all(k.startswith(f"l{lecture}.q.") for _, keys in taught for k in keys)


def _text(key):
    item = lookup(key)
    return " ".join([item.prompt, item.hint, item.solution, *item.choices])


def test_numbers_quoted_by_questions_are_the_courses():
    """Questions that quote a count, a perplexity or an explorer reading quote what the course computes."""
    import json

    from course_lib.data import load_tinyshakespeare, word_tokenize
    from course_lib.reference.ngram import NGramLM
    from course_lib.widgets.gradients import gradient_norms_through_time

    train = [word_tokenize(line, lower=True) for line in load_tinyshakespeare("train").splitlines() if line.strip()]
    words, lines = sum(map(len, train)), len(train)
    distinct = {n: len(NGramLM(order=n, smoothing="mle").fit(train).counts[n]) for n in (4, 5)}
    quoted = _text("l1.q.distinct_cap")
    for number in (distinct[4], distinct[5], words, lines, words + lines):
        assert f"{number:,}" in quoted, number
    assert max(distinct.values()) <= words + lines  # the bound the question explains

    ppl = json.loads((LECTURES.parent / "benchmarks" / "results" / "bengio_lm.json").read_text())["val_perplexity"]
    quoted = _text("l2.q.long_context")
    assert all(f"{ppl[k]:g}" in quoted for k in ("kneser_ney_n5", "kneser_ney_n3", "bengio"))
    assert ppl["kneser_ney_n5"] > ppl["kneser_ney_n3"] > ppl["bengio"]

    reach = gradient_norms_through_time("linear", T=100, H=64, radius=1.1)[0]  # the explorer's status line
    assert np.isclose(reach, 1.1 ** 99, rtol=1e-9) and f"{reach:.2e}" in _text("l4.q.explore_linear")

    record = json.loads((LECTURES.parent / "data" / "checkpoints" / "sentiment_word_unit.json").read_text())
    top_unit, top_weight = record["features"][record["feature"]]["all_units"]["imdb"]["top_units_by_l1_weight"][0]
    quoted, gen = _text("l7.q.clamp_sign"), record["generation"]
    assert record["unit"] == 151 == top_unit and record["sign"] == -1 and f"{top_weight:+.2f}"[1:] in quoted
    assert f"{gen['clamp_positive']:+.2f}" in quoted and f"{gen['clamp_negative']:+.2f}" in quoted
