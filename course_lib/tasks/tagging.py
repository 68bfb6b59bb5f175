"""Train the course's sequence labellers on real data and ship them as small checkpoints.

Deck 000, Part 4 (BiLSTM taggers for POS and NER, character-composed word vectors) and deck 001 (Bi-LSTM CRF).
Four tasks, one command::

    python -m course_lib.tasks.tagging {upos_softmax,upos_crf,ner_crf,ner_wnut_crf} [--minutes M] [--seed S]
        [--resume] [--out DIR] [--work DIR] [--epochs E] [--threads N] [--no-progress]
    python -m course_lib.tasks.tagging summary      # OUT/*.json -> benchmarks/results/tagging.json

* ``upos_softmax`` — :class:`~course_lib.models.tagger.BiLSTMTagger` (softmax per token) on UD English-EWT UPOS;
* ``upos_crf`` — :class:`~course_lib.models.tagger.BiLSTMCRF` on the same data, same budget;
* ``ner_crf`` — BiLSTM-CRF on Universal NER English-EWT (PER/LOC/ORG). Its train file is the pre-release DRAFT
  (2022-12-02; OTH and stray ``B-O`` mapped to ``O`` by :func:`course_lib.data.load_uner`), dev/test are UNER v1;
* ``ner_wnut_crf`` — a smaller BiLSTM-CRF on WNUT-17 emerging entities (6 types).

Input features of a word (all models): a *lower-cased* word embedding (digits mapped to ``0``; training words seen
fewer than ``min_count`` times share ``<unk>``, so the model learns what to do with unknown words), concatenated
with a character CNN over the *original-cased* characters (Ma & Hovy 2016: window 3, max-pooling), which carries
capitalisation, prefixes and suffixes, and so covers out-of-vocabulary words (Ling et al. 2015; Lample et al. 2016).
Training: Adam, gradient-norm clipping at 5 (the hyper-parameter table of deck 000, Part 4), the learning rate
decayed as ``lr / (1 + decay * epoch)`` (Ma & Hovy 2016), length-bucketed batches, model selection on dev
(accuracy for UPOS, span F1 for NER). ``--minutes`` is a budget of *process CPU time* (training and dev scoring):
no epoch is started that would, at the mean epoch cost so far, end past it.

Outputs: ``OUT/<task>.pt`` — the best-on-dev weights in float16 with the model config and the vocabularies inside
(load with :func:`load_tagger`) — and ``OUT/<task>.json`` beside it (command, seed, wall and CPU time, data, dev and
test metrics, error analysis, per-epoch history). The resumable training state (float32 weights, optimizer, RNG)
and the per-epoch metrics JSON go to ``WORK/<task>/``; ``--resume`` continues from there exactly.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from course_lib.data import (
    UNER_TAGS,
    UPOS_TAGS,
    WNUT_TAGS,
    Vocabulary,
    bucket_batches,
    load_ud_pos,
    load_uner,
    load_wnut17,
    pad_batch,
)
from course_lib.metrics import span_prf, tagging_error_analysis, token_accuracy
from course_lib.models.tagger import BiLSTMCRF, BiLSTMTagger
from course_lib.training import save_checkpoint, seed_everything, train, write_metrics_json

ROOT = Path(__file__).resolve().parents[2]
MAX_CHARS = 20          # longer words keep their first and last 10 characters (prefix and suffix)
_DIGIT = re.compile(r"\d")

DATASETS = {
    "ud_pos": (load_ud_pos, UPOS_TAGS, "UD English-EWT v2.16 UPOS (train 12,544 / dev 2,001 / test 2,077 sentences)"),
    "uner": (load_uner, UNER_TAGS, "Universal NER English-EWT: train = pre-release DRAFT 2022-12-02 (OTH and B-O "
                                   "mapped to O), dev/test = UNER v1 (2,001 / 2,077 sentences)"),
    "wnut17": (load_wnut17, WNUT_TAGS, "WNUT-17 emerging entities (train 3,394 / dev 1,009 / test 1,287)"),
}


@dataclass
class TaskConfig:
    """Everything that defines one training run (stored in the checkpoint and its JSON)."""

    data: str
    model: str                       # "softmax" (BiLSTMTagger) or "crf" (BiLSTMCRF)
    metric: str                      # "accuracy" (UPOS) or "f1" (entity spans)
    minutes: float = 15.0            # CPU-time budget
    epochs: int = 40                 # upper bound on epochs
    batch_size: int = 32
    lr: float = 2e-3
    lr_decay: float = 0.05
    clip_norm: float = 5.0
    min_count: int = 2
    word_dropout: float = 0.0        # alpha of word dropout (Kiperwasser & Goldberg 2016); 0 = off
    model_kwargs: dict = field(default_factory=lambda: {
        "embedding_dim": 100, "hidden_size": 150, "dropout": 0.33, "char_embedding_dim": 30,
        "char_hidden_size": 50, "char_mode": "cnn", "char_kernel_size": 3})


TASKS = {
    "upos_softmax": TaskConfig("ud_pos", "softmax", "accuracy"),
    "upos_crf": TaskConfig("ud_pos", "crf", "accuracy"),
    "ner_crf": TaskConfig("uner", "crf", "f1"),
    # WNUT-17 is small (3,394 tweets): a smaller model keeps all shipped checkpoints under 8 MB together
    "ner_wnut_crf": TaskConfig("wnut17", "crf", "f1", model_kwargs={
        "embedding_dim": 64, "hidden_size": 100, "dropout": 0.5, "char_embedding_dim": 30, "char_hidden_size": 50,
        "char_mode": "cnn", "char_kernel_size": 3}),
}


# ----------------------------------------------------------------------------------------------- features
def normalize_word(word: str) -> str:
    """The key of a word's embedding: lower-cased, every digit replaced by ``0`` (``"Feb-2004" -> "feb-0000"``)."""
    return _DIGIT.sub("0", word.lower())


