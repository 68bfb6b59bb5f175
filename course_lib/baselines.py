"""Bag-of-n-grams baselines for sentiment classification (deck 000, Part 5, "Error Rates of various IMDB Models").

Features: binarised n-gram indicators ``x̂ = 1{f > 0}`` (Wang & Manning 2012, "Baselines and Bigrams"), from
lower-cased words and single punctuation marks (:func:`tokenize`; ``!`` and ``?`` are strong sentiment cues).
With ``X: (N, F)`` the binary document-feature matrix and labels ``y ∈ {0, 1}``:

* **MNB** — multinomial naive Bayes on ``X`` (binarised MNB; Wang & Manning, section 2.1), optionally on the
  n-grams seen in at least ``min_df`` training reviews (:class:`DocFrequencyFilter`).
* **LR** — L2-regularised logistic regression on ``X`` (``weighting="binary"``) or on idf-weighted, L2-normalised
  rows of ``X`` (``weighting="tfidf"``, :func:`idf_l2`).
* **NB log-count ratio** — ``p = α + Σ_{i: y_i = 1} x̂_i``, ``q = α + Σ_{i: y_i = 0} x̂_i``,
  ``r = log((p / ‖p‖₁) / (q / ‖q‖₁))`` (their eq. 2), one number per feature: how much more often it occurs in
  positive than in negative reviews.
* **NB-LR** — logistic regression on the NB-scaled features ``r ∘ x̂`` (Wang & Manning's NBSVM with the
  logistic instead of the hinge loss; Mesnil et al. 2015).
* **NBSVM** — L2-regularised squared-hinge linear SVM on ``r ∘ x̂``, weights interpolated with their mean
  magnitude: ``w' = (1 - β) w̄ + β w``, ``w̄ = ‖w‖₁ / F`` (Wang & Manning, section 2.3; β = 0.25, C = 1), and the
  intercept interpolated the same way (:class:`NBLinear`).

Hyper-parameters that the papers do not fix (MNB's ``alpha`` and ``min_df``, LR's ``C`` and feature weighting) are
chosen on a held-out 20 % of the *training* reviews (:func:`select_on_held_out_candidates`), never on the test set.
On IMDB the held-out reviews are whole movies (``groups`` = IMDB title ids): Maas et al. (2011) put disjoint movies
in train and test, and a random split of train would reward memorising movie-specific n-grams (names, titles).

Every model is deterministic (liblinear with a fixed ``random_state``); each ``fit_*`` returns a fitted object
with ``predict(X)`` on the *unscaled* binary ``X``, and ``decision_function(X)`` (LR, NB-LR, NBSVM) or
``predict_log_proba(X)`` (MNB).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
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
# The rows of :data:`MODELS` compared with a deck number of another name.
PUBLISHED_ROW = {"mnb_123_tuned": "mnb_123_deck", "lr_uni_tuned": "lr_uni_deck", "lr_123_tuned": "lr_123_deck"}


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes) and single punctuation marks: ``"Great!!" -> great ! !``."""
    return word_tokenize(text, lower=True)


def ngram_vectorizer(ngram_range: tuple[int, int] = (1, 3), min_df: int = 1) -> CountVectorizer:
    """Binary n-gram indicators over :func:`tokenize` (``x̂ = 1{f > 0}``), float64 sparse output."""
    return CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=ngram_range,
                           binary=True, min_df=min_df, dtype=np.float64)


def ngram_order(feature_names: Sequence[str]) -> np.ndarray:
    """The order ``n`` (F,) of each n-gram feature name (tokens are joined by one space and never contain one)."""
    return np.fromiter((f.count(" ") + 1 for f in feature_names), dtype=np.int64, count=len(feature_names))


def ngram_columns(order: np.ndarray, ngram_range: tuple[int, int]) -> np.ndarray:
    """Indices of the columns whose n-gram order lies in ``ngram_range``, in column order.

    With ``min_df = 1`` the vocabulary of ``ngram_vectorizer((lo, hi))`` fitted on some texts is exactly the
    order-``lo..hi`` part of the vocabulary of a wider range fitted on the same texts, in the same (sorted) order,
    so ``X_wide[:, ngram_columns(order, (lo, hi))]`` equals the narrower vectoriser's matrix: one vectorisation
    serves every n-gram range (:func:`evaluate_all`).
    """
    lo, hi = ngram_range
    return np.flatnonzero((order >= lo) & (order <= hi))


