"""Radford et al.'s released sentiment-neuron model: its files, how they are fetched and checked, and how it reads.

Radford, Józefowicz & Sutskever (2017), "Learning to Generate Reviews and Discovering Sentiment" (deck 000,
Part 5): a byte-level mLSTM with 4096 units, trained for a month on 82 million Amazon reviews, whose cell unit
2388 alone classifies IMDB reviews with 7.70 % error. The weights are 15 ``.npy`` files (~345 MB) in
``openai/generating-reviews-discovering-sentiment`` (MIT licence) under ``model/``; the repository pins them only
by their git blob ids (``shared/data/MANIFEST.md``), so that is what :func:`fetch_radford_weights` checks.

Where the files come from, as for the datasets (:mod:`course_lib.data.registry`): a mirror folder
``$COURSE_DATA_MIRROR/sentiment_neuron/N.npy`` if it has them; else an earlier download in
``<cache>/sentiment_neuron/``; else ``pooch`` downloads them (with retries) from the repository at its pinned
commit, unless ``COURSE_DATA_OFFLINE=1``. Every file is hash-checked before it is moved into the cache.

The architecture is :class:`~course_lib.models.mlstm.MLSTMLM`;
:func:`~course_lib.models.mlstm.mlstm_from_radford_params` documents and converts the layout (gate order,
weight normalisation). Reading reviews follows ``encoder.py``: :func:`radford_preprocess`, then the final cell
state from a zero state (:func:`final_cell_states`).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pooch
import torch

from course_lib.data import registry
from course_lib.data.registry import DatasetUnavailable
from course_lib.models.mlstm import MLSTMLM, RADFORD_SENTIMENT_UNIT, mlstm_from_radford_params

__all__ = [
    "RADFORD_COMMIT", "RADFORD_FILES", "RADFORD_SENTIMENT_UNIT", "final_cell_states", "fetch_radford_weights",
    "load_radford_mlstm", "radford_preprocess", "radford_url", "weights_available",
]

RADFORD_REPO = "openai/generating-reviews-discovering-sentiment"
RADFORD_COMMIT = "0032e4b87903713ad4242599f5dda2eb7b8c40fd"
RADFORD_CITATION = ("Radford, A., Józefowicz, R. and Sutskever, I. (2017). Learning to Generate Reviews and "
                    "Discovering Sentiment. arXiv:1704.01444.")
MIRROR_FOLDER = "sentiment_neuron"
_CHUNK = 64  # time steps projected at once in final_cell_states (encoder.py's nsteps)
# git blob id of model/N.npy at RADFORD_COMMIT (shared/data/MANIFEST.md); index = N.
RADFORD_FILES: tuple[str, ...] = (
    "64046c2bfcc46b04001ecc72c523fa06ea49da26", "48a9ce0d01b7f8394345f3587559ce8ce7e47841",
    "9a78f2c8f5447d0eb2c93d6f8f2632483441a072", "8dc8daffdd0317fe2062ce7730608f2d1ace7737",
    "90ff06565ee66227c075ea724d010a0dd87b76d9", "181109eb9fbea7529d9ccbbade234365f40914ee",
    "875fadb36c969edabffd35df7702c80de2fb895e", "5f946abd4eb767a0c04941eb90f8bee718ccceef",
    "3fd585ae5e53cae155ea8b760950db24ab13424b", "45d5ce521c7b10f3e6ccc702f902846e3e1d4216",
    "068c953b192b871251d2b67f4c3c4cf76700dbf1", "4266d2a2ffde97cc74cb54707f5b6fc74b924cea",
    "6116d17dec7f722b55248e632c25be47cf13b6a4", "21a442e141da569d96d1739aa9fe3277544255ef",
    "0f452d14e0ac21f47c4c68de3b4427dee9b5ce6a",
)


def radford_url(k: int) -> str:
    """Download URL of ``model/<k>.npy`` at the pinned commit."""
    return f"https://raw.githubusercontent.com/{RADFORD_REPO}/{RADFORD_COMMIT}/model/{k}.npy"


def _fetch_one(k: int, blob: str, progressbar: bool) -> Path:
    cache = registry.cache_dir()
    name = f"{k}.npy"
    mirror = registry.mirror_dir()
    src = mirror / MIRROR_FOLDER / name if mirror is not None else None
    if src is not None and src.is_file():
        advice = (f"The mirror copy {src} is corrupted or is not Radford et al.'s file: replace it with "
                  f"{radford_url(k)}, or remove it to download.")
        fetcher = pooch.create(path=cache / "mirror" / MIRROR_FOLDER, base_url="", registry={name: None},
                               urls={name: src.resolve().as_uri()})
        target = cache / "mirror" / MIRROR_FOLDER / name
        if target.is_file() and registry.git_blob_sha1(target) != blob:
            target.unlink()  # a stale copy: pooch would trust it (no hash in its registry), so it goes first
        downloader = registry._hash_checked(registry._mirror_copier(src), f"{MIRROR_FOLDER}/{name}", blob, str(src),
                                            advice, alg="git-blob")
        with registry._quiet_pooch():
            return Path(fetcher.fetch(name, downloader=downloader))

    cached = cache / MIRROR_FOLDER / name
    if cached.is_file():
        if registry.git_blob_sha1(cached) == blob:
            return cached
        cached.unlink()  # corrupted or replaced since: fetch it again
    if registry.is_offline():
        raise DatasetUnavailable(f"{registry.OFFLINE_ENV} is set")
    import requests  # pooch's own dependency

    advice = (f"The download was corrupted or the file changed upstream. Run again to re-download, or put "
              f"the files in ${registry.MIRROR_ENV}/{MIRROR_FOLDER}/.")
    fetcher = pooch.create(path=cache / MIRROR_FOLDER, base_url="", registry={name: None},
                           urls={name: radford_url(k)}, retry_if_failed=registry.RETRIES)
    downloader = registry._hash_checked(registry._http_downloader(progressbar), f"{MIRROR_FOLDER}/{name}", blob,
                                        radford_url(k), advice, alg="git-blob")
    try:
        with registry._quiet_pooch():
            return Path(fetcher.fetch(name, downloader=downloader))
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
        raise DatasetUnavailable(f"download of {radford_url(k)} failed ({type(err).__name__})") from err


def fetch_radford_weights(progressbar: bool = False) -> list[Path]:
    """Local paths of ``model/0.npy`` .. ``14.npy``, fetched and checked against their git blob ids first.

    Raises :class:`~course_lib.data.registry.DataHashError` (naming the file, both ids and what to do; nothing
    is cached) or :class:`~course_lib.data.registry.DatasetUnavailable` (offline, or the download cannot connect).
    """
    return [_fetch_one(k, blob, progressbar) for k, blob in enumerate(RADFORD_FILES)]


def load_radford_mlstm(dtype: torch.dtype = torch.float32, progressbar: bool = False) -> MLSTMLM:
    """Radford et al.'s 4096-unit byte mLSTM as an :class:`MLSTMLM` (eval mode; ~345 MB in float32).

    The files are memory-mapped while converting, so the peak memory is about the model plus one 64 MB block.
    Its sentiment unit is :data:`RADFORD_SENTIMENT_UNIT` (2388) of the cell state. Raises as
    :func:`fetch_radford_weights`.
    """
    params = [np.load(p, mmap_mode="r", allow_pickle=False) for p in fetch_radford_weights(progressbar)]
    return mlstm_from_radford_params(params, dtype)


def radford_preprocess(text: str, front_pad: str = "\n ", end_pad: str = " ") -> bytes:
    """``encoder.py``'s ``preprocess``: unescape HTML entities, newlines to spaces, strip, pad with ``"\\n "`` in
    front and ``" "`` behind, UTF-8 bytes. (IMDB reviews also hold ``<br />`` tags; ``encoder.py`` keeps them.)"""
    text = html.unescape(text).replace("\n", " ").strip()
    return (front_pad + text + end_pad).encode("utf-8")


def final_cell_states(model: MLSTMLM, texts: Sequence[str], batch_size: int = 32, max_bytes: int | None = None,
                      preprocess: bool = True) -> np.ndarray:
    """Radford et al.'s review features: the cell state after each text's last byte, from a zero state, (M, H).

    Texts are read in batches sorted by length; a text's state stops changing after its last byte (``encoder.py``
    masks its padding the same way), so the result does not depend on the batch. ``preprocess``: apply
    :func:`radford_preprocess` first; ``max_bytes`` keeps the last bytes of a longer text. Eval mode, no grads.
    """
    seqs = [radford_preprocess(t) if preprocess else t.encode("utf-8") for t in texts]
    seqs = [s[-max_bytes:] if max_bytes else s for s in seqs]
    seqs = [s if s else b"\n" for s in seqs]
    order = np.argsort([-len(s) for s in seqs], kind="stable")
    out = np.zeros((len(seqs), model.hidden), dtype=np.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(seqs), batch_size):
            idx = order[start:start + batch_size]
            lengths = torch.tensor([len(seqs[i]) for i in idx])
            x = torch.zeros(len(idx), int(lengths.max()), dtype=torch.long)
            for row, i in enumerate(idx):
                x[row, :len(seqs[i])] = torch.tensor(list(seqs[i]))
            h, c = model.init_state(len(idx))
            for t0 in range(0, x.shape[1], _CHUNK):  # input projections a chunk at a time: (n, 64, 5H) at most
                xm, xg = model.cell.input_projections(model.embedding(x[:, t0:t0 + _CHUNK]))
                for j in range(xm.shape[1]):
                    h_new, c_new = model.cell.step(xm[:, j], xg[:, j], (h, c))
                    live = (t0 + j < lengths)[:, None]
                    h, c = torch.where(live, h_new, h), torch.where(live, c_new, c)
            out[idx] = c.float().numpy()
    model.train(was_training)
    return out


def weights_available() -> bool:
    """True when the 15 files are in the mirror or the cache already (no download is attempted)."""
    mirror = registry.mirror_dir()
    places = ([mirror / MIRROR_FOLDER] if mirror is not None else []) + [
        registry.cache_dir() / "mirror" / MIRROR_FOLDER, registry.cache_dir() / MIRROR_FOLDER]
    return any(all((p / f"{k}.npy").is_file() for k in range(len(RADFORD_FILES))) for p in places)


if __name__ == "__main__":  # pragma: no cover - fetch once, e.g. in Binder's postBuild: python -m course_lib.pretrained
    paths = fetch_radford_weights(progressbar=True)
    print(f"{len(paths)} files, {sum(os.path.getsize(p) for p in paths) / 1e6:.1f} MB, in {paths[0].parent}")
