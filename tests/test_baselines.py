"""course_lib.baselines: NB log-count ratio by hand, NB scaling inside NB-LR / NBSVM, determinism, tokenisation.

Data: the shipped synthetic reviews (data/synthetic/reviews_long.tsv, 200 / 200), read directly: no download.
"""

import csv
import io

import numpy as np
import pytest
import scipy.sparse as sp

from course_lib import baselines as B
from course_lib.data.synthetic import synthetic_text


@pytest.fixture(scope="module")
def reviews():
    rows = list(csv.DictReader(io.StringIO(synthetic_text("reviews_long.tsv")), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    split = {s: [(r["text"], int(r["label"])) for r in rows if r["split"] == s] for s in ("train", "test")}
    vec = B.ngram_vectorizer((1, 3))
    X_tr = vec.fit_transform([t for t, _ in split["train"]])
    X_te = vec.transform([t for t, _ in split["test"]])
    y_tr = np.array([y for _, y in split["train"]])
    y_te = np.array([y for _, y in split["test"]])
    return vec, X_tr, y_tr, X_te, y_te


def test_tokenize_lowercases_and_keeps_punctuation():
    assert B.tokenize("Great film!! Didn't LOVE it?") == ["great", "film", "!", "!", "didn't", "love", "it", "?"]


def test_vectorizer_is_binary_over_1_to_3_grams():
    vec = B.ngram_vectorizer((1, 3))
    X = vec.fit_transform(["Bad bad BAD!", "good"]).toarray()
    voc = vec.vocabulary_
    assert X[0, voc["bad"]] == 1.0 and X[0, voc["bad bad"]] == 1.0      # counts binarised: x̂ = 1{f > 0}
    assert X[0, voc["bad bad bad"]] == 1.0 and X[0, voc["bad !"]] == 1.0
    assert X[1].sum() == 1.0 and "bad bad !" in voc


def test_nb_log_count_ratio_matches_hand_computation():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=float))
    y = np.array([1, 1, 0])
    # alpha = 1: p = 1 + (2, 1, 0) = (3, 2, 1), |p| = 6; q = 1 + (0, 1, 1) = (1, 2, 2), |q| = 5
    expected = np.log(np.array([3, 2, 1]) / 6) - np.log(np.array([1, 2, 2]) / 5)
    np.testing.assert_allclose(B.nb_log_count_ratio(X, y), expected, rtol=1e-12)
    # alpha = 0.5: p = (2.5, 1.5, 0.5), |p| = 4.5; q = (0.5, 1.5, 1.5), |q| = 3.5
    expected = np.log(np.array([2.5, 1.5, 0.5]) / 4.5) - np.log(np.array([0.5, 1.5, 1.5]) / 3.5)
    np.testing.assert_allclose(B.nb_log_count_ratio(X, y, alpha=0.5), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="0 and 1"):
        B.nb_log_count_ratio(X, np.array([1, 2, 0]))
    with pytest.raises(ValueError, match="rows"):
        B.nb_log_count_ratio(X, np.array([1, 0]))


def test_nb_scale_multiplies_columns_by_r():
    X = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 1]], dtype=float))
    r = np.array([2.0, -1.0, 0.5])
    np.testing.assert_allclose(B.nb_scale(X, r).toarray(), [[2.0, 0.0, 0.5], [0.0, -1.0, 0.5]])


def test_nblr_is_logistic_regression_on_ratio_scaled_features(reviews):
    _, X_tr, y_tr, X_te, _ = reviews
    model = B.fit_nblr(X_tr, y_tr, C=1.0)
    r = B.nb_log_count_ratio(X_tr, y_tr)
    np.testing.assert_allclose(model.r, r)
    direct = B.fit_lr(B.nb_scale(X_tr, r), y_tr, C=1.0)         # the same LR fitted on r ∘ x̂ by hand
    np.testing.assert_allclose(model.clf.coef_, direct.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.decision_function(X_te), direct.decision_function(B.nb_scale(X_te, r)),
                               rtol=1e-9, atol=1e-9)
    plain = B.fit_lr(X_tr, y_tr, C=1.0)                           # and not the LR on unscaled features
    assert not np.allclose(model.decision_function(X_te), plain.decision_function(X_te))