class DocFrequencyFilter(TransformerMixin, BaseEstimator):
    """Keeps the columns of a sparse X (N, F) that are non-zero in at least ``min_df`` training rows.

    ``CountVectorizer(min_df=k)`` does the same at vectorisation time; as a pipeline step it can be tuned on a
    held-out split without vectorising again. ``keep_`` (F,) bool after ``fit``.
    """

    def __init__(self, min_df: int = 1) -> None:
        self.min_df = min_df

    def fit(self, X, y=None):
        self.keep_ = np.asarray(sp.csr_matrix(X).getnnz(axis=0)) >= self.min_df
        return self

    def transform(self, X):
        return sp.csr_matrix(X)[:, self.keep_]


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

    With ``interpolation = β`` (NBSVM, Wang & Manning section 2.3) the classifier is the β-interpolation of the
    linear model and of MNB scaled to the same weight magnitude ``w̄ = ‖w‖₁ / F``. Because the MNB score is
    ``r · x̂ + b_nb`` with the log prior ratio ``b_nb = log(N₊ / N₋)``, interpolating *scores* gives

        w' = (1 - β) w̄ + β w,        b' = (1 - β) w̄ b_nb + β b.

    The weights are Wang & Manning's ``w'``; the intercept must be interpolated with them: keeping the linear
    model's ``b`` while its weights shrink to ``β w`` inflates the bias ``1 / β``-fold relative to the weights
    (measured on a random held-out 20 % of the IMDB training reviews, uni+bigrams, C = 1: 9.5 % error with ``b``,
    7.9 % with ``b'``). ``log_prior_ratio`` is ``b_nb`` (0 for balanced classes, as on IMDB).
    """

    def __init__(self, r: np.ndarray, clf, interpolation: float | None = None, log_prior_ratio: float = 0.0) -> None:
        self.r, self.clf = r, clf
        w, b = clf.coef_.ravel(), float(clf.intercept_[0])
        if interpolation is not None:          # w' = (1 - β) w̄ + β w, w̄ = mean |w|  (NBSVM, section 2.3)
            w_bar = np.abs(w).mean()
            w = (1 - interpolation) * w_bar + interpolation * w
            b = (1 - interpolation) * w_bar * log_prior_ratio + interpolation * b
        self.coef_, self.intercept_ = w * r, b          # folded: score = (w ∘ r) · x̂ + b

    def decision_function(self, X) -> np.ndarray:
        """Scores (N,) of binary features X (N, F); > 0 means positive."""
        return np.asarray(sp.csr_matrix(X) @ self.coef_).ravel() + self.intercept_

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)


def fit_mnb(X, y, alpha: float = 1.0, min_df: int = 1):
    """Multinomial naive Bayes with add-``alpha`` smoothing on binary features (binarised MNB).

    ``min_df > 1`` first drops the n-grams seen in fewer than ``min_df`` training reviews
    (:class:`DocFrequencyFilter`), returning a ``Pipeline`` with the same ``predict`` / ``predict_log_proba``.
    Pruning matters for MNB on 1-3-grams: most of the ~5M trigram features occur once, and each of them
    still takes ``alpha`` of the smoothed probability mass ``(α + count) / (Fα + Σ count)``.
    """
    if min_df <= 1:
        return MultinomialNB(alpha=alpha).fit(X, y)
    return Pipeline([("min_df", DocFrequencyFilter(min_df)), ("mnb", MultinomialNB(alpha=alpha))]).fit(X, y)


def held_out_split(n: int, val_fraction: float = 0.2, seed: int = 0, groups=None) -> tuple[np.ndarray, np.ndarray]:
    """Seeded ``(train_rows, val_rows)`` of ``n`` rows, about ``val_fraction`` of them held out.

    Without ``groups``: a random permutation, the first ``round(val_fraction n)`` rows held out. With ``groups``
    (n,) (e.g. IMDB movie ids): whole groups are held out, in a seeded random order, until at least
    ``val_fraction n`` rows are, so that no group is on both sides.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        idx = rng.permutation(n)
        n_val = int(round(val_fraction * n))
        return idx[n_val:], idx[:n_val]
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(f"groups must have shape (N,) = ({n},), got {groups.shape}")
    uniq, inv = np.unique(groups, return_inverse=True)
    order = rng.permutation(len(uniq))
    sizes = np.bincount(inv, minlength=len(uniq))[order]
    n_groups = int(np.searchsorted(np.cumsum(sizes), val_fraction * n)) + 1
    is_val = np.isin(inv, order[:n_groups])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def _key(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def select_on_held_out_candidates(fit: Callable, X, y, candidates: Sequence[dict], val_fraction: float = 0.2,
                                  seed: int = 0, groups=None, **fixed):
    """Model selection without the test set over a list of keyword sets ``candidates``.

    Each ``fit(X_tr, y_tr, **candidate, **fixed)`` is fitted on the training part of :func:`held_out_split`
    (whole ``groups`` held out when given) and scored on the held-out part; only the columns seen in the training
    part are used, as the test set only has the training vocabulary. The first candidate of lowest held-out error
    is refitted on all rows; the model carries ``selection_ = {"selected": best, "val_error_pct": {key: error},
    "val_rows": n, "grouped": bool}``.
    """
    y = np.asarray(y)
    tr, val = held_out_split(len(y), val_fraction, seed, groups)
    X = sp.csr_matrix(X)
    X_a, X_b = X[tr], X[val]
    seen = np.flatnonzero(X_a.getnnz(axis=0) > 0)
    X_a, X_b = X_a[:, seen], X_b[:, seen]
    errors = [error_rate(fit(X_a, y[tr], **c, **fixed), X_b, y[val]) for c in candidates]
    best = dict(candidates[int(np.argmin(errors))])
    model = fit(X, y, **best, **fixed)
    val_errors = {_key(c): round(e, 3) for c, e in zip(candidates, errors, strict=True)}
    model.selection_ = {"selected": best, "val_error_pct": val_errors,
                        "val_rows": int(len(val)), "grouped": groups is not None}
    return model


def select_on_held_out(fit: Callable, X, y, param: str, values: Sequence[float], val_fraction: float = 0.2,
                       seed: int = 0, groups=None, **fixed):
    """:func:`select_on_held_out_candidates` over one parameter: ``fit(X, y, **{param: v}, **fixed)`` for each
    value (ties: the larger value). The refitted model carries ``selection_ = {param: best, "val_error_pct":
    {v: error}}``."""
    values = sorted(values, reverse=True)                       # ties (first minimum): the larger value
    model = select_on_held_out_candidates(fit, X, y, [{param: v} for v in values], val_fraction, seed, groups,
                                          **fixed)
    sel = model.selection_
    model.selection_ = {param: sel["selected"][param],
                        "val_error_pct": {v: sel["val_error_pct"][_key({param: v})] for v in values},
                        "val_rows": sel["val_rows"], "grouped": sel["grouped"]}
    return model


# Held-out grids. MNB: Wang & Manning's alpha = 1 and smaller, with and without pruning rare n-grams.
MNB_CANDIDATES = tuple({"min_df": m, "alpha": a} for m in (1, 2, 3, 5) for a in (0.1, 0.3, 1.0))
# LR: C on binary features, and on idf-weighted unit rows, whose squared norm is ~ 1 instead of ~ the number of
# distinct n-grams of a review (hundreds), hence larger C.
LR_CANDIDATES = (tuple({"weighting": "binary", "C": c} for c in (0.03, 0.1, 0.3, 1.0))
                 + tuple({"weighting": "tfidf", "C": c} for c in (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)))


def fit_mnb_tuned(X, y, alphas: Sequence[float] = (0.1, 0.3, 1.0), seed: int = 0, groups=None,
                  min_dfs: Sequence[int] = (1, 2, 3, 5)):
    """Binarised MNB with ``min_df`` and ``alpha`` chosen on 20 % of the training data
    (:func:`select_on_held_out_candidates`; whole ``groups`` held out when given)."""
    cands = [{"min_df": m, "alpha": a} for m in min_dfs for a in alphas]
    return select_on_held_out_candidates(fit_mnb, X, y, cands, seed=seed, groups=groups)


def fit_lr_tuned(X, y, Cs: Sequence[float] | None = None, seed: int = 0, groups=None,
                 candidates: Sequence[dict] = LR_CANDIDATES):
    """Logistic regression with the feature weighting and ``C`` chosen on 20 % of the training data
    (:func:`select_on_held_out_candidates` over :data:`LR_CANDIDATES`); ``Cs`` given: binary features, ``C`` only."""
    if Cs is not None:
        candidates = [{"weighting": "binary", "C": c} for c in Cs]
    return select_on_held_out_candidates(fit_lr, X, y, candidates, seed=seed, groups=groups)


def idf_l2() -> TfidfTransformer:
    """The ``weighting="tfidf"`` transform of binary rows: ``x_j = idf_j x̂_j / ‖idf ∘ x̂‖₂`` with
    ``idf_j = ln((1 + N) / (1 + df_j)) + 1`` (``df_j``: training reviews containing n-gram ``j``): rare n-grams
    weigh more, and every review has unit norm whatever its length (Manning et al. 2008, ch. 6)."""
    return TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False)


def fit_lr(X, y, C: float = 1.0, weighting: str = "binary"):
    """L2 logistic regression (liblinear, dual: F >> N), deterministic.

    ``weighting="binary"``: on ``X`` itself (a ``LogisticRegression``). ``"tfidf"``: on :func:`idf_l2` of ``X``,
    idf from the training rows (a ``Pipeline`` with the same ``predict`` / ``decision_function`` on binary X).
    """
    lr = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000, random_state=0)
    if weighting == "binary":
        return lr.fit(X, y)
    if weighting == "tfidf":
        return Pipeline([("idf", idf_l2()), ("lr", lr)]).fit(X, y)
    raise ValueError(f"weighting must be 'binary' or 'tfidf', got {weighting!r}")


