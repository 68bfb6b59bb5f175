"""Tests of course_lib.text_classification (Lecture 7 helpers)."""

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.text_classification import (
    PUBLISHED_IMDB,
    BagOfEmbeddings,
    accuracy,
    accuracy_under_attack,
    adversarial_perturbation,
    encode_padded,
    normalize_embeddings,
    perturbed_loss,
    random_perturbation,
    train_bag,
)


def _toy(n=200, seed=0):
    """Token 2 = positive word, 3 = negative word, 4..9 = noise; label = which of 2/3 appears more."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(4, 10, (n, 8), generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    x[:, 0] = torch.where(y == 1, 2, 3)
    x[: n // 4, 7] = 0                                                        # some padding
    return x, x != 0, y


def test_bag_forward_shapes_and_mask():
    torch.manual_seed(0)
    m = BagOfEmbeddings(10, 4, 5)
    x, mask, _ = _toy(6)
    assert m(x, mask).shape == (6, 2)
    # padding does not change the result: a row and the same row with extra padding agree
    x2 = torch.cat([x, torch.zeros(6, 3, dtype=torch.long)], 1)
    assert torch.allclose(m(x, mask), m(x2, x2 != 0), atol=1e-6)


def test_normalize_embeddings():
    w = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 0.0]])
    f = torch.tensor([1.0, 1.0, 2.0])
    z = normalize_embeddings(w, f)
    p = f / f.sum()
    assert torch.allclose(p @ z, torch.zeros(2), atol=1e-6)
    assert torch.allclose(p @ z ** 2, torch.ones(2), atol=1e-5)
    assert torch.allclose(normalize_embeddings(10 * w + 3, f), z, atol=1e-5)   # scale-free


def test_adversarial_perturbation_norm_and_direction():
    torch.manual_seed(0)
    m = BagOfEmbeddings(10, 4, 5)
    x, mask, y = _toy(8)
    r = adversarial_perturbation(m, x, mask, y, eps=0.5)
    assert r.shape == (8, 8, 4)
    assert torch.allclose(r.flatten(1).norm(dim=1), torch.full((8,), 0.5), atol=1e-5)
    assert (r[: 2, 7] == 0).all()                                            # padding untouched
    # direction = normalised gradient of the example's own loss (finite check with autograd on one example)
    s = m.embed(x[:1]).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(m.classify(s, mask[:1]), y[:1]), s)
    assert torch.allclose(r[0], 0.5 * g[0] / g[0].norm(), atol=1e-5)
    assert all(p.grad is None for p in m.parameters())


def test_adversarial_beats_random_of_same_norm():
    torch.manual_seed(0)
    m = BagOfEmbeddings(10, 4, 5)
    x, mask, y = _toy(100)
    train_bag(m, x, mask, y, epochs=3)
    clean = perturbed_loss(m, x, mask, y)
    eps = 0.5
    adv = perturbed_loss(m, x, mask, y, adversarial_perturbation(m, x, mask, y, eps))
    rnd = perturbed_loss(m, x, mask, y, random_perturbation(m.embed(x).shape, mask, eps,
                                                            torch.Generator().manual_seed(1)))
    assert adv > rnd and adv > clean
    r = random_perturbation((3, 5, 2), torch.ones(3, 5, dtype=torch.bool), 2.0)
    assert torch.allclose(r.flatten(1).norm(dim=1), torch.full((3,), 2.0), atol=1e-5)


def test_train_bag_learns_and_adversarial_training_runs():
    torch.manual_seed(0)
    x, mask, y = _toy(300)
    m = BagOfEmbeddings(10, 8, 8)
    hist = train_bag(m, x, mask, y, epochs=8)
    assert hist[-1] < hist[0] and accuracy(m, x, mask, y) > 0.95
    torch.manual_seed(0)
    a = BagOfEmbeddings(10, 8, 8)
    hist_a = train_bag(a, x, mask, y, epochs=8, adv_eps=0.5)
    assert hist_a[-1] < hist_a[0] and accuracy(a, x, mask, y) > 0.95
    assert hist_a[0] > hist[0]                                               # the L_adv term is in the loss


def test_normalised_model_and_robustness():
    torch.manual_seed(0)
    x, mask, y = _toy(300)
    freq = torch.bincount(x[mask], minlength=10).float()
    models = {}
    for eps in (0.0, 2.0):
        torch.manual_seed(0)
        models[eps] = m = BagOfEmbeddings(10, 8, 8, freq=freq)
        train_bag(m, x, mask, y, epochs=8, adv_eps=eps)
        s = m.embed(x)
        p = freq / freq.sum()
        w = m.embed(torch.arange(10)).detach()
        assert torch.allclose(p @ w, torch.zeros(8), atol=1e-4) and s.shape == (300, 8, 8)
    # with standardised embeddings, the adversarially trained model is more robust at the eps it was trained with
    plain, adv = (perturbed_loss(models[e], x, mask, y, adversarial_perturbation(models[e], x, mask, y, 2.0))
                  for e in (0.0, 2.0))
    assert adv < plain


def test_on_epoch_sees_every_epoch_and_attack_accuracy_is_an_error_rate():
    torch.manual_seed(0)
    x, mask, y = _toy(300)
    m = BagOfEmbeddings(10, 8, 8)
    seen = []
    train_bag(m, x, mask, y, epochs=4, on_epoch=lambda e, model: seen.append((e, accuracy(model, x, mask, y))))
    assert [e for e, _ in seen] == [1, 2, 3, 4] and seen[-1][1] == accuracy(m, x, mask, y)
    assert accuracy_under_attack(m, x, mask, y, 0.0) == accuracy(m, x, mask, y)
    # a push in the gradient direction flips reviews; a bigger one flips more, and the model is left untouched
    before = [p.detach().clone() for p in m.parameters()]
    under = [accuracy_under_attack(m, x, mask, y, eps) for eps in (0.5, 2.0, 8.0)]
    assert accuracy(m, x, mask, y) > under[0] >= under[1] >= under[2] and under[2] < 0.5
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters()))


def test_encode_padded():
    x, mask = encode_padded([["a", "b", "zz"], [], ["b"] * 5], {"a": 2, "b": 3}, max_len=4)
    assert x.tolist() == [[2, 3, 1, 0], [1, 0, 0, 0], [3, 3, 3, 3]]
    assert mask.sum(1).tolist() == [3, 1, 4]


def test_published_table():
    errs = {k: v for k, (v, _) in PUBLISHED_IMDB.items()}
    assert errs["LSTM (random init, tuned, dropout)"] > errs["LM-LSTM (LM-pretrained)"] > errs[
        "SA-LSTM (autoencoder-pretrained)"]
    assert errs["DAN: feed-forward net on averaged word vectors"] == 10.6
    assert all(k.startswith("LM-pretrained") for k, (_, src) in PUBLISHED_IMDB.items() if src.startswith("Miyato"))
    assert all(0 < v < 20 for v in errs.values()) and np.all([len(s) > 5 for _, s in PUBLISHED_IMDB.values()])


def test_sparse_rows_to_padded():
    import scipy.sparse as sp

    from course_lib.text_classification import sparse_rows_to_padded

    X = sp.csr_matrix(np.array([[0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 1, 0]]))
    x, mask = sparse_rows_to_padded(X)
    assert x.tolist() == [[2, 4, 0], [0, 0, 0], [1, 2, 3]]
    assert mask.tolist() == [[True, True, False], [True, False, False], [True, True, True]]
    x2, _ = sparse_rows_to_padded(X, max_len=2)
    assert x2.tolist() == [[2, 4], [0, 0], [1, 2]]


def test_mlstm_num_parameters_matches_the_model():
    from course_lib.models.mlstm import MLSTMLM
    from course_lib.text_classification import mlstm_num_parameters

    for h, e in ((8, 4), (13, 5)):
        assert mlstm_num_parameters(h, e) == sum(p.numel() for p in MLSTMLM(hidden=h, embed=e).parameters())
