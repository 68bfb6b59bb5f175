"""course_lib.metrics: token accuracy, conlleval span P/R/F1 (hand-made cases), tagging error analysis."""

import pytest

from course_lib.metrics import iob_spans, span_prf, tagging_error_analysis, token_accuracy


def test_token_accuracy_counts_tokens_not_sentences():
    gold = [["A", "B", "C"], ["D"]]
    pred = [["A", "X", "C"], ["X"]]
    assert token_accuracy(gold, pred) == pytest.approx(2 / 4)   # per sentence it would be (2/3 + 0) / 2
    assert token_accuracy(gold, gold) == 1.0


def test_token_accuracy_rejects_misaligned_input():
    with pytest.raises(ValueError, match="sentence 0"):
        token_accuracy([["A", "B"]], [["A"]])
    with pytest.raises(ValueError, match="same number of sentences"):
        token_accuracy([["A"]], [])


@pytest.mark.parametrize("tags, spans", [
    (["O", "O"], []),
    (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
    # conlleval: I-X after O opens a chunk (it is not dropped)
    (["O", "I-PER", "I-PER", "O"], [("PER", 1, 3)]),
    # I-X after a chunk of another type opens a new chunk
    (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 1), ("LOC", 1, 3)]),
    # B-X right after X closes the old chunk and opens a new one
    (["B-ORG", "I-ORG", "B-ORG"], [("ORG", 0, 2), ("ORG", 2, 3)]),
    # a chunk running to the end of the sentence; multi-character types (WNUT)
    (["O", "B-creative-work", "I-creative-work"], [("creative-work", 1, 3)]),
    # sentence-initial I-
    (["I-LOC"], [("LOC", 0, 1)]),
])
def test_iob_spans_reads_like_conlleval(tags, spans):
    assert iob_spans(tags) == spans


def test_span_prf_exact_match_only():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    # PER boundary wrong (partial credit is none), LOC right, ORG typed as LOC, one spurious PER
    pred = [["B-PER", "O", "O", "B-LOC", "B-PER", "B-LOC"]]
    r = span_prf(gold, pred)
    assert (r["correct"], r["predicted"], r["gold"]) == (1, 4, 3)
    assert r["precision"] == pytest.approx(1 / 4)
    assert r["recall"] == pytest.approx(1 / 3)
    assert r["f1"] == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))
    assert r["per_type"]["LOC"]["precision"] == pytest.approx(1 / 2)
    assert r["per_type"]["LOC"]["recall"] == 1.0
    assert r["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "correct": 0, "predicted": 0,
                                    "gold": 1}


def test_span_prf_i_after_o_counts_as_a_predicted_entity():
    # conlleval scores "O I-PER" as a PER chunk: it matches a gold B-PER at that position
    r = span_prf([["O", "B-PER", "O"]], [["O", "I-PER", "O"]])
    assert r["f1"] == 1.0
    # ... and an I- continuing a chunk of the wrong type is a separate chunk, so both are wrong here
    r = span_prf([["B-ORG", "I-ORG"]], [["B-PER", "I-ORG"]])
    assert (r["correct"], r["predicted"], r["gold"]) == (0, 2, 1)


def test_span_prf_spans_are_per_sentence():
    # the same (type, start, end) in two different sentences are two entities
    gold = [["B-PER"], ["B-PER"]]
    r = span_prf(gold, [["B-PER"], ["O"]])
    assert (r["correct"], r["predicted"], r["gold"]) == (1, 1, 2)
    assert r["precision"] == 1.0 and r["recall"] == 0.5


def test_span_prf_empty_prediction_scores_zero():
    r = span_prf([["B-PER", "O"]], [["O", "O"]])
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["f1"] == 0.0


def test_tagging_error_analysis_classes_and_confusions():
    train = [(["the", "back", "door"], ["DET", "ADJ", "NOUN"]), (["my", "back"], ["PRON", "NOUN"])]
    words = [["the", "back", "zebra", "door"]]
    gold = [["DET", "NOUN", "NOUN", "NOUN"]]
    pred = [["DET", "ADJ", "PROPN", "NOUN"]]
    r = tagging_error_analysis(train, words, gold, pred)
    assert r["n_tokens"] == 4 and r["accuracy"] == 0.5
    assert r["by_type"]["ambiguous"] == {"accuracy": 0.0, "n_tokens": 1}       # back: ADJ and NOUN in training
    assert r["by_type"]["unambiguous"] == {"accuracy": 1.0, "n_tokens": 2}     # the, door
    assert r["by_type"]["oov"] == {"accuracy": 0.0, "n_tokens": 1}             # zebra
    assert sorted(r["confusions"]) == [("NOUN", "ADJ", 1), ("NOUN", "PROPN", 1)]


def test_tagging_error_analysis_top_and_case():
    train = [(["The"], ["DET"])]
    words = [["the", "the", "the", "x"]]
    gold = [["DET", "DET", "DET", "X"]]
    pred = [["PRON", "PRON", "DET", "NOUN"]]
    r = tagging_error_analysis(train, words, gold, pred, top=1)
    assert r["confusions"] == [("DET", "PRON", 2)]
    assert r["by_type"]["oov"]["n_tokens"] == 4 and r["by_type"]["unambiguous"]["accuracy"] is None
    r = tagging_error_analysis(train, words, gold, pred, lower=True)
    assert r["by_type"]["unambiguous"] == {"accuracy": pytest.approx(1 / 3), "n_tokens": 3}
