"""The port of Radford et al.'s released 4096-unit byte mLSTM (issue 3b).

CI cannot download the real weights, so the model is checked on synthetic weights of the released shapes and file
layout (15 ``.npy`` files, ``wh`` split over files 2-5), fetched through the real code path (mirror folder,
pooch, git blob ids computed by ``git hash-object`` itself), against a NumPy transcription of ``encoder.py``'s
equations written here from the published source (weight-normalised ``wx, wh, wmx, wmh``; gates ``i, f, o, u``).
"""

import subprocess

import numpy as np
import pytest
import torch

from course_lib import pretrained
from course_lib.data import registry
from course_lib.data.registry import DataHashError, DatasetUnavailable
from course_lib.models.mlstm import (
    MLSTMLM,
    RADFORD_SENTIMENT_UNIT,
    mlstm_from_radford_params,
    radford_file_shapes,
)


def synthetic_params(hidden: int, embed: int = 64, seed: int = 0, dtype=np.float32) -> list[np.ndarray]:
    """Random arrays of the released shapes; gains near 1 keep the pre-activations O(1) as in a trained model."""
    rng = np.random.default_rng(seed)
    out = []
    for k, shape in enumerate(radford_file_shapes(hidden, embed)):
        if k in (9, 10, 11, 12):  # gx, gh, gmx, gmh: weight-norm gains
            out.append(rng.uniform(0.5, 1.5, size=shape).astype(dtype))
        else:
            out.append((0.3 * rng.standard_normal(shape, dtype=np.float32)).astype(dtype))
    return out


def encoder_py(params: list[np.ndarray], data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``encoder.py``'s ``model()`` for one sequence, op by op: returns (logits (T, 256), cell states (T, H))."""
    emb, wx, wh0, wh1, wh2, wh3, wmx, wmh, b, gx, gh, gmx, gmh, w_out, b_out = params
    wh = np.concatenate([wh0, wh1, wh2, wh3], axis=1)  # params[2] = np.concatenate(params[2:6], axis=1)

    def l2_normalize(w):  # tf.nn.l2_normalize(w, dim=0)
        return w / np.sqrt(np.maximum(np.sum(w * w, axis=0, keepdims=True), 1e-12))

    wx, wh = l2_normalize(wx) * gx, l2_normalize(wh) * gh
    wmx, wmh = l2_normalize(wmx) * gmx, l2_normalize(wmh) * gmh
    H = wmh.shape[0]
    c, h = np.zeros(H, wx.dtype), np.zeros(H, wx.dtype)
    logits, cells = [], []
    for byte in data:
        x = emb[byte]
        m = (x @ wmx) * (h @ wmh)
        z = x @ wx + m @ wh + b
        i, f, o, u = np.split(z, 4)
        i, f, o, u = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o)), np.tanh(u)
        c = f * c + i * u
        h = o * np.tanh(c)
        cells.append(c)
        logits.append(h @ w_out + b_out)  # fc(..., wn=hps.out_wn=False)
    return np.array(logits), np.array(cells)


def test_conversion_matches_encoder_py_equations():
    params = synthetic_params(hidden=12, embed=5, seed=1, dtype=np.float64)
    model = mlstm_from_radford_params(params, dtype=torch.float64)
    data = b"Great film!\nA <br />bore."
    want_logits, want_cells = encoder_py(params, data)
    logits, _, cells = model(torch.tensor(list(data))[None], return_cells=True)
    np.testing.assert_allclose(logits[0].detach().numpy(), want_logits, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cells[0].detach().numpy(), want_cells, rtol=1e-10, atol=1e-12)
    # the review features: final cell state from a zero state, whatever the batch and the other texts' lengths
    texts = ["Great film!", "A bore, from the first minute to the last.", "ok"]
    feats = pretrained.final_cell_states(model, texts, batch_size=2, preprocess=False)
    for text, row in zip(texts, feats):
        np.testing.assert_allclose(row, encoder_py(params, text.encode())[1][-1], rtol=1e-6, atol=1e-6)


def test_a_wrong_array_names_its_file_and_shape():
    params = synthetic_params(hidden=8, embed=4)
    params[3] = params[3][:, :5]
    with pytest.raises(ValueError, match=r"model/3\.npy must have shape \(8, 8\)"):
        mlstm_from_radford_params(params)
    with pytest.raises(ValueError, match="15 arrays"):
        mlstm_from_radford_params(params[:14])


def test_preprocess_is_encoder_pys():
    assert pretrained.radford_preprocess("  Loved it &amp; more\nand more ") == b"\n Loved it & more and more "
    assert pretrained.radford_preprocess("caf\u00e9") == "\n caf\u00e9 ".encode()


