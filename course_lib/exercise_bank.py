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
    # ------------------------------------------------------------------------------ Lecture 1: n-grams
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
    "l1.q.sparsity": _q(
        "Sparsity", "Why does the MLE trigram model give some validation sentences probability zero?",
        ["the validation text is too long", "a trigram of the sentence never occurred in training",
         "the model does not know the end-of-sentence token", "floating-point underflow"],
        "b", "look at what c(h w) = 0 does to one factor of the product.",
        "A sentence's probability is a product of P(w | h) = c(h w) / c(h); one trigram unseen in training makes "
        "one factor 0 and the product 0 (perplexity infinite). Underflow is why we work with log probabilities, "
        "not why the value is exactly zero. Smoothing moves probability mass to unseen events."),
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
    # ------------------------------------------------------------------------------ Lecture 2: neural LMs
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
    "l2.q.cost": _q(
        "Where the time goes",
        "For a vocabulary of 50,000 words and a hidden layer of 500 units, which part of the feed-forward LM "
        "costs most per predicted word?",
        ["the embedding look-up", "the hidden layer", "the output layer and its softmax over |V|",
         "the loss"], "c", "count the multiplications of each matrix product.",
        "The output layer is an h x |V| matrix: 500 x 50,000 = 25 M multiply-adds per word, then a normalisation "
        "over 50,000 scores. The look-up is free and the hidden layer is (n-1) m x h, far smaller. This is why "
        "hierarchical and sampled softmaxes were invented."),
    # ------------------------------------------------------------------------------ Lecture 3: RNNs
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
    "l3.q.shared": _q(
        "Unrolling", "An RNN unrolled over T = 100 steps is a 100-layer network. How many copies of W_h does it "
        "have to learn?", ["100", "99", "1, shared by every step", "it depends on the batch size"], "c",
        "look at which weights the step function uses at every t.",
        "Every step uses the same W_x, W_h and b; unrolling copies the computation, not the parameters. BPTT then "
        "sums the gradient contributions of all steps into that one W_h."),
    "l3.q.tbptt": _q(
        "Truncated BPTT", "Training with truncated BPTT over windows of 35 steps, the state is carried from one "
        "window to the next. What is *not* carried?",
        ["the hidden state", "the gradient: it stops at the window's start", "the weights",
         "the position in the text"], "b", "which quantity is detached at the window boundary?",
        "The state at the end of one window is the start of the next (detached), so the forward pass sees "
        "unlimited history; but no gradient flows back past the window's first step, so dependencies longer "
        "than 35 steps are never trained directly."),
    "l3.q.teacher": _q(
        "Teacher forcing", "While training an RNN language model, what does the network read at step t?",
        ["its own sample from step t-1", "the true token x_{t-1} of the training text",
         "nothing: it only reads x_1", "the most likely token of step t-1"], "b",
        "what is fed back during training, and what at generation time?",
        "During training the input at each step is the gold previous token (teacher forcing), so all steps of a "
        "sequence are trained in parallel and errors do not compound. At generation the model reads its own "
        "samples instead, a mismatch known as exposure bias."),
    # ------------------------------------------------------------------------------ Lecture 4: gradients
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
    "l4.q.clip": _q(
        "Clipping", "What does gradient-norm clipping change?",
        ["the direction of the gradient", "only the length of the gradient, when it is above the threshold",
         "the learning rate schedule", "the vanishing of the gradient"], "b",
        "the update is g * threshold / ||g||.",
        "Clipping rescales the whole gradient to the threshold's length when it is longer, keeping its "
        "direction; it tames explosions but cannot bring back a gradient that has vanished."),
    # ------------------------------------------------------------------------------ Lecture 5: gating
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
    "l5.q.carousel": _q(
        "The constant error carousel", "Why does the LSTM's cell path not make gradients vanish the way an "
        "Elman RNN's state path does?",
        ["its weights are orthogonal", "along the cell the Jacobian is diag(f_t), with no weight matrix and no "
         "squashing nonlinearity", "it uses ReLU", "its gradients are clipped"], "b",
        "write dc_t / dc_{t-1} for c_t = f_t c_{t-1} + i_t g_t.",
        "dc_t/dc_{t-1} = diag(f_t) (holding the gates fixed): an elementwise factor the network controls. With "
        "forget gates near 1 the gradient passes nearly unchanged; the Elman path multiplies by W_h^T and tanh' "
        "at every step."),
    "l5.q.gru_reset": _q(
        "GRU conventions",
        "Weights are copied from torch.nn.GRU into the lecture's GRU equations and the outputs differ. Why?",
        ["PyTorch's gates are in the order [i, f, g, o]", "PyTorch applies the reset gate after the recurrent "
         "product, the lecture before it", "PyTorch has no update gate", "PyTorch uses ReLU"], "b",
        "compare where r_t enters the candidate state.",
        "The lecture (Cho et al.) computes tanh(W x + U (r * h)); PyTorch computes tanh(W x + b + r * (U h + b_h)). "
        "The two are different functions of the same weights; the reference implementation offers both "
        "(variant='lecture' / 'pytorch'). Both pack the gates [r, z, n]."),
    # ------------------------------------------------------------------------------ Lecture 6: tagging
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
    "l6.q.invalid": _q(
        "Why a CRF", "A BiLSTM tagger with a softmax per token sometimes outputs 'O I-PER'. What does a CRF layer "
        "add that can prevent it?",
        ["more hidden units", "a score for every pair of adjacent tags, decoded jointly by Viterbi",
         "a larger learning rate", "character embeddings"], "b",
        "which part of the CRF's score looks at two tags at once?",
        "Independent softmaxes choose each tag alone. The CRF scores whole sequences with transition scores "
        "A[i, j]; a strongly negative A[O, I-PER] makes every path through that pair lose, and Viterbi finds "
        "the best valid path."),
    "l6.q.viterbi": _q(
        "Viterbi and the forward algorithm", "What is the only change from the forward algorithm to Viterbi?",
        ["log-sum-exp becomes max (with a back-pointer)", "the transitions are transposed",
         "emissions are dropped", "the recursion runs backwards"], "a",
        "one recursion sums over paths, the other picks the best.",
        "alpha_t(j) = E_tj + logsumexp_i(alpha_{t-1}(i) + A_ij) sums the scores of all prefixes; replacing "
        "logsumexp by max (and keeping the argmax) gives the best prefix, and reading the pointers back gives "
        "the best path. Both cost O(T K^2)."),
    # ------------------------------------------------------------------------------ Lecture 7: classification
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
    "l7.q.pretraining": _q(
        "Why pretraining helps", "Why does an LSTM classifier on IMDB improve so much when it starts from a "
        "language model trained on the reviews?",
        ["the LM has more parameters", "one label per review is little supervision; predicting every next word "
         "gives a signal at every step", "the LM sees the test labels", "the LM is bidirectional"], "b",
        "count the training signals per review in each task.",
        "A review of 300 words gives the classifier one bit; the LM objective gives 300 targets. The pretrained "
        "LSTM already tracks what the text is about, so fine-tuning only has to connect existing features to the "
        "label (Dai & Le 2015)."),
    "l7.q.adversarial": _q(
        "Adversarial perturbations", "Why perturb the word embeddings rather than the words themselves?",
        ["words are discrete: a small change of a word is not defined, a small change of its vector is",
         "embeddings are smaller", "it is faster", "the words are unknown at test time"], "a",
        "what is the gradient of the loss with respect to a token id?",
        "Gradients need a continuous input. Miyato et al. move the (standardised) embeddings by r_adv = "
        "eps g / ||g||, the direction that raises the loss most to first order, and train the model to give the "
        "same answer there."),
}

