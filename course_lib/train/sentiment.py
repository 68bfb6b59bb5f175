"""Looking for a sentiment unit in a byte-level LSTM language model (deck 000, Part 5; Radford et al., 2017).

Radford, Jozefowicz and Sutskever (2017), "Learning to Generate Reviews and Discovering Sentiment", trained a
byte-level mLSTM LM on Amazon reviews, read each review and took the final cell state ``c_T`` as its features.
An L1-regularised logistic regression over all units put most of its weight on one unit, and that unit alone,
thresholded, was a good sentiment classifier; clamping it while sampling steered the sentiment of the text.
Bytes (UTF-8, 256 ids) need no tokenizer and no ``<unk>``, which is why they used them and we do too.

Here the LM is the shipped byte ``RNNLM`` (``torch.nn.LSTM``, far faster on a CPU than a Python-loop mLSTM):

* :func:`review_features` — final cell state ``c_T`` (N, H) and the mean hidden state over the review (N, H);
* :func:`fit_all_units` — L1 logistic regression over all units (scikit-learn), ``C`` by cross-validation;
* :func:`fit_threshold` / :func:`unit_accuracy` — the one-unit, one-threshold classifier;
* :func:`sample_clamped` — generation with one cell unit fixed at every step (an exact LSTM step written out,
  because ``nn.LSTM`` cannot fix a unit in the middle of its fused loop);
* :func:`analyse` — all of it on IMDB and SST, written to ``sentiment_unit.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.data import byte_tokenize, load_imdb_splits, load_sst2
from course_lib.models.language_models import RNNLM, sample_next


def review_features(model: RNNLM, texts: list[str], batch_size: int = 64,
                    max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read each text (as UTF-8 bytes) from a zero state; return two feature matrices, each (M, H).

    ``"final_c"``: the top layer's cell state after the last byte, ``c_T`` (Radford et al.'s features);
    ``"mean_h"``: the top layer's hidden state averaged over the text's steps. ``max_bytes`` keeps only the
    *last* ``max_bytes`` bytes of a long text (the end of a review tends to carry the verdict). Texts are read
    in batches sorted by length and packed, so padding never enters a state. Eval mode, no gradients.
    """
    seqs = [byte_tokenize(t)[-max_bytes:] if max_bytes else byte_tokenize(t) for t in texts]
    seqs = [s if s else [10] for s in seqs]                      # an empty text reads one newline
    order = np.argsort([-len(s) for s in seqs], kind="stable")
    final_c = np.zeros((len(seqs), model.hidden_dim), dtype=np.float32)
    mean_h = np.zeros_like(final_c)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for k in range(0, len(seqs), batch_size):
            idx = order[k : k + batch_size]
            lengths = torch.tensor([len(seqs[i]) for i in idx])
            x = torch.zeros(len(idx), int(lengths[0]), dtype=torch.long)
            for row, i in enumerate(idx):
                x[row, : len(seqs[i])] = torch.tensor(seqs[i])
            packed = pack_padded_sequence(model.embedding(x), lengths, batch_first=True)
            out, (_, c_n) = model.rnn(packed)
            h, _ = pad_packed_sequence(out, batch_first=True)                         # (n, T, H), zeros past ends
            final_c[idx] = c_n[-1].numpy()
            mean_h[idx] = (h.sum(1) / lengths[:, None]).numpy()
    model.train(was_training)
    return {"final_c": final_c, "mean_h": mean_h}


def fit_all_units(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                  cs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0), seed: int = 0) -> dict:
    """L1-regularised logistic regression on standardised features (M, H) -> labels (M,) in {0, 1}.

    ``C`` (inverse regularisation strength) is chosen by 3-fold cross-validation on the training set.
    Returns ``C``, train/test accuracy, the number of non-zero weights and the weights ``coef`` (H,) (on the
    standardised scale, so their sizes compare across units; if the chosen ``C`` zeroes every weight, those of
    the smallest larger ``C`` that keeps one, so that a unit can still be named).
    """
    scaler = StandardScaler().fit(x_train)
    a, b = scaler.transform(x_train), scaler.transform(x_test)
    def model(c):
        return LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", max_iter=1000, random_state=seed)
    scores = [cross_val_score(model(c), a, y_train, cv=3).mean() for c in cs]
    best_c = cs[int(np.argmax(scores))]
    clf = model(best_c).fit(a, y_train)
    coef = clf.coef_[0]
    for c in (c for c in sorted(cs) if c > best_c and not coef.any()):   # all weights zero: no unit to name,
        coef = model(c).fit(a, y_train).coef_[0]                          # so take the sparsest non-empty fit
    return {"C": best_c, "cv_accuracy": float(max(scores)), "train_accuracy": float(clf.score(a, y_train)),
            "test_accuracy": float(clf.score(b, y_test)), "nonzero_weights": int((coef != 0).sum()),
            "coef": coef}


