"""Tests for course_lib.models.crf.CRF (our batched torch CRF) and course_lib.models.tagger (BiLSTM
taggers): pytorch-crf, the NumPy reference, stability, masks, bad input, training on a tiny tagging task."""

import numpy as np
import pytest
import torch
import torchcrf

from course_lib.models.crf import CRF
from course_lib.models.tagger import BiLSTMCRF, BiLSTMTagger
from course_lib.reference import crf as R
from course_lib.reference.gradcheck import rel_error

TOL = 1e-10  # float64


def make_batch(seed, lengths, T, K, scale=1.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    N = len(lengths)
    emissions = (torch.randn(N, T, K, generator=g, dtype=torch.float64) * scale).to(dtype)
    tags = torch.randint(0, K, (N, T), generator=g)
    mask = torch.arange(T).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    return emissions, tags, mask


def crf_pair(K, seed, scale=1.0, dtype=torch.float64):
    """Our CRF and pytorch-crf's with the same random parameters."""
    torch.manual_seed(seed)
    ours = CRF(K).to(dtype)
    with torch.no_grad():
        for p in ours.parameters():
            p.normal_(0.0, scale)
    theirs = torchcrf.CRF(K, batch_first=True).to(dtype)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def params_np(crf):
    return [p.detach().numpy() for p in (crf.transitions, crf.start_transitions, crf.end_transitions)]


# --------------------------------------------------------------------------------------------- CRF layer
@pytest.mark.parametrize("reduction", ["mean", "sum", "token_mean", "none"])
def test_log_likelihood_and_decode_match_pytorch_crf(reduction):
    lengths = [12, 5, 1, 12, 9, 2, 7]
    ours, theirs = crf_pair(6, seed=0)
    em, tags, mask = make_batch(1, lengths, T=12, K=6)
    got = ours(em, tags, mask, reduction=reduction)
    want = theirs(em, tags, mask, reduction=reduction)
    assert got.shape == want.shape
    assert rel_error(got.detach().numpy(), want.detach().numpy()) < TOL
    paths = ours.decode(em, mask)
    assert paths == theirs.decode(em, mask)
    assert [len(p) for p in paths] == lengths


def test_default_reduction_is_mean_and_mask_none_means_all_true():
    ours, theirs = crf_pair(4, seed=1)
    em, tags, _ = make_batch(2, [6, 6, 6], T=6, K=4)
    assert torch.equal(ours(em, tags), ours(em, tags, torch.ones(3, 6, dtype=torch.uint8), reduction="mean"))
    ones = torch.ones(3, 6, dtype=torch.bool)
    assert abs(ours(em, tags).item() - theirs(em, tags, ones, reduction="mean").item()) < TOL
    assert ours.decode(em) == theirs.decode(em, ones)


def test_gradients_are_marginals_minus_gold_counts_of_the_reference():
    """d(-log-lik)/d emissions = node marginals - one-hot gold tags (forward-backward of the reference)."""
    lengths = [5, 3, 1, 4]
    ours, _ = crf_pair(3, seed=2)
    em, tags, mask = make_batch(3, lengths, T=5, K=3)
    em.requires_grad_(True)
    (-ours(em, tags, mask, reduction="sum")).backward()
    args = (em.detach().numpy(), tags.numpy(), mask.numpy(), *params_np(ours))
    _, cache = R.crf_nll_forward(*args, reduction="sum")
    want = R.crf_nll_backward(1.0, cache)
    got = (em.grad, ours.transitions.grad, ours.start_transitions.grad, ours.end_transitions.grad)
    for g, w in zip(got, want, strict=True):
        assert rel_error(g.numpy(), w) < TOL
    node, _, _ = R.marginals(args[0], args[2], *args[3:])
    gold = np.eye(3)[args[1]] * args[2][:, :, None]
    assert rel_error(em.grad.numpy(), node - gold) < TOL


def test_viterbi_scores_match_reference_and_the_decoded_path():
    lengths = [8, 2, 6, 1]
    ours, _ = crf_pair(5, seed=3)
    em, _, mask = make_batch(4, lengths, T=8, K=5)
    paths, best, got_lengths = ours.viterbi(em, mask)
    ref_paths, ref_best = R.viterbi_decode(em.numpy(), mask.numpy(), *params_np(ours))
    assert got_lengths.tolist() == lengths
    assert [paths[n, :L].tolist() for n, L in enumerate(lengths)] == ref_paths
    assert rel_error(best.numpy(), ref_best) < TOL
    # the best score is the score of the decoded path
    path_score = R.sequence_score(em.numpy(), paths.numpy(), mask.numpy(), *params_np(ours))
    assert rel_error(best.numpy(), path_score) < TOL


def test_stability_long_sequences_with_large_scores():
    lengths = [1000, 411, 1]
    ours, theirs = crf_pair(5, seed=4, scale=1e3)
    em, tags, mask = make_batch(5, lengths, T=1000, K=5, scale=1e3)
    em.requires_grad_(True)
    ll = ours(em, tags, mask, reduction="none")
    assert torch.isfinite(ll).all()
    assert rel_error(ll.detach().numpy(), theirs(em, tags, mask, reduction="none").detach().numpy()) < 1e-12
    ll.sum().backward()
    assert torch.isfinite(em.grad).all() and torch.isfinite(ours.transitions.grad).all()
    assert ours.decode(em, mask) == theirs.decode(em, mask)


def test_float32_matches_pytorch_crf():
    ours, theirs = crf_pair(20, seed=5, dtype=torch.float32)
    em, tags, mask = make_batch(6, [50, 31, 7, 1, 50, 18], T=50, K=20, dtype=torch.float32)
    got, want = ours(em, tags, mask, reduction="none"), theirs(em, tags, mask, reduction="none")
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-4)
    assert ours.decode(em, mask) == theirs.decode(em, mask)


