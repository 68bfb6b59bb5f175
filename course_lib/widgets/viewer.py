"""Cell-activation viewer and sentiment-neuron view (deck 000 Part 3 "Cells activations", Part 5 "Sentiment
neuron"; Karpathy, Johnson & Fei-Fei 2015; Radford, Jozefowicz & Sutskever 2017).

* :func:`cell_activation_viewer` — Karpathy-style coloured text for one unit of any character/byte model, a unit
  picker, pages for long texts, and "find units": rank units by their correlation with a feature the student
  writes as ``feature(text, i)``.
* :func:`sentiment_neuron_view` — one unit of a byte-level mLSTM over labelled reviews: histogram of its final
  value per class, a review coloured by the unit, and generation with the unit clamped.

Both return the live widget, or a :class:`~course_lib.widgets._display.StaticView` without a frontend.
Compute lives in :mod:`course_lib.widgets.activations`.
"""

from __future__ import annotations

import base64
import html
import random
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.widgets._display import StaticView, figure_png, want_static
from course_lib.widgets.activations import (
    FEATURES,
    activation_html,
    correlations,
    feature_values,
    final_unit_values,
    generate_with_unit,
    has_cell_state,
    n_pages,
    page_bounds,
    rank_units,
    unit_activations,
)

__all__ = [
    "CellActivationViewer", "SentimentNeuronView", "cell_activation_viewer", "compile_feature", "constant_feature_note",
    "load_char_lm",
    "draw_class_histogram", "load_reviews", "sentiment_histogram", "sentiment_neuron_view",
]

FEATURE_SOURCES = {
    "position in line": "lambda text, i: i - (text.rfind('\\n', 0, i) + 1)",
    "vowel": "lambda text, i: text[i].lower() in 'aeiou'",
    "end of a word": "lambda text, i: text[i].isalpha() and (i + 1 == len(text) or not text[i + 1].isalpha())",
    "inside quotes": "lambda text, i: text.count('\"', 0, i) % 2 == 1 or text[i] == '\"'",
    "inside parentheses": "lambda text, i: text.count('(', 0, i + 1) - text.count(')', 0, i)",
}


def constant_feature_note(f: np.ndarray, feature: str = "") -> str:
    """A warning (HTML) when the feature values ``f`` (L,) are all equal — no unit can correlate with a constant,
    so every r would be 0 — else ``""``. Names the missing character for the quote and bracket presets."""
    if f.size and np.ptp(f) > 0:
        return ""
    why = {"inside quotes": ' (the text has no double quote <code>"</code>)',
           "inside parentheses": " (the text has no bracket <code>(</code>)"}.get(feature, "")
    return (f"<div class='course-feature-warning' style='color:#b00'>The feature is constant on these {f.size} "
            f"characters{why}: no unit can correlate with it, so r = 0 for every unit. Pick another feature or "
            "paste a text that has what it looks for.</div>")


def compile_feature(source: str) -> Callable[[str, int], float]:
    """Turn the student's source into ``feature(text, i)``: a lambda expression, or code that defines a function
    named ``feature``. The name of a built-in feature (:data:`~course_lib.widgets.activations.FEATURES`) works too.
    Runs in the student's own kernel, with NumPy as ``np``."""
    source = source.strip()
    if source in FEATURES:
        return FEATURES[source]
    namespace: dict = {"np": np}
    try:
        fn = eval(source, namespace)  # an expression, e.g. "lambda text, i: ..."
    except SyntaxError:
        exec(source, namespace)  # statements defining feature(text, i)
        fn = namespace.get("feature")
    if not callable(fn):
        raise ValueError("the feature must be a lambda (text, i) -> number, or code defining feature(text, i)")
    return fn


