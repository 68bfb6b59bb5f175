"""A sentiment unit from a word-level LSTM language model trained on a CPU (deck 000, Part 5; Radford et al., 2017).

    python -m course_lib.train sentiment_word_lm [--minutes CPU_MIN] [--resume] [--seed S] [--out DIR]
        [--work DIR] [--threads N] [--tiny] [--ship] [--no-progress]

Radford, Jozefowicz and Sutskever (2017) found one unit of a 4,096-unit byte mLSTM LM that classified IMDB
reviews alone (7.70 % error) after a month on four GPUs. The course's byte LSTM (``sentiment_lm``) shows no such
unit after CPU-minutes. This task is what made one emerge on two CPU cores:

* **Words, not bytes.** Sentiment words ("great", "waste", "worst") are single tokens, so the LM profits from
  tracking the review's polarity as soon as it can predict words at all, instead of after it has learned to spell.
* **Whole reviews, full backpropagation through time.** Each training example is one review read from the zero
  state (``</r>`` first), up to its last ``max_len`` tokens, and the gradient flows over the whole review. With
  truncated BPTT over a stream of concatenated reviews (windows of 50), predicting "terrible" in the last
  paragraph cannot send credit back to "boring" in the first: the long-range half of the signal is cut.
  Reading from the zero state is also exactly how the features are read afterwards.
* The rest is the IMDB LM of :mod:`course_lib.tasks.imdb`: vocabulary of the 8,000 most frequent training
  tokens, an adaptive softmax (Grave et al., 2017), Adam, norm clipping at 5; the 1,000 held-out training reviews
  are never read by the LM.

After every chunk of updates the run *probes* the LM (the emergence curve): it reads the 1,000 held-out training
reviews and ``probe_n`` test reviews, picks the unit and sign whose one threshold best separates the held-out
reviews (:func:`best_single_unit`) and records that unit's test accuracy, for two readings of a review — the final
cell state ``c_T`` (Radford et al.'s) and the hidden state averaged over the review — next to a logistic regression
on all units. :func:`analyse` repeats it at full size at the end (unit chosen on all 24,000 training reviews, tested
on all 25,000 test reviews and on SST-2), and samples with the unit clamped.

Files in ``--out`` (default ``runs/sentiment_word_lm``): ``train_state.pt`` (resumable), ``metrics.json`` (per
chunk, including the probe), ``word_lm_imdb.pt`` (float16 shipped model, :func:`load_word_lm`) and
``sentiment_word_unit.json`` (everything measured, the emergence curve included).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from course_lib.baselines import tokenize
from course_lib.checkpoints import CHECKPOINT_DIR
from course_lib.data import Vocabulary, load_sst2, pad_batch
from course_lib.models.language_models import sample_next
from course_lib.tasks.imdb import AdaptiveLM, Config, chunk_of_epochs, prepare_data, run_chunks
from course_lib.train.sentiment import fit_all_units, fit_threshold, lstm_step, unit_accuracy
from course_lib.training import load_checkpoint, seed_everything

ROOT = Path(__file__).resolve().parents[2]
BOS = 2                 # "</r>": the end-of-review token of the IMDB vocabulary also starts every review
SHIP_NAME = "word_lm_imdb"
RECORD_NAME = "sentiment_word_unit"
FEATURES = ("final_c", "mean_h")


@dataclass(frozen=True)
class WordLMConfig:
    """Everything that defines a run (stored in the checkpoint and the record).

    Model: ``AdaptiveLM(vocab_size, embed_dim, hidden_dim, cutoffs)`` (one LSTM layer). Batches: ``batch_size``
    whole reviews of similar length, each its last ``max_len`` tokens after ``</r>``. ``minutes``: budget of
    process CPU time; a chunk is ``chunk_steps`` updates followed by the probe (``probe_n`` test reviews).
    """

    vocab_size: int = 8000
    embed_dim: int = 64
    hidden_dim: int = 512
    cutoffs: tuple = (1000, 3000)
    max_len: int = 400
    batch_size: int = 32
    lr: float = 2e-3
    clip_norm: float = 5.0
    chunk_steps: int = 250
    minutes: float = 180.0
    probe_n: int = 1000
    val_lm_reviews: int = 300
    train_reviews: int | None = None        # None: all 24,000 (a smaller number only for --tiny)
    chrono_t_max: int | None = None         # forget-gate "chrono" initialisation up to this timescale (None: off)
    skip_ahead: int = 0                     # > 0: also predict a random word 2..skip_ahead steps ahead (a second head)
    skip_weight: float = 1.0                # weight of that loss
    bf16: bool = False                      # train under bfloat16 autocast (weights and Adam stay float32)
    lr_decay_after: int | None = None       # chunks after this one run at lr * lr_decay ** (chunk - lr_decay_after)
    lr_decay: float = 1.0
    dropout: float = 0.0                    # on embeddings and LSTM outputs while training (not the recurrence)


TINY = WordLMConfig(vocab_size=8000, embed_dim=16, hidden_dim=24, cutoffs=(1000, 3000), max_len=40, batch_size=8,
                    chunk_steps=4, minutes=0.5, probe_n=60, val_lm_reviews=16, train_reviews=200)


class SkipAheadLM(AdaptiveLM):
    """:class:`AdaptiveLM` with a second adaptive-softmax head, ``far``, that predicts from ``h_t`` a word drawn
    uniformly from the next ``2 .. K`` positions — a label-free objective that only document-level knowledge
    (topic, polarity) can help with, since local syntax says little about a word 20 tokens ahead. Reading,
    sampling and the sentiment probe use the LSTM and the next-word head only, exactly as for ``AdaptiveLM``."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, cutoffs: tuple, skip_ahead: int,
                 skip_weight: float = 1.0, dropout: float = 0.0) -> None:
        super().__init__(vocab_size, embed_dim, hidden_dim, cutoffs, dropout)
        self.far = torch.nn.AdaptiveLogSoftmaxWithLoss(hidden_dim, vocab_size, list(cutoffs), div_value=4.0)
        self.skip_ahead, self.skip_weight = skip_ahead, skip_weight


