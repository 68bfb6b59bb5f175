"""Benchmark: an averaged-embeddings feed-forward classifier on the full IMDB 25k / 25k split (the "FFNN on
averaged word vectors" row of deck 000, Part 5; Iyyer et al. 2015, "Deep unordered composition rivals syntactic
methods for text classification", report 10.6 % test error for their DAN with GloVe vectors).

Ours is :class:`course_lib.text_classification.BagOfEmbeddings` (the model of Lecture 7's adversarial section):
the mean of the embeddings of the review's distinct words (words in at least 3 training reviews), a tanh layer
and a softmax, embeddings trained from a random start (no GloVe), Adam, a fixed number of epochs. The epoch
count is chosen on 2,500 held-out training reviews; the test set is scored once, with the chosen epoch.

    COURSE_DATA_MIRROR=/work/shared/data .venv/bin/python benchmarks/bench_imdb_dan.py

About two CPU-minutes.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from course_lib.baselines import ngram_vectorizer
from course_lib.data import load_imdb_splits
from course_lib.text_classification import PUBLISHED_IMDB, BagOfEmbeddings, accuracy, sparse_rows_to_padded

RESULTS = Path(__file__).resolve().parent / "results" / "imdb_dan.json"
EMBED, HIDDEN, EPOCHS, LR, BATCH, HELD_OUT = 64, 64, 8, 5e-3, 64, 2500


def _train(model, x, m, y, xv, mv, yv, epochs):
    """Adam on the cross-entropy; returns the held-out accuracy after each epoch and the state after each."""
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    curve, states = [], []
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), BATCH):
            idx = perm[i:i + BATCH]
            loss = torch.nn.functional.cross_entropy(model(x[idx], m[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        curve.append(accuracy(model, xv, mv, yv))
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    return curve, states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    t_cpu, t_wall = time.process_time(), time.perf_counter()
    data = load_imdb_splits(("train", "test"))
    train = data["train"]
    order = np.random.default_rng(0).permutation(len(train))
    fit, held = [train[i] for i in order[HELD_OUT:]], [train[i] for i in order[:HELD_OUT]]
    vec = ngram_vectorizer((1, 1), min_df=3)
    X_fit = vec.fit_transform([t for t, _ in fit])
    X_held, X_test = vec.transform([t for t, _ in held]), vec.transform([t for t, _ in data["test"]])

    def tensors(X, rows):
        x, m = sparse_rows_to_padded(X, max_len=600)
        return x, m, torch.tensor([y for _, y in rows])

    x, m, y = tensors(X_fit, fit)
    xv, mv, yv = tensors(X_held, held)
    model = BagOfEmbeddings(X_fit.shape[1] + 1, embed_dim=EMBED, hidden=HIDDEN)
    curve, states = _train(model, x, m, y, xv, mv, yv, EPOCHS)
    best = int(np.argmax(curve))
    model.load_state_dict(states[best])
    del x, m, xv, mv
    xt, mt, yt = tensors(X_test, data["test"])
    test_err = 100 * (1 - accuracy(model, xt, mt, yt))
    published = PUBLISHED_IMDB["DAN: feed-forward net on averaged word vectors"][0]
    report = {
        "title": "IMDB: averaged word embeddings -> tanh layer -> softmax (the deck's FFNN-on-averages row)",
        "command": "COURSE_DATA_MIRROR=... python benchmarks/bench_imdb_dan.py",
        "goal": f"a measured row beside Iyyer et al.'s DAN ({published} % test error, GloVe vectors); ours learns "
                "its embeddings from the 22,500 training reviews alone",
        "machine": {"cpus": 1, "python": platform.python_version(), "torch": torch.__version__},
        "data": f"IMDB {len(fit):,} training reviews (model), {len(held):,} held out (epoch), "
                f"{len(data['test']):,} test",
        "model": {"vocabulary": int(X_fit.shape[1]), "embed_dim": EMBED, "hidden": HIDDEN, "epochs_max": EPOCHS,
                  "lr": LR, "batch_size": BATCH, "features": "distinct words of a review (min_df 3), up to 600"},
        "held_out_accuracy_by_epoch": [round(a, 4) for a in curve],
        "chosen_epoch": best + 1,
        "test_error_pct": round(test_err, 2),
        "published_dan_error_pct": published,
        "cpu_seconds": round(time.process_time() - t_cpu, 1),
        "wall_seconds": round(time.perf_counter() - t_wall, 1),
    }
    report["verdict"] = (f"ours {report['test_error_pct']} % test error against the DAN's {published} % "
                         f"(epoch {best + 1} chosen on held-out reviews)")
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
