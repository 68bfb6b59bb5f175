"""A bidirectional language model from two ordinary ones (ELMo-style; Peters et al. 2018), for Lecture 3.

A forward LM reads ``x_1 .. x_T`` and predicts ``x_{t+1}``; a backward LM is the same kind of model trained on
reversed text, so it reads ``x_T .. x_1`` and predicts ``x_{t-1}``. Peters et al. train the two jointly, the
objective the sum of both log-likelihoods, and use their states — ``[h^f_t ; h^b_t]``, the forward state having
read up to ``x_t`` and the backward one from the end down to ``x_t`` — as contextual features of token ``t``.
Neither LM alone can see both sides of a word; together they can, which :func:`fill_in_logprobs` shows by
predicting a token from both of its sides.

Models: :class:`course_lib.models.language_models.RNNLM` (``model(ids[None]) -> (logits, state)``; any cell).
``ids``: a (T,) long sequence.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

__all__ = ["bilm_states", "fill_in_logprobs", "next_token_logprobs"]


def _check_ids(ids: torch.Tensor, min_len: int) -> torch.Tensor:
    ids = torch.as_tensor(ids)
    if ids.dim() != 1 or ids.dtype != torch.long or len(ids) < min_len:
        raise ValueError(f"ids must be a (T,) long sequence with T >= {min_len}, got {tuple(ids.shape)} {ids.dtype}")
    return ids


@contextlib.contextmanager
def _evaluating(lm):
    """``lm`` in eval mode (no dropout) for the block, then back in the mode it was in."""
    was = lm.training
    lm.eval()
    try:
        yield lm
    finally:
        lm.train(was)


@torch.no_grad()
def next_token_logprobs(lm, ids: torch.Tensor) -> torch.Tensor:
    """``log P(. | x_1 .. x_t)`` for t = 1 .. T-1 from the zero state: (T-1, V); row ``t-1`` predicts ``x_{t+1}``."""
    ids = _check_ids(ids, 2)
    with _evaluating(lm):
        return F.log_softmax(lm(ids[None, :-1])[0][0], dim=-1)


@torch.no_grad()
def fill_in_logprobs(forward_lm, backward_lm, ids: torch.Tensor) -> dict[str, torch.Tensor]:
    """Predict each inner token ``x_t`` (t = 2 .. T-1) from its left side, its right side, and both: returns
    ``{"left", "right", "both"}``, each (T-2, V) log-probabilities. ``both`` is the normalised product of the two
    directions' predictions (``log P_f + log P_b`` renormalised) — a product of experts, not a trained model."""
    ids = _check_ids(ids, 3)
    left = next_token_logprobs(forward_lm, ids)[:-1]                    # P(x_t | x_<t) for t = 2 .. T-1
    right = next_token_logprobs(backward_lm, ids.flip(0)).flip(0)[1:]   # P(x_t | x_>t), same positions
    both = left + right
    return {"left": left, "right": right, "both": both - torch.logsumexp(both, dim=-1, keepdim=True)}


@torch.no_grad()
def bilm_states(forward_lm, backward_lm, ids: torch.Tensor) -> torch.Tensor:
    """ELMo-style features of every token: ``[h^f_t ; h^b_t]`` (T, 2H), the top-layer states of the forward LM
    after reading ``x_1 .. x_t`` and of the backward LM after reading ``x_T .. x_t``."""
    ids = _check_ids(ids, 1)
    feats = []
    for lm, backward in ((forward_lm, False), (backward_lm, True)):
        seq = ids.flip(0) if backward else ids
        with _evaluating(lm):
            h = lm.rnn(lm.embedding(seq[None]))[0][0]                     # (T, H) top layer
        feats.append(h.flip(0) if backward else h)
    return torch.cat(feats, dim=-1)
