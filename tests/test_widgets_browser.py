"""Both widgets in a real JupyterLab, driven by headless Chromium (Python Playwright, Debian's /usr/bin/chromium).

The test starts its own JupyterLab on a free port with a random token in a temporary root holding the two notebooks
of ``tests/widget_notebooks`` (converted with jupytext), runs all cells, drags the main sliders with the mouse and
checks that the picture / coloured text really changes and that no widget failed to render. Screenshots go to
``tests/artifacts/``. The server and its kernels are stopped by their own PIDs whatever happens.

The character LSTM is the shipped ``data/checkpoints/char_lstm_shakespeare.pt`` when it exists, otherwise a tiny
one trained here in a few seconds on Tiny Shakespeare.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext
import nbformat
import psutil
import pytest
import torch

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(__file__).resolve().parent / "widget_notebooks"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SHIPPED = ROOT / "data" / "checkpoints" / "char_lstm_shakespeare.pt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


# ------------------------------------------------------------------------------------------- fixtures
def _train_tiny_char_lstm(path: Path) -> None:
    """A 1-layer, 48-unit character LSTM, 100 Adam steps on the first 30k characters of Tiny Shakespeare."""
    from course_lib.data import Vocabulary, char_tokenize, load_tinyshakespeare
    from course_lib.models.language_models import RNNLM, tbptt_batches
    from course_lib.training import save_checkpoint

    text = load_tinyshakespeare("train")[:30_000]
    vocab = Vocabulary.build([char_tokenize(text)])
    ids = torch.tensor(vocab.encode(char_tokenize(text)))
    torch.manual_seed(0)
    model = RNNLM(len(vocab), 16, 48, cell="lstm")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches = tbptt_batches(ids, 16, 64)
    for step in range(100):
        x, y = batches[step % len(batches)]
        loss = torch.nn.functional.cross_entropy(model(x)[0].reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    save_checkpoint(path, model, meta={"cell": "lstm", "note": "tiny test model"}, vocab=vocab.to_dict())


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    """The server's root: the two notebooks, a text to colour, and ``checkpoint.txt`` naming the char LSTM."""
    root = tmp_path_factory.mktemp("lab")
    for src in NOTEBOOKS.glob("*.py"):
        nb = jupytext.read(src)
        nb.metadata.pop("jupytext", None)  # a plain notebook, not one paired with a text file
        nbformat.write(nb, root / f"{src.stem}.ipynb")
    from course_lib.data import load_tinyshakespeare

    (root / "text.txt").write_text(load_tinyshakespeare("val")[:3000])
    (root / "checkpoint.txt").write_text(str(SHIPPED if SHIPPED.exists() else root / "char_lstm_tiny.pt"))
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and every process it started (its kernels), each by its own PID."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.terminate()  # the server shuts its kernels down on SIGTERM ...
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for child in children:  # ... and whatever is still alive goes now
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(children, timeout=10)


@pytest.fixture(scope="module")
def lab(lab_root, tmp_path_factory):
    """A running JupyterLab: yields its base URL and token; stopped in teardown whatever happens."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("lab-home")
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_WIDGETS_STATIC")}
    env.update(WIDGET_TEST_CHECKPOINT=(lab_root / "checkpoint.txt").read_text(),
               WIDGET_TEST_TEXT=str(lab_root / "text.txt"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    log = open(home / "lab.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
         f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={lab_root}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=lab_root)
    base = f"http://127.0.0.1:{port}"
    try:
        ckpt = Path((lab_root / "checkpoint.txt").read_text())
        if not ckpt.exists():  # train while the server starts
            _train_tiny_char_lstm(ckpt)
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"JupyterLab exited early:\n{(home / 'lab.log').read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
            time.sleep(0.5)
        yield base, token
    finally:
        _stop(proc)
        log.close()
        assert proc.poll() is not None


@pytest.fixture
def page(browser, request):
    """A fresh page; its final state is kept as ``tests/artifacts/last_<test>.png`` (helps when a test fails)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.set_default_timeout(60_000)  # the course machines are small and shared
    try:
        yield pg
    finally:
        pg.screenshot(path=ARTIFACTS / f"last_{request.node.name}.png", full_page=True)
        pg.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# ------------------------------------------------------------------------------------------- helpers
def open_and_run_all(page, base: str, token: str, name: str) -> None:
    # ``reset``: start from an empty workspace, not the one the previous test left with its notebook open (a
    # hidden second notebook panel would otherwise answer the selectors below).
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").locator("visible=true").first.wait_for(
        timeout=60_000)
    assert page.locator(".jp-NotebookPanel").locator("visible=true").count() == 1
    dialog = page.locator(".jp-Dialog button.jp-mod-accept:has-text('Select')")
    try:  # Lab may ask which kernel to start: take the notebook's own (Python 3)
        dialog.click(timeout=3_000)
    except Exception:
        pass
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item[data-command='runmenu:run-all']")