def build_model(cfg: WordLMConfig) -> AdaptiveLM:
    """The LM of ``cfg``: :class:`SkipAheadLM` when ``cfg.skip_ahead`` is set, else :class:`AdaptiveLM`."""
    if cfg.skip_ahead:
        return SkipAheadLM(cfg.vocab_size, cfg.embed_dim, cfg.hidden_dim, cfg.cutoffs, cfg.skip_ahead,
                           cfg.skip_weight, cfg.dropout)
    return AdaptiveLM(cfg.vocab_size, cfg.embed_dim, cfg.hidden_dim, cfg.cutoffs, cfg.dropout)


# ------------------------------------------------------------------------------------------------ batches
def review_batch(rows: list, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``[(ids, label)]`` -> ids (N, T+1) with ``</r>`` first and right padding (id 0), mask (N, T+1) bool.

    Each review keeps its last ``max_len`` tokens; ``T`` is the longest of the batch after that cut.
    """
    ids, mask = pad_batch([np.concatenate([[BOS], r[0][-max_len:]]) for r in rows])
    return torch.from_numpy(ids), torch.from_numpy(mask)


def review_lm_loss(model: AdaptiveLM, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean next-token NLL (nats) over the real tokens of a :func:`review_batch`; every review starts from the
    zero state and the gradient runs through the whole review (full BPTT). Padding sits after each review's
    end, so it never reaches a real position's state, and its targets are masked out."""
    ids, mask = batch
    out, _ = model.lm(ids[:, :-1])                                   # (N, T, H), dropped out when training
    keep = mask[:, 1:]
    loss = model.softmax(out[keep], ids[:, 1:][keep]).loss
    far = getattr(model, "far", None)
    if far is None or not model.training:                            # validation: the next-word NLL only
        return loss
    targets, valid = skip_ahead_targets(ids, mask, model.skip_ahead)
    if valid.any():
        loss = loss + model.skip_weight * far(out[valid], targets[valid]).loss
    return loss


def skip_ahead_targets(ids: torch.Tensor, mask: torch.Tensor, k: int,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """For each step ``t`` of a :func:`review_batch` (N, T+1) — the state after reading ``ids[:, t]`` — the id at
    ``t + d`` with ``d`` uniform in ``2 .. k``, and whether that position is a real token of the same review.
    Returns targets (N, T) long and valid (N, T) bool."""
    n, t = ids.shape[0], ids.shape[1] - 1
    ahead = torch.arange(t)[None, :] + torch.randint(2, k + 1, (n, t), generator=generator)
    valid = ahead < ids.shape[1]
    ahead = ahead.clamp(max=ids.shape[1] - 1)
    valid &= torch.gather(mask, 1, ahead) & mask[:, :-1]
    return torch.gather(ids, 1, ahead), valid


def chrono_init(lstm: torch.nn.LSTM, t_max: int, generator: torch.Generator | None = None) -> None:
    """Chrono initialisation of the gate biases (Tallec & Ollivier, 2018): ``b_f = log(u)``, ``u ~ U(1, t_max - 1)``
    and ``b_i = -b_f``, so unit ``k`` starts out remembering for about ``u_k`` steps instead of about one.

    torch's gate order is ``[i, f, g, o]`` (deck 000, Part 3); the biases live in ``bias_ih`` (set here) and
    ``bias_hh`` (zeroed for the two gates), and only their sum matters.
    """
    h = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            b_ih, b_hh = getattr(lstm, f"bias_ih_l{layer}"), getattr(lstm, f"bias_hh_l{layer}")
            u = torch.empty(h).uniform_(1.0, t_max - 1.0, generator=generator)
            b_ih[h:2 * h], b_hh[h:2 * h] = torch.log(u), 0.0
            b_ih[:h], b_hh[:h] = -torch.log(u), 0.0


# ------------------------------------------------------------------------------------------------ features
@torch.no_grad()
def review_states(model: AdaptiveLM, rows: list, max_len: int, batch_size: int = 128) -> dict[str, np.ndarray]:
    """Read each review (``</r>`` + its last ``max_len`` tokens) from the zero state; two readings, each (M, H):

    ``"final_c"``: the cell state after the last token, ``c_T`` (Radford et al.'s features);
    ``"mean_h"``: the hidden state averaged over the review's steps.
    Reviews are run in groups of one exact length (no padding, no packing: packed batches are slow on a CPU).
    """
    was_training = model.training
    model.eval()
    seqs = [np.concatenate([[BOS], r[0][-max_len:]]) for r in rows]
    lengths = np.array([len(s) for s in seqs])
    hidden = model.lm.hidden_dim
    out = {k: np.zeros((len(rows), hidden), dtype=np.float32) for k in FEATURES}
    for t in np.unique(lengths):
        same = np.flatnonzero(lengths == t)
        for k in range(0, len(same), batch_size):
            idx = same[k:k + batch_size]
            x = torch.from_numpy(np.stack([seqs[i] for i in idx]))
            h, (_, c_n) = model.lm.rnn(model.lm.embedding(x))
            out["final_c"][idx] = c_n[-1].numpy()
            out["mean_h"][idx] = h.mean(1).numpy()
    model.train(was_training)
    return out


def best_single_unit(values: np.ndarray, labels: np.ndarray) -> dict:
    """The unit, sign and threshold whose rule "positive iff sign * v[unit] > threshold" is most accurate on
    ``values`` (M, H) with ``labels`` (M,) in {0, 1} (ties: the lower unit, then sign +1)."""
    best = {"accuracy": -1.0}
    for unit in range(values.shape[1]):
        for sign in (1.0, -1.0):
            thr = fit_threshold(values[:, unit], labels, sign)
            acc = unit_accuracy(values[:, unit], labels, sign, thr)
            if acc > best["accuracy"]:
                best = {"unit": unit, "sign": sign, "threshold": thr, "accuracy": acc}
    return best


def all_units_accuracy(x_fit: np.ndarray, y_fit: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                       C: float = 0.1) -> float:
    """Test accuracy of an L2 logistic regression on all standardised units (the cheap probe of every chunk)."""
    scaler = StandardScaler().fit(x_fit)
    clf = LogisticRegression(C=C, max_iter=2000).fit(scaler.transform(x_fit), y_fit)
    return float(clf.score(scaler.transform(x_test), y_test))


def probe(model: AdaptiveLM, fit_rows: list, test_rows: list, max_len: int) -> dict:
    """One point of the emergence curve: per reading, the best unit chosen on ``fit_rows`` and its accuracy on
    ``test_rows``, and the all-units logistic regression's test accuracy."""
    f_fit, f_test = review_states(model, fit_rows, max_len), review_states(model, test_rows, max_len)
    y_fit, y_test = np.array([y for _, y in fit_rows]), np.array([y for _, y in test_rows])
    out = {}
    for kind in FEATURES:
        b = best_single_unit(f_fit[kind], y_fit)
        out[kind] = {"unit": b["unit"], "sign": b["sign"], "fit_accuracy": b["accuracy"],
                     "test_accuracy": unit_accuracy(f_test[kind][:, b["unit"]], y_test, b["sign"], b["threshold"]),
                     "all_units_test_accuracy": all_units_accuracy(f_fit[kind], y_fit, f_test[kind], y_test)}
    return out


# ------------------------------------------------------------------------------------------------ sampling
@torch.no_grad()
def sample_clamped(model: AdaptiveLM, vocab: Vocabulary, prompt: str, length: int,
                   clamp: dict[int, float] | None = None, temperature: float = 0.8, seed: int = 0) -> str:
    """``length`` words after ``prompt`` (tokenised like training), the ``clamp`` cell units fixed at every step
    (Radford et al., Table 5). Returns the generated words joined by spaces (``</r>`` ends a review: stop)."""
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    zeros = torch.zeros(model.lm.num_layers, 1, model.lm.hidden_dim)
    state = (zeros, zeros.clone())
    ids = [BOS, *vocab.encode(tokenize(prompt)).tolist()]
    for t in ids:
        h, state = lstm_step(model.lm, torch.tensor([t]), state, clamp)       # decoder is the identity: h (1, H)
    words = []
    for _ in range(length):
        nxt = sample_next(model.softmax.log_prob(h), temperature, generator=gen)
        if int(nxt) == BOS:
            break
        words.append(vocab.itos[int(nxt)])
        h, state = lstm_step(model.lm, nxt, state, clamp)
    model.train(was_training)
    return " ".join(words)


# ------------------------------------------------------------------------------------------------ checkpoints
def export_word_lm(path: Path, model: AdaptiveLM, vocab: Vocabulary, cfg: WordLMConfig, meta: dict) -> Path:
    """The shipped file: float16 weights, the config, the vocabulary and the training record's meta."""
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    torch.save({"format": "course_lib.word_lm/1", "config": asdict(cfg), "state_dict": state,
                "vocab": vocab.to_dict(), "meta": meta}, path)
    return path


def load_word_lm(path: str | Path | None = None) -> tuple[AdaptiveLM, Vocabulary, dict]:
    """Load a shipped word LM (default ``data/checkpoints/word_lm_imdb.pt``): ``(model in eval mode, float32;
    vocabulary; payload)``. Its sentiment unit is in ``sentiment_word_unit.json`` beside it."""
    path = Path(path or CHECKPOINT_DIR / f"{SHIP_NAME}.pt")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != "course_lib.word_lm/1":
        raise ValueError(f"{path} is not a shipped word LM (format {payload.get('format')!r})")
    cfg = WordLMConfig(**{**payload["config"], "cutoffs": tuple(payload["config"]["cutoffs"])})
    model = build_model(cfg)
    model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()})
    return model.eval(), Vocabulary.from_dict(payload["vocab"]), payload


