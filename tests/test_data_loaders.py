"""Loaders (counts against the manifests), parsers, vocabulary, batching, synthetic data and the fallback."""

import gzip
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import requests

from course_lib import data as D
from course_lib.data import loaders, registry, synthetic
from course_lib.data.conll import UNER_TAGS, UPOS_TAGS, WNUT_TAGS, iob2_errors, read_conllu, read_uner, read_wnut

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("COURSE_DATA_MIRROR", str(ROOT.parent / "shared" / "data"))


def _n_words(sents):
    return sum(len(w) for w, _ in sents)


# ------------------------------------------------------------------------------ real data, via the mirror
@pytest.fixture(scope="module")
def imdb():
    """Both IMDB splits from one pass over the 28 MB tarball."""
    return D.load_imdb_splits()


def test_imdb_official_split(imdb):
    for split in ("train", "test"):
        labels = Counter(y for _, y in imdb[split])
        assert labels == {0: 12_500, 1: 12_500}, split
        assert not any("<br" in text.lower() for text, _ in imdb[split])
        assert all(text and text == text.strip() for text, _ in imdb[split])
    assert imdb["train"][0][0].startswith("Story of a man who has unnatural feelings for a pig.")
    assert imdb["test"][-1][1] == 1 and len({t for t, _ in imdb["test"]}) > 24_500  # a few duplicates upstream


def test_clean_imdb():
    assert D.clean_imdb("Great.<br /><br />Really <BR/>great.<br>") == "Great. Really great."
    assert D.clean_imdb("a  b") == "a  b"  # only the breaks are touched


def test_tinyshakespeare_split_by_characters():
    text = D.load_tinyshakespeare("all")
    train, val = D.load_tinyshakespeare("train"), D.load_tinyshakespeare("val")
    assert len(text) == 1_115_394 and len(set(text)) == 65
    assert train + val == text and len(train) == int(0.9 * len(text))
    assert text.startswith("First Citizen:\nBefore we proceed any further")
    with pytest.raises(ValueError, match="split must be one of"):
        D.load_tinyshakespeare("test")


def test_kjv_verses():
    verses = D.load_kjv()
    assert len(verses) == 31_102
    assert verses[0] == "In the beginning God created the heaven and the earth."
    assert not any(re.match(r"[1-3]?[A-Z][a-z]*\d+:\d+ ", v) for v in verses)
    assert sum(len(v.split()) for v in verses) == 820_736 - 31_102  # the manifest counts the references


def test_sst2_counts_and_classes():
    expected = {"train": (3_610, 3_310), "dev": (444, 428), "test": (909, 912)}
    for split, (pos, neg) in expected.items():
        labels = Counter(y for _, y in D.load_sst2(split))
        assert (labels[1], labels[0]) == (pos, neg), split
    assert D.load_sst2("dev")[0] == ("One long string of cliches.", 0)


def test_ud_pos_counts_and_tagset():
    expected = {"train": (12_544, 204_577), "dev": (2_001, 25_147), "test": (2_077, 25_094)}
    tags = set()
    for split, (n_sent, n_words) in expected.items():
        sents = D.load_ud_pos(split)
        assert (len(sents), _n_words(sents)) == (n_sent, n_words), split
        assert all(len(w) == len(t) for w, t in sents)
        tags |= {t for _, ts in sents for t in ts}
    assert tags == set(UPOS_TAGS) and len(tags) == 17
    dev = D.load_ud_pos("dev")
    assert dev[0] == (["From", "the", "AP", "comes", "this", "story", ":"],
                      ["ADP", "DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT"])
    # multiword tokens are skipped: "don't" only appears as its two syntactic words
    words = Counter(w for ws, _ in dev for w in ws)
    assert words["n't"] > 0 and words["don't"] == 0