def fit_threshold(values: np.ndarray, labels: np.ndarray, sign: float) -> float:
    """The threshold ``t`` maximising training accuracy of the rule "positive iff ``sign * v > t``".

    values: (M,) one unit's feature; labels: (M,) in {0, 1}. Candidates are midpoints between consecutive
    sorted values of ``sign * v`` (and one below the minimum); ties go to the smallest ``t``.
    """
    s = np.sort(sign * np.asarray(values, dtype=np.float64))
    y = np.asarray(labels)[np.argsort(sign * np.asarray(values, dtype=np.float64), kind="stable")]
    # threshold below s[k]: rows k.. predicted positive; correct = negatives before k + positives from k.
    neg_before = np.concatenate([[0], np.cumsum(y == 0)])
    pos_from = np.concatenate([np.cumsum((y == 1)[::-1])[::-1], [0]])
    k = int(np.argmax(neg_before + pos_from))
    if k == 0:
        return float(s[0] - 1.0)
    if k == len(s):
        return float(s[-1] + 1.0)
    return float((s[k - 1] + s[k]) / 2)


def unit_accuracy(values: np.ndarray, labels: np.ndarray, sign: float, threshold: float) -> float:
    """Accuracy of "positive iff ``sign * v > threshold``" on values (M,) with labels (M,)."""
    return float(np.mean((sign * np.asarray(values) > threshold) == (np.asarray(labels) == 1)))


def lstm_step(model: RNNLM, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor],
              clamp: dict[int, float] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """One time step of ``model`` (an LSTM ``RNNLM``) written out, with top-layer cell units fixed.

    x: (N,) ids; state: ``(h, c)`` each (L, N, H). Gates in torch's order ``[i, f, g, o]`` (deck 000, Part 3):
    ``c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)``, then the units in ``clamp`` get ``c_t[u] = value`` *before*
    ``h_t = σ(o) ⊙ tanh(c_t)``, as in Radford et al.'s generation. Without ``clamp`` this equals ``model(x)``.
    Returns logits (N, V) and the new state.
    """
    inp, hs, cs = model.embedding(x), [], []
    for layer in range(model.num_layers):
        w_ih, w_hh = getattr(model.rnn, f"weight_ih_l{layer}"), getattr(model.rnn, f"weight_hh_l{layer}")
        b = getattr(model.rnn, f"bias_ih_l{layer}") + getattr(model.rnn, f"bias_hh_l{layer}")
        i, f, g, o = (inp @ w_ih.T + state[0][layer] @ w_hh.T + b).chunk(4, dim=1)
        c = torch.sigmoid(f) * state[1][layer] + torch.sigmoid(i) * torch.tanh(g)
        if clamp and layer == model.num_layers - 1:
            for unit, value in clamp.items():
                c[:, unit] = value
        inp = torch.sigmoid(o) * torch.tanh(c)
        hs.append(inp)
        cs.append(c)
    return model.decoder(inp), (torch.stack(hs), torch.stack(cs))


def sample_clamped(model: RNNLM, prompt: str, length: int, clamp: dict[int, float] | None = None,
                   temperature: float = 0.8, seed: int = 0) -> str:
    """Generate ``length`` bytes after ``prompt`` with the ``clamp`` units fixed at every step (prompt too)."""
    gen = torch.Generator().manual_seed(seed)
    ids = byte_tokenize(prompt)
    state = model.init_state(1)
    out = []
    with torch.no_grad():
        for t in ids:
            logits, state = lstm_step(model, torch.tensor([t]), state, clamp)
        for _ in range(length):
            nxt = sample_next(logits, temperature, generator=gen)
            out.append(int(nxt))
            logits, state = lstm_step(model, nxt, state, clamp)
    return bytes(out).decode("utf-8", errors="replace")