def test_masked_tail_equals_truncated_sequence():
    lengths = [7, 4, 1]
    ours, _ = crf_pair(4, seed=6)
    em, tags, mask = make_batch(7, lengths, T=7, K=4)
    with torch.no_grad():
        em[~mask] = 1e6                         # garbage past the end
    tags[~mask] = 3
    em.requires_grad_(True)
    ll = ours(em, tags, mask, reduction="none")
    ll.sum().backward()
    assert torch.all(em.grad[~mask] == 0)
    paths = ours.decode(em, mask)
    for n, L in enumerate(lengths):
        one = em[n:n + 1, :L].detach()
        assert torch.equal(ll[n:n + 1], ours(one, tags[n:n + 1, :L], reduction="none"))
        assert paths[n] == ours.decode(one)[0]


def test_batch_of_one_and_single_step():
    ours, theirs = crf_pair(3, seed=7)
    em, tags, _ = make_batch(8, [1, 1], T=1, K=3)
    scores = ours.start_transitions + em[:, 0] + ours.end_transitions          # (N, K): only one step
    want = scores.gather(1, tags).squeeze(1) - torch.logsumexp(scores, dim=1)
    assert rel_error(ours(em, tags, reduction="none").detach().numpy(), want.detach().numpy()) < TOL
    assert ours.decode(em) == [[int(i)] for i in scores.argmax(1)]
    em1, tags1, mask1 = make_batch(9, [5], T=5, K=3)
    assert abs(ours(em1, tags1, mask1).item() - theirs(em1, tags1, mask1, reduction="mean").item()) < TOL
    assert ours.decode(em1, mask1) == theirs.decode(em1, mask1)


@pytest.mark.parametrize("call,message", [
    (lambda c, e, y, m: c(e[0], y, m), r"emissions must have shape \(N, T, K\) with K = 4"),
    (lambda c, e, y, m: c(e[..., :3], y, m), r"emissions must have shape \(N, T, K\) with K = 4"),
    (lambda c, e, y, m: c(e, y[:, :2], m), r"tags must have shape \(N, T\) = \(2, 5\)"),
    (lambda c, e, y, m: c(e, y, m[:, :2]), r"mask must have shape \(N, T\) = \(2, 5\)"),
    (lambda c, e, y, m: c.decode(e, m.T), r"mask must have shape \(N, T\) = \(2, 5\)"),
    (lambda c, e, y, m: c(e, y, torch.tensor([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]])),
     r"mask\[:, 0\] must be all True"),
    (lambda c, e, y, m: c.decode(e, torch.tensor([[1, 0, 1, 0, 0], [1, 1, 1, 1, 1]])),
     r"mask must be contiguous"),
    (lambda c, e, y, m: c(e, y, m, reduction="avg"), r"reduction must be one of"),
    (lambda c, e, y, m: CRF(0), r"num_tags must be an integer >= 1"),
    (lambda c, e, y, m: CRF(4, batch_first=False), r"batch_first=True only"),
])
def test_bad_input_raises_value_error(call, message):
    crf = CRF(4).double()
    em, tags, mask = make_batch(10, [5, 3], T=5, K=4)
    with pytest.raises(ValueError, match=message):
        call(crf, em, tags, mask)


# --------------------------------------------------------------------------------------------- taggers
V, K = 8, 3  # words 1..7 (0 = padding), tags 0..2