def load_char_lm(path, map_location: str = "cpu"):
    """Load a character (or byte) RNNLM checkpoint: a shipped one (``data/checkpoints``, read by
    :func:`course_lib.checkpoints.load_model`; its vocabulary is ``None`` for bytes) or one written by
    :func:`course_lib.training.save_checkpoint`.

    The architecture is read off the state dict (``embedding.weight`` (V, E), ``rnn.weight_hh_l{k}``
    (G·H, H), ``decoder.weight``); the vocabulary from the first of the keys ``vocab``, ``vocabulary``, ``itos``,
    ``chars`` found in the payload, its ``meta`` or its ``config`` (a
    :meth:`~course_lib.data.vocab.Vocabulary.to_dict`, a ``{char: id}`` dict, a list ``itos`` or a string).
    Returns ``(model, vocab)``: a float32 model in eval mode (float16 checkpoints are widened).
    """
    import torch

    from course_lib.data.vocab import Vocabulary
    from course_lib.models.language_models import RNNLM

    payload = torch.load(path, map_location=map_location, weights_only=True)
    if str(payload.get("format") or "").startswith("course_lib.shipped/"):  # data/checkpoints/*.pt
        from course_lib.checkpoints import load_model

        model, info = load_model(path)
        return model, info.vocab
    sd = payload["model"]
    V, E = sd["embedding.weight"].shape
    layers = sum(1 for k in sd if k.startswith("rnn.weight_hh_l"))
    G = sd["rnn.weight_hh_l0"].shape[0] // sd["rnn.weight_hh_l0"].shape[1]
    H = sd["rnn.weight_hh_l0"].shape[1]
    meta, config = payload.get("meta") or {}, payload.get("config") or {}
    cell = meta.get("cell") or config.get("cell") or {4: "lstm", 3: "gru", 1: "rnn_tanh"}[G]
    model = RNNLM(V, E, H, cell=cell, num_layers=layers)
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    model.eval()
    raw = next((src[k] for src in (payload, meta, config) for k in ("vocab", "vocabulary", "itos", "chars")
                if isinstance(src, dict) and src.get(k) is not None), None)
    if raw is None:
        raise ValueError(f"{path}: no vocabulary in the checkpoint (expected a 'vocab' entry)")
    if isinstance(raw, dict) and "tokens" in raw:
        vocab = Vocabulary.from_dict(raw)
    elif isinstance(raw, dict):
        vocab = dict(raw)
    else:
        vocab = list(raw)
    return model, vocab


# ----------------------------------------------------------------------------------- activation viewer
def _units_table(ranked: list[tuple[int, float]]) -> str:
    """A compact HTML table of ``[(unit, r)]``."""
    cell = "style='padding:0 7px;line-height:1.3;text-align:right'"
    units = "".join(f"<td {cell}>{u}</td>" for u, _ in ranked)
    rs = "".join(f"<td {cell}>{r:+.2f}</td>" for _, r in ranked)
    return (f"<table class='course-units' style='border-collapse:collapse'><tr><th {cell}>unit</th>{units}</tr>"
            f"<tr><th {cell}>r</th>{rs}</tr></table>")


