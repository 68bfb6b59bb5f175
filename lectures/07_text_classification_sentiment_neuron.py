# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 7 — Text classification and the sentiment neuron
#
# *Recurrent neural networks for NLP, part 7 of 7.* The last pattern of the course: an RNN that reads a whole text
# and gives **one** answer at the end — the *acceptor* of Lecture 3. Our task is sentiment: is a movie review
# positive or negative?
#
# Sentiment looks easy until one reads real sentences. A review can pile up negative phrases (*not uplifting*,
# *crude*, *mean-spirited*) and still end with *and I loved it*; another can praise a *brilliant* cast and be a
# pan. A classifier has to weigh phrases in context — negation, contrast, the overall arc of the text.
#
# Plan: the IMDB benchmark and its error-rate table, with our own reproduced rows; the strong
# bag-of-n-grams baselines; the naive LSTM classifier and why language-model pretraining rescues it (Dai & Le
# 2015); the byte-level mLSTM of Radford et al. (2017), whose one "sentiment neuron" classifies reviews on its own
# and steers generation; and adversarial perturbations of word embeddings (Miyato et al. 2017).
#
# Assignment links: the LSTM of [Assignment 2 (gating)](../assignments/release/gating/gating.ipynb) is the cell of
# every recurrent model here; [Assignment 3 (CRF)](../assignments/release/crf/crf.ipynb) is the structured
# alternative to one-label-per-text of the previous lecture.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.baselines import (
    error_rate,
    fit_lr,
    fit_mnb,
    fit_nbsvm,
    nb_log_count_ratio,
    ngram_vectorizer,
    tokenize,
)
from course_lib.data import load_imdb_splits, load_sst2
from course_lib.exercises import ask, check
from course_lib.sequence_labelling import CHECKPOINT_DIR
from course_lib.text_classification import (
    PUBLISHED_IMDB,
    BagOfEmbeddings,
    accuracy,
    accuracy_under_attack,
    adversarial_perturbation,
    balanced_subset,
    mlstm_num_parameters,
    perturbed_loss,
    random_perturbation,
    sparse_rows_to_padded,
    train_bag,
)
from course_lib.widgets import draw_class_histogram

torch.manual_seed(0)
torch.set_num_threads(1)  # small models and batches: one thread is fastest, and fair to a shared machine
rng = np.random.default_rng(0)
CKPT = CHECKPOINT_DIR                                   # data/checkpoints of the repository
ROOT = CKPT.parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def read_json(path: Path) -> dict | None:
    """A committed result file, or None (with a note) if this checkout does not have it yet."""
    if path.exists():
        return json.loads(path.read_text())
    print(f"({path.relative_to(ROOT)} is not in this checkout: its rows are left out below)")
    return None


# %% [markdown]
# ## The task and the data
#
# **IMDB** (Maas et al. 2011): 50,000 movie reviews from the Internet Movie Database, half for training and half
# for testing, balanced; a review is *positive* if its author rated the film 7/10 or more, *negative* at 4/10 or
# less (the middle is left out). Reviews are long — a couple of hundred words on average, some over a thousand —
# which is what makes this a test of long-range memory for an RNN. The sentence-level **SST-2** (Socher et al.
# 2013: single sentences of movie reviews, neutral ones removed) is used for short texts.

# %%
imdb = load_imdb_splits(("train", "test"))
sst_train, sst_test = load_sst2("train"), load_sst2("test")
lengths = np.array([len(tokenize(t)) for t, _ in imdb["train"][::25]])
print(f"IMDB: train {len(imdb['train']):,} reviews ({np.mean([y for _, y in imdb['train']]):.0%} positive), "
      f"test {len(imdb['test']):,}")
print(f"      tokens per review (every 25th training review): median {np.median(lengths):.0f}, "
      f"90th percentile {np.percentile(lengths, 90):.0f}, max {lengths.max()}")
