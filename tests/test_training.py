"""Tests of the shared training loop: seeding, clipping, checkpoints (atomic), exact resume, truncated BPTT."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.models.classifier import LSTMClassifier
from course_lib.models.language_models import RNNLM, TBPTTLoss, tbptt_batches
from course_lib.training import load_checkpoint, save_checkpoint, seed_everything, train


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_seed_everything_seeds_all_three_rngs():
    seed_everything(3)
    a = _draws()
    seed_everything(3)
    assert _draws() == a
    seed_everything(4)
    assert all(x != y for x, y in zip(_draws(), a, strict=True))
    assert torch.initial_seed() == 4


def _classification_data(seed: int, n: int = 64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, 6, (n, 6), generator=g)
    y = (x == 3).any(1).long()
    return list(zip(x.split(16), y.split(16), strict=True))


def _clf_loss(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y)


def _make(seed: int):
    torch.manual_seed(seed)
    model = LSTMClassifier(6, 4, 8, 2, mlp_hidden=8, dropout=0.3)             # dropout: training uses the RNG
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _shuffled(epoch):
    """A fresh order each epoch drawn from the global torch RNG (what a shuffling DataLoader does)."""
    data = _classification_data(0)
    return [data[i] for i in torch.randperm(len(data))]


def test_checkpoint_roundtrip(tmp_path):
    model, opt = _make(0)
    train(model, _classification_data(0), loss_fn=_clf_loss, optimizer=opt, epochs=1, progress=False)
    path = save_checkpoint(tmp_path / "sub" / "ck.pt", model, opt, meta={"note": "hi"}, epoch=1,
                           history=[{"epoch": 1}])
    model2, opt2 = _make(1)
    assert not torch.equal(model2.lstm.weight_hh_l0, model.lstm.weight_hh_l0)
    payload = load_checkpoint(path, model2, opt2)
    for (k, v), (k2, v2) in zip(model.state_dict().items(), model2.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(v, v2)
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys() and all(torch.equal(s1[i]["exp_avg"], s2[i]["exp_avg"]) for i in s1)
    assert payload["epoch"] == 1 and payload["history"] == [{"epoch": 1}]
    assert payload["meta"]["note"] == "hi" and "command" in payload["meta"] and "seed" in payload["meta"]
    # the RNG states come back too
    seed_everything(5)
    save_checkpoint(path, model)
    a = _draws()
    load_checkpoint(path, model, restore_rng=True)
    assert _draws() == a


def test_atomic_save_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    model, opt = _make(0)
    path = tmp_path / "ck.pt"
    save_checkpoint(path, model, opt, epoch=1)
    good = path.read_bytes()

    def broken_save(obj, f, *a, **kw):
        with open(f, "wb") as fh:
            fh.write(b"half a checkpoint")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(torch, "save", broken_save)
    with torch.no_grad():
        model.mlp[0].weight.add_(1.0)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, opt, epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == good and [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    assert load_checkpoint(path, _make(1)[0])["epoch"] == 1


def test_resume_continues_exactly(tmp_path):
    # straight: two epochs
    seed_everything(0)
    model, opt = _make(0)
    straight = train(model, _shuffled, loss_fn=_clf_loss, optimizer=opt, epochs=2, clip_norm=1.0,
                     val_batches=_classification_data(1), progress=False)
    # interrupted: one epoch + checkpoint, then a fresh model/optimizer/RNG state resumes from the file
    seed_everything(0)
    m1, o1 = _make(0)
    ck = tmp_path / "run.pt"
    first = train(m1, _shuffled, loss_fn=_clf_loss, optimizer=o1, epochs=1, clip_norm=1.0,
                  val_batches=_classification_data(1), checkpoint_path=ck, progress=False,
                  meta={"command": "pytest resume"})
    seed_everything(123)                                                       # "new process"
    m2, o2 = _make(7)
    resumed = train(m2, _shuffled, loss_fn=_clf_loss, optimizer=o2, epochs=2, clip_norm=1.0,
                    val_batches=_classification_data(1), checkpoint_path=ck, resume=True, progress=False)
    for p, q in zip(model.parameters(), m2.parameters(), strict=True):
        assert torch.equal(p, q)
    assert [r["epoch"] for r in resumed] == [1, 2] and resumed[0] == first[0]
    assert resumed[1]["train_loss"] == straight[1]["train_loss"]
    assert resumed[1]["val_loss"] == straight[1]["val_loss"]
    assert torch.load(ck, weights_only=True)["meta"]["command"] == "pytest resume"
    # without restoring the RNG (dropout masks, shuffling) the continuation would differ
    seed_everything(123)
    m3, o3 = _make(7)
    load_checkpoint(tmp_path / "run.pt", m3, o3)
    load_checkpoint(tmp_path / "run.pt", m3)
    train(m3, _shuffled, loss_fn=_clf_loss, optimizer=o3, epochs=1, clip_norm=1.0, progress=False)
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), m3.parameters(), strict=True))


def test_history_metrics_json_and_log(tmp_path):
    seed_everything(0)
    model, opt = _make(0)
    lines = []

    def accuracy(model, batches):
        right = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches)
        return {"accuracy": right / sum(len(y) for _, y in batches)}

    hist = train(model, _classification_data(0), loss_fn=_clf_loss, optimizer=opt, epochs=3,
                 val_batches=_classification_data(1), metrics_fn=accuracy, metrics_path=tmp_path / "m.json",
                 log=lines.append, progress=True)
    assert [h["epoch"] for h in hist] == [1, 2, 3] and len(lines) == 3 and "val_loss=" in lines[0]
    assert {"train_loss", "val_loss", "accuracy", "grad_norm_mean", "grad_norm_max", "seconds", "lr"} <= set(hist[0])
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert json.loads((tmp_path / "m.json").read_text()) == hist


def test_clipping_records_pre_clip_norm_and_clips():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = torch.randn(8, 3), torch.randn(8, 1) * 10

    def loss_fn(m, batch):
        return F.mse_loss(m(batch[0]), batch[1])

    ref = torch.nn.Linear(3, 1)
    ref.load_state_dict(model.state_dict())
    loss_fn(ref, (x, y)).backward()
    norm = float(torch.cat([p.grad.reshape(-1) for p in ref.parameters()]).norm())
    before = [p.detach().clone() for p in model.parameters()]
    hist = train(model, [(x, y)], loss_fn=loss_fn, optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
                 epochs=1, clip_norm=0.01, progress=False)
    assert hist[0]["grad_norm_max"] == pytest.approx(norm, rel=1e-6) and norm > 1.0
    assert hist[0]["clipped_frac"] == 1.0
    step = torch.cat([(p.detach() - b).reshape(-1) for p, b in zip(model.parameters(), before, strict=True)])
    assert float(step.norm()) == pytest.approx(0.01, rel=1e-4)               # SGD step of exactly clip_norm
    # without a threshold the norm is still recorded but nothing is clipped
    model.load_state_dict(ref.state_dict())
    hist = train(model, [(x, y)], loss_fn=loss_fn, optimizer=torch.optim.SGD(model.parameters(), lr=1e-3),
                 epochs=1, progress=False)
    assert hist[0]["grad_norm_max"] == pytest.approx(norm, rel=1e-6) and hist[0]["clipped_frac"] == 0.0


def test_tbptt_batches_are_consecutive_streams():
    ids = torch.arange(23)
    batches = tbptt_batches(ids, batch_size=2, seq_len=4)
    x = torch.cat([b[0] for b in batches], 1)
    y = torch.cat([b[1] for b in batches], 1)
    assert x.tolist() == [list(range(11)), list(range(11, 22))] and torch.equal(y, x + 1)
    assert [b[0].shape[1] for b in batches] == [4, 4, 3]


def test_tbptt_carries_detached_state_across_batches():
    torch.manual_seed(0)
    text = "the cat sat on the mat. " * 8
    vocab = sorted(set(text))
    v = len(vocab)
    ids = torch.tensor([vocab.index(ch) for ch in text])
    batches = tbptt_batches(ids, batch_size=4, seq_len=8)
    lm = RNNLM(v, 8, 16, cell="lstm")
    loss_fn = TBPTTLoss()
    # 1) with the carried state, the loss of every window equals that of one pass over the whole stream
    with torch.no_grad():
        whole = lm(torch.cat([b[0] for b in batches], 1))[0]                  # (4, 47, V)
        col = 0
        for x, y in batches:
            loss = loss_fn(lm, (x, y))
            ref = F.cross_entropy(whole[:, col : col + x.shape[1]].reshape(-1, v), y.reshape(-1))
            torch.testing.assert_close(loss, ref, rtol=0, atol=1e-6)
            col += x.shape[1]
    with torch.no_grad():
        fresh = F.cross_entropy(lm(batches[-1][0])[0].reshape(-1, v), batches[-1][1].reshape(-1))
    assert abs(float(fresh) - float(loss)) > 1e-4                              # a zero state would differ
    # 2) the state it keeps is detached: backward of the next batch stops at the boundary
    loss_fn.reset()
    loss_fn(lm, batches[0]).backward()
    assert all(s.grad_fn is None for s in loss_fn.state)
    loss_fn(lm, batches[1]).backward()
    # 3) without the detach the second backward runs into the first batch's freed graph
    logits, st = lm(batches[0][0])
    F.cross_entropy(logits.reshape(-1, v), batches[0][1].reshape(-1)).backward()
    logits, _ = lm(batches[1][0], st)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        F.cross_entropy(logits.reshape(-1, v), batches[1][1].reshape(-1)).backward()
    # 4) and the shared loop trains the char LM with it
    hist = train(lm, batches, loss_fn=loss_fn, optimizer=torch.optim.Adam(lm.parameters(), lr=0.02), epochs=25,
                 clip_norm=5.0, val_batches=batches, progress=False)
    assert hist[0]["train_loss"] > 2.0 and hist[-1]["val_loss"] < 0.6


def test_same_loop_trains_bengio_lm_and_byte_mlstm():
    from course_lib.models.language_models import BengioLM
    from course_lib.models.mlstm import MLSTMLM, encode_bytes

    torch.manual_seed(0)
    ids = encode_bytes("abcabdabcabd" * 4)
    ctx, tgt = BengioLM.windows(ids, context_size=3)
    bengio = BengioLM(256, 3, 8, 16, direct=True)
    hist = train(bengio, list(zip(ctx.split(16), tgt.split(16), strict=True)),
                 loss_fn=lambda m, b: F.cross_entropy(m(b[0]), b[1]),
                 optimizer=torch.optim.Adam(bengio.parameters(), lr=0.03), epochs=15, progress=False)
    assert hist[0]["train_loss"] > 4.0 and hist[-1]["train_loss"] < 0.2
    mlstm = MLSTMLM(hidden=16, embed=8)
    hist = train(mlstm, tbptt_batches(ids, 2, 8), loss_fn=TBPTTLoss(),
                 optimizer=torch.optim.Adam(mlstm.parameters(), lr=0.02), epochs=15, progress=False)
    assert hist[0]["train_loss"] > 4.0 and hist[-1]["train_loss"] < 1.0
