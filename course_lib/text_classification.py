"""Small tools for Lecture 7 (text classification): the IMDB results table and adversarial perturbations.

Deck 000, Part 5 ("Sentiment Analysis: Error Rates of various IMDB Models", "Adversarial training").

* :data:`PUBLISHED_IMDB` — published IMDB test error rates, each with its source;
* :class:`BagOfEmbeddings` — a tiny classifier (mean of word embeddings -> tanh layer -> 2 logits) whose
  embeddings can be perturbed, trained in seconds on a CPU;
* :func:`normalize_embeddings` — Miyato et al.'s frequency-weighted standardisation of the embedding matrix;
* :func:`adversarial_perturbation` — ``r_adv = eps * g / ||g||_2`` with ``g`` the gradient of the loss with respect
  to the (embedded) input, per example (Miyato et al. 2017, after Goodfellow et al. 2015);
* :func:`random_perturbation` — a random direction of the same norm, the control;
* :func:`train_bag` — training with the loss ``L(x) + L_adv(x)`` (adversarial training) or ``L(x)`` alone.

Notation (Miyato et al. 2017): ``s`` the sequence of (normalised) word embeddings of an example; the adversarial
perturbation minimises ``log p(y | s + r)`` over ``||r|| <= eps``; linearising gives

    r_adv = -eps g / ||g||_2,   g = grad_s log p(y | s)       (= +eps grad_s L / ||grad_s L||, L = -log p)

and adversarial training adds ``L_adv = -1/N sum_n log p(y_n | s_n + r_adv,n)`` to the loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Published IMDB test error rates in % (deck 000, Part 5; the papers' own tables): (error, source).
PUBLISHED_IMDB = {
    "Full+Unlabeled+BoW": (11.11, "Maas et al. 2011"),
    "NBSVM-bigrams": (8.78, "Wang & Manning 2012"),
    "NBSVM-trigrams": (8.13, "Mesnil et al. 2015"),
    "Paragraph Vectors (as published)": (7.42, "Le & Mikolov 2014; 11.3 when re-run with shuffling, Mesnil et al."),
    "seq2-bown-CNN": (7.67, "Johnson & Zhang 2015"),
    "DAN: feed-forward net on averaged word vectors": (10.6, "Iyyer et al. 2015"),
    "LSTM (random init, tuned, dropout)": (13.50, "Dai & Le 2015"),
    "LSTM with word2vec embeddings": (10.00, "Dai & Le 2015"),
    "LM-LSTM (LM-pretrained)": (7.64, "Dai & Le 2015"),
    "SA-LSTM (autoencoder-pretrained)": (7.24, "Dai & Le 2015"),
    "byte mLSTM, one sentiment unit": (7.70, "Radford et al. 2017"),
    "byte mLSTM, all 4,096 units": (7.12, "Radford et al. 2017"),
    "TopicRNN": (6.24, "Dieng et al. 2016"),
    "one-hot bi-LSTM (region embeddings)": (5.94, "Johnson & Zhang 2016"),
    # Miyato et al. initialise every LSTM of their table from a language model pretrained on the IMDB reviews
    "LM-pretrained LSTM baseline (embedding normalisation)": (7.39, "Miyato et al. 2017"),
    "LM-pretrained LSTM, random-perturbation training": (7.20, "Miyato et al. 2017"),
    "LM-pretrained LSTM, adversarial training": (6.21, "Miyato et al. 2017"),
    "LM-pretrained LSTM, virtual adversarial training": (5.91, "Miyato et al. 2017"),
    "LM-pretrained bi-LSTM, adversarial + virtual adversarial": (6.02, "Miyato et al. 2017"),
    "ULMFiT": (4.6, "Howard & Ruder 2018"),
}


class BagOfEmbeddings(nn.Module):
    """Mean of word embeddings -> tanh hidden layer -> class logits (an "unordered composition" model).

    ``embed(x) -> s (N, T, E)``; ``classify(s, mask) -> logits (N, C)``; ``forward(x, mask) = classify(embed(x),
    mask)``. x: (N, T) ids; mask: (N, T) bool, True at real tokens (at least one per row). With ``freq`` (V,)
    (training-set word counts) the embeddings are standardised by :func:`normalize_embeddings`, as in Miyato et
    al., so that a perturbation of norm ``eps`` means the same whatever the scale the model learns.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden: int = 32, num_classes: int = 2,
                 freq: torch.Tensor | None = None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.hidden = nn.Linear(embed_dim, hidden)
        self.out = nn.Linear(hidden, num_classes)
        self.register_buffer("freq", None if freq is None else torch.as_tensor(freq, dtype=torch.float32))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.freq is None:
            return self.embedding(x)
        return F.embedding(x, normalize_embeddings(self.embedding.weight, self.freq))

    def classify(self, s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(2).to(s.dtype)
        mean = (s * m).sum(1) / m.sum(1).clamp(min=1.0)                       # (N, E)
        return self.out(torch.tanh(self.hidden(mean)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x), mask)


def normalize_embeddings(weight: torch.Tensor, freq: torch.Tensor) -> torch.Tensor:
    """Miyato et al.'s standardised embeddings: ``(v_k - E[v]) / sqrt(Var[v])`` with frequency weights ``f``.

    weight: (V, E); freq: (V,) non-negative counts (normalised here). ``E[v] = sum_j f_j v_j``,
    ``Var[v] = sum_j f_j (v_j - E[v])^2`` per dimension. Returns (V, E). Without it a model could make any fixed
    ``eps`` meaningless by scaling its embeddings up.
    """
    f = freq.to(weight.dtype) / freq.sum()
    mean = f @ weight                                                         # (E,)
    var = f @ (weight - mean) ** 2                                            # (E,)
    return (weight - mean) / torch.sqrt(var + 1e-12)


def _per_example_unit(g: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    g = g * mask.unsqueeze(2).to(g.dtype)                                    # padding is never perturbed
    norm = g.flatten(1).norm(dim=1).clamp(min=1e-12)                         # (N,)
    return g / norm[:, None, None]


def adversarial_perturbation(model: BagOfEmbeddings, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                             eps: float) -> torch.Tensor:
    """``r_adv = eps * g / ||g||_2`` per example, ``g = d loss / d s`` at ``s = model.embed(x)`` (detached).

    x, mask: (N, T); y: (N,) labels. Returns r (N, T, E) with ``||r_n|| = eps`` (zero on padding). The
    parameters' gradients are left untouched.
    """
    s = model.embed(x).detach().requires_grad_(True)
    loss = F.cross_entropy(model.classify(s, mask), y, reduction="sum")      # sum: each example's own gradient
    (g,) = torch.autograd.grad(loss, s)
    return eps * _per_example_unit(g, mask)


def random_perturbation(shape: Sequence[int], mask: torch.Tensor, eps: float,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """A random direction (Gaussian, normalised) with ``||r_n|| = eps`` per example; shape (N, T, E)."""
    r = torch.randn(*shape, generator=generator)
    return eps * _per_example_unit(r, mask)


def perturbed_loss(model: BagOfEmbeddings, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                   r: torch.Tensor | None = None) -> float:
    """Mean cross-entropy of ``model`` with the embeddings shifted by ``r`` (N, T, E) (or clean if None)."""
    with torch.no_grad():
        s = model.embed(x)
        return float(F.cross_entropy(model.classify(s if r is None else s + r, mask), y))


def train_bag(model: BagOfEmbeddings, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor, *, epochs: int = 5,
              batch_size: int = 64, lr: float = 1e-2, adv_eps: float = 0.0, seed: int = 0,
              on_epoch=None) -> list[float]:
    """Train with Adam on ``L(x)`` or, if ``adv_eps > 0``, on ``L(x) + L_adv(x)`` (Miyato et al. 2017, eq. 2).

    ``r_adv`` is recomputed for every batch with the current parameters and treated as a constant. Returns the
    mean training loss of each epoch. ``on_epoch(epoch, model)`` (1-based), if given, is called after each
    epoch (to measure the model along the way).
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        perm, total = torch.randperm(len(y), generator=gen), 0.0
        for i in range(0, len(y), batch_size):
            idx = perm[i:i + batch_size]
            xb, mb, yb = x[idx], mask[idx], y[idx]
            s = model.embed(xb)
            loss = F.cross_entropy(model.classify(s, mb), yb)
            if adv_eps > 0:
                r = adversarial_perturbation(model, xb, mb, yb, adv_eps)
                loss = loss + F.cross_entropy(model.classify(s + r, mb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(y))
        if on_epoch is not None:
            on_epoch(len(history), model)
    return history


def accuracy(model: BagOfEmbeddings, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of examples whose argmax class equals ``y``."""
    with torch.no_grad():
        return float((model(x, mask).argmax(1) == y).float().mean())


def accuracy_under_attack(model: BagOfEmbeddings, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                          eps: float) -> float:
    """Fraction of examples still classified right after each is moved by its own ``r_adv`` of norm ``eps``
    (:func:`adversarial_perturbation`): robustness as an error rate, which, unlike the loss, does not reward a
    model for being less confident."""
    r = adversarial_perturbation(model, x, mask, y, eps)
    with torch.no_grad():
        return float((model.classify(model.embed(x) + r, mask).argmax(1) == y).float().mean())


def balanced_subset(rows: Sequence[tuple], n: int, seed: int) -> list:
    """``n`` of the ``(text, label)`` rows with labels in {0, 1}, half of each label (fewer if a label has fewer),
    in a seeded random order: the same subset on every run (Lecture 7 draws all its subsets this way)."""
    r = np.random.default_rng(seed)
    by = [[x for x in rows if x[1] == lab] for lab in (0, 1)]
    k = min(n // 2, *map(len, by))
    picked = [by[lab][i] for lab in (0, 1) for i in r.permutation(len(by[lab]))[:k]]
    return [picked[i] for i in r.permutation(len(picked))]


def encode_padded(token_lists: Sequence[Sequence[str]], stoi: dict, max_len: int = 400,
                  unk: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Token lists -> ids (N, T) (0 = padding, ``unk`` for unknown words; each list cut to its last ``max_len``)
    and mask (N, T) bool. Empty lists become one ``unk`` token."""
    rows = [[stoi.get(t, unk) for t in toks[-max_len:]] or [unk] for toks in token_lists]
    T = max(len(r) for r in rows)
    x = np.zeros((len(rows), T), dtype=np.int64)
    for n, r in enumerate(rows):
        x[n, :len(r)] = r
    x = torch.from_numpy(x)
    return x, x != 0


def sparse_rows_to_padded(X, max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A binary document-term matrix X (N, F) (scipy sparse) -> ids (N, T) and mask (N, T) bool.

    Row n lists the columns j where ``X[n, j] != 0`` as ids ``j + 1`` (0 is padding): each document becomes the
    *set* of its words, all a bag-of-embeddings model needs, without tokenising again. ``max_len`` keeps the
    first ``max_len`` columns of a row. An empty row gets the single id 0 (the padding vector), unmasked, so that
    its mean embedding is defined.
    """
    import scipy.sparse as sp

    X = sp.csr_matrix(X)
    X.sort_indices()
    rows = [X.indices[X.indptr[n]:X.indptr[n + 1]][:max_len] + 1 for n in range(X.shape[0])]
    T = max(1, max(len(r) for r in rows))
    x = np.zeros((len(rows), T), dtype=np.int64)
    mask = np.zeros((len(rows), T), dtype=bool)
    for n, r in enumerate(rows):
        x[n, :len(r)] = r
        mask[n, :max(len(r), 1)] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


def mlstm_num_parameters(hidden: int, embed: int = 64, vocab: int = 256) -> int:
    """Parameters of :class:`course_lib.models.mlstm.MLSTMLM` (hidden H, embed E, vocab V), without building it:
    embedding ``V E``; cell ``W_mx (H, E)``, ``W_mh (H, H)``, ``W_x (4H, E)``, ``W_m (4H, H)``, bias ``4H``;
    decoder ``H V + V``. Radford et al.'s model: H = 4096, E = 64, V = 256."""
    H, E, V = hidden, embed, vocab
    return V * E + (H * E + H * H + 4 * H * E + 4 * H * H + 4 * H) + (H * V + V)