def fit_nblr(X, y, C: float = 1.0, alpha: float = 1.0) -> NBLinear:
    """NB-LR: logistic regression on ``r ∘ x̂`` with ``r = nb_log_count_ratio(X, y, alpha)``."""
    r = nb_log_count_ratio(X, y, alpha)
    return NBLinear(r, fit_lr(nb_scale(X, r), y, C))


def fit_nbsvm(X, y, C: float = 1.0, beta: float = 0.25, alpha: float = 1.0) -> NBLinear:
    """NBSVM of Wang & Manning (2012): squared-hinge L2 SVM on ``r ∘ x̂``, then ``w' = (1-β) w̄ + β w`` and the
    intercept interpolated likewise (:class:`NBLinear`). Their settings: ``C = 1``, ``β = 0.25``, ``alpha = 1``."""
    y = np.asarray(y)
    r = nb_log_count_ratio(X, y, alpha)
    svm = LinearSVC(C=C, loss="squared_hinge", dual=True, max_iter=5000, random_state=0).fit(nb_scale(X, r), y)
    log_prior = float(np.log(np.sum(y == 1) / np.sum(y == 0)))
    return NBLinear(r, svm, interpolation=beta, log_prior_ratio=log_prior)


def error_rate(model, X, y) -> float:
    """Test error in percent."""
    return float(100.0 * np.mean(model.predict(X) != np.asarray(y)))


