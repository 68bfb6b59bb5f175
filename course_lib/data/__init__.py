"""The course's data layer: a pooch registry of the real datasets, a local mirror, loaders, vocabularies,
batching, and small data the course generates and ships.

Quick start::

    from course_lib.data import load_tinyshakespeare, char_tokenize, Vocabulary, pad_batch
    text = load_tinyshakespeare("train")
    vocab = Vocabulary.build([char_tokenize(text)])
    ids = vocab.encode(char_tokenize(text))            # (T,) int64

Where the files come from (:mod:`course_lib.data.registry`): ``COURSE_DATA_MIRROR`` (a folder laid out like
``shared/data``), else the canonical URLs through ``pooch``; always SHA-256-checked; cached in
``COURSE_DATA_CACHE``. Without either, the loaders print one line and use ``data/synthetic``
(:mod:`course_lib.data.synthetic`). ``COURSE_DATA_OFFLINE=1`` forces that fallback.

Modules: ``registry`` (datasets, hashes, licences, citations, :func:`fetch`), ``conll`` (CoNLL-U / IOB2 /
WNUT readers), ``vocab`` (tokenisers, :class:`Vocabulary`), ``batching`` (:func:`pad_batch`,
:func:`batches`, ...), ``synthetic`` (generators), ``loaders`` (``load_*``).
"""

from .batching import batches, bucket_batches, pad_batch, stream_batches, to_torch
from .conll import UNER_TAGS, UPOS_TAGS, WNUT_TAGS, clean_uner_tags, read_conllu, read_uner, read_wnut
from .loaders import (
    clean_imdb,
    load_agreement,
    load_brackets,
    load_copy_task,
    load_imdb,
    load_imdb_splits,
    load_kjv,
    load_sst2,
    load_tinyshakespeare,
    load_ud_pos,
    load_uner,
    load_wnut17,
)
from .registry import REGISTRY, DataHashError, DatasetUnavailable, cache_dir, fetch, mirror_dir
from .synthetic import write_synthetic
from .vocab import PAD, UNK, Vocabulary, byte_detokenize, byte_tokenize, char_tokenize, word_tokenize

__all__ = [
    "PAD", "REGISTRY", "UNER_TAGS", "UNK", "UPOS_TAGS", "WNUT_TAGS", "DataHashError", "DatasetUnavailable",
    "Vocabulary", "batches", "bucket_batches", "byte_detokenize", "byte_tokenize", "cache_dir", "char_tokenize",
    "clean_imdb", "clean_uner_tags", "fetch", "load_agreement", "load_brackets", "load_copy_task", "load_imdb",
    "load_imdb_splits", "load_kjv", "load_sst2", "load_tinyshakespeare", "load_ud_pos", "load_uner",
    "load_wnut17", "mirror_dir", "pad_batch", "read_conllu", "read_uner", "read_wnut", "stream_batches",
    "to_torch", "word_tokenize", "write_synthetic",
]
