"""Bag-of-n-grams baselines for sentiment classification (deck 000, Part 5, "Error Rates of various IMDB Models").

Features: binarised n-gram indicators ``x̂ = 1{f > 0}`` (Wang & Manning 2012, "Baselines and Bigrams"), from
lower-cased words and single punctuation marks (:func:`tokenize`; ``!`` and ``?`` are strong sentiment cues).
With ``X: (N, F)`` the binary document-feature matrix and labels ``y ∈ {0, 1}``:

* **MNB** — multinomial naive Bayes on ``X`` (binarised MNB; Wang & Manning, section 2.1).
* **LR** — L2-regularised logistic regression on ``X``.
* **NB log-count ratio** — ``p = α + Σ_{i: y_i = 1} x̂_i``, ``q = α + Σ_{i: y_i = 0} x̂_i``,
  ``r = log((p / ‖p‖₁) / (q / ‖q‖₁))`` (their eq. 2), one number per feature: how much more often it occurs in
  positive than in negative reviews.
* **NB-LR** — logistic regression on the NB-scaled features ``r ∘ x̂`` (Wang & Manning's NBSVM with the
  logistic instead of the hinge loss; Mesnil et al. 2015).
* **NBSVM** — L2-regularised squared-hinge linear SVM on ``r ∘ x̂``, weights interpolated with their mean
  magnitude: ``w' = (1 - β) w̄ + β w``, ``w̄ = ‖w‖₁ / F`` (Wang & Manning, section 2.3; β = 0.25, C = 1).

Every model is deterministic (liblinear with a fixed ``random_state``); each ``fit_*`` returns a fitted object
with ``predict(X)`` and ``decision_function(X)`` on the *unscaled* binary ``X``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from course_lib.data import word_tokenize

# Published IMDB test error rates (%) the course compares with (deck 000, Part 5; the papers' tables).
PUBLISHED = {
    "mnb_uni": (16.45, "Wang & Manning 2012, Table 3: MNB-uni 83.55 % accuracy"),
    "mnb_bi": (13.41, "Wang & Manning 2012, Table 3: MNB-bi 86.59 % accuracy"),
    "mnb_123_deck": (11.6, "deck 000, Part 5: binary MNB on 2-3-grams, 11.6 % (the course's assignment number)"),
    "lr_uni_deck": (11.5, "deck 000, Part 5: logistic regression on 1-grams"),
    "lr_123_deck": (9.3, "deck 000, Part 5: logistic regression on 1-3-grams"),
    "nbsvm_bi": (8.78, "Wang & Manning 2012, Table 3: NBSVM-bi 91.22 % accuracy"),
    "nbsvm_123": (8.13, "Mesnil et al. 2015: NBSVM on uni+bi+trigrams, 91.87 % accuracy"),
}


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes) and single punctuation marks: ``"Great!!" -> great ! !``."""
    return word_tokenize(text, lower=True)


def ngram_vectorizer(ngram_range: tuple[int, int] = (1, 3), min_df: int = 1) -> CountVectorizer:
    """Binary n-gram indicators over :func:`tokenize` (``x̂ = 1{f > 0}``), float64 sparse output."""
    return CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=ngram_range,
                           binary=True, min_df=min_df, dtype=np.float64)