def _timed(fn: Callable, *args, **kw):
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args, **kw)
    return out, {"cpu_seconds": time.process_time() - c, "wall_seconds": time.perf_counter() - w}


MODELS: dict[str, tuple[Callable, dict, tuple[int, int]]] = {
    # name: (fit function, keyword arguments, n-gram range). Plain rows: fixed settings (Wang & Manning's alpha = 1;
    # C = 0.1). "_tuned" rows: settings chosen on held-out training data (groups = movies on IMDB).
    "mnb_uni": (fit_mnb, {}, (1, 1)),
    "mnb_bi": (fit_mnb, {}, (1, 2)),
    "mnb_123": (fit_mnb, {}, (1, 3)),
    "mnb_123_tuned": (fit_mnb_tuned, {}, (1, 3)),
    "lr_uni": (fit_lr, {"C": 0.1}, (1, 1)),
    "lr_uni_tuned": (fit_lr_tuned, {}, (1, 1)),
    "lr_123": (fit_lr, {"C": 0.1}, (1, 3)),
    "lr_123_tuned": (fit_lr_tuned, {}, (1, 3)),
    "nbsvm_bi": (fit_nbsvm, {"C": 1.0, "beta": 0.25}, (1, 2)),
    "nbsvm_123": (fit_nbsvm, {"C": 1.0, "beta": 0.25}, (1, 3)),
    "nblr_123": (fit_nblr, {"C": 1.0}, (1, 3)),
}


