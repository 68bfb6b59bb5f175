"""The dataset registry: pinned hashes, the mirror, the cache, and failure modes (corruption, interruption)."""

import gzip
import hashlib
import http.server
import os
import re
import socket
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path

import pooch
import pytest
import requests

from course_lib.data import registry
from course_lib.data.registry import REGISTRY, DataHashError, DatasetUnavailable, fetch

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("COURSE_DATA_MIRROR", str(ROOT.parent / "shared" / "data"))
MIRROR = Path(os.environ["COURSE_DATA_MIRROR"])
ALL_FILES = [(name, f.split) for name, ds in REGISTRY.items() for f in ds.files]
HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_CACHE", str(cache))
    return cache


@pytest.fixture
def no_mirror(monkeypatch, empty_cache):
    """No mirror, network allowed, no retries (the tests replace the downloader)."""
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_DATA_OFFLINE", raising=False)
    monkeypatch.setattr(registry, "RETRIES", 0)
    return empty_cache


def test_registry_has_every_dataset_with_provenance():
    assert set(REGISTRY) == {"tinyshakespeare", "imdb", "sst2", "ud_english_ewt", "uner_english_ewt", "wnut17",
                             "kjv"}
    for ds in REGISTRY.values():
        assert ds.licence and ds.citation and ds.homepage.startswith("https://")
        for f in ds.files:
            assert HEX64.match(f.sha256) and HEX64.match(f.mirror_sha256), (ds.name, f.split)
            assert f.relation in {"identical", "gzip", "repacked"}
            assert f.url is None or f.url.startswith("https://")
            assert (f.sha256 == f.mirror_sha256) == (f.relation == "identical"), (ds.name, f.split)
    assert [f.split for f in REGISTRY["ud_english_ewt"].files] == ["train", "dev", "test"]
    assert "/r2.16/" in REGISTRY["ud_english_ewt"].file("train").url
    draft = REGISTRY["uner_english_ewt"].file("train")
    assert "0c7ce0debb13a7d304da656f16309397e8ff36ef" in draft.url and "DRAFT" in draft.name
    assert REGISTRY["imdb"].file("all").relation == "repacked"
    assert REGISTRY["kjv"].file("all").url is None
    with pytest.raises(ValueError, match="no split 'val'"):
        REGISTRY["sst2"].file("val")


def test_registry_hashes_are_the_manifests():
    """Every pinned hash (canonical and mirror) is written in the mirror's MANIFEST.md."""
    manifest = (MIRROR / "MANIFEST.md").read_text()
    for ds in REGISTRY.values():
        for f in ds.files:
            assert f.mirror_sha256 in manifest, (ds.name, f.split)
            assert f.sha256 in manifest, (ds.name, f.split)


@pytest.mark.parametrize(("dataset", "split"), ALL_FILES)
def test_every_mirror_file_passes_its_hash(dataset, split, empty_cache):
    f = REGISTRY[dataset].file(split)
    path = fetch(dataset, split)
    assert path == empty_cache / "mirror" / f.mirror
    assert pooch.file_hash(str(path)) == f.mirror_sha256
    assert path.read_bytes() == (MIRROR / f.mirror).read_bytes()
    assert fetch(dataset, split) == path  # second call: served from the cache


@pytest.mark.parametrize(("dataset", "split"), [(n, s) for n, s in ALL_FILES
                                                if REGISTRY[n].file(s).relation == "gzip"])
def test_gzipped_mirror_files_hold_the_canonical_bytes(dataset, split):
    f = REGISTRY[dataset].file(split)
    assert _sha256(gzip.decompress((MIRROR / f.mirror).read_bytes())) == f.sha256


def test_corrupted_mirror_raises_a_clear_error_and_caches_nothing(tmp_path, monkeypatch, empty_cache):
    f = REGISTRY["sst2"].file("dev")
    data = bytearray((MIRROR / f.mirror).read_bytes())
    data[1000] ^= 0x01
    bad = tmp_path / "mirror" / f.mirror
    bad.parent.mkdir(parents=True)
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(DataHashError) as err:
        fetch("sst2", "dev")
    msg = str(err.value)
    assert f.mirror in msg and str(bad) in msg
    assert f"expected {f.mirror_sha256}" in msg and f"got {_sha256(bytes(data))}" in msg
    assert "restore" in msg and "COURSE_DATA_MIRROR" in msg
    assert _files_under(empty_cache) == []  # not even a temporary file


def test_a_stale_cached_file_is_replaced(empty_cache):
    f = REGISTRY["sst2"].file("test")
    stale = empty_cache / "mirror" / f.mirror
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"label,sentence\n1,truncated")
    assert pooch.file_hash(str(fetch("sst2", "test"))) == f.mirror_sha256


def test_a_mirror_without_the_file_is_reported(tmp_path, monkeypatch, empty_cache):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="sst2_binary/train_binary_sent.csv"):
        fetch("sst2", "train")


def test_unknown_dataset_is_rejected():
    with pytest.raises(ValueError, match="unknown dataset 'ptb'"):
        fetch("ptb")


