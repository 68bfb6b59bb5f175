"""Count-based n-gram language models (lecture deck 000, Part 1: language modelling).

A language model gives the probability of the next word given the words before it. By the chain rule,

    P(x^(1), ..., x^(T)) = prod_t P(x^(t) | x^(t-1), ..., x^(1)),

and an n-gram model makes the Markov assumption that only the last n-1 words matter,

    P(x^(t) | x^(t-1), ..., x^(1)) ~= P(x^(t) | x^(t-1), ..., x^(t-n+1)),

estimated by counting in a corpus (maximum likelihood): ``count(h w) / count(h)`` for a context
``h = x^(t-n+1) ... x^(t-1)``. Most n-grams never occur, even in a large corpus (sparsity), so the counts are
smoothed: add-k (Lidstone; add-1 is Laplace) or interpolated Kneser-Ney (Kneser & Ney 1995, in the
interpolated form of Chen & Goodman 1999, "An empirical study of smoothing techniques for language
modeling", Computer Speech and Language 13(4)).

Conventions
-----------
* Sentences are lists of string tokens. ``fit`` pads each one with ``order - 1`` copies of ``<s>`` on the left
  and one ``</s>`` on the right, so the model also predicts where a sentence ends.
* ``<s>`` is context only: it is never predicted. The *predictive vocabulary* is every token except ``<s>``:
  the training words kept by ``min_count``, ``</s>`` and ``<unk>``. Its size is ``V = vocab.n_predict`` and
  every probability vector returned here has shape ``(V,)``, indexed by token id (``<s>`` has the last id,
  ``len(vocab) - 1``, so ids ``0 .. V-1`` are exactly the predictive vocabulary).
* ``<unk>`` policy: training words seen fewer than ``min_count`` times are replaced by ``<unk>`` (so ``<unk>``
  gets real counts); any word not in the vocabulary at test time is read as ``<unk>``, and its probability
  is the probability of ``<unk>``. With ``min_count=1`` ``<unk>`` has no training counts, so MLE gives it
  probability 0 while add-k and Kneser-Ney give it a small positive probability.
* Counts: ``c(h w)`` is the number of positions where ``w`` is predicted after the context ``h`` (every
  real word and every ``</s>``, never a padding ``<s>``), for every length ``m = len(h) + 1`` in
  ``1..order``; ``c(h) = sum_w c(h w)`` is the number of times ``h`` was a context.
* Contexts passed to ``prob``/``distribution``/``sample`` are lists of words (or one whitespace-separated
  string). Only the last ``order - 1`` words are used; a shorter context is left-padded with ``<s>``, i.e.
  read as the beginning of a sentence.

Storage: for each order ``m`` the distinct m-grams are kept as a sparse matrix in CSR form, one row per
context: a dict from the context (a tuple of token ids) to its row, and for each row the sorted ids of the
words seen after it with their counts. Nothing of size ``V ** m`` is ever built; ``distribution`` makes one
dense ``(V,)`` vector on demand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
SMOOTHINGS = ("mle", "add_k", "kneser_ney")


def _check_sentences(sentences, what: str = "sentences") -> list[list[str]]:
    """Return ``sentences`` as a list of lists of str, or raise ``ValueError`` saying what is wrong."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise ValueError(f"{what} must be a list of tokenised sentences (lists of str), got "
                         f"{type(sentences).__name__}")
    out = []
    for i, s in enumerate(sentences):
        if isinstance(s, str) or not isinstance(s, Sequence):
            raise ValueError(f"{what}[{i}] must be a list of str tokens, got {type(s).__name__}"
                             + (" (split the string into words first)" if isinstance(s, str) else ""))
        if not all(map(isinstance, s, repeat(str))):
            bad = next(t for t in s if not isinstance(t, str))
            raise ValueError(f"{what}[{i}] must contain str tokens, got {type(bad).__name__}")
        if BOS in s or EOS in s:
            raise ValueError(f"{what}[{i}] contains the reserved token {BOS!r} or {EOS!r}; "
                             "padding is added by the model")
        out.append(list(s))
    return out


