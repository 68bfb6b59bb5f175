"""Benchmark: a word-level LSTM language model on the tokens of lecture 2's Kneser-Ney / Bengio comparison.

The third row of lecture 2's table (Kneser-Ney trigram -> Bengio et al.'s feed-forward LM -> LSTM); the lecture
reads this file. Same data and conventions as ``bench_bengio.py``: non-empty lines of tiny-shakespeare are
sentences, ``word_tokenize(lower=True)``, the n-gram vocabulary with ``min_count=2`` (rarer training words are
``<unk>``), and the predicted validation tokens are every word and every ``</s>`` of each line, with
probabilities normalised over the same predictive vocabulary (ids ``0 .. V-1`` of the n-gram vocabulary; the
``<s>`` logit is dropped before the softmax, as :func:`course_lib.lm_eval.neural_logprobs` does).

The difference is the context. The LSTM reads each text as one stream, ``<s> w w w </s> w w </s> ...``, and
carries its state across lines (and, when training, across truncated-BPTT segments), so every prediction may
use all the text before it, not only the last ``n - 1`` words. The predicted tokens are still exactly those of
the n-gram and feed-forward rows: the script asserts that its validation targets are, token by token, the
targets of :func:`course_lib.lm_eval.window_dataset`, that there are as many as the Bengio benchmark's
``data.val_predictions`` (29,510), and that its own Kneser-Ney trigram gives the Bengio benchmark's perplexity.

The network (:class:`course_lib.models.language_models.RNNLM`, ``cell="lstm"``): 128-dimensional embeddings
drawn from N(0, 0.1^2) (as in the Bengio benchmark), one LSTM layer of 512 units, dropout 0.5 on the embeddings
and on the LSTM outputs, untied output layer; truncated BPTT over 32 parallel streams and segments of 35 tokens
(:func:`~course_lib.models.language_models.tbptt_batches`, :class:`~course_lib.models.language_models.TBPTTLoss`),
Adam with a learning rate of 2e-3 decayed linearly to 0 over a fixed number of epochs, gradient-norm clipping
at 1.0. Every hyperparameter was fixed before the run, the number of epochs from the measured time per epoch
(to stay within about 20 CPU-minutes of training). Nothing is selected on the validation text: the per-epoch
validation perplexity is only recorded, the reported model is the last epoch's, and the 50/50 mixture weight
with the Kneser-Ney trigram is fixed in advance, as in the Bengio benchmark.

    COURSE_DATA_MIRROR=../shared/data nice -n 10 .venv/bin/python benchmarks/bench_word_lstm.py [--epochs 10]

Writes benchmarks/results/word_lstm_lm.json (about 18 minutes on one core of the course machine: 1,065 s
wall, 946 CPU-seconds, measured).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from course_lib.data import load_tinyshakespeare
from course_lib.lm_eval import mix_logprobs, ngram_logprobs, perplexity, window_dataset
from course_lib.models.language_models import RNNLM, TBPTTLoss, tbptt_batches
from course_lib.reference.ngram import NGramLM, Vocabulary
from course_lib.training import seed_everything, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bengio import history_rows, sentences, write_result  # noqa: E402  (the same tokenisation and record as its rows)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "word_lstm_lm.json"
BENGIO = HERE / "results" / "bengio_lm.json"


def stream(sents: list[list[str]], vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor]:
    """The text as one id stream ``<s> s_1 </s> s_2 </s> ...``: inputs (L,) and targets (L,), shifted by one.

    The targets are every word and every ``</s>`` of every sentence, in order (``<s>`` is input only, once).
    """
    ids = [vocab.bos_id]
    for s in sents:
        ids += vocab.encode(s) + [vocab.eos_id]
    ids = torch.tensor(ids, dtype=torch.long)
    return ids[:-1], ids[1:]


@torch.no_grad()
def stream_logprobs(model: RNNLM, inputs: torch.Tensor, targets: torch.Tensor, n_predict: int,
                    chunk: int = 1024) -> np.ndarray:
    """``log P(target_t | inputs_<=t)`` along one stream, state carried from chunk to chunk: (L,) float64.

    The softmax runs over the first ``n_predict`` logits only (the predictive vocabulary, as in
    :func:`course_lib.lm_eval.neural_logprobs`). Eval mode (no dropout), restored afterwards.
    """
    if bool((targets >= n_predict).any()):
        raise ValueError(f"targets must be ids of the predictive vocabulary (< {n_predict})")
    was_training = model.training
    model.eval()
    out, state = torch.empty(len(targets), dtype=torch.float64), None
    for start in range(0, len(targets), chunk):
        logits, state = model(inputs[None, start:start + chunk], state)
        z = logits[0, :, :n_predict].double()
        t = targets[start:start + chunk]
        out[start:start + len(t)] = z.gather(1, t[:, None]).squeeze(1) - torch.logsumexp(z, dim=1)
    model.train(was_training)
    return out.numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embed", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.5, help="on the embeddings and the LSTM outputs")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32, help="parallel streams")
    parser.add_argument("--bptt", type=int, default=35, help="truncated-BPTT segment length")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--init-std", type=float, default=0.1, help="std of the initial embeddings")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t_start, cpu_start = time.perf_counter(), time.process_time()

    if len(load_tinyshakespeare("all")) != 1_115_394:
        sys.exit("tiny-shakespeare is not available (the loader fell back to synthetic text): set "
                 "COURSE_DATA_MIRROR=/work/shared/data or allow the download, then run again")
    bengio = json.loads(BENGIO.read_text())
    train_s, val_s = sentences(load_tinyshakespeare("train")), sentences(load_tinyshakespeare("val"))
    kn3 = NGramLM(order=3, smoothing="kneser_ney", min_count=2).fit(train_s)
    vocab, n_predict = kn3.vocab, kn3.vocab.n_predict
    logp_kn3 = ngram_logprobs(kn3, val_s)

    x_tr, y_tr = stream(train_s, vocab)
    x_va, y_va = stream(val_s, vocab)
    # The same predicted tokens as the Kneser-Ney and Bengio rows, in the same order, from the same vocabulary.
    _, tgt_windows = window_dataset(val_s, vocab, 1)
    assert torch.equal(y_va, tgt_windows), "the LSTM must predict exactly the n-gram / Bengio validation tokens"
    assert len(y_va) == len(logp_kn3) == bengio["data"]["val_predictions"] == 29_510, len(y_va)
    assert n_predict == bengio["data"]["vocab_predictive"], (n_predict, bengio["data"]["vocab_predictive"])
    assert round(perplexity(logp_kn3), 2) == bengio["val_perplexity"]["kneser_ney_n3"], perplexity(logp_kn3)

    seed_everything(args.seed)
    net = RNNLM(len(vocab), args.embed, args.hidden, cell="lstm", num_layers=args.layers, dropout=args.dropout)
    torch.nn.init.normal_(net.embedding.weight, std=args.init_std)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    batches = tbptt_batches(torch.cat([x_tr, y_tr[-1:]]), args.batch, args.bptt)
    steps = args.epochs * len(batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, 1 - step / steps))

    def val_metrics(model, _):
        return {"val_ppl": perplexity(stream_logprobs(model, x_va, y_va, n_predict))}

    t0, cpu0 = time.perf_counter(), time.process_time()
    history = train(net, batches, loss_fn=TBPTTLoss(), optimizer=opt, scheduler=sched, epochs=args.epochs,
                    clip_norm=args.clip, val_batches=[], metrics_fn=val_metrics, progress=False,
                    log=lambda s: print(s, flush=True))
    train_seconds, train_cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0

    logp_lstm = stream_logprobs(net, x_va, y_va, n_predict)
    assert logp_lstm.shape == logp_kn3.shape == (bengio["data"]["val_predictions"],)
    ppl_lstm, ppl_kn3 = perplexity(logp_lstm), perplexity(logp_kn3)
    ppl_mix = perplexity(mix_logprobs(logp_lstm, logp_kn3, 0.5))
    ppl_bengio = bengio["val_perplexity"]["bengio"]
    verdict = (f"LSTM {ppl_lstm:.1f} vs Bengio feed-forward LM {ppl_bengio:.1f} (bengio_lm.json) vs Kneser-Ney "
               f"n=3 {ppl_kn3:.1f}; LSTM + Kneser-Ney 50/50 mixture {ppl_mix:.1f}; "
               f"the LSTM {'beats' if ppl_lstm < ppl_bengio else 'does not beat'} the feed-forward LM")

    result = {
        "title": "Word-level LSTM LM on the tokens of the Kneser-Ney / Bengio comparison, tiny-shakespeare "
                 "(lecture 2)",
        "command": " ".join([*(["COURSE_DATA_MIRROR=../shared/data"] if os.environ.get("COURSE_DATA_MIRROR") else []),
                             "nice -n 10 .venv/bin/python benchmarks/bench_word_lstm.py", *sys.argv[1:]]),
        "goal": "the recurrent row of lecture 2's table: same tokens, same vocabulary, same predicted validation "
                "tokens as bench_bengio.py, context not limited to n-1 words; hyperparameters fixed in advance, "
                "last epoch reported",
        "verdict": verdict,
        "data": {"train_sentences": len(train_s), "val_sentences": len(val_s), "train_predictions": len(y_tr),
                 "val_predictions": len(y_va), "vocab_predictive": n_predict, "min_count": 2,
                 "same_val_tokens_as": "benchmarks/results/bengio_lm.json (asserted token by token against "
                                       "lm_eval.window_dataset, and by count against data.val_predictions)",
                 "context": "the whole text as one stream, <s> once at the start; state carried across lines "
                            "and TBPTT segments (validation: one stream from a zero state)"},
        "config": {"model": "RNNLM(cell='lstm')", "embed": args.embed, "hidden": args.hidden,
                   "layers": args.layers, "dropout": args.dropout, "tie_weights": False, "epochs": args.epochs,
                   "batch_streams": args.batch, "bptt": args.bptt, "optimizer": "Adam", "lr": args.lr,
                   "lr_schedule": "linear decay to 0", "clip_norm": args.clip,
                   "embedding_init_std": args.init_std, "seed": args.seed, "threads": args.threads,
                   "batches_per_epoch": len(batches), "parameters": sum(p.numel() for p in net.parameters())},
        "val_perplexity": {"lstm": round(ppl_lstm, 2), "kneser_ney_n3": round(ppl_kn3, 2),
                           "mix_0.5_lstm_kn3": round(ppl_mix, 2)},
        "compared_with": {"bengio": ppl_bengio,
                          "mix_0.5_bengio_kn3": bengio["val_perplexity"]["mix_0.5_bengio_kn3"],
                          "source": "benchmarks/results/bengio_lm.json"},
        "history": history_rows(history),
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "total_seconds": round(time.perf_counter() - t_start, 1),
        "total_cpu_seconds": round(time.process_time() - cpu_start, 1),
    }
    write_result(result, args.out)


if __name__ == "__main__":
    main()
