"""DDP: two Gloo processes on 127.0.0.1 (launched by torchrun) take the same steps as one process on the
combined batch (course_lib.distributed; Li et al., 2020)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from course_lib import distributed
from course_lib.models.language_models import RNNLM, TBPTTLoss, tbptt_batches
from course_lib.train.cli import round_batches
from course_lib.training import seed_everything, train

ROOT = Path(__file__).resolve().parents[1]
STEPS, BATCH, SEQ = 6, 8, 12

def tiny_run(rank: int, world: int) -> tuple[dict, list[dict]]:
    """STEPS Adam steps (clipped) of a 2-layer float64 LSTM LM with truncated BPTT over BATCH streams; rank
    ``rank`` of ``world`` trains on its BATCH / world rows of every batch. Returns final weights and history.
    Runs in every torchrun worker and, with world = 1, in the test process itself."""
    seed_everything(0)
    ids = torch.randint(0, 11, (BATCH * SEQ * STEPS + 1,), generator=torch.Generator().manual_seed(1))
    model = distributed.wrap(RNNLM(11, 5, 7, "lstm", num_layers=2, dropout=0.0).double())
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    stream = tbptt_batches(ids, BATCH, SEQ)
    hist = train(model, round_batches(stream, STEPS, rank, world), loss_fn=TBPTTLoss(), optimizer=opt,
                 epochs=1, clip_norm=0.5, progress=False)
    return {k: v.detach().clone() for k, v in distributed.unwrap(model).state_dict().items()}, hist


WORKER = textwrap.dedent("""
    import sys
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, sys.argv[2])
    from test_distributed import tiny_run
    from course_lib import distributed

    assert distributed.init_from_env(), "torchrun did not set WORLD_SIZE > 1"
    rank, world = distributed.rank_and_world()
    assert distributed.default_backend() == "gloo"
    params, hist = tiny_run(rank, world)
    stop = distributed.any_rank(rank == 1)          # true on rank 1 only -> true everywhere
    torch.save({"params": params, "hist": hist, "stop": stop, "world": world}, f"{sys.argv[1]}/rank{rank}.pt")
    distributed.cleanup()
    """)


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    script = out / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "MASTER_ADDR": "127.0.0.1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(script), str(out), str(Path(__file__).parent)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


def test_two_ranks_equal_one_process_on_the_combined_batch(ddp_results):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single, hist = tiny_run(0, 1)
    finally:
        torch.set_num_threads(n)
    seed_everything(0)
    start = RNNLM(11, 5, 7, "lstm", num_layers=2).double().state_dict()
    for r, res in enumerate(ddp_results):
        assert res["world"] == 2
        assert res["params"].keys() == single.keys()
        for k in single:
            assert res["params"][k].dtype == torch.float64
            err = (res["params"][k] - single[k]).abs().max().item()
            assert err < 1e-6, f"rank {r}, {k}: max |DDP - single| = {err:.2e}"
            assert not torch.equal(single[k], start[k]), f"{k} did not move: the comparison would be vacuous"
    # each rank's training loss is the mean over its own shard; their average is the combined-batch loss
    mean_loss = (ddp_results[0]["hist"][0]["train_loss"] + ddp_results[1]["hist"][0]["train_loss"]) / 2
    assert abs(mean_loss - hist[0]["train_loss"]) < 1e-9
    # clipping saw the same (all-reduced) gradient norm as the single process
    assert abs(ddp_results[0]["hist"][0]["grad_norm_max"] - hist[0]["grad_norm_max"]) < 1e-9


def test_any_rank_reaches_every_rank(ddp_results):
    assert [res["stop"] for res in ddp_results] == [True, True]


def test_shard_takes_contiguous_blocks_and_rejects_uneven_batches():
    x = torch.arange(12).view(6, 2)
    a, = distributed.shard((x,), rank=1, world_size=3)
    assert a.tolist() == [[4, 5], [6, 7]]
    assert torch.equal(torch.cat([distributed.shard((x,), r, 3)[0] for r in range(3)]), x)
    with pytest.raises(ValueError, match="multiple of the world size"):
        distributed.shard((x,), rank=0, world_size=4)


def test_single_process_helpers_are_no_ops():
    assert distributed.rank_and_world() == (0, 1) and distributed.is_main()
    model = torch.nn.Linear(2, 2)
    assert distributed.wrap(model) is model and distributed.unwrap(model) is model
    assert distributed.any_rank(True) and not distributed.any_rank(False)
    assert distributed.all_sum(2.5) == 2.5
