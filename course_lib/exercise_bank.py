"""The answers, hints and worked solutions of the lectures' exercises and questions (used by
:mod:`course_lib.exercises`; a lecture names an item by its key and never shows its answer).

Keys are ``l<lecture>.<name>`` for exercises (the answer is computed by course code, from the lecture's objects
when they are passed as keyword arguments) and ``l<lecture>.q.<name>`` for multiple-choice questions. Every
item's solution explains the answer; tests check that every computed answer agrees with its worked solution and
that every question the lectures ask is here.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ITEMS", "Item", "lookup"]


@dataclass(frozen=True)
class Item:
    """One exercise (``answer`` computes the expected value) or question (``choices`` and ``correct``)."""

    title: str
    hint: str
    solution: str
    answer: Callable | None = None
    prompt: str = ""
    choices: tuple[str, ...] = ()
    correct: str = ""
    rtol: float = 1e-6
    atol: float = 1e-9
    needs: tuple[str, ...] = field(default=())

    def letters(self) -> list[str]:
        return [chr(ord("a") + i) for i in range(len(self.choices))]

    def expected(self, **context):
        missing = [n for n in self.needs if n not in context]
        if missing:
            raise TypeError(f"check({self.title!r}) needs the lecture's {', '.join(missing)}: pass "
                            + ", ".join(f"{n}={n}" for n in missing))
        return self.answer(**{n: context[n] for n in self.needs})


def _ex(title, hint, solution, answer, needs=(), **kw) -> Item:
    return Item(title=title, hint=hint, solution=solution, answer=answer, needs=tuple(needs), **kw)


def _q(title, prompt, choices, correct, hint, solution) -> Item:
    """A multiple-choice question; ``correct`` is the letter of the right one of ``choices`` as written.

    The right choice is then moved to a position fixed by the title's CRC-32 (the others keep their order), so
    that the right letter is spread evenly over the bank instead of following how its author wrote it."""
    choices = list(choices)
    right = choices.pop(ord(correct) - ord("a"))
    where = zlib.crc32(title.encode()) % (len(choices) + 1)
    choices.insert(where, right)
    return Item(title=title, hint=hint, solution=solution, prompt=prompt, choices=tuple(choices),
                correct=chr(ord("a") + where))


# ---------------------------------------------------------------------------------------------- answers
def _bengio_params():
    from course_lib.models.language_models import BengioLM

    return sum(p.numel() for p in BengioLM(1000, 3, 10, 20).parameters())


def _torch_params(kind: str, D: int, H: int):
    from torch import nn

    return sum(p.numel() for p in getattr(nn, kind)(D, H).parameters())


def _birnn_shape():
    import torch
    from torch import nn

    return tuple(nn.RNN(8, 16, num_layers=3, bidirectional=True, batch_first=True)(torch.zeros(4, 9, 8))[0].shape)


def _tanh_delta():
    h, dh = np.array([0.5, -0.8]), np.array([1.0, 2.0])
    return dh * (1 - h ** 2)


def _softmax_T():
    z = np.array([1.0, 2.0, 3.0]) / 0.5
    e = np.exp(z - z.max())
    return float(e[2] / e.sum())


def _jacobian_20():
    from course_lib.reference.rnn import rnn_forward, rnn_hidden_jacobian_norms

    Q = np.linalg.qr(np.random.default_rng(3).standard_normal((4, 4)))[0]     # any orthogonal matrix will do
    _, cache = rnn_forward(np.zeros((1, 20, 2)), np.zeros((1, 4)), np.zeros((2, 4)), 0.8 * Q, np.zeros(4), "linear")
    return rnn_hidden_jacobian_norms(cache)[0, 0]


def _clipped():
    from course_lib.reference.optim import clip_grad_norm

    return clip_grad_norm([np.array([3.0, 4.0])], 1.0, eps=0.0)[0][0]


def _cell_path():
    from course_lib.reference.lstm import lstm_backward, lstm_forward

    T = 50
    cache = lstm_forward(np.zeros((1, T, 1)), None, np.ones((1, 1)), np.zeros((1, 4)), np.zeros((1, 4)),
                         np.array([0.0, np.log(0.9 / 0.1), 0.0, 0.0]))[2]
    return lstm_backward(np.zeros((1, T, 1)), cache, dc_T=np.ones((1, 1)))[2].item()


def _gru_z1():
    from course_lib.reference.gru import gru_step_forward

    rng = np.random.default_rng(0)
    bz = np.zeros(6)
    bz[2:4] = 50.0  # the z block of [r, z, n]
    return gru_step_forward(np.ones((1, 3)), np.array([[0.5, -0.2]]), rng.standard_normal((3, 6)),
                            rng.standard_normal((2, 6)), bz, np.zeros(6))[0][0]


def _crf_score(E, A, a_start, a_end):
    from course_lib.reference import crf

    return crf.sequence_score(E[None], np.array([[2, 0, 0, 1, 2]]), None, A, a_start, a_end)[0]


def _iob():
    from course_lib.metrics import iob_spans

    return iob_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])


ITEMS: dict[str, Item] = {
    # ==================== Lecture 1 — n-gram language models ==========================================================
    # The corpus
    "l1.q.tokens": _q(
        "Lower-casing and punctuation tokens",
        "The loader lower-cases every word and makes each punctuation mark a token of its own. What does that "
        "do for a count model?",
        ["'Speak', 'speak' and 'speak.' all become the word 'speak' (plus a '.' token), so each word pools the "
         "counts of all its spellings and fewer distinct words have to be estimated",
         "it deletes the punctuation, so the model never has to predict ',' or '.'",
         "it makes the vocabulary larger, because every punctuation mark becomes an extra word",
         "nothing: counting is insensitive to case and punctuation anyway"],
        "a", "without these rules, how many different strings would 'Speak', 'speak' and 'speak.' be?",
        "Without the rules, 'Speak' at the start of a line, 'speak' inside one and 'speak.' before a full stop "
        "would be three unrelated symbols, each with its own, smaller counts. Lower-casing and splitting off "
        "punctuation merge them into one word and a separate '.' token, so the counts are pooled. The "
        "punctuation is not thrown away: ',' and '.' are tokens the model predicts, as the continuations of "
        "'i pray' in the next section show."),
    "l1.q.heldout": _q(
        "Why a validation split",
        "Suppose we measured the perplexity of the MLE models on the training lines instead of on the held-out "
        "last 10 %. What would we see?",
        ["finite perplexities that fall steeply as n grows: every n-gram of the training text was counted, so "
         "no factor is 0, and a long context seen once predicts its one continuation with probability 1",
         "infinite perplexity from n = 2 on, exactly as on the validation text",
         "the same perplexities as on the validation text, since both parts are Shakespeare",
         "perplexity 1 for every order n, unigrams included"],
        "a", "can an n-gram of the training text have a count of 0 in the training counts?",
        "On its own training text the MLE model has counted every n-gram it is asked about, so no probability "
        "is 0 and the perplexity is finite; longer contexts, mostly seen once, let it predict the word that "
        "followed them with certainty, so the number keeps dropping with n. That rewards memorising, not "
        "predicting new text. On held-out text the unseen n-grams appear (MLE is infinite from n = 2 on), which "
        "is why every comparison in the lecture is made on the validation lines."),
    # The Markov assumption and counting
    "l1.q.markov": _q(
        "The Markov assumption", "What does a trigram model assume about P(w_t | w_1 .. w_{t-1})?",
        ["nothing: it is the chain rule", "it depends only on the two previous words, P(w_t | w_{t-2}, w_{t-1})",
         "it depends only on w_t's frequency", "it depends on the next two words"], "b",
        "an n-gram model keeps n - 1 words of context.",
        "The chain rule is exact; the n-gram model then cuts every history to its last n - 1 words. For a "
        "trigram that is P(w_t | w_{t-2}, w_{t-1}), which can be estimated by counting triples."),
    "l1.q.padding": _q(
        "Padding a line",
        "With the lecture's padding, which product is a trigram model's probability of the line 'i pray you'?",
        ["P(i | <s> <s>) P(pray | <s> i) P(you | i pray) P(</s> | pray you)",
         "P(i) P(pray | i) P(you | i pray)",
         "P(<s> | <s> <s>) P(i | <s> <s>) P(pray | <s> i) P(you | i pray)",
         "P(you | i pray)"],
        "a", "the padding gives every word n - 1 tokens of context, and the model also learns how lines end.",
        "Each line is padded with n - 1 = 2 copies of <s> on the left and one </s> on the right. Every word is "
        "predicted from the two tokens before it, so the first words are predicted from <s> (how lines begin), "
        "and the closing </s> is predicted too (how lines end): 3 words give 4 factors. <s> is only context; "
        "it is never predicted."),
    # Sparsity: the weakness of counting
    "l1.q.sparsity": _q(
        "Sparsity", "Why does the MLE trigram model give some validation sentences probability zero?",
        ["the validation text is too long", "a trigram of the sentence never occurred in training",
         "the model does not know the end-of-sentence token", "floating-point underflow"],
        "b", "look at what c(h w) = 0 does to one factor of the product.",
        "A sentence's probability is a product of P(w | h) = c(h w) / c(h); one trigram unseen in training makes "
        "one factor 0 and the product 0 (perplexity infinite). Underflow is why we work with log probabilities, "
        "not why the value is exactly zero. Smoothing moves probability mass to unseen events."),
    "l1.q.distinct_cap": _q(
        "Why the distinct counts level off",
        "From n = 4 to n = 5 the number of distinct n-grams in training hardly grows (193,634 to 199,195), "
        "although there are |V| times as many possible 5-grams as 4-grams. Why?",
        ["each predicted position of the training text (227,625 words plus one </s> for each of the 29,242 "
         "lines) ends exactly one n-gram of each order, so no order can have more than 256,867 distinct "
         "n-grams, and at n = 4 most of them already occur only once",
         "the implementation keeps only the n-grams seen at least twice",
         "most 5-grams occur many times in Shakespeare, so few new ones appear",
         "the vocabulary shrinks as the order grows"],
        "a", "how many n-grams does one padded line of k words contribute, whatever n is?",
        "A padded line of k words gives k + 1 n-grams of every order, one per predicted token, so each order "
        "has 227,625 + 29,242 = 256,867 n-gram occurrences in training: an upper bound on the distinct ones, "
        "however large |V|^n is. The distinct counts approach that bound because long n-grams are nearly all "
        "unique. The implementation stores every n-gram it counted, once or more; the gap between what was "
        "seen and what is possible is the sparsity of the right-hand column."),
    # Smoothing
    "l1.q.kn": _q(
        "Kneser-Ney's continuation count",
        "In Kneser-Ney smoothing, why does 'Francisco' get a low lower-order (continuation) probability even "
        "though it is a frequent word?",
        ["it is capitalised", "it follows very few distinct words (almost always 'San')",
         "its count is discounted twice", "it is rarer than 'San'"],
        "b", "the lower-order distribution counts distinct left contexts, not occurrences.",
        "The continuation probability of w is proportional to the number of distinct words that precede w. "
        "'Francisco' is frequent but nearly always after 'San', so as a continuation of a new context it is "
        "unlikely; the backed-off estimate should reflect how many contexts a word completes."),
    "l1.q.add1": _q(
        "What is wrong with add-one", "Why is add-one (Laplace) smoothing a poor choice for a language model with a "
        "large vocabulary?",
        ["it gives unseen n-grams probability 0", "it moves far too much probability to unseen continuations, "
         "taking it from the ones actually observed", "it needs a validation set", "it only works for bigrams"],
        "b", "how much mass does adding 1 to |V| counts take, when a context was seen 9 times?",
        "Adding 1 to each of |V| continuations adds |V| to the denominator: after a context seen 9 times with "
        "|V| = 10,000, the observed words keep under 0.1 % of the mass. Discounting methods such as Kneser-Ney "
        "subtract a small fixed amount instead."),
    # Perplexity
    "l1.q.perplexity": _q(
        "Comparing perplexities", "Model A has perplexity 100 on one test text; model B has 200 on another text "
        "with another vocabulary. Which is the better model?",
        ["A, its perplexity is lower", "B, its perplexity is higher",
         "we cannot tell: perplexities compare only on the same predicted tokens and vocabulary",
         "both are equally good"], "c", "what does perplexity average over?",
        "Perplexity is exp of the mean negative log-probability of particular tokens under a particular "
        "vocabulary. A smaller vocabulary or an easier text lowers it without any better model; Lecture 2 "
        "therefore scores every model on exactly the same validation tokens."),
    "l1.q.bits": _q(
        "Perplexity and bits", "A model's perplexity on a text is 32. What is its cross-entropy in bits per token?",
        ["32", "5", "1/32", "log(32) / 2"], "b", "perplexity = 2^(bits per token).",
        "Cross-entropy in bits is log2 of the perplexity: log2 32 = 5. The model is as uncertain as a uniform "
        "choice among 32 tokens, i.e. 5 binary questions per token."),
    # Generating text
    "l1.q.generate": _q(
        "Sampling from an n-gram model", "Why does text sampled from a trigram model read well over three words "
        "and poorly over a sentence?",
        ["the sampler is biased", "each word is chosen from the last two words only: nothing keeps the "
         "sentence's topic or syntax together beyond that", "the vocabulary is too small", "smoothing adds noise"],
        "b", "how much of the past does each sampled word see?",
        "Every step draws w_t from P(. | w_{t-2}, w_{t-1}); locally the triples are real, but nothing longer "
        "constrains the choice. That fixed window is the problem the neural and recurrent LMs address."),
    "l1.q.verbatim": _q(
        "Why high orders copy",
        "Why does text sampled from the 5-gram model often reproduce stretches of the training text word for "
        "word?",
        ["most 4-word contexts occurred once in training, so the counts after such a context know one next "
         "word, the one that followed it there, and that word gets far more probability than any other",
         "the sampler always takes the most probable next word",
         "Kneser-Ney smoothing copies training lines on purpose",
         "a 5-gram model's vocabulary consists of whole phrases"],
        "a", "how many different words were ever seen after a typical 4-word context?",
        "Each step draws x^(t) from P(. | previous 4 tokens). After a 4-word context seen once, the counts hold "
        "a single continuation; it gets its discounted count plus a share of the back-off, whose shorter "
        "contexts were often seen once too and favour the same word. So the draw usually continues the "
        "training line, and the new 4-word context is again one from training. The sampler really draws at "
        "random; the copying comes from the counts, not from always picking the best word."),
    # Exercises (they check themselves)
    "l1.mle": _ex(
        "P_MLE(you | i pray)", "divide the trigram count by the count of its context.",
        "P_MLE(w | h) = c(h w) / c(h): trigram.count('i pray you') / trigram.context_count('i pray'). "
        "Nothing is smoothed, so it is 0 for any trigram never seen in training.",
        lambda trigram: trigram.prob("you", "i pray"), needs=("trigram",)),
    "l1.uniform_ppl": _ex(
        "perplexity of a uniform 1/64 model", "perplexity is the inverse of the geometric mean of the probabilities.",
        "PP = exp(-(1/N) sum log p) = exp(-log(1/64)) = 64, whatever N is: a uniform model over K choices has "
        "perplexity K, as if it hesitated between K equally likely words at every step.",
        lambda: 64.0),
    "l1.add1": _ex(
        "add-1 probability of an unseen continuation", "(count(h w) + 1) / (count(h) + |V|).",
        "Add-one adds 1 to every count of the |V| continuations, so the denominator grows by |V|: "
        "(0 + 1) / (9 + 11) = 1/20 = 0.05.", lambda: 1 / 20),
    # ==================== Lecture 2 — Neural language models ==========================================================
    # Same data, same vocabulary, same predictions
    "l2.q.same_tokens": _q(
        "A fair comparison", "What must two language models share for their perplexities to be comparable?",
        ["the same number of parameters", "the same predicted tokens and the same vocabulary (the same <unk>)",
         "the same training time", "the same optimiser"], "b", "what is perplexity an average of?",
        "Perplexity averages -log P over a set of predicted tokens with probabilities normalised over a "
        "vocabulary. Mapping more words to <unk>, or predicting fewer tokens, changes the number without "
        "changing the model; the lecture scores every model on the same 29,510 validation tokens."),
    "l2.q.unk_token": _q(
        "A word seen once",
        "A validation line contains a word that occurs exactly once in the training lines. What do the models "
        "of this lecture score for that token?",
        ["the probability of <unk>: with min_count = 2 the word became <unk> in training, and it is read as "
         "<unk> in validation",
         "nothing: unknown words are left out of the predicted tokens",
         "probability 0, so the perplexity is infinite",
         "a probability estimated from its single training count"],
        "a", "what does min_count = 2 do to a training word seen only once?",
        "The shared vocabulary keeps the words seen at least twice; the others become <unk> in training, so "
        "<unk> gets real counts, and every validation word outside the vocabulary is read as <unk>. The token "
        "is still predicted (the predicted tokens are every word and every </s> of each line), and its "
        "probability is that of <unk>, which is one reason both models must use the very same vocabulary."),
    # The model
    "l2.q.cost": _q(
        "Where the time goes",
        "For a vocabulary of 50,000 words and a hidden layer of 500 units, which part of the feed-forward LM "
        "costs most per predicted word?",
        ["the embedding look-up", "the hidden layer", "the output layer and its softmax over |V|",
         "the loss"], "c", "count the multiplications of each matrix product.",
        "The output layer is an h x |V| matrix: 500 x 50,000 = 25 M multiply-adds per word, then a normalisation "
        "over 50,000 scores. The look-up is free and the hidden layer is (n-1) m x h, far smaller. This is why "
        "hierarchical and sampled softmaxes were invented."),
    "l2.q.window": _q(
        "Growing the window", "How does the feed-forward LM's number of parameters grow with the context size "
        "n - 1, all else fixed?",
        ["exponentially, like an n-gram table", "linearly: the hidden layer reads (n - 1) embeddings",
         "not at all", "quadratically"], "b", "look at the shape of the hidden layer's weight matrix.",
        "The hidden layer has (n - 1) m x h weights, so each extra word of context adds m h parameters; an "
        "n-gram table instead can grow like |V|^n. Still, every extra word costs parameters, and the window is "
        "fixed."),
    # Training: cross-entropy, one window at a time
    "l2.q.loss_ppl": _q(
        "Cross-entropy and perplexity", "Training minimises the mean cross-entropy L (in nats per token) of the "
        "next word. How is it related to the perplexity on the same tokens?",
        ["perplexity = L", "perplexity = exp(L)", "perplexity = 1 / L", "they are unrelated"], "b",
        "perplexity is exp of the mean negative log-probability.",
        "The mean cross-entropy is -(1/N) sum log P(w_t | context); perplexity is exp of exactly that. "
        "Minimising one minimises the other: a loss of 4.5 nats is a perplexity of about 90."),
    "l2.q.embed_init": _q(
        "Small initial embeddings",
        "Why does the lecture start the embedding rows from N(0, 0.1^2) instead of nn.Embedding's default "
        "N(0, 1)?",
        ["a short training run changes each row only a little; from N(0, 1) the rows would stay mostly their "
         "random start, and the neighbours read off them later would mostly show that start",
         "with N(0, 1) embeddings the softmax would output exact zeros for some words",
         "Adam cannot train parameters that start with variance 1",
         "smaller initial values give the model fewer parameters"],
        "a", "compare the size of the random start with how far one short pass over the windows can move a row.",
        "The small model sees 100,000 training windows once, which moves each embedding row only a little. "
        "Next to a N(0, 1) start those changes are small, so a row's direction would be mostly the random "
        "initialisation; from N(0, 0.1^2), what we later read off the embeddings is mostly learned. The scale "
        "of the start changes neither the number of parameters nor the fact that a softmax is never 0."),
    # Neural LM against Kneser–Ney
    "l2.q.mixture": _q(
        "Why mixing helps", "The 50/50 mixture of the feed-forward LM and Kneser-Ney beats both. What does that "
        "show?",
        ["the models are identical", "they make different mistakes: each is better on some tokens",
         "averaging always lowers perplexity below both models", "Kneser-Ney is better"], "b",
        "when does an average beat both of its parts?",
        "A mixture can only beat both models if on some tokens one is much better and on others the other is: "
        "the count model is sharp on frequent n-grams, the neural model generalises to unseen ones. A mixture "
        "is never worse than twice the better model's perplexity, but it does not always beat both."),
    "l2.q.long_context": _q(
        "Four words of context",
        "In the benchmark, Kneser-Ney with a 4-word context (n = 5) has validation perplexity 109.44, worse "
        "than with 2 words (103.12), while the network with the same 4 words reaches 89.9. Why can the network "
        "use the longer context when the counts cannot?",
        ["it never needs to have seen the exact 5-gram: its prediction is a smooth function of the four words' "
         "embeddings, so a new combination of familiar words still gets a sensible prediction",
         "it was trained on more text than the Kneser-Ney model",
         "it backs off to a trigram whenever the 5-gram was not seen",
         "its vocabulary is larger, so fewer validation words are <unk>"],
        "a", "what must Kneser-Ney have seen to use a 4-word context, and what must the network have seen?",
        "A count model can use the 4-word context only for 5-grams it counted, and most validation 5-grams "
        "never occurred in training (Lecture 1's sparsity table), so its back-off does most of the work and the "
        "extra discounting costs more than it gains. The network computes its prediction from the embeddings "
        "of the four words, so it gains from the longer context without having seen it. Both models were "
        "trained on the same lines and predict the same tokens with the same vocabulary."),
    # What the embeddings learned
    "l2.q.generalise": _q(
        "Why embeddings generalise",
        "The feed-forward LM has seen 'the cat sat' but never 'the dog sat'. Why can it still give 'sat' a good "
        "probability after 'the dog'?",
        ["it backs off to the bigram 'dog sat'", "'dog' and 'cat' get similar embeddings, so the hidden layer "
         "sees similar inputs", "the softmax smooths all probabilities", "it memorises every 4-gram"],
        "b", "what do words used in the same contexts end up with?",
        "Words that occur in similar contexts are pushed towards similar embeddings by training; the network is a "
        "smooth function of them, so a new combination of familiar-looking inputs gets a similar output. An n-gram "
        "model treats 'dog' and 'cat' as unrelated symbols."),
    "l2.q.embed_neighbours": _q(
        "Nearest neighbours", "After training, 'he' and 'she' have nearly the same embedding. Why?",
        ["they are spelled alike", "they occur in the same contexts, so the same predictions are useful for both",
         "the embeddings were initialised from a dictionary", "they are frequent"], "b",
        "what is the only signal the embeddings get?",
        "The embedding of a word is changed only by the gradients of predictions made with it in the context; "
        "words that fill the same slots ('he said', 'she said') receive similar updates and end up close."),
    # What the feed-forward model does not fix
    "l2.q.context": _q(
        "What the feed-forward LM does not fix", "What does Bengio et al.'s feed-forward LM share with an n-gram "
        "model?",
        ["counting", "a fixed window of n - 1 previous words", "smoothing", "no parameters"], "b",
        "what does its input layer read?",
        "It generalises across similar words thanks to embeddings, but it still reads only the last n - 1 "
        "words; a longer window means a larger input layer. A recurrent LM removes the window."),
    "l2.q.shared_parts": _q(
        "What is shared across the window",
        "Which parameters of the feed-forward LM are the same for every position of its window?",
        ["the embedding matrix C (a word has one row wherever it stands), but each position has its own block "
         "of the hidden weights H",
         "none: every position has its own embedding matrix and its own block of H",
         "all of them: the same weights read every position",
         "the hidden weights H, while each position has its own embedding matrix"],
        "a", "follow one word in the first slot and in the last: which matrix gives its vector, and which "
        "weights read that vector?",
        "x = [C(w_{t-n+1}); ...; C(w_{t-1})] takes every slot's vector from the one matrix C, so a word's "
        "embedding is the same in every slot. H multiplies the whole concatenation, so its weights split into "
        "n - 1 separate blocks of m x h, one per slot: what the block of the last slot learned about a word is "
        "not available to the block of another slot. A recurrent network reads every position with the same "
        "weights."),
    # A preview: the recurrent row of the table
    "l2.q.recurrent": _q(
        "The recurrent row", "Why can the LSTM LM use more context than the n-gram and feed-forward models?",
        ["it has a bigger vocabulary", "its state carries information from every earlier word, with no window "
         "to widen", "it sees the next word", "it is trained longer"], "b",
        "what does the LSTM's input layer read at each step?",
        "An n-gram or feed-forward model reads a fixed number of previous words; a recurrent model reads one "
        "word per step and updates a state that can keep what it needs from far back (Lecture 3)."),
    "l2.q.steps_not_params": _q(
        "Longer context, same parameters",
        "A recurrent LM reads a history of 100 words instead of 10. What changes?",
        ["it takes 100 steps instead of 10 with the same weights; its number of parameters does not change",
         "it needs ten times the input weights, like a feed-forward window ten times wider",
         "nothing: h_t depends only on the last word w_t",
         "its state vector grows to hold 100 words"],
        "a", "in h_t = f(h_{t-1}, C(w_t)), which part grows with the length of the history?",
        "The same f, with the same weights, is applied once per word, and h_t keeps a fixed size, so a longer "
        "history costs more steps of computation, not more parameters. h_t depends on every word read so far "
        "through h_{t-1}. The feed-forward LM instead adds a block of H for each extra word of its window. How "
        "much of the 100 words the fixed-size state really keeps is learned (and hard to learn for a plain "
        "RNN, Lecture 4)."),
    "l2.q.across_lines": _q(
        "Context across lines",
        "The feed-forward LM predicts the first word of a validation line from the window '<s> <s> <s> <s>'. "
        "What does the benchmark's LSTM condition on for the same prediction?",
        ["everything it read of the validation text before that word, earlier lines included: it reads the "
         "text as one stream and carries its state across lines",
         "nothing: its state starts from zero at every line",
         "the same four <s> tokens as the feed-forward window",
         "the whole line it is about to predict"],
        "a", "how does bench_word_lstm.py read the text, and what happens to the state at the end of a line?",
        "The LSTM benchmark reads each text as one stream and carries the state across lines, so at the start "
        "of a line its state still holds what came before, such as the end of the previous line or a "
        "speaker's name. The n-gram and feed-forward models pad every line with <s> and see nothing of the "
        "line before. It still predicts exactly the same tokens with the same vocabulary, so the table "
        "compares like with like while the LSTM uses more context."),
    # Exercises (they check themselves)
    "l2.params": _ex(
        "parameters of a small Bengio LM", "|V| m + (n-1) m h + h + h |V| + |V|.",
        "Embeddings 1000 x 10 = 10,000; hidden layer (3 x 10) x 20 + 20 = 620; output 20 x 1000 + 1000 = 21,000; "
        "in all 31,620. The output layer and the embeddings dominate: both grow with |V|.", _bengio_params),
    "l2.uniform_ppl": _ex(
        "perplexity of the uniform model", "the perplexity of a uniform choice among K options is K.",
        "Every token has probability 1/|V|, so the mean log probability is -log |V| and PP = exp(log |V|) = |V|: "
        "the vocabulary size. A trained model must beat that number to have learned anything.",
        lambda V: float(V), needs=("V",)),
    "l2.cosine": _ex(
        "cosine similarity of two embeddings", "dot product divided by the product of the norms.",
        "cos(a, b) = a . b / (||a|| ||b||): a_vec @ b_vec / (np.linalg.norm(a_vec) * np.linalg.norm(b_vec)).",
        lambda a_vec, b_vec: float(a_vec @ b_vec / (np.linalg.norm(a_vec) * np.linalg.norm(b_vec))),
        needs=("a_vec", "b_vec")),
    # ==================== Lecture 3 — Recurrent networks ==============================================================
    # The RNN abstraction: a state, a transition $R$ and a read-out $O$
    "l3.q.abstraction": _q(
        "The RNN abstraction", "In the abstraction s_i = R(s_{i-1}, x_i), y_i = O(s_i), what does the state s_i "
        "summarise?",
        ["only x_i", "the whole prefix x_1 .. x_i", "the whole sentence", "the next input"], "b",
        "unfold the recursion.",
        "s_i = R(R(... R(s_0, x_1) ...), x_i): it is a function of every input so far, compressed into a fixed-size "
        "vector; y_i therefore conditions on the entire prefix, not a window."),
    "l3.q.initial_state": _q(
        "The initial state", "In RNN*(x_{1:n}; s_0), suppose you replace the usual s_0 = 0 by another vector. "
        "Which outputs can change?",
        ["only y_1, because s_0 enters only the first application of R",
         "every y_1 .. y_n, because every s_i is computed from s_0 through the nested applications of R",
         "none, because the first input x_1 overwrites the state",
         "only y_n, the final output"], "b",
        "write s_3 out as nested applications of R and look for s_0.",
        "s_i = R(R(... R(s_0, x_1) ...), x_i) contains s_0 for every i, so a different s_0 can change every state "
        "and so every output y_i = O(s_i). s_0 is read directly only by the first step, but every later state is "
        "built from that first state. Truncated BPTT relies on this: each segment starts from the final state "
        "carried over from the previous one, and that state shapes the whole segment."),
    # The Elman network (simple RNN)
    "l3.q.elman": _q(
        "The Elman network", "Which parameters does an Elman RNN's transition R have?",
        ["one matrix per time step", "W^x (input to state), W^s (state to state) and a bias b, shared by all "
         "steps", "only W^s", "a separate network for each input length"], "b",
        "look at eq. (4).",
        "s_i = g(s_{i-1} W^s + x_i W^x + b): three parameter arrays, the same at every step, whatever the "
        "sequence length."),
    "l3.q.conventions": _q(
        "Row or column vectors", "The column-vector LM of the lecture writes the Elman step as h^(t) = "
        "sigma(W_h h^(t-1) + W_e e^(t) + b_1); the NumPy code computes a = x @ Wx + h_prev @ Wh + b with row "
        "vectors. To use that W_h in the NumPy code, what must Wh be?",
        ["W_h itself: the same matrix works in both layouts", "the transpose of W_h", "the inverse of W_h",
         "W_h with its rows in reverse order"], "b",
        "transpose W_h h: what then multiplies the row vector h^T?",
        "(W_h h)^T = h^T W_h^T: with a row vector on the left, the matrix on the right is W_h^T, so Wh = W_h^T "
        "(the lecture's table: W^s = W_h^T, and likewise Wx = W_e^T). Using W_h itself would still run, since the "
        "matrix is square, but it would compute a different network, with the state-to-state weights transposed."),
    # Unrolling: a deep network with shared weights
    "l3.q.shared": _q(
        "Unrolling", "An RNN unrolled over T = 100 steps is a 100-layer network. How many copies of W_h does it "
        "have to learn?", ["100", "99", "1, shared by every step", "it depends on the batch size"], "c",
        "look at which weights the step function uses at every t.",
        "Every step uses the same W_x, W_h and b; unrolling copies the computation, not the parameters. BPTT then "
        "sums the gradient contributions of all steps into that one W_h."),
    "l3.q.depth": _q(
        "How deep is an unrolled RNN?", "An Elman RNN reads a sequence of 200 characters. Through how many "
        "nonlinearities does the loss at step 200 reach the input at step 1?",
        ["1", "2", "about 200: one tanh per step", "it depends on the batch size"], "c",
        "count the steps between x_1 and y_200.",
        "The path goes through h_1, h_2, ... h_200, one tanh and one multiplication by W_h per step: a 200-layer "
        "network for that path, which is why the gradient can vanish or explode (Lecture 4)."),
    # Backpropagation through time
    "l3.q.bptt_sum": _q(
        "BPTT and shared weights", "In backpropagation through time, what is dL/dW_h?",
        ["the gradient at the last step only", "the sum over time steps of each step's contribution",
         "the average of the first and last steps", "zero, because W_h is shared"], "b",
        "W_h is used at every step of the unrolled graph.",
        "A parameter used in many places of a computation graph receives the sum of the gradients from all its "
        "uses; unrolled, W_h is used once per step, so dL/dW_h = sum_t h_{t-1}^T delta_t (row vectors, as in the "
        "lecture), accumulated by the backward loop."),
    "l3.q.local_grad": _q(
        "What needs the future", "Suppose a BPTT loop drops the gradient from the future (step 2) and uses only "
        "the local gradient delta_out_t V^T at each step. Which parameter gradient is still correct?",
        ["dL/dV, the output layer's weights", "dL/dW^s", "dL/dW^x", "dL/dE, the embedding matrix"], "a",
        "which gradients are already complete after step 1, before any dL/dh_t is needed?",
        "dL/dV = sum_t h_t^T delta_out_t uses only each step's state and its own output error (step 1); no path "
        "through later states enters it. W^s, W^x, b and the embeddings get their gradients from delta_t = "
        "dL/da_t, which needs the full dL/dh_t (local part plus the part from the future), so all of them are "
        "wrong without step 2, W^x included. The lecture's check shows the error on dL/dW^s."),
    # Truncated BPTT
    "l3.q.tbptt": _q(
        "Truncated BPTT", "Training with truncated BPTT over windows of 35 steps, the state is carried from one "
        "window to the next. What is *not* carried?",
        ["the hidden state", "the gradient: it stops at the window's start", "the weights",
         "the position in the text"], "b", "which quantity is detached at the window boundary?",
        "The state at the end of one window is the start of the next (detached), so the forward pass sees "
        "unlimited history; but no gradient flows back past the window's first step, so dependencies longer "
        "than 35 steps are never trained directly."),
    "l3.q.truncate": _q(
        "Why truncate", "Why train an RNN on a long text with truncated BPTT instead of backpropagating through the "
        "whole text?",
        ["full BPTT gives wrong gradients", "full BPTT needs the activations of every step in memory and one "
         "update per pass; windows give many cheap updates", "truncation improves the model's memory",
         "RNNs cannot read long texts"], "b", "what must be stored to backpropagate through T steps?",
        "Backpropagation needs every step's activations: memory grows with T and a 1 M-character text would give "
        "one update per pass. Windows of a few dozen steps give frequent updates with bounded memory, at the "
        "price of not training dependencies longer than the window."),
    # A character-level RNN language model
    "l3.q.charlm": _q(
        "Bits per character", "The character RNN's validation loss is below the character-frequency baseline. "
        "What does the difference measure?",
        ["the vocabulary size", "how much the context (the earlier characters) helps predict the next one",
         "the training time", "the temperature"], "b", "what does the unigram baseline ignore?",
        "The unigram baseline predicts every character from its frequency alone; any drop below it in bits per "
        "character is information the model takes from the preceding characters."),
    "l3.q.streams": _q(
        "Parallel streams", "Why does tbptt_batches arrange the text so that row n of batch k+1 continues row n of "
        "batch k?",
        ["TBPTTLoss starts row n of each batch from the final state of row n of the previous batch, and that "
         "state is the right context only if the row continues the same stretch of text",
         "so that gradients can flow from batch k+1 back into batch k",
         "so that every batch contains every character of the vocabulary",
         "so that the batches can be shuffled between epochs without losing anything"], "a",
        "what does TBPTTLoss carry from one batch to the next, and for which row?",
        "TBPTTLoss carries the detached final state of each row into the next batch as that row's initial state. "
        "The state summarises the text just read, so it is a correct start only if the next window of the same "
        "row is the text that follows. No gradient crosses the boundary (the state is detached), and shuffling "
        "the batches would break exactly this continuity."),
    # Sampling, and the temperature of a softmax
    "l3.q.temperature": _q(
        "Temperature", "Sampling with temperature tau divides the logits by tau before the softmax. What does "
        "tau < 1 do?",
        ["spreads probability over more characters", "sharpens the distribution towards the most likely "
         "characters: safer, more repetitive text", "changes the model's weights", "nothing"], "b",
        "what happens to differences between logits when they are divided by 0.5?",
        "Dividing by tau < 1 enlarges the gaps between logits, so the softmax puts more mass on the top "
        "choices (entropy falls); tau > 1 flattens it, giving more varied but less correct text."),
    "l3.q.greedy": _q(
        "Greedy generation", "What usually happens if a character LM generates by always taking the most likely "
        "next character (temperature near 0)?",
        ["perfect Shakespeare", "it falls into a loop, repeating a frequent phrase", "random characters",
         "it stops immediately"], "b", "the same state and the same choice lead to the same next state.",
        "Argmax decoding is deterministic: once the model produces a frequent phrase it tends to return to the "
        "same states and repeat it. Sampling with a moderate temperature keeps variety."),
    # Two ways to use an RNN: acceptor and transducer
    "l3.q.acceptor": _q(
        "Acceptor or transducer", "Which task is an acceptor, with one loss per sequence?",
        ["part-of-speech tagging", "language modelling", "classifying a review as positive or negative",
         "named-entity recognition"], "c", "how many outputs does the task need per sequence?",
        "Sentiment needs one answer after the whole text: the final state feeds one classifier and one loss. "
        "Tagging and language modelling are transducers, with an output and a loss at every position."),
    "l3.q.acceptor_reach": _q(
        "One loss, every input", "In the acceptor, the loss is computed only from the final output y_T. What "
        "gradient does it send to the first input x_1?",
        ["none: only x_T feeds y_T directly",
         "a nonzero one, weaker than what x_T receives: it passes back through every state in between",
         "exactly as much as x_T receives, because the weights are shared",
         "none, unless a loss is added at every position as in a transducer"], "b",
        "does y_T depend on x_1? If so, through what?",
        "y_T = s_T depends on x_1 through s_1, s_2, ..., s_T, so the gradient reaches x_1: the lecture's check "
        "finds |dL/dx_t| > 0 for every t. On the way it is multiplied by (W^s)^T and tanh' at every step, and here "
        "it arrives at x_1 much weaker than at x_T (also checked); sharing the weights does not make the "
        "contributions equal. This is a first sight of the vanishing gradient."),
    # One or many: four patterns, and the encoder–decoder
    "l3.q.teacher": _q(
        "Teacher forcing", "While training an RNN language model, what does the network read at step t?",
        ["its own sample from step t-1", "the true token x_{t-1} of the training text",
         "nothing: it only reads x_1", "the most likely token of step t-1"], "b",
        "what is fed back during training, and what at generation time?",
        "During training the input at each step is the gold previous token (teacher forcing), so all steps of a "
        "sequence are trained in parallel and errors do not compound. At generation the model reads its own "
        "samples instead, a mismatch known as exposure bias."),
    "l3.q.bottleneck": _q(
        "The encoder's bottleneck", "In the basic encoder-decoder, what does the decoder know about the source?",
        ["every encoder state", "only the encoder's final state h_n", "the source words themselves",
         "nothing"], "b", "what initialises the decoder?",
        "Everything passes through h_n, one fixed-size vector whatever the source length; long sources suffer. "
        "Attention (Bahdanau et al. 2015) lets the decoder look at every encoder state instead."),
    # Bidirectional RNNs
    "l3.q.birnn_lm": _q(
        "Why not a biRNN language model", "Why can a bidirectional RNN not be trained as a left-to-right language "
        "model on its own?",
        ["it is too slow", "its backward half has already read the word it is asked to predict",
         "it has no softmax", "it cannot be unrolled"], "b", "what has the backward RNN seen at position t?",
        "At position t the backward RNN has read x_T .. x_t, so predicting x_{t+1} would be copying. ELMo "
        "instead trains a forward LM and a separate backward LM, each predicting only what it has not read."),
    "l3.q.birnn_when": _q(
        "When a biRNN cannot be used", "For which of these tasks is a bidirectional RNN not an option?",
        ["part-of-speech tagging a corpus of finished sentences",
         "named-entity tagging of a sentence that is given in full",
         "suggesting the next word while the user is still typing the sentence",
         "classifying the sentiment of a finished review"], "c",
        "what must the backward RNN have read before it can produce y_i?",
        "The backward RNN starts at x_n, so no y_i exists until the whole sequence is known; while the user is "
        "typing, the words to the right do not exist yet (and next-word prediction is a language model, which a "
        "biRNN cannot be). Tagging or classifying a complete sentence is where biRNNs are useful: each y_i sees the "
        "words on both sides of position i."),
    # Stacked (deep) RNNs
    "l3.q.stacked": _q(
        "Stacked RNNs", "In a stacked RNN, what does layer 2 read at step t?",
        ["the input x_t", "the output of layer 1 at step t", "the output of layer 2 at step t - 1 only",
         "the final state of layer 1"], "b", "follow the arrows of the figure.",
        "Layer 2's input at step t is layer 1's output h^(1)_t; its recurrence runs over its own states "
        "h^(2)_{t-1}. Each layer has its own weights, shared over time."),
    "l3.q.birnn_final": _q(
        "Reading a biRNN's final state", "A biRNN acceptor (nn.RNN with bidirectional=True, batch_first=True) "
        "uses out[:, -1], the top layer's output at the last position, as its sentence vector. What is wrong?",
        ["nothing: out[:, -1] holds both directions' final states",
         "its backward half has read only the last token x_T; the backward direction's summary of the whole "
         "sentence is its output at t = 1",
         "its forward half has read only the last token x_T",
         "out[:, -1] has size H, so the backward direction is missing"], "b",
        "where does the backward RNN start reading, and where does it finish?",
        "The backward RNN reads x_T first and x_1 last, so at position T it has seen one token, and its state "
        "after the whole sentence sits at t = 1 (out[:, 0, H:], which is what h_n holds, as the lecture's check "
        "confirms). The forward half of out[:, -1] is fine: it has read x_1 .. x_T. So combine the forward output "
        "at T with the backward output at 1, or read h_n."),
    # A bidirectional language model from two language models (ELMo)
    "l3.q.elmo": _q(
        "ELMo's features", "What are ELMo-style features of a token?",
        ["its one-hot vector", "the states of a forward and a backward LM at that token, concatenated",
         "the output of a biRNN trained on tags", "its character n-grams"], "b",
        "which two models are read at position t?",
        "[h^f_t ; h^b_t]: the forward LM's state after reading up to the token and the backward LM's after "
        "reading from the end down to it, both pretrained on unlabelled text and then used as inputs to other "
        "tasks (Peters et al. 2018)."),
    "l3.q.backward_lm": _q(
        "The backward LM", "The backward LM is trained with the same recipe as the forward one, on "
        "ids_train.flip(0). In terms of the original text, what does it learn to predict at each step?",
        ["the next character, from the characters before it, as the forward LM does",
         "the previous character, from the characters to its right",
         "a hidden character, from the characters on both sides",
         "each word's letters in reverse order, from the word's first letter"], "b",
        "reverse the text, then apply 'predict the next token' to the reversed text.",
        "In the reversed text the next token is the original's previous token, and the context read so far is "
        "everything to its right. So each of the two is an ordinary LM that never sees what it predicts; only "
        "afterwards are their predictions multiplied (the fill-in test) or their states concatenated (the "
        "ELMo-style features) to use both sides. Neither is trained to predict from both sides at once."),
    # Exercises (they check themselves)
    "l3.rnn_params": _ex(
        "parameters of nn.RNN(10, 20)", "W_ih is (20, 10), W_hh is (20, 20), and two biases of 20.",
        "200 + 400 + 20 + 20 = 640. PyTorch keeps bias_ih and bias_hh; the equations need only their sum.",
        lambda: _torch_params("RNN", 10, 20)),
    "l3.birnn_shape": _ex(
        "biRNN output shape", "(N, T, number of directions x H); the number of layers does not appear.",
        "The top layer's outputs, both directions concatenated: (4, 9, 2 x 16) = (4, 9, 32). The final states "
        "h_n would be (3 x 2, 4, 16).", _birnn_shape),
    "l3.tanh_delta": _ex(
        "delta through tanh", "multiply elementwise by 1 - h^2.",
        "tanh'(a) = 1 - tanh(a)^2 = 1 - h^2, so delta = (1, 2) * (1 - 0.25, 1 - 0.64) = (0.75, 0.72).",
        _tanh_delta),
    "l3.softmax_T": _ex(
        "softmax at temperature 0.5", "divide the logits by tau, then take the softmax.",
        "z / 0.5 = (2, 4, 6); softmax gives e^6 / (e^2 + e^4 + e^6) = 1 / (e^-4 + e^-2 + 1) = 0.8668. At tau = 1 "
        "it would be 0.665: a low temperature sharpens the distribution.", _softmax_T),
    # ==================== Lecture 4 — Vanishing and exploding gradients ===============================================
    # A product of Jacobians
    "l4.q.jacobian": _q(
        "A product of Jacobians", "For a linear RNN h_t = W h_{t-1} + U x_t, what is dh_T / dh_1?",
        ["W", "W^(T-1): T - 1 copies of the same matrix multiplied", "U^(T-1)", "the identity"], "b",
        "apply the chain rule through every step.",
        "dh_T/dh_1 = prod_t dh_t/dh_{t-1} = W^(T-1). Its size is governed by powers of W: eigenvalues below 1 "
        "shrink it exponentially with T - 1, above 1 make it grow; a nonlinearity adds a diag(g') factor per step."),
    "l4.q.counterexample": _q(
        "Radius 0, yet growing", "In the lecture's counterexample W^h = [[1.5, -1.5], [1.5, -1.5]] has spectral "
        "radius 0, and every step multiplies the gradient by D (W^h)^T with D = diag(1, 0) (unit 0 linear, unit 1 "
        "saturated). What is the spectral radius of D (W^h)^T?",
        ["0, the same as that of W^h", "1.5", "3, the largest singular value of W^h",
         "1, because the entries of D are at most 1"], "b",
        "multiply it out; the eigenvalues of a triangular matrix are its diagonal entries.",
        "(W^h)^T = [[1.5, 1.5], [-1.5, -1.5]]; D zeros its second row, giving [[1.5, 1.5], [0, 0]], with "
        "eigenvalues 1.5 and 0. So the per-step factor has spectral radius 1.5 and its powers grow like 1.5^n, "
        "as the printed norms show, although W^h alone has radius 0: the derivative factors change which matrix "
        "is raised to a power. Only sigma_max(W^h) = 3 > 1/gamma = 1 enters the bound, and it allows the growth."),
    # Powers of a matrix
    "l4.q.powers": _q(
        "Powers of a matrix", "For a diagonalisable W_h with spectral radius 0.9, what happens to W_h^k as k grows?",
        ["it grows without bound", "it shrinks towards zero, like 0.9^k", "it stays the same size",
         "it oscillates with constant size"], "b", "look at the eigenvalues of W_h^k.",
        "W_h^k = Q diag(lambda_i^k) Q^-1 and every |lambda_i| <= 0.9, so the norm decays like 0.9^k: after 50 "
        "steps about 0.005. Gradients through a linear RNN with such a W_h vanish."),
    "l4.q.norm_vs_radius": _q(
        "Above the dotted line", "In the right-hand plot every Gaussian curve ||M^k||_2 lies above its dotted "
        "line rho^k, for every k. Why can it never lie below?",
        ["M^k has an eigenvalue of modulus rho^k, and the spectral norm is at least the modulus of every "
         "eigenvalue",
         "the Gaussian matrix was rescaled so that its largest singular value equals rho",
         "it happens for this random seed; another seed could give curves below the line",
         "the Gaussian entries are positive on average, which adds to every power"], "a",
        "take v an eigenvector of M for an eigenvalue of largest modulus and compute ||M^k v||.",
        "If M v = lambda v with |lambda| = rho, then M^k v = lambda^k v, so ||M^k||_2 >= ||M^k v|| / ||v|| = "
        "rho^k: no matrix's spectral norm is below its spectral radius. The rescaling fixed the spectral radius, "
        "not the largest singular value, which for this non-normal matrix is larger (the curve starts above "
        "rho at k = 1); after a few dozen powers the norm grows at the rate rho set by the radius. For the "
        "orthogonal matrix norm and radius coincide, so its curves lie on the line."),
    # Saturation makes it worse
    "l4.q.necessary": _q(
        "What the bound says",
        "Pascanu et al.'s bound ||dh_t/dh_k|| <= (gamma sigma_max(W_h))^(t-k). Which statement follows from it?",
        ["if the spectral radius of W_h exceeds 1/gamma, gradients explode",
         "sigma_max(W_h) > 1/gamma is necessary for gradients to explode",
         "gradients never explode with tanh", "clipping makes gradients vanish"], "b",
        "a bound below 1 forbids growth; a bound above 1 promises nothing.",
        "If sigma_max(W_h) < 1/gamma every factor is below 1 and the gradient must vanish; so exploding requires "
        "sigma_max > 1/gamma (necessary), but does not guarantee it (not sufficient). The spectral radius can be "
        "far below sigma_max: W_h = [[1.5, -1.5], [1.5, -1.5]] has radius 0 and can still explode."),
    "l4.q.saturation": _q(
        "Saturation", "Why do saturated tanh units make vanishing worse?",
        ["they make W_h larger", "tanh'(a) is close to 0 for large |a|, and it multiplies the gradient at "
         "every step", "they explode the gradient", "they change the loss"], "b",
        "what is tanh' at a = 3?",
        "dh_t/dh_{t-1} = diag(tanh'(a_t)) W_h; tanh'(3) = 0.01, so a saturated unit passes almost no gradient, "
        "whatever W_h. Large inputs make more units saturate."),
    # Explore it yourself
    "l4.q.explore_linear": _q(
        "Predict the linear cell", "In the explorer, tick 'Elman linear', keep the orthogonal initialisation and "
        "T = 100, and set rho = 1.1. Before looking, predict the ||dL/dh_1|| that the status line will report for "
        "the linear cell (u in L = u . h_T is a unit vector).",
        ["about 1.25e+04, which is 1.1^99", "about 1.38e+04, which is 1.1^100", "about 1.1, one factor of rho",
         "1, because an orthogonal matrix preserves the length of a vector"], "a",
        "count the Jacobians between h_1 and h_100, and ask what each does to the length of the gradient.",
        "With g linear and W^h = 1.1 Q, each step multiplies the row vector dL/dh_k by 1.1 Q^T, which scales its "
        "length by exactly 1.1; from h_100 back to h_1 there are 99 steps, starting from ||dL/dh_100|| = ||u|| = 1. "
        "So ||dL/dh_1|| = 1.1^99, about 1.25e4, and the linear curve lies on the dashed rho^(T-t) line. 1.1^100 "
        "counts one step too many; Q alone would keep the length, but the factor 1.1 scales it at every step."),
    "l4.q.explore_bound": _q(
        "Above the dashed line?", "Keep the orthogonal initialisation and try any rho, T, hidden size or seed: can "
        "the Elman tanh curve ever rise above the dashed line rho^(T-t)?",
        ["no: with an orthogonal matrix sigma_max(W^h) = rho, and |tanh'| <= 1, so each step multiplies the "
         "gradient's norm by at most rho",
         "yes, once rho > 1: the tanh gradient then explodes faster than the linear one",
         "yes, at a large rho such as 3, where the tanh gradient reaching h_1 becomes huge",
         "yes, with a small hidden size H, where a few unsaturated units dominate"], "a",
        "bound the norm of one step's factor diag(tanh'(a_k)) (W^h)^T by the norms of its two parts.",
        "||diag(tanh'(a_k)) (W^h)^T||_2 <= gamma sigma_max(W^h), with gamma = 1 for tanh and sigma_max = rho for "
        "W^h = rho Q, Q orthogonal; so ||dL/dh_t|| <= rho^(T-t) ||u||, the dashed line, for every setting. At "
        "rho = 3 the tanh gradient at h_1 does become large, but it stays far below 3^99. With the Gaussian "
        "initialisation sigma_max(W^h) can exceed rho, and this argument no longer applies."),
    # Exploding gradients: clip the norm
    "l4.q.clip": _q(
        "Clipping", "What does gradient-norm clipping change?",
        ["the direction of the gradient", "only the length of the gradient, when it is above the threshold",
         "the learning rate schedule", "the vanishing of the gradient"], "b",
        "the update is g * threshold / ||g||.",
        "Clipping rescales the whole gradient to the threshold's length when it is longer, keeping its "
        "direction; it tames explosions but cannot bring back a gradient that has vanished."),
    "l4.q.threshold": _q(
        "The clipping threshold", "Training with norm clipping at threshold 5, a step's gradient has norm 2. What "
        "does clipping do to it?",
        ["scales it to norm 5", "nothing: only gradients longer than the threshold are rescaled",
         "sets it to zero", "halves it"], "b", "read Algorithm 1's condition.",
        "Clipping acts only when ||g|| >= threshold; below it the gradient is used as it is. So clipping changes "
        "only the rare huge steps, the ones that would throw the parameters far."),
    # What vanishing gradients cost: subject-verb agreement
    "l4.q.agreement": _q(
        "Agreement attractors", "In 'The keys to the cabinet are on the table', what makes choosing 'are' hard for "
        "a model with a short memory?",
        ["'keys' is a rare word", "the singular noun 'cabinet' (an attractor) sits between the subject and the "
         "verb", "'are' is irregular", "the sentence is too long to tokenise"], "b",
        "which noun is nearest to the verb?",
        "The verb agrees with the subject 'keys', several words back; the nearest noun 'cabinet' is singular. A "
        "model that relies on recent words picks 'is'. Linzen et al. (2016) count such attractors to measure "
        "how far back a network's syntax reaches."),
    "l4.q.no_attractors": _q(
        "Why train without attractors", "The agreement models are trained only on sentences without attractors and "
        "tested on sentences with 0-3 attractors. Why this design?",
        ["on the training sentences the subject's head and the last noun always have the same number, so the test "
         "with attractors reveals which of the two rules the network picked up",
         "sentences with attractors are ungrammatical, so they cannot be used for training",
         "to make the task easy enough that both networks reach 100% on every test group",
         "so that the networks cannot learn the subject's number and must fall back on the last noun"], "a",
        "on a sentence without attractors, what do syntactic recency and sequential recency predict?",
        "Without attractors every noun before the verb has the subject's number, so the two rules give the same, "
        "correct answer and the training data cannot tell them apart. In the test, attractors make the rules "
        "disagree: the last-noun rule scores 0 at three attractors, and both networks score far above it, so "
        "they mostly learned the subject's number. The design also mirrors natural text, where most subjects have "
        "no attractor."),
    # Exercises (they check themselves)
    "l4.jacobian": _ex(
        "||dh_T/dh_t|| after 20 steps at rho = 0.8",
        "for rho times an orthogonal matrix, every step multiplies the norm by exactly rho.",
        "A linear RNN's Jacobian over 20 steps is (W_h^T)^20 = 0.8^20 Q'^20 with Q' orthogonal: its 2-norm is "
        "0.8^20 = 0.0115.", _jacobian_20),
    "l4.clip": _ex(
        "clipped gradient", "||g|| = 5; multiply g by threshold / ||g||.",
        "||(3, 4)|| = 5 > 1, so g becomes g * 1/5 = (0.6, 0.8): same direction, norm 1.", _clipped),
    "l4.sigmoid_bound": _ex(
        "sigma_max bound for the sigmoid",
        "sigma'(a) = sigma(a)(1 - sigma(a)) is largest at a = 0; the bound is 1 / gamma.",
        "gamma = max sigma' = 0.25 (at a = 0), so ||dh_t/dh_{t-1}|| <= sigma_max(W_h) * 0.25 < 1 whenever "
        "sigma_max(W_h) < 1 / 0.25 = 4: below 4, gradients are sure to vanish.", lambda: 4.0),
    "l4.recency": _ex(
        "share of 1-attractor items whose last noun is the attractor",
        "the last-noun rule is wrong exactly on those items.",
        "The sequential-recency rule agrees the verb with the last noun; with one attractor it fails exactly when "
        "that attractor is the last noun, so the share is 1 - recency_acc[1].",
        lambda recency_acc: 1 - recency_acc[1], needs=("recency_acc",)),
    # ==================== Lecture 5 — Gating: LSTM and GRU ============================================================
    # The gate
    "l5.q.gate": _q(
        "Soft gates", "Why are the LSTM's gates sigmoids rather than hard 0/1 switches?",
        ["sigmoids are faster", "a sigmoid is differentiable, so how much to keep or write is learned by "
         "gradient descent", "hard gates would need more memory", "to keep values positive"], "b",
        "what does training need from every operation?",
        "A hard switch has zero gradient almost everywhere, so nothing could learn when to open it. The sigmoid "
        "gives a smooth value in (0, 1) that can be pushed towards 0 or 1 by training."),
    "l5.q.soft_write": _q(
        "A soft write", "In the lecture's soft write s' = sigma(g') * x + (1 - sigma(g')) * s, the third entry has "
        "g' = 0, x = 12 and s = 3. What is s' there?",
        ["7.5", "12", "3", "15"], "a",
        "what is sigma(0)?",
        "sigma(0) = 0.5, so s' = 0.5 * 12 + 0.5 * 3 = 7.5: a half-open gate writes an even mix of the new input "
        "and the old memory. 12 would need g' far above 0 (sigma(6) = 0.998 is nearly a full write) and 3 far "
        "below it; 15 adds both in full, which no gate value in (0, 1) can do."),
    # The LSTM
    "l5.q.lstm_params": _q(
        "The LSTM's size", "Compared with an Elman RNN of the same hidden size, how many weights does an LSTM have?",
        ["the same", "about twice as many", "about four times as many: one set per gate and one for the block "
         "input", "eight times as many"], "c", "count the blocks of nn.LSTM's weight_ih.",
        "i, f, o and the block input g each need input and recurrent weights and biases of the Elman RNN's size, "
        "so four times the parameters (2,560 vs 640 for 10 inputs and 20 units)."),
    "l5.q.peephole": _q(
        "Peepholes", "In Greff et al.'s LSTM with peepholes, which cell state does each gate look at?",
        ["the input and forget gates see the old cell c^{t-1}, the output gate sees the new cell c^t",
         "all three gates see the old cell c^{t-1}", "all three gates see the new cell c^t",
         "only the forget gate has a peephole, on c^{t-1}"], "a",
        "which gates act before the new cell is computed, and which after?",
        "The input and forget gates decide how c^t is built from c^{t-1}, so they can only look at c^{t-1} "
        "(the terms p_i * c^{t-1} and p_f * c^{t-1}). The output gate acts after the cell update, on what the "
        "cell shows, so its term is p_o * c^t. With p = 0 all three terms vanish and the model is the "
        "peephole-free LSTM of Goldberg and nn.LSTM, as the lecture's check confirms."),
    # The constant error carousel
    "l5.q.carousel": _q(
        "The constant error carousel", "Why does the LSTM's cell path not make gradients vanish the way an "
        "Elman RNN's state path does?",
        ["its weights are orthogonal", "along the cell the Jacobian is diag(f_t), with no weight matrix and no "
         "squashing nonlinearity", "it uses ReLU", "its gradients are clipped"], "b",
        "write dc_t / dc_{t-1} for c_t = f_t c_{t-1} + i_t g_t.",
        "dc_t/dc_{t-1} = diag(f_t) (holding the gates fixed): an elementwise factor the network controls. With "
        "forget gates near 1 the gradient passes nearly unchanged; the Elman path multiplies by W_h^T and tanh' "
        "at every step."),
    "l5.q.forget_bias": _q(
        "The forget-gate bias", "With a forget-gate bias b_f = 3 the gate starts near sigma(3) = 0.95. What does "
        "that do to the gradient along the cell over 20 steps, at the start of training?",
        ["multiplies it by about 0.95^20 = 0.36", "multiplies it by 3^20", "sets it to zero",
         "nothing: the bias does not enter the gradient"], "a", "the cell path multiplies by f at each step.",
        "Along the cell, dc_{t-1} = f_t dc_t, so 20 steps at f = 0.95 keep 0.95^20 = 0.36 of the gradient, "
        "against 0.5^20 = 1e-6 with a bias of 0."),
    # Backpropagation through the LSTM
    "l5.q.lstm_bptt": _q(
        "Backpropagation through the LSTM", "The LSTM's backward pass carries two quantities from step t+1 to "
        "step t. Which?",
        ["only dL/dh_t", "dL/dh_t and dL/dc_t", "the gates' values", "the inputs"], "b",
        "the LSTM has two states.",
        "Both h_t and c_t feed step t+1, so the backward pass receives a gradient for each: dc flows along the "
        "cell (multiplied by f), dh through the gates and the recurrent weights."),
    "l5.q.forget_grad_zero": _q(
        "A forget gate with nothing to forget", "An LSTM starts from c^0 = 0. By Greff et al.'s backward pass, "
        "what gradient does the forget gate's pre-activation get at the first step, t = 1?",
        ["exactly zero", "delta c^1 * sigma'(f-bar^1), the same form as the input gate's",
         "delta c^2 * f^2, the carousel term", "a large one, because the forget gate starts near 0.5"], "a",
        "find the factor in the formula for delta f-bar^t that comes from the previous cell.",
        "delta f-bar^t = delta c^t * c^{t-1} * sigma'(f-bar^t), and c^0 = 0 makes it vanish: the forget gate "
        "scales the old cell, and scaling zero changes nothing, so no change of that gate at step 1 can change "
        "the loss. The input gate's gradient has z^t where the forget gate's has c^{t-1}, so it is not zero."),
    # The gated recurrent unit
    "l5.q.gru_reset": _q(
        "GRU conventions",
        "Weights are copied from torch.nn.GRU into the lecture's GRU equations and the outputs differ. Why?",
        ["PyTorch's gates are in the order [i, f, g, o]", "PyTorch applies the reset gate after the recurrent "
         "product, the lecture before it", "PyTorch has no update gate", "PyTorch uses ReLU"], "b",
        "compare where r_t enters the candidate state.",
        "The lecture (Cho et al.) computes tanh(W x + U (r * h)); PyTorch computes tanh(W x + b + r * (U h + b_h)). "
        "The two are different functions of the same weights; the reference implementation offers both "
        "(variant='lecture' / 'pytorch'). Both pack the gates [r, z, n]."),
    "l5.q.gru_vs_lstm": _q(
        "GRU and LSTM", "What does the GRU drop compared with the LSTM?",
        ["gating altogether", "the separate memory cell and the output gate: one state, two gates",
         "the recurrent weights", "the nonlinearity"], "b", "count states and gates.",
        "The LSTM has a cell c and a hidden state h with three gates; the GRU has one state h, an update gate "
        "that interpolates old and candidate states, and a reset gate. Fewer parameters, similar results on "
        "many tasks (Chung et al. 2014)."),
    # Is the LSTM optimal? Jozefowicz, Zaremba & Sutskever (2015)
    "l5.q.jozefowicz": _q(
        "Is the LSTM optimal?", "Which simple change did Jozefowicz, Zaremba & Sutskever (2015) find to help the "
        "LSTM most reliably?",
        ["removing the output gate", "a forget-gate bias initialised to 1 or more", "ReLU instead of tanh",
         "two cell states"], "b", "what should the forget gate do at the start of training?",
        "With a bias near 0 the forget gate starts at about 0.5 and the cell forgets quickly, so gradients "
        "vanish early in training. A bias of 1 starts it near 0.73; with it the LSTM closed the gap to the GRU, "
        "which had beaten the plain LSTM on most of their tasks."),
    "l5.q.output_sigmoid": _q(
        "The output gate's nonlinearity", "Figure 1 of Jozefowicz et al. (2015) writes the output gate as "
        "o_t = tanh(W_xo x_t + W_ho h_{t-1} + b_o). Why is that a typo rather than a variant worth trying?",
        ["a gate must lie in (0, 1); a tanh 'gate' could be negative and flip the sign of what the cell shows",
         "tanh is not differentiable at 0", "tanh would make the output gate identical to the block input",
         "tanh saturates, so it would stop the gradient along the cell path"], "a",
        "compare the ranges of sigma and tanh.",
        "The output gate scales tanh(c_t) elementwise: it says how much of the cell to show, a factor in (0, 1), "
        "which is what the sigmoid gives and what the input and forget gates use too. tanh ranges over (-1, 1), "
        "so it could invert a unit's value instead of only hiding it. The output gate is not on the cell path "
        "c_{t-1} -> c_t at all, so its nonlinearity cannot block the carousel; the lecture checks that all of "
        "nn.LSTM's output gates lie in (0, 1)."),
    # A trained character LSTM
    "l5.q.sample": _q(
        "What a trained LSTM writes", "The character LSTM's samples have speaker names, line breaks and mostly "
        "real words, but no plot. What does that say?",
        ["it memorised the text", "it models local structure well (spelling, format) but keeps little "
         "long-range meaning", "it was trained on words", "the temperature is too high"], "b",
        "which patterns are short, which long?",
        "Spelling and the speaker/line format depend on the last few dozen characters, which the LSTM captures; "
        "a coherent scene needs information over thousands of characters, far beyond what it learned to keep."),
    "l5.q.temperature": _q(
        "Why cooler samples spell better", "At temperature 0.5 a larger share of the character LSTM's generated words "
        "occur in the training text than at temperature 1.0. Why?",
        ["dividing the logits by tau < 1 sharpens each next-character distribution towards its most probable "
         "characters, so frequent spellings win more often",
         "at tau = 0.5 the model looks twice as far back in the text",
         "a lower temperature flattens the distribution, so every character becomes equally likely",
         "the two samples come from differently trained models"], "a",
        "what happens to softmax(logits / tau) as tau shrinks?",
        "softmax(logits / tau) with tau < 1 exaggerates the differences between the logits: the likely next "
        "characters get even more of the probability and the unlikely ones less, so the sample follows common "
        "spellings and lands on real words more often. At tau = 1 the model samples from its own distribution, "
        "and the rarer character choices it then makes invent words. Flattening is what tau > 1 does; the model "
        "and the context it reads are the same at both temperatures."),
    # Can we read the cells?
    "l5.q.cells": _q(
        "Reading the cells", "Some cells of a character LSTM track whether the text is inside quotes or how far "
        "the line has run. What does that show?",
        ["every unit of an LSTM is interpretable", "some units learn long-range features nobody asked for, "
         "because they help predict the next character", "the LSTM was trained on labelled quotes",
         "quotes are the most frequent characters"], "b", "what was the only training signal?",
        "The model was only trained to predict the next character; tracking quotes or line length helps with "
        "that, so some units learn it (Karpathy, Johnson & Fei-Fei 2015). Most units are not so readable."),
    "l5.q.corr_sign": _q(
        "Correlation: sign against size", "Searching for a cell that tracks position_in_line, suppose one unit has "
        "r = -0.8 and another r = +0.6. Which tracks the position in the line more closely?",
        ["the unit with r = -0.8: it counts down along the line, and |r| measures how closely",
         "the unit with r = +0.6, because only a positive correlation means the unit counts the position",
         "neither: a negative correlation means the unit is unrelated to the feature",
         "they cannot be compared without opening the viewer"], "a",
        "what does a unit that falls steadily along each line and jumps back at the newline look like to a "
        "correlation?",
        "A unit that decreases along the line and resets at each newline carries the same information as one "
        "that increases; the sign only says which way it counts. The strength of the linear relation is |r|, so "
        "-0.8 beats +0.6 - which is why rank_units orders the units by |r| and the lecture says the sign of a "
        "correlation means nothing, its size does."),
    # Exercises (they check themselves)
    "l5.gated_write": _ex(
        "gated write", "entries where g = 1 come from x, the others from s.",
        "s' = g * x + (1 - g) * s = (7, 2, 9): the gate picks x where it is 1 and keeps s where it is 0.",
        lambda: np.array([7, 2, 9])),
    "l5.lstm_params": _ex(
        "parameters of nn.LSTM(10, 20)", "four blocks, each with W_ih (20 x 10), W_hh (20 x 20) and two biases of 20.",
        "4 x (200 + 400 + 20 + 20) = 2,560: four times the plain RNN, one block per gate and one for the block "
        "input.", lambda: _torch_params("LSTM", 10, 20)),
    "l5.cell_path": _ex(
        "cell-path factor over 50 steps", "multiply the forget gates: f^T.",
        "Along the cell, dc_{t-1} = f_t * dc_t, so 50 steps at f = 0.9 give 0.9^50 = 0.00515; with f = 1 "
        "(Hochreiter's constant error carousel) the factor would be 1.", _cell_path),
    "l5.gru_z1": _ex(
        "GRU state with z = 1", "z weighs the old state: h = z * h_prev + ...",
        "h_t = z * h_{t-1} + (1 - z) * h~ with z = 1 (to float precision) is h_{t-1} = (0.5, -0.2): the unit "
        "copies its state, whatever the input.", _gru_z1, rtol=1e-6),
    # ==================== Lecture 6 — Sequence labelling: BiLSTM taggers and the CRF layer ============================
    # Sequence tagging
    "l6.q.tagging": _q(
        "Why tagging is not plain classification", "Why are the tokens of a sentence not independent examples "
        "for a tagger?",
        ["they have different lengths", "a token's tag depends on its neighbours' words and tags",
         "tags are not labels", "sentences are too short"], "b", "think of 'back' in 'the back door'.",
        "The context decides the tag of an ambiguous word, and tags constrain each other (I-PER after O is "
        "invalid in IOB2): the outputs form a structure, which is why taggers read the whole sentence and may "
        "score whole tag sequences."),
    "l6.q.exact_span": _q(
        "No partial credit", "The gold annotation of a sentence has one entity, [Acme Corp.]ORG; the tagger "
        "predicts [Acme]ORG and nothing else. What are the span precision and recall on this sentence?",
        ["precision 0, recall 0", "precision 1, recall 0.5", "precision 0.5, recall 0.5",
         "precision 1, recall 1, since the type is right"], "a",
        "when does conlleval count a predicted span as right?",
        "A predicted span is right only if both boundaries and the type match. [Acme] ends one token early, so "
        "it is a false positive, and the gold [Acme Corp.] is not found, a false negative: 0 of 1 predicted "
        "spans are right and 0 of 1 gold spans are found. Token accuracy would give credit for 'Acme'; span "
        "scoring gives none for a span with a wrong boundary."),
    "l6.q.ambiguous_share": _q(
        "Ambiguous types, ambiguous tokens", "In UD English-EWT only a small share of the word types occur with "
        "more than one tag, yet a far larger share of the running words belong to such types. Why?",
        ["the ambiguous types are frequent words (that, back, like), so each of them accounts for many tokens",
         "the treebank counts every ambiguous token once per tag", "rare words are usually the ambiguous ones",
         "the types are counted on the test set and the tokens on the training set"], "a",
        "a type is counted once, a token every time it occurs.",
        "The type share counts each word form once; the token share weighs it by how often it occurs. Words "
        "used in many constructions, such as that, back and like, are both frequent and ambiguous, while the "
        "long tail of rare words is mostly seen with a single tag (a word seen once has only one), so the "
        "ambiguous types cover far more of the running text than of the vocabulary - the lecture checks that "
        "the token share is the larger."),
    # The BiLSTM tagger
    "l6.q.bilstm": _q(
        "Why bidirectional", "Why does a tagger read the sentence with a bidirectional LSTM rather than left to "
        "right only?",
        ["it has more parameters", "a word's tag can depend on words after it ('win the voters back')",
         "left-to-right LSTMs cannot tag", "to avoid the softmax"], "b",
        "which words decide the tag of 'back'?",
        "Tagging is done with the whole sentence known, so nothing forbids reading it both ways; the backward "
        "state at position t summarises the words to its right, which often decide the tag."),
    "l6.q.char_features": _q(
        "Unknown words", "A test sentence contains 'Tbilisi', which never occurs in the training data. What lets "
        "the shipped tagger still use what the word looks like?",
        ["a vector composed from its characters by the character CNN, concatenated to the word embedding",
         "its own word embedding, learned during training", "the CRF's transition scores",
         "the backward LSTM, which reads the word's letters from right to left"], "a",
        "the <unk> embedding is shared by every unseen word; what else goes into a token's input?",
        "Every word never seen in training gets the same <unk> embedding, which throws away its form. The "
        "character CNN with max-pooling (the Ma & Hovy 2016 design the shipped taggers use) builds a second "
        "vector from the letters, so capitals, suffixes and digits reach the BiLSTM, which adds the context. "
        "The word-level BiLSTM reads words, not letters: its backward direction runs over the sentence."),
    # Independent decisions, invalid sequences
    "l6.q.invalid": _q(
        "Why a CRF", "A BiLSTM tagger with a softmax per token sometimes outputs 'O I-PER'. What does a CRF layer "
        "add that can prevent it?",
        ["more hidden units", "a score for every pair of adjacent tags, decoded jointly by Viterbi",
         "a larger learning rate", "character embeddings"], "b",
        "which part of the CRF's score looks at two tags at once?",
        "Independent softmaxes choose each tag alone. The CRF scores whole sequences with transition scores "
        "A[i, j]; a strongly negative A[O, I-PER] makes every path through that pair lose, and Viterbi finds "
        "the best valid path."),
    "l6.q.iob": _q(
        "IOB2", "Which tag sequence is invalid in IOB2?",
        ["B-PER I-PER O", "O B-LOC B-LOC", "O I-ORG I-ORG", "B-ORG O B-PER"], "c",
        "what may an I- tag follow?",
        "I-X must continue an entity of type X: it may follow B-X or I-X, never O or another type. 'O I-ORG' "
        "opens an entity without a B-; two B-LOC in a row are two adjacent entities, which is valid."),
    # The linear-chain CRF
    "l6.q.viterbi": _q(
        "Viterbi and the forward algorithm", "What is the only change from the forward algorithm to Viterbi?",
        ["log-sum-exp becomes max (with a back-pointer)", "the transitions are transposed",
         "emissions are dropped", "the recursion runs backwards"], "a",
        "one recursion sums over paths, the other picks the best.",
        "alpha_t(j) = E_tj + logsumexp_i(alpha_{t-1}(i) + A_ij) sums the scores of all prefixes; replacing "
        "logsumexp by max (and keeping the argmax) gives the best prefix, and reading the pointers back gives "
        "the best path. Both cost O(T K^2)."),
    "l6.q.direction": _q(
        "Transition direction", "In the course's CRF (as in pytorch-crf), what does transitions[i, j] score?",
        ["a move from tag j to tag i", "a move from tag i to tag j", "tag i at position j",
         "the emission of word j with tag i"], "b", "it is documented once, in course_lib.reference.crf.",
        "transitions[i, j] is the score of y_{t-1} = i followed by y_t = j; copying weights between conventions "
        "that use the transpose silently gives a different model."),
    # The BiLSTM-CRF
    "l6.q.crf_loss": _q(
        "Training a BiLSTM-CRF", "What does the BiLSTM-CRF maximise during training?",
        ["the accuracy of each tag", "log P(y | x) of the whole gold tag sequence: its score minus log Z",
         "the Viterbi score", "the emission scores only"], "b", "the CRF is normalised once per sentence.",
        "The loss is -log P(y | x) = log Z - score(x, y); its gradient raises the gold path's score and lowers "
        "every path in proportion to its probability (the expected counts from forward-backward)."),
    "l6.q.emission_transition": _q(
        "Two parts of the BiLSTM-CRF score", "Goldberg (2016) writes the score as sum_i W_[s_{i-1}, s_i] . "
        "LSTM*(x)_[i] + b_[s_{i-1}, s_i]. In the lecture's BiLSTM-CRF (as in Huang et al. and Lample et al.), "
        "what do the two parts become?",
        ["W depends on the current tag only, giving the emissions E_{t, s_t} = W_[s_t] . BiLSTM(x)_t, and b is "
         "the position-independent transition matrix A",
         "W is the transition matrix A and b holds the emissions",
         "W keeps one projection per pair of tags and b is dropped",
         "both are learned separately for every position t"], "a",
        "which part reads the BiLSTM's output, and which part is the same at every position?",
        "Projecting the BiLSTM state with one weight vector per current tag gives K emission scores per token. "
        "The bias that depends only on the pair of tags - not on the position or the words - is exactly the "
        "K x K transition matrix A of the linear-chain CRF, which the forward algorithm and Viterbi use. A "
        "pair-dependent W would need K^2 projections of every state; the lecture's model leaves all the "
        "interaction between neighbouring tags to A."),
    # Results on real data
    "l6.q.span_f1": _q(
        "Scoring NER", "Why is NER scored with span F1 rather than token accuracy?",
        ["F1 is easier to compute", "most tokens are O: a tagger that says O everywhere has high token accuracy "
         "and finds no entity", "token accuracy needs a CRF", "spans have no types"], "b",
        "what share of tokens are outside every entity?",
        "Entities are rare, so token accuracy is dominated by O tokens. Span F1 counts an entity as found only "
        "if its boundaries and type are exactly right, and balances precision against recall."),
    "l6.q.crf_ner": _q(
        "Where the CRF matters", "On which task does adding a CRF layer to the BiLSTM tagger help more: POS "
        "tagging or NER?",
        ["POS: more tags", "NER: its tags have hard constraints between neighbours (I- after B-/I-) and spans "
         "are scored whole", "neither", "both equally"], "b", "which task has invalid sequences?",
        "POS tags constrain each other only softly; NER's IOB tags have hard rules, and an invalid or broken "
        "span costs a whole entity in span F1. The lecture's results show the larger gain on NER."),
    # Error analysis: where the POS taggers go wrong
    "l6.q.errors": _q(
        "Where the tagger goes wrong", "Splitting the test tokens by what the training data says about their word, "
        "which group has by far the lowest tag accuracy?",
        ["words seen with one tag only", "words seen with several tags (ambiguous)",
         "words never seen in training (out of vocabulary)", "punctuation"], "c",
        "what is left to go on for a word the model has never seen?",
        "For an unknown word only its characters and its context help, so OOV tokens are the hardest group. "
        "Ambiguous words score close to unambiguous ones: the BiLSTM's context resolves most of the ambiguity."),
    "l6.q.that_syntax": _q(
        "PRON or SCONJ", "On the real treebank the tagger's most frequent confusion for 'that' is PRON against "
        "SCONJ ('the film that I saw' vs 'I said that it rained'). What decides the right tag?",
        ["the syntax around it: whether 'that' opens a relative clause on a noun or a clause that completes a "
         "verb, which shows a few words away",
         "whether 'that' occurred in the training data",
         "a hard rule in the CRF's transition scores, such as PRON never following a VERB",
         "the letters of the word, which the character CNN reads"], "a",
        "in both sentences the word is the same, and a frequent one; what differs?",
        "'that' is frequent and its form is the same in both uses, so neither unknown words nor characters are "
        "the issue. In 'the film that I saw' it stands in for the object of 'saw' in a relative clause (PRON "
        "in UD); in 'I said that it rained' it introduces a complete clause (SCONJ). Telling them apart needs "
        "the structure of the clause, which the BiLSTM sees only through its states, and POS transitions "
        "constrain neighbours only softly; a parser or a pre-trained transformer does better."),
    # Exercises (they check themselves)
    "l6.score": _ex(
        "score of y = (2, 0, 0, 1, 2)",
        "start score of the first tag + the emissions + A[y_{t-1}, y_t] for t = 2..T + end score of the last.",
        "a_start[2] + E[0, 2] + E[1, 0] + E[2, 0] + E[3, 1] + E[4, 2] + A[2, 0] + A[0, 0] + A[0, 1] + A[1, 2] + "
        "a_end[2].", _crf_score, needs=("E", "A", "a_start", "a_end")),
    "l6.prob": _ex(
        "P(y | x)", "exp(score(y) - log Z).",
        "P(y | x) = exp(score(y)) / Z = exp(score(y) - log Z), with score(y) from the previous exercise.",
        lambda E, A, a_start, a_end, log_z: math.exp(_crf_score(E, A, a_start, a_end) - log_z),
        needs=("E", "A", "a_start", "a_end", "log_z")),
    "l6.forward_cost": _ex(
        "forward-algorithm additions for T = 20, K = 17",
        "Z has 17**20 terms; the recursion makes K*K additions at each of T-1 steps.",
        "Z sums over 17^20 = 4.1e24 sequences; the forward algorithm makes (T - 1) K^2 = 19 x 289 = 5,491 "
        "additions alpha_{t-1}(i) + A_ij.", lambda: (20 - 1) * 17 ** 2),
    "l6.spans": _ex(
        "spans of B-PER I-PER O I-LOC B-LOC",
        "conlleval starts a new span at an I- tag that does not continue one (here after O).",
        "[('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]: the I-LOC after O opens a span of its own, and B-LOC "
        "starts another.", _iob),
    "l6.f1": _ex(
        "span F1 with 40 correct, 50 predicted, 80 gold",
        "precision = correct / predicted, recall = correct / gold, F1 = 2PR / (P + R).",
        "P = 40/50 = 0.8, R = 40/80 = 0.5, F1 = 2 x 0.8 x 0.5 / 1.3 = 0.615.", lambda: 2 * 0.8 * 0.5 / 1.3),
    # ==================== Lecture 7 — Text classification and the sentiment neuron ====================================
    # The task and the data
    "l7.q.imdb": _q(
        "The IMDB task", "Why is IMDB a test of long-range memory for an RNN classifier?",
        ["it has many classes", "reviews are a few hundred words long and the evidence can be anywhere in them",
         "it is multilingual", "its labels are noisy"], "b", "how far is the label from the first word?",
        "A review's verdict can sit at its end or be spread through it; one label for a few hundred words means "
        "the gradient must reach far back, and the final state must keep what matters."),
    "l7.q.label_gap": _q(
        "The reviews left out", "IMDB labels a review positive at 7/10 or more and negative at 4/10 or less, and "
        "leaves the middle out. What does that mean for a classifier's IMDB test error?",
        ["it is measured on clearly rated reviews only: 5-6/10 reviews are in neither the training nor the test "
         "set, so the error says nothing about them",
         "it also covers the 5-6/10 reviews, each scored as whichever class is nearer",
         "it is measured on a test set with more positive than negative reviews",
         "it is the error of a model trained to predict the 1-10 rating, thresholded afterwards"], "a",
        "which reviews would never reach the classifier, in training or in testing?",
        "Only reviews rated 7-10 or 1-4 enter either split, balanced half and half, with a binary label. "
        "Lukewarm or mixed reviews never appear, so an IMDB error rate measures how well a model separates "
        "clearly positive from clearly negative reviews and should not be read as its error on every review. "
        "The model sees only the binary label, never the rating."),
    # Bag-of-n-grams baselines
    "l7.q.nbsvm": _q(
        "The NB log-count ratio", "In NBSVM, what does the log-count ratio r do?",
        ["it removes stop words", "it scales each binary n-gram feature by how much more often it occurs in "
         "positive than in negative reviews", "it normalises review length", "it replaces the SVM"], "b",
        "r = log((p / ||p||_1) / (q / ||q||_1)).",
        "Each feature x_j in {0, 1} becomes r_j x_j: strongly positive or negative n-grams get large weights "
        "before the linear classifier sees them, a naive-Bayes prior that the SVM then adjusts (Wang & Manning "
        "2012)."),
    "l7.q.binary": _q(
        "Binarised features", "Wang & Manning's baselines use x = 1{count > 0} instead of counts. What does that "
        "change?",
        ["nothing", "a word repeated ten times in a review weighs as much as a word used once",
         "it removes stop words", "it makes the model nonlinear"], "b", "what is 1{f > 0} for f = 10?",
        "Binarising keeps only whether an n-gram occurs; repetitions, which mostly reflect length and style, no "
        "longer dominate. For sentiment it works better than raw counts."),
    # The IMDB table
    "l7.q.table": _q(
        "Reading the IMDB table", "What do all the rows below 7.5 % test error have in common?",
        ["they are bag-of-words models", "they learn from unlabelled text first (pretraining)",
         "they use character inputs", "they use no neural network"], "b", "look at where their knowledge comes from.",
        "Paragraph Vectors, Dai & Le, Radford et al., TopicRNN, Johnson & Zhang, ULMFiT and Miyato et al.'s "
        "LSTMs all start from a model trained on unlabelled text. The best model trained on the labels alone, "
        "Johnson & Zhang's seq2-bown-CNN (2015), stops at 7.67 %, just above them."),
    "l7.q.reproduction": _q(
        "A number that did not reproduce", "Paragraph Vectors is listed at 7.42 % as published and at 11.3 % when "
        "Mesnil et al. re-ran it with the training data shuffled. What should a reader of the table take from "
        "that?",
        ["a published error can depend on details of the setup, so a row is more trustworthy once it has been "
         "reproduced",
         "shuffling the training data destroys the word order inside each review",
         "Paragraph Vectors is supervised-only, so it should not be compared with the pretrained rows",
         "the 11.3 % is the error on the training set"], "a",
        "the method stayed the same; what changed between the two runs?",
        "Only the order of the training examples changed, and the error rose by almost four points, from below "
        "every supervised-only row to above NBSVM: the published 7.42 % depended on something in the original "
        "setup rather than on the method alone. Shuffling reorders reviews, not the words inside them, and "
        "Paragraph Vectors learns from unlabelled text like the other rows below 7.5 %. This is why the course "
        "reruns its own rows on the same data and protocol."),
    # The LSTM classifier, naively
    "l7.q.pretraining": _q(
        "Why pretraining helps", "Why does an LSTM classifier on IMDB improve so much when it starts from a "
        "language model trained on the reviews?",
        ["the LM has more parameters", "one label per review is little supervision; predicting every next word "
         "gives a signal at every step", "the LM sees the test labels", "the LM is bidirectional"], "b",
        "count the training signals per review in each task.",
        "A review of 300 words gives the classifier one bit; the LM objective gives 300 targets. The pretrained "
        "LSTM already tracks what the text is about, so fine-tuning only has to connect existing features to the "
        "label (Dai & Le 2015)."),
    "l7.q.naive": _q(
        "The naive LSTM", "Why does an LSTM classifier trained from scratch on IMDB (13.5 %) lose to naive Bayes "
        "on bigrams?",
        ["LSTMs cannot classify", "one label per long review is little supervision, and the signal must travel "
         "back through hundreds of steps", "IMDB has too many reviews", "it uses the wrong loss"], "b",
        "think of the training signal's size and distance.",
        "The LSTM must discover which of hundreds of words matter from one bit per review, with the gradient "
        "passing through many steps; the bag-of-bigrams model sees every phrase directly. Pretraining on the "
        "text itself fixes much of this (7.24-7.64 %)."),
    # Other ways to give the acceptor more to learn from
    "l7.q.distant": _q(
        "Distant supervision", "DeepMoji was pretrained to predict which emoji a tweet contains. Why does that "
        "help sentiment classification?",
        ["emojis are sentiment labels written by hand for the task", "the emoji is a free, noisy signal of the "
         "tweet's affect, available for a huge number of tweets", "it removes the need for any labelled data",
         "emojis are words"], "b", "who labelled the emojis, and how many are there?",
        "No annotator was needed: people put the emojis there. Predicting them forces the network to learn "
        "affect from very many examples; the pretrained network is then fine-tuned on the small labelled sets "
        "(Felbo et al. 2017)."),
    "l7.q.word_vectors": _q(
        "Word vectors against a pretrained LSTM", "In Dai & Le's table, initialising the naive LSTM's embeddings "
        "from word2vec lowers its IMDB error from 13.50 % to 10.00 %, while LM pretraining reaches 7.64 %. What "
        "does LM pretraining give that pretrained word vectors do not?",
        ["the LSTM's own weights start trained too, so it already knows how to read words in context, not only "
         "what each word is like",
         "more dimensions per word",
         "more labelled reviews",
         "a bidirectional LSTM"], "a",
        "which parameters does each method initialise?",
        "word2vec initialises only the embedding matrix E; the LSTM that must read hundreds of words still "
        "starts from random weights and learns from one label per review. The LM-LSTM is trained to predict "
        "every next word of the reviews, so embeddings and LSTM both start from weights that already track the "
        "text, and fine-tuning only has to connect them to the label. Neither method uses more labels."),
    # The sentiment neuron
    "l7.q.neuron": _q(
        "Where the labels enter", "Radford et al.'s sentiment unit was found in a language model trained without "
        "any sentiment labels. Where are labels used?",
        ["to train the language model", "only at the end: a logistic regression on the frozen LM's states picks "
         "the unit and its threshold", "to choose the byte vocabulary", "nowhere"], "b",
        "what was the LM trained to do?",
        "The mLSTM only learned to predict the next byte of Amazon reviews. Labelled reviews were then read by "
        "the frozen model, and an L1-regularised logistic regression on the final cell states put almost all "
        "its weight on one unit."),
    "l7.q.dropout_spread": _q(
        "Dropout and a single unit", "A variant with strong dropout (0.25) from the start had a language model "
        "at least as good as the shipped run's, and all its units together classified about as well, yet its "
        "best single unit stayed well behind. Why?",
        ["dropping units at random teaches the LM not to rely on any one unit, so the sentiment it learns is "
         "spread over many",
         "the dropout made the LM worse, so it never learned sentiment",
         "the dropout zeroed the recurrent state, so the final cell state was empty",
         "with dropout the probe picks its unit at random"], "a",
        "what does dropout train a network to be robust to?",
        "Dropout zeroes units' outputs at random while training, so the LM learns redundant features that "
        "survive the loss of any one unit. The information is still there - a logistic regression over all "
        "units does about as well - but it is distributed, the opposite of what a one-unit, one-threshold "
        "classifier needs. The LM itself was no worse (its perplexity is in the table), which is why the shipped "
        "run uses only 5 % dropout."),
    "l7.q.clamp_sign": _q(
        "Which way unit 151 points", "The lecture prints 'unit 151, sign -1': the recorded rule reads a review "
        "as positive when sign * c_T[151] is above a threshold. To make the word LM write a positive review, "
        "what should unit 151 be clamped to?",
        ["a strongly negative value (the run uses -2.94)", "a strongly positive value (the run uses +3.23)",
         "zero", "the threshold itself"], "a",
        "with sign -1, which values of c_T[151] make sign * c_T[151] large?",
        "With sign -1 the rule is 'positive iff -c_T[151] > threshold', so low, negative values of the cell "
        "mean positive. The positive clamp is therefore the negative extreme, -2.94 (the unit's 1st percentile "
        "over the training reviews), and +3.23 gives the negative samples; the L1 model's weight on unit 151 is "
        "negative (-2.42) for the same reason. The sign is arbitrary: a unit can encode 'positive' as low as "
        "well as high."),
    # Adversarial perturbations of word embeddings
    "l7.q.adversarial": _q(
        "Adversarial perturbations", "Why perturb the word embeddings rather than the words themselves?",
        ["words are discrete: a small change of a word is not defined, a small change of its vector is",
         "embeddings are smaller", "it is faster", "the words are unknown at test time"], "a",
        "what is the gradient of the loss with respect to a token id?",
        "Gradients need a continuous input. Miyato et al. move the (standardised) embeddings by r_adv = "
        "eps g / ||g||, the direction that raises the loss most to first order, and train the model to give the "
        "same answer there."),
    "l7.q.random_dir": _q(
        "Random against adversarial", "A random perturbation of the embeddings with the same norm as r_adv barely "
        "changes the loss. Why?",
        ["it is too small", "in thousands of dimensions a random direction is nearly orthogonal to the gradient, "
         "so to first order it does not change the loss", "random numbers cancel out", "the model ignores "
         "embeddings"], "b", "the first-order change of the loss is g . r.",
        "The loss changes by about g . r. For r_adv = eps g / ||g|| that is eps ||g||, the largest possible; for "
        "a random unit direction in d dimensions g . r is typically ||g|| eps / sqrt(d), almost nothing."),
    # Exercises (they check themselves)
    "l7.log_count_ratio": _ex(
        "log-count ratio of 'not bad'", "with equal norms, r = log(p / q) = log((alpha + 60) / (alpha + 20)).",
        "p = 1 + 60 = 61, q = 1 + 20 = 21, and with equal norms r = log(61 / 21) = 1.066: 'not bad' leans "
        "positive.", lambda: math.log(61 / 21)),
    "l7.misclassified": _ex(
        "reviews misclassified by the sentiment unit", "error rate times the number of test reviews.",
        "0.0770 x 25,000 = 1,925 reviews.", lambda: 1925),
    "l7.r_adv": _ex(
        "r_adv for g = [[3, 0], [0, 4]], eps = 1", "divide g by its Euclidean norm over all entries, sqrt(9 + 16) = 5.",
        "||g||_2 = 5 over all entries, so r_adv = g / 5 = [[0.6, 0], [0, 0.8]].",
        lambda: np.array([[0.6, 0.0], [0.0, 0.8]])),
    "l7.mlstm_recurrent": _ex(
        "recurrent parameters of the 4,096-unit mLSTM", "H*H + 4H*H with H = 4096.",
        "W_mh is H x H and the gates' W_m is 4H x H: 5 H^2 = 5 x 4096^2 = 83,886,080.", lambda: 5 * 4096 ** 2),
}


def lookup(key: str) -> Item:
    try:
        return ITEMS[key]
    except KeyError:
        near = [k for k in ITEMS if k.split(".")[0] == key.split(".")[0]]
        raise KeyError(f"no exercise {key!r}; this lecture's are: {', '.join(near) or '(none)'}") from None
