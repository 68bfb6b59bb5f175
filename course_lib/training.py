"""The one training loop of the course, with seeding, gradient-norm clipping, checkpoints and exact resume.

Batches are any iterable of tuples and ``loss_fn(model, batch) -> scalar tensor`` hides what a batch means, so the
same :func:`train` fits Bengio's LM, the RNN/mLSTM language models (truncated BPTT, deck 000, Part 2, via
:class:`~course_lib.models.language_models.TBPTTLoss`) and the LSTM classifier. Clipping rescales the whole
gradient when its norm exceeds a threshold (Pascanu et al., 2013; the norm-clipping pseudo-code of deck 000,
Part 2); the norm *before* clipping is logged.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global RNG and torch; ask cuDNN for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False


def get_rng_state() -> dict:
    """The state of every global RNG, in plain types that ``torch.load(weights_only=True)`` accepts."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": random.getstate(), "numpy": [kind, keys.tolist(), pos, has_gauss, gauss],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned."""
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """``write(tmp)`` to a temporary file next to ``path``, then ``os.replace``: all or nothing, old file kept."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, optimizer=None, meta: dict | None = None,
                    **extra) -> Path:
    """Save model (+ optimizer) state, the global RNG states, ``meta`` and ``extra`` entries, atomically.

    ``meta`` defaults to ``{"command": sys.argv joined, "seed": torch.initial_seed(), "torch": version}``.
    """
    meta = {"command": " ".join(sys.argv), "seed": torch.initial_seed(), "torch": str(torch.__version__),
            **(meta or {})}
    payload = {"model": model.state_dict(), "optimizer": None if optimizer is None else optimizer.state_dict(),
               "meta": meta, "rng": get_rng_state(), **extra}
    return _atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: str | os.PathLike, model: torch.nn.Module, optimizer=None,
                    restore_rng: bool = False, weights_only: bool = True) -> dict:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``); return the whole payload."""
    payload = torch.load(path, map_location="cpu", weights_only=weights_only)
    model.load_state_dict(payload["model"])
    if optimizer is not None and payload.get("optimizer") is not None:
        optimizer.load_state_dict(payload["optimizer"])
    if restore_rng:
        set_rng_state(payload["rng"])
    return payload


def write_metrics_json(history: list[dict], path: str | os.PathLike) -> Path:
    """Write the per-epoch metrics (a list of dicts) as indented JSON, atomically."""
    return _atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(history, indent=2) + "\n"))


def _mean(values: list) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def train(model: torch.nn.Module, train_batches: Iterable | Callable[[int], Iterable], *,
          loss_fn: Callable[[torch.nn.Module, tuple], torch.Tensor], optimizer: torch.optim.Optimizer,
          epochs: int, val_batches: Iterable | None = None,
          metrics_fn: Callable[[torch.nn.Module, Iterable], dict] | None = None, clip_norm: float | None = None,
          scheduler=None, checkpoint_path: str | os.PathLike | None = None, resume: bool = False,
          progress: bool = True, log: Callable[[str], None] | None = None, meta: dict | None = None,
          metrics_path: str | os.PathLike | None = None) -> list[dict]:
    """Train for ``epochs`` epochs in total and return the history, one dict per epoch.

    train_batches: a re-iterable of batches, or ``epoch -> iterable`` (e.g. a fresh shuffle per epoch).
    loss_fn(model, batch) -> scalar loss; if it has ``reset()`` (like ``TBPTTLoss``) it is called at the
    start of each epoch and of validation. clip_norm: threshold for ``clip_grad_norm_`` (``None``: no clipping;
    the pre-clip norm is recorded either way). scheduler: stepped after every optimizer step.
    metrics_fn(model, val_batches) -> dict of extra validation metrics (run under ``no_grad``, eval mode).
    checkpoint_path: saved (atomically) after every epoch with model, optimizer, scheduler, epoch, history,
    RNG states and ``meta`` (on resume, default: the checkpoint's). resume: if that file exists, continue from
    it exactly (same RNG stream).
    History keys: epoch, train_loss, grad_norm_mean, grad_norm_max, clipped_frac, lr, seconds, and with
    ``val_batches`` val_loss plus the metrics_fn keys. metrics_path: history written as JSON after each epoch.
    """
    history, start = [], 0
    if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
        ckpt = load_checkpoint(checkpoint_path, model, optimizer, restore_rng=True)
        if scheduler is not None and ckpt.get("scheduler") is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        start, history = ckpt["epoch"], ckpt["history"]
        meta = ckpt.get("meta") if meta is None else meta
    reset = getattr(loss_fn, "reset", lambda: None)
    params = [p for p in model.parameters() if p.requires_grad]
    for epoch in tqdm(range(start + 1, epochs + 1), desc="epochs", disable=not progress, initial=start,
                      total=epochs):
        t0, losses, norms = time.perf_counter(), [], []
        model.train()
        reset()
        batches = train_batches(epoch) if callable(train_batches) else train_batches
        bar = tqdm(batches, desc=f"epoch {epoch}", leave=False, disable=not progress)
        for batch in bar:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, clip_norm if clip_norm is not None else float("inf"))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
            norms.append(float(norm))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        row = {"epoch": epoch, "train_loss": _mean(losses), "grad_norm_mean": _mean(norms),
               "grad_norm_max": max(norms, default=float("nan")), "lr": optimizer.param_groups[0]["lr"],
               "clipped_frac": _mean([n > clip_norm for n in norms]) if clip_norm is not None else 0.0}
        if val_batches is not None:
            model.eval()
            with torch.no_grad():
                reset()
                row["val_loss"] = _mean([loss_fn(model, b).item() for b in val_batches])
                row.update(metrics_fn(model, val_batches) if metrics_fn is not None else {})
        row["seconds"] = time.perf_counter() - t0
        history.append(row)
        if log is not None:
            log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, optimizer, meta, epoch=epoch, history=history,
                            scheduler=None if scheduler is None else scheduler.state_dict())
        if metrics_path is not None:
            write_metrics_json(history, metrics_path)
    return history
