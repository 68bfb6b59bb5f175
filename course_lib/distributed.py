"""Data-parallel training with ``torch.distributed``: DistributedDataParallel (DDP) helpers.

Data parallelism (Li et al., 2020, "PyTorch Distributed: Experiences on Accelerating Data Parallel Training"):
``W`` processes (ranks) each hold a full replica of the model. Every *global* batch of ``N`` rows is cut along
the batch axis into ``W`` contiguous shards of ``N / W`` rows, rank ``r`` takes rows ``[r N/W, (r+1) N/W)``.
After each backward pass DDP all-reduces the gradients and divides by ``W``, so with a loss that is a mean over
equal-sized shards every replica applies

    g = (1/W) Σ_r ∇ L_r = ∇ L_all,

the gradient of the single-process loss over the whole batch: the replicas stay identical, and a DDP run
equals a one-process run on the combined batch (``tests/test_distributed.py`` checks this to 1e-6 in float64).
For truncated BPTT (deck 000, Part 2) the rows are independent streams, so each rank carries the recurrent
state of its own rows from batch to batch.

Launch: ``torchrun --nproc_per_node=2 -m course_lib.train char_lm`` (torchrun sets ``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``...; :func:`init_from_env` reads them). Backend: NCCL on GPUs, Gloo on CPU (:func:`default_backend`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def default_backend() -> str:
    """``"nccl"`` when CUDA is available, else ``"gloo"`` (the CPU backend)."""
    return "nccl" if torch.cuda.is_available() else "gloo"


def init_from_env(backend: str | None = None) -> bool:
    """Join the process group described by torchrun's environment (``WORLD_SIZE`` > 1); return whether it did.

    A single process (no ``WORLD_SIZE`` or ``WORLD_SIZE=1``) does nothing and returns False, so the same
    script runs with and without torchrun.
    """
    if dist.is_initialized():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = backend or default_backend()
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend)
    return True


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` without a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    """True on rank 0 (or in a single process): the rank that writes files and prints."""
    return rank_and_world()[0] == 0


def device() -> torch.device:
    """``cuda:LOCAL_RANK`` when CUDA is available, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def shard(batch: Sequence[torch.Tensor], rank: int | None = None, world_size: int | None = None) -> tuple:
    """Rank ``rank``'s contiguous block of rows of every tensor in ``batch``.

    batch: tensors that all share the batch size ``N`` in dim 0, e.g. ``(x, y)`` each (N, T). ``N`` must be a
    multiple of ``world_size``. Returns a tuple of (N / W, ...) tensors: rows ``[r N/W, (r+1) N/W)``.
    """
    if rank is None or world_size is None:
        rank, world_size = rank_and_world()
    n = batch[0].shape[0]
    if n % world_size:
        raise ValueError(f"batch size N = {n} must be a multiple of the world size W = {world_size}")
    k = n // world_size
    return tuple(t[rank * k : (rank + 1) * k] for t in batch)


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """``DistributedDataParallel(model)`` inside a process group (rank 0's weights are broadcast), else ``model``."""
    if not (dist.is_available() and dist.is_initialized()):
        return model
    dev = next(model.parameters()).device
    return DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module inside a DDP wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def any_rank(flag: bool) -> bool:
    """True on every rank if ``flag`` is true on any rank (e.g. "time is up"), so all ranks stop together."""
    rank, world = rank_and_world()
    if world == 1:
        return bool(flag)
    t = torch.tensor([float(flag)], device=device() if default_backend() == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def all_sum(value: float) -> float:
    """Sum of a float over all ranks (e.g. each rank's CPU seconds); the value itself in a single process."""
    if rank_and_world()[1] == 1:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64,
                     device=device() if default_backend() == "nccl" else "cpu")
    dist.all_reduce(t)
    return float(t.item())


def cleanup() -> None:
    """Leave the process group, if any."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
