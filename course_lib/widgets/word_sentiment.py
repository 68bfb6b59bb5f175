"""The sentiment unit of the course's word-level LSTM LM, live (Lecture 7, "A sentiment unit on a CPU").

Radford, Jozefowicz & Sutskever (2017) read a review with a language model, take one unit of the final cell
state ``c_T`` and classify with one threshold; clamping that unit while sampling steers the polarity of what the
LM writes (their Fig. 3 and Table 5). The course's word LM (``data/checkpoints/word_lm_imdb.pt``, trained by
``python -m course_lib.train sentiment_word_lm``) has such a unit; its record
(``sentiment_word_unit.json``) names it, with the rule "positive iff ``sign * c_T[unit] > threshold``".

Pure compute first (:func:`word_unit_trace`, :func:`final_word_values`, :func:`reading_html`), then the widget
:class:`WordSentimentView` and its notebook entry point :func:`word_sentiment_view` (a static figure when run
headless, like every widget of the course).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.widgets._display import StaticView, figure_png, want_static
from course_lib.widgets.activations import activation_html, sequence_states
from course_lib.widgets.viewer import HistogramFallback, draw_class_histogram

__all__ = ["WordSentimentView", "final_word_values", "reading_html", "word_histogram", "word_sentiment_view",
           "word_unit_trace"]

BOS = 2  # "</r>": the IMDB vocabulary's end-of-review token, which also starts every review the LM reads


def _tokens_and_ids(vocab, text: str, max_len: int) -> tuple[list[str], np.ndarray]:
    from course_lib.baselines import tokenize

    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty str")
    tokens = tokenize(text)[-max_len:]
    if not tokens:
        raise ValueError(f"text has no tokens: {text[:40]!r}")
    return tokens, np.concatenate([[BOS], np.asarray(vocab.encode(tokens), dtype=np.int64)])


def word_unit_trace(model, vocab, text: str, unit: int, max_len: int = 400) -> tuple[list[str], np.ndarray]:
    """The words the LM reads in ``text`` (lower-cased tokens, its last ``max_len``) and ``c_t[unit]`` after
    each of them, (T,) float64, starting from the zero state after ``</r>`` — the value after the last word is
    the feature of the review (:func:`course_lib.train.sentiment_words.review_states`, ``"final_c"``)."""
    H = model.lm.hidden_dim
    if not 0 <= int(unit) < H:
        raise ValueError(f"unit must be in [0, H={H}), got {unit}")
    tokens, ids = _tokens_and_ids(vocab, text, max_len)
    cells = sequence_states(model.lm, ids[None], "cell")[0]     # (T + 1, H): after </r>, then after each word
    return tokens, cells[1:, int(unit)]


def final_word_values(model, vocab, texts: Sequence[str], unit: int, max_len: int = 400) -> np.ndarray:
    """``c_T[unit]`` after the last word of each text, (n,) float64 (the record's rule reads this value)."""
    from course_lib.train.sentiment_words import review_states

    rows = [(np.asarray(vocab.encode(_tokens_and_ids(vocab, t, max_len)[0]), dtype=np.int64), 0) for t in texts]
    return review_states(model, rows, max_len)["final_c"][:, int(unit)].astype(np.float64)


def reading_html(tokens: Sequence[str], values: np.ndarray, sign: float, threshold: float, title: str = "") -> str:
    """The review word by word, each word shaded by ``sign * (c_t[unit] - threshold)``: red where the unit at
    that point reads *positive* (the rule's side), blue where it reads negative, white at the threshold — so a
    review's colour changes where the unit changes its mind."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(tokens),):
        raise ValueError(f"values must have shape (T,) = ({len(tokens)},), got {values.shape}")
    reading = sign * (values - threshold)
    text = " ".join(tokens)
    per_char = np.repeat(reading, [len(t) + 1 for t in tokens])[: len(text)]  # a space takes its word's value
    return activation_html(text, per_char, max_chars=4000, title=title)


def _rule_accuracy(values: np.ndarray, labels: np.ndarray, sign: float, threshold: float) -> float:
    return float(np.mean((sign * values > threshold) == (np.asarray(labels) == 1)))


def word_histogram(values: np.ndarray, labels: np.ndarray, unit: int, sign: float, threshold: float) -> Figure:
    """The unit's final value by class with the rule's threshold (Radford et al. 2017, Fig. 3)."""
    fig = Figure(figsize=(6, 3.2))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.88)
    ax = fig.add_subplot()
    draw_class_histogram(ax, values, labels, threshold=sign * threshold)
    acc = _rule_accuracy(values, labels, sign, threshold)
    side = "above" if sign > 0 else "below"
    ax.set(xlabel=f"unit {unit}: cell state after the last word",
           title=f"Unit {unit}: 'positive' {side} {sign * threshold:+.3f} — {100 * acc:.0f} % right here")
    return fig


class WordSentimentView(HistogramFallback, widgets.VBox):
    """Live view of the word LM's sentiment unit over labelled ``reviews``: the histogram of its final value by
    class, one review (``review`` slider) shaded word by word (:func:`reading_html`), and a generator —
    ``clamp`` slider, ``prompt``, ``temperature``, *Generate* — that samples with ``c_t[unit]`` fixed at the
    slider's value at every step (:func:`course_lib.train.sentiment_words.sample_clamped`)."""

    def __init__(self, model, vocab, record: dict, reviews: Sequence[str], labels, length: int = 40,
                 max_len: int = 400) -> None:
        self.model, self.vocab, self.length, self.max_len = model, vocab, int(length), int(max_len)
        self.unit, self.sign = int(record["unit"]), float(record["sign"])
        self.threshold = float(record["threshold_imdb"])
        gen = record["generation"]
        self.reviews, self.labels = list(reviews), np.asarray(labels)
        self.values = final_word_values(model, vocab, self.reviews, self.unit, max_len)
        self.accuracy = _rule_accuracy(self.values, self.labels, self.sign, self.threshold)
        self.hist = widgets.Image(value=figure_png(word_histogram(self.values, self.labels, self.unit, self.sign,
                                                                  self.threshold)),
                                  format="png", layout=widgets.Layout(width="96%", max_width="600px"))
        wide = widgets.Layout(width="96%", max_width="560px")  # 100 % plus the slider's margins would overflow
        self.review = widgets.IntSlider(value=0, min=0, max=len(self.reviews) - 1, description="review",
                                        continuous_update=False, layout=wide)
        # a long review scrolls inside its box, so that the sliders and the generator stay in sight
        self.review_view = widgets.HTML(layout=widgets.Layout(max_height="300px", overflow="auto"))
        lo, hi = sorted((float(gen["clamp_positive"]), float(gen["clamp_negative"])))
        span = max(abs(lo), abs(hi)) + 0.5
        self.clamp = widgets.FloatSlider(value=float(gen["clamp_positive"]), min=-round(span, 1),
                                         max=round(span, 1), step=0.05, description=f"clamp unit {self.unit} to",
                                         continuous_update=False, style={"description_width": "130px"},
                                         layout=wide)
        self.prompt = widgets.Text(value=gen.get("prompt", "this movie"), description="prompt",
                                   layout=widgets.Layout(width="240px"))
        self.temperature = widgets.FloatSlider(value=float(gen.get("temperature", 0.8)), min=0.1, max=1.5,
                                               step=0.05, description="temperature", continuous_update=False,
                                               style={"description_width": "90px"},
                                               layout=widgets.Layout(width="300px"))
        self.generate = widgets.Button(description="Generate", button_style="success", icon="play")
        self.generated = widgets.HTML()
        self.generated.add_class("course-generated")
        side = "below" if self.sign < 0 else "above"
        head = widgets.HTML(f"<b>Word LM, unit {self.unit}</b>: a review reads positive if c_T[{self.unit}] is "
                            f"{side} {self.sign * self.threshold:+.3f}; {100 * self.accuracy:.0f} % of these "
                            f"{len(self.reviews)} reviews are classified right.")
        head.add_class("course-sentiment-head")
        controls = widgets.HBox([self.prompt, self.temperature, self.generate],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([head, self.hist, self.review, self.review_view,
                          widgets.HTML(f"<b>Generation with unit {self.unit} clamped</b> (positive: "
                                       f"{float(gen['clamp_positive']):+.2f}, negative: "
                                       f"{float(gen['clamp_negative']):+.2f})"),
                          self.clamp, controls, self.generated],
                         layout=widgets.Layout(max_width="760px"))
        self.add_class("course-sentiment-view")
        self.add_class("course-word-sentiment")
        self.review.observe(self._show_review, names="value")
        self.clamp.observe(lambda _c: self.run_generation(), names="value")
        self.generate.on_click(lambda _b: self.run_generation())
        self._show_review()
        self.run_generation()

    def _show_review(self, _change=None) -> None:
        i = self.review.value
        tokens, vals = word_unit_trace(self.model, self.vocab, self.reviews[i], self.unit, self.max_len)
        label = "positive" if self.labels[i] == 1 else "negative"
        verdict = "positive" if self.sign * vals[-1] > self.threshold else "negative"
        self.review_view.value = reading_html(
            tokens, vals, self.sign, self.threshold,
            title=f"review {i} ({label}): c_T[{self.unit}] = {vals[-1]:+.3f}, read as {verdict} · red: the unit "
                  f"reads positive at that word, blue: negative")

    def run_generation(self) -> str:
        """Sample with the current clamp value and show it; returns the words (prompt excluded)."""
        from course_lib.train.sentiment_words import sample_clamped

        try:
            out = sample_clamped(self.model, self.vocab, self.prompt.value or "this movie", self.length,
                                 {self.unit: float(self.clamp.value)}, temperature=self.temperature.value, seed=0)
        except Exception as err:  # noqa: BLE001 - shown in the widget, where the student is looking
            self.generated.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return ""
        self.generated.value = (f"<div style='font-family:monospace;white-space:pre-wrap'><b>"
                                f"{html.escape(self.prompt.value)}</b> {html.escape(out)}</div>"
                                f"<div style='font-size:85%'>unit {self.unit} clamped to {self.clamp.value:+.2f}, "
                                f"same random numbers for every value</div>")
        return out


def word_sentiment_view(model, vocab, record: dict, reviews: Sequence[str], labels, *, static: bool | None = None,
                        length: int = 40, max_len: int = 400):
    """The word LM's sentiment view for a notebook cell (:class:`WordSentimentView`); without a frontend (or
    ``static=True``) a :class:`StaticView` with the histogram, the first review shaded, and one sample with
    the unit clamped to each of the record's two values."""
    if not want_static(static):
        return WordSentimentView(model, vocab, record, reviews, labels, length, max_len)
    from course_lib.train.sentiment_words import sample_clamped

    unit, sign, thr = int(record["unit"]), float(record["sign"]), float(record["threshold_imdb"])
    values = final_word_values(model, vocab, list(reviews), unit, max_len)
    fig = word_histogram(values, np.asarray(labels), unit, sign, thr)
    gen = record["generation"]
    tokens, vals = word_unit_trace(model, vocab, reviews[0], unit, max_len)
    parts = [reading_html(tokens, vals, sign, thr, title=f"review 0: c_T[{unit}] = {vals[-1]:+.3f}")]
    for polarity in ("positive", "negative"):
        v = float(gen[f"clamp_{polarity}"])
        words = sample_clamped(model, vocab, gen["prompt"], length, {unit: v}, temperature=gen["temperature"], seed=0)
        parts.append(f"<p><b>unit {unit} = {v:+.2f} ({polarity}):</b> <code>{html.escape(gen['prompt'])} "
                     f"{html.escape(words)}</code></p>")
    return StaticView(fig, "".join(parts), f"Sentiment unit {unit} of the word LM")
