"""The shipped sequence-labelling checkpoints (data/checkpoints/{upos,ner}_*.pt) and the task helpers behind them.

Each checkpoint is loaded and re-measured on the first 500 test sentences (seconds on one core); the number must
match the one its JSON recorded at training time, and clear a quality floor well above a trivial tagger.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.data import UNER_TAGS, UPOS_TAGS, WNUT_TAGS, load_ud_pos, load_uner, load_wnut17
from course_lib.metrics import span_prf, token_accuracy
from course_lib.tasks import tagging

CKPT = Path(__file__).resolve().parents[1] / "data" / "checkpoints"
# name -> (metric, floor on the first 500 test sentences, tag set)
SHIPPED = {
    "upos_softmax": ("accuracy", 0.93, UPOS_TAGS),
    "upos_crf": ("accuracy", 0.93, UPOS_TAGS),
    "ner_crf": ("f1", 0.50, UNER_TAGS),
    "ner_wnut_crf": ("f1", 0.10, WNUT_TAGS),
}
MAIN = ("upos_softmax", "upos_crf", "ner_crf")   # the three the 8 MB budget is about


@pytest.fixture(scope="module")
def test_sets(data_mirror):
    return {"ud_pos": load_ud_pos("test")[:500], "uner": load_uner("test")[:500], "wnut17": load_wnut17("test")[:500]}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_checkpoint_reproduces_its_recorded_quality(name, test_sets):
    metric, floor, tagset = SHIPPED[name]
    report = json.loads((CKPT / f"{name}.json").read_text())
    model, vocabs, payload = tagging.load_tagger(CKPT / f"{name}.pt")
    assert payload["config"]["metric"] == metric and tuple(vocabs["tags"].itos) == tagset
    assert report["seed"] == payload["meta"]["seed"] and report["command"].startswith("python -m course_lib")
    assert report["train_cpu_seconds"] > 0 and report["train_wall_seconds"] > 0
    sents = test_sets[payload["config"]["data"]]
    pred = tagging.predict_tags(model, vocabs, [ws for ws, _ in sents])
    gold = [ts for _, ts in sents]
    score = token_accuracy(gold, pred) if metric == "accuracy" else span_prf(gold, pred)["f1"]
    assert score == pytest.approx(report["test_first500"][metric], abs=2e-3)
    assert score > floor


def test_shipped_checkpoints_are_small_and_half_precision():
    files = [CKPT / f"{name}.pt" for name in MAIN]
    assert sum(f.stat().st_size for f in files) <= 8.5e6
    payload = torch.load(files[0], map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float16 for v in payload["model"].values() if v.is_floating_point())


def test_upos_report_has_error_analysis_that_adds_up():
    report = json.loads((CKPT / "upos_crf.json").read_text())
    ea = report["test_error_analysis"]
    by = ea["by_type"]
    assert sum(v["n_tokens"] for v in by.values()) == ea["n_tokens"] == 25094
    mixed = sum(v["accuracy"] * v["n_tokens"] for v in by.values()) / ea["n_tokens"]
    assert mixed == pytest.approx(report["test"]["accuracy"], abs=1e-9)
    assert by["oov"]["accuracy"] < by["unambiguous"]["accuracy"]      # unseen words are the hard part


def test_normalize_and_char_window():
    assert tagging.normalize_word("Feb-2004") == "feb-0000"
    long = "antidisestablishmentarianism"
    assert tagging.word_chars(long) == long[:10] + long[-10:] and tagging.word_chars("cat") == "cat"


def test_encode_and_collate_shapes_and_padding():
    train = [(["The", "cat", "sat"], ["DET", "NOUN", "VERB"]), (["The", "dog"], ["DET", "NOUN"])]
    vocabs = tagging.build_vocabs(train, UPOS_TAGS, min_count=2)
    assert "the" in vocabs["words"] and "cat" not in vocabs["words"]            # seen once: <unk>
    assert vocabs["chars"].itos[0] == "<pad>"                                    # CharEncoder pads with 0
    enc = tagging.encode([(["the", "Zebra"], ["DET", "NOUN"]), (["A"], ["DET"])], vocabs)
    words, chars, tags, mask = tagging.collate(enc)
    assert words.shape == tags.shape == mask.shape == (2, 2) and chars.shape == (2, 2, 5)
    assert words[0].tolist() == [vocabs["words"].index("the"), vocabs["words"].unk_id]
    assert mask.tolist() == [[True, True], [True, False]] and chars[1, 1].abs().sum() == 0
    assert tags[0].tolist() == [UPOS_TAGS.index("DET"), UPOS_TAGS.index("NOUN")]


def test_predict_tags_keeps_input_order_and_lengths():
    model, vocabs, _ = tagging.load_tagger(CKPT / "upos_softmax.pt")
    sents = [["I", "can", "see", "the", "can", "."], ["Go", "!"], ["The", "back", "door"]]
    pred = tagging.predict_tags(model, vocabs, sents)
    assert [len(p) for p in pred] == [6, 2, 3]
    assert pred[0][3] == "DET" and pred[0][5] == "PUNCT" and pred[1][1] == "PUNCT"
    assert pred == [tagging.predict_tags(model, vocabs, [s])[0] for s in sents]   # batching changes nothing


def test_cli_rejects_unknown_task():
    with pytest.raises(SystemExit):
        tagging.main(["pos_hmm"])


def test_word_dropout_rate_follows_the_count():
    """Kiperwasser & Goldberg's word dropout: a word seen c times becomes <unk> with probability alpha / (c + alpha);
    padding, <unk> itself, the characters, the tags and the mask are untouched."""
    sents = [(["the"] * 9 + ["cat"], ["DET"] * 9 + ["NOUN"]), (["cat", "sat"], ["NOUN", "VERB"])]
    vocabs = tagging.build_vocabs(sents, UPOS_TAGS, min_count=1)
    words = vocabs["words"]
    keep = tagging.word_keep_probabilities(sents, words, alpha=1.0)
    assert keep[words.index("the")] == pytest.approx(9 / 10) and keep[words.index("cat")] == pytest.approx(2 / 3)
    assert keep[words.index("sat")] == pytest.approx(1 / 2) and keep[words.pad_id] == keep[words.unk_id] == 1.0
    assert tagging.word_keep_probabilities(sents, words, alpha=0.0) is None
    batch = tagging.collate(tagging.encode(sents * 2000, vocabs))
    out = tagging.drop_words(batch, keep, words.unk_id, np.random.default_rng(0))
    w0, w1 = batch[0], out[0]
    for word, p_keep in (("the", 0.9), ("cat", 2 / 3), ("sat", 0.5)):
        at = w0 == words.index(word)
        assert (w1[at] == words.index(word)).float().mean().item() == pytest.approx(p_keep, abs=0.02)
        assert set(w1[at].unique().tolist()) <= {words.index(word), words.unk_id}
    assert (w1[w0 == words.pad_id] == words.pad_id).all()
    assert all(torch.equal(a, b) for a, b in zip(batch[1:], out[1:]))