def test_nbsvm_interpolates_weights(reviews):
    _, X_tr, y_tr, X_te, _ = reviews
    model = B.fit_nbsvm(X_tr, y_tr, C=1.0, beta=0.25)
    w = model.clf.coef_.ravel()
    w_interp = 0.75 * np.abs(w).mean() + 0.25 * w
    np.testing.assert_allclose(model.coef_, w_interp * model.r)
    x = X_te[:3]
    expected = B.nb_scale(x, model.r) @ w_interp + model.clf.intercept_[0]
    np.testing.assert_allclose(model.decision_function(x), expected, rtol=1e-10)
    full = B.fit_nbsvm(X_tr, y_tr, C=1.0, beta=1.0)               # beta = 1: plain SVM on r ∘ x̂
    np.testing.assert_allclose(full.decision_function(x), full.clf.decision_function(B.nb_scale(x, full.r)),
                               rtol=1e-10)


@pytest.mark.parametrize("name", ["mnb_123", "lr_123", "nblr_123", "nbsvm_123"])
def test_models_are_deterministic_and_learn(reviews, name):
    _, X_tr, y_tr, X_te, y_te = reviews
    fit, kwargs, _ = B.MODELS[name]
    a, b = fit(X_tr, y_tr, **kwargs), fit(X_tr, y_tr, **kwargs)
    sa = a.predict_log_proba(X_te)[:, 1] if name.startswith("mnb") else a.decision_function(X_te)
    sb = b.predict_log_proba(X_te)[:, 1] if name.startswith("mnb") else b.decision_function(X_te)
    np.testing.assert_array_equal(sa, sb)
    assert B.error_rate(a, X_te, y_te) < 30.0          # chance is 50 %: the synthetic reviews are learnable


def test_evaluate_all_reports_every_model(reviews):
    rows = list(csv.DictReader(io.StringIO(synthetic_text("reviews_long.tsv")), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    split = {s: [(r["text"], int(r["label"])) for r in rows if r["split"] == s] for s in ("train", "test")}
    out = B.evaluate_all(split["train"], split["test"], models=("mnb_uni", "nblr_123"), log=lambda s: None)
    assert set(out["models"]) == {"mnb_uni", "nblr_123"}
    _, X_tr, y_tr, X_te, y_te = reviews
    ref = B.error_rate(B.fit_nblr(X_tr, y_tr, C=1.0), X_te, y_te)
    assert out["models"]["nblr_123"]["error_pct"] == pytest.approx(ref)
    assert out["models"]["nblr_123"]["n_features"] == X_tr.shape[1]


def test_mnb_alpha_is_selected_on_held_out_training_data_then_refitted(reviews):
    _, X_tr, y_tr, _, _ = reviews
    model = B.fit_mnb_tuned(X_tr, y_tr, alphas=(0.01, 1.0, 100.0), seed=3)
    sel = model.selection_
    assert set(sel["val_error_pct"]) == {0.01, 1.0, 100.0}
    assert sel["val_error_pct"][sel["alpha"]] == min(sel["val_error_pct"].values())
    idx = np.random.default_rng(3).permutation(len(y_tr))
    val, tr = idx[:40], idx[40:]                                  # 20 % of the 200 training reviews
    by_hand = B.error_rate(B.fit_mnb(X_tr[tr], y_tr[tr], 100.0), X_tr[val], y_tr[val])
    assert sel["val_error_pct"][100.0] == pytest.approx(by_hand)
    refit = B.fit_mnb(X_tr, y_tr, sel["alpha"])                     # final model: all training data
    np.testing.assert_array_equal(model.feature_log_prob_, refit.feature_log_prob_)