MORE_QUESTIONS: dict[str, Item] = {
    "l1.q.markov": _q(
        "The Markov assumption", "What does a trigram model assume about P(w_t | w_1 .. w_{t-1})?",
        ["nothing: it is the chain rule", "it depends only on the two previous words, P(w_t | w_{t-2}, w_{t-1})",
         "it depends only on w_t's frequency", "it depends on the next two words"], "b",
        "an n-gram model keeps n - 1 words of context.",
        "The chain rule is exact; the n-gram model then cuts every history to its last n - 1 words. For a "
        "trigram that is P(w_t | w_{t-2}, w_{t-1}), which can be estimated by counting triples."),
    "l1.q.perplexity": _q(
        "Comparing perplexities", "Model A has perplexity 100 on one test text; model B has 200 on another text "
        "with another vocabulary. Which is the better model?",
        ["A, its perplexity is lower", "B, its perplexity is higher",
         "we cannot tell: perplexities compare only on the same predicted tokens and vocabulary",
         "both are equally good"], "c", "what does perplexity average over?",
        "Perplexity is exp of the mean negative log-probability of particular tokens under a particular "
        "vocabulary. A smaller vocabulary or an easier text lowers it without any better model; Lecture 2 "
        "therefore scores every model on exactly the same validation tokens."),
    "l3.q.bptt_sum": _q(
        "BPTT and shared weights", "In backpropagation through time, what is dL/dW_h?",
        ["the gradient at the last step only", "the sum over time steps of each step's contribution",
         "the average of the first and last steps", "zero, because W_h is shared"], "b",
        "W_h is used at every step of the unrolled graph.",
        "A parameter used in many places of a computation graph receives the sum of the gradients from all its "
        "uses; unrolled, W_h is used once per step, so dL/dW_h = sum_t delta_t h_{t-1}^T (in the lecture's "
        "notation), accumulated by the backward loop."),
    "l3.q.birnn_lm": _q(
        "Why not a biRNN language model", "Why can a bidirectional RNN not be trained as a left-to-right language "
        "model on its own?",
        ["it is too slow", "its backward half has already read the word it is asked to predict",
         "it has no softmax", "it cannot be unrolled"], "b", "what has the backward RNN seen at position t?",
        "At position t the backward RNN has read x_T .. x_t, so predicting x_{t+1} would be copying. ELMo "
        "instead trains a forward LM and a separate backward LM, each predicting only what it has not read."),
    "l4.q.jacobian": _q(
        "A product of Jacobians", "For a linear RNN h_t = W h_{t-1} + U x_t, what is dh_T / dh_1?",
        ["W", "W^(T-1): T - 1 copies of the same matrix multiplied", "U^(T-1)", "the identity"], "b",
        "apply the chain rule through every step.",
        "dh_T/dh_1 = prod_t dh_t/dh_{t-1} = W^(T-1). Its size is governed by powers of W: eigenvalues below 1 "
        "shrink it exponentially with T - 1, above 1 make it grow; a nonlinearity adds a diag(g') factor per step."),
    "l4.q.agreement": _q(
        "Agreement attractors", "In 'The keys to the cabinet are on the table', what makes choosing 'are' hard for "
        "a model with a short memory?",
        ["'keys' is a rare word", "the singular noun 'cabinet' (an attractor) sits between the subject and the "
         "verb", "'are' is irregular", "the sentence is too long to tokenise"], "b",
        "which noun is nearest to the verb?",
        "The verb agrees with the subject 'keys', several words back; the nearest noun 'cabinet' is singular. A "
        "model that relies on recent words picks 'is'. Linzen et al. (2016) count such attractors to measure "
        "how far back a network's syntax reaches."),
    "l5.q.gate": _q(
        "Soft gates", "Why are the LSTM's gates sigmoids rather than hard 0/1 switches?",
        ["sigmoids are faster", "a sigmoid is differentiable, so how much to keep or write is learned by "
         "gradient descent", "hard gates would need more memory", "to keep values positive"], "b",
        "what does training need from every operation?",
        "A hard switch has zero gradient almost everywhere, so nothing could learn when to open it. The sigmoid "
        "gives a smooth value in (0, 1) that can be pushed towards 0 or 1 by training."),
    "l5.q.jozefowicz": _q(
        "Is the LSTM optimal?", "Which simple change did Jozefowicz, Zaremba & Sutskever (2015) find to help the "
        "LSTM most reliably?",
        ["removing the output gate", "a forget-gate bias initialised to 1 or more", "ReLU instead of tanh",
         "two cell states"], "b", "what should the forget gate do at the start of training?",
        "With a bias near 0 the forget gate starts at about 0.5 and the cell forgets quickly, so gradients "
        "vanish early in training. A bias of 1 starts it near 0.73 and closed most of the gap to the best "
        "architectures in their search."),
    "l5.q.cells": _q(
        "Reading the cells", "Some cells of a character LSTM track whether the text is inside quotes or how far "
        "the line has run. What does that show?",
        ["every unit of an LSTM is interpretable", "some units learn long-range features nobody asked for, "
         "because they help predict the next character", "the LSTM was trained on labelled quotes",
         "quotes are the most frequent characters"], "b", "what was the only training signal?",
        "The model was only trained to predict the next character; tracking quotes or line length helps with "
        "that, so some units learn it (Karpathy, Johnson & Fei-Fei 2015). Most units are not so readable."),
    "l6.q.bilstm": _q(
        "Why bidirectional", "Why does a tagger read the sentence with a bidirectional LSTM rather than left to "
        "right only?",
        ["it has more parameters", "a word's tag can depend on words after it ('win the voters back')",
         "left-to-right LSTMs cannot tag", "to avoid the softmax"], "b",
        "which words decide the tag of 'back'?",
        "Tagging is done with the whole sentence known, so nothing forbids reading it both ways; the backward "
        "state at position t summarises the words to its right, which often decide the tag."),
    "l6.q.span_f1": _q(
        "Scoring NER", "Why is NER scored with span F1 rather than token accuracy?",
        ["F1 is easier to compute", "most tokens are O: a tagger that says O everywhere has high token accuracy "
         "and finds no entity", "token accuracy needs a CRF", "spans have no types"], "b",
        "what share of tokens are outside every entity?",
        "Entities are rare, so token accuracy is dominated by O tokens. Span F1 counts an entity as found only "
        "if its boundaries and type are exactly right, and balances precision against recall."),
    "l7.q.nbsvm": _q(
        "The NB log-count ratio", "In NBSVM, what does the log-count ratio r do?",
        ["it removes stop words", "it scales each binary n-gram feature by how much more often it occurs in "
         "positive than in negative reviews", "it normalises review length", "it replaces the SVM"], "b",
        "r = log((p / ||p||_1) / (q / ||q||_1)).",
        "Each feature x_j in {0, 1} becomes r_j x_j: strongly positive or negative n-grams get large weights "
        "before the linear classifier sees them, a naive-Bayes prior that the SVM then adjusts (Wang & Manning "
        "2012)."),
    "l7.q.neuron": _q(
        "Where the labels enter", "Radford et al.'s sentiment unit was found in a language model trained without "
        "any sentiment labels. Where are labels used?",
        ["to train the language model", "only at the end: a logistic regression on the frozen LM's states picks "
         "the unit and its threshold", "to choose the byte vocabulary", "nowhere"], "b",
        "what was the LM trained to do?",
        "The mLSTM only learned to predict the next byte of Amazon reviews. Labelled reviews were then read by "
        "the frozen model, and an L1-regularised logistic regression on the final cell states put almost all "
        "its weight on one unit."),
}
ITEMS.update(MORE_QUESTIONS)


