"""Benchmark: Bengio et al.'s (2003) feed-forward LM against Kneser-Ney n-grams, word-level tiny-shakespeare.

The longer run behind lecture 2's comparison (the lecture trains a small model for ~30 s and reads this file).
Same data and conventions as lecture 1: non-empty lines are sentences, ``word_tokenize(lower=True)``, the
n-gram vocabulary with ``min_count=2`` (rarer training words are ``<unk>``), ``<s>`` padding on the left and
``</s>`` predicted at the end of every line. Both models predict exactly the same validation tokens (every word
and every ``</s>``), with probabilities normalised over the same predictive vocabulary
(:mod:`course_lib.lm_eval`); the perplexities are therefore directly comparable.

The network: context of 4 words (a 5-gram model), 64-dimensional embeddings drawn from N(0, 0.1^2) at the start
(``nn.Embedding``'s default N(0, 1) is so large next to what three passes change that the nearest neighbours
would mostly reflect the random start), 128 tanh units, no direct connections, Adam with a learning rate
decayed linearly to 0 over a fixed number of epochs (no early stopping and nothing selected on the validation
text; the mixture weight 0.5 is fixed in advance, as a plain average).

    COURSE_DATA_MIRROR=../shared/data nice -n 10 .venv/bin/python benchmarks/bench_bengio.py [--epochs 3] [--threads 1]

Writes benchmarks/results/bengio_lm.json (about 10 minutes on one core of the course machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.data import load_tinyshakespeare, word_tokenize
from course_lib.lm_eval import (
    mix_logprobs,
    nearest_neighbours,
    neural_logprobs,
    ngram_logprobs,
    perplexity,
    window_batches,
    window_dataset,
)
from course_lib.models.language_models import BengioLM
from course_lib.reference.ngram import NGramLM
from course_lib.training import seed_everything, train

RESULTS = Path(__file__).resolve().parent / "results" / "bengio_lm.json"


def machine_record() -> dict:
    """Where a benchmark ran (also used by bench_word_lstm.py, whose rows sit beside this one's)."""
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def history_rows(history: list[dict]) -> list[dict]:
    """The training history as recorded: floats to 4 digits, without the loop's own ``val_loss``."""
    return [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "val_loss"}
            for row in history]