def test_uner_counts_tagset_and_draft_cleanup():
    splits = {s: D.load_uner(s) for s in ("train", "dev", "test")}
    assert {s: len(v) for s, v in splits.items()} == {"train": 12_543, "dev": 2_001, "test": 2_077}
    for sents in splits.values():
        assert {t for _, ts in sents for t in ts} == set(UNER_TAGS)
    train = splits["train"]
    tags = Counter(t for _, ts in train for t in ts)
    assert (tags["B-PER"], tags["B-LOC"], tags["B-ORG"]) == (2_873, 2_698, 1_434)  # manifest, after mapping
    assert all(iob2_errors(ts) == [] for _, ts in train)  # so no I-X repair is needed
    raw = Counter(t for _, ts in read_uner(registry.fetch("uner_english_ewt", "train")) for t in ts)
    assert (raw["B-OTH"], raw["B-O"]) == (888, 540)  # the draft tags the clean-up removed


def test_wnut17_counts_and_tagset():
    expected = {"train": (3_394, 62_730), "dev": (1_009, 15_733), "test": (1_287, 23_394)}
    for split, (n_sent, n_tok) in expected.items():
        sents = D.load_wnut17(split)
        assert (len(sents), _n_words(sents)) == (n_sent, n_tok), split
    assert {t for _, ts in D.load_wnut17("train") for t in ts} == set(WNUT_TAGS) and len(WNUT_TAGS) == 13


def test_a_corrupted_mirror_is_not_hidden_by_the_fallback(tmp_path, monkeypatch, capsys):
    src = Path(os.environ["COURSE_DATA_MIRROR"]) / "sst2_binary" / "test_binary_sent.csv"
    bad = tmp_path / "m" / "sst2_binary" / src.name
    bad.parent.mkdir(parents=True)
    bad.write_bytes(src.read_bytes().replace(b"1,", b"0,", 1))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "m"))
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(D.DataHashError, match="test_binary_sent.csv"):
        D.load_sst2("test")
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------------------- malformed input
@pytest.mark.parametrize(("reader", "good", "bad", "line", "msg"), [
    (read_conllu, "# text = Hi there\n1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n", "2\tthere\tthere\tADV\t_\t_\n", 3,
     "10 tab-separated"),
    (read_conllu, "1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n", "2\tthere\tthere\tFOO\t_\t_\t1\tx\t_\t_\n", 2,
     "unknown UPOS tag 'FOO'"),
    (read_conllu, "1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n", "3\tthere\tthere\tADV\t_\t_\t1\tx\t_\t_\n", 2,
     "expected word ID 2"),
    (read_uner, "# sent_id = s1\n# text = Hi there\n1\tHi\tO\n", "2\tthere\n", 4, "3 or 5"),
    (read_uner, "1\tHi\tO\n", "2\tthere\tX-PER\t-\t-\n", 2, "not IOB2"),
    (read_wnut, "Hi\tO\n\t\nYo\tO\n", "there O\n", 4, "token<TAB>tag"),
    (read_wnut, "Hi\tO\n", "there\tB-PER\n", 2, "unknown WNUT-17 tag"),
])
def test_malformed_line_names_file_and_line(tmp_path, reader, good, bad, line, msg):
    path = tmp_path / "broken.txt"
    path.write_text(good + bad + "\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}:{line}: ") + ".*" + re.escape(msg)):
        reader(path)


def test_malformed_gzipped_conllu_names_file_and_line(tmp_path):
    path = tmp_path / "broken.conllu.gz"
    lines = ["# text = a b", "1\ta\ta\tDET\t_\t_\t2\tdet\t_\t_", "2\tb\tb\tNOUN\t_\t_\t0\troot\t_\t_", "",
             "# text = c", "1-2\tcd\t_\t_\t_\t_\t_\t_\t_\t_", "1\tc\tc\tNOUN\t_\t_", ""]
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    with pytest.raises(ValueError, match=re.escape(f"{path}:7: expected 10")):
        read_conllu(path)


