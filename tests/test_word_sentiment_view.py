"""The word LM's sentiment view (Lecture 7): its compute agrees with the features the unit was found on, and
the widget opens on the recorded unit, clamp and rule."""

import json

import numpy as np
import pytest

from course_lib.checkpoints import CHECKPOINT_DIR
from course_lib.train import sentiment_words as sw
from course_lib.widgets import StaticView
from course_lib.widgets.word_sentiment import (
    WordSentimentView,
    final_word_values,
    reading_html,
    word_sentiment_view,
    word_unit_trace,
)

REVIEWS = ["This movie was a waste of time. The worst acting I have seen.",
           "A wonderful, moving film with a brilliant cast. I loved every minute.",
           "It starts well, but the second half is dull and far too long.",
           "One of the best films of the year: funny, warm and beautifully shot."]
LABELS = [0, 1, 0, 1]


@pytest.fixture(scope="module")
def shipped():
    model, vocab, _ = sw.load_word_lm()
    record = json.loads((CHECKPOINT_DIR / "sentiment_word_unit.json").read_text())
    return model, vocab, record


def test_trace_ends_on_the_feature_the_unit_was_found_on(shipped):
    from course_lib.baselines import tokenize

    model, vocab, record = shipped
    unit = record["unit"]
    finals = final_word_values(model, vocab, REVIEWS, unit)
    rows = [(vocab.encode(tokenize(t)), y) for t, y in zip(REVIEWS, LABELS)]
    want = sw.review_states(model, rows, record["imdb_max_len"])["final_c"][:, unit]
    assert np.allclose(finals, want, atol=1e-5)
    for text, final in zip(REVIEWS, finals):
        tokens, values = word_unit_trace(model, vocab, text, unit)
        assert tokens == tokenize(text) and values.shape == (len(tokens),)
        assert values[-1] == pytest.approx(final, abs=1e-5)
    # the two clearest ones (a pan, a rave) are read right by the recorded rule
    read = record["sign"] * finals > record["threshold_imdb"]
    assert not read[0] and read[1]


def test_bad_input_is_refused_with_the_expected_shape(shipped):
    model, vocab, record = shipped
    with pytest.raises(ValueError, match="unit must be in"):
        word_unit_trace(model, vocab, REVIEWS[0], 10_000)
    with pytest.raises(ValueError, match="non-empty"):
        word_unit_trace(model, vocab, "   ", 1)
    with pytest.raises(ValueError, match=r"shape \(T,\) = \(2,\)"):
        reading_html(["a", "b"], np.zeros(3), -1.0, 0.0)


def test_shading_follows_the_rule_side():
    html = reading_html(["good", "bad"], np.array([-1.0, 1.0]), -1.0, 0.0)
    # sign -1: a value below the threshold reads positive (red), above it negative (blue)
    assert html.index("#ff4040") < html.index("#4040ff")


def test_widget_opens_on_the_recorded_unit_and_clamp(shipped):
    model, vocab, record = shipped
    view = WordSentimentView(model, vocab, record, REVIEWS, LABELS, length=12)
    gen = record["generation"]
    assert view.unit == record["unit"] and view.clamp.value == pytest.approx(gen["clamp_positive"])
    assert f"clamp unit {record['unit']} to" == view.clamp.description
    assert view.clamp.min <= min(gen["clamp_positive"], gen["clamp_negative"])
    assert view.clamp.max >= max(gen["clamp_positive"], gen["clamp_negative"])
    finals = final_word_values(model, vocab, REVIEWS, record["unit"])
    want = np.mean((record["sign"] * finals > record["threshold_imdb"]) == (np.array(LABELS) == 1))
    assert "read as" in view.review_view.value and view.accuracy == want
    assert f"{100 * want:.0f} % of these 4 reviews" in view.children[0].value
    first = view.generated.value
    assert f"clamped to {gen['clamp_positive']:+.2f}" in first
    # the record's own samples: the same seed and temperature give its first sample's first words
    assert " ".join(gen["positive"][0].split()[:3]) in first
    view.clamp.value = gen["clamp_negative"]
    assert view.generated.value != first and " ".join(gen["negative"][0].split()[:3]) in view.generated.value
    view.review.value = 2
    assert "review 2 (negative)" in view.review_view.value


def test_static_view_has_histogram_reading_and_both_samples(shipped):
    model, vocab, record = shipped
    view = word_sentiment_view(model, vocab, record, REVIEWS, LABELS, static=True, length=8)
    assert isinstance(view, StaticView) and view.figure is not None
    assert view.html.count("<p><b>unit") == 2 and "course-activations" in view.html