def write_result(result: dict, out: Path) -> None:
    """Write a benchmark's record, with the machine and the date last, as JSON to ``out``; print its verdict."""
    result = {**result, "machine": machine_record(), "date": datetime.now(UTC).isoformat(timespec="seconds")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(result["verdict"])
    print(f"written to {out}")
PROBE_WORDS = ["king", "lord", "father", "love", "good", "thou", "he", "three", "speak", "france", "?"]


def sentences(text: str) -> list[list[str]]:
    """Lecture 1's tokenisation: one sentence per non-empty line, lower-cased words and punctuation."""
    return [word_tokenize(line, lower=True) for line in text.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", type=int, default=4, help="n - 1 previous words")
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init-std", type=float, default=0.1, help="std of the initial embeddings")
    parser.add_argument("--frequent", type=int, default=1000, help="neighbours are searched among this many words")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()

    if len(load_tinyshakespeare("all")) != 1_115_394:
        sys.exit("tiny-shakespeare is not available (the loader fell back to synthetic text): set "
                 "COURSE_DATA_MIRROR=/work/shared/data or allow the download, then run again")
    train_s, val_s = sentences(load_tinyshakespeare("train")), sentences(load_tinyshakespeare("val"))
    ngrams = {}
    for n in (2, 3, 4, 5):
        model = NGramLM(order=n, smoothing="kneser_ney", min_count=2).fit(train_s)
        ngrams[n] = (model, ngram_logprobs(model, val_s))
    vocab = ngrams[3][0].vocab  # the same vocabulary for every order (it depends on min_count only)
    assert all(m.vocab.itos == vocab.itos for m, _ in ngrams.values())

    ctx_tr, tgt_tr = window_dataset(train_s, vocab, args.context)
    ctx_va, tgt_va = window_dataset(val_s, vocab, args.context)
    assert len(tgt_va) == len(ngrams[3][1]), "both sides must predict the same validation tokens"

    seed_everything(args.seed)
    net = BengioLM(len(vocab), args.context, args.embed, args.hidden)
    torch.nn.init.normal_(net.embedding.weight, std=args.init_std)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    batches = window_batches(ctx_tr, tgt_tr, args.batch, seed=args.seed)
    steps = args.epochs * len(batches(1))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, 1 - step / steps))

    def val_metrics(model, _):
        return {"val_ppl": perplexity(neural_logprobs(model, ctx_va, tgt_va, vocab.n_predict))}

    t0 = time.perf_counter()
    history = train(net, batches, loss_fn=lambda m, b: F.cross_entropy(m(b[0]), b[1]), optimizer=opt,
                    scheduler=sched, epochs=args.epochs, val_batches=[], metrics_fn=val_metrics, progress=False,
                    log=lambda s: print(s, flush=True))
    train_seconds = time.perf_counter() - t0

    logp_net = neural_logprobs(net, ctx_va, tgt_va, vocab.n_predict)
    ppl_kn = {n: perplexity(lp) for n, (_, lp) in ngrams.items()}
    best_n = min(ppl_kn, key=ppl_kn.get)
    ppl_net = perplexity(logp_net)
    ppl_mix = perplexity(mix_logprobs(logp_net, ngrams[best_n][1], 0.5))
    emb = net.embedding.weight.detach().numpy()
    frequent = vocab.itos[2:2 + args.frequent]  # ids 2.. are the kept words, most frequent first
    neighbours = {w: [[t, round(c, 3)] for t, c in nearest_neighbours(emb, vocab.itos, w, k=6, among=frequent)]
                  for w in PROBE_WORDS if w in vocab}

    result = {
        "title": "Bengio et al. (2003) feed-forward LM vs Kneser-Ney, word-level tiny-shakespeare (lecture 2)",
        "command": " ".join([*(["COURSE_DATA_MIRROR=../shared/data"] if os.environ.get("COURSE_DATA_MIRROR") else []),
                             "nice -n 10 .venv/bin/python benchmarks/bench_bengio.py", *sys.argv[1:]]),
        "goal": "a fair perplexity comparison: same tokens, same vocabulary, same predicted validation tokens",
        "verdict": (f"feed-forward LM {ppl_net:.1f} vs best Kneser-Ney (n={best_n}) {ppl_kn[best_n]:.1f}; "
                    f"their 50/50 mixture {ppl_mix:.1f}"),
        "data": {"train_sentences": len(train_s), "val_sentences": len(val_s), "train_predictions": len(tgt_tr),
                 "val_predictions": len(tgt_va), "vocab_predictive": vocab.n_predict, "min_count": 2},
        "config": {"context": args.context, "embed": args.embed, "hidden": args.hidden, "direct": False,
                   "epochs": args.epochs, "batch": args.batch, "optimizer": "Adam", "lr": args.lr,
                   "lr_schedule": "linear decay to 0", "embedding_init_std": args.init_std, "seed": args.seed,
                   "threads": args.threads,
                   "parameters": sum(p.numel() for p in net.parameters())},
        "val_perplexity": {"bengio": round(ppl_net, 2), **{f"kneser_ney_n{n}": round(p, 2) for n, p in ppl_kn.items()},
                           f"mix_0.5_bengio_kn{best_n}": round(ppl_mix, 2)},
        "best_kneser_ney_order": best_n,
        "history": history_rows(history),
        "neighbours_among": f"the {args.frequent} most frequent training words, by cosine similarity",
        "neighbours": neighbours,
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_result(result, args.out)


if __name__ == "__main__":
    main()