THIRD_QUESTIONS: dict[str, Item] = {
    "l1.q.generate": _q(
        "Sampling from an n-gram model", "Why does text sampled from a trigram model read well over three words "
        "and poorly over a sentence?",
        ["the sampler is biased", "each word is chosen from the last two words only: nothing keeps the "
         "sentence's topic or syntax together beyond that", "the vocabulary is too small", "smoothing adds noise"],
        "b", "how much of the past does each sampled word see?",
        "Every step draws w_t from P(. | w_{t-2}, w_{t-1}); locally the triples are real, but nothing longer "
        "constrains the choice. That fixed window is the problem the neural and recurrent LMs address."),
    "l2.q.same_tokens": _q(
        "A fair comparison", "What must two language models share for their perplexities to be comparable?",
        ["the same number of parameters", "the same predicted tokens and the same vocabulary (the same <unk>)",
         "the same training time", "the same optimiser"], "b", "what is perplexity an average of?",
        "Perplexity averages -log P over a set of predicted tokens with probabilities normalised over a "
        "vocabulary. Mapping more words to <unk>, or predicting fewer tokens, changes the number without "
        "changing the model; the lecture scores every model on the same 29,510 validation tokens."),
    "l2.q.context": _q(
        "What the feed-forward LM does not fix", "What does Bengio et al.'s feed-forward LM share with an n-gram "
        "model?",
        ["counting", "a fixed window of n - 1 previous words", "smoothing", "no parameters"], "b",
        "what does its input layer read?",
        "It generalises across similar words thanks to embeddings, but it still reads only the last n - 1 "
        "words; a longer window means a larger input layer. A recurrent LM removes the window."),
    "l3.q.abstraction": _q(
        "The RNN abstraction", "In the abstraction s_i = R(s_{i-1}, x_i), y_i = O(s_i), what does the state s_i "
        "summarise?",
        ["only x_i", "the whole prefix x_1 .. x_i", "the whole sentence", "the next input"], "b",
        "unfold the recursion.",
        "s_i = R(R(... R(s_0, x_1) ...), x_i): it is a function of every input so far, compressed into a fixed-size "
        "vector; y_i therefore conditions on the entire prefix, not a window."),
    "l3.q.stacked": _q(
        "Stacked RNNs", "In a stacked RNN, what does layer 2 read at step t?",
        ["the input x_t", "the output of layer 1 at step t", "the output of layer 2 at step t - 1 only",
         "the final state of layer 1"], "b", "follow the arrows of the figure.",
        "Layer 2's input at step t is layer 1's output h^(1)_t; its recurrence runs over its own states "
        "h^(2)_{t-1}. Each layer has its own weights, shared over time."),
    "l4.q.powers": _q(
        "Powers of a matrix", "For a diagonalisable W_h with spectral radius 0.9, what happens to W_h^k as k grows?",
        ["it grows without bound", "it shrinks towards zero, like 0.9^k", "it stays the same size",
         "it oscillates with constant size"], "b", "look at the eigenvalues of W_h^k.",
        "W_h^k = Q diag(lambda_i^k) Q^-1 and every |lambda_i| <= 0.9, so the norm decays like 0.9^k: after 50 "
        "steps about 0.005. Gradients through a linear RNN with such a W_h vanish."),
    "l5.q.lstm_params": _q(
        "The LSTM's size", "Compared with an Elman RNN of the same hidden size, how many weights does an LSTM have?",
        ["the same", "about twice as many", "about four times as many: one set per gate and one for the block "
         "input", "eight times as many"], "c", "count the blocks of nn.LSTM's weight_ih.",
        "i, f, o and the block input g each need input and recurrent weights and biases of the Elman RNN's size, "
        "so four times the parameters (2,560 vs 640 for 10 inputs and 20 units)."),
    "l5.q.sample": _q(
        "What a trained LSTM writes", "The character LSTM's samples have speaker names, line breaks and mostly "
        "real words, but no plot. What does that say?",
        ["it memorised the text", "it models local structure well (spelling, format) but keeps little "
         "long-range meaning", "it was trained on words", "the temperature is too high"], "b",
        "which patterns are short, which long?",
        "Spelling and the speaker/line format depend on the last few dozen characters, which the LSTM captures; "
        "a coherent scene needs information over thousands of characters, far beyond what it learned to keep."),
    "l6.q.tagging": _q(
        "Why tagging is not plain classification", "Why are the tokens of a sentence not independent examples "
        "for a tagger?",
        ["they have different lengths", "a token's tag depends on its neighbours' words and tags",
         "tags are not labels", "sentences are too short"], "b", "think of 'back' in 'the back door'.",
        "The context decides the tag of an ambiguous word, and tags constrain each other (I-PER after O is "
        "invalid in IOB2): the outputs form a structure, which is why taggers read the whole sentence and may "
        "score whole tag sequences."),
    "l6.q.crf_loss": _q(
        "Training a BiLSTM-CRF", "What does the BiLSTM-CRF maximise during training?",
        ["the accuracy of each tag", "log P(y | x) of the whole gold tag sequence: its score minus log Z",
         "the Viterbi score", "the emission scores only"], "b", "the CRF is normalised once per sentence.",
        "The loss is -log P(y | x) = log Z - score(x, y); its gradient raises the gold path's score and lowers "
        "every path in proportion to its probability (the expected counts from forward-backward)."),
    "l6.q.errors": _q(
        "Where the tagger goes wrong", "Splitting the test tokens by what the training data says about their word, "
        "which group has by far the lowest tag accuracy?",
        ["words seen with one tag only", "words seen with several tags (ambiguous)",
         "words never seen in training (out of vocabulary)", "punctuation"], "c",
        "what is left to go on for a word the model has never seen?",
        "For an unknown word only its characters and its context help, so OOV tokens are the hardest group. "
        "Ambiguous words score close to unambiguous ones: the BiLSTM's context resolves most of the ambiguity."),
    "l7.q.imdb": _q(
        "The IMDB task", "Why is IMDB a test of long-range memory for an RNN classifier?",
        ["it has many classes", "reviews are a few hundred words long and the evidence can be anywhere in them",
         "it is multilingual", "its labels are noisy"], "b", "how far is the label from the first word?",
        "A review's verdict can sit at its end or be spread through it; one label for a few hundred words means "
        "the gradient must reach far back, and the final state must keep what matters."),
    "l7.q.table": _q(
        "Reading the IMDB table", "What do almost all rows below 7.5 % test error have in common?",
        ["they are bag-of-words models", "they learn from unlabelled text first (pretraining)",
         "they use character inputs", "they use no neural network"], "b", "look at where their knowledge comes from.",
        "Paragraph Vectors, Dai & Le, Radford et al., TopicRNN, Johnson & Zhang, ULMFiT and Miyato et al.'s "
        "LSTMs all start from a model trained on unlabelled text; supervised-only neural models stay above "
        "strong bag-of-n-grams baselines."),
}
ITEMS.update(THIRD_QUESTIONS)


