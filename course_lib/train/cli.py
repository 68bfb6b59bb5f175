"""``python -m course_lib.train <task>``: the course's language-model training runs, one command each.

Both tasks train an :class:`~course_lib.models.language_models.RNNLM` (``torch.nn.LSTM`` cell) with truncated
BPTT (deck 000, Part 2: ``B`` parallel streams, windows of ``T`` steps, the state carried across windows and
detached; :class:`~course_lib.models.language_models.TBPTTLoss`), Adam, gradient-norm clipping (Pascanu et al.,
2013) and an exponentially decaying learning rate, through :func:`course_lib.training.train`.

A *round* is ``steps_per_round`` optimizer steps over the next slice of the training stream (the slices cycle
through the data), followed by a validation pass; it is what ``train`` calls an epoch. After every round the
checkpoint (model, Adam, scheduler, RNG states, history) and the metrics JSON are written atomically, so
``--resume`` continues exactly where a run stopped. ``--minutes`` is a wall-clock budget checked after each
round; the learning-rate schedule depends on the step count only, so a run is reproduced by its seed and its
number of rounds (both recorded).

Files written to ``--out`` (default ``runs/<task>``): ``checkpoint.pt`` (training state), ``metrics.json``
(one row per round), ``summary.json`` (config, data, wall and CPU seconds, final metrics), ``<name>.pt`` (the
float16 shipped model, see :mod:`course_lib.checkpoints`) and, for ``sentiment_lm``, ``sentiment_unit.json``.
``--ship`` also copies them to ``data/checkpoints/``.

Data-parallel: ``torchrun --nproc_per_node=W -m course_lib.train char_lm`` trains with DDP (see
:mod:`course_lib.distributed`); each rank takes its ``B / W`` rows of every global batch, writes its own
``checkpoint.rank<r>.pt`` (rank 0: ``checkpoint.pt``, metrics, summary, shipped model) and validates on the
whole validation stream. Under DDP the logged ``train_loss`` is rank 0's shard mean; the weights equal those of
one process on the whole batch (``tests/test_distributed.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from course_lib import distributed
from course_lib.checkpoints import CHECKPOINT_DIR, export_model, load_model
from course_lib.data import Vocabulary, char_tokenize, load_imdb, load_tinyshakespeare
from course_lib.models.language_models import RNNLM, TBPTTLoss, tbptt_batches
from course_lib.training import load_checkpoint, seed_everything, train

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LMConfig:
    """Model, truncated-BPTT and optimisation settings of one task.

    Model: ``RNNLM(V, embed_dim, hidden_dim, "lstm", num_layers, dropout)``. Batches: ``batch_size`` (B)
    streams x ``seq_len`` (T) steps. LR after ``s`` steps: ``lr * lr_decay ** (s / steps_per_round)``.
    ``train_chars`` / ``val_chars``: keep only that many leading tokens (None: all).
    """

    embed_dim: int
    hidden_dim: int
    num_layers: int
    dropout: float
    batch_size: int
    seq_len: int
    lr: float
    lr_decay: float
    steps_per_round: int
    rounds: int
    clip_norm: float
    minutes: float
    val_batch: int = 8
    train_chars: int | None = None
    val_chars: int | None = None


@dataclass(frozen=True)
class Task:
    name: str
    ship_name: str
    tokenizer: str
    config: LMConfig
    tiny: LMConfig
    about: str


TASKS = {t.name: t for t in [
    Task("char_lm", "char_lstm_shakespeare", "char",
         LMConfig(embed_dim=64, hidden_dim=256, num_layers=2, dropout=0.1, batch_size=32, seq_len=100, lr=5e-3,
                  lr_decay=0.72, steps_per_round=250, rounds=9, clip_norm=5.0, minutes=60.0),
         LMConfig(embed_dim=16, hidden_dim=32, num_layers=1, dropout=0.0, batch_size=4, seq_len=16, lr=1e-2,
                  lr_decay=0.9, steps_per_round=5, rounds=2, clip_norm=5.0, minutes=5.0, val_batch=2,
                  train_chars=20_000, val_chars=2_000),
         "character LSTM LM on Tiny Shakespeare, 90/10 split by characters (Karpathy's char-rnn)"),
    Task("sentiment_lm", "byte_lm_imdb", "byte",
         LMConfig(embed_dim=64, hidden_dim=512, num_layers=1, dropout=0.0, batch_size=32, seq_len=128, lr=3e-3,
                  lr_decay=0.85, steps_per_round=100, rounds=8, clip_norm=5.0, minutes=60.0, val_chars=100_000),
         LMConfig(embed_dim=16, hidden_dim=32, num_layers=1, dropout=0.0, batch_size=4, seq_len=16, lr=1e-2,
                  lr_decay=0.9, steps_per_round=5, rounds=2, clip_norm=5.0, minutes=5.0, val_batch=2,
                  train_chars=20_000, val_chars=2_000),
         "byte-level LSTM LM on IMDB train reviews, then the sentiment unit (Radford et al., 2017)"),
]}


def cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads (``resource.getrusage``)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def lm_loss(model: RNNLM, ids: torch.Tensor, seq_len: int = 200, batch_size: int = 1) -> float:
    """Mean next-token cross-entropy (nats/token) of ``model`` over the id stream ``ids`` (L,).

    ``batch_size`` parallel streams, state carried across windows of ``seq_len``; every prediction counts
    once (a token-weighted mean, so a short last window is not over-weighted). Eval mode, no gradients.
    """
    was_training, total, count, state = model.training, 0.0, 0, None
    model.eval()
    with torch.no_grad():
        for x, y in tbptt_batches(ids, batch_size, seq_len):
            logits, state = model(x, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train(was_training)
    return total / count


def load_task_data(task: Task, cfg: LMConfig, seed: int) -> dict:
    """Token streams of a task: ``train`` and ``val`` (L,) long, ``vocab`` (chars) or None (bytes), ``about``."""
    if task.tokenizer == "char":
        train_text, val_text = load_tinyshakespeare("train"), load_tinyshakespeare("val")
        vocab = Vocabulary.build([char_tokenize(train_text)])
        train_ids = torch.from_numpy(vocab.encode(char_tokenize(train_text)))
        val_ids = torch.from_numpy(vocab.encode(char_tokenize(val_text)))
        about = "tinyshakespeare input.txt: train = first 90% of the characters, val = last 10%"
    else:
        reviews = [text for text, _ in load_imdb("train")]
        order = np.random.default_rng(seed).permutation(len(reviews))
        n_val = max(1, len(reviews) // 50)
        def to_ids(idx):
            return torch.from_numpy(np.frombuffer("\n".join(reviews[i] for i in idx).encode("utf-8"),
                                                  dtype=np.uint8).astype(np.int64))
        train_ids, val_ids, vocab = to_ids(order[:-n_val]), to_ids(order[-n_val:]), None
        about = (f"IMDB train reviews (labels unused) as UTF-8 bytes, shuffled with seed {seed}, joined by '\\n'; "
                 f"val = the last {n_val} reviews of that order")
    train_ids, val_ids = train_ids[: cfg.train_chars], val_ids[: cfg.val_chars]
    return {"train": train_ids, "val": val_ids, "vocab": vocab, "about": about}


class DeviceTBPTTLoss(TBPTTLoss):
    """:class:`TBPTTLoss` that first moves the batch to the model's device (GPU ranks under NCCL)."""

    def __init__(self, device: torch.device) -> None:
        super().__init__()
        self.device = device

    def __call__(self, model, batch):
        return super().__call__(model, tuple(t.to(self.device) for t in batch))