def _write(folder, params) -> tuple[str, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    for k, a in enumerate(params):
        np.save(folder / f"{k}.npy", a)
    ids = tuple(subprocess.run(["git", "hash-object", str(folder / f"{k}.npy")], capture_output=True, text=True,
                               check=True).stdout.strip() for k in range(len(params)))
    assert ids[0] == registry.git_blob_sha1(folder / "0.npy")  # our hash is git's
    return ids


def test_released_shapes_and_layout_through_the_mirror(tmp_path, monkeypatch):
    """4096 units, the released shapes, read from a mirror folder; unit 2388 as the paper's code computes it."""
    params = synthetic_params(hidden=4096)
    monkeypatch.setattr(pretrained, "RADFORD_FILES", _write(tmp_path / "mirror" / "sentiment_neuron", params))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    assert pretrained.weights_available()
    model = pretrained.load_radford_mlstm()
    assert isinstance(model, MLSTMLM) and (model.hidden, model.embed, model.vocab) == (4096, 64, 256)
    released = sum(int(np.prod(s)) for s in radford_file_shapes())
    gains = 2 * 4 * 4096 + 2 * 4096  # gx, gh (4H each), gmx, gmh (H each): folded into the weights
    assert sum(p.numel() for p in model.parameters()) == released - gains
    texts = ["Best purchase ever.", "Awful &amp; dull."]
    feats = pretrained.final_cell_states(model, texts)
    for text, row in zip(texts, feats):
        _, cells = encoder_py(params, pretrained.radford_preprocess(text))
        np.testing.assert_allclose(row, cells[-1], rtol=2e-4, atol=2e-5)
    assert feats.shape == (2, 4096) and np.isfinite(feats[:, RADFORD_SENTIMENT_UNIT]).all()


def test_a_corrupt_mirror_file_is_refused_and_not_cached(tmp_path, monkeypatch):
    params = synthetic_params(hidden=8, embed=4)
    folder = tmp_path / "mirror" / "sentiment_neuron"
    ids = _write(folder, params)
    monkeypatch.setattr(pretrained, "RADFORD_FILES", ids)
    np.save(folder / "7.npy", params[7] + 1)  # same shape, other bytes
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataHashError, match=rf"git blob id mismatch for sentiment_neuron/7\.npy .*expected {ids[7]}"):
        pretrained.fetch_radford_weights()
    cached = tmp_path / "cache" / "mirror" / "sentiment_neuron"
    assert not (cached / "7.npy").exists() and not list(cached.glob("*tmp*"))


def test_download_path_checks_blobs_retries_and_caches(tmp_path, monkeypatch):
    params = synthetic_params(hidden=8, embed=4)
    origin = tmp_path / "origin"
    monkeypatch.setattr(pretrained, "RADFORD_FILES", _write(origin, params))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_DATA_OFFLINE", "1")
    assert not pretrained.weights_available()
    with pytest.raises(DatasetUnavailable, match="COURSE_DATA_OFFLINE"):
        pretrained.fetch_radford_weights()
    monkeypatch.delenv("COURSE_DATA_OFFLINE")
    calls = []

    def fake_http(progressbar=False):  # what pooch's HTTPDownloader would write, read from `origin`
        def download(url, output_file, pooch_obj):
            calls.append(url)
            k = int(url.rsplit("/", 1)[1].split(".")[0])
            assert url == pretrained.radford_url(k) and pretrained.RADFORD_COMMIT in url
            with open(output_file, "wb") as out:
                out.write((origin / f"{k}.npy").read_bytes())
        return download

    monkeypatch.setattr(registry, "_http_downloader", fake_http)
    paths = pretrained.fetch_radford_weights()
    assert len(calls) == 15 and [p.name for p in paths] == [f"{k}.npy" for k in range(15)]
    model = pretrained.load_radford_mlstm(dtype=torch.float64)
    want = encoder_py([a.astype(np.float64) for a in params], b"\n Nice. ")[1][-1]
    np.testing.assert_allclose(pretrained.final_cell_states(model, ["Nice."])[0], want, rtol=1e-5, atol=1e-6)
    monkeypatch.setenv("COURSE_DATA_OFFLINE", "1")  # now cached: usable offline, nothing downloaded again
    assert pretrained.fetch_radford_weights() == paths and len(calls) == 15 and pretrained.weights_available()


def test_the_sentiment_view_takes_the_ported_model():
    """issue 5's sentiment view runs on the released architecture (here with small synthetic weights)."""
    from course_lib.widgets import SentimentNeuronView

    model = mlstm_from_radford_params(synthetic_params(hidden=16, embed=8, seed=3))
    reviews, labels = ["A wonderful, moving film.", "Dull and far too long."], np.array([1, 0])
    view = SentimentNeuronView(model, 5, reviews, labels, length=20)
    np.testing.assert_allclose(view.values, pretrained.final_cell_states(model, reviews, preprocess=False)[:, 5],
                               rtol=1e-5, atol=1e-6)
    before = view.generated.value
    view.clamp.value = -2.0
    assert view.generated.value != before