def drag(page, slider, dx: float) -> None:
    """Drag a slider's handle horizontally by ``dx`` pixels with the mouse."""
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=10)
    page.mouse.up()


def slider(page, root: str, label: str):
    return page.locator(f"{root} .widget-slider").filter(has=page.locator(".widget-label", has_text=label)).first


def wait_changed(page, read, before, what: str, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        page.wait_for_timeout(250)
    raise AssertionError(f"{what} did not change within {timeout:.0f} s")


def assert_no_widget_errors(page) -> None:
    assert "Error displaying widget" not in page.inner_text("body")
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0


# ------------------------------------------------------------------------------------------- tests
def test_vanishing_explorer_in_jupyterlab(lab, page):
    base, token = lab
    open_and_run_all(page, base, token, "vanishing_explorer.ipynb")
    root = ".course-vanishing-explorer"
    figures = page.locator(f"{root} .course-explorer-figures")
    figures.locator("svg").first.wait_for(timeout=90_000)
    page.wait_for_function(  # both rows drawn, each with its curves
        "() => [...document.querySelectorAll('.course-explorer-figures svg')]"
        ".filter(s => s.getBoundingClientRect().width > 300 && s.querySelectorAll('polyline').length > 2)"
        ".length === 2", timeout=30_000)

    def picture() -> bytes:
        return figures.screenshot()

    shot0 = picture()
    status = page.locator(f"{root} .widget-html").first
    status0 = status.inner_text()
    assert "ρ = 1.00" in status0
    page.screenshot(path=ARTIFACTS / "vanishing_0_initial.png", full_page=True)

    drag(page, slider(page, root, "spectral radius"), 120)
    status1 = wait_changed(page, status.inner_text, status0, "status after dragging the radius")
    assert "ρ = 1.00" not in status1
    shot1 = wait_changed(page, picture, shot0, "figure after dragging the radius")
    page.screenshot(path=ARTIFACTS / "vanishing_1_radius.png", full_page=True)

    for label, dx, name in (("sequence length", -40, "T"), ("forget-gate bias", 60, "forget_bias"),
                            ("clipping threshold", -60, "threshold")):
        before = picture()
        drag(page, slider(page, root, label), dx)
        shot1 = wait_changed(page, picture, before, f"figure after dragging {label}")
        page.screenshot(path=ARTIFACTS / f"vanishing_2_{name}.png", full_page=True)
    assert shot1 != shot0
    assert_no_widget_errors(page)


def test_activation_viewer_and_sentiment_view_in_jupyterlab(lab, page):
    base, token = lab
    open_and_run_all(page, base, token, "cell_activations.ipynb")
    root = ".course-activation-viewer"
    text_view = page.locator(f"{root} .course-activation-text")
    page.locator(f"{root} .course-activations").wait_for(timeout=90_000)

    def coloured() -> str:
        return text_view.inner_html()

    html0 = coloured()
    assert "unit 0" in html0 and html0.count("<span") > 20
    page.screenshot(path=ARTIFACTS / "activations_0_initial.png", full_page=True)

    drag(page, slider(page, root, "unit"), 150)
    html1 = wait_changed(page, coloured, html0, "coloured text after dragging the unit")
    assert "unit 0 " not in html1
    drag(page, slider(page, root, "page"), 400)
    html2 = wait_changed(page, coloured, html1, "coloured text after dragging the page")
    assert "page 1 " not in html2
    page.screenshot(path=ARTIFACTS / "activations_1_unit_page.png", full_page=True)

    page.locator(f"{root} select").first.select_option("position in line")
    page.locator(f"{root} button:has-text('Find units')").click()
    table = page.locator(f"{root} table.course-units")
    table.wait_for(timeout=60_000)
    assert table.locator("tr").count() == 9  # header + top 8
    page.screenshot(path=ARTIFACTS / "activations_2_find_units.png", full_page=True)

    sroot = ".course-sentiment-view"
    generated = page.locator(f"{sroot} .course-generated")
    generated.wait_for(timeout=90_000)
    gen0 = generated.inner_text()
    assert "clamped to +1.00" in gen0
    drag(page, slider(page, sroot, "clamp"), -200)
    gen1 = wait_changed(page, generated.inner_text, gen0, "generated text after dragging the clamp value")
    assert "clamped to +1.00" not in gen1
    review = page.locator(f"{sroot} .course-activations").first
    review0 = review.inner_text()
    drag(page, slider(page, sroot, "review"), 150)
    wait_changed(page, review.inner_text, review0, "coloured review after dragging the review slider")
    page.screenshot(path=ARTIFACTS / "sentiment_0_clamp_review.png", full_page=True)
    assert_no_widget_errors(page)
