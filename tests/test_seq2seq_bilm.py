"""The encoder-decoder and the two-LM bidirectional LM of Lecture 3."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.models.bilm import bilm_states, fill_in_logprobs, next_token_logprobs
from course_lib.models.language_models import RNNLM
from course_lib.models.seq2seq import Seq2Seq, reversal_batch
from course_lib.training import train


def test_teacher_forcing_feeds_the_gold_previous_token():
    torch.manual_seed(0)
    m = Seq2Seq(vocab=5, embed_dim=4, hidden_dim=8)
    src, tgt = reversal_batch(3, 6, 5, torch.Generator().manual_seed(0))
    assert torch.equal(tgt, src.flip(1))
    logits = m(src, tgt)
    assert logits.shape == (3, 6, 5)
    # step t's output depends on tgt[:, t-1] (teacher forcing), never on tgt[:, t] or later
    changed = tgt.clone()
    changed[:, 3] = (changed[:, 3] + 1) % 5
    other = m(src, changed)
    assert torch.allclose(logits[:, :4], other[:, :4]) and not torch.allclose(logits[:, 4], other[:, 4])
    # greedy decoding = teacher forcing on its own predictions
    free = m.greedy(src, 6)
    assert torch.allclose(m(src, free).argmax(-1), free)
    assert m.loss(src, tgt).item() == pytest.approx(
        F.cross_entropy(logits.reshape(-1, 5), tgt.reshape(-1)).item(), rel=1e-6)


def test_seq2seq_refuses_bad_ids():
    m = Seq2Seq(vocab=5)
    with pytest.raises(ValueError, match=r"ids must be in \[0, 5\)"):
        m.encode(torch.tensor([[0, 7]]))
    with pytest.raises(ValueError, match="must be \\(N, length\\) long"):
        m.encode(torch.tensor([0, 1]))


def test_seq2seq_learns_to_reverse():
    torch.manual_seed(0)
    m = Seq2Seq(vocab=6, embed_dim=16, hidden_dim=64)
    gen = torch.Generator().manual_seed(0)
    train(m, [reversal_batch(64, 4, 6, gen) for _ in range(250)], loss_fn=lambda model, batch: model.loss(*batch),
          optimizer=torch.optim.Adam(m.parameters(), lr=5e-3), epochs=1, progress=False)
    src, tgt = reversal_batch(200, 4, 6, torch.Generator().manual_seed(1))
    assert (m.greedy(src, 4) == tgt).float().mean() > 0.8


def test_fill_in_and_states_line_up_with_the_two_lms():
    torch.manual_seed(0)
    fwd, bwd = RNNLM(7, 4, 8, cell="gru"), RNNLM(7, 4, 8, cell="lstm")
    ids = torch.tensor([1, 4, 2, 6, 0, 3])
    fill = fill_in_logprobs(fwd, bwd, ids)
    assert all(v.shape == (4, 7) for v in fill.values())
    for t in range(1, 5):  # inner positions
        left = F.log_softmax(fwd(ids[None, :t])[0][0, -1], -1)
        right = F.log_softmax(bwd(ids.flip(0)[None, : len(ids) - 1 - t])[0][0, -1], -1)
        assert torch.allclose(fill["left"][t - 1], left, atol=1e-6)
        assert torch.allclose(fill["right"][t - 1], right, atol=1e-6)
        assert torch.allclose(fill["both"][t - 1].exp().sum(), torch.tensor(1.0), atol=1e-6)
    feats = bilm_states(fwd, bwd, ids)
    assert feats.shape == (6, 16)
    assert torch.allclose(feats[2, :8], fwd.rnn(fwd.embedding(ids[None, :3]))[0][0, -1], atol=1e-6)
    assert torch.allclose(feats[2, 8:], bwd.rnn(bwd.embedding(ids.flip(0)[None, :4]))[0][0, -1], atol=1e-6)
    assert next_token_logprobs(fwd, ids).shape == (5, 7)
    with pytest.raises(ValueError, match="T >= 3"):
        fill_in_logprobs(fwd, bwd, ids[:2])