class CellActivationViewer(widgets.VBox):
    """Live viewer: unit and page sliders and the cell/hidden toggle on one row, the coloured page (scrolls inside
    a box of ``view_height`` pixels), the "find units" search under it, and the text box last — compact, so the
    controls and the search are on screen together.

    model: an RNNLM (with ``vocab``) or an MLSTMLM (``vocab=None``); text: what to show first. Activations
    are computed once per text and kind (one batched pass over the whole text); moving the unit or the page only
    re-renders at most ``page_size`` characters, so long texts stay responsive. ``find_units`` uses the first
    ``feature_chars`` characters and warns when the feature is constant there. The viewer opens on ``unit``.
    """

    def __init__(self, model, vocab=None, text: str = "", kind: str = "cell", unit: int = 0,
                 page_size: int = 1500, feature: str = "position in line", feature_chars: int = 5000,
                 top: int = 8, view_height: int = 260) -> None:
        self.model, self.vocab, self.page_size = model, vocab, page_size
        self.feature_chars, self.top = feature_chars, top
        kinds = [("cell c_t", "cell"), ("hidden h_t", "hidden")]
        if not has_cell_state(model):  # GRU / Elman: hidden states only
            kinds, kind = kinds[1:], "hidden"
        self._acts: dict[str, np.ndarray] = {}
        narrow = {"description_width": "58px"}
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")
        self.text = widgets.Textarea(value=text, description="text", continuous_update=False, style=narrow,
                                     layout=widgets.Layout(width="98%", height="56px"))
        self.kind = widgets.ToggleButtons(options=kinds, value=kind, description="state", style=narrow)
        self.kind.style.button_width = "92px"
        # max before value: a slider clamps its value to max, so max=1 here would open every viewer on unit 1
        self.unit = widgets.IntSlider(value=unit, min=0, max=max(1, int(unit)), description="unit",
                                      continuous_update=False, style=narrow, layout=widgets.Layout(width="340px"))
        self.page = widgets.IntSlider(value=0, min=0, max=0, description="page", continuous_update=False,
                                      style=narrow, layout=widgets.Layout(width="260px"))
        self.feature = widgets.Textarea(value=FEATURE_SOURCES.get(feature, feature), description="feature",
                                        style=narrow, layout=widgets.Layout(width="98%", height="44px"))
        self.preset = widgets.Dropdown(options=["custom", *FEATURE_SOURCES], value=feature if feature in
                                       FEATURE_SOURCES else "custom", description="examples",
                                       layout=widgets.Layout(width="270px"), style={"description_width": "72px"})
        self.find = widgets.Button(description="Find units", button_style="info", icon="search")
        self.results = widgets.HTML()
        self.view = widgets.HTML(layout=widgets.Layout(max_height=f"{view_height}px", overflow="auto",
                                                       width="98%", border="1px solid #ddd"))
        self.view.add_class("course-activation-text")
        controls = widgets.HBox([self.unit, self.page, self.kind], layout=wrap)
        controls.add_class("course-activation-controls")
        search = widgets.HBox([widgets.HTML("<b>Find units</b> correlated with <code>feature(text, i)</code>:",
                                            layout=widgets.Layout(margin="0 8px 0 0")), self.preset, self.find],
                              layout=wrap)
        search.add_class("course-activation-search")
        super().__init__([controls, self.view, search, self.feature, self.results, self.text],
                         layout=widgets.Layout(max_width="100%"))
        self.add_class("course-activation-viewer")
        self.text.observe(self._on_text, names="value")
        self.kind.observe(self._on_text, names="value")
        self.unit.observe(self._render, names="value")
        self.page.observe(self._render, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.find.on_click(lambda _b: self.find_units())
        self._on_text()

    # -- compute
    def activations(self) -> np.ndarray:
        """(L, H) activations of the current text and kind (cached)."""
        key = self.kind.value
        if key not in self._acts:
            self._acts[key] = unit_activations(self.model, self.text.value, self.vocab, key)
        return self._acts[key]

    def find_units(self) -> list[tuple[int, float]]:
        """Rank units by |correlation| with the feature in the feature box; show the table; return it."""
        try:
            fn = compile_feature(self.feature.value)
            f = feature_values(fn, self.text.value, self.feature_chars)
            ranked = rank_units(self.activations()[: len(f)], f, self.top)
        except Exception as err:
            self.results.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return []
        warning = constant_feature_note(f, self.preset.value)
        if warning:  # every r is 0: say why, and leave the unit where it is
            self.results.value = warning
            return []
        self.results.value = (_units_table(ranked) +
                              f"<div style='font-size:85%'>Pearson r over the first {len(f)} characters; "
                              f"showing unit {ranked[0][0]}.</div>")
        self.unit.value = ranked[0][0]
        return ranked

    # -- events
    def _on_text(self, _change=None) -> None:
        self._acts.clear()
        if not self.text.value:
            self.view.value = "<i>type or paste a text</i>"
            return
        try:
            A = self.activations()
        except Exception as err:
            self.view.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return
        self.unit.max = A.shape[1] - 1
        self.page.max = n_pages(len(self.text.value), self.page_size) - 1
        self.page.layout.display = None if self.page.max > 0 else "none"
        self._render()

    def _on_preset(self, change) -> None:
        if change["new"] in FEATURE_SOURCES:
            self.feature.value = FEATURE_SOURCES[change["new"]]
        self.results.value = ""

    def _render(self, _change=None) -> None:
        if not self.text.value or not self._acts:
            return
        self.view.value = self.page_html()

    def page_html(self) -> str:
        """The current page of coloured text (bounded: at most ``page_size`` characters)."""
        text, A = self.text.value, self.activations()
        start, stop = page_bounds(len(text), self.page.value, self.page_size)
        unit = min(self.unit.value, A.shape[1] - 1)
        state = "cell c_t" if self.kind.value == "cell" else "hidden h_t"
        title = f"unit {unit} ({state}) · page {self.page.value + 1} of {self.page.max + 1}"
        return activation_html(text, A[:, unit], start, stop, max_chars=self.page_size, title=title)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and self.view.value:
            bundle["text/html"] = self.view.value
        return bundle


def cell_activation_viewer(model, vocab=None, text: str = "", *, kind: str = "cell", unit: int = 0,
                           page_size: int = 1500, feature: str = "position in line", static: bool | None = None,
                           **kwargs):
    """The viewer for a notebook cell (see :class:`CellActivationViewer` for the arguments).

    Without a frontend (or ``static=True``): a :class:`StaticView` with the first page of ``text`` coloured by
    ``unit`` and a table of the units best correlated with ``feature`` (ranked by |r|).
    """
    if not want_static(static):
        return CellActivationViewer(model, vocab, text, kind, unit, page_size, feature, **kwargs)
    A = unit_activations(model, text, vocab, kind)
    f = feature_values(compile_feature(FEATURE_SOURCES.get(feature, feature)), text,
                       kwargs.get("feature_chars", 5000))
    ranked = rank_units(A[: len(f)], f, kwargs.get("top", 8))
    state = "cell c_t" if kind == "cell" else "hidden h_t"
    body = activation_html(text, A[:, unit], 0, page_size, max_chars=page_size, title=f"unit {unit} ({state})")
    table = constant_feature_note(f, feature) or (
        f"<p>Units most correlated with <code>{html.escape(feature)}</code>:</p>{_units_table(ranked)}")
    return StaticView(html=body + table, title="Cell-activation viewer")


# ----------------------------------------------------------------------------------- sentiment view
def load_reviews(source: str = "sst2", split: str = "dev", n: int = 200, seed: int = 0,
                 max_chars: int = 1000) -> tuple[list[str], np.ndarray]:
    """A class-balanced random sample of ``n`` labelled reviews from :mod:`course_lib.data` (``"sst2"`` or
    ``"imdb"``; the loaders fall back to the shipped synthetic reviews offline), each cut to ``max_chars``.
    Returns ``(texts, labels (n,) int)``, label 1 = positive."""
    from course_lib.data import load_imdb, load_sst2

    data = load_sst2(split) if source == "sst2" else load_imdb(split) if source == "imdb" else None
    if data is None:
        raise ValueError(f"source must be 'sst2' or 'imdb', got {source!r}")
    rng = random.Random(seed)
    pos = [d for d in data if d[1] == 1]
    neg = [d for d in data if d[1] == 0]
    k = min(n // 2, len(pos), len(neg))
    picked = rng.sample(pos, k) + rng.sample(neg, k)
    rng.shuffle(picked)
    return [t[:max_chars] for t, _ in picked], np.array([y for _, y in picked], dtype=np.int64)


def draw_class_histogram(ax, values, labels, threshold: float | None = None, what: str = "reviews") -> None:
    """Draw one unit's values (n,) for negative (label 0) vs positive (label 1) texts on the matplotlib ``ax``
    (Radford et al. 2017, Fig. 3), with a dashed line at ``threshold`` (in the units of ``values``) if given."""
    values, labels = np.asarray(values, dtype=float), np.asarray(labels)
    bins = np.linspace(values.min(), values.max() + 1e-9, 30)
    for lab, name, color in ((0, "negative", "C3"), (1, "positive", "C2")):
        ax.hist(values[labels == lab], bins=bins, alpha=0.6, color=color,
                label=f"{name} {what} ({(labels == lab).sum()})")
    if threshold is not None:
        ax.axvline(threshold, color="k", ls="--", label="threshold")
    ax.set_ylabel(what)
    ax.legend(fontsize=8)


def sentiment_histogram(values: np.ndarray, labels: np.ndarray, unit: int) -> Figure:
    """Histogram of one unit's final value for negative vs positive reviews (Radford et al. 2017, Fig. 3)."""
    fig = Figure(figsize=(6, 3.2))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.88)
    ax = fig.add_subplot()
    draw_class_histogram(ax, values, labels)
    r = correlations(np.asarray(values, dtype=float)[:, None], np.asarray(labels).astype(float))[0]
    ax.set(xlabel=f"unit {unit}: cell state after the last character",
           title=f"Unit {unit} by class (point-biserial r = {r:+.2f})")
    return fig


class HistogramFallback:
    """Mixin for a widget with a histogram image ``self.hist``: its display bundle also carries that PNG, so a
    notebook saved with outputs shows the histogram where no widget can be rendered."""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and self.hist.value:
            bundle["image/png"] = base64.b64encode(self.hist.value).decode("ascii")
        return bundle


class SentimentNeuronView(HistogramFallback, widgets.VBox):
    """Live sentiment view of cell ``unit`` of a byte-level mLSTM (Radford et al.) or LSTM RNNLM (the course's
    ``byte_lm_imdb``; ``vocab=None`` for bytes) over labelled ``reviews``.

    Shows the histogram of the unit's final value by class, one review (chosen with ``review``) coloured by the
    unit, and a generator: ``clamp`` value (slider), ``prompt``, *Generate* -> ``generated`` text with the unit
    fixed at that value at every step (Radford et al. 2017, Table 5).
    """

    def __init__(self, model, unit: int, reviews: Sequence[str], labels, vocab=None, length: int = 200,
                 temperature: float = 0.8, max_chars: int = 1000) -> None:
        self.model, self.unit, self.vocab, self.length = model, int(unit), vocab, length
        self.reviews, self.labels = list(reviews), np.asarray(labels)
        self.values = final_unit_values(model, self.reviews, self.unit, vocab, max_chars=max_chars)
        self.hist = widgets.Image(value=figure_png(sentiment_histogram(self.values, self.labels, self.unit)),
                                  format="png", layout=widgets.Layout(width="600px"))
        self.review = widgets.IntSlider(value=0, min=0, max=len(self.reviews) - 1, description="review",
                                        continuous_update=False, layout=widgets.Layout(width="520px"))
        self.review_view = widgets.HTML()
        self.clamp = widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.1, description="clamp unit to",
                                         continuous_update=False, style={"description_width": "110px"},
                                         layout=widgets.Layout(width="520px"))
        self.prompt = widgets.Text(value="This movie ", description="prompt")
        self.temperature = widgets.FloatSlider(value=temperature, min=0.1, max=1.5, step=0.05,
                                               description="temperature", continuous_update=False)
        self.generate = widgets.Button(description="Generate", button_style="success", icon="play")
        self.generated = widgets.HTML()
        self.generated.add_class("course-generated")
        super().__init__([self.hist, self.review, self.review_view,
                          widgets.HTML(f"<b>Generation with unit {self.unit} clamped</b>"),
                          self.clamp, widgets.HBox([self.prompt, self.temperature, self.generate]), self.generated])
        self.add_class("course-sentiment-view")
        self.review.observe(self._show_review, names="value")
        self.clamp.observe(lambda _c: self.run_generation(), names="value")
        self.generate.on_click(lambda _b: self.run_generation())
        self._show_review()
        self.run_generation()

    def _show_review(self, _change=None) -> None:
        i = self.review.value
        text = self.reviews[i]
        acts = unit_activations(self.model, text, self.vocab, "cell")[:, self.unit]
        label = "positive" if self.labels[i] == 1 else "negative"
        self.review_view.value = activation_html(text, acts, max_chars=1500,
                                                 title=f"review {i} ({label}); final value {acts[-1]:+.3f}")

    def run_generation(self) -> str:
        """Generate with the current clamp value; also shows it. Returns the text (prompt excluded)."""
        try:
            out = generate_with_unit(self.model, self.prompt.value or " ", self.unit, self.clamp.value,
                                     self.length, self.temperature.value, seed=0, vocab=self.vocab)
        except Exception as err:
            self.generated.value = f"<pre style='color:#b00'>{html.escape(f'{type(err).__name__}: {err}')}</pre>"
            return ""
        self.generated.value = (f"<div style='font-family:monospace;white-space:pre-wrap'><b>"
                                f"{html.escape(self.prompt.value)}</b>{html.escape(out)}</div>"
                                f"<div style='font-size:85%'>unit {self.unit} clamped to {self.clamp.value:+.2f}</div>")
        return out



def sentiment_neuron_view(model, unit: int, reviews: Sequence[str] | None = None, labels=None, vocab=None, *,
                          static: bool | None = None, clamp_values=(-1.0, 1.0), prompt: str = "This movie ",
                          length: int = 200, **kwargs):
    """The sentiment view for a notebook cell (see :class:`SentimentNeuronView`). ``reviews``/``labels``
    default to :func:`load_reviews` (200 SST-2 dev sentences).

    Without a frontend (or ``static=True``): a :class:`StaticView` with the class histogram and one generated
    sample for each value in ``clamp_values``.
    """
    if reviews is None:
        reviews, labels = load_reviews()
    if not want_static(static):
        return SentimentNeuronView(model, unit, reviews, labels, vocab, length, **kwargs)
    values = final_unit_values(model, list(reviews), unit, vocab)
    fig = sentiment_histogram(values, np.asarray(labels), unit)
    samples = "".join(f"<p><b>unit {unit} = {v:+.1f}:</b> <code>"
                      f"{html.escape(prompt + generate_with_unit(model, prompt, unit, v, length, vocab=vocab))}"
                      "</code></p>"
                      for v in clamp_values)
    return StaticView(fig, samples, "Sentiment neuron")