def test_conllu_skips_multiword_tokens_and_empty_nodes(tmp_path):
    path = tmp_path / "ok.conllu"
    path.write_text("# text = I don't\n1\tI\tI\tPRON\t_\t_\t3\tnsubj\t_\t_\n2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
                    "2\tdo\tdo\tAUX\t_\t_\t0\troot\t_\t_\n3\tn't\tnot\tPART\t_\t_\t2\tadvmod\t_\t_\n"
                    "3.1\tgo\tgo\tVERB\t_\t_\t_\t_\t2:x\t_\n\n1\tOK\tok\tINTJ\t_\t_\t0\troot\t_\t_\n")
    assert read_conllu(path) == [(["I", "do", "n't"], ["PRON", "AUX", "PART"]), (["OK"], ["INTJ"])]


def test_uner_cleanup_rejects_foreign_tags():
    assert D.clean_uner_tags(["B-OTH", "I-OTH", "B-PER", "B-O"]) == ["O", "O", "B-PER", "O"]
    with pytest.raises(ValueError, match="B-MISC"):
        D.clean_uner_tags(["B-MISC"])
    assert iob2_errors(["O", "I-PER", "B-LOC", "I-LOC", "I-ORG"]) == [1, 4]


# ------------------------------------------------------------------------------------ offline fallback
FALLBACKS = [
    ("tinyshakespeare", lambda: D.load_tinyshakespeare("train"), str),
    ("kjv", D.load_kjv, list),
    ("imdb", lambda: D.load_imdb("test"), list),
    ("sst2", lambda: D.load_sst2("dev"), list),
    ("ud_english_ewt", lambda: D.load_ud_pos("train"), list),
    ("uner_english_ewt", lambda: D.load_uner("test"), list),
    ("wnut17", lambda: D.load_wnut17("dev"), list),
]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("COURSE_DATA_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: pytest.fail("network used"))


@pytest.mark.parametrize(("dataset", "load", "kind"), FALLBACKS, ids=[f[0] for f in FALLBACKS])
def test_offline_fallback_prints_one_line(offline, capsys, dataset, load, kind):
    out = load()
    assert isinstance(out, kind) and len(out) > 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert dataset in lines[0] and "COURSE_DATA_MIRROR" in lines[0]
    assert registry.REGISTRY[dataset].url in lines[0]


def test_fallback_data_has_the_real_shapes(offline, capsys):
    text = D.load_tinyshakespeare("all")
    assert text == synthetic.synthetic_text("lm_corpus.txt") and "Mara:\n" in text
    imdb = D.load_imdb_splits()
    assert Counter(y for _, y in imdb["train"]) == Counter(y for _, y in imdb["test"]) == {0: 100, 1: 100}
    assert Counter(y for _, y in D.load_sst2("train")) == {0: 280, 1: 280}
    pos = D.load_ud_pos("dev")
    assert {t for _, ts in pos for t in ts} <= set(UPOS_TAGS) and all(len(w) == len(t) for w, t in pos)
    assert {t for _, ts in D.load_uner("train") for t in ts} == set(UNER_TAGS)
    assert {t for _, ts in D.load_wnut17("train") for t in ts} == set(WNUT_TAGS)
    assert all(":" not in v.split()[0] for v in D.load_kjv())
    assert len(capsys.readouterr().err.splitlines()) == 7  # one line per loader call


def test_network_failure_falls_back_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_DATA_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "RETRIES", 0)

    def unreachable(url, output_file, pooch_obj):
        raise requests.exceptions.ConnectionError(f"Failed to resolve host for {url}\nsecond line")

    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: unreachable)
    assert D.load_wnut17("test") == read_wnut("x", text=synthetic.synthetic_text("tagged-test.wnut.conll"))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "ConnectionError" in err[0] and "wnut17" in err[0]
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


# ------------------------------------------------------------------------------------- synthetic data
def test_shipped_synthetic_files_equal_a_fresh_generation(tmp_path):
    shipped = ROOT / "data" / "synthetic"
    written = synthetic.write_synthetic(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in shipped.iterdir())
    for p in written:
        assert p.read_bytes() == (shipped / p.name).read_bytes(), p.name


def test_brackets_labels_are_right():
    for split in ("train", "dev", "test"):
        items = D.load_brackets(split)
        assert all(y == int(synthetic.is_balanced(s)) for s, y in items)
        assert 0.4 < np.mean([y for _, y in items]) < 0.6
        for s, _ in items:  # negatives keep the bracket counts: only the matching differs
            assert s.count("(") == s.count(")") and s.count("[") == s.count("]")
    assert len(D.load_brackets("train")) == 980
    assert not synthetic.is_balanced("([)]") and synthetic.is_balanced("([])[]")


