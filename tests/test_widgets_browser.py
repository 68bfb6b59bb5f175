"""Both widgets in a real JupyterLab, driven by headless Chromium (Python Playwright, Debian's /usr/bin/chromium).

The test starts its own JupyterLab on a free port with a random token in a temporary root holding the notebooks
of ``tests/widget_notebooks`` (converted with jupytext), runs all cells in a 900 px-wide window, checks that each
widget opens on the state its lecture describes (the unit, the measure's label) and lays out at 900 px (no control
or label cut off, nothing wider than the notebook) and again at 1400 px, drags the main sliders with the mouse and
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
NARROW, WIDE = 900, 1400  # widgets must lay out at 900 px and up
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
    """The server's root: the notebooks, a text to colour, and ``checkpoint.txt`` naming the char LSTM."""
    root = tmp_path_factory.mktemp("lab")
    for src in NOTEBOOKS.glob("*.py"):
        nb = jupytext.read(src)
        nb.metadata.pop("jupytext", None)  # a plain notebook, not one paired with a text file
        nbformat.write(nb, root / f"{src.stem}.ipynb")
    from course_lib.data import load_tinyshakespeare

    val = load_tinyshakespeare("val")
    (root / "text.txt").write_text(val[val.index("\n\n") + 2:][:3000])  # as Lecture 5: from the first speaker
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