print(f"SST-2: train {len(sst_train):,} sentences, test {len(sst_test):,}")
text, label = imdb["train"][len(imdb["train"]) // 2]
print(f"\nlabel {label}: {text[:400]}...")


# Every subset the lecture uses, drawn once; then the 50,000 full texts can go (the lecture stays within 1 GB).
sub_train, sub_test = balanced_subset(imdb["train"], 2000, 0), balanced_subset(imdb["test"], 2000, 1)
lstm_sub, imdb_sub = balanced_subset(imdb["test"], 200, 2), balanced_subset(imdb["test"], 60, 4)
# the full benchmark (offline, without the data, the course falls back to a small synthetic sample: the claims
# about real reviews below are then printed but not checked)
REAL_DATA = len(imdb["train"]) == 25_000
del imdb

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.imdb", "l7.q.label_gap")

# %% [markdown]
# ## Bag-of-n-grams baselines
#
# Before any RNN, a text can be reduced to the set of n-grams it contains. With **binarised** features
# $\hat x = \mathbb 1\{f > 0\}$ (did the n-gram occur at all?) Wang & Manning (2012) found three strong baselines:
#
# * **multinomial naive Bayes** (MNB) on $\hat x$;
# * **logistic regression** (LR) on $\hat x$;
# * **NBSVM**: a linear SVM on NB-scaled features $r \circ \hat x$, where the *log-count ratio*
#
# $$p = \alpha + \sum_{i: y_i = 1} \hat x_i, \qquad q = \alpha + \sum_{i: y_i = 0} \hat x_i, \qquad
#   r = \log \frac{p / \lVert p \rVert_1}{q / \lVert q \rVert_1}$$
#
# says how much more often each n-gram appears in positive than in negative reviews.
#
# The full runs (25k / 25k, 1–3-grams, several million features) take minutes and are committed as a benchmark.
# There, rows marked `_tuned` choose their settings on reviews of held-out *movies* from the training set (never on
# the test set): the MNB smoothing and a minimum n-gram frequency, and for LR also the feature weighting — it picks
# tf-idf weights with unit-length rows over plain $\hat x$, which is what takes LR down to the published numbers.
# Here we fit the three models on a balanced subset of 2,000 training reviews and score 2,000 test reviews, with
# unigrams and bigrams and $\hat x$ features.

# %%
vec = ngram_vectorizer((1, 2), min_df=2)
X_tr, X_te = vec.fit_transform([t for t, _ in sub_train]), vec.transform([t for t, _ in sub_test])
y_tr, y_te = np.array([y for _, y in sub_train]), np.array([y for _, y in sub_test])
print(f"{len(sub_train):,} / {len(sub_test):,} reviews, {X_tr.shape[1]:,} uni- and bigram features")
subset_err = {"MNB": error_rate(fit_mnb(X_tr, y_tr), X_te, y_te),
              "LR": error_rate(fit_lr(X_tr, y_tr, C=0.1), X_te, y_te),
              "NBSVM": error_rate(fit_nbsvm(X_tr, y_tr), X_te, y_te)}
for name, err in subset_err.items():
    print(f"  {name:>6}: test error {err:5.2f} %")
assert max(subset_err.values()) - min(subset_err.values()) < 5, "on a small subset the three are close"

r = nb_log_count_ratio(X_tr, y_tr)
names = vec.get_feature_names_out()
print("\nmost positive n-grams by r:", ", ".join(names[np.argsort(-r)[:12]]))
print("most negative n-grams by r:", ", ".join(names[np.argsort(r)[:12]]))

# %% [markdown]
# The ratio $r$ is readable: the top of each list is sentiment vocabulary, plus give-aways such as reviewers
# writing down their score (*8 / 10*). On 2,000 reviews the three models are within a few points of each other (checked above), and
# their order depends on the sample and on settings chosen for the full data. With all 25,000 training reviews an
# NB-scaled linear model (NBSVM or NB-LR) is the best row of the committed benchmark (checked below): the NB
# scaling is a prior about which features matter, and the linear classifier then weighs them against each other.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.nbsvm", "l7.q.binary")

# %% [markdown]
# ## The IMDB table
#
# Many models have published test error rates on IMDB. Here they are, from the papers, next to
# the rows this course reproduces on a CPU: the baselines on the full 25k / 25k data (from the committed
# benchmark), a feed-forward net on the average of the review's word embeddings (the DAN idea of Iyyer et al.
# 2015, from `benchmarks/results/imdb_dan.json`) and two LSTM classifiers (from the shipped checkpoints' JSON
# files, discussed next).

# %%
baselines = read_json(RESULTS / "imdb_baselines.json")
lstm_runs = {k: read_json(CKPT / f"imdb_{k}.json") for k in ("lstm", "lstm_pretrained")}

ours = {}
if baselines:
    ours.update({f"ours: {r['model']} ({r['ngrams']}-grams)": r["test_error_pct"] for r in baselines["results"]})
for k, run in lstm_runs.items():
    if run:
        ours[f"ours: LSTM, {'LM-pretrained' if k == 'lstm_pretrained' else 'random init'}"] = run["test_error_pct"]
dan = read_json(RESULTS / "imdb_dan.json")   # benchmarks/bench_imdb_dan.py: the DAN idea, embeddings from scratch
if dan:
    ours["ours: mean of embeddings -> tanh -> softmax (as the DAN, no GloVe)"] = dan["test_error_pct"]
rows = [(err, name, src) for name, (err, src) in PUBLISHED_IMDB.items()]
rows += [(err, name, "this course, CPU") for name, err in ours.items()]
print(f"{'test error':>10}  model")
for err, name, src in sorted(rows):
    print(f"{err:9.2f} %  {name}  [{src}]")

# %% [markdown]
# Three things stand out. The bag-of-n-grams rows are hard to beat: NBSVM is under 9 % with no neural network at
# all. A plain LSTM classifier is *worse* than them (Dai & Le's 13.5 %), and so is a feed-forward
# net on averaged word vectors (Iyyer et al.'s DAN, 10.6 %; our own run of that idea is the "mean of embeddings"
# row). And every row below 7.5 % learns from unlabelled text first: Paragraph Vectors (7.42 % as published; 11.3 %
# when Mesnil et al. re-ran it with the training data shuffled), Dai & Le, Radford et al., TopicRNN, Johnson &
# Zhang (2016), ULMFiT — and Miyato et al., whose LSTMs all start from a pretrained language model; their
# perturbations come on top of that (the best rows, 5.91–6.21 %).
# The rest of the lecture is about those two ideas: pretraining, and perturbations.

# %%
if baselines:
    full = {r["model"]: r["test_error_pct"] for r in baselines["results"]}
    nb_scaled = {k: v for k, v in full.items() if k.startswith(("nbsvm", "nblr"))}
    plain = {k: v for k, v in full.items() if k not in nb_scaled}
    print(f"full data ({baselines['data']}): best NB-scaled {min(nb_scaled.items(), key=lambda kv: kv[1])}, "
          f"best plain MNB / LR {min(plain.items(), key=lambda kv: kv[1])}")
    assert min(nb_scaled.values()) < min(plain.values()), "an NB-scaled model is the best baseline"
    assert full["nbsvm_bi"] < full["mnb_uni"] and full["nbsvm_bi"] < full["lr_uni"], "NBSVM beats MNB and LR"
    assert max(nb_scaled.values()) < PUBLISHED_IMDB["LSTM (random init, tuned, dropout)"][0], "and the naive LSTM"

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.table", "l7.q.reproduction")

# %% [markdown]
# ## The LSTM classifier, naively
#
# The acceptor of Lecture 3: embed the words, run an LSTM, take the state after the last word as a summary of the
# text, and classify it,
#
# $$\hat y = \operatorname{softmax}\big(\mathrm{MLP}(\mathrm{RNN}(x_{1:n}))\big), \qquad
#   x_{1:n} = E_{[w_1]}, \dots, E_{[w_n]},$$
#
# trained with cross-entropy on the gold label. Dai & Le (2015) report that this is hard to train on IMDB: with
# tuning and dropout they reach 13.5 % error, worse than naive Bayes, and training is unstable. Reasons:
#
# * the supervision is **one bit per review** — a few hundred words produce one label, and a large model can
#   correlate that bit with many spurious patterns;
# * the gradient of that bit has to travel back through hundreds of steps — the **vanishing gradient** of
#   Lecture 4 is mitigated by the LSTM, not abolished.
#
# **Pretraining.** Give the network more to learn from first: train it on a task with abundant (free) targets,
# then use its weights as the starting point. Dai & Le train the same LSTM as a **language model** on the reviews
# (LM-LSTM) or as a **sequence autoencoder** that reads a review and reconstructs it (SA-LSTM), then fine-tune
# embedding and LSTM on the labels with a freshly initialised classifier on top. The error drops from 13.5 % to
# 7.64 % (LM) and 7.24 % (SA). More unlabelled text helps further; their evidence is on the smaller Rotten
# Tomatoes data set, where the SA-LSTM's error is 19.3 % pretrained on that data set's own sentences, 18.6 %
# pretrained on the IMDB reviews and 16.7 % pretrained on 8 M Amazon reviews (Dai & Le 2015).
#
# We ran the same experiment on a CPU (`python -m course_lib.tasks.imdb lstm` and `... lstm_pretrained`): the
# same acceptor reading the end of each review, the same fine-tuning budget, from a random initialisation or from an
# LSTM LM trained on the training reviews (sizes and budgets are printed below).

# %%
have_lstm = all(lstm_runs.values()) and all((CKPT / f"imdb_{k}.pt").exists() for k in lstm_runs)
if have_lstm:
    from course_lib.tasks.imdb import encode_reviews, load_imdb_classifier, predict

    for k, run in lstm_runs.items():
        model, vocab, payload = load_imdb_classifier(CKPT / f"imdb_{k}.pt")
        ex = list(zip(encode_reviews([t for t, _ in lstm_sub], vocab), [y for _, y in lstm_sub]))
        p_pos = predict(model, ex, payload["config"]["max_len"], batch_size=50)
        acc = float(np.mean((p_pos > 0.5) == [y for _, y in lstm_sub]))
        c = payload["config"]
        print(f"{k:>16}: test error {run['test_error_pct']:.2f} % (JSON, {run.get('test_n', '?')} test reviews); "
              f"re-measured {100 * (1 - acc):.1f} % on {len(lstm_sub)}")
        print(f"{'':>16}  embedding {c['embed_dim']}, LSTM {c['hidden_dim']}, last {c['max_len']} tokens; "
              f"{run.get('train_cpu_seconds', 0) / 60:.1f} CPU-minutes of fine-tuning")
    assert lstm_runs["lstm_pretrained"]["test_error_pct"] < lstm_runs["lstm"]["test_error_pct"], "pretraining helps"
    assert min(r["test_error_pct"] for r in lstm_runs.values()) > PUBLISHED_IMDB["LM-LSTM (LM-pretrained)"][0]
else:
    print("the shipped LSTM classifiers are not in this checkout: run `python -m course_lib.tasks.imdb lstm` "
          "and `python -m course_lib.tasks.imdb lstm_pretrained`")

# %%
if have_lstm:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for k, run in lstm_runs.items():
        hist = run["history"]
        ax.plot([h["cpu_total"] / 60 for h in hist], [100 * (1 - h["val_acc"]) for h in hist], marker=".",
                label="LM-pretrained" if k == "lstm_pretrained" else "random init")
    ax.set_xlabel("fine-tuning CPU minutes")
    ax.set_ylabel("validation error (%)")
    ax.set_title("LSTM acceptor on IMDB: random init vs LM pretraining")
    ax.legend()
    fig.tight_layout()

# %% [markdown]
# Pretraining gives the classifier a head start: the LSTM already tracks what a review is talking about, so the
# one bit per review only has to select among features that exist. Our CPU budget is minutes, not days, so both
# our rows are far above the published ones (both checked above); the *gap* between them is the lesson.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.pretraining", "l7.q.naive")

# %% [markdown]
# ## Other ways to give the acceptor more to learn from
#
# Language-model pretraining is one answer to "one bit per review is too little". Goldberg's primer (2016)
# collects others:
#
# * **Pretrained word vectors.** Initialise $E$ from word2vec or GloVe vectors trained on a large external corpus
#   (wide windows give more topical, sentiment-bearing neighbours). Dai & Le's table shows this alone lowers the
#   naive LSTM's IMDB error from 13.50 % to 10.00 %.
# * **Bidirectional and hierarchical acceptors.** Long texts are split into spans (Li et al. 2015 cut sentences at
#   punctuation), each span is encoded by a biRNN, and an RNN acceptor reads the sequence of span vectors; Tang et
#   al. (2015) use the same two-level idea for whole documents (sentences, then the document).
# * **Distant supervision.** Felbo et al. (2017, "DeepMoji") had no sentiment labels at scale, but they had
#   1,246 million tweets containing one of 64 common emojis. Predicting the emoji is a free, noisy stand-in for
#   the affect of the text. Their network — embeddings, two bidirectional LSTM layers, and an attention layer that
#   pools over time and sees every layer through skip connections — was pretrained on that task and then transferred with *chain-thaw*:
#   fine-tune one layer at a time on the target data, then all layers together. It set the state of the art for
#   emotion, sentiment and sarcasm detection; its emoji predictions separate "I love mom's cooking" from "I love
#   how you never reply back..", and "This is shit" from "This is the shit", the way a reader would.
#
# All three trade labelled data for something cheaper. The sentiment neuron is the most extreme version: no
# labels at all until the very last step.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.distant", "l7.q.word_vectors")

# %% [markdown]
# ## The sentiment neuron
#
# Radford, Józefowicz & Sutskever (2017) pushed the pretraining idea to its extreme. They trained a
# **byte-level** language model — it reads UTF-8 bytes, 256 symbols, no tokenizer and no unknown words — on
# 82 million Amazon product reviews (38 GB of text): one epoch, about a million updates, which took one month on
# four GPUs (Adam, learning rate $5\cdot10^{-4}$ decayed linearly to zero, batches of 128 sequences of 256 bytes).
# The model is a single-layer **multiplicative LSTM** (mLSTM, Krause et al. 2016) with 4,096 units. In the mLSTM
# the input chooses the recurrent transition: an intermediate state
#
# $$m_t = (W_{mx} x_t) \odot (W_{mh} h_{t-1})$$
#
# replaces $h_{t-1}$ in every gate of the LSTM ($i_t = \sigma(W_{ix} x_t + W_{im} m_t + b_i)$, and the same for
# $f_t$, $o_t$ and the block input $u_t$; then $c_t = f_t \odot c_{t-1} + i_t \odot u_t$,
# $h_t = o_t \odot \tanh(c_t)$).
#
# Then they read each labelled review with the frozen LM, took the final cell state $c_T \in \mathbb R^{4096}$ as
# features, and fitted an L1-regularised logistic regression. It put almost all its weight on **one unit**. That
# unit alone, with one threshold, gave 7.70 % error on IMDB; all 4,096 units gave 7.12 % — as good as the best
# supervised LSTMs, from a model that never saw a label.

# %%
from course_lib.models.mlstm import MLSTMLM  # noqa: E402

n_paper = mlstm_num_parameters(hidden=4096, embed=64)   # counted from the shapes (tested against MLSTMLM)
small = MLSTMLM(hidden=64, embed=16)
x = torch.tensor([list(b"A fine film.")])
logits, (h_T, c_T), cells = small(x, return_cells=True)
print(f"byte mLSTM with 4,096 units: {n_paper / 1e6:.1f} M parameters ({n_paper * 4 / 2**20:.0f} MiB in float32)")
print(f"a 64-unit one reading {x.shape[1]} bytes: logits {tuple(logits.shape)}, cell states {tuple(cells.shape)}; "
      f"the features of the text are c_T {tuple(c_T.shape)}")

# %% [markdown]
# ### A sentiment unit on a CPU: words, whole reviews, and enough text
#
# We cannot spend a GPU-month, but the recipe can be run at a CPU's scale. The course ships a word-level LSTM
# language model trained on the IMDB training reviews for under an hour of CPU (`python -m course_lib.train
# sentiment_word_lm`, module `course_lib.train.sentiment_words`), and runs the search Radford et al. ran: final
# cell states of labelled reviews, a logistic regression over all units, the unit it leans on most, and the best
# threshold on that one unit. Four choices make a unit emerge in minutes rather than GPU-weeks:
#
# * **Words instead of bytes.** *great*, *waste* and *worst* are single tokens of an 8,000-word vocabulary, so the
#   LM can use the polarity of what it has read to predict them from its first minutes of training.
# * **Whole reviews.** Each training example is one review read from the zero state, with the gradient running
#   back over all of it (full BPTT), which is exactly how a review is read when we look for the unit. (Truncated
#   BPTT over a stream of concatenated reviews carries the *state* across windows but not the *gradient*.)
# * **More text per CPU-minute.** The training steps run under bfloat16 autocast — weights and Adam stay in
#   float32 — which needs markedly less CPU per step on a processor with bfloat16 instructions (measured in
#   `benchmarks/results/word_lm_step.json`).
# * **A little dropout.** 5 % of the embeddings and of the LSTM outputs (never the recurrent state) are zeroed at
#   random while training. Without any, the course's first run began to memorise its 5.6 M tokens after about two
#   CPU-hours and its unit emerged late; with much more, the sentiment spreads over many units (below).
#
# After every chunk of updates the run *probes* its LM: it reads 1,000 held-out training reviews and 1,000 test
# reviews, picks the unit (and sign and threshold) that best separates the held-out reviews, and records that one
# unit's test accuracy. That is the emergence curve below; the dotted line is the course's goal, 80 % accuracy
# (20 % error). The unit appears as the LM gets better, as Radford et al. observed at their scale — and, as in
# their paper, the L1 logistic regression over all units gives this one unit by far the largest weight (printed
# below). It reaches the goal well inside the three-hour budget (error and CPU time are printed below).

# %%
word_record = read_json(CKPT / "sentiment_word_unit.json")
have_word_lm = word_record is not None and (CKPT / "word_lm_imdb.pt").exists()
if have_word_lm:
    from course_lib.train.sentiment import unit_accuracy
    from course_lib.train.sentiment_words import load_word_lm, review_states
    from course_lib.train.sentiment_words import sample_clamped as sample_words

    word_lm, word_vocab, _ = load_word_lm(CKPT / "word_lm_imdb.pt")
    curve = word_record["emergence_curve"]
    cpu_min = [r["cpu_minutes"] for r in curve]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(cpu_min, [100 * r["final_c_one_unit_acc"] for r in curve], "o-", ms=3,
            label="one unit: final cell state $c_T$")
    ax.plot(cpu_min, [100 * r["mean_h_one_unit_acc"] for r in curve], "s-", ms=3,
            label="one unit: hidden state averaged over the review")
    ax.plot(cpu_min, [100 * r["mean_h_all_units_acc"] for r in curve], "--", color="0.5",
            label="all units (logistic regression)")
    ax.axhline(80, color="k", ls=":", lw=1, label="goal: 20 % error")
    ax.set(xlabel="CPU-minutes of LM training", ylabel="IMDB test accuracy (%)", ylim=(45, 95),
           title=f"Emergence of a sentiment unit ({word_record['config']['hidden_dim']}-unit word LSTM LM)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    w_kind = word_record["feature"]                 # the reading whose unit did best on the *training* reviews
    w_feat = word_record["features"][w_kind]
    w_unit, w_sign = word_record["unit"], word_record["sign"]
    reading = {"final_c": "cell state after the last word", "mean_h": "hidden state averaged over the review"}
    print(f"trained {word_record['train_cpu_seconds'] / 60:.0f} CPU-minutes, {word_record['tokens_seen'] / 1e6:.1f} M "
          f"tokens ({word_record['epochs']:.1f} passes over the training reviews); validation perplexity "
          f"{word_record['val_ppl']:.0f}")
    for ds, n in (("imdb", word_record["sizes"]["imdb_test"]), ("sst", word_record["sizes"]["sst_test"])):
        one, allu = w_feat["one_unit"][ds], w_feat["all_units"][ds]
        print(f"  {ds:>4} test ({n:,} texts): unit {w_unit} ({reading[w_kind]}) alone "
              f"{100 * (1 - one['test_accuracy']):5.2f} % error; all {word_lm.lm.hidden_dim} units (L1 LR) "
              f"{100 * (1 - allu['test_accuracy']):5.2f} %")
    top = w_feat["all_units"]["imdb"]["top_units_by_l1_weight"]
    print("largest |weights| of the L1 model on IMDB: " + ", ".join(f"unit {u}: {w:+.2f}" for u, w in top[:3]))
    one_unit_error = 100 * (1 - w_feat["one_unit"]["imdb"]["test_accuracy"])
    # the text above says "reaches the goal well inside the budget"
    assert top[0][0] == w_unit and one_unit_error <= 20 and word_record["train_cpu_seconds"] < 120 * 60, \
        "this section's text describes another outcome: update it"
else:
    print("the shipped word LM is not in this checkout: run `python -m course_lib.train sentiment_word_lm`")

# %% [markdown]
# **What else was tried.** Each variant below is the same recipe with one change, stopped by hand once it was
# clear where it was heading; its probe is set beside the shipped run's probe at about the same CPU time (all from
# the committed `benchmarks/results/train_sentiment_word_lm.json`). The bfloat16 row was only a check, over one
# chunk, that training in bfloat16 from the start works; the shipped run uses it. None of the other changes
# helped. Strong dropout from the start is the instructive one: its LM was at least as good as the shipped run's at the same CPU time (validation
# perplexity in the table), yet its best single unit stayed well behind while all units together did about as
# well. Dropping a unit's output at random teaches the LM not to rely on any one unit, so the sentiment it learns
# is spread over many — the opposite of what a one-unit classifier needs. That is why the shipped run uses only a
# little. The runs shipped before it (no dropout; then dropout 0.1 added after two CPU-hours) reached 24.82 % and
# 21.28 % error after 117 and 177 CPU-minutes; their records are rows of the same benchmark file.

# %%
bench = read_json(RESULTS / "train_sentiment_word_lm.json")
if bench is not None:
    ship_curve = bench[f"emergence_curve_{bench['runs'][0]['run']}"]
    print(f"{'variant':<44} {'CPU-min':>7} {'LM ppl':>6}  one unit (c_T / mean h)   all units")
    for row in [r for r in bench["runs"][1:] if "note" in r]:           # the variants stopped by hand
        same = min(ship_curve, key=lambda c: abs(c["cpu_min"] - row["cpu_minutes"]))
        print(f"{row['change']:<44} {row['cpu_minutes']:>7.1f} {row['val_ppl']:>6.1f}  "
              f"{100 * row['probe_c_T_one_unit_acc']:5.1f} / {100 * row['probe_mean_h_one_unit_acc']:5.1f} %          "
              f"{100 * row['probe_all_units_acc']:5.1f} %")
        print(f"{'   the shipped run at the same point':<44} {same['cpu_min']:>7.1f} {np.exp(same['val_loss']):>6.1f}  "
              f"{100 * same['c_T_one_unit_acc']:5.1f} / {100 * same['mean_h_one_unit_acc']:5.1f} %          "
              f"{100 * same['all_units_acc_mean_h']:5.1f} %")

# %% [markdown]
# Re-measured here, with the recorded unit and threshold, on the 200 test reviews the LSTM classifiers used above
# (same tokens as the word LM's training: lower-cased words and punctuation, the last 400 of each review):

# %%
if have_word_lm:
    def word_rows(rows):
        return [(word_vocab.encode(tokenize(t)), y) for t, y in rows]

    wv = review_states(word_lm, word_rows(lstm_sub), max_len=word_record["imdb_max_len"])[w_kind][:, w_unit]
    wy = np.array([y for _, y in lstm_sub])
    print(f"unit {w_unit}, sign {w_sign:+.0f}: {100 * unit_accuracy(wv, wy, w_sign, word_record['threshold_imdb']):.1f} % "
          f"accuracy on these {len(wy)} reviews (all 25,000: {100 * w_feat['one_unit']['imdb']['test_accuracy']:.1f} %)")
    fig, ax = plt.subplots(figsize=(6, 3.4))
    draw_class_histogram(ax, wv, wy, threshold=w_sign * word_record["threshold_imdb"])
    ax.set(xlabel=f"unit {w_unit}: {reading[w_kind]}", title="Our word LM's sentiment unit on IMDB test reviews")
    fig.tight_layout()

# %% [markdown]
# And the switch: the same sampling with the unit clamped at the two ends of its range over the training reviews
# (its 1st and 99th percentiles), the same random numbers for both. Which end reads positive follows the unit's
# sign: for a unit with sign −1 the *positive* clamp is its 1st percentile, a negative number.

# %%
if have_word_lm:
    gen_w, clamped = word_record["generation"], {}
    for polarity in ("positive", "negative"):
        value = gen_w[f"clamp_{polarity}"]
        clamped[polarity] = sample_words(word_lm, word_vocab, gen_w["prompt"], 40, {w_unit: value},
                                         temperature=0.8, seed=0)
        print(f"--- unit {w_unit} clamped to {value:+.2f} ({polarity}):\n{gen_w['prompt']} {clamped[polarity]}\n")
    first_words = {k: v.split()[:2] for k, v in clamped.items()}
    print("first words after the prompt:", first_words)
    assert first_words["positive"] != first_words["negative"], "the clamp no longer steers the verdict: update the text"

# %% [markdown]
# Same random numbers, same prompt: only the clamped unit differs, and the verdict word that follows "this movie
# is" flips with it (checked above). Where the samples wander off the topic, the LM itself is the limit: a
# 512-unit LSTM trained for CPU-minutes on 5.6 M tokens (its perplexity is printed above).
#
# **Try it.** The view below is live in JupyterLab: the histogram of unit 151's final value on 40 of the test
# reviews above, with the threshold of the recorded rule; a review shaded word by word by what the unit reads at
# that point (red: positive side of the threshold, blue: negative), so you can see where it changes its mind; and
# the generator, with a slider for the clamp value and the same random numbers for every value. Run headless (as
# in the course's tests) it is a static figure with the same content.

# %%
if have_word_lm:
    from IPython.display import display

    from course_lib.widgets.word_sentiment import word_sentiment_view

    view = word_sentiment_view(word_lm, word_vocab, word_record, [t for t, _ in lstm_sub[:40]], wy[:40])
    display(view)

# %% [markdown]
# ### An aside: the byte-level LM that did not get there
#
# The course also ships a byte-level LSTM LM trained the way Radford et al. trained theirs — a stream of bytes,
# truncated BPTT — for CPU-minutes on the same IMDB reviews (`python -m course_lib.train sentiment_lm`), with the
# same search for a unit. It is here for honesty, because it failed: its best unit is at chance, and clamping it
# changes nothing (both measured below, from its record and from two samples). Radford et al. observed that the
# sentiment unit appears only once the LM is good: sentiment helps to predict the next byte, but only after
# spelling, words and phrases are learned, and a byte LM trained for minutes has not learned them. The word LM
# above skips spelling, reads whole reviews and trains longer; that is what got it a unit.

# %%
unit_record = read_json(CKPT / "sentiment_unit.json")
if unit_record is not None and (CKPT / "byte_lm_imdb.pt").exists():
    from course_lib.checkpoints import load_shipped
    from course_lib.train.sentiment import sample_clamped

    byte_lm, info = load_shipped("byte_lm_imdb", CKPT)
    b_unit, b_best = unit_record["unit"], unit_record["features"]["final_c"]
    b_err = {ds: 100 * (1 - b_best["one_unit"][ds]["test_accuracy"]) for ds in ("imdb", "sst")}
    print(f"byte LM: {byte_lm.num_layers} layer(s) x {byte_lm.hidden_dim} LSTM units; best unit {b_unit}: "
          f"IMDB test error {b_err['imdb']:.1f} %, SST-2 {b_err['sst']:.1f} % (chance: 50 %); all units (L1 LR) "
          f"IMDB {100 * (1 - b_best['all_units']['imdb']['test_accuracy']):.1f} %")
    b_gen = unit_record["generation"]
    b_samples = {pol: sample_clamped(byte_lm, "This movie", 120, {b_unit: b_gen[f"clamp_{pol}"]}, temperature=0.8,
                                     seed=0) for pol in ("positive", "negative")}
    same = next((i for i, (u, v) in enumerate(zip(*b_samples.values())) if u != v), len(b_samples["positive"]))
    print(f"clamped to {b_gen['clamp_positive']:+.2f} and to {b_gen['clamp_negative']:+.2f}, same random numbers: "
          f"the two samples agree on their first {same} of {len(b_samples['positive'])} characters")
    print(f"This movie{b_samples['positive']}")
    assert b_err["imdb"] > 40, "the byte LM's unit is no longer at chance: this aside describes another model"
    del byte_lm
else:
    print("the shipped byte LM is not in this checkout: run `python -m course_lib.train sentiment_lm`")

# %% [markdown]
# ### The real thing: unit 2388 of the released model
#
# Radford et al. published their trained model: 15 NumPy arrays, about 345 MB, in the repository
# `openai/generating-reviews-discovering-sentiment` (MIT licence). `course_lib.pretrained` fetches them (checked
# against the git blob ids the repository pins), converts them into the course's `MLSTMLM` — their code packs the
# gates `[i, f, o, u]` and weight-normalises four matrices; ours does neither, so the conversion folds the norms in
# and reorders the gates — and reads a review as their `encoder.py` does: the cell state after the last byte.
# Their sentiment unit is number 2388 of that state.
#
# The next cell downloads the weights the first time it runs (a minute or so; cached afterwards) and then reads
# 20 training and 40 of the test reviews from above — each cut to its last 200 bytes, because a 4096-unit model
# reads only a few hundred bytes per second on a shared CPU (about half a minute for these 60). Without a network, or with `COURSE_DATA_OFFLINE=1` (as in
# the course's own tests), it says so and the lecture goes on.

# %%
from course_lib.data.registry import DatasetUnavailable  # noqa: E402
from course_lib.models.mlstm import decode_bytes  # noqa: E402
from course_lib.pretrained import RADFORD_SENTIMENT_UNIT, final_cell_states, load_radford_mlstm  # noqa: E402

try:
    radford = load_radford_mlstm(progressbar=True)
except (DatasetUnavailable, OSError) as err:  # offline, no network, or a failed download (reported, not cached)
    radford = None
    print(f"Radford et al.'s weights are not available here ({type(err).__name__}: {err}). With internet access "
          "(Binder has it) this cell downloads them once, about 345 MB.")

if radford is not None:
    from course_lib.train.sentiment import fit_threshold, unit_accuracy

    U = RADFORD_SENTIMENT_UNIT
    fit_rows, test_rows = sub_train[:20], imdb_sub[:40]
    v_fit = final_cell_states(radford, [t for t, _ in fit_rows], max_bytes=200)[:, U]
    v_test = final_cell_states(radford, [t for t, _ in test_rows], max_bytes=200)[:, U]
    y_fit, y_test = np.array([y for _, y in fit_rows]), np.array([y for _, y in test_rows])
    thr = fit_threshold(v_fit, y_fit, +1.0)
    print(f"unit {U}, threshold {thr:+.3f} fitted on {len(fit_rows)} training reviews: "
          f"{100 * unit_accuracy(v_test, y_test, +1.0, thr):.1f} % accuracy on {len(y_test)} test reviews "
          f"(last 200 bytes each; paper, whole reviews and 25,000 of them: "
          f"{100 - PUBLISHED_IMDB['byte mLSTM, one sentiment unit'][0]:.2f} %)")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    bins = np.linspace(min(v_test.min(), v_fit.min()), max(v_test.max(), v_fit.max()), 25)
    ax.hist(v_test[y_test == 0], bins=bins, alpha=0.6, color="C3", label="negative reviews")
    ax.hist(v_test[y_test == 1], bins=bins, alpha=0.6, color="C2", label="positive reviews")
    ax.axvline(thr, color="k", ls="--", label="threshold")
    ax.set(xlabel=f"unit {U}: cell state after the last byte", ylabel="reviews",
           title="Radford et al.'s sentiment unit on IMDB test reviews")
    ax.legend(fontsize=8)
    fig.tight_layout()
    for value in (float(np.percentile(v_fit, 99)), float(np.percentile(v_fit, 1))):
        ids = radford.sample("This movie", 120, temperature=0.8, clamp={U: value},
                             generator=torch.Generator().manual_seed(0))
        print(f"--- unit {U} clamped to {value:+.2f}:\nThis movie{decode_bytes(ids)}\n")
    del radford  # 345 MB back to the student's 2 GB

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.neuron", "l7.q.dropout_spread", "l7.q.clamp_sign")

# %% [markdown]
# ## Adversarial perturbations of word embeddings
#
# Miyato, Dai & Goodfellow (2017) got one of the best results of the table (5.91 %) with a regulariser: the
# model should give the same answer for inputs *near* a training example. For an image "near" means changed
# pixels; for text, whose tokens are discrete, they perturb the **word embeddings** $s$ instead. Of all
# perturbations of norm at most $\epsilon$, the most damaging one is
#
# $$r_{\text{adv}} = \operatorname*{argmin}_{r,\ \lVert r \rVert \le \epsilon} \log p(y \mid s + r;\ \hat\theta),$$
#
# too expensive to find exactly; linearising the log-likelihood around $s$ gives the gradient direction
#
# $$r_{\text{adv}} = -\epsilon\, g / \lVert g \rVert_2, \qquad g = \nabla_s \log p(y \mid s;\ \hat\theta),$$
#
# one extra backward pass. **Adversarial training** adds the loss at the perturbed point,
#
# $$L_{\text{adv}}(\theta) = -\frac{1}{N} \sum_{n=1}^{N} \log p(y_n \mid s_n + r_{\text{adv},n};\ \theta).$$
#
# Because a model could shrink the effect of any fixed $\epsilon$ by making its embeddings large, the embeddings
# are first standardised with word frequencies $f_j$:
# $\bar v_k = (v_k - \mathbb E(v)) / \sqrt{\operatorname{Var}(v)}$ with $\mathbb E(v) = \sum_j f_j v_j$ and
# $\operatorname{Var}(v) = \sum_j f_j (v_j - \mathbb E(v))^2$. (The *virtual* adversarial variant uses the model's
# own predicted distribution instead of $y$, so it works on unlabelled text too.)
#
# We try it on a model that trains in seconds: the mean of (standardised) word embeddings, a tanh layer and a
# softmax, on the same 2,000 IMDB training reviews. Each review is the *set* of its words (the unigram columns of
# the binary matrix above, words in at least 3 training reviews), so nothing is tokenised twice.

# %%
df = np.asarray(X_tr.sum(axis=0)).ravel()
keep = np.flatnonzero([(" " not in n) and d >= 3 for n, d in zip(names, df)])   # unigrams in >= 3 reviews
x_tr, m_tr = sparse_rows_to_padded(X_tr[:, keep])                        # id j + 1 for column j, 0 = padding
x_te, m_te = sparse_rows_to_padded(X_te[:600, keep])                     # 600 test reviews: memory stays small
yt_tr, yt_te = torch.tensor(y_tr), torch.tensor(y_te[:600])
freq = torch.tensor(np.concatenate([[0.0], df[keep]]), dtype=torch.float32)   # f_j: document frequencies

EPS, EPOCHS, LR = 1.0, 10, 2e-2   # the perturbation norm (per review) used to train and to attack


def train_and_track(adv_eps: float):
    """The bag model trained from the same start; after every epoch its clean test error and its test error
    when every review is moved by its own r_adv of norm EPS (both in %)."""
    torch.manual_seed(0)
    model = BagOfEmbeddings(len(keep) + 1, embed_dim=16, hidden=16, freq=freq)
    track = []
    train_bag(model, x_tr, m_tr, yt_tr, epochs=EPOCHS, lr=LR, adv_eps=adv_eps,
              on_epoch=lambda e, m: track.append((e, 100 * (1 - accuracy(m, x_te, m_te, yt_te)),
                                                  100 * (1 - accuracy_under_attack(m, x_te, m_te, yt_te, EPS)))))
    return model, track


bag, track_std = train_and_track(0.0)
print(f"vocabulary {len(keep):,} words, up to {x_tr.shape[1]} per review; {EPOCHS} epochs on {len(yt_tr):,} reviews")
print(f"test error {track_std[-1][1]:.2f} % on {len(yt_te):,} test reviews (epoch by epoch: "
      f"{[round(t[1], 1) for t in track_std]})")
assert track_std[-1][1] < 25, "the model should learn something real before we attack it"

# %% [markdown]
# Now perturb the test reviews' embeddings, each by a vector of norm $\epsilon$ — once in the adversarial direction,
# once in a random direction — and compare the loss.

# %%
eps_grid = [0.0, 0.5, 1.0, 2.0, 4.0]
gen_r = torch.Generator().manual_seed(0)
loss_adv, loss_rnd = [], []
for eps in eps_grid:
    r_adv = adversarial_perturbation(bag, x_te, m_te, yt_te, eps)
    r_rnd = random_perturbation(r_adv.shape, m_te, eps, gen_r)
    loss_adv.append(perturbed_loss(bag, x_te, m_te, yt_te, r_adv))
    loss_rnd.append(perturbed_loss(bag, x_te, m_te, yt_te, r_rnd))
    print(f"eps = {eps:4.1f}: test loss with adversarial perturbation {loss_adv[-1]:.3f}, "
          f"with random perturbation {loss_rnd[-1]:.3f}")
assert all(a > b for a, b in zip(loss_adv[1:], loss_rnd[1:])), "the gradient direction hurts more than a random one"

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(eps_grid, loss_adv, marker="o", label="adversarial direction $\\epsilon g/\\|g\\|$")
ax.plot(eps_grid, loss_rnd, marker="s", label="random direction, same norm")
ax.set_xlabel("perturbation norm $\\epsilon$ (per review, standardised embeddings)")
ax.set_ylabel("test cross-entropy")
ax.set_title("Perturbing the word embeddings of IMDB reviews")
ax.legend()
fig.tight_layout()

# %% [markdown]
# A random direction of the same size barely matters — in a space of thousands of dimensions it is almost
# orthogonal to anything the model cares about — while the gradient direction raises the loss quickly. That is why
# Miyato et al. found that training with random perturbations gains little over their baseline, and adversarial
# training much more (the three rows are in the table above).
#
# Now adversarial training of the same model, from the same initialisation, with the same number of epochs:
# each batch's loss is $L + L_{\text{adv}}$ with $\epsilon = 1$. We measure robustness as an **error rate under
# attack** — every test review moved by its own $r_{\text{adv}}$ of norm $\epsilon$ — rather than as a loss,
# because a loss also falls when a model merely becomes less confident.

# %%
bag_adv, track_adv = train_and_track(EPS)
print(f"{'epoch':>5}  {'standard: clean / under attack':>31}  {'adversarial: clean / under attack':>34}")
for (e, c_s, a_s), (_, c_a, a_a) in zip(track_std, track_adv):
    print(f"{e:>5}  {c_s:>14.1f} % / {a_s:5.1f} %  {c_a:>17.1f} % / {a_a:5.1f} %")
final = {"standard": track_std[-1], "adversarial": track_adv[-1]}
if not REAL_DATA:
    print("(the small offline sample: the claims below are about the real IMDB reviews and are not checked here)")
assert not REAL_DATA or (final["adversarial"][1] < final["standard"][1]
                         and final["adversarial"][2] < final["standard"][2] - 3), \
    "adversarial training should end more accurate and more robust: update the text"

# robustness at equal clean accuracy: each adversarial epoch (past chance) beside the standard epoch closest to it
# in clean error, where that is within one point
pairs = []
for a_ in (t for t in track_adv if t[1] < 45):
    s_ = min(track_std, key=lambda t: abs(t[1] - a_[1]))
    if abs(s_[1] - a_[1]) <= 1.0:
        pairs.append((s_, a_))
for s_, a_ in pairs:
    print(f"clean error {s_[1]:.1f} % (standard, epoch {s_[0]}) vs {a_[1]:.1f} % (adversarial, epoch {a_[0]}): "
          f"under attack {s_[2]:.1f} % vs {a_[2]:.1f} %")
assert not REAL_DATA or (pairs and all(a_[2] < s_[2] for s_, a_ in pairs)), \
    "at equal clean accuracy the adversarial run is more robust"
assert not REAL_DATA or max(s_[2] - a_[2] for s_, a_ in pairs) < final["standard"][2] - final["adversarial"][2], \
    "the text says the gap at equal clean error is smaller than between the final models"

fig, ax = plt.subplots(figsize=(6, 3.4))
for name, track, mk in (("standard", track_std, "o"), ("adversarial", track_adv, "s")):
    ok = [t for t in track if t[1] < 45]
    ax.plot([t[1] for t in ok], [t[2] for t in ok], marker=mk, label=f"{name} training (one point per epoch)")
ax.set(xlabel="clean test error (%)", ylabel=f"test error under attack, eps = {EPS:g} (%)",
       title="Robustness against clean accuracy")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Read the table and the figure together (all numbers measured above). With the same model, data and budget,
# adversarial training ends both more accurate on clean reviews and clearly harder to push around: fewer reviews
# flip when attacked with perturbations of the size it was trained against. Part of that robustness simply comes
# with accuracy — a model that is right by a wider margin needs a bigger push — so the fair comparison is at
# *equal* clean error: the printed pairs of epochs with clean errors within a point of each other. There the
# adversarially trained model still flips fewer reviews, but the gap is smaller than between the two final models.
# Miyato et al.'s gain (7.39 % → 6.21 % with adversarial, 5.91 % with virtual adversarial training) came on top of
# a pretrained LSTM, a tuned $\epsilon$ and the full data set; for a small bag-of-embeddings model on 2,000
# reviews it acts as a regulariser, one among many.

# %% [markdown]
# **Check your understanding.** Pick an answer and press *Check*; *Show solution* explains it.

# %%
ask("l7.q.adversarial", "l7.q.random_dir")

# %% [markdown]
# ## Summary
#
# * An RNN acceptor reads a text and classifies its final state; on long reviews the naive version trains poorly
#   and loses to binarised bag-of-n-gram baselines such as NBSVM.
# * Pretraining the LSTM as a language model (or autoencoder) on unlabelled text, then fine-tuning, fixes that
#   (Dai & Le 2015).
# * A byte-level mLSTM LM trained on 82 M reviews learned a single unit that tracks sentiment: a one-unit,
#   one-threshold classifier and a handle for controlled generation (Radford et al. 2017).
# * Perturbing word embeddings in the gradient direction is far more damaging than random noise; training against
#   it regularises (Miyato et al. 2017).

# %% [markdown]
# ## Exercises (they check themselves)
#
# Replace each `None` with your answer and re-run the cell. The expected answers live in `course_lib`, not
# here; a wrong answer gets a hint, and `solution("key")` prints the worked solution when you want it.
#
# **1.** In 1,000 positive and 1,000 negative reviews, the bigram *"not bad"* occurs in 60 positive and 20
# negative ones. With $\alpha = 1$ and, for simplicity, $\lVert p \rVert_1 = \lVert q \rVert_1$, what is its
# log-count ratio $r$?

# %%
answer_1 = None
check("l7.log_count_ratio", answer_1)

# %% [markdown]
# **2.** Radford et al.'s single unit has 7.70 % test error on IMDB's 25,000 test reviews. How many test reviews
# does it get wrong?

# %%
answer_2 = None
check("l7.misclassified", answer_2)

# %% [markdown]
# **3.** The gradient of the loss with respect to a (two-word, two-dimensional) embedded input is
# $g = [[3, 0], [0, 4]]$. What is $r_{\text{adv}}$ for $\epsilon = 1$, as a 2×2 array? (Here $g$ is already the
# gradient of the *loss*, so $r_{\text{adv}} = +\epsilon g / \lVert g \rVert_2$.)

# %%
answer_3 = None
check("l7.r_adv", answer_3)

# %% [markdown]
# **4.** How many of the 4,096-unit mLSTM's parameters sit in the recurrent matrices $W_{mh}$ (H×H) and
# $W_m$ (4H×H) together? (Check your reasoning on `small.cell`: `small.cell.weight_mh.shape`, ...)

# %%
answer_4 = None
check("l7.mlstm_recurrent", answer_4)

# %% [markdown]
# **5.** (Open.) Find a test review that unit 151 gets wrong: drag the review slider of the word LM's view above
# until the title's "read as" disagrees with the label, and read it. Is it sarcasm, negation, a contrast (*but*),
# or a weak language model? The shading shows where the unit changes its mind (with `word_unit_trace` from
# `course_lib.widgets.word_sentiment` you can trace any text of your own).
#
# *Previous:* [Lecture 6 — sequence labelling](06_sequence_labelling.py). This is the last lecture of the course.
