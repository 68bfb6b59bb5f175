"""Tests of course_lib.reference.ngram: counting, MLE / add-k / Kneser-Ney estimates, perplexity, sampling."""

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from course_lib.reference.ngram import BOS, EOS, UNK, NGramLM, Vocabulary

SMOOTHINGS = ("mle", "add_k", "kneser_ney")

# Toy corpus of the hand computations. Training words: the x3, cat x2, sat x2, dog x1, ran x1, so the
# predictive vocabulary is {<unk>, </s>, the, cat, sat, dog, ran}: V = 7 (<s> is context only).
# Bigram counts of the padded sentences "<s> the cat sat </s>", "<s> the dog sat </s>", "<s> the cat ran </s>":
#   c(<s> the) = 3; c(the cat) = 2, c(the dog) = 1; c(cat sat) = 1, c(cat ran) = 1; c(dog sat) = 1;
#   c(sat </s>) = 2; c(ran </s>) = 1.
# Context counts: c(<s>) = 3, c(the) = 3, c(cat) = 2, c(dog) = 1, c(sat) = 2, c(ran) = 1; 12 predicted tokens.
TOY = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat", "ran"]]


def random_corpus(seed, n_sentences=40, n_words=8, max_len=6):
    """Sentences of a random first-order Markov chain over w0..w{n_words-1} (some structure, some noise)."""
    rng = np.random.default_rng(seed)
    trans = rng.dirichlet(np.full(n_words, 0.3), size=n_words)
    sentences = []
    for _ in range(n_sentences):
        length = int(rng.integers(0, max_len + 1))
        w = int(rng.integers(n_words))
        s = []
        for _ in range(length):
            s.append(f"w{w}")
            w = int(rng.choice(n_words, p=trans[w]))
        sentences.append(s)
    return sentences


def padded(sentences, n):
    return [[BOS] * (n - 1) + list(s) + [EOS] for s in sentences]


def naive_counts(sentences, n):
    """c(g) for every m-gram g (m = 1..n) whose last token is a predicted token, counted the slow way."""
    counts = Counter()
    for s in padded(sentences, n):
        for t in range(n - 1, len(s)):
            for m in range(1, n + 1):
                counts[tuple(s[t - m + 1:t + 1])] += 1
    return counts


def naive_kneser_ney(sentences, n, D, vocab):
    """Interpolated Kneser-Ney written straight from the recursive formula (Chen & Goodman 1999), with
    plain dicts of strings: an independent check of the vectorised implementation (min_count = 1)."""
    raw = naive_counts(sentences, n)
    cont = Counter(g[1:] for g in raw if len(g) >= 2)  # N1+(. g): distinct left neighbours of g
    V = vocab.n_predict

    def p(w, h):
        m = len(h) + 1
        lower = 1.0 / V if m == 1 else p(w, h[1:])
        c = raw if m == n else cont
        row = {g: c[g] for g in c if len(g) == m and g[:-1] == h}
        total = sum(row.values())
        if total == 0:
            return lower
        return max(c.get(h + (w,), 0) - D, 0) / total + D * len(row) / total * lower

    return p


def context_words(lm):
    """Every context (as a list of words, <s> included) after which the fitted model saw a token."""
    keys = lm.counts[lm.order]
    return sorted({tuple(lm.vocab.decode(g[:-1])) for g in keys})


UNSEEN_CONTEXTS = [["zebra"], ["zebra", "zebra", "zebra"], ["w7", "w7", "w7", "w7"], [EOS, "w0"], ["w1", UNK]]


# ----------------------------------------------------------------------------------------- Vocabulary
def test_vocabulary_ids_min_count_and_unk():
    corpus = [["b", "a", "b"], ["c", "b", "a", "rare"], [UNK]]
    v = Vocabulary(corpus, min_count=2)
    # <unk>, </s>, kept words by decreasing count (b x3, a x2), <s> last; c and rare (once) are dropped
    assert v.itos == [UNK, EOS, "b", "a", BOS]
    assert len(v) == 5 and v.n_predict == 4
    assert (v.unk_id, v.eos_id, v.bos_id) == (0, 1, 4)
    assert "a" in v and "c" not in v and "rare" not in v and BOS in v
    assert v.encode(["a", "c", "zebra", "b"]) == [3, 0, 0, 2]
    assert v.decode([2, 3, 1]) == ["b", "a", EOS]
    assert v.to_id("rare") == v.unk_id and v.to_token(3) == "a"
    assert v.word_counts["b"] == 3 and v.word_counts["rare"] == 1
    assert Vocabulary(corpus).itos == [UNK, EOS, "b", "a", "c", "rare", BOS]  # ties alphabetical