def test_copy_task_inputs_and_targets():
    items = D.load_copy_task("dev")
    assert len(items) == 210
    for x, y in items:
        d = len(x) - len(y) - 1
        assert x == y + "_" * d + ":" and 5 <= d <= 30 and 5 <= len(y) <= 8


def test_agreement_items_are_consistent_and_balanced():
    plural = {p for _, p in synthetic.NOUNS}
    singular = {s for s, _ in synthetic.NOUNS}
    verbs = {v[i]: i for v in synthetic.MAIN_VERBS for i in (0, 1)}
    seen = {}
    for split in ("train", "dev", "test"):
        items = D.load_agreement(split)
        assert Counter(x["attractors"] for x in items) == {k: len(items) // 4 for k in range(4)}
        for x in items:
            subj_pl = x["prefix"][1] in plural
            assert x["number"] == ("pl" if subj_pl else "sg") and x["prefix"][1] in plural | singular
            assert verbs[x["verb"]] == subj_pl and verbs[x["wrong"]] != subj_pl
            nouns = [w for w in x["prefix"][2:] if w in plural | singular]
            assert sum((w in plural) != subj_pl for w in nouns) == x["attractors"]
            assert x["distance"] == len(x["prefix"]) - 2
            seen.setdefault(" ".join(x["prefix"]), split)
        assert sum(v == split for v in seen.values()) == len(items)  # no prefix shared between splits


def test_synthetic_tagged_files_agree_across_formats():
    ud = read_conllu("t", text=synthetic.synthetic_text("tagged-train.conllu"))
    uner = read_uner("t", text=synthetic.synthetic_text("tagged-train.iob2"))
    wnut = read_wnut("t", text=synthetic.synthetic_text("tagged-train.wnut.conll"))
    assert len(ud) == len(uner) == len(wnut) == 210
    assert [w for w, _ in ud] == [w for w, _ in uner]
    assert {t for _, ts in ud for t in ts} == set(UPOS_TAGS)  # the grammar covers all 17 tags
    surface = Counter(w for ws, _ in wnut for w in ws)
    assert surface["don't"] > 0 and Counter(w for ws, _ in ud for w in ws)["don't"] == 0
    for (_, a), (_, b) in zip(uner, wnut, strict=True):  # same entities, typed differently
        assert [t[0] for t in a if t != "O"] == [t[0] for t in b if t != "O" and t[2:] not in
                                                    ("product", "creative-work")]


# ------------------------------------------------------------------------------- tokenisers, vocabulary
def test_tokenisers():
    assert D.char_tokenize("ab c") == ["a", "b", " ", "c"]
    assert D.byte_tokenize("é!") == [0xC3, 0xA9, 0x21] and D.byte_detokenize([0xC3, 0xA9, 0x21]) == "é!"
    assert D.word_tokenize("Don't stop, Ada!") == ["Don't", "stop", ",", "Ada", "!"]
    assert D.word_tokenize("The END", lower=True) == ["the", "end"]


def test_vocabulary_counts_cutoff_and_roundtrip():
    corpus = [["a", "b", "a", "c"], ["a", "b", "d"]]
    v = D.Vocabulary.build(corpus)
    assert v.itos == ["<pad>", "<unk>", "a", "b", "c", "d"] and (v.pad_id, v.unk_id) == (0, 1)
    assert D.Vocabulary.build(corpus, min_count=2).itos == ["<pad>", "<unk>", "a", "b"]
    small = D.Vocabulary.build(corpus, max_size=3)
    assert small.itos == ["<pad>", "<unk>", "a"] and len(small) == 3
    ids = small.encode(["a", "b", "zzz"])
    assert ids.dtype == np.int64 and ids.tolist() == [2, 1, 1]
    assert v.decode([2, 3, 0, 0]) == ["a", "b"] and v.decode([2, 0], skip_pad=False) == ["a", "<pad>"]
    assert v.decode(v.encode(["d", "c", "a"])) == ["d", "c", "a"]
    assert D.Vocabulary.from_dict(v.to_dict()).itos == v.itos and v.counts["a"] == 3


def test_vocabulary_without_unk_refuses_unknown_tokens():
    tags = D.Vocabulary(UPOS_TAGS, specials=())
    assert len(tags) == 17 and tags.encode(["ADJ", "X"]).tolist() == [0, 16]
    with pytest.raises(KeyError, match="FOO"):
        tags.encode(["FOO"])
    with pytest.raises(ValueError, match="duplicate"):
        D.Vocabulary(["a", "a"])
    with pytest.raises(ValueError, match="min_count"):
        D.Vocabulary.build([["a"]], min_count=0)


# ----------------------------------------------------------------------------------------------- batching
def test_pad_batch_pads_and_masks():
    ids, mask = D.pad_batch([[5, 6, 7], [8], []], pad_id=0)
    assert ids.dtype == np.int64 and mask.dtype == np.bool_ and ids.shape == mask.shape == (3, 3)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert mask.tolist() == [[True] * 3, [True, False, False], [False] * 3]
    ids, mask = D.pad_batch([np.array([1, 2, 3, 4])], pad_id=9, max_len=2)
    assert ids.tolist() == [[1, 2]] and mask.all()
    ids, _ = D.pad_batch([[1], [2, 3]], pad_id=9)
    assert ids.tolist() == [[1, 9], [2, 3]]
    with pytest.raises(ValueError, match="at least one"):
        D.pad_batch([])


def test_batches_cover_everything_once():
    data = list(range(23))
    plain = list(D.batches(data, 5))
    assert [len(b) for b in plain] == [5, 5, 5, 5, 3] and sum(plain, []) == data
    shuffled = list(D.batches(data, 5, shuffle=True, rng=0))
    assert sorted(sum(shuffled, [])) == data and sum(shuffled, []) != data
    assert shuffled == list(D.batches(data, 5, shuffle=True, rng=np.random.default_rng(0)))
    assert [len(b) for b in D.batches(data, 5, drop_last=True)] == [5, 5, 5, 5]


def test_bucket_batches_group_similar_lengths():
    rng = np.random.default_rng(1)
    data = [[0] * int(n) for n in rng.integers(1, 100, size=400)]
    buckets = list(D.bucket_batches(data, 10, rng=0, pool=40))
    assert sorted(map(len, sum(buckets, []))) == sorted(map(len, data))
    spread = np.mean([max(map(len, b)) - min(map(len, b)) for b in buckets])
    plain = np.mean([max(map(len, b)) - min(map(len, b)) for b in D.batches(data, 10)])
    assert spread < 0.2 * plain


def test_stream_batches_shift_targets_by_one():
    ids = np.arange(103)
    windows = list(D.stream_batches(ids, batch_size=4, seq_len=10))
    assert [x.shape for x, _ in windows] == [(4, 10), (4, 10), (4, 5)]
    x = np.concatenate([w[0] for w in windows], axis=1)
    y = np.concatenate([w[1] for w in windows], axis=1)
    assert (y == x + 1).all() and x[1, 0] == 25 and x.shape == (4, 25)


def test_to_torch_keeps_dtypes():
    import torch
    ids, mask = D.to_torch(*D.pad_batch([[1, 2], [3]]))
    assert ids.dtype == torch.int64 and mask.dtype == torch.bool and ids.tolist() == [[1, 2], [3, 0]]


def test_loaders_module_imports_no_torch():
    import ast
    for f in (ROOT / "course_lib" / "data").glob("*.py"):
        top = {n.names[0].name.split(".")[0] for n in ast.parse(f.read_text()).body if isinstance(n, ast.Import)}
        top |= {n.module.split(".")[0] for n in ast.parse(f.read_text()).body
                if isinstance(n, ast.ImportFrom) and n.module}
        assert "torch" not in top, f.name
    assert loaders.announce_fallback  # the single-line notice lives in loaders