def round_batches(stream: list, steps: int, rank: int, world: int):
    """``epoch -> batches`` for :func:`train`: round ``e`` takes the next ``steps`` windows of ``stream``
    (cycling), each sharded to this rank's rows (:func:`course_lib.distributed.shard`)."""
    def batches(epoch: int) -> list:
        start = (epoch - 1) * steps
        return [distributed.shard(stream[(start + i) % len(stream)], rank, world) for i in range(steps)]
    return batches


def run(task: Task, cfg: LMConfig, seed: int, out: Path, resume: bool, progress: bool = True,
        command: str = "") -> dict:
    """Train ``task`` with ``cfg`` into ``out``; return the summary (also written to ``out/summary.json``).

    command: how the run was started, recorded in the checkpoint meta and the summary.
    """
    distributed.init_from_env()
    rank, world = distributed.rank_and_world()
    main = rank == 0
    dev = distributed.device()
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / ("checkpoint.pt" if rank == 0 else f"checkpoint.rank{rank}.pt")
    summary_path = out / "summary.json"
    if not resume and ckpt.exists():
        ckpt.unlink()
        if main:
            print(f"[course_lib.train] starting afresh: removed {ckpt} (pass --resume to continue it)")
    before = json.loads(summary_path.read_text()) if resume and summary_path.exists() else {}

    seed_everything(seed)
    data = load_task_data(task, cfg, seed)
    vocab_size = len(data["vocab"]) if data["vocab"] is not None else 256
    model = RNNLM(vocab_size, cfg.embed_dim, cfg.hidden_dim, "lstm", cfg.num_layers, cfg.dropout).to(dev)
    model = distributed.wrap(model)          # DDP broadcasts rank 0's initial weights
    torch.manual_seed(seed + rank)           # distinct dropout masks per rank
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cfg.lr_decay ** (step / cfg.steps_per_round))
    stream = tbptt_batches(data["train"], cfg.batch_size, cfg.seq_len)
    val_batches = tbptt_batches(data["val"], cfg.val_batch, cfg.seq_len)
    meta = {"task": task.name, "seed": seed, "config": asdict(cfg), "world_size": world,
            "command": command}

    start_round = torch.load(ckpt, weights_only=True)["epoch"] if ckpt.exists() else 0
    t0, c0, history = time.perf_counter(), cpu_seconds(), []
    for r in range(start_round + 1, cfg.rounds + 1):
        history = train(model, round_batches(stream, cfg.steps_per_round, rank, world),
                        loss_fn=DeviceTBPTTLoss(dev), optimizer=optimizer, epochs=r, val_batches=val_batches,
                        clip_norm=cfg.clip_norm, scheduler=scheduler, checkpoint_path=ckpt, resume=True,
                        progress=progress and main, log=print if main else None, meta=meta,
                        metrics_path=out / "metrics.json" if main else None)
        if distributed.any_rank(time.perf_counter() - t0 > 60 * cfg.minutes):
            if main and r < cfg.rounds:
                print(f"[course_lib.train] --minutes {cfg.minutes} used up after round {r}/{cfg.rounds}; "
                      f"--resume continues")
            break
    if not history and ckpt.exists():        # no round left to train: report (and export) the finished run
        history = load_checkpoint(ckpt, model)["history"]
    wall, cpu = time.perf_counter() - t0, distributed.all_sum(cpu_seconds() - c0)
    rounds_done = len(history)
    steps = rounds_done * cfg.steps_per_round
    summary = {
        "task": task.name, "about": task.about, "seed": seed, "config": asdict(cfg), "world_size": world,
        "commands": before.get("commands", []) + [meta["command"]],
        "data": {"about": data["about"], "train_tokens": len(data["train"]), "val_tokens": len(data["val"]),
                 "vocab_size": vocab_size},
        "rounds_done": rounds_done, "steps": steps, "tokens_seen": steps * cfg.batch_size * cfg.seq_len,
        "wall_s": before.get("wall_s", 0.0) + wall, "cpu_s": before.get("cpu_s", 0.0) + cpu,
        "torch_threads": torch.get_num_threads(), "torch": str(torch.__version__),
        "val_loss": history[-1]["val_loss"] if history else math.nan,
        "history": history,
    }
    summary["val_bits_per_token"] = summary["val_loss"] / math.log(2)
    if main:
        bare = distributed.unwrap(model).to("cpu")
        shipped = export_model(out / f"{task.ship_name}.pt", bare, task.tokenizer, data["vocab"], meta={
            **meta, "records": [task.ship_name, "sentiment_unit"] if task.tokenizer == "byte" else [task.ship_name]})
        shipped_model, _ = load_model(shipped)
        n_check = 20_000 if len(data["val"]) > 20_000 else len(data["val"])
        summary["check"] = {"what": f"lm_loss(model, val[:{n_check}], seq_len=200, batch_size=1), float16 weights",
                            "val_tokens": n_check,
                            "loss": lm_loss(shipped_model, data["val"][:n_check], seq_len=200, batch_size=1)}
        summary_path.write_text(json.dumps(summary, indent=2) + "\n")
        (out / f"{task.ship_name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m course_lib.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="tasks:\n" + "\n".join(f"  {t.name:13s} {t.about}" for t in TASKS.values()))
    p.add_argument("task", choices=sorted(TASKS), help="what to train")
    p.add_argument("--minutes", type=float, help="wall-clock budget, checked after each round (default: task's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--out", type=Path, help="output folder (default: runs/<task>)")
    p.add_argument("--rounds", type=int, help="total rounds of steps_per_round steps (default: task's)")
    p.add_argument("--tiny", action="store_true", help="a tiny model on a sliver of the data (tests, smoke runs)")
    p.add_argument("--ship", action="store_true", help="copy the shipped model and its JSON to data/checkpoints/")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    task = TASKS[args.task]
    cfg = task.tiny if args.tiny else task.config
    cfg = replace(cfg, **{k: v for k, v in (("minutes", args.minutes), ("rounds", args.rounds)) if v is not None})
    out = args.out or ROOT / "runs" / task.name
    command = " ".join(["python -m course_lib.train", *(sys.argv[1:] if argv is None else argv)])
    summary = run(task, cfg, args.seed, out, args.resume, progress=not args.no_progress, command=command)
    if distributed.is_main():
        if task.name == "sentiment_lm":
            from course_lib.train.sentiment import analyse
            analyse(out / f"{task.ship_name}.pt", out / "sentiment_unit.json", seed=args.seed, tiny=args.tiny)
        print(f"[course_lib.train] {task.name}: {summary['rounds_done']} rounds, val {summary['val_loss']:.4f} "
              f"nats/token ({summary['val_bits_per_token']:.3f} bits), wall {summary['wall_s']:.0f} s, "
              f"CPU {summary['cpu_s']:.0f} s -> {out}")
        if args.ship:
            CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
            for name in (f"{task.ship_name}.pt", f"{task.ship_name}.json", "sentiment_unit.json"):
                if (out / name).exists():
                    shutil.copyfile(out / name, CHECKPOINT_DIR / name)
            print(f"[course_lib.train] shipped to {CHECKPOINT_DIR}")
    distributed.cleanup()
    return 0