FOURTH_QUESTIONS: dict[str, Item] = {
    "l2.q.loss_ppl": _q(
        "Cross-entropy and perplexity", "Training minimises the mean cross-entropy L (in nats per token) of the "
        "next word. How is it related to the perplexity on the same tokens?",
        ["perplexity = L", "perplexity = exp(L)", "perplexity = 1 / L", "they are unrelated"], "b",
        "perplexity is exp of the mean negative log-probability.",
        "The mean cross-entropy is -(1/N) sum log P(w_t | context); perplexity is exp of exactly that. "
        "Minimising one minimises the other: a loss of 4.5 nats is a perplexity of about 90."),
    "l2.q.mixture": _q(
        "Why mixing helps", "The 50/50 mixture of the feed-forward LM and Kneser-Ney beats both. What does that "
        "show?",
        ["the models are identical", "they make different mistakes: each is better on some tokens",
         "averaging always lowers perplexity below both models", "Kneser-Ney is better"], "b",
        "when does an average beat both of its parts?",
        "A mixture can only beat both models if on some tokens one is much better and on others the other is: "
        "the count model is sharp on frequent n-grams, the neural model generalises to unseen ones. A mixture "
        "is never worse than twice the better model's perplexity, but it does not always beat both."),
    "l2.q.recurrent": _q(
        "The recurrent row", "Why can the LSTM LM use more context than the n-gram and feed-forward models?",
        ["it has a bigger vocabulary", "its state carries information from every earlier word, with no window "
         "to widen", "it sees the next word", "it is trained longer"], "b",
        "what does the LSTM's input layer read at each step?",
        "An n-gram or feed-forward model reads a fixed number of previous words; a recurrent model reads one "
        "word per step and updates a state that can keep what it needs from far back (Lecture 3)."),
    "l3.q.elman": _q(
        "The Elman network", "Which parameters does an Elman RNN's transition R have?",
        ["one matrix per time step", "W^x (input to state), W^s (state to state) and a bias b, shared by all "
         "steps", "only W^s", "a separate network for each input length"], "b",
        "look at eq. (4).",
        "s_i = g(s_{i-1} W^s + x_i W^x + b): three parameter arrays, the same at every step, whatever the "
        "sequence length."),
    "l3.q.charlm": _q(
        "Bits per character", "The character RNN's validation loss is below the character-frequency baseline. "
        "What does the difference measure?",
        ["the vocabulary size", "how much the context (the earlier characters) helps predict the next one",
         "the training time", "the temperature"], "b", "what does the unigram baseline ignore?",
        "The unigram baseline predicts every character from its frequency alone; any drop below it in bits per "
        "character is information the model takes from the preceding characters."),
    "l3.q.temperature": _q(
        "Temperature", "Sampling with temperature tau divides the logits by tau before the softmax. What does "
        "tau < 1 do?",
        ["spreads probability over more characters", "sharpens the distribution towards the most likely "
         "characters: safer, more repetitive text", "changes the model's weights", "nothing"], "b",
        "what happens to differences between logits when they are divided by 0.5?",
        "Dividing by tau < 1 enlarges the gaps between logits, so the softmax puts more mass on the top "
        "choices (entropy falls); tau > 1 flattens it, giving more varied but less correct text."),
    "l3.q.acceptor": _q(
        "Acceptor or transducer", "Which task is an acceptor, with one loss per sequence?",
        ["part-of-speech tagging", "language modelling", "classifying a review as positive or negative",
         "named-entity recognition"], "c", "how many outputs does the task need per sequence?",
        "Sentiment needs one answer after the whole text: the final state feeds one classifier and one loss. "
        "Tagging and language modelling are transducers, with an output and a loss at every position."),
    "l3.q.elmo": _q(
        "ELMo's features", "What are ELMo-style features of a token?",
        ["its one-hot vector", "the states of a forward and a backward LM at that token, concatenated",
         "the output of a biRNN trained on tags", "its character n-grams"], "b",
        "which two models are read at position t?",
        "[h^f_t ; h^b_t]: the forward LM's state after reading up to the token and the backward LM's after "
        "reading from the end down to it, both pretrained on unlabelled text and then used as inputs to other "
        "tasks (Peters et al. 2018)."),
    "l5.q.lstm_bptt": _q(
        "Backpropagation through the LSTM", "The LSTM's backward pass carries two quantities from step t+1 to "
        "step t. Which?",
        ["only dL/dh_t", "dL/dh_t and dL/dc_t", "the gates' values", "the inputs"], "b",
        "the LSTM has two states.",
        "Both h_t and c_t feed step t+1, so the backward pass receives a gradient for each: dc flows along the "
        "cell (multiplied by f), dh through the gates and the recurrent weights."),
    "l7.q.distant": _q(
        "Distant supervision", "DeepMoji was pretrained to predict which emoji a tweet contains. Why does that "
        "help sentiment classification?",
        ["emojis are sentiment labels written by hand for the task", "the emoji is a free, noisy signal of the "
         "tweet's affect, available for a huge number of tweets", "it removes the need for any labelled data",
         "emojis are words"], "b", "who labelled the emojis, and how many are there?",
        "No annotator was needed: people put the emojis there. Predicting them forces the network to learn "
        "affect from very many examples; the pretrained network is then fine-tuned on the small labelled sets "
        "(Felbo et al. 2017)."),
}
ITEMS.update(FOURTH_QUESTIONS)