class Vocabulary:
    """Token <-> id mapping with a frequency cut-off.

    ids: ``<unk>`` = 0, ``</s>`` = 1, then the kept words by decreasing training count (ties alphabetical),
    and ``<s>`` last (``len(vocab) - 1``), so that ids ``0 .. n_predict - 1`` are the predictive vocabulary.

    Parameters
    ----------
    sentences : list of lists of str, the training corpus (without ``<s>``/``</s>``).
    min_count : words seen fewer than ``min_count`` times are not kept; they read as ``<unk>``. A literal
        ``<unk>`` in the corpus is ``<unk>`` too.

    Attributes
    ----------
    itos : list[str], id -> token.   stoi : dict[str, int], token -> id.
    word_counts : dict[str, int], training count of every word before the cut-off.
    """

    def __init__(self, sentences, min_count: int = 1):
        if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
        sentences = _check_sentences(sentences)
        counts = Counter(chain.from_iterable(sentences))
        self.word_counts: dict[str, int] = dict(counts)
        self.min_count = int(min_count)
        kept = sorted((w for w, c in counts.items() if c >= min_count and w != UNK),
                      key=lambda w: (-counts[w], w))
        self.itos: list[str] = [UNK, EOS, *kept, BOS]
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        self.unk_id, self.eos_id, self.bos_id = 0, 1, len(self.itos) - 1

    def __len__(self) -> int:
        """Number of tokens, ``<s>``, ``</s>`` and ``<unk>`` included."""
        return len(self.itos)

    def __contains__(self, word) -> bool:
        """True if ``word`` has its own id (a kept word or a special token)."""
        return word in self.stoi

    @property
    def n_predict(self) -> int:
        """Size V of the predictive vocabulary (every token but ``<s>``)."""
        return len(self.itos) - 1

    def to_id(self, word: str) -> int:
        """Id of ``word``; a word not in the vocabulary gets ``unk_id``."""
        return self.stoi.get(word, self.unk_id)

    def to_token(self, i: int) -> str:
        """Token with id ``i``."""
        return self.itos[i]

    def encode(self, words: Sequence[str]) -> list[int]:
        """List of ids of ``words`` (unknown words -> ``unk_id``)."""
        get, unk = self.stoi.get, self.unk_id
        return [get(w, unk) for w in words]

    def decode(self, ids) -> list[str]:
        """List of tokens of ``ids``."""
        return [self.itos[int(i)] for i in ids]


