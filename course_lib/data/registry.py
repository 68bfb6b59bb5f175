"""The dataset registry: where each real dataset lives, how to check it, and how to fetch it with ``pooch``.

Every file has **two** pinned SHA-256 hashes, because the course's local mirror (``../shared/data``) does not
always hold the bytes the canonical URL serves:

* ``sha256`` — the file as served by its canonical URL (for KJV, which has no URL, the dumped text);
* ``mirror_sha256`` — the file as stored in the mirror, whose ``relation`` to the canonical file is one of
  ``"identical"`` (same bytes), ``"gzip"`` (``gzip -9 -n`` of the same bytes; the tests check that the
  decompressed mirror file hashes to ``sha256``) or ``"repacked"`` (IMDB: a deterministic re-pack of the same
  ``aclImdb/`` layout; not byte-identical to Stanford's tarball).

Where a file comes from (see :func:`fetch`):

1. ``COURSE_DATA_MIRROR`` set: the file is copied from ``$COURSE_DATA_MIRROR/<mirror path>`` into the cache,
   hash-checked against ``mirror_sha256``. The network is never touched.
2. otherwise: ``pooch`` downloads the canonical URL (with retries) into the cache, hash-checked against
   ``sha256``. ``COURSE_DATA_OFFLINE=1`` skips the attempt; a connection error or time-out is reported as
   :class:`DatasetUnavailable`, on which the loaders fall back to the small data shipped in ``data/synthetic``.

The cache is ``$COURSE_DATA_CACHE`` (default ``pooch.os_cache("rnn-nlp-course")``). Pooch streams every
download (or mirror copy) into a temporary file in the cache folder and moves it into place only after the
hash matched, so an interrupted or corrupted transfer never leaves a file that later passes as complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pooch

MIRROR_ENV = "COURSE_DATA_MIRROR"
CACHE_ENV = "COURSE_DATA_CACHE"
OFFLINE_ENV = "COURSE_DATA_OFFLINE"
RETRIES = 3  # extra download attempts after a failed one (pooch waits 1 s, 2 s, 3 s in between)
TIMEOUT_S = 60  # per-request time-out given to requests (through pooch.HTTPDownloader)

log = logging.getLogger("course_lib.data")


class DatasetUnavailable(RuntimeError):
    """The real file cannot be had here: no mirror, and offline / no network / no public download."""


class DataHashError(ValueError):
    """A fetched file's SHA-256 differs from the registry's; nothing was written to the cache."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    ``name`` is the file's name in the cache for a canonical download (``<cache>/<dataset>/<name>``);
    ``mirror`` is its path relative to the mirror root, copied to ``<cache>/mirror/<mirror>``.
    """

    split: str
    name: str
    url: str | None
    sha256: str
    mirror: str
    mirror_sha256: str
    relation: str  # "identical" | "gzip" | "repacked"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    homepage: str
    licence: str
    citation: str
    files: tuple[DataFile, ...]
    notes: str = ""

    def file(self, split: str) -> DataFile:
        for f in self.files:
            if f.split == split:
                return f
        raise ValueError(f"{self.name} has no split {split!r}; choose one of {[f.split for f in self.files]}")

    @property
    def url(self) -> str:
        """The URL to name in messages: the first file's canonical URL, else the homepage."""
        return self.files[0].url or self.homepage


_UD = "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/r2.16/"
_UNER = "https://raw.githubusercontent.com/UniversalNER/UNER_English-EWT/"
_UNER_DRAFT_COMMIT = "0c7ce0debb13a7d304da656f16309397e8ff36ef"
_SST = "https://raw.githubusercontent.com/openai/generating-reviews-discovering-sentiment/master/data/"
_WNUT = "https://raw.githubusercontent.com/leondz/emerging_entities_17/master/"