# ------------------------------------------------------------------------------------------------ the run
def chunk_lr(cfg: WordLMConfig, chunk: int) -> float:
    """Adam's learning rate during chunk ``chunk`` (1-based): constant, then a geometric decay per chunk."""
    if cfg.lr_decay_after is None or chunk <= cfg.lr_decay_after:
        return cfg.lr
    return cfg.lr * cfg.lr_decay ** (chunk - cfg.lr_decay_after)


def train_word_lm(cfg: WordLMConfig, seed: int, out: Path, work: Path, resume: bool, progress: bool,
                  command: str, log=print, max_chunks: int = 10_000) -> dict:
    """Train (or resume) the LM into ``out`` until the CPU budget or chunk ``max_chunks``; returns the data
    dict and the history."""
    out.mkdir(parents=True, exist_ok=True)
    data = prepare_data(Config(vocab_size=cfg.vocab_size), seed, work)
    # the splits are ordered negatives first: a small sample must stride, not cut
    train_rows = data["train"][:: len(data["train"]) // cfg.train_reviews] if cfg.train_reviews else data["train"]
    probe_rng = np.random.default_rng([seed, 1])
    probe_test = [data["test"][i] for i in sorted(probe_rng.permutation(len(data["test"]))[: cfg.probe_n])]
    probe_fit = data["val"][:: max(1, len(data["val"]) // cfg.probe_n)]
    seed_everything(seed)
    model = build_model(cfg)
    if cfg.chrono_t_max:
        chrono_init(model.lm.rnn, cfg.chrono_t_max, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def batches(chunk: int):
        # the learning rate is a function of the chunk alone (set after train() has restored Adam), so a resumed
        # run follows the same schedule
        for group in optimizer.param_groups:
            group["lr"] = chunk_lr(cfg, chunk)
        for rows in chunk_of_epochs(train_rows, cfg.batch_size, cfg.max_len, seed, chunk, cfg.chunk_steps):
            yield review_batch(rows, cfg.max_len)

    val_lm = data["val"][:: len(data["val"]) // cfg.val_lm_reviews]
    val_batches = [review_batch(val_lm[i:i + 50], cfg.max_len) for i in range(0, len(val_lm), 50)]

    def metrics_fn(m, _val):
        return {"probe": probe(m, probe_fit, probe_test, cfg.max_len)}

    def on_chunk(history):
        h = history[-1]
        p = h["probe"]
        log(f"[sentiment_word_lm] chunk {len(history)}: val {h['val_loss']:.3f} nats/token, "
            f"{h['cpu_total'] / 60:.1f} CPU-min; one unit c_T {100 * p['final_c']['test_accuracy']:.1f} % "
            f"(unit {p['final_c']['unit']}), mean h {100 * p['mean_h']['test_accuracy']:.1f} % "
            f"(unit {p['mean_h']['unit']}); all units {100 * p['mean_h']['all_units_test_accuracy']:.1f} %")

    state = out / "train_state.pt"
    meta = {"command": command, "seed": seed, "task": "sentiment_word_lm", "config": asdict(cfg),
            "torch": str(torch.__version__), "threads": torch.get_num_threads()}

    def loss_fn(m, batch):
        """Training steps under bfloat16 autocast when asked (about 2x faster on a CPU with AMX/AVX-512 bf16);
        validation in float32."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16 and m.training):
            return review_lm_loss(m, batch)

    history = run_chunks(model, batches, loss_fn=loss_fn, optimizer=optimizer, minutes=cfg.minutes,
                         state_path=state, metrics_path=out / "metrics.json",
                         val_batches=val_batches, metrics_fn=metrics_fn, clip_norm=cfg.clip_norm, resume=resume,
                         progress=progress, log=log, meta=meta, on_chunk=on_chunk, max_chunks=max_chunks)
    if state.exists():      # a resumed run with no chunk left to train has not loaded it yet
        load_checkpoint(state, model)
    lengths = np.array([min(len(r[0]), cfg.max_len) for r in train_rows])
    tokens_per_epoch = int(lengths.sum() + len(lengths))             # targets: every token and the first one
    annotate_progress(history, cfg.chunk_steps * cfg.batch_size, tokens_per_epoch / len(train_rows))
    return {"model": model, "data": data, "history": history, "meta": meta, "train_rows": len(train_rows),
            "tokens_per_epoch": tokens_per_epoch}


def annotate_progress(history: list[dict], reviews_per_chunk: int, tokens_per_review: float) -> list[dict]:
    """Add ``reviews_seen`` and ``tokens_seen`` (at the mean review length) after each chunk of ``history``."""
    for i, h in enumerate(history, start=1):
        h["reviews_seen"] = i * reviews_per_chunk
        h["tokens_seen"] = int(round(h["reviews_seen"] * tokens_per_review))
    return history


def analyse(model: AdaptiveLM, data: dict, cfg: WordLMConfig, seed: int, tiny: bool = False) -> dict:
    """The full-size measurement of the trained LM: the unit is chosen on the training reviews (all 24,000, or
    a sample with ``tiny``), its accuracy measured on all 25,000 test reviews and on SST-2 (threshold refitted
    on SST-2 train, as Radford et al. did for each dataset), the L1 logistic regression over all units (Radford
    et al.'s search), and samples with the unit clamped at its 1st / 99th percentile."""
    fit_rows, test_rows = data["train"], data["test"]
    if tiny:
        fit_rows, test_rows = fit_rows[::120], test_rows[::125]
    sst = {s: [(tokenize(t), y) for t, y in load_sst2(s)] for s in ("train", "test")}
    vocab = data["vocab"]
    sst = {s: [(vocab.encode(t), y) for t, y in rows] for s, rows in sst.items()}
    if tiny:
        sst = {s: rows[::20] for s, rows in sst.items()}
    feats = {"imdb_train": review_states(model, fit_rows, cfg.max_len),
             "imdb_test": review_states(model, test_rows, cfg.max_len),
             "sst_train": review_states(model, sst["train"], cfg.max_len),
             "sst_test": review_states(model, sst["test"], cfg.max_len)}
    labels = {"imdb_train": np.array([y for _, y in fit_rows]), "imdb_test": np.array([y for _, y in test_rows]),
              "sst_train": np.array([y for _, y in sst["train"]]), "sst_test": np.array([y for _, y in sst["test"]])}
    result = {"sizes": {k: int(len(v)) for k, v in labels.items()}, "imdb_max_len": cfg.max_len, "features": {}}
    for kind in FEATURES:
        b = best_single_unit(feats["imdb_train"][kind], labels["imdb_train"])
        unit, sign = b["unit"], b["sign"]
        one = {}
        for ds in ("imdb", "sst"):
            v_tr, v_te = feats[f"{ds}_train"][kind][:, unit], feats[f"{ds}_test"][kind][:, unit]
            thr = b["threshold"] if ds == "imdb" else fit_threshold(v_tr, labels["sst_train"], sign)
            one[ds] = {"threshold": thr, "train_accuracy": unit_accuracy(v_tr, labels[f"{ds}_train"], sign, thr),
                       "test_accuracy": unit_accuracy(v_te, labels[f"{ds}_test"], sign, thr)}
        all_units = {}
        for ds in ("imdb", "sst"):
            fit = fit_all_units(feats[f"{ds}_train"][kind], labels[f"{ds}_train"], feats[f"{ds}_test"][kind],
                                labels[f"{ds}_test"], seed=seed)
            coef = fit.pop("coef")
            fit["top_units_by_l1_weight"] = [[int(u), float(coef[u])] for u in np.argsort(-np.abs(coef))[:5]]
            all_units[ds] = fit
        result["features"][kind] = {"unit": unit, "sign": sign, "one_unit": one, "all_units": all_units}
    # the reading the record leads with: the one whose unit is more accurate on the *training* reviews
    feature = max(FEATURES, key=lambda k: result["features"][k]["one_unit"]["imdb"]["train_accuracy"])
    best = result["features"][feature]
    unit, sign = best["unit"], best["sign"]
    # clamping acts on the cell state whatever the reading: h = o * tanh(c) with o > 0 has the sign of c
    v = sign * feats["imdb_train"]["final_c"][:, unit]
    pos_value, neg_value = float(np.percentile(v, 99) * sign), float(np.percentile(v, 1) * sign)
    check_rows = data["test"][:: (625 if tiny else 25)]
    check_v = review_states(model, check_rows, cfg.max_len)[feature][:, unit]
    rule = {"final_c": "positive iff sign * c_T[unit] > threshold",
            "mean_h": "positive iff sign * mean_t h_t[unit] > threshold"}[feature]
    result.update({
        "unit": unit, "sign": sign, "feature": feature, "rule": rule,
        "threshold_imdb": best["one_unit"]["imdb"]["threshold"], "threshold_sst": best["one_unit"]["sst"]["threshold"],
        "check": {"what": f"one-unit accuracy ({feature}) on every 25th IMDB test review (test[::25]), IMDB threshold",
                  "n": len(check_rows),
                  "accuracy": unit_accuracy(check_v, np.array([y for _, y in check_rows]), sign,
                                            best["one_unit"]["imdb"]["threshold"])}})
    prompt, n_words = "this movie", 40
    result["generation"] = {
        "prompt": prompt, "temperature": 0.8, "length_words": n_words, "clamp_positive": pos_value,
        "clamp_negative": neg_value,
        **{name: [sample_clamped(model, vocab, prompt, n_words, clamp, seed=s) for s in range(3)]
           for name, clamp in (("positive", {unit: pos_value}), ("negative", {unit: neg_value}), ("free", None))}}
    return result


def emergence_curve(history: list[dict]) -> list[dict]:
    """The per-chunk probe as a flat table: tokens seen, CPU minutes, LM loss, and per reading the chosen unit,
    its test accuracy and the all-units accuracy."""
    rows = []
    for h in history:
        row = {"chunk": h["epoch"], "tokens_seen": h["tokens_seen"], "cpu_minutes": h["cpu_total"] / 60,
               "val_loss": h["val_loss"]}
        for kind in FEATURES:
            p = h["probe"][kind]
            row |= {f"{kind}_unit": p["unit"], f"{kind}_one_unit_acc": p["test_accuracy"],
                    f"{kind}_all_units_acc": p["all_units_test_accuracy"]}
        rows.append(row)
    return rows


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m course_lib.train sentiment_word_lm",
                                description=__doc__.split("\n\n")[1].strip())
    p.add_argument("--minutes", type=float, help="process CPU-time budget in minutes (default: 180)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from OUT/train_state.pt")
    p.add_argument("--out", type=Path, help="output folder (default: runs/sentiment_word_lm)")
    p.add_argument("--work", type=Path, help="tokenised-data cache (default: runs/imdb_work)")
    p.add_argument("--hidden", type=int, help="LSTM units (default 512)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default 2e-3)")
    p.add_argument("--skip-ahead", type=int, metavar="K", help="also predict a word 2..K ahead (default: off)")
    p.add_argument("--chunks", type=int, default=10_000, help="stop after this many chunks in all (default: budget)")
    p.add_argument("--lr-decay-after", type=int, metavar="CHUNK", help="decay the learning rate after this chunk")
    p.add_argument("--lr-decay", type=float, help="factor per chunk after --lr-decay-after (default 1: none)")
    p.add_argument("--bf16", action="store_true", default=None, help="train under bfloat16 autocast")
    p.add_argument("--dropout", type=float, help="dropout on embeddings and LSTM outputs (default 0)")
    p.add_argument("--chrono", type=int, metavar="T_MAX", help="chrono forget-gate initialisation up to T_MAX")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1; CPU time counts all)")
    p.add_argument("--tiny", action="store_true", help="a tiny model on 200 reviews (tests, smoke runs)")
    p.add_argument("--ship", action="store_true", help="copy the model and its record to data/checkpoints/")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    cfg = TINY if args.tiny else WordLMConfig()
    if args.minutes is not None:
        cfg = replace(cfg, minutes=args.minutes)
    for field, value in (("chrono_t_max", args.chrono), ("hidden_dim", args.hidden), ("lr", args.lr),
                         ("skip_ahead", args.skip_ahead), ("bf16", args.bf16),
                         ("lr_decay_after", args.lr_decay_after), ("lr_decay", args.lr_decay),
                         ("dropout", args.dropout)):
        if value is not None:
            cfg = replace(cfg, **{field: value})
    out = args.out or ROOT / "runs" / "sentiment_word_lm"
    work = args.work or ROOT / "runs" / "imdb_work"
    torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    command = " ".join(["python -m course_lib.train sentiment_word_lm", *argv])
    t0 = time.perf_counter()
    run = train_word_lm(cfg, args.seed, out, work, args.resume, not args.no_progress, command,
                        max_chunks=args.chunks)
    history = run["history"]
    c_analysis = time.process_time()
    # everything is measured on the shipped float16 weights, so the record is what a student re-measures
    export_word_lm(out / f"{SHIP_NAME}.pt", run["model"], run["data"]["vocab"], cfg,
                   {**run["meta"], "records": [RECORD_NAME]})
    model, _, _ = load_word_lm(out / f"{SHIP_NAME}.pt")
    result = analyse(model, run["data"], cfg, args.seed, tiny=args.tiny)
    record = {
        "task": "sentiment_word_lm", "about": "word-level LSTM LM on IMDB train reviews (whole reviews, full BPTT), "
        "then the single best unit as a one-threshold sentiment classifier (Radford et al., 2017)",
        "commands": run["meta"]["commands"], "seed": args.seed, "config": asdict(cfg),
        "threads": threads, "torch": str(torch.__version__),
        "data": {"lm_text": f"{run['train_rows']} IMDB training reviews (labels unused), the 1,000 held out by "
                 "course_lib.tasks.imdb.prepare_data excluded", "train_reviews": run["train_rows"],
                 "tokens_per_epoch": run["tokens_per_epoch"],
                 "vocab_size": len(run["data"]["vocab"])},
        "chunks": len(history), "updates": len(history) * cfg.chunk_steps,
        "tokens_seen": history[-1]["tokens_seen"] if history else 0,
        "epochs": (history[-1]["tokens_seen"] / run["tokens_per_epoch"]) if history else 0.0,
        "train_cpu_seconds": history[-1]["cpu_total"] if history else 0.0,
        "train_wall_seconds": history[-1]["wall_total"] if history else 0.0,
        "val_loss": history[-1]["val_loss"] if history else math.nan,
        "val_ppl": math.exp(history[-1]["val_loss"]) if history else math.nan,
        "analysis_cpu_seconds": time.process_time() - c_analysis,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        **result,
        "emergence_curve": emergence_curve(history),
        "probe": {"fit": "unit and threshold chosen on the held-out training reviews (every k-th of the 1,000, "
                  f"{cfg.probe_n} at most)", "test": f"{cfg.probe_n} test reviews (seeded sample)"},
    }
    record["session_wall_seconds"] = time.perf_counter() - t0
    (out / f"{RECORD_NAME}.json").write_text(json.dumps(record, indent=2) + "\n")
    one = record["features"][record["feature"]]["one_unit"]
    print(f"[sentiment_word_lm] {record['chunks']} chunks, {record['train_cpu_seconds'] / 60:.1f} CPU-min, val ppl "
          f"{record['val_ppl']:.1f}; unit {record['unit']}: IMDB test {100 * one['imdb']['test_accuracy']:.2f} %, "
          f"SST-2 test {100 * one['sst']['test_accuracy']:.2f} % -> {out}")
    if args.ship:
        for name in (f"{SHIP_NAME}.pt", f"{RECORD_NAME}.json"):
            shutil.copyfile(out / name, CHECKPOINT_DIR / name)
        print(f"[sentiment_word_lm] shipped to {CHECKPOINT_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