def test_cache_location_defaults_to_pooch_os_cache(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_CACHE", raising=False)
    assert registry.cache_dir() == Path(pooch.os_cache("rnn-nlp-course"))
    monkeypatch.setenv("COURSE_DATA_CACHE", "/somewhere/else")
    assert registry.cache_dir() == Path("/somewhere/else")


def test_offline_without_mirror_is_unavailable(no_mirror, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_OFFLINE", "1")
    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: pytest.fail("network used"))
    with pytest.raises(DatasetUnavailable, match="COURSE_DATA_OFFLINE"):
        fetch("tinyshakespeare")
    with pytest.raises(DatasetUnavailable, match="no public download"):
        fetch("kjv")


def test_an_earlier_download_is_used_offline(no_mirror, monkeypatch):
    f = REGISTRY["sst2"].file("train")
    done = no_mirror / "sst2" / f.name
    done.parent.mkdir(parents=True)
    done.write_bytes((MIRROR / f.mirror).read_bytes())
    monkeypatch.setenv("COURSE_DATA_OFFLINE", "1")
    assert fetch("sst2", "train") == done
    done.write_bytes(b"label,sentence\n")  # a cached file that fails its hash is not used
    with pytest.raises(DatasetUnavailable):
        fetch("sst2", "train")


def _partial_then(exc):
    """A downloader that writes the first half of the real file, then raises ``exc`` (or returns if None)."""
    real = (MIRROR / "sst2_binary/dev_binary_sent.csv").read_bytes()
    calls = []

    def download(url, output_file, pooch_obj):
        calls.append(url)
        Path(output_file).write_bytes(real[: len(real) // 2])
        if exc is not None:
            raise exc
    return download, calls


def test_an_interrupted_download_leaves_no_file(no_mirror, monkeypatch):
    download, calls = _partial_then(requests.exceptions.ConnectionError("connection reset mid-way"))
    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: download)
    with pytest.raises(DatasetUnavailable, match="ConnectionError"):
        fetch("sst2", "dev")
    assert calls == [REGISTRY["sst2"].file("dev").url]
    assert _files_under(no_mirror) == []


def test_a_truncated_download_fails_its_hash_and_leaves_no_file(no_mirror, monkeypatch):
    download, _ = _partial_then(None)
    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: download)
    with pytest.raises(DataHashError) as err:
        fetch("sst2", "dev")
    msg = str(err.value)
    assert "sst2/dev_binary_sent.csv" in msg and REGISTRY["sst2"].file("dev").sha256 in msg
    assert "re-download" in msg and "delete" in msg
    assert _files_under(no_mirror) == []


def test_a_failed_attempt_is_retried(no_mirror, monkeypatch):
    real = (MIRROR / "sst2_binary/dev_binary_sent.csv").read_bytes()
    attempts = []

    def flaky(url, output_file, pooch_obj):
        attempts.append(url)
        if len(attempts) == 1:
            raise requests.exceptions.ConnectionError("first attempt fails")
        Path(output_file).write_bytes(real)

    monkeypatch.setattr(registry, "RETRIES", 2)
    monkeypatch.setattr(pooch.core.time, "sleep", lambda s: None)
    monkeypatch.setattr(registry, "_http_downloader", lambda progressbar=False: flaky)
    path = fetch("sst2", "dev")
    assert len(attempts) == 2 and path == no_mirror / "sst2" / "dev_binary_sent.csv"
    assert path.read_bytes() == real


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server over ``tmp_path/www`` (pooch's real HTTPDownloader is used against it)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_from_the_canonical_url_is_hash_checked(no_mirror, monkeypatch, http_server):
    www, base = http_server
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    ds = REGISTRY["ud_english_ewt"]
    f = ds.file("dev")
    served = dict(files=tuple(replace(x, url=base + x.name) for x in ds.files))
    monkeypatch.setitem(REGISTRY, "ud_english_ewt", replace(ds, **served))
    (www / f.name).write_bytes(gzip.decompress((MIRROR / f.mirror).read_bytes()))  # the raw .conllu
    path = fetch("ud_english_ewt", "dev")
    assert path == no_mirror / "ud_english_ewt" / "en_ewt-ud-dev.conllu"
    assert pooch.file_hash(str(path)) == f.sha256

    path.unlink()  # the server now serves a corrupted file: error, and nothing cached
    data = bytearray((www / f.name).read_bytes())
    data[-10] ^= 0x20
    (www / f.name).write_bytes(bytes(data))
    with pytest.raises(DataHashError, match=f"expected {f.sha256}, got {_sha256(bytes(data))}"):
        fetch("ud_english_ewt", "dev")
    assert _files_under(no_mirror) == []


def test_a_connection_refused_is_unavailable(no_mirror, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    ds = REGISTRY["wnut17"]
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    monkeypatch.setitem(REGISTRY, "wnut17", replace(ds, files=tuple(replace(x, url=dead + x.name)
                                                                       for x in ds.files)))
    with pytest.raises(DatasetUnavailable, match="ConnectionError"):
        fetch("wnut17", "dev")
    assert _files_under(no_mirror) == []