def synthetic_batch(seed, n=32, t_max=8):
    """Tag = f(word) for words 1..5 (1, 2 -> 0; 3, 4 -> 1; 5 -> 2); words 6 and 7 are ambiguous: they copy
    the previous tag (0 at the start of a sentence) — a transition rule the CRF (or the BiLSTM) must learn."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, t_max + 1, (n,), generator=g)
    lengths[0] = t_max
    words = torch.randint(1, V, (n, t_max), generator=g)
    mask = torch.arange(t_max).unsqueeze(0) < lengths.unsqueeze(1)
    lookup = torch.tensor([0, 0, 0, 1, 1, 2, -1, -1])
    tags = torch.zeros(n, t_max, dtype=torch.long)
    for t in range(t_max):
        prev = tags[:, t - 1] if t else torch.zeros(n, dtype=torch.long)
        own = lookup[words[:, t]]
        tags[:, t] = torch.where(own >= 0, own, prev)
    words[~mask] = 0
    tags[~mask] = 0
    chars = torch.stack([words, (words * 3) % 5 + 1, torch.zeros_like(words)], dim=2)   # (N, T, 3) spelling
    chars[~mask] = 0
    return words, tags, mask, chars


MODELS = [
    (BiLSTMTagger, {}),
    (BiLSTMCRF, {}),
    (BiLSTMCRF, dict(char_vocab_size=V, char_mode="lstm")),
    (BiLSTMTagger, dict(char_vocab_size=V, char_mode="cnn", num_layers=2)),
]


@pytest.mark.parametrize("cls,extra", MODELS)
def test_tagger_shapes_and_predict_lengths(cls, extra):
    torch.manual_seed(0)
    model = cls(V, K, embedding_dim=8, hidden_size=6, dropout=0.1, **extra).eval()
    words, tags, mask, chars = synthetic_batch(1, n=5, t_max=6)
    chars = chars if extra else None
    emissions = model(words, mask, chars)
    assert emissions.shape == (5, 6, K)
    loss = model.loss(words, tags, mask, chars)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss.item() > 0
    pred = model.predict(words, mask, chars)
    assert [len(p) for p in pred] == mask.sum(1).tolist()
    assert all(0 <= y < K for p in pred for y in p)


@pytest.mark.parametrize("cls,extra", MODELS)
def test_padding_never_affects_the_loss(cls, extra):
    torch.manual_seed(1)
    model = cls(V, K, embedding_dim=8, hidden_size=6, dropout=0.5, **extra).eval()
    words, tags, mask, chars = synthetic_batch(2, n=6, t_max=7)
    chars = chars if extra else None
    loss = model.loss(words, tags, mask, chars)
    pred = model.predict(words, mask, chars)
    g = torch.Generator().manual_seed(3)
    w2, t2 = words.clone(), tags.clone()
    w2[~mask] = torch.randint(1, V, (int((~mask).sum()),), generator=g)      # real words in the padding
    t2[~mask] = torch.randint(0, K, (int((~mask).sum()),), generator=g)
    c2 = None
    if chars is not None:
        c2 = chars.clone()
        c2[~mask] = torch.randint(1, V, (int((~mask).sum()), chars.shape[2]), generator=g)
    assert torch.equal(model.loss(w2, t2, mask, c2), loss)
    assert model.predict(w2, mask, c2) == pred
    w3 = words.clone()
    w3[mask] = w3[mask] % (V - 1) + 1                                     # a real token change does matter
    assert not torch.equal(model.loss(w3, tags, mask, chars), loss)


@pytest.mark.parametrize("cls", [BiLSTMTagger, BiLSTMCRF])
def test_loss_decreases_on_a_tiny_tagging_task(cls):
    torch.manual_seed(0)
    model = cls(V, K, embedding_dim=16, hidden_size=16, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    words, tags, mask, _ = synthetic_batch(4)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = model.loss(words, tags, mask)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    test_words, test_tags, test_mask, _ = synthetic_batch(5)
    pred = model.predict(test_words, test_mask)
    gold = [row[:n] for row, n in zip(test_tags.tolist(), test_mask.sum(1).tolist(), strict=True)]
    accuracy = np.mean([p == g for ps, gs in zip(pred, gold, strict=True)
                        for p, g in zip(ps, gs, strict=True)])
    assert accuracy > 0.95


def test_crf_tagger_learns_the_copy_transition():
    """After training, the CRF prefers staying in a tag over switching (the rule of the ambiguous words)."""
    torch.manual_seed(0)
    model = BiLSTMCRF(V, K, embedding_dim=16, hidden_size=16, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    words, tags, mask, _ = synthetic_batch(6)
    for _ in range(40):
        opt.zero_grad()
        model.loss(words, tags, mask).backward()
        opt.step()
    tr = model.crf.transitions.detach()
    assert tr.diagonal().mean() > tr[~torch.eye(K, dtype=torch.bool)].mean()


def test_tagger_bad_input():
    model = BiLSTMCRF(V, K, embedding_dim=4, hidden_size=3, char_vocab_size=V)
    words, tags, mask, chars = synthetic_batch(7, n=3, t_max=4)
    with pytest.raises(ValueError, match="pass chars of shape"):
        model(words, mask)
    with pytest.raises(ValueError, match=r"chars must have shape \(N, T, C\)"):
        model(words, mask, chars[:, :2])
    with pytest.raises(ValueError, match=r"mask must have shape \(N, T\)"):
        model.loss(words, tags, mask[:, :2], chars)
    with pytest.raises(ValueError, match=r"mask\[:, 0\] must be all True"):
        model.predict(words, torch.zeros_like(mask), chars)
    with pytest.raises(ValueError, match="char mode must be"):
        BiLSTMTagger(V, K, char_vocab_size=V, char_mode="gru")
    with pytest.raises(ValueError, match="char kernel_size must be odd"):
        BiLSTMTagger(V, K, char_vocab_size=V, char_mode="cnn", char_kernel_size=4)