# One source of truth: the hashes, URLs, licences and citations below are those of shared/data/MANIFEST.md.
REGISTRY: dict[str, Dataset] = {d.name: d for d in [
    Dataset(
        name="tinyshakespeare",
        title="Tiny Shakespeare (char-rnn input.txt)",
        homepage="https://github.com/karpathy/char-rnn",
        licence="char-rnn repository: MIT; the Shakespeare text is in the public domain",
        citation="Karpathy, A. (2015). char-rnn. https://github.com/karpathy/char-rnn",
        files=(DataFile(
            "all", "input.txt",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", "identical"),),
        notes="1,115,394 ASCII characters; no official split (the course uses the first 90% / last 10%).",
    ),
    Dataset(
        name="imdb",
        title="IMDB Large Movie Review Dataset v1.0 (aclImdb)",
        homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
        licence="none stated; the dataset README asks users to cite Maas et al. (2011)",
        citation=("Maas, A. L., Daly, R. E., Pham, P. T., Huang, D., Ng, A. Y. and Potts, C. (2011). Learning Word "
                  "Vectors for Sentiment Analysis. ACL 2011 (P11-1015)."),
        files=(DataFile(
            "all", "aclImdb_v1.tar.gz", "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            # Stanford's tarball: the sha256 widely pinned in public code (md5 7c2ac02c03563afcf9b574c7e56c153a).
            "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
            "imdb_aclimdb/aclImdb_labelled_50k.tar.gz",
            "cd74b73b35601ea42283e1cbbc1e2b1bd3b2257428850996daddcc179ef12494", "repacked"),),
        notes=("The mirror tarball is a deterministic re-pack with the same aclImdb/{train,test}/{pos,neg} layout "
               "and the official 25k/25k split, without train/unsup and the *.feat files."),
    ),
    Dataset(
        name="sst2",
        title="Stanford Sentiment Treebank, binary, sentence level (sentiment-neuron CSVs)",
        homepage="https://nlp.stanford.edu/sentiment/",
        licence="openai/generating-reviews-discovering-sentiment: MIT; SST itself states no licence",
        citation=("Socher, R. et al. (2013). Recursive Deep Models for Semantic Compositionality Over a Sentiment "
                  "Treebank. EMNLP 2013. CSVs from Radford, Jozefowicz and Sutskever (2017), Learning to Generate "
                  "Reviews and Discovering Sentiment."),
        files=tuple(DataFile(s, f"{s}_binary_sent.csv", f"{_SST}{s}_binary_sent.csv", h,
                             f"sst2_binary/{s}_binary_sent.csv", h, "identical") for s, h in [
            ("train", "6003623bcb35aad3a446a265b8931b7ccab61fcc10f2e9c1fec916ff67c7be35"),
            ("dev", "f34c4987fea208fefc2d62a1b42c83a766cbfc7ce58c2a878ef953cf91f01729"),
            ("test", "519cea7ed4d22fe7ec4eccbb3d5ba6d88902a3b15ce129f476aa8364463a9fc7")]),
        notes="Sentence-level binary SST (6,920 / 872 / 1,821), not GLUE SST-2.",
    ),
    Dataset(
        name="ud_english_ewt",
        title="Universal Dependencies English-EWT v2.16 (CoNLL-U)",
        homepage="https://github.com/UniversalDependencies/UD_English-EWT",
        licence=("CC BY-SA 4.0. Universal Dependencies English Web Treebank annotations (c) 2013-2021 by The "
                 "Board of Trustees of The Leland Stanford Junior University."),
        citation=("Silveira, N. et al. (2014). A Gold Standard Dependency Corpus for English. LREC 2014; and the "
                  "Universal Dependencies 2.16 release."),
        files=tuple(DataFile(s, f"en_ewt-ud-{s}.conllu", f"{_UD}en_ewt-ud-{s}.conllu", raw,
                             f"ud_english_ewt/en_ewt-ud-{s}.conllu.gz", gz, "gzip") for s, raw, gz in [
            ("train", "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b",
             "bd47e08c9e18ec12d319e84df2ccdb272ff6de1d0dba5761117d3caf8b358f7b"),
            ("dev", "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6",
             "41086e3afc9ae572f899c9123f874d6d04a52e374a3d2ac7a6667ce48e3bf3e3"),
            ("test", "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd",
             "29c151eee8846d3f3ef7806c126ecac9932af2317c008c6d6b076c5e14950dbe")]),
        notes=("No checksum is published upstream; `sha256` is that of the released raw .conllu (the mirror's "
               "'raw sha256'), which the r2.16 tag URL serves."),
    ),
    Dataset(
        name="uner_english_ewt",
        title="Universal NER English-EWT (v1 dev/test; pre-release DRAFT train)",
        homepage="https://github.com/UniversalNER/UNER_English-EWT",
        licence="CC BY-SA 4.0",
        citation=("Mayhew, S. et al. (2024). Universal NER: A Gold-Standard Multilingual Named Entity Recognition "
                  "Benchmark. NAACL 2024."),
        files=(
            DataFile("train", "en_ewt-ud-train.DRAFT-20221202.iob2",
                     f"{_UNER}{_UNER_DRAFT_COMMIT}/en_ewt-ud-train.iob2",
                     "2d986b063bb92df99540e37de34b1415eb2a22958b86de3e4698ec3be05e339f",
                     "uner_english_ewt/en_ewt-ud-train.DRAFT-20221202.iob2.gz",
                     "dd39a3c566051629ee25ccde08cc7c28304968d78b9288f70f8a71591c631b33", "gzip"),
            DataFile("dev", "en_ewt-ud-dev.iob2", f"{_UNER}master/en_ewt-ud-dev.iob2",
                     "0cafd881cf31d39897b6d588420fab8fbbe4423d271725c59921ac9dd49c0713",
                     "uner_english_ewt/en_ewt-ud-dev.iob2",
                     "0cafd881cf31d39897b6d588420fab8fbbe4423d271725c59921ac9dd49c0713", "identical"),
            DataFile("test", "en_ewt-ud-test.iob2", f"{_UNER}master/en_ewt-ud-test.iob2",
                     "821ad826d5f503ac03b4edc3fbc2174f21fbb005ec25863caf2051c434616d6e",
                     "uner_english_ewt/en_ewt-ud-test.iob2",
                     "821ad826d5f503ac03b4edc3fbc2174f21fbb005ec25863caf2051c434616d6e", "identical"),
        ),
        notes=("train is the pre-release DRAFT of 2022-12-02, pinned to commit 0c7ce0de (the final v1 train file "
               "is at .../master/en_ewt-ud-train.iob2): it has an extra OTH type and spurious B-O tags, which "
               "load_uner maps to O. Do not report results on it as 'UNER v1 train'."),
    ),
    Dataset(
        name="wnut17",
        title="WNUT-17 Emerging and Rare Entities",
        homepage="https://github.com/leondz/emerging_entities_17",
        licence="CC BY 4.0",
        citation=("Derczynski, L., Nichols, E., van Erp, M. and Limsopatham, N. (2017). Results of the WNUT2017 "
                  "Shared Task on Novel and Emerging Entity Recognition. W-NUT 2017."),
        files=tuple(DataFile(s, n, f"{_WNUT}{n}", h, f"wnut17/{n}", h, "identical") for s, n, h in [
            ("train", "wnut17train.conll", "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5"),
            ("dev", "emerging.dev.conll", "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8"),
            ("test", "emerging.test.annotated",
             "2aa79b764e56ec9264a1b30fdd9b70195bd00ff400b62edd8f399d5f13c178f0")]),
        notes="The gold test file is emerging.test.annotated (emerging.test.conll is an earlier, different file).",
    ),
    Dataset(
        name="kjv",
        title="King James Bible, one verse per line (dumped from Debian bible-kjv-text 4.38)",
        homepage="https://packages.debian.org/bookworm/bible-kjv-text",
        licence="public domain (Debian copyright file: copyright expired); in the UK under Crown letters patent",
        citation="The Holy Bible, King James Version (1611), text of Debian package bible-kjv-text 4.38.",
        files=(DataFile(
            "all", "kjv_verses.txt", None,
            "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d",
            "kjv_bible/kjv_verses.txt.gz",
            "db215f1e32db82a8f6b38f934a65bb9052d1f36686717d459f5aa8c2460349df", "gzip"),),
        notes=("No download URL: reproduce with `apt-get install bible-kjv` and "
               "`bible -f -l 100000 'gen1:1-rev22:21' > kjv_verses.txt` (sha256 above), or use the mirror."),
    ),
]}


def cache_dir() -> Path:
    """``$COURSE_DATA_CACHE``, else ``pooch.os_cache("rnn-nlp-course")``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(pooch.os_cache("rnn-nlp-course"))


def mirror_dir() -> Path | None:
    """``$COURSE_DATA_MIRROR`` as a Path, or None when unset or empty."""
    env = os.environ.get(MIRROR_ENV)
    return Path(env) if env else None


def is_offline() -> bool:
    """True when ``COURSE_DATA_OFFLINE`` is set to 1/true/yes (tests use it to exercise the fallback)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes"}


def _http_downloader(progressbar: bool = False):
    """pooch's own HTTP downloader (requests, streamed); a seam the tests replace to simulate failures."""
    return pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT_S)


def _mirror_copier(src: Path):
    """A pooch downloader that 'downloads' by copying a local mirror file (pooch knows no file:// URLs)."""
    def copy(url: str, output_file: str, pooch_obj) -> None:
        shutil.copyfile(src, output_file)
    return copy


def git_blob_sha1(path: str | os.PathLike) -> str:
    """The id git gives a file's content (``git hash-object``): SHA-1 of ``b"blob <size>\\0" + content``.
    Used for files published only in a git repository, whose blob ids are their only pinned hashes."""
    h = hashlib.sha1(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: str | os.PathLike, alg: str = "sha256") -> str:
    """``alg`` ``"sha256"`` (pooch's file hash) or ``"git-blob"`` (:func:`git_blob_sha1`) of a file."""
    if alg == "git-blob":
        return git_blob_sha1(path)
    if alg == "sha256":
        return pooch.file_hash(str(path), alg="sha256")
    raise ValueError(f"alg must be 'sha256' or 'git-blob', got {alg!r}")


def _hash_checked(inner, fname: str, expected: str, source: str, advice: str, alg: str = "sha256"):
    """Wrap a pooch downloader: after it wrote the temporary file, compare its hash (``alg``, see
    :func:`file_digest`) with ``expected`` and raise DataHashError.

    Pooch deletes the temporary file on any exception, so a mismatch never reaches the cache.
    """
    name = {"sha256": "SHA-256", "git-blob": "git blob id"}[alg]

    def download(url: str, output_file: str, pooch_obj) -> None:
        inner(url, output_file, pooch_obj)
        actual = file_digest(output_file, alg)
        if actual != expected:
            raise DataHashError(
                f"{name} mismatch for {fname} from {source}: expected {expected}, got {actual}. "
                f"The file was not stored in the cache. {advice}")
    return download


@contextlib.contextmanager
def _quiet_pooch():
    """Silence pooch's INFO log lines for the duration (the loaders print their own single line)."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def fetch(dataset: str, split: str = "all", *, progressbar: bool = False) -> Path:
    """Return the local path of one registry file, fetching and hash-checking it first if needed.

    With ``COURSE_DATA_MIRROR`` set, the mirror file (possibly ``.gz``; see ``DataFile.relation``) is copied
    into ``<cache>/mirror/``; otherwise the canonical URL is downloaded into ``<cache>/<dataset>/``.
    A cached file whose hash no longer matches is fetched again (pooch's "update").

    Raises
    ------
    DataHashError (a ValueError) naming the file, both hashes and what to do; nothing is cached.
    FileNotFoundError if the mirror is set but lacks the file.
    DatasetUnavailable without a mirror when offline, when the download cannot connect / times out, or when
    the dataset has no public download (KJV).
    """
    if dataset not in REGISTRY:
        raise ValueError(f"unknown dataset {dataset!r}; known: {sorted(REGISTRY)}")
    ds = REGISTRY[dataset]
    f = ds.file(split)
    cache = cache_dir()
    mirror = mirror_dir()
    if mirror is not None:
        src = mirror / f.mirror
        if not src.is_file():
            raise FileNotFoundError(
                f"{MIRROR_ENV}={mirror} has no {f.mirror}: point it at a folder laid out like shared/data, "
                f"or unset it to download {f.url or ds.homepage}")
        advice = (f"The mirror copy {src} is corrupted or outdated: restore it (see the MANIFEST.md there), or "
                  f"unset {MIRROR_ENV} to download from {f.url or ds.homepage}. If a stale cached copy exists "
                  f"under {cache / 'mirror'}, delete it.")
        fetcher = pooch.create(path=cache / "mirror", base_url="", registry={f.mirror: f.mirror_sha256},
                               urls={f.mirror: src.resolve().as_uri()})
        downloader = _hash_checked(_mirror_copier(src), f.mirror, f.mirror_sha256, str(src), advice)
        with _quiet_pooch():
            return Path(fetcher.fetch(f.mirror, downloader=downloader))

    if f.url is None:
        raise DatasetUnavailable(f"no public download ({ds.homepage})")
    key = f"{dataset}/{f.name}"
    cached = cache / key
    if cached.is_file() and pooch.file_hash(str(cached), alg="sha256") == f.sha256:
        return cached  # an earlier download: usable offline too
    if is_offline():
        raise DatasetUnavailable(f"{OFFLINE_ENV} is set")
    import requests  # pooch's own dependency; imported lazily like pooch does

    advice = (f"The download was corrupted or the file changed upstream. Run again to re-download; if it "
              f"keeps failing, delete {cache / key} if present and check {ds.homepage}, or set {MIRROR_ENV} "
              f"to a folder laid out like shared/data.")
    fetcher = pooch.create(path=cache, base_url="", registry={key: f.sha256}, urls={key: f.url},
                           retry_if_failed=RETRIES)
    downloader = _hash_checked(_http_downloader(progressbar), key, f.sha256, f.url, advice)
    log.info("fetching %s from %s", key, f.url)
    try:
        with _quiet_pooch():
            return Path(fetcher.fetch(key, downloader=downloader))
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
        raise DatasetUnavailable(f"download failed ({type(err).__name__})") from err