def start_lab(root: Path, home: Path, *args: str, timeout: float = 90, **env_extra: str):
    """Start JupyterLab serving ``root`` on a free port with a random token (runtime, settings and workspaces under
    ``home``, log in ``home/lab.log``); returns ``(proc, base_url, token)`` once it answers, or stops it and fails
    with the end of its log. The caller stops it with :func:`_stop`."""
    port, token = _free_port(), secrets.token_hex(16)
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_WIDGETS_STATIC")}
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), **env_extra)
    log = home / "lab.log"
    with open(log, "wb") as out:  # the server keeps its own copy of the file descriptor
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1",
             "--port", str(port), f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={root}",
             *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return proc, base, token
        except OSError:
            pass
        time.sleep(0.5)
    why = "exited early" if proc.poll() is not None else f"did not answer within {timeout:.0f} s"
    _stop(proc)
    raise AssertionError(f"JupyterLab {why}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(lab_root, tmp_path_factory):
    """A running JupyterLab: yields its base URL and token; stopped in teardown whatever happens."""
    ckpt = Path((lab_root / "checkpoint.txt").read_text())
    if not ckpt.exists():
        _train_tiny_char_lstm(ckpt)
    proc, base, token = start_lab(lab_root, tmp_path_factory.mktemp("lab-home"),
                                  WIDGET_TEST_CHECKPOINT=str(ckpt), WIDGET_TEST_TEXT=str(lab_root / "text.txt"),
                                  PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        yield base, token
    finally:
        _stop(proc)
        assert proc.poll() is not None


@pytest.fixture
def page(browser, request):
    """A fresh page; its final state is kept as ``tests/artifacts/last_<test>.png`` (helps when a test fails)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg = browser.new_page(viewport={"width": WIDE, "height": 1000})
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
    # wide while Lab opens: at 900 px the notebook toolbar folds its kernel-status indicator into a menu
    page.set_viewport_size({"width": WIDE, "height": 1000})
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


_LAYOUT_JS = """(sel) => {
  const root = document.querySelector(sel);
  const area = root.closest('.jp-OutputArea-output') || root.parentElement;
  const a = area.getBoundingClientRect();
  const right = Math.min(a.right, window.innerWidth) + 1, left = a.left - 1;
  const bad = [];
  const q = '.widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons, .widget-toggle-button, ' +
            '.widget-button, .widget-textarea, .widget-label, .widget-readout, .widget-html, svg';
  let n = 0;
  for (const el of root.querySelectorAll(q)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;  // hidden (a page slider with one page)
    n += 1;
    const what = (el.className.baseVal ?? el.className) + ' "' + (el.innerText || '').slice(0, 30) + '"';
    if (r.right > right || r.left < left) bad.push(what + ' spans ' + r.left.toFixed(0) + '..' + r.right.toFixed(0));
    const label = el.classList && (el.classList.contains('widget-label') || el.classList.contains('widget-readout'));
    if (label && el.scrollWidth > el.clientWidth + 1) bad.push(what + ' is cut off');
  }
  for (const el of root.querySelectorAll('button, .widget-label, .widget-readout, label'))  // text with an ellipsis
    if (el.getBoundingClientRect().width > 0 && el.scrollWidth > el.clientWidth + 1)
      bad.push((el.innerText || '').slice(0, 30) + ' is cut off (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
  for (const el of [root, area])
    if (el.scrollWidth > el.clientWidth + 1) bad.push('horizontal scroll: ' + el.scrollWidth + ' > ' + el.clientWidth);
  return {bad, n, area: [a.left, a.right], viewport: window.innerWidth, height: root.getBoundingClientRect().height};
}"""


def assert_lays_out(page, root: str, width: int) -> dict:
    """Every control, label and figure of the widget ``root`` lies inside its output area and the viewport, no
    label or slider readout is cut (ellipsis), and nothing scrolls sideways; returns the measurements."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(800)  # let Lab re-flow
    got = page.evaluate(_LAYOUT_JS, root)
    assert got["viewport"] == width and got["n"] > 5, got
    assert got["area"][1] <= width + 1 and not got["bad"], f"{root} at {width} px: {got['bad']}"
    page.screenshot(path=ARTIFACTS / f"layout_{root.strip('.')}_{width}.png", full_page=True)
    print(f"{root} at {width} px: {got['n']} elements inside the output area {got['area']}, "
          f"{got['height']:.0f} px tall")
    return got


def output_text(page, marker: str) -> str:
    """The stream output line that starts with ``marker`` (a notebook prints it), without the marker."""
    line = page.locator(".jp-OutputArea-output", has_text=marker).first
    line.wait_for(timeout=90_000)
    return next(t for t in line.inner_text().splitlines() if t.startswith(marker))[len(marker):]


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
    page.wait_for_function(  # all four panels drawn, each with its curves, none squeezed below 300 px
        "() => { const s = [...document.querySelectorAll('.course-explorer-figures svg')];"
        " return s.length === 4 && s.every(v => v.getBoundingClientRect().width > 300"
        " && v.querySelectorAll('polyline').length >= 2); }", timeout=30_000)

    def picture() -> bytes:
        return figures.screenshot()

    status = page.locator(f"{root} .course-explorer-status")
    status0 = status.inner_text()
    # opens as Lecture 4 says: rho = 1, the three cells ticked, the loss gradient's label, no developer timings
    assert "ρ = 1.00" in status0 and "‖∂L/∂h₁‖" in status0 and " ms" not in status0
    assert all(f"{c}: ‖∂L/∂h₁‖" in status0 for c in ("Elman tanh", "LSTM", "GRU"))
    ticked = page.locator(f"{root} .course-explorer-cells .widget-checkbox input:checked")
    assert ticked.count() == 3
    assert_lays_out(page, root, NARROW)
    assert_lays_out(page, root, WIDE)
    page.set_viewport_size({"width": NARROW, "height": 1000})
    page.wait_for_timeout(500)
    shot0 = picture()
    page.screenshot(path=ARTIFACTS / "vanishing_0_initial.png", full_page=True)

    # the status line's label follows the measure
    page.locator(f"{root} .widget-dropdown", has_text="measure").locator("select").select_option(index=1)
    status_j = wait_changed(page, status.inner_text, status0, "status after switching the measure")
    assert "‖∂h_T/∂h₁‖₂" in status_j and "‖∂L/∂h₁‖" not in status_j
    shot0 = wait_changed(page, picture, shot0, "figure after switching the measure")
    page.locator(f"{root} .widget-dropdown", has_text="measure").locator("select").select_option(index=0)
    status0 = wait_changed(page, status.inner_text, status_j, "status after switching the measure back")
    assert "‖∂L/∂h₁‖" in status0
    shot0 = wait_changed(page, picture, shot0, "figure after switching the measure back")

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

    best = int(output_text(page, "BEST_UNIT="))
    html0 = coloured()  # opens on the unit the notebook names, as in Lecture 5 (not on unit 1)
    assert f"unit {best} (cell c_t)" in html0 and html0.count("<span") > 20
    assert slider(page, root, "unit").locator(".widget-readout").inner_text().strip() == str(best)
    got = assert_lays_out(page, root, NARROW)
    assert got["height"] < 900, f"the viewer is {got['height']:.0f} px tall: controls and search a scroll apart"
    assert_lays_out(page, root, WIDE)
    page.set_viewport_size({"width": NARROW, "height": 1000})
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "activations_0_initial.png", full_page=True)

    drag(page, slider(page, root, "unit"), -150 if best > 24 else 150)
    html1 = wait_changed(page, coloured, html0, "coloured text after dragging the unit")
    assert f"unit {best} " not in html1
    drag(page, slider(page, root, "page"), 400)
    html2 = wait_changed(page, coloured, html1, "coloured text after dragging the page")
    assert "page 1 " not in html2
    page.screenshot(path=ARTIFACTS / "activations_1_unit_page.png", full_page=True)

    results = page.locator(f"{root} .widget-html", has=page.locator("table.course-units, .course-feature-warning"))
    page.locator(f"{root} select").first.select_option("inside quotes")  # Tiny Shakespeare has no '"'
    page.locator(f"{root} button:has-text('Find units')").click()
    page.locator(f"{root} .course-feature-warning").wait_for(timeout=60_000)
    assert "constant" in results.inner_text() and page.locator(f"{root} table.course-units").count() == 0
    page.locator(f"{root} select").first.select_option("position in line")
    page.locator(f"{root} button:has-text('Find units')").click()
    table = page.locator(f"{root} table.course-units")
    table.wait_for(timeout=60_000)
    assert table.locator("td").count() == 16  # top 8: a row of units, a row of r
    assert table.locator("tr").first.locator("td").first.inner_text().strip() == str(best)
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


def test_word_lm_sentiment_view_in_jupyterlab(lab, page):
    """Lecture 7's live demo: opens on the recorded unit (151) and its positive clamp value, lays out at 900 and
    1400 px, and the clamp and review sliders change the generated text and the shaded review."""
    base, token = lab
    open_and_run_all(page, base, token, "word_sentiment.ipynb")
    root = ".course-word-sentiment"
    generated = page.locator(f"{root} .course-generated")
    generated.wait_for(timeout=120_000)
    unit, clamp = output_text(page, "RECORD_UNIT="), output_text(page, "RECORD_CLAMP=")
    head = page.locator(f"{root} .course-sentiment-head").inner_text()
    assert f"unit {unit}" in head and "of these 40 reviews are classified right" in head
    gen0 = generated.inner_text()
    assert f"clamped to {float(clamp):+.2f}" in gen0
    readout = slider(page, root, f"clamp unit {unit} to").locator(".widget-readout").inner_text().strip()
    assert readout.replace("\u2212", "-") == clamp  # the readout writes a minus sign, U+2212
    review = page.locator(f"{root} .course-activations").first
    assert "review 0 (" in page.locator(f"{root} .widget-html", has=page.locator(".course-activations")).inner_text()
    got = assert_lays_out(page, root, NARROW)
    assert got["height"] < 1100, f"the view is {got['height']:.0f} px tall"
    assert_lays_out(page, root, WIDE)
    page.set_viewport_size({"width": NARROW, "height": 1000})
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "word_sentiment_0_initial.png", full_page=True)
    drag(page, slider(page, root, "clamp unit"), 250)   # towards the negative clamp value (sign -1)
    gen1 = wait_changed(page, generated.inner_text, gen0, "generated text after dragging the clamp value")
    assert f"clamped to {float(clamp):+.2f}" not in gen1
    review0 = review.inner_text()
    drag(page, slider(page, root, "review"), 150)
    wait_changed(page, review.inner_text, review0, "shaded review after dragging the review slider")
    page.screenshot(path=ARTIFACTS / "word_sentiment_1_clamp_review.png", full_page=True)
    assert_no_widget_errors(page)


def test_check_your_understanding_questions_in_jupyterlab(lab, page):
    """The lectures' question widget: the longest choices of the bank wrap inside the notebook at 900 px; a wrong
    pick gets "not yet" and the hint (never the answer), the right one "correct", and *Show solution* shows the
    worked solution, each question on its own."""
    from course_lib.exercise_bank import lookup

    base, token = lab
    open_and_run_all(page, base, token, "quiz.ipynb")
    root = ".course-quiz"
    page.locator(root).wait_for(timeout=90_000)
    for width in (NARROW, WIDE):
        assert_lays_out(page, root, width)
        overflow = page.evaluate("""(sel) => {
          const area = document.querySelector(sel).closest('.jp-OutputArea-output').getBoundingClientRect();
          const bad = [];
          for (const box of document.querySelectorAll(sel + ' .widget-radio-box')) {
            let below = -Infinity;  // the bottom of the previous choice: a wrapped choice must not overlap the next
            for (const l of box.querySelectorAll('label')) {
              const r = l.getBoundingClientRect(), what = l.innerText.slice(0, 40);
              if (r.right > area.right + 1 || l.scrollWidth > l.clientWidth + 1) bad.push(what + ': cut off');
              if (l.scrollHeight > l.clientHeight + 1) bad.push(what + ': taller than its box');
              if (r.top < below - 1) bad.push(what + ': overlaps the choice above');
              below = r.bottom;
            }
          }
          return bad;
        }""", root)
        assert not overflow, f"choices cut off at {width} px: {overflow}"
    page.set_viewport_size({"width": NARROW, "height": 1000})
    questions = page.locator(f"{root} .course-quiz-question")
    assert questions.count() == 2
    for i, key in enumerate(("l7.q.random_dir", "l1.q.generate")):
        item, q = lookup(key), questions.nth(i)
        right, wrong = output_text(page, f"QUIZ {key} RIGHT="), output_text(page, f"QUIZ {key} WRONG=")
        verdict, sol = q.locator(".widget-html").nth(1), q.locator(".widget-html").nth(2)
        q.locator(".widget-radio-box label", has_text=wrong).click()
        q.locator("button", has_text="Check").click()
        page.wait_for_timeout(300)
        assert "not yet" in verdict.inner_text() and item.hint in verdict.inner_text()
        assert right not in verdict.inner_text() and sol.inner_text().strip() == ""
        q.locator(".widget-radio-box label", has_text=right).click()
        q.locator("button", has_text="Check").click()
        wait_changed(page, verdict.inner_text, "not yet. " + item.hint, f"{key}'s verdict after the right answer")
        assert verdict.inner_text().strip() == "correct"
        q.locator("button", has_text="Show solution").click()
        wait_changed(page, sol.inner_text, "", f"{key}'s solution")
        assert item.solution in sol.inner_text()
    # each question keeps its own state: the first still says correct after the second was answered
    assert questions.nth(0).locator(".widget-html").nth(1).inner_text().strip() == "correct"
    page.screenshot(path=ARTIFACTS / "quiz_answered.png", full_page=True)
    assert_no_widget_errors(page)
