"""Tests for course_lib.reference.crf: brute force over all K^T tag sequences, pytorch-crf, finite
differences, torch autograd of our torch CRF layer, numerical stability, masks and bad input."""

import itertools

import numpy as np
import pytest
import torch
import torchcrf

from course_lib.models.crf import CRF
from course_lib.reference import crf as R
from course_lib.reference.gradcheck import numerical_gradient, rel_error

FD_TOL = 1e-7  # centred finite differences, float64
# As in test_reference_lstm: centred differences carry an absolute round-off of ~1e-10 on an O(1) loss, so the
# denominator of rel_error is floored at FD_EPS (entries below it must agree to FD_TOL * FD_EPS absolutely).
FD_EPS = 1e-3
AD_TOL = 1e-10  # torch autograd / pytorch-crf, float64


def make_problem(rng, lengths, T, K, scale=1.0):
    """Random float64 CRF problem with left-aligned ragged masks; padded entries hold garbage on purpose."""
    N = len(lengths)
    em = rng.normal(scale=scale, size=(N, T, K))
    tags = rng.integers(0, K, size=(N, T))
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    tr = rng.normal(scale=scale, size=(K, K))
    st = rng.normal(scale=scale, size=K)
    en = rng.normal(scale=scale, size=K)
    return em, tags, mask, tr, st, en


def torchcrf_with(tr, st, en):
    crf = torchcrf.CRF(tr.shape[0], batch_first=True).double()
    with torch.no_grad():
        crf.transitions.copy_(torch.from_numpy(tr))
        crf.start_transitions.copy_(torch.from_numpy(st))
        crf.end_transitions.copy_(torch.from_numpy(en))
    return crf


def brute_force(em_n, L, tr, st, en):
    """Enumerate all K^L tag sequences of one sentence: log Z, node/pair marginals, best path and score."""
    K = tr.shape[0]
    seqs = list(itertools.product(range(K), repeat=L))
    scores = []
    for y in seqs:
        s = st[y[0]] + em_n[0, y[0]] + en[y[-1]]
        for t in range(1, L):
            s += tr[y[t - 1], y[t]] + em_n[t, y[t]]
        scores.append(s)
    scores = np.array(scores)
    log_z = np.logaddexp.reduce(scores)
    p = np.exp(scores - log_z)
    node = np.zeros((L, K))
    pair = np.zeros((max(L - 1, 0), K, K))
    for y, py in zip(seqs, p, strict=True):
        for t in range(L):
            node[t, y[t]] += py
        for t in range(L - 1):
            pair[t, y[t], y[t + 1]] += py
    best = int(np.argmax(scores))
    return log_z, node, pair, list(seqs[best]), scores[best], dict(zip(seqs, scores, strict=True))


LENGTHS = [4, 2, 1, 3]  # K = 3, T = 4: 81 sequences at most


def test_against_brute_force_enumeration():
    rng = np.random.default_rng(0)
    em, tags, mask, tr, st, en = make_problem(rng, LENGTHS, T=4, K=3)
    node, pair, log_z = R.marginals(em, mask, tr, st, en)
    paths, best = R.viterbi_decode(em, mask, tr, st, en)
    score = R.sequence_score(em, tags, mask, tr, st, en)
    np.testing.assert_allclose(R.log_partition(em, mask, tr, st, en), log_z, rtol=1e-14)
    for n, L in enumerate(LENGTHS):
        bz, bnode, bpair, bpath, bbest, table = brute_force(em[n], L, tr, st, en)
        assert abs(log_z[n] - bz) < 1e-12
        np.testing.assert_allclose(node[n, :L], bnode, atol=1e-13)
        np.testing.assert_allclose(pair[n, : L - 1], bpair, atol=1e-13)
        assert np.all(node[n, L:] == 0) and np.all(pair[n, L - 1:] == 0)   # zero at padded positions
        assert paths[n] == bpath and abs(best[n] - bbest) < 1e-12
        assert abs(score[n] - table[tuple(tags[n, :L])]) < 1e-12
    assert np.all(R.nll(em, tags, mask, tr, st, en, reduction="none") > 0)