def _json_params(params: dict) -> dict:
    return {k: v for k, v in params.items() if k != "groups"}


def evaluate_all(train: Sequence[tuple[str, int]], test: Sequence[tuple[str, int]],
                 models: Sequence[str] = tuple(MODELS), log: Callable[[str], None] = print, groups=None) -> dict:
    """Fit every model of :data:`MODELS` on ``train`` ``[(text, label)]`` and measure its ``test`` error.

    One vectoriser over the widest n-gram range is fitted on the training texts (vocabulary from train only); each
    model uses its range's columns (:func:`ngram_columns`, identical to vectorising that range alone).
    ``groups`` (len(train),), e.g. IMDB movie ids, go to the ``_tuned`` models' held-out split.
    Returns ``{"models": {name: {error_pct, published, n_features, fit/vectorise CPU and wall seconds}}, ...}``.
    """
    y_tr, y_te = np.array([y for _, y in train]), np.array([y for _, y in test])
    widest = (min(MODELS[m][2][0] for m in models), max(MODELS[m][2][1] for m in models))
    vec = ngram_vectorizer(widest)
    (X_tr, X_te), t_vec = _timed(lambda v=vec: (v.fit_transform([x for x, _ in train]).tocsr(),
                                                v.transform([x for x, _ in test]).tocsr()))
    order = ngram_order(vec.get_feature_names_out())
    del vec                                                     # the vocabulary dict is the largest object
    log(f"[baselines] {widest}-grams: {X_tr.shape[1]:,} features, {t_vec['cpu_seconds']:.0f} CPU-s")
    results, cols = {}, {}
    for name in models:
        fit, kwargs, ngrams = MODELS[name]
        if ngrams not in cols:
            c = ngram_columns(order, ngrams)
            cols = {ngrams: (c, X_tr[:, c], X_te[:, c])}        # keep one sliced feature set at a time
        _, Xa, Xb = cols[ngrams]
        kw = {**kwargs, "groups": groups} if name.endswith("_tuned") else kwargs
        model, t_fit = _timed(fit, Xa, y_tr, **kw)
        err = error_rate(model, Xb, y_te)
        params = _json_params(kwargs)
        if hasattr(model, "selection_"):
            params = {**params, **model.selection_}             # selected settings, held-out errors
        results[name] = {"error_pct": err, "ngram_range": list(ngrams), "params": params,
                         "n_features": int(Xa.shape[1]), "fit": t_fit, "vectorise": t_vec,
                         "published": PUBLISHED.get(PUBLISHED_ROW.get(name, name))}
        log(f"[baselines] {name}: test error {err:.2f} % (fit {t_fit['cpu_seconds']:.0f} CPU-s)")
    return {"data": f"IMDB train {len(train):,} / test {len(test):,}", "tokenizer": "tokenize (lower-cased "
            "words and punctuation marks), binary n-gram indicators", "models": results, "published": PUBLISHED,
            "validation": "held-out 20 % of the training reviews" + (", whole movies" if groups is not None else "")}