# ----------------------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distribution_sums_to_one_for_seen_and_unseen_contexts(smoothing, order):
    corpus = random_corpus(0)
    lm = NGramLM(order, smoothing, k=0.5, min_count=2).fit(corpus)
    seen = context_words(lm)
    assert len(seen) >= (1 if order == 1 else 8)
    for ctx in [*map(list, seen), *UNSEEN_CONTEXTS, []]:
        p = lm.distribution(ctx)
        assert p.shape == (lm.vocab.n_predict,) and p.dtype == np.float64
        assert abs(p.sum() - 1.0) < 1e-12, (ctx, p.sum())
        assert np.all(p >= 0)
        if smoothing != "mle":
            assert np.all(p > 0)
    # the scalar path (prob) and the vectorised path (distribution) agree
    words = lm.vocab.itos[:-1]
    for ctx in [*map(list, seen[:5]), *UNSEEN_CONTEXTS[:2]]:
        np.testing.assert_allclose([lm.prob(w, ctx) for w in words], lm.distribution(ctx), rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------------------- hand computations
def test_mle_and_add_one_perplexity_by_hand():
    test = ["the", "dog", "sat"]  # not a training sentence, but all its bigrams were seen
    mle = NGramLM(2, "mle").fit(TOY)
    # MLE: P(the|<s>) = 3/3, P(dog|the) = 1/3, P(sat|dog) = 1/1, P(</s>|sat) = 2/2  ->  P = 1/3 over N = 4
    # predicted tokens, perplexity = (1/3)^(-1/4) = 3^(1/4)
    assert mle.prob("dog", ["the"]) == pytest.approx(1 / 3, abs=1e-15)
    assert mle.logprob(test) == pytest.approx(math.log(1 / 3), abs=1e-12)
    assert mle.perplexity([test]) == pytest.approx(3 ** 0.25, abs=1e-12)
    # add-1 (V = 7): (c(h w) + 1) / (c(h) + 7):
    # P(the|<s>) = 4/10, P(dog|the) = 2/10, P(sat|dog) = 2/8, P(</s>|sat) = 3/9  ->  P = 1/150
    add1 = NGramLM(2, "add_k", k=1.0).fit(TOY)
    probs = [add1.prob("the", []), add1.prob("dog", ["the"]), add1.prob("sat", ["dog"]), add1.prob(EOS, ["sat"])]
    np.testing.assert_allclose(probs, [4 / 10, 2 / 10, 2 / 8, 3 / 9], rtol=0, atol=1e-15)
    assert math.prod(Fraction(f) for f in ("4/10", "2/10", "2/8", "3/9")) == Fraction(1, 150)
    assert add1.perplexity([test]) == pytest.approx(150 ** 0.25, abs=1e-12)
    # two sentences: "cat" alone has P(cat|<s>) = 1/10, P(</s>|cat) = 1/9, so
    # perplexity = (1/150 * 1/90)^(-1/(4 + 2)) = 13500^(1/6)
    assert add1.perplexity([test, ["cat"]]) == pytest.approx(13500 ** (1 / 6), abs=1e-12)


def test_kneser_ney_bigram_by_hand():
    lm = NGramLM(2, "kneser_ney", discount=0.75).fit(TOY)
    # Continuation counts N1+(. w) = distinct left neighbours in the 8 bigram types:
    #   the: {<s>} 1, cat: {the} 1, dog: {the} 1, sat: {cat, dog} 2, ran: {cat} 1, </s>: {sat, ran} 2, <unk>: 0.
    # Their sum is 8 and 6 tokens have a non-zero one, so with D = 3/4 and V = 7 the unigram level is
    #   P(w) = max(N1+(. w) - 3/4, 0) / 8 + (3/4 * 6 / 8) * 1/7
    #   P(ran) = (1/4)/8 + 9/112 = 7/224 + 18/224 = 25/224;   P(sat) = (5/4)/8 + 9/112 = 35/224 + 18/224 = 53/224.
    # Bigram level (raw counts): "dog" was a context once, followed by 1 distinct word (sat), never by ran:
    #   P(ran | dog) = max(0 - 3/4, 0)/1 + (3/4 * 1/1) * 25/224 = 75/896
    # "cat" was a context twice, followed by 2 distinct words (sat, ran):
    #   P(sat | cat) = (1 - 3/4)/2 + (3/4 * 2/2) * 53/224 = 112/896 + 159/896 = 271/896
    assert Fraction(3, 4) * Fraction(25, 224) == Fraction(75, 896)
    assert Fraction(1, 8) + Fraction(3, 4) * Fraction(53, 224) == Fraction(271, 896)
    assert lm.prob("ran", ["dog"]) == pytest.approx(75 / 896, abs=1e-12)
    assert lm.prob("sat", ["cat"]) == pytest.approx(271 / 896, abs=1e-12)
    # a context never seen backs off entirely to the unigram level
    assert lm.prob("ran", ["zebra"]) == pytest.approx(25 / 224, abs=1e-12)
    # <unk> was never seen: at the unigram level it only gets the uniform share (3/4 * 6/8) / 7 = 9/112; after
    # <s> (a context 3 times, 1 distinct follower) it gets (3/4 * 1/3) * 9/112 = 9/448
    assert lm.prob("zebra", []) == lm.prob(UNK, [BOS]) == pytest.approx(9 / 448, abs=1e-12)
    # order 1: the highest order uses raw counts (total 12, 6 types): P(ran) = (1/4)/12 + (3/4 * 6/12)/7 = 25/336
    assert NGramLM(1, "kneser_ney").fit(TOY).prob("ran") == pytest.approx(25 / 336, abs=1e-12)


@pytest.mark.parametrize("order", [2, 3, 4])
def test_kneser_ney_matches_the_recursive_formula(order):
    corpus = random_corpus(1, n_sentences=25)
    D = 0.6
    lm = NGramLM(order, "kneser_ney", discount=D).fit(corpus)
    p = naive_kneser_ney(corpus, order, D, lm.vocab)
    words = lm.vocab.itos[:-1]
    for ctx in [*context_words(lm)[:12], ("w3",) * (order - 1), ("zebra",) * (order - 1)]:
        h = tuple([BOS] * (order - 1) + [w if w in lm.vocab else UNK for w in ctx])[-(order - 1):]
        np.testing.assert_allclose(lm.distribution(list(ctx)), [p(w, h) for w in words], rtol=1e-12, atol=0)


def test_kneser_ney_discount_per_order():
    lm = NGramLM(2, "kneser_ney", discount=[0.5, 0.9]).fit(TOY)
    # unigram level with D1 = 1/2: P(ran) = (1/2)/8 + (1/2 * 6/8)/7 = 1/16 + 3/56 = 13/112
    # bigram level with D2 = 9/10: P(ran | dog) = (9/10 * 1/1) * 13/112 = 117/1120
    assert lm.prob("ran", ["dog"]) == pytest.approx(117 / 1120, abs=1e-12)
    assert abs(lm.distribution(["dog"]).sum() - 1) < 1e-12


# ----------------------------------------------------------------------------------------- MLE and perplexity
def test_mle_equals_relative_frequencies():
    corpus = random_corpus(2)
    counts = naive_counts(corpus, 3)
    lm = NGramLM(3, "mle").fit(corpus)
    trigrams = [g for g in counts if len(g) == 3]
    assert len(trigrams) > 20
    for g in trigrams:
        context_total = sum(c for h, c in counts.items() if len(h) == 3 and h[:2] == g[:2])
        assert lm.prob(g[2], list(g[:2])) == pytest.approx(counts[g] / context_total, abs=1e-15)
        assert lm.count(list(g)) == counts[g]
        assert lm.context_count(list(g[:2])) == context_total
    assert lm.counts[3] == {tuple(lm.vocab.encode(g)): c for g, c in counts.items() if len(g) == 3}
    assert sum(lm.counts[1].values()) == sum(len(s) + 1 for s in corpus)  # every word and every </s>


def test_mle_unseen_context_backs_off_to_shorter_context():
    lm = NGramLM(2, "mle").fit(TOY)
    # "zebra" reads as <unk>, never a context: the unigram MLE c(w) / 12 is used (the 3, </s> 3, cat 2, ...)
    assert lm.prob("the", ["zebra"]) == pytest.approx(3 / 12, abs=1e-15)
    np.testing.assert_allclose(lm.distribution(["zebra"]), NGramLM(1, "mle").fit(TOY).distribution([]), atol=0)


def test_unseen_bigram_gives_infinite_mle_perplexity_but_finite_smoothed_perplexity():
    test = [["the", "dog", "ran"]]  # "dog ran" never occurs in training
    assert NGramLM(2, "mle").fit(TOY).perplexity(test) == math.inf
    assert NGramLM(2, "mle").fit(TOY).logprob(test[0]) == -math.inf
    for smoothing in ("add_k", "kneser_ney"):
        pp = NGramLM(2, smoothing).fit(TOY).perplexity(test)
        assert math.isfinite(pp) and pp > 1


def test_higher_order_mle_has_lower_training_perplexity():
    corpus = random_corpus(3, n_sentences=60, max_len=8)
    pps = [NGramLM(n, "mle").fit(corpus).perplexity(corpus) for n in (1, 2, 3, 4)]
    assert all(a > b for a, b in zip(pps, pps[1:], strict=False)), pps
    assert all(math.isfinite(pp) for pp in pps)


def test_students_opened_their():
    corpus = ([["the", "students", "opened", "their", "books"]] * 4
              + [["the", "students", "opened", "their", "exams"]]
              + [["the", "students", "opened", "their", "laptops"]] * 5)
    lm = NGramLM(4, "mle").fit(corpus)
    assert lm.context_count("students opened their") == 10
    assert lm.count("students opened their books") == 4
    assert lm.prob("books", "students opened their") == pytest.approx(0.4, abs=1e-15)
    assert lm.prob("exams", ["students", "opened", "their"]) == pytest.approx(0.1, abs=1e-15)
    assert lm.top_k("students opened their", 2) == [("laptops", 0.5), ("books", 0.4)]
    assert lm.continuations("students opened their") == {"laptops": 5, "books": 4, "exams": 1}
    assert lm.count([BOS, "the"]) == 10 and lm.context_count([BOS, BOS, BOS]) == 10
    # only the last order - 1 = 3 words matter (Markov assumption)
    assert lm.prob("books", "as the proctor started the clock the students opened their") == pytest.approx(0.4)
    top = NGramLM(4, "kneser_ney").fit(corpus).top_k("students opened their", 3)
    assert [w for w, _ in top] == ["laptops", "books", "exams"] and top[0][1] > top[1][1] > top[2][1]


# ----------------------------------------------------------------------------------------- <unk>
def test_unk_from_min_count_and_unseen_test_words():
    corpus = [["a", "b", "a"], ["b", "rare1", "a"], ["rare2", "b"]]
    lm = NGramLM(1, "mle", min_count=2).fit(corpus)
    assert "rare1" not in lm.vocab and "a" in lm.vocab
    assert lm.count([UNK]) == 2  # rare1 and rare2 became <unk>
    # unigram MLE over 8 + 3 = 11 predicted tokens (words and </s>): P(<unk>) = 2/11
    assert lm.prob(UNK) == pytest.approx(2 / 11, abs=1e-15)
    assert lm.prob("rare1") == lm.prob("never-seen") == lm.prob(UNK)
    # with min_count = 1, <unk> has no counts: MLE gives an unseen test word probability 0 ...
    mle = NGramLM(2, "mle").fit(corpus)
    assert mle.prob("zebra", ["a"]) == 0.0 and mle.perplexity([["a", "zebra"]]) == math.inf
    # ... while Kneser-Ney and add-k give it mass
    for smoothing in ("kneser_ney", "add_k"):
        lm = NGramLM(2, smoothing).fit(corpus)
        assert lm.prob("zebra", ["a"]) == lm.prob(UNK, ["a"]) > 0
        assert math.isfinite(lm.perplexity([["a", "zebra", "b"]]))


# ----------------------------------------------------------------------------------------- sampling
def test_sampling_is_reproducible_and_stops_at_end_of_sentence():
    lm = NGramLM(2, "mle").fit([["a", "b", "c"], ["a", "b", "d"]])
    draws = [tuple(lm.sample(np.random.default_rng(7))) for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same sample
    rng = np.random.default_rng(0)
    samples = Counter(tuple(lm.sample(rng)) for _ in range(100))
    assert set(samples) == {("a", "b", "c"), ("a", "b", "d")}  # stops when </s> is drawn; </s> not returned
    assert lm.sample(np.random.default_rng(1), context=["a", "b"]) in (["c"], ["d"])


def test_sampling_follows_the_distribution_and_never_emits_bos():
    lm = NGramLM(2, "mle").fit(TOY)
    rng = np.random.default_rng(123)
    firsts = Counter(lm.sample(rng, context=["the"], max_len=1)[0] for _ in range(3000))
    assert set(firsts) == {"cat", "dog"}
    assert abs(firsts["cat"] / 3000 - 2 / 3) < 0.03  # P(cat | the) = 2/3; 3.5 standard deviations
    kn = NGramLM(3, "kneser_ney").fit(random_corpus(4))
    rng = np.random.default_rng(5)
    samples = [kn.sample(rng, max_len=8) for _ in range(300)]
    tokens = Counter(w for s in samples for w in s)
    assert BOS not in tokens and EOS not in tokens
    assert max(map(len, samples)) == 8 and min(map(len, samples)) < 8
    a = [kn.sample(np.random.default_rng(9), max_len=20) for _ in range(2)]
    b = [kn.sample(np.random.default_rng(10), max_len=20) for _ in range(2)]
    assert a[0] == a[1] and a[0] != b[0]


def test_max_len_caps_the_sample():
    lm = NGramLM(2, "mle").fit([["a"] * 9])  # P(a | a) = 8/9: long runs
    rng = np.random.default_rng(0)
    lengths = [len(lm.sample(rng, max_len=3)) for _ in range(50)]
    assert max(lengths) == 3 and set(lengths) <= {1, 2, 3}
    assert lm.sample(rng, max_len=0) == []


# ----------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"order": 0}, "order must be an integer >= 1"),
        ({"order": 2.5}, "order must be an integer >= 1"),
        ({"order": 2, "smoothing": "laplace"}, "'mle', 'add_k', 'kneser_ney'"),
        ({"order": 2, "smoothing": "add_k", "k": 0}, "k .* positive"),
        ({"order": 2, "discount": 1.5}, r"discount must be a number in \(0, 1\]"),
        ({"order": 2, "discount": 0.0}, r"discount must be a number in \(0, 1\]"),
        ({"order": 2, "discount": [0.5, 0.5, 0.5]}, "sequence of order=2"),
        ({"order": 2, "min_count": 0}, "min_count must be an integer >= 1"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NGramLM(**kwargs)


def test_bad_corpus_and_queries():
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2).fit([])
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2).fit([[], []])
    with pytest.raises(ValueError, match="split the string"):
        NGramLM(2).fit(["the cat sat"])
    with pytest.raises(ValueError, match="list of tokenised sentences"):
        NGramLM(2).fit("the cat sat")
    with pytest.raises(ValueError, match="str tokens"):
        NGramLM(2).fit([["the", 3]])
    with pytest.raises(ValueError, match="reserved token"):
        NGramLM(2).fit([[BOS, "the"]])
    with pytest.raises(RuntimeError, match="not fitted"):
        NGramLM(2).prob("the", [])
    lm = NGramLM(2, "kneser_ney").fit(TOY)
    with pytest.raises(ValueError, match="at least one sentence"):
        lm.perplexity([])
    with pytest.raises(ValueError, match="never predicted"):
        lm.prob(BOS, ["the"])
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        lm.top_k(["the"], 0)
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        lm.sample(42)
    with pytest.raises(ValueError, match="1..2 tokens"):
        lm.count(["the", "cat", "sat"])
    with pytest.raises(ValueError, match="context must be"):
        lm.distribution([1, 2])