def nb_log_count_ratio(X, y: Sequence[int], alpha: float = 1.0) -> np.ndarray:
    """Wang & Manning's log-count ratio ``r`` (F,) from binary features X (N, F) and labels y (N,) in {0, 1}.

    ``p = α + Σ_{y=1} x̂``, ``q = α + Σ_{y=0} x̂``, ``r = log(p / ‖p‖₁) - log(q / ‖q‖₁)``.
    """
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only 0 and 1")
    X = sp.csr_matrix(X)
    p = alpha + np.asarray(X[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(X[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_scale(X, r: np.ndarray):
    """The NB-scaled features ``r ∘ x̂``: column ``j`` of X (N, F) multiplied by ``r[j]``; sparse (N, F)."""
    return sp.csr_matrix(X) @ sp.diags(r)


class NBLinear:
    """A linear classifier over NB-scaled features: ``score(x̂) = w · (r ∘ x̂) + b`` (Wang & Manning 2012).

    ``clf`` is a fitted scikit-learn linear model (``coef_`` (1, F), ``intercept_`` (1,)); ``r`` (F,) the ratio.
    """

    def __init__(self, r: np.ndarray, clf, interpolation: float | None = None) -> None:
        self.r, self.clf = r, clf
        w = clf.coef_.ravel()
        if interpolation is not None:          # w' = (1 - β) w̄ + β w, w̄ = mean |w|  (NBSVM, section 2.3)
            w = (1 - interpolation) * np.abs(w).mean() + interpolation * w
        self.coef_, self.intercept_ = w * r, float(clf.intercept_[0])   # folded: score = (w ∘ r) · x̂ + b

    def decision_function(self, X) -> np.ndarray:
        """Scores (N,) of binary features X (N, F); > 0 means positive."""
        return np.asarray(sp.csr_matrix(X) @ self.coef_).ravel() + self.intercept_

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)


def fit_mnb(X, y, alpha: float = 1.0) -> MultinomialNB:
    """Multinomial naive Bayes with add-``alpha`` smoothing on binary features (binarised MNB)."""
    return MultinomialNB(alpha=alpha).fit(X, y)


def select_on_held_out(fit: Callable, X, y, param: str, values: Sequence[float], val_fraction: float = 0.2,
                       seed: int = 0, **fixed):
    """Model selection without the test set: fit ``fit(X, y, **{param: v}, **fixed)`` on a seeded
    ``1 - val_fraction`` of the *training* rows for each value, score the held-out rest, refit the best value on
    all rows. The refitted model carries ``selection_ = {param: best, "val_error_pct": {v: error}}``."""
    y = np.asarray(y)
    idx = np.random.default_rng(seed).permutation(len(y))
    n_val = int(round(val_fraction * len(y)))
    val, tr = idx[:n_val], idx[n_val:]
    errors = {v: error_rate(fit(X[tr], y[tr], **{param: v}, **fixed), X[val], y[val]) for v in values}
    best = min(values, key=lambda v: (errors[v], -v))          # ties: the larger value
    model = fit(X, y, **{param: best}, **fixed)
    model.selection_ = {param: best, "val_error_pct": errors}
    return model


def fit_mnb_tuned(X, y, alphas: Sequence[float] = (0.1, 0.25, 0.5, 1.0), seed: int = 0) -> MultinomialNB:
    """Binarised MNB with ``alpha`` chosen on 20 % of the training data (:func:`select_on_held_out`)."""
    return select_on_held_out(fit_mnb, X, y, "alpha", alphas, seed=seed)


def fit_lr_tuned(X, y, Cs: Sequence[float] = (0.03, 0.1, 0.3, 1.0), seed: int = 0) -> LogisticRegression:
    """Logistic regression with ``C`` chosen on 20 % of the training data (:func:`select_on_held_out`)."""
    return select_on_held_out(fit_lr, X, y, "C", Cs, seed=seed)


def fit_lr(X, y, C: float = 1.0) -> LogisticRegression:
    """L2 logistic regression (liblinear, dual: F >> N), deterministic."""
    return LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000, random_state=0).fit(X, y)


def fit_nblr(X, y, C: float = 1.0, alpha: float = 1.0) -> NBLinear:
    """NB-LR: logistic regression on ``r ∘ x̂`` with ``r = nb_log_count_ratio(X, y, alpha)``."""
    r = nb_log_count_ratio(X, y, alpha)
    return NBLinear(r, fit_lr(nb_scale(X, r), y, C))


def fit_nbsvm(X, y, C: float = 1.0, beta: float = 0.25, alpha: float = 1.0) -> NBLinear:
    """NBSVM of Wang & Manning (2012): squared-hinge L2 SVM on ``r ∘ x̂``, then ``w' = (1-β) w̄ + β w``."""
    r = nb_log_count_ratio(X, y, alpha)
    svm = LinearSVC(C=C, loss="squared_hinge", dual=True, max_iter=5000, random_state=0).fit(nb_scale(X, r), y)
    return NBLinear(r, svm, interpolation=beta)


def error_rate(model, X, y) -> float:
    """Test error in percent."""
    return float(100.0 * np.mean(model.predict(X) != np.asarray(y)))


def _timed(fn: Callable, *args, **kw):
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args, **kw)
    return out, {"cpu_seconds": time.process_time() - c, "wall_seconds": time.perf_counter() - w}


MODELS: dict[str, tuple[Callable, dict, tuple[int, int]]] = {
    # name: (fit function, keyword arguments, n-gram range)
    "mnb_uni": (fit_mnb, {}, (1, 1)),
    "mnb_bi": (fit_mnb, {}, (1, 2)),
    "mnb_123": (fit_mnb, {}, (1, 3)),
    "mnb_123_tuned": (fit_mnb_tuned, {}, (1, 3)),
    "lr_uni": (fit_lr, {"C": 0.1}, (1, 1)),
    "lr_uni_tuned": (fit_lr_tuned, {}, (1, 1)),
    "lr_123": (fit_lr, {"C": 0.1}, (1, 3)),
    "nbsvm_bi": (fit_nbsvm, {"C": 1.0, "beta": 0.25}, (1, 2)),
    "nbsvm_123": (fit_nbsvm, {"C": 1.0, "beta": 0.25}, (1, 3)),
    "nblr_123": (fit_nblr, {"C": 1.0}, (1, 3)),
}


def evaluate_all(train: Sequence[tuple[str, int]], test: Sequence[tuple[str, int]],
                 models: Sequence[str] = tuple(MODELS), log: Callable[[str], None] = print) -> dict:
    """Fit every model of :data:`MODELS` on ``train`` ``[(text, label)]`` and measure its ``test`` error.

    The vectoriser of each n-gram range is fitted once on the training texts (vocabulary from train only).
    Returns ``{"models": {name: {error_pct, published, n_features, fit/vectorise CPU and wall seconds}}, ...}``.
    """
    y_tr, y_te = np.array([y for _, y in train]), np.array([y for _, y in test])
    feats, results = {}, {}
    for name in sorted(models, key=lambda m: MODELS[m][2]):      # grouped by n-gram range: vectorise once each
        fit, kwargs, ngrams = MODELS[name]
        if ngrams not in feats:
            vec = ngram_vectorizer(ngrams)
            (X_tr, X_te), t = _timed(lambda v=vec: (v.fit_transform([x for x, _ in train]),
                                                    v.transform([x for x, _ in test])))
            feats = {ngrams: (X_tr, X_te, t)}          # keep one feature set in memory at a time
            log(f"[baselines] {ngrams}-grams: {X_tr.shape[1]:,} features, {t['cpu_seconds']:.0f} CPU-s")
        X_tr, X_te, t_vec = feats[ngrams]
        model, t_fit = _timed(fit, X_tr, y_tr, **kwargs)
        err = error_rate(model, X_te, y_te)
        if hasattr(model, "selection_"):
            kwargs = {**kwargs, "selected": model.selection_}
        results[name] = {"error_pct": err, "ngram_range": list(ngrams), "params": kwargs,
                         "n_features": int(X_tr.shape[1]), "fit": t_fit, "vectorise": t_vec,
                         "published": PUBLISHED.get(name)}
        log(f"[baselines] {name}: test error {err:.2f} % (fit {t_fit['cpu_seconds']:.0f} CPU-s)")
    return {"data": f"IMDB train {len(train):,} / test {len(test):,}", "tokenizer": "tokenize (lower-cased "
            "words and punctuation marks), binary n-gram indicators", "models": results, "published": PUBLISHED}