def _balanced_subset(rows: list, n: int, rng: np.random.Generator) -> list:
    """``n`` rows (half per label when possible) drawn without replacement, in a seeded random order."""
    if n >= len(rows):
        return list(rows)
    by_label = {lab: [r for r in rows if r[1] == lab] for lab in (0, 1)}
    picked = [by_label[lab][i] for lab in (0, 1) for i in rng.permutation(len(by_label[lab]))[: n // 2]]
    return [picked[i] for i in rng.permutation(len(picked))]


def analyse(checkpoint: Path, out_json: Path, seed: int = 0, tiny: bool = False, n_imdb: int = 1000,
            max_bytes: int = 1000, n_check: int = 300) -> dict:
    """Find the sentiment unit of a shipped byte LM and write everything to ``out_json``.

    IMDB: ``n_imdb`` balanced reviews from train and from test (each read up to its last ``max_bytes``
    bytes); SST: all sentences of train and test. The unit is the one with the largest |weight| in the L1
    model fitted on IMDB-train final cell states; its sign is that weight's sign; its threshold is fitted on
    each dataset's train split. ``check``: the unit's accuracy on the first ``n_check`` SST test sentences with
    the SST threshold, which ``tests/test_checkpoints.py`` re-measures.
    """
    from course_lib.checkpoints import load_model

    model, _ = load_model(checkpoint)
    rng = np.random.default_rng(seed)
    if tiny:
        n_imdb, n_sst, max_bytes, n_check = 40, 60, 200, 30
    imdb = load_imdb_splits(("train", "test"))
    data = {"imdb_train": _balanced_subset(imdb["train"], n_imdb, rng),
            "imdb_test": _balanced_subset(imdb["test"], n_imdb, rng),
            "sst_train": load_sst2("train"), "sst_test": load_sst2("test")}
    if tiny:
        data["sst_train"], data["sst_test"] = data["sst_train"][:n_sst], data["sst_test"][:n_sst]
    feats = {k: review_features(model, [t for t, _ in rows], max_bytes=max_bytes if k.startswith("imdb") else None)
             for k, rows in data.items()}
    labels = {k: np.array([y for _, y in rows]) for k, rows in data.items()}

    result = {"checkpoint": checkpoint.name, "seed": seed, "features": {}, "sizes": {k: len(v) for k, v in
                                                                                     data.items()},
              "imdb_max_bytes": max_bytes}
    for kind in ("final_c", "mean_h"):
        imdb_fit = fit_all_units(feats["imdb_train"][kind], labels["imdb_train"], feats["imdb_test"][kind],
                                 labels["imdb_test"], seed=seed)
        sst_fit = fit_all_units(feats["sst_train"][kind], labels["sst_train"], feats["sst_test"][kind],
                                labels["sst_test"], seed=seed)
        coef = imdb_fit.pop("coef")
        sst_fit.pop("coef")
        unit = int(np.argmax(np.abs(coef)))
        sign = 1.0 if coef[unit] >= 0 else -1.0
        one = {}
        for ds in ("imdb", "sst"):
            v_tr, v_te = feats[f"{ds}_train"][kind][:, unit], feats[f"{ds}_test"][kind][:, unit]
            thr = fit_threshold(v_tr, labels[f"{ds}_train"], sign)
            one[ds] = {"threshold": thr, "train_accuracy": unit_accuracy(v_tr, labels[f"{ds}_train"], sign, thr),
                       "test_accuracy": unit_accuracy(v_te, labels[f"{ds}_test"], sign, thr)}
        top = np.argsort(-np.abs(coef))[:5]
        result["features"][kind] = {
            "unit": unit, "sign": sign, "top_units_by_l1_weight": [[int(u), float(coef[u])] for u in top],
            "all_units": {"imdb": imdb_fit, "sst": sst_fit}, "one_unit": one}

    best = result["features"]["final_c"]
    unit, sign = best["unit"], best["sign"]
    v = feats["imdb_train"]["final_c"][:, unit]
    pos_value = float(np.percentile(sign * v, 99) * sign)
    neg_value = float(np.percentile(sign * v, 1) * sign)
    result.update({"unit": unit, "sign": sign, "feature": "final_c",
                   "rule": "positive iff sign * c_T[unit] > threshold",
                   "threshold": best["one_unit"]["sst"]["threshold"],
                   "threshold_imdb": best["one_unit"]["imdb"]["threshold"]})
    sst_check = feats["sst_test"]["final_c"][:n_check, unit]
    result["check"] = {"what": f"one-unit accuracy on the first {n_check} SST test sentences, SST threshold",
                       "n": n_check, "accuracy": unit_accuracy(sst_check, labels["sst_test"][:n_check], sign,
                                                               result["threshold"])}
    prompt = "This movie"
    result["generation"] = {
        "prompt": prompt, "temperature": 0.8, "length": 200, "clamp_positive": pos_value,
        "clamp_negative": neg_value,
        "positive": [sample_clamped(model, prompt, 200, {unit: pos_value}, seed=s) for s in range(2)],
        "negative": [sample_clamped(model, prompt, 200, {unit: neg_value}, seed=s) for s in range(2)],
        "free": [sample_clamped(model, prompt, 200, None, seed=s) for s in range(2)]}
    out_json.write_text(json.dumps(result, indent=2) + "\n")
    return result