def test_forward_backward_invariants():
    rng = np.random.default_rng(1)
    em, _, mask, tr, st, en = make_problem(rng, [7, 5, 1, 6], T=7, K=4)
    log_alpha, log_beta = R.forward_backward(em, mask, tr, st, en)
    log_z = R.log_partition(em, mask, tr, st, en)
    # logsumexp(alpha_t + beta_t) = log Z at every position (padded ones included, by the carry-over rule)
    np.testing.assert_allclose(R.logsumexp(log_alpha + log_beta, axis=2), np.repeat(log_z[:, None], 7, 1),
                               rtol=1e-13)
    node, pair, _ = R.marginals(em, mask, tr, st, en)
    np.testing.assert_allclose(node.sum(2), mask.astype(float), atol=1e-13)
    np.testing.assert_allclose(pair.sum(axis=3), node[:, :-1] * mask[:, 1:, None], atol=1e-13)
    np.testing.assert_allclose(pair.sum(axis=2), node[:, 1:], atol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_viterbi_match_pytorch_crf(reduction):
    rng = np.random.default_rng(2)
    lengths = [9, 3, 1, 9, 6, 2]
    em, tags, mask, tr, st, en = make_problem(rng, lengths, T=9, K=5)
    ref = torchcrf_with(tr, st, en)
    E, Y, M = torch.from_numpy(em), torch.from_numpy(tags), torch.from_numpy(mask)
    want = -ref(E, Y, M, reduction=reduction).detach().numpy()
    got = R.nll(em, tags, mask, tr, st, en, reduction=reduction)
    assert np.shape(got) == np.shape(want)
    assert rel_error(got, want) < AD_TOL
    paths, _ = R.viterbi_decode(em, mask, tr, st, en)
    assert paths == ref.decode(E, M)
    assert [len(p) for p in paths] == lengths


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_gradient_vs_finite_differences(reduction):
    rng = np.random.default_rng(3)
    em, tags, mask, tr, st, en = make_problem(rng, [5, 3, 1], T=5, K=4)
    dloss = rng.normal(size=3) if reduction == "none" else 1.0
    _, cache = R.crf_nll_forward(em, tags, mask, tr, st, en, reduction)
    grads = R.crf_nll_backward(dloss, cache)
    f = lambda: float(np.sum(R.nll(em, tags, mask, tr, st, en, reduction) * dloss))
    for name, x, g in zip(("emissions", "transitions", "start", "end"), (em, tr, st, en), grads, strict=True):
        num = numerical_gradient(f, x)
        assert g.shape == x.shape
        assert rel_error(g, num, eps=FD_EPS) < FD_TOL, name
    assert np.all(grads[0][~mask] == 0)          # padded emissions get no gradient
    assert np.abs(grads[1]).max() > 1e-3          # and the check is not vacuous


def test_nll_gradient_vs_torch_autograd_of_our_layer():
    rng = np.random.default_rng(4)
    em, tags, mask, tr, st, en = make_problem(rng, [6, 4, 1, 6, 2], T=6, K=5)
    _, cache = R.crf_nll_forward(em, tags, mask, tr, st, en, "mean")
    grads = R.crf_nll_backward(1.0, cache)
    crf = CRF(5).double()
    with torch.no_grad():
        crf.transitions.copy_(torch.from_numpy(tr))
        crf.start_transitions.copy_(torch.from_numpy(st))
        crf.end_transitions.copy_(torch.from_numpy(en))
    E = torch.tensor(em, requires_grad=True)
    (-crf(E, torch.from_numpy(tags), torch.from_numpy(mask), reduction="mean")).backward()
    want = (E.grad, crf.transitions.grad, crf.start_transitions.grad, crf.end_transitions.grad)
    for g, w in zip(grads, want, strict=True):
        assert rel_error(g, w.numpy()) < AD_TOL


def test_stability_long_sequences_with_large_scores():
    rng = np.random.default_rng(5)
    lengths = [1000, 637, 1]
    em, tags, mask, tr, st, en = make_problem(rng, lengths, T=1000, K=5)
    em, tr, st, en = (rng.uniform(-1e3, 1e3, size=a.shape) for a in (em, tr, st, en))
    log_z = R.log_partition(em, mask, tr, st, en)
    ll = -R.nll(em, tags, mask, tr, st, en, reduction="none")
    assert np.all(np.isfinite(log_z)) and np.all(np.isfinite(ll))
    ref = torchcrf_with(tr, st, en)
    E, Y, M = torch.from_numpy(em), torch.from_numpy(tags), torch.from_numpy(mask)
    assert rel_error(ll, ref(E, Y, M, reduction="none").detach().numpy()) < 1e-12
    paths, best = R.viterbi_decode(em, mask, tr, st, en)
    assert paths == ref.decode(E, M)
    node, pair, _ = R.marginals(em, mask, tr, st, en)
    np.testing.assert_allclose(node.sum(2), mask.astype(float), atol=1e-9)
    # log Z >= best path score >= the gold path's score (ll + log Z), and the gradient stays finite
    assert np.all(log_z >= best) and np.all(best >= ll + log_z)
    _, cache = R.crf_nll_forward(em, tags, mask, tr, st, en)
    assert all(np.all(np.isfinite(g)) for g in R.crf_nll_backward(1.0, cache))


def test_masked_tail_equals_truncated_sequence():
    rng = np.random.default_rng(6)
    lengths = [6, 3, 1]
    em, tags, mask, tr, st, en = make_problem(rng, lengths, T=6, K=4)
    em[~mask] = 1e6                            # garbage past the end must not matter
    tags[~mask] = 3
    ll = R.nll(em, tags, mask, tr, st, en, reduction="none")
    node, pair, _ = R.marginals(em, mask, tr, st, en)
    paths, best = R.viterbi_decode(em, mask, tr, st, en)
    _, cache = R.crf_nll_forward(em, tags, mask, tr, st, en, "sum")
    dem, dtr, dst, den = R.crf_nll_backward(1.0, cache)
    dtr_parts = np.zeros_like(dtr)
    for n, L in enumerate(lengths):
        one = (em[n:n + 1, :L], tags[n:n + 1, :L], None, tr, st, en)
        assert ll[n] == R.nll(*one, reduction="none")[0]
        node1, pair1, _ = R.marginals(one[0], None, tr, st, en)
        np.testing.assert_array_equal(node[n, :L], node1[0])
        np.testing.assert_array_equal(pair[n, : L - 1], pair1[0])
        p1, b1 = R.viterbi_decode(one[0], None, tr, st, en)
        assert paths[n] == p1[0] and best[n] == b1[0]
        _, c1 = R.crf_nll_forward(*one, "sum")
        g1 = R.crf_nll_backward(1.0, c1)
        np.testing.assert_array_equal(dem[n, :L], g1[0][0])
        dtr_parts += g1[1]
    np.testing.assert_allclose(dtr, dtr_parts, rtol=1e-13, atol=1e-15)
    assert np.all(dem[~mask] == 0)


def test_batch_of_one_and_single_step():
    rng = np.random.default_rng(7)
    em, tags, mask, tr, st, en = make_problem(rng, [1, 1], T=1, K=3)
    log_z = R.log_partition(em, mask, tr, st, en)
    np.testing.assert_allclose(log_z, np.logaddexp.reduce(st + em[:, 0] + en, axis=1), rtol=1e-14)
    paths, best = R.viterbi_decode(em, None, tr, st, en)
    assert paths == [[int(np.argmax(st + em[n, 0] + en))] for n in range(2)]
    np.testing.assert_allclose(best, np.max(st + em[:, 0] + en, axis=1), rtol=1e-14)
    assert R.marginals(em, mask, tr, st, en)[1].shape == (2, 0, 3, 3)
    em1, tags1, _, _, _, _ = make_problem(rng, [4], T=4, K=3)
    bz, *_ = brute_force(em1[0], 4, tr, st, en)
    assert abs(R.log_partition(em1, None, tr, st, en)[0] - bz) < 1e-12
    ones = torch.ones(1, 4, dtype=torch.bool)
    ref = torchcrf_with(tr, st, en)
    want = -ref(torch.from_numpy(em1), torch.from_numpy(tags1), ones, reduction="mean").item()
    assert abs(R.nll(em1, tags1, None, tr, st, en) - want) < AD_TOL


def test_mask_none_means_all_true_and_dtype_is_kept():
    rng = np.random.default_rng(8)
    em, tags, _, tr, st, en = make_problem(rng, [5, 5], T=5, K=3)
    full = np.ones((2, 5), dtype=np.int64)      # 0/1 integer masks are accepted too
    assert R.nll(em, tags, None, tr, st, en) == R.nll(em, tags, full, tr, st, en)
    f32 = [a.astype(np.float32) for a in (em, tr, st, en)]
    lz32 = R.log_partition(f32[0], None, *f32[1:])
    assert lz32.dtype == np.float32
    np.testing.assert_allclose(lz32, R.log_partition(em, None, tr, st, en), rtol=1e-5)


BAD = [
    (lambda p: dict(p, em=p["em"][0]), r"emissions must have shape \(N, T, K\)"),
    (lambda p: dict(p, tr=p["tr"][:2]), r"transitions must have shape \(K, K\) = \(3, 3\)"),
    (lambda p: dict(p, st=p["st"][:2]), r"start must have shape \(K,\) = \(3,\)"),
    (lambda p: dict(p, en=p["en"][None]), r"end must have shape \(K,\) = \(3,\)"),
    (lambda p: dict(p, tags=p["tags"][:, :2]), r"tags must have shape \(N, T\) = \(2, 4\)"),
    (lambda p: dict(p, tags=p["tags"] + 3), r"tags must lie in \[0, K\)"),
    (lambda p: dict(p, tags=p["tags"].astype(float)), r"tags must hold integer indices"),
    (lambda p: dict(p, mask=p["mask"][:, :3]), r"mask must have shape \(N, T\) = \(2, 4\)"),
    (lambda p: dict(p, mask=np.array([[True] * 4, [False, True, True, True]])),
     r"mask\[:, 0\] must be all True"),
    (lambda p: dict(p, mask=np.array([[True] * 4, [True, False, True, False]])), r"mask must be contiguous"),
    (lambda p: dict(p, em=np.zeros((2, 0, 3))), r"T >= 1"),
]


@pytest.mark.parametrize("edit,message", BAD)
def test_bad_input_raises_value_error(edit, message):
    rng = np.random.default_rng(9)
    em, tags, mask, tr, st, en = make_problem(rng, [4, 2], T=4, K=3)
    p = edit(dict(em=em, tags=tags, mask=mask, tr=tr, st=st, en=en))
    with pytest.raises(ValueError, match=message):
        R.nll(p["em"], p["tags"], p["mask"], p["tr"], p["st"], p["en"])
    if "tags" not in message:                  # the functions without tags check the same things
        for fn in (R.log_partition, R.viterbi_decode, R.marginals, R.forward_backward):
            with pytest.raises(ValueError, match=message):
                fn(p["em"], p["mask"], p["tr"], p["st"], p["en"])


def test_bad_reduction():
    rng = np.random.default_rng(10)
    em, tags, mask, tr, st, en = make_problem(rng, [2], T=2, K=2)
    with pytest.raises(ValueError, match="reduction must be one of"):
        R.nll(em, tags, mask, tr, st, en, reduction="token_sum")
