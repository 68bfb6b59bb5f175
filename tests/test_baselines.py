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
    # the intercept is interpolated too: b' = (1 - β) w̄ log(N+/N-) + β b (MNB's prior ratio scaled by w̄)
    log_prior = np.log(np.sum(y_tr == 1) / np.sum(y_tr == 0))
    b_interp = 0.75 * np.abs(w).mean() * log_prior + 0.25 * model.clf.intercept_[0]
    x = X_te[:3]
    expected = B.nb_scale(x, model.r) @ w_interp + b_interp
    np.testing.assert_allclose(model.decision_function(x), expected, rtol=1e-10)
    rows = np.r_[np.flatnonzero(y_tr == 0)[10:], np.flatnonzero(y_tr == 1)]   # unbalanced: the prior term is > 0
    skewed = B.fit_nbsvm(X_tr[rows], y_tr[rows], C=1.0, beta=0.25)
    w_s, y_s = skewed.clf.coef_.ravel(), y_tr[rows]
    b_s = 0.75 * np.abs(w_s).mean() * np.log(np.sum(y_s == 1) / np.sum(y_s == 0)) + 0.25 * skewed.clf.intercept_[0]
    assert skewed.intercept_ == pytest.approx(b_s, rel=1e-12) and np.sum(y_s == 1) != np.sum(y_s == 0)
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
    model = B.fit_mnb_tuned(X_tr, y_tr, alphas=(0.01, 1.0, 100.0), min_dfs=(1, 2), seed=3)
    sel = model.selection_
    assert set(sel["val_error_pct"]) == {f"min_df={m}, alpha={a}" for m in (1, 2) for a in (0.01, 1.0, 100.0)}
    best = sel["selected"]
    assert sel["val_error_pct"][f"min_df={best['min_df']}, alpha={best['alpha']}"] == min(sel["val_error_pct"].values())
    idx = np.random.default_rng(3).permutation(len(y_tr))
    val, tr = idx[:40], idx[40:]                                  # 20 % of the 200 training reviews
    seen = np.flatnonzero(X_tr[tr].getnnz(axis=0) > 0)            # the held-out rows only see the training vocabulary
    by_hand = B.error_rate(B.fit_mnb(X_tr[tr][:, seen], y_tr[tr], 100.0, min_df=2), X_tr[val][:, seen], y_tr[val])
    assert sel["val_error_pct"]["min_df=2, alpha=100.0"] == pytest.approx(by_hand, abs=1e-3)   # 3 decimals
    refit = B.fit_mnb(X_tr, y_tr, best["alpha"], min_df=best["min_df"])   # final model: all training data
    np.testing.assert_array_equal(model.predict_log_proba(X_tr), refit.predict_log_proba(X_tr))
    assert sel["val_rows"] == 40 and not sel["grouped"]


def test_select_on_held_out_one_parameter_keeps_values_as_keys(reviews):
    _, X_tr, y_tr, _, _ = reviews
    model = B.select_on_held_out(B.fit_lr, X_tr, y_tr, "C", (0.01, 1.0), seed=1)
    assert set(model.selection_["val_error_pct"]) == {0.01, 1.0}
    errs = model.selection_["val_error_pct"]
    assert errs[model.selection_["C"]] == min(errs.values())
    assert model.C == model.selection_["C"]


def test_held_out_split_keeps_groups_on_one_side():
    groups = np.repeat(np.arange(40), np.arange(40) % 7 + 1)      # 40 "movies" with 1..7 reviews each
    n = len(groups)
    tr, val = B.held_out_split(n, 0.2, seed=0, groups=groups)
    assert sorted(np.r_[tr, val].tolist()) == list(range(n))       # a partition of the rows
    assert not set(groups[tr]) & set(groups[val])                  # no movie on both sides
    assert 0.2 * n <= len(val) < 0.2 * n + 7                       # just over the fraction (one group at most)
    tr2, val2 = B.held_out_split(n, 0.2, seed=0, groups=groups)
    np.testing.assert_array_equal(val, val2)                       # seeded
    tr_r, val_r = B.held_out_split(n, 0.2, seed=0)
    assert len(val_r) == round(0.2 * n) and len(tr_r) == n - len(val_r)
    with pytest.raises(ValueError, match="groups"):
        B.held_out_split(n, 0.2, groups=groups[:-1])


