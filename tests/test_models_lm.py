"""Tests of the PyTorch language models, the LSTM acceptor and the byte-level mLSTM."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.models.classifier import LSTMClassifier
from course_lib.models.language_models import RNNLM, BengioLM, detach_state, sample_next
from course_lib.models.mlstm import MLSTMLM, MLSTMCell, decode_bytes, encode_bytes

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]



def _fit(model, loss_of, steps: int, lr: float = 0.05) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(loss_of())


# ----------------------------------------------------------------------------------------------- Bengio LM
def test_bengio_shapes_direct_connections_and_bad_input():
    torch.manual_seed(0)
    lm = BengioLM(vocab_size=7, context_size=3, embed_dim=4, hidden_dim=5)
    assert lm(torch.randint(0, 7, (6, 3))).shape == (6, 7)
    assert lm.direct is None
    lm_d = BengioLM(7, 3, 4, 5, direct=True)
    assert lm_d.direct.weight.shape == (7, 12)
    ctx = torch.randint(0, 7, (6, 3))
    x = lm_d.embedding(ctx).flatten(1)
    expected = lm_d.output(torch.tanh(lm_d.hidden(x))) + x @ lm_d.direct.weight.T   # y = b + Wx + U tanh(d + Hx)
    torch.testing.assert_close(lm_d(ctx), expected, rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"\(N, n-1\)"):
        lm(torch.randint(0, 7, (6, 2)))


def test_bengio_windows():
    ctx, tgt = BengioLM.windows([5, 6, 7, 8, 9], context_size=2)
    assert ctx.tolist() == [[5, 6], [6, 7], [7, 8]]
    assert tgt.tolist() == [7, 8, 9]


@pytest.mark.parametrize("direct", [False, True])
def test_bengio_learns_deterministic_sequence(direct):
    torch.manual_seed(0)
    # next id is a function of the two previous ones (but not of the previous one alone): 0 1 2 0 2 1 ...
    ids = [0, 1, 2, 0, 2, 1] * 10
    ctx, tgt = BengioLM.windows(ids, context_size=2)
    lm = BengioLM(4, 2, 8, 16, direct=direct)
    start = float(F.cross_entropy(lm(ctx), tgt).detach())
    final = _fit(lm, lambda: F.cross_entropy(lm(ctx), tgt), steps=150)
    assert start > 1.0 and final < 0.05


# ------------------------------------------------------------------------------------------------- RNN LM
@pytest.mark.parametrize("cell", CELLS)
def test_rnnlm_shapes_and_state(cell):
    torch.manual_seed(0)
    lm = RNNLM(11, 6, 8, cell=cell, num_layers=2, dropout=0.1).eval()
    x = torch.randint(0, 11, (3, 5))
    logits, state = lm(x)
    assert logits.shape == (3, 5, 11)
    zeros = lm.init_state(3)
    if cell == "lstm":
        assert isinstance(state, tuple) and state[0].shape == state[1].shape == (2, 3, 8)
        assert all(float(z.abs().sum()) == 0 for z in zeros)
    else:
        assert state.shape == zeros.shape == (2, 3, 8)
    # the explicit zero state equals the default, and running in two halves equals one pass
    torch.testing.assert_close(lm(x, zeros)[0], logits)
    first, mid = lm(x[:, :2])
    torch.testing.assert_close(torch.cat([first, lm(x[:, 2:], mid)[0]], 1), logits)


def test_rnnlm_rejects_bad_config_and_input():
    with pytest.raises(ValueError, match="cell"):
        RNNLM(5, 4, 4, cell="elman")
    with pytest.raises(ValueError, match="tie_weights"):
        RNNLM(5, 4, 6, tie_weights=True)
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        RNNLM(5, 4, 4)(torch.zeros(3, dtype=torch.long))


def test_weight_tying_shares_one_matrix():
    lm = RNNLM(9, 6, 6, tie_weights=True)
    assert lm.decoder.weight is lm.embedding.weight
    assert sum(p.numel() for p in lm.parameters()) == sum(p.numel() for p in RNNLM(9, 6, 6).parameters()) - 54


@pytest.mark.parametrize("cell", CELLS)
def test_rnnlm_learns_deterministic_sequence(cell):
    torch.manual_seed(0)
    # "a b a c" repeated: after "a" the next symbol depends on what came before it -> needs memory
    seq = torch.tensor([0, 1, 0, 2] * 6)
    x, y = seq[:-1].unsqueeze(0), seq[1:].unsqueeze(0)
    lm = RNNLM(3, 8, 16, cell=cell)

    def loss_of():
        return F.cross_entropy(lm(x)[0].reshape(-1, 3), y.reshape(-1))

    start = float(loss_of().detach())
    assert start > 0.8 and _fit(lm, loss_of, steps=120) < 0.1


def test_detach_state_keeps_values_cuts_graph():
    lm = RNNLM(5, 4, 4, cell="lstm")
    _, (h, c) = lm(torch.tensor([[1, 2, 3]]))
    assert h.grad_fn is not None
    dh, dc = detach_state((h, c))
    assert dh.grad_fn is None and dc.grad_fn is None and torch.equal(dh, h) and torch.equal(dc, c)
    assert detach_state(None) is None
    assert detach_state(h).grad_fn is None


# ------------------------------------------------------------------------------------------------ sampling
def _greedy(model, prompt: torch.Tensor, length: int, **kw) -> list[int]:
    """Greedy decoding by re-running the model on the whole prefix each time (no state carrying)."""
    seq = prompt.tolist()
    for _ in range(length):
        seq.append(int(model(torch.tensor([seq]), **kw)[0][0, -1].argmax()))
    return seq[len(prompt):]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_sampling_reproducible_and_greedy_limit(cell):
    torch.manual_seed(1)
    lm = RNNLM(20, 8, 16, cell=cell, dropout=0.5)
    prompt = torch.tensor([3, 4])
    a = lm.sample(prompt, 40, generator=torch.Generator().manual_seed(7))
    b = lm.sample(prompt, 40, generator=torch.Generator().manual_seed(7))
    c = lm.sample(prompt, 40, generator=torch.Generator().manual_seed(8))
    assert a.shape == (40,) and torch.equal(a, b) and not torch.equal(a, c)
    assert lm.training, "sample must restore training mode"
    with torch.no_grad():
        greedy = _greedy(lm.eval(), prompt, 15)
    lm.train()
    for kw in ({"temperature": 1e-3}, {"temperature": 0.0}, {"top_k": 1}):
        assert lm.sample(prompt, 15, generator=torch.Generator().manual_seed(3), **kw).tolist() == greedy
    batch = lm.sample(torch.stack([prompt, prompt]), 15, temperature=0)
    assert batch.shape == (2, 15) and batch[0].tolist() == batch[1].tolist() == greedy


def test_sample_next_matches_tempered_softmax():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).repeat(40000, 1)
    g = torch.Generator().manual_seed(0)
    for tau in (0.5, 1.0, 3.0):
        freq = torch.bincount(sample_next(logits, tau, generator=g), minlength=4).double() / 40000
        p = F.softmax(logits[0].double() / tau, 0)
        assert (freq - p).abs().max() < 0.01
    # higher temperature = flatter = higher entropy
    ent = [float(-(p * p.log()).sum()) for p in (F.softmax(logits[0] / t, 0) for t in (0.5, 1, 3))]
    assert ent[0] < ent[1] < ent[2]
    top2 = sample_next(logits, 1.0, top_k=2, generator=g)
    assert set(top2.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="temperature"):
        sample_next(logits, -1.0)


# ---------------------------------------------------------------------------------------------- classifier
def _padded(seqs, pad_fill):
    t = max(len(s) for s in seqs)
    x = torch.stack([torch.cat([s, pad_fill(t - len(s))]) for s in seqs])
    return x, torch.tensor([len(s) for s in seqs])


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_padding_does_not_change_output(pooling, bidirectional):
    torch.manual_seed(0)
    clf = LSTMClassifier(10, 5, 6, 3, num_layers=2, bidirectional=bidirectional, pooling=pooling,
                         mlp_hidden=7).eval()
    seqs = [torch.randint(1, 10, (n,)) for n in (4, 1, 7, 3)]
    alone = torch.cat([clf(s.unsqueeze(0)) for s in seqs])                   # no padding at all
    x0, lengths = _padded(seqs, lambda k: torch.zeros(k, dtype=torch.long))
    xg, _ = _padded(seqs, lambda k: torch.randint(1, 10, (k,)))               # garbage in the padding
    assert clf(x0, lengths).shape == (4, 3)
    torch.testing.assert_close(clf(x0, lengths), alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(clf(xg, lengths), alone, rtol=0, atol=1e-6)
    # extra padding columns change nothing either; ignoring the lengths does
    x_more = torch.cat([xg, torch.randint(1, 10, (4, 3))], dim=1)
    torch.testing.assert_close(clf(x_more, lengths), alone, rtol=0, atol=1e-6)
    assert (clf(xg) - alone).abs().max() > 1e-4


def test_classifier_rejects_bad_lengths():
    clf = LSTMClassifier(5, 3, 4, 2)
    with pytest.raises(ValueError, match="lengths"):
        clf(torch.ones(2, 4, dtype=torch.long), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="lengths"):
        clf(torch.ones(2, 4, dtype=torch.long), torch.tensor([5, 4]))
    with pytest.raises(ValueError, match="pooling"):
        LSTMClassifier(5, 3, 4, 2, pooling="sum")


def _contains_three(n: int, gen: torch.Generator):
    lengths = torch.randint(2, 9, (n,), generator=gen)
    x = torch.randint(1, 6, (n, 8), generator=gen)
    x[torch.arange(8).unsqueeze(0) >= lengths.unsqueeze(1)] = 0               # pad id 0
    # make the classes balanced: put a 3 into half of the sequences, remove it from the rest
    has = torch.rand(n, generator=gen) < 0.5
    x[(~has).unsqueeze(1) & (x == 3)] = 4
    pos = (torch.rand(n, generator=gen) * lengths).long()
    x[has, pos[has]] = 3
    return x, lengths, has.long()


def test_classifier_learns_contains_token_3():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, lengths, y = _contains_three(400, gen)
    xt, lt, yt = _contains_three(400, gen)
    clf = LSTMClassifier(6, 8, 16, 2, pooling="max")
    assert float((clf(xt, lt).argmax(1) == yt).float().mean()) < 0.8
    _fit(clf, lambda: F.cross_entropy(clf(x, lengths), y), steps=80, lr=0.03)
    acc = float((clf(xt, lt).argmax(1) == yt).float().mean())
    assert acc > 0.95


def test_load_pretrained_lm_copies_exactly():
    torch.manual_seed(0)
    for layers, bidirectional in ((2, False), (1, True)):
        lm = RNNLM(12, 5, 7, cell="lstm", num_layers=layers)
        clf = LSTMClassifier(12, 5, 7, 2, num_layers=layers, bidirectional=bidirectional)
        mlp_before = [p.clone() for p in clf.mlp.parameters()]
        names = clf.load_pretrained_lm(lm, freeze=True)
        assert "embedding.weight" in names and f"lstm.weight_hh_l{layers - 1}" in names
        assert len(names) == 1 + 4 * layers
        assert torch.equal(clf.embedding.weight, lm.embedding.weight)
        for k, v in lm.rnn.named_parameters():
            assert torch.equal(getattr(clf.lstm, k), v) and not getattr(clf.lstm, k).requires_grad
        assert all(torch.equal(a, b) for a, b in zip(mlp_before, clf.mlp.parameters(), strict=True))
        if bidirectional:
            assert not torch.equal(clf.lstm.weight_ih_l0_reverse, lm.rnn.weight_ih_l0)
            assert clf.lstm.weight_ih_l0_reverse.requires_grad
    # so the pretrained LSTM reads a sequence exactly as the LM did
    lm = RNNLM(12, 5, 7, cell="lstm", num_layers=2)
    x = torch.randint(1, 12, (2, 6))
    clf = LSTMClassifier(12, 5, 7, 2, num_layers=2)
    clf.load_pretrained_lm(lm)
    _, (h_lm, _) = lm(x)
    torch.testing.assert_close(clf.encode(x), h_lm[-1], rtol=0, atol=0)
    with pytest.raises(ValueError, match="stacked BiLSTM"):
        LSTMClassifier(12, 5, 7, 2, num_layers=2, bidirectional=True).load_pretrained_lm(lm)
    with pytest.raises(ValueError, match="differ"):
        LSTMClassifier(12, 5, 8, 2, num_layers=2).load_pretrained_lm(lm)
    with pytest.raises(ValueError, match="lstm"):
        LSTMClassifier(12, 5, 7, 2).load_pretrained_lm(RNNLM(12, 5, 7, cell="gru"))


# --------------------------------------------------------------------------------------------------- mLSTM
def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _naive_mlstm(lm: MLSTMLM, ids: list[list[int]], clamp: dict[int, float] | None = None):
    """Element-by-element mLSTM LM in plain Python floats: returns logits, cells [n][t][j], final h."""
    c_ = lm.cell
    E, Wmx, Wmh = lm.embedding.weight.tolist(), c_.weight_mx.tolist(), c_.weight_mh.tolist()
    Wx, Wm, b = c_.weight_x.tolist(), c_.weight_m.tolist(), c_.bias.tolist()
    V, Vb = lm.decoder.weight.tolist(), lm.decoder.bias.tolist()
    H, D = lm.hidden, lm.embed
    logits, cells, finals = [], [], []
    for row in ids:
        h, c = [0.0] * H, [0.0] * H
        lrow, crow = [], []
        for tok in row:
            x = E[tok]
            m = [sum(Wmx[j][k] * x[k] for k in range(D)) * sum(Wmh[j][k] * h[k] for k in range(H))
                 for j in range(H)]
            pre = [sum(Wx[r][k] * x[k] for k in range(D)) + sum(Wm[r][k] * m[k] for k in range(H)) + b[r]
                   for r in range(4 * H)]
            new_c, new_h = [], []
            for j in range(H):
                i, f, u, o = _sig(pre[j]), _sig(pre[H + j]), math.tanh(pre[2 * H + j]), _sig(pre[3 * H + j])
                cj = f * c[j] + i * u
                if clamp and j in clamp:
                    cj = clamp[j]
                new_c.append(cj)
                new_h.append(o * math.tanh(cj))
            h, c = new_h, new_c
            lrow.append([sum(V[v][j] * h[j] for j in range(H)) + Vb[v] for v in range(len(V))])
            crow.append(c)
        logits.append(lrow)
        cells.append(crow)
        finals.append(h)
    return torch.tensor(logits, dtype=torch.float64), torch.tensor(cells, dtype=torch.float64), \
        torch.tensor(finals, dtype=torch.float64)


@pytest.mark.parametrize("clamp", [None, {1: 0.75, 3: -2.0}])
def test_mlstm_matches_naive_float64(clamp):
    torch.manual_seed(0)
    lm = MLSTMLM(hidden=4, embed=3, vocab=7).double()
    with torch.no_grad():
        for p in lm.parameters():
            p.mul_(3.0)                                                        # make the non-linearities bite
    ids = [[1, 5, 2, 6], [0, 3, 3, 4]]
    logits, (h, c), cells = lm(torch.tensor(ids), return_cells=True, clamp=clamp)
    ref_logits, ref_cells, ref_h = _naive_mlstm(lm, ids, clamp)
    assert logits.shape == (2, 4, 7) and cells.shape == (2, 4, 4) and h.shape == c.shape == (2, 4)
    torch.testing.assert_close(logits, ref_logits, rtol=0, atol=1e-12)
    torch.testing.assert_close(cells, ref_cells, rtol=0, atol=1e-12)
    torch.testing.assert_close(h, ref_h, rtol=0, atol=1e-12)
    torch.testing.assert_close(c, ref_cells[:, -1], rtol=0, atol=1e-12)


def test_mlstm_cell_step_alone_and_state_carrying():
    torch.manual_seed(0)
    cell = MLSTMCell(3, 5).double()
    x = torch.randn(2, 3, dtype=torch.float64)
    h, c = cell(x)
    assert h.shape == c.shape == (2, 5)
    h2, c2 = cell(x, (h, c))
    assert not torch.allclose(h2, h)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        cell(torch.randn(2, 4, dtype=torch.float64))
    lm = MLSTMLM(hidden=6, embed=4).double()
    xs = torch.randint(0, 256, (2, 7))
    full, (hf, cf) = lm(xs)
    a, st = lm(xs[:, :3])
    b, (hb, cb) = lm(xs[:, 3:], st)
    torch.testing.assert_close(torch.cat([a, b], 1), full, rtol=0, atol=1e-13)
    torch.testing.assert_close(hb, hf, rtol=0, atol=1e-13)


class _Unrolled(torch.nn.Module):
    """The mLSTM over a whole float input sequence, as a module so functional_call can swap its weights."""

    def __init__(self, cell: MLSTMCell, clamp=None) -> None:
        super().__init__()
        self.cell, self.clamp = cell, clamp

    def forward(self, x, h0, c0):
        xm, xg = self.cell.input_projections(x)
        state, hs = (h0, c0), []
        for t in range(x.shape[1]):
            state = self.cell.step(xm[:, t], xg[:, t], state, self.clamp)
            hs.append(state[0])
        return torch.stack(hs, 1), state[1]


@pytest.mark.parametrize("clamped", [False, True])
def test_mlstm_gradcheck_float64(clamped):
    torch.manual_seed(0)
    cell = MLSTMCell(2, 3).double()
    clamp = (torch.tensor([False, True, False]), torch.tensor([0.0, 0.5, 0.0], dtype=torch.float64))
    net = _Unrolled(cell, clamp if clamped else None)
    names = [n for n, _ in net.named_parameters()]

    def run(x, h0, c0, *params):
        return torch.func.functional_call(net, dict(zip(names, params, strict=True)), (x, h0, c0))

    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    params = [p.detach().clone().requires_grad_() for p in net.parameters()]
    assert len(params) == 5
    assert torch.autograd.gradcheck(run, (x, h0, c0, *params), eps=1e-6, atol=1e-8)


def test_mlstm_clamp_fixes_the_unit_during_sampling():
    torch.manual_seed(0)
    lm = MLSTMLM(hidden=8, embed=4)
    with torch.no_grad():
        for p in lm.parameters():
            p.mul_(4.0)
    x = encode_bytes("good movie")
    _, _, free = lm(x.unsqueeze(0), return_cells=True)
    logits, _, cells = lm(x.unsqueeze(0), return_cells=True, clamp={5: 1.5})
    assert torch.all(cells[0, :, 5] == 1.5) and not torch.all(free[0, :, 5] == 1.5)
    assert (logits - lm(x.unsqueeze(0))[0]).abs().max() > 1e-3                # the clamp changes predictions
    # greedy sampling with the clamp equals greedy decoding of the clamped model, prefix by prefix
    with torch.no_grad():
        expected = _greedy(lm, x, 12, clamp={5: 1.5})
    assert lm.sample("good movie", 12, temperature=0, clamp={5: 1.5}).tolist() == expected
    # sampling continues the prompt's state: the clamp is applied to the prompt too
    g = torch.Generator().manual_seed(1)
    a = lm.sample(b"good movie", 30, clamp={5: 1.5}, generator=g)
    b = lm.sample(x, 30, clamp={5: 1.5}, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == (30,)
    with pytest.raises(ValueError, match="clamp unit"):
        lm(x.unsqueeze(0), clamp={8: 0.0})


def test_bytes_roundtrip_and_mlstm_learns_a_byte_string():
    assert decode_bytes(encode_bytes("héllo")) == "héllo"
    assert encode_bytes("é").tolist() == [195, 169]
    torch.manual_seed(0)
    seq = encode_bytes("hello world! " * 3)
    x, y = seq[:-1].unsqueeze(0), seq[1:].unsqueeze(0)
    lm = MLSTMLM(hidden=32, embed=8)

    def loss_of():
        return F.cross_entropy(lm(x)[0].reshape(-1, 256), y.reshape(-1))

    assert float(loss_of().detach()) > 5.0                                              # about log(256) = 5.5
    assert _fit(lm, loss_of, steps=100, lr=0.02) < 0.3
    assert decode_bytes(lm.sample("hello w", 5, temperature=0)) == "orld!"