FIFTH_QUESTIONS: dict[str, Item] = {
    "l1.q.add1": _q(
        "What is wrong with add-one", "Why is add-one (Laplace) smoothing a poor choice for a language model with a "
        "large vocabulary?",
        ["it gives unseen n-grams probability 0", "it moves far too much probability to unseen continuations, "
         "taking it from the ones actually observed", "it needs a validation set", "it only works for bigrams"],
        "b", "how much mass does adding 1 to |V| counts take, when a context was seen 9 times?",
        "Adding 1 to each of |V| continuations adds |V| to the denominator: after a context seen 9 times with "
        "|V| = 10,000, the observed words keep under 0.1 % of the mass. Discounting methods such as Kneser-Ney "
        "subtract a small fixed amount instead."),
    "l1.q.bits": _q(
        "Perplexity and bits", "A model's perplexity on a text is 32. What is its cross-entropy in bits per token?",
        ["32", "5", "1/32", "log(32) / 2"], "b", "perplexity = 2^(bits per token).",
        "Cross-entropy in bits is log2 of the perplexity: log2 32 = 5. The model is as uncertain as a uniform "
        "choice among 32 tokens, i.e. 5 binary questions per token."),
    "l2.q.embed_neighbours": _q(
        "Nearest neighbours", "After training, 'he' and 'she' have nearly the same embedding. Why?",
        ["they are spelled alike", "they occur in the same contexts, so the same predictions are useful for both",
         "the embeddings were initialised from a dictionary", "they are frequent"], "b",
        "what is the only signal the embeddings get?",
        "The embedding of a word is changed only by the gradients of predictions made with it in the context; "
        "words that fill the same slots ('he said', 'she said') receive similar updates and end up close."),
    "l2.q.window": _q(
        "Growing the window", "How does the feed-forward LM's number of parameters grow with the context size "
        "n - 1, all else fixed?",
        ["exponentially, like an n-gram table", "linearly: the hidden layer reads (n - 1) embeddings",
         "not at all", "quadratically"], "b", "look at the shape of the hidden layer's weight matrix.",
        "The hidden layer has (n - 1) m x h weights, so each extra word of context adds m h parameters; an "
        "n-gram table instead can grow like |V|^n. Still, every extra word costs parameters, and the window is "
        "fixed."),
    "l3.q.depth": _q(
        "How deep is an unrolled RNN?", "An Elman RNN reads a sequence of 200 characters. Through how many "
        "nonlinearities does the loss at step 200 reach the input at step 1?",
        ["1", "2", "about 200: one tanh per step", "it depends on the batch size"], "c",
        "count the steps between x_1 and y_200.",
        "The path goes through h_1, h_2, ... h_200, one tanh and one multiplication by W_h per step: a 200-layer "
        "network for that path, which is why the gradient can vanish or explode (Lecture 4)."),
    "l3.q.truncate": _q(
        "Why truncate", "Why train an RNN on a long text with truncated BPTT instead of backpropagating through the "
        "whole text?",
        ["full BPTT gives wrong gradients", "full BPTT needs the activations of every step in memory and one "
         "update per pass; windows give many cheap updates", "truncation improves the model's memory",
         "RNNs cannot read long texts"], "b", "what must be stored to backpropagate through T steps?",
        "Backpropagation needs every step's activations: memory grows with T and a 1 M-character text would give "
        "one update per pass. Windows of a few dozen steps give frequent updates with bounded memory, at the "
        "price of not training dependencies longer than the window."),
    "l3.q.greedy": _q(
        "Greedy generation", "What usually happens if a character LM generates by always taking the most likely "
        "next character (temperature near 0)?",
        ["perfect Shakespeare", "it falls into a loop, repeating a frequent phrase", "random characters",
         "it stops immediately"], "b", "the same state and the same choice lead to the same next state.",
        "Argmax decoding is deterministic: once the model produces a frequent phrase it tends to return to the "
        "same states and repeat it. Sampling with a moderate temperature keeps variety."),
    "l3.q.bottleneck": _q(
        "The encoder's bottleneck", "In the basic encoder-decoder, what does the decoder know about the source?",
        ["every encoder state", "only the encoder's final state h_n", "the source words themselves",
         "nothing"], "b", "what initialises the decoder?",
        "Everything passes through h_n, one fixed-size vector whatever the source length; long sources suffer. "
        "Attention (Bahdanau et al. 2015) lets the decoder look at every encoder state instead."),
    "l4.q.saturation": _q(
        "Saturation", "Why do saturated tanh units make vanishing worse?",
        ["they make W_h larger", "tanh'(a) is close to 0 for large |a|, and it multiplies the gradient at "
         "every step", "they explode the gradient", "they change the loss"], "b",
        "what is tanh' at a = 3?",
        "dh_t/dh_{t-1} = diag(tanh'(a_t)) W_h; tanh'(3) = 0.01, so a saturated unit passes almost no gradient, "
        "whatever W_h. Large inputs make more units saturate."),
    "l4.q.threshold": _q(
        "The clipping threshold", "Training with norm clipping at threshold 5, a step's gradient has norm 2. What "
        "does clipping do to it?",
        ["scales it to norm 5", "nothing: only gradients longer than the threshold are rescaled",
         "sets it to zero", "halves it"], "b", "read Algorithm 1's condition.",
        "Clipping acts only when ||g|| >= threshold; below it the gradient is used as it is. So clipping changes "
        "only the rare huge steps, the ones that would throw the parameters far."),
    "l5.q.forget_bias": _q(
        "The forget-gate bias", "With a forget-gate bias b_f = 3 the gate starts near sigma(3) = 0.95. What does "
        "that do to the gradient along the cell over 20 steps, at the start of training?",
        ["multiplies it by about 0.95^20 = 0.36", "multiplies it by 3^20", "sets it to zero",
         "nothing: the bias does not enter the gradient"], "a", "the cell path multiplies by f at each step.",
        "Along the cell, dc_{t-1} = f_t dc_t, so 20 steps at f = 0.95 keep 0.95^20 = 0.36 of the gradient, "
        "against 0.5^20 = 1e-6 with a bias of 0."),
    "l5.q.gru_vs_lstm": _q(
        "GRU and LSTM", "What does the GRU drop compared with the LSTM?",
        ["gating altogether", "the separate memory cell and the output gate: one state, two gates",
         "the recurrent weights", "the nonlinearity"], "b", "count states and gates.",
        "The LSTM has a cell c and a hidden state h with three gates; the GRU has one state h, an update gate "
        "that interpolates old and candidate states, and a reset gate. Fewer parameters, similar results on "
        "many tasks (Jozefowicz et al. 2015)."),
    "l6.q.iob": _q(
        "IOB2", "Which tag sequence is invalid in IOB2?",
        ["B-PER I-PER O", "O B-LOC B-LOC", "O I-ORG I-ORG", "B-ORG O B-PER"], "c",
        "what may an I- tag follow?",
        "I-X must continue an entity of type X: it may follow B-X or I-X, never O or another type. 'O I-ORG' "
        "opens an entity without a B-; two B-LOC in a row are two adjacent entities, which is valid."),
    "l6.q.direction": _q(
        "Transition direction", "In the course's CRF (as in pytorch-crf), what does transitions[i, j] score?",
        ["a move from tag j to tag i", "a move from tag i to tag j", "tag i at position j",
         "the emission of word j with tag i"], "b", "it is documented once, in course_lib.reference.crf.",
        "transitions[i, j] is the score of y_{t-1} = i followed by y_t = j; copying weights between conventions "
        "that use the transpose silently gives a different model."),
    "l6.q.crf_ner": _q(
        "Where the CRF matters", "On which task does adding a CRF layer to the BiLSTM tagger help more: POS "
        "tagging or NER?",
        ["POS: more tags", "NER: its tags have hard constraints between neighbours (I- after B-/I-) and spans "
         "are scored whole", "neither", "both equally"], "b", "which task has invalid sequences?",
        "POS tags constrain each other only softly; NER's IOB tags have hard rules, and an invalid or broken "
        "span costs a whole entity in span F1. The lecture's results show the larger gain on NER."),
    "l7.q.binary": _q(
        "Binarised features", "Wang & Manning's baselines use x = 1{count > 0} instead of counts. What does that "
        "change?",
        ["nothing", "a word repeated ten times in a review weighs as much as a word used once",
         "it removes stop words", "it makes the model nonlinear"], "b", "what is 1{f > 0} for f = 10?",
        "Binarising keeps only whether an n-gram occurs; repetitions, which mostly reflect length and style, no "
        "longer dominate. For sentiment it works better than raw counts."),
    "l7.q.naive": _q(
        "The naive LSTM", "Why does an LSTM classifier trained from scratch on IMDB (13.5 %) lose to naive Bayes "
        "on bigrams?",
        ["LSTMs cannot classify", "one label per long review is little supervision, and the signal must travel "
         "back through hundreds of steps", "IMDB has too many reviews", "it uses the wrong loss"], "b",
        "think of the training signal's size and distance.",
        "The LSTM must discover which of hundreds of words matter from one bit per review, with the gradient "
        "passing through many steps; the bag-of-bigrams model sees every phrase directly. Pretraining on the "
        "text itself fixes much of this (7.24-7.64 %)."),
    "l7.q.random_dir": _q(
        "Random against adversarial", "A random perturbation of the embeddings with the same norm as r_adv barely "
        "changes the loss. Why?",
        ["it is too small", "in thousands of dimensions a random direction is nearly orthogonal to the gradient, "
         "so to first order it does not change the loss", "random numbers cancel out", "the model ignores "
         "embeddings"], "b", "the first-order change of the loss is g . r.",
        "The loss changes by about g . r. For r_adv = eps g / ||g|| that is eps ||g||, the largest possible; for "
        "a random unit direction in d dimensions g . r is typically ||g|| eps / sqrt(d), almost nothing."),
}
ITEMS.update(FIFTH_QUESTIONS)


def lookup(key: str) -> Item:
    try:
        return ITEMS[key]
    except KeyError:
        near = [k for k in ITEMS if k.split(".")[0] == key.split(".")[0]]
        raise KeyError(f"no exercise {key!r}; this lecture's are: {', '.join(near) or '(none)'}") from None
