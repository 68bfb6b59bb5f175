"""A batched linear-chain CRF layer in PyTorch: log-likelihood by the forward algorithm, Viterbi decoding.

The same model, conventions and recursions as the NumPy reference :mod:`course_lib.reference.crf` (read
its module docstring for the score and the mask rules): ``emissions (N, T, K)``, ``tags (N, T)``,
``mask (N, T)`` left-aligned with ``mask[:, 0]`` all True, ``transitions[i, j]`` = score of moving FROM tag
``i`` TO tag ``j``, ``start_transitions``/``end_transitions (K,)``. Batch-first only. The API mirrors
``torchcrf.CRF`` (pytorch-crf): :meth:`CRF.forward` returns the *log-likelihood* (the training loss is its
negative) and :meth:`CRF.decode` returns a list of tag lists; the parameters have the same names, so a state
dict can be copied either way. Gradients come from autograd through the forward algorithm; they equal
"marginals minus gold counts", which :func:`course_lib.reference.crf.crf_nll_backward` writes out by hand.

Where the time goes: the loop over time is sequential, so each step is a few whole-batch tensor ops. What
makes it fast: (1) a tag-major layout — ``alpha`` is (K, N) and the (K_from, K_to, N) broadcast is reduced
over its first axis, which torch vectorises along the contiguous batch axis; (2) the emission is added after
the reduction, on (K, N) rather than (K, K, N); (3) the emissions are split into time steps once
(``unbind``), not sliced per step (each slice would cost a full-size zero gradient in backward); (4) the loop
stops at the longest sequence; (5) the gold-path score is gathered for all positions at once; (6) Viterbi
keeps only the running max in its loop and recomputes the backpointers during a cheap NumPy backtrace.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

REDUCTIONS = ("mean", "sum", "token_mean", "none")


class CRF(nn.Module):
    """Linear-chain CRF over ``num_tags`` tags (Lafferty et al. 2001; Bi-LSTM-CRF of Huang et al. 2015).

    Parameters: ``transitions (K, K)``, ``start_transitions (K,)``, ``end_transitions (K,)``, initialised
    uniformly in [-0.1, 0.1].
    """

    def __init__(self, num_tags: int, batch_first: bool = True) -> None:
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"num_tags must be an integer >= 1, got {num_tags!r}")
        if not batch_first:
            raise ValueError("CRF supports batch_first=True only: emissions must be (N, T, K)")
        super().__init__()
        self.num_tags = num_tags
        self.batch_first = True
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in (self.transitions, self.start_transitions, self.end_transitions):
            nn.init.uniform_(p, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}"

    # ------------------------------------------------------------------ checks
    def _check(self, emissions: torch.Tensor, tags: torch.Tensor | None, mask: torch.Tensor | None):
        """Validate shapes and mask; return ``(mask bool (N, T), lengths (N,) long)``."""
        K = self.num_tags
        if emissions.dim() != 3 or emissions.shape[2] != K:
            raise ValueError(f"emissions must have shape (N, T, K) with K = {K}, "
                             f"got {tuple(emissions.shape)}")
        N, T, _ = emissions.shape
        if N < 1 or T < 1:
            raise ValueError(f"emissions must have N >= 1 and T >= 1, got {tuple(emissions.shape)}")
        if tags is not None and tuple(tags.shape) != (N, T):
            raise ValueError(f"tags must have shape (N, T) = ({N}, {T}), got {tuple(tags.shape)}")
        if mask is None:
            mask = torch.ones(N, T, dtype=torch.bool, device=emissions.device)
        else:
            if tuple(mask.shape) != (N, T):
                raise ValueError(f"mask must have shape (N, T) = ({N}, {T}), got {tuple(mask.shape)}")
            mask = mask.bool()
            if not bool(mask[:, 0].all()):
                raise ValueError("mask[:, 0] must be all True (every sequence needs at least one token)")
            if bool((mask[:, 1:] > mask[:, :-1]).any()):                     # a True after a False
                raise ValueError("mask must be contiguous: each row True for its first L_n positions, "
                                 "then False")
        return mask, mask.sum(dim=1)

    # ------------------------------------------------------------------ scores
    def _score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor):
        """``score(y)`` of the gold tags, all positions at once. Returns (N,)."""
        m = mask.to(emissions.dtype)
        emis = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)                 # (N, T)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]                     # (N, T-1)
        last = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)            # (N,)
        return (self.start_transitions[tags[:, 0]] + (emis * m).sum(1)
                + (trans * m[:, 1:]).sum(1) + self.end_transitions[last])

    def _log_partition(self, emissions: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor):
        """``log Z`` by the forward algorithm in log space. Returns (N,).

        Tag-major layout: ``alpha`` is (K, N) and each step reduces the (K_from, K_to, N) broadcast
        ``alpha[:, None, :] + transitions[:, :, None]`` over its *first* axis, which torch vectorises along
        the contiguous batch axis (several times faster than reducing a middle or last axis of (N, K, K)).
        """
        t_max = int(lengths.max())
        emis = emissions[:, :t_max].permute(1, 2, 0).contiguous().unbind(0)     # T x (K, N)
        keep = mask[:, :t_max].t().unsqueeze(1).unbind(0)                        # T x (1, N)
        trans = self.transitions.unsqueeze(2)                                    # (K_from, K_to, 1)
        alpha = self.start_transitions.unsqueeze(1) + emis[0]                    # (K, N)
        for t in range(1, t_max):
            nxt = torch.logsumexp(alpha.unsqueeze(1) + trans, dim=0) + emis[t]   # (K, N)
            alpha = torch.where(keep[t], nxt, alpha)                             # carry finished sequences
        return torch.logsumexp(alpha + self.end_transitions.unsqueeze(1), dim=0)

    def forward(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None,
                reduction: str = "mean") -> torch.Tensor:
        """Log-likelihood ``log P(tags | emissions) = score(tags) - log Z``.

        emissions: (N, T, K) float; tags: (N, T) long; mask: (N, T) bool (or 0/1) or None.
        reduction: ``"mean"`` over the batch (default), ``"sum"``, ``"token_mean"`` (sum / number of real
        tokens) or ``"none"`` (shape (N,)). The loss to minimise is the negative of this.
        """
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        mask, lengths = self._check(emissions, tags, mask)
        llh = self._score(emissions, tags, mask, lengths) - self._log_partition(emissions, mask, lengths)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / lengths.sum()

    # ------------------------------------------------------------------ Viterbi
    @torch.no_grad()
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor | None = None):
        """Viterbi decoding. emissions: (N, T, K); mask: (N, T) or None.

        ``delta[t, j] = max_i(delta[t-1, i] + trans[i, j]) + emis[t, j]`` in the same tag-major layout as
        :meth:`_log_partition` (only the max, no argmax, in the loop). The backpointer is recomputed during
        the backtrace for the one tag each sequence is at: ``argmax_i(delta[t-1, i] + trans[i, y_t])`` on a
        (K, N) array — the same float additions as in the loop, so the same winner; ties go to the smallest
        index. The backtrace is a short NumPy loop over time for the whole batch (the paths end up in lists).

        Returns ``(paths (N, T) long, best_scores (N,), lengths (N,))``; ``paths[n, :L_n]`` is the best
        sequence, positions past ``L_n`` repeat its last tag (ignore them).
        """
        mask, lengths = self._check(emissions, None, mask)
        N, T, _ = emissions.shape
        t_max = int(lengths.max())
        emis = emissions[:, :t_max].permute(1, 2, 0).contiguous().unbind(0)     # T x (K, N)
        keep = mask[:, :t_max].t().unsqueeze(1).unbind(0)                        # T x (1, N)
        trans = self.transitions.unsqueeze(2)                                    # (K_from, K_to, 1)
        delta = self.start_transitions.unsqueeze(1) + emis[0]                    # (K, N)
        deltas = [delta]
        for t in range(1, t_max):
            best = (delta.unsqueeze(1) + trans).amax(dim=0)                      # (K, N)
            delta = torch.where(keep[t], best + emis[t], delta)
            deltas.append(delta)
        best_scores, last = (delta + self.end_transitions.unsqueeze(1)).max(dim=0)   # (N,)
        D = torch.stack(deltas).cpu().numpy()                                    # (t_max, K, N)
        tr = self.transitions.detach().cpu().numpy()
        m = mask.cpu().numpy()
        cur = last.cpu().numpy()
        paths = np.empty((N, T), dtype=np.int64)
        paths[:, t_max - 1:] = cur[:, None]
        for t in range(t_max - 1, 0, -1):                                        # backtrace, whole batch
            prev = np.argmax(D[t - 1] + tr[:, cur], axis=0)                      # (N,)
            cur = np.where(m[:, t], prev, cur)
            paths[:, t - 1] = cur
        return torch.from_numpy(paths).to(emissions.device), best_scores, lengths

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> list[list[int]]:
        """Best tag sequence of each sequence (Viterbi). emissions: (N, T, K); mask: (N, T) or None.

        Returns a list of N lists; list ``n`` has ``L_n = mask[n].sum()`` tags.
        """
        paths, _, lengths = self.viterbi(emissions, mask)
        return [row[:n] for row, n in zip(paths.tolist(), lengths.tolist(), strict=True)]