def test_tuned_lr_with_groups_selects_on_whole_groups(reviews):
    _, X_tr, y_tr, X_te, y_te = reviews
    groups = np.arange(len(y_tr)) // 4                             # groups of 4 consecutive reviews
    cands = [{"weighting": "binary", "C": 0.1}, {"weighting": "tfidf", "C": 10.0}]
    model = B.fit_lr_tuned(X_tr, y_tr, groups=groups, candidates=cands)
    sel = model.selection_
    assert sel["grouped"] and set(sel["val_error_pct"]) == {"weighting=binary, C=0.1", "weighting=tfidf, C=10.0"}
    tr, val = B.held_out_split(len(y_tr), 0.2, 0, groups)
    seen = np.flatnonzero(X_tr[tr].getnnz(axis=0) > 0)
    by_hand = B.error_rate(B.fit_lr(X_tr[tr][:, seen], y_tr[tr], C=10.0, weighting="tfidf"), X_tr[val][:, seen],
                           y_tr[val])
    assert sel["val_error_pct"]["weighting=tfidf, C=10.0"] == pytest.approx(by_hand, abs=1e-3)   # 3 decimals
    assert B.error_rate(model, X_te, y_te) < 30.0


def test_tfidf_lr_is_lr_on_idf_weighted_unit_rows(reviews):
    _, X_tr, y_tr, X_te, _ = reviews
    model = B.fit_lr(X_tr, y_tr, C=10.0, weighting="tfidf")
    n, df = X_tr.shape[0], np.asarray(X_tr.getnnz(axis=0))
    idf = np.log((1 + n) / (1 + df)) + 1                          # smoothed idf from the training rows
    def weigh(X):
        Z = X @ sp.diags(idf)
        return sp.diags(1 / np.sqrt(np.asarray(Z.multiply(Z).sum(axis=1)).ravel())) @ Z
    assert np.allclose(sp.linalg.norm(weigh(X_te), axis=1), 1.0)
    direct = B.fit_lr(weigh(X_tr), y_tr, C=10.0)
    np.testing.assert_allclose(model.decision_function(X_te), direct.decision_function(weigh(X_te)), rtol=1e-8,
                               atol=1e-10)
    with pytest.raises(ValueError, match="weighting"):
        B.fit_lr(X_tr, y_tr, weighting="bm25")


def test_mnb_min_df_drops_rare_ngrams(reviews):
    vec, X_tr, y_tr, X_te, _ = reviews
    model = B.fit_mnb(X_tr, y_tr, alpha=0.5, min_df=3)
    keep = np.asarray(X_tr.getnnz(axis=0)) >= 3
    assert 0 < keep.sum() < X_tr.shape[1]
    direct = B.fit_mnb(X_tr[:, keep], y_tr, alpha=0.5)
    np.testing.assert_allclose(model.predict_log_proba(X_te), direct.predict_log_proba(X_te[:, keep]), rtol=1e-12)
    assert not np.allclose(model.predict_log_proba(X_te), B.fit_mnb(X_tr, y_tr, 0.5).predict_log_proba(X_te))


def test_ngram_columns_equal_a_narrower_vectoriser():
    texts = ["Great film!! Didn't love it?", "bad bad acting , great score", "the end . it was great"]
    wide = B.ngram_vectorizer((1, 3))
    X = wide.fit_transform(texts)
    order = B.ngram_order(wide.get_feature_names_out())
    assert set(order.tolist()) == {1, 2, 3}
    for rng in ((1, 1), (1, 2), (2, 3)):
        narrow = B.ngram_vectorizer(rng)
        Xn = narrow.fit_transform(texts)
        cols = B.ngram_columns(order, rng)
        assert list(wide.get_feature_names_out()[cols]) == list(narrow.get_feature_names_out())
        np.testing.assert_array_equal(X[:, cols].toarray(), Xn.toarray())


def test_imdb_movie_ids_group_train_reviews_by_movie_disjoint_from_test(data_mirror):
    from course_lib.tasks.imdb import imdb_movie_ids

    train, test = imdb_movie_ids("train"), imdb_movie_ids("test")
    assert train.shape == test.shape == (25_000,)
    assert len(np.unique(train)) == 3_456                          # Maas et al.: at most 30 reviews per movie
    assert np.bincount(np.unique(train, return_inverse=True)[1]).max() <= 30
    # the official split has disjoint movies; by the archive's url lists all but one title id (2 train / 23 test
    # reviews) is on one side only
    assert len(set(train.tolist()) & set(test.tolist())) <= 1
    tr, val = B.held_out_split(len(train), 0.2, seed=0, groups=train)
    assert not set(train[tr].tolist()) & set(train[val].tolist())