def word_chars(word: str) -> str:
    """The characters the char CNN reads: the word itself, or its first and last 10 characters if longer than 20."""
    return word if len(word) <= MAX_CHARS else word[:MAX_CHARS // 2] + word[-(MAX_CHARS // 2):]


def build_vocabs(train_sents: list, tags: tuple[str, ...], min_count: int) -> dict[str, Vocabulary]:
    """``{"words", "chars", "tags"}`` vocabularies from the training sentences ``[(words, tags)]``.

    Words: normalised (:func:`normalize_word`), kept if seen ``>= min_count`` times; chars: every training
    character (``<pad>`` = 0, as :class:`~course_lib.models.tagger.CharEncoder` expects); tags: the fixed tag set.
    """
    words = Vocabulary.build(([normalize_word(w) for w in ws] for ws, _ in train_sents), min_count=min_count)
    chars = Vocabulary.build(word_chars(w) for ws, _ in train_sents for w in ws)
    return {"words": words, "chars": chars, "tags": Vocabulary(tags, specials=())}


def encode(sents: list, vocabs: dict[str, Vocabulary]) -> list[tuple]:
    """Sentences ``[(words, tags)]`` -> ``[(word_ids (T,), [char_ids (C_t,)] * T, tag_ids (T,))]``.

    Tags outside the tag vocabulary raise ``KeyError`` (the tag set is closed)."""
    out = []
    for ws, ts in sents:
        out.append((vocabs["words"].encode(normalize_word(w) for w in ws),
                    [vocabs["chars"].encode(word_chars(w)) for w in ws],
                    vocabs["tags"].encode(ts)))
    return out


def collate(examples: list[tuple]) -> tuple[torch.Tensor, ...]:
    """Encoded examples -> ``(words (N, T), chars (N, T, C), tags (N, T), mask (N, T) bool)``, zero-padded."""
    words, mask = pad_batch([e[0] for e in examples])
    tags, _ = pad_batch([e[2] for e in examples])
    N, T = words.shape
    C = max(len(c) for e in examples for c in e[1])
    chars = np.zeros((N, T, C), dtype=np.int64)
    for n, e in enumerate(examples):
        for t, c in enumerate(e[1]):
            chars[n, t, :len(c)] = c
    return (torch.from_numpy(words), torch.from_numpy(chars), torch.from_numpy(tags), torch.from_numpy(mask))


def word_keep_probabilities(train_sents: list, words: Vocabulary, alpha: float) -> np.ndarray | None:
    """Word dropout (Kiperwasser & Goldberg 2016, Sec. 6): during training a word seen ``c`` times in the training
    data is replaced by ``<unk>`` with probability ``alpha / (c + alpha)``, so the ``<unk>`` embedding is trained
    on many rare words and the tagger learns to lean on the characters for them — what an unknown word at test
    time needs. Returns the keep probability per word id (V,), or ``None`` when ``alpha == 0``."""
    if alpha <= 0:
        return None
    counts = np.zeros(len(words))
    for ws, _ in train_sents:
        np.add.at(counts, words.encode(normalize_word(w) for w in ws), 1)
    keep = counts / (counts + alpha)
    keep[[words.pad_id, words.unk_id]] = 1.0
    return keep


def drop_words(batch: tuple, keep_prob: np.ndarray | None, unk_id: int, rng: np.random.Generator) -> tuple:
    """Apply word dropout to a collated batch ``(words, chars, tags, mask)`` (the characters stay)."""
    if keep_prob is None:
        return batch
    words, chars, tags, mask = batch
    dropped = torch.from_numpy(rng.random(tuple(words.shape)) >= keep_prob[words.numpy()])
    return words.masked_fill(dropped, unk_id), chars, tags, mask


def build_model(kind: str, vocabs: dict[str, Vocabulary], model_kwargs: dict) -> torch.nn.Module:
    """A BiLSTM tagger (``kind="softmax"``) or BiLSTM-CRF (``kind="crf"``) sized for ``vocabs``."""
    cls = {"softmax": BiLSTMTagger, "crf": BiLSTMCRF}[kind]
    return cls(len(vocabs["words"]), len(vocabs["tags"]), char_vocab_size=len(vocabs["chars"]), **model_kwargs)


# ---------------------------------------------------------------------------------------------- inference
@torch.no_grad()
def predict_tags(model: torch.nn.Module, vocabs: dict[str, Vocabulary], sentences: list[list[str]],
                 batch_size: int = 256) -> list[list[str]]:
    """Tag each sentence (a list of words); returns one list of tag strings per sentence, in input order."""
    model.eval()
    enc = encode([(ws, [vocabs["tags"].itos[0]] * len(ws)) for ws in sentences], vocabs)
    order = sorted(range(len(enc)), key=lambda i: len(enc[i][0]))      # similar lengths together: less padding
    out: list = [None] * len(enc)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        words, chars, _, mask = collate([enc[i] for i in idx])
        for i, ids in zip(idx, model.predict(words, mask, chars), strict=True):
            out[i] = [vocabs["tags"].itos[j] for j in ids]
    return out


def evaluate(model: torch.nn.Module, vocabs: dict[str, Vocabulary], sents: list, metric: str) -> dict:
    """``{"accuracy": ...}`` (token accuracy) or the :func:`~course_lib.metrics.span_prf` dict, on ``sents``."""
    pred = predict_tags(model, vocabs, [ws for ws, _ in sents])
    gold = [ts for _, ts in sents]
    if metric == "accuracy":
        return {"accuracy": token_accuracy(gold, pred)}
    return span_prf(gold, pred)


def load_tagger(path: str | os.PathLike) -> tuple[torch.nn.Module, dict[str, Vocabulary], dict]:
    """Rebuild a shipped tagger: returns ``(model in eval mode, float32; vocabs; the checkpoint payload)``."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    vocabs = {k: Vocabulary.from_dict(v) for k, v in payload["vocabs"].items()}
    model = build_model(payload["config"]["model"], vocabs, payload["config"]["model_kwargs"])
    model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    return model.eval(), vocabs, payload


def _save_shipped(path: Path, model: torch.nn.Module, cfg: TaskConfig, vocabs: dict, meta: dict) -> None:
    half = copy.deepcopy(model).half()          # float16 storage halves the file; load_tagger casts back
    save_checkpoint(path, half, None, meta, config=asdict(cfg), vocabs={k: v.to_dict() for k, v in vocabs.items()})


# ------------------------------------------------------------------------------------------------ training
def run(task: str, *, minutes: float | None = None, seed: int = 0, resume: bool = False,
        out: str | os.PathLike = ROOT / "data" / "checkpoints", work: str | os.PathLike | None = None,
        epochs: int | None = None, progress: bool = True, log=print, command: str | None = None) -> dict:
    """Train ``task`` (a key of :data:`TASKS`) and return the report that is also written to ``OUT/<task>.json``."""
    cfg = copy.deepcopy(TASKS[task])
    cfg.minutes = cfg.minutes if minutes is None else minutes
    cfg.epochs = cfg.epochs if epochs is None else epochs
    out = Path(out)
    work = (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "course_lib_runs" if work is None
            else Path(work)) / task
    work.mkdir(parents=True, exist_ok=True)
    state_path, metrics_path, best_path = work / "train_state.pt", work / "metrics.json", out / f"{task}.pt"
    if not resume:
        state_path.unlink(missing_ok=True)

    seed_everything(seed)
    loader, tagset, data_desc = DATASETS[cfg.data]
    data = {s: loader(s) for s in ("train", "dev", "test")}
    vocabs = build_vocabs(data["train"], tagset, cfg.min_count)
    train_enc, dev_enc = encode(data["train"], vocabs), encode(data["dev"], vocabs)
    model = build_model(cfg.model, vocabs, cfg.model_kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = -(-len(train_enc) // cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1.0 / (1.0 + cfg.lr_decay * (step // steps_per_epoch)))

    keep_prob = word_keep_probabilities(data["train"], vocabs["words"], cfg.word_dropout)

    def batches(epoch: int):
        rng = np.random.default_rng([seed, epoch])               # a fixed shuffle per (seed, epoch): resumable
        drop = np.random.default_rng([seed, epoch, 1])           # and fixed word-dropout draws
        return (drop_words(collate(b), keep_prob, vocabs["words"].unk_id, drop)
                for b in bucket_batches(train_enc, cfg.batch_size, key=lambda e: len(e[0]), rng=rng))

    dev_batches = [collate(dev_enc[i:i + 256]) for i in range(0, len(dev_enc), 256)]

    def loss_fn(m, batch):
        words, chars, tags, mask = batch
        return m.loss(words, tags, mask, chars)

    clock = {"cpu": 0.0, "wall": 0.0, "cpu0": time.process_time(), "wall0": time.perf_counter()}

    def metrics_fn(m, _val):
        score = evaluate(m, vocabs, data["dev"], cfg.metric)[cfg.metric]
        return {f"dev_{cfg.metric}": score, "cpu_total": clock["cpu"] + time.process_time() - clock["cpu0"],
                "wall_total": clock["wall"] + time.perf_counter() - clock["wall0"]}

    meta = {"command": command or " ".join(sys.argv), "seed": seed, "task": task, "data": data_desc,
            "torch": str(torch.__version__), "threads": torch.get_num_threads()}
    key = f"dev_{cfg.metric}"
    history: list[dict] = []
    if resume and state_path.exists():
        history = torch.load(state_path, map_location="cpu", weights_only=True)["history"]
        clock["cpu"], clock["wall"] = history[-1]["cpu_total"], history[-1]["wall_total"]
        log(f"[{task}] resuming after epoch {len(history)}")
    best = max((h[key] for h in history), default=-1.0)
    while len(history) < cfg.epochs:
        used = history[-1]["cpu_total"] if history else 0.0
        per_epoch = used / len(history) if history else 0.0
        if history and used + per_epoch > cfg.minutes * 60:
            break
        history = train(model, batches, loss_fn=loss_fn, optimizer=optimizer, epochs=len(history) + 1,
                        val_batches=dev_batches, metrics_fn=metrics_fn, clip_norm=cfg.clip_norm,
                        scheduler=scheduler, checkpoint_path=state_path, resume=True, progress=progress,
                        log=lambda s: log(f"[{task}] {s}"), meta=meta, metrics_path=metrics_path)
        if history[-1][key] > best:
            best = history[-1][key]
            _save_shipped(best_path, model, cfg, vocabs, {**meta, "epoch": len(history)})

    best_model, _, payload = load_tagger(best_path)
    report = {"task": task, **{k: payload["meta"][k] for k in ("command", "seed", "data", "torch", "threads")},
              "report_command": meta["command"], "train_cpu_seconds": history[-1]["cpu_total"],
              "train_wall_seconds": history[-1]["wall_total"],
              "cpu_budget_minutes": cfg.minutes, "epochs_run": len(history), "best_epoch": payload["meta"]["epoch"],
              "checkpoint": str(best_path.relative_to(ROOT) if best_path.is_relative_to(ROOT) else best_path),
              "checkpoint_bytes": best_path.stat().st_size, "config": asdict(cfg),
              "vocab_sizes": {k: len(v) for k, v in vocabs.items()},
              "n_parameters": sum(p.numel() for p in best_model.parameters())}
    for split in ("dev", "test"):
        report[split] = evaluate(best_model, vocabs, data[split], cfg.metric)
    # the quick re-measurement tests/test_tagger_checkpoints.py repeats on the shipped file
    report["test_first500"] = evaluate(best_model, vocabs, data["test"][:500], cfg.metric)
    if cfg.metric == "accuracy":
        pred = predict_tags(best_model, vocabs, [ws for ws, _ in data["test"]])
        report["test_error_analysis"] = tagging_error_analysis(
            data["train"], [ws for ws, _ in data["test"]], [ts for _, ts in data["test"]], pred, top=10)
    report["history"] = history
    write_metrics_json(history, metrics_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{task}.json").write_text(json.dumps(report, indent=2) + "\n")
    log(f"[{task}] best epoch {report['best_epoch']}: dev {report['dev'][cfg.metric]:.4f}, "
        f"test {report['test'][cfg.metric]:.4f}, {report['train_cpu_seconds'] / 60:.1f} CPU-min")
    return report


ANCHORS = {
    "upos": "UPOS on UD English-EWT test: a BiLSTM-CNN-CRF in the style of Ma & Hovy (2016) about 95.1 % (the "
            "course's anchor, not re-verified here; the paper itself reports 97.55 % on the WSJ Penn Treebank, not "
            "EWT); a char+word BiLSTM softmax tagger reached 95.1 % test in 8 CPU-minutes on this box",
    "ner_crf": "Mayhew et al. (NAACL 2024), Universal NER, in-language baseline XLM-R-Large fine-tuned on UNER v1 "
               "en_ewt train: 86.0 test F1, as listed for the paper on Papers with Code / SOTAVerified (not read "
               "from the paper's own table). Not comparable one-to-one: ours trains on the DRAFT train file, "
               "without any pre-training",
    "ner_wnut_crf": "WNUT-17 shared task (Derczynski et al. 2017): best entity F1 about 41.9 as commonly cited (not "
                "re-verified here; NLP-progress lists the SpinningBytes entry at 40.78 F1)",
}


def summarize(out: str | os.PathLike = ROOT / "data" / "checkpoints",
              path: str | os.PathLike = ROOT / "benchmarks" / "results" / "tagging.json") -> dict:
    """Collect every ``OUT/<task>.json`` into one benchmark result (rendered into BENCHMARKS.md)."""
    import platform

    out, rows, reports = Path(out), [], {}
    for task in TASKS:
        f = out / f"{task}.json"
        if not f.exists():
            continue
        r = reports[task] = json.loads(f.read_text())
        metric = r["config"]["metric"]
        rows.append({"task": task, "model": "BiLSTM-CRF" if r["config"]["model"] == "crf" else "BiLSTM softmax",
                     "metric": metric, "dev": round(100 * r["dev"][metric], 2),
                     "test": round(100 * r["test"][metric], 2),
                     "train_cpu_min": round(r["train_cpu_seconds"] / 60, 1),
                     "train_wall_min": round(r["train_wall_seconds"] / 60, 1), "epochs": r["epochs_run"],
                     "best_epoch": r["best_epoch"], "params": r["n_parameters"],
                     "checkpoint_MB": round(r["checkpoint_bytes"] / 1e6, 2), "seed": r["seed"]})
    result = {"title": "Sequence labelling: BiLSTM and BiLSTM-CRF taggers (UPOS, NER)",
              "command": "python -m course_lib.tasks.tagging TASK --minutes 15 --seed 0 --threads 1 (each task), "
                         "then python -m course_lib.tasks.tagging summary",
              "goal": "UD English-EWT UPOS test accuracy >= 95.5 % within 15 CPU-minutes; NER span F1 (conlleval) "
                      "against its anchor; all shipped checkpoints <= 8 MB",
              "machine": f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs, torch "
                         f"{torch.__version__}, 1 thread per run",
              "results": rows, "anchors": ANCHORS,
              "data": {t: r["data"] for t, r in reports.items()},
              "checkpoints_total_MB": round(sum(r["checkpoint_bytes"] for r in reports.values()) / 1e6, 2)}
    stopped = [t for t, r in reports.items() if r["report_command"] != r["command"]]
    if stopped:
        result["note"] = (f"{', '.join(stopped)}: stopped by hand at an epoch boundary (wall-clock limit on a "
                          "heavily shared machine), then continued or finalised with --resume (each JSON has both "
                          "commands); the CPU and wall columns are what was actually used in all")
    upos = [reports[t] for t in ("upos_softmax", "upos_crf") if t in reports]
    if upos:
        best = max(upos, key=lambda r: r["test"]["accuracy"])
        result["verdict"] = (f"best UPOS test accuracy {100 * best['test']['accuracy']:.2f} % ({best['task']}, "
                             f"{best['train_cpu_seconds'] / 60:.1f} CPU-min): goal "
                             f"{'met' if best['test']['accuracy'] >= 0.955 else 'NOT met'}")
        result["upos_error_analysis_test"] = {r["task"]: {k: r["test_error_analysis"][k] for k in
                                                          ("by_type", "confusions")} for r in upos}
    if len(upos) == 2:
        result["crf_minus_softmax_upos_test_points"] = round(
            100 * (upos[1]["test"]["accuracy"] - upos[0]["test"]["accuracy"]), 2)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m course_lib.tasks.tagging", description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=[*sorted(TASKS), "summary"],
                    help="a task to train, or 'summary': collect OUT/*.json into benchmarks/results/tagging.json")
    ap.add_argument("--minutes", type=float, default=None, help="CPU-time budget in minutes (default 15)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true", help="continue from WORK/<task>/train_state.pt")
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"), help="where <task>.pt/.json go")
    ap.add_argument("--work", default=None, help="state in WORK/<task> (default ~/.cache/course_lib_runs)")
    ap.add_argument("--epochs", type=int, default=None, help="upper bound on epochs (default 40)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    if args.task == "summary":
        return summarize(args.out)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return run(args.task, minutes=args.minutes, seed=args.seed, resume=args.resume, out=args.out, work=args.work,
               epochs=args.epochs, progress=not args.no_progress,
               command=" ".join(["python -m course_lib.tasks.tagging", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    main()