class _Table:
    """The m-grams of one order as a CSR sparse matrix with one row per context h (m-1 token ids).

    ``row[h]`` is the row of context ``h``; the distinct words seen after it are
    ``words[indptr[r]:indptr[r+1]]`` (sorted ids). Two sets of counts share this layout: ``counts["raw"]``,
    c(h w), and ``counts["kn"]``, the Kneser-Ney continuation counts N1+(. h w) (equal to the raw counts at
    the highest order). ``totals[kind][r] = sum_w counts[kind]`` over the row, and ``ntypes[r] = N1+(h .)``
    is the number of distinct words seen after ``h``.
    """

    def __init__(self, grams: np.ndarray, raw: np.ndarray, kn: np.ndarray):
        # grams: (G, m) distinct m-grams in lexicographic order; raw, kn: (G,) their two kinds of counts.
        G, m = grams.shape
        new_row = np.zeros(G, dtype=bool)  # a row starts wherever the context (all but the last id) changes
        new_row[0] = True
        new_row[1:] = np.any(grams[1:, :-1] != grams[:-1, :-1], axis=1)  # all False for m = 1
        starts = np.flatnonzero(new_row)
        self.indptr = np.append(starts, G)
        self.grams = grams.astype(np.int32)  # ids fit in int32; halves the memory
        self.words = np.ascontiguousarray(self.grams[:, -1])
        self.counts = {"raw": raw.astype(np.float64), "kn": kn.astype(np.float64)}
        self.totals = {kind: np.add.reduceat(c, starts) for kind, c in self.counts.items()}
        self.ntypes = np.diff(self.indptr).astype(np.float64)
        contexts = zip(*[col.tolist() for col in self.grams[starts, :-1].T], strict=True) if m > 1 else [()]
        self.row: dict[tuple[int, ...], int] = dict(zip(contexts, range(len(starts)), strict=True))

    def lookup(self, h: tuple, kind: str = "raw") -> tuple[np.ndarray, np.ndarray, float, float] | None:
        """``(word ids, counts, c(h), N1+(h .))`` of context ``h``, or None if ``h`` was never a context."""
        r = self.row.get(h)
        if r is None:
            return None
        a, b = self.indptr[r], self.indptr[r + 1]
        return self.words[a:b], self.counts[kind][a:b], self.totals[kind][r], self.ntypes[r]

    def stats(self, h: tuple, w: int, kind: str = "raw") -> tuple[float, float, float] | None:
        """``(c(h w), c(h), N1+(h .))`` (continuation counts for kind="kn"), or None if ``h`` was never a
        context; c(h w) is 0 for a word never seen after ``h``."""
        r = self.row.get(h)
        if r is None:
            return None
        a, b = self.indptr[r], self.indptr[r + 1]
        j = a + np.searchsorted(self.words[a:b], w)
        c = float(self.counts[kind][j]) if j < b and self.words[j] == w else 0.0
        return c, self.totals[kind][r], self.ntypes[r]


class NGramLM:
    """n-gram language model with MLE, add-k or interpolated Kneser-Ney estimates.

    Parameters
    ----------
    order : n >= 1 (1 = unigram, 2 = bigram, ...); the model conditions on the last n-1 tokens.
    smoothing : one of ``"mle"``, ``"add_k"``, ``"kneser_ney"``.
    k : pseudo-count of add-k smoothing, > 0 (k = 1 is add-one / Laplace).
    discount : Kneser-Ney absolute discount D in (0, 1], one for all orders or a sequence of ``order``
        values (``discount[m-1]`` for m-grams).
    min_count : vocabulary cut-off, see :class:`Vocabulary`.

    Estimates, for a context h of n-1 tokens, ``h'`` = h without its first token (Part 1 of the lecture):

    * ``"mle"``: ``P(w | h) = c(h w) / c(h)``. If h was never a context, the longest suffix of h that was
      is used instead (down to the unigram ``c(w) / sum c``), so the distribution sums to 1 for every
      context. A seen context followed by an unseen word gives probability 0, hence infinite perplexity.
    * ``"add_k"``: ``P(w | h) = (c(h w) + k) / (c(h) + k V)`` (uniform 1/V for an unseen context).
    * ``"kneser_ney"``: interpolated Kneser-Ney with one absolute discount D per order (not the "modified"
      variant with three discounts D1, D2, D3+ of Chen & Goodman),

          P(w | h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * P(w | h'),

      with raw counts c at the highest order and, at every lower order, continuation counts
      ``c_KN(h w) = N1+(. h w)``, the number of distinct tokens seen before ``h w``. The unigram level is
      interpolated with the uniform distribution 1/V, so every token (``<unk>`` included) gets mass. A
      context never seen at some order backs off entirely: ``P(w | h) = P(w | h')``. Since D <= 1 <= every
      count, each level sums to 1 exactly. This is the textbook form: continuation counts are used for every
      lower-order n-gram, also those that start with ``<s>`` (which have no left neighbour but ``<s>``;
      KenLM keeps raw counts for those, Heafield et al. 2013).
    """

    def __init__(self, order: int, smoothing: str = "mle", k: float = 1.0, discount=0.75, min_count: int = 1):
        if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {', '.join(map(repr, SMOOTHINGS))}, got {smoothing!r}")
        if not (isinstance(k, int | float) and k > 0 and math.isfinite(k)):
            raise ValueError(f"k (add-k pseudo-count) must be a positive number, got {k!r}")
        try:
            d = np.atleast_1d(np.asarray(discount, dtype=np.float64))
        except (TypeError, ValueError):
            d = np.array([np.nan])
        if d.ndim != 1 or len(d) not in (1, order) or not np.all((d > 0) & (d <= 1)):
            raise ValueError(f"discount must be a number in (0, 1] or a sequence of order={order} such numbers, "
                             f"got {discount!r}")
        if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
        self.order, self.smoothing, self.k, self.min_count = int(order), smoothing, float(k), int(min_count)
        self.discounts = np.broadcast_to(d, (order,)).copy()
        self.vocab: Vocabulary | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, sentences) -> NGramLM:
        """Count every m-gram, m = 1..order, of the padded training sentences and return ``self``.

        sentences : list of lists of str (tokenised sentences, no ``<s>``/``</s>``); at least one word.
        """
        self.vocab = vocab = Vocabulary(sentences, self.min_count)  # also checks the input
        if sum(len(s) for s in sentences) == 0:
            self.vocab = None
            raise ValueError("cannot fit a language model on an empty corpus: no sentences or only empty ones")
        n = self.order
        # all padded sentences end to end; `targets` are the positions of predicted tokens (words and </s>)
        pad = [vocab.bos_id] * (n - 1)
        stream, targets = [], []
        for s in sentences:
            targets.extend(range(len(stream) + n - 1, len(stream) + n + len(s)))
            stream.extend(pad + vocab.encode(s) + [vocab.eos_id])
        stream, targets = np.asarray(stream, dtype=np.int64), np.asarray(targets, dtype=np.int64)
        # windows: (N, n), the n-gram ending at each of the N predicted tokens (the pads keep each window
        # inside its sentence); its last m columns are the m-grams.
        windows = np.stack([stream[targets - n + 1 + j] for j in range(n)], axis=1)
        # rank[m]: (N,) lexicographic rank of each m-gram among the distinct m-grams, built right to left:
        # (first id, rank of the rest) sorts like the m-gram itself, and fits in one int64 key.
        rank, first, raw = {0: np.zeros(len(targets), dtype=np.int64)}, {}, {}
        for m in range(1, n + 1):
            key = windows[:, n - m] * (rank[m - 1].max() + 1) + rank[m - 1]
            _, first[m], rank[m], raw[m] = np.unique(key, return_index=True, return_inverse=True,
                                                     return_counts=True)
        self._tables: dict[int, _Table] = {}
        for m in range(1, n + 1):
            # Kneser-Ney continuation count of an m-gram (m < n): how many distinct (m+1)-grams end with it
            kn = raw[m] if m == n else np.bincount(rank[m][first[m + 1]], minlength=len(raw[m]))
            self._tables[m] = _Table(windows[first[m], n - m:], raw[m], kn)
        self._counts_cache: dict[int, dict[tuple[int, ...], int]] = {}
        return self

    def _check_fitted(self) -> Vocabulary:
        if self.vocab is None:
            raise RuntimeError("this NGramLM is not fitted yet: call fit(sentences) first")
        return self.vocab

    def _context_ids(self, context) -> tuple[int, ...]:
        """The last order-1 ids of ``context`` (list of words or one string), left-padded with <s>."""
        vocab = self._check_fitted()
        if isinstance(context, str):
            context = context.split()
        if not isinstance(context, Sequence) or not all(isinstance(w, str) for w in context):
            raise ValueError(f"context must be a list of str tokens or a string, got {context!r}")
        ids = [vocab.bos_id] * (self.order - 1) + vocab.encode(context)
        return tuple(ids[len(ids) - (self.order - 1):])

    def _word_id(self, word: str) -> int:
        vocab = self._check_fitted()
        if word == BOS:
            raise ValueError(f"{BOS} is never predicted (it is context only)")
        if not isinstance(word, str):
            raise ValueError(f"word must be a str, got {type(word).__name__}")
        return vocab.to_id(word)

    # ------------------------------------------------------------------ probabilities
    def _prob_id(self, w: int, h: tuple[int, ...]) -> float:
        """P(w | h) for token id w and a context h of exactly order-1 ids (scalar path of ``distribution``)."""
        n, V = self.order, self.vocab.n_predict
        if self.smoothing == "mle":
            for m in range(n, 0, -1):  # longest seen suffix of h; the empty context () is always seen
                found = self._tables[m].stats(h[n - m:], w)
                if found is not None:
                    return found[0] / found[1]
        if self.smoothing == "add_k":
            c, total, _ = self._tables[n].stats(h, w) or (0.0, 0.0, 0.0)
            return (c + self.k) / (total + self.k * V)
        p = 1.0 / V  # Kneser-Ney, from the uniform level up to order n
        for m in range(1, n + 1):
            found = self._tables[m].stats(h[n - m:], w, "kn")
            if found is None:
                continue  # context never seen at this order: P(w | h) = P(w | h')
            c, total, ntypes = found
            D = self.discounts[m - 1]
            p = max(c - D, 0.0) / total + D * ntypes / total * p
        return p

    def distribution(self, context=()) -> np.ndarray:
        """P(. | context) over the predictive vocabulary: float64 array of shape (V,), sums to 1.

        context : list of str (or one string); see the module docstring for padding and <unk>.
        """
        h = self._context_ids(context)
        n, V = self.order, self.vocab.n_predict
        if self.smoothing == "mle":
            for m in range(n, 0, -1):
                found = self._tables[m].lookup(h[n - m:])
                if found is not None:
                    words, counts, total, _ = found
                    p = np.zeros(V)
                    p[words] = counts / total
                    return p
        if self.smoothing == "add_k":
            p = np.full(V, self.k)
            found = self._tables[n].lookup(h)
            if found is None:
                return p / (self.k * V)
            words, counts, total, _ = found
            p[words] += counts
            return p / (total + self.k * V)
        p = np.full(V, 1.0 / V)
        for m in range(1, n + 1):
            found = self._tables[m].lookup(h[n - m:], "kn")
            if found is None:
                continue
            words, counts, total, ntypes = found
            D = self.discounts[m - 1]
            p = p * (D * ntypes / total)
            p[words] += np.maximum(counts - D, 0.0) / total
        return p

    def prob(self, word: str, context=()) -> float:
        """P(word | context); an unknown word gets the probability of <unk>."""
        return self._prob_id(self._word_id(word), self._context_ids(context))

    def logprob(self, sentence: Sequence[str]) -> float:
        """Natural-log probability of one sentence, ``sum_t log P(x^(t) | previous n-1)`` over its words and
        the final ``</s>`` (chain rule + Markov assumption). ``-inf`` if some token has probability 0."""
        return self._sum_logprob([sentence])[0]

    def _sum_logprob(self, sentences) -> tuple[float, int]:
        vocab = self._check_fitted()
        sentences = _check_sentences(sentences)
        n, total, count = self.order, 0.0, 0
        for s in sentences:
            ids = [vocab.bos_id] * (n - 1) + vocab.encode(s) + [vocab.eos_id]
            for t in range(n - 1, len(ids)):
                p = self._prob_id(ids[t], tuple(ids[t - n + 1:t]))
                total += math.log(p) if p > 0 else -math.inf
                count += 1
        return total, count

    def perplexity(self, sentences) -> float:
        """``exp(-(1/N) sum log P)`` over the N predicted tokens of ``sentences`` (every word and every
        ``</s>``; ``<s>`` is never predicted). ``inf`` when some token has probability 0 (MLE only)."""
        if not isinstance(sentences, str) and isinstance(sentences, Sequence) and len(sentences) == 0:
            raise ValueError("perplexity needs at least one sentence")
        total, count = self._sum_logprob(sentences)
        return math.exp(-total / count)

    # ------------------------------------------------------------------ inspection and generation
    def top_k(self, context=(), k: int = 10) -> list[tuple[str, float]]:
        """The k most probable next tokens after ``context`` as ``(token, probability)``, most probable first
        (ties by id)."""
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        p = self.distribution(context)
        best = np.argsort(-p, kind="stable")[:k]
        return [(self.vocab.itos[i], float(p[i])) for i in best]

    def sample(self, rng: np.random.Generator, context=(), max_len: int = 50) -> list[str]:
        """Generate tokens after ``context`` by drawing x^(t) ~ P(. | previous n-1) until ``</s>`` is drawn
        or ``max_len`` tokens were produced. Returns the generated tokens (not the context, not ``</s>``);
        they may include ``<unk>``, never ``<s>``. Reproducible: the only randomness is ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got "
                             f"{type(rng).__name__}")
        if isinstance(max_len, bool) or not isinstance(max_len, int | np.integer) or max_len < 0:
            raise ValueError(f"max_len must be an integer >= 0, got {max_len!r}")
        history = list(context.split() if isinstance(context, str) else context)
        out: list[str] = []
        while len(out) < max_len:
            i = rng.choice(self.vocab.n_predict, p=self.distribution(history))
            if i == self.vocab.eos_id:
                break
            out.append(self.vocab.itos[i])
            history.append(out[-1])
        return out

    def count(self, ngram) -> int:
        """c(ngram): how many times its last token was predicted right after the others (1 <= len <= order);
        e.g. ``count("students opened their books")``. Words are mapped through the vocabulary (<unk>)."""
        vocab = self._check_fitted()
        ngram = ngram.split() if isinstance(ngram, str) else list(ngram)
        if not 1 <= len(ngram) <= self.order:
            raise ValueError(f"ngram must have 1..{self.order} tokens, got {len(ngram)}")
        ids = tuple(vocab.encode(ngram))
        found = self._tables[len(ids)].stats(ids[:-1], ids[-1])
        return 0 if found is None else int(found[0])

    def context_count(self, context) -> int:
        """c(h) = sum_w c(h w): how many times ``context`` (0..order-1 tokens) was followed by a prediction."""
        vocab = self._check_fitted()
        context = context.split() if isinstance(context, str) else list(context)
        if len(context) >= self.order:
            raise ValueError(f"context must have 0..{self.order - 1} tokens, got {len(context)}")
        found = self._tables[len(context) + 1].lookup(tuple(vocab.encode(context)))
        return 0 if found is None else int(found[2])

    def continuations(self, context) -> dict[str, int]:
        """``{w: c(h w)}`` for every w seen after the context h (0..order-1 tokens), most frequent first."""
        vocab = self._check_fitted()
        context = context.split() if isinstance(context, str) else list(context)
        if len(context) >= self.order:
            raise ValueError(f"context must have 0..{self.order - 1} tokens, got {len(context)}")
        found = self._tables[len(context) + 1].lookup(tuple(vocab.encode(context)))
        if found is None:
            return {}
        order = np.argsort(-found[1], kind="stable")
        return {vocab.itos[found[0][i]]: int(found[1][i]) for i in order}

    @property
    def counts(self) -> dict[int, dict[tuple[int, ...], int]]:
        """Raw counts as ``{m: {(id_1, ..., id_m): c}}`` for m = 1..order (built on first access; ids are
        ``vocab`` ids, ``vocab.decode`` turns a key back into words)."""
        self._check_fitted()
        for m, table in self._tables.items():
            if m not in self._counts_cache:
                keys = zip(*[col.tolist() for col in table.grams.T], strict=True)
                self._counts_cache[m] = dict(zip(keys, table.counts["raw"].astype(np.int64).tolist(), strict=True))
        return self._counts_cache
