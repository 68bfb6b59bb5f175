"""nbgrader preprocessors of the course's grading pipeline (configured by :func:`pipeline.course_config`).

Autograde: ``SandboxedExecute`` (nbgrader's Execute, in a limited kernel, surviving a dead kernel) ->
``TruncateOutput`` (megabytes of prints) -> ``TrustedGrade`` (replaces every test cell's output by the
sandboxed judge's verdict) -> nbgrader's ``SaveAutoGrades`` etc.
Feedback: ``RedactHidden`` removes hidden tests, tracebacks of test cells and any hidden-test line.
"""

from __future__ import annotations

import re

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Enum, Float, Integer, List, Unicode

from course_lib.grading.kernel import LimitedKernelManager

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)


def _instructor_paths() -> list[tuple[re.Pattern, str]]:
    """Prefixes of the grading machine's paths that a student's traceback must not show, longest first:
    the scratch folders of the grader, the course repository (oracles, solutions), the Python install."""
    import sys
    import tempfile
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[2])
    pairs = [(re.compile(re.escape(tmp) + r"/course-[A-Za-z0-9_-]+(/[^\s'\"]*)?"), "<grader>")
             for tmp in sorted({tempfile.gettempdir().rstrip("/"), "/tmp"})]
    for prefix, label in sorted({(sys.prefix, "<python>"), (sys.base_prefix, "<python>"),
                                 (sys.exec_prefix, "<python>"), (repo, "<course>")},
                                key=lambda pl: -len(pl[0])):
        pairs.append((re.compile(re.escape(prefix.rstrip("/"))), label))
    return pairs


_PATHS = _instructor_paths()


def scrub_paths(text: str) -> str:
    """``text`` with the grading machine's own paths replaced by ``<grader>``, ``<course>``, ``<python>``."""
    for pattern, label in _PATHS:
        text = pattern.sub(label, text)
    return text


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class SandboxedExecute(Execute):
    """nbgrader's Execute with the limited kernel; a dead kernel (``os._exit``, a crash, out of memory)
    marks its cell and skips the rest instead of failing the whole submission.

    The kernel is killed when the notebook is done (``shutdown_kernel="immediate"``): a graceful shutdown
    costs ~0.3 s per submission and keeps nothing — every output has arrived when the last cell replied."""

    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="how the kernel is stopped after the run").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", LimitedKernelManager)
        super().__init__(*args, **kwargs)
        self._dead = False

    def preprocess(self, nb, resources=None, km=None):
        self._dead = False
        try:
            return super().preprocess(nb, resources, km=km)
        except Exception as exc:  # noqa: BLE001 - grading must go on; the verdict comes from the sandbox
            self.log.warning("execution stopped: %s: %s", type(exc).__name__, exc)
            return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self._dead:
            if cell.cell_type == "code":
                cell.outputs = []
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = True
            cell.outputs.append(_error("DeadKernelError", "the kernel died while running this cell "
                                                          "(sys.exit/os._exit, a crash or out of memory); "
                                                          "the cells below were not run"))
            return cell, resources


class TruncateOutput(NbGraderPreprocessor):
    """Caps the text of every code cell's outputs (streams, results, tracebacks) and drops huge images."""

    max_chars = Integer(20000, help="characters of text kept per cell").tag(config=True)
    max_data_bytes = Integer(1 << 20, help="largest rich output (image, html) kept").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        budget, kept = self.max_chars, []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                if budget <= 0:
                    continue
                text = out.text if isinstance(out.text, str) else "".join(out.text)
                if len(text) > budget:
                    text = text[:budget] + f"\n... output truncated ({len(text)} characters) ...\n"
                budget -= len(text)
                out.text = scrub_paths(text)
            elif out.output_type == "error":
                tb = [scrub_paths(line[:2000]) for line in out.get("traceback", [])[-40:]]
                out.traceback = tb
                out.evalue = scrub_paths(str(out.get("evalue", ""))[:2000])
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                for mime in list(data):
                    value = data[mime] if isinstance(data[mime], str) else "".join(map(str, data[mime]))
                    if mime == "text/plain" and len(value) > 2000:
                        data[mime] = value[:2000] + " ..."
                    elif len(value) > self.max_data_bytes:
                        del data[mime]
                if not data:
                    continue
            kept.append(out)
        cell.outputs = kept
        return cell, resources


class TrustedGrade(NbGraderPreprocessor):
    """Grades the submission in the sandbox and writes the verdict into each test cell's outputs.

    Test cells ``test_<part>`` get: the per-case report (stdout), then — for partial credit — an
    ``execute_result`` holding the score, or — for no credit — an error.  nbgrader's ``SaveAutoGrades``
    turns these into grades.  Test cells a student deleted are put back (from the gradebook) first.
    """

    deny_read = List(Unicode(), help="extra paths the sandbox must not read").tag(config=True)
    cell_seconds = Float(10.0, help="time limit of one code cell in the sandbox").tag(config=True)
    mem_bytes = Integer(2 << 30, help="address-space limit of the sandbox").tag(config=True)

    def preprocess(self, nb, resources):
        from course_lib.grading.judge import ASSIGNMENTS, cells_for_grading, grade_cells

        info = resources.get("nbgrader", {})
        assignment = info.get("assignment")
        if assignment not in ASSIGNMENTS:
            return nb, resources
        self._restore_deleted_tests(nb, info)
        results = grade_cells(assignment, cells_for_grading(nb, assignment), deny=list(self.deny_read),
                              cell_seconds=self.cell_seconds, mem_bytes=self.mem_bytes)
        for cell in nb.cells:
            if not _is_test(cell):
                continue
            part = cell.metadata.nbgrader.get("grade_id", "").removeprefix("test_")
            if part not in results:
                continue
            res = results[part]
            points = float(cell.metadata.nbgrader.get("points", res.points))
            score = round(points * res.fraction, 3)
            outputs = [NotebookNode(output_type="stream", name="stdout",
                                    text=res.report().replace(f"{res.score:g} / {res.points:g}",
                                                              f"{score:g} / {points:g}") + "\n")]
            if res.fraction <= 0.0:
                outputs.append(_error("GradingFailure", f"{part}: no check passed (0 / {points:g} points)"))
            elif res.fraction < 1.0:
                outputs.append(NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                                            data={"text/plain": f"{score:g}"}))
            cell.outputs = outputs
        return nb, resources

    def _restore_deleted_tests(self, nb, info):
        from nbgrader.api import Gradebook

        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        try:
            with Gradebook(info["db_url"], info.get("course_id", "rnn-nlp")) as gb:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
                for grade_cell in notebook.grade_cells:
                    if grade_cell.name in present or grade_cell.cell_type != "code":
                        continue
                    source = gb.find_source_cell(grade_cell.name, info["notebook"], info["assignment"])
                    meta = {"grade": True, "grade_id": grade_cell.name, "locked": True,
                            "points": grade_cell.max_score, "schema_version": 3, "solution": False,
                            "task": False}
                    if source.checksum:
                        meta["checksum"] = source.checksum
                    nb.cells.append(nbformat.from_dict({"cell_type": "code", "execution_count": None,
                                                        "outputs": [], "source": source.source,
                                                        "metadata": {"nbgrader": meta}}))
                    self.log.warning("restored deleted test cell %s", grade_cell.name)
        except Exception as exc:  # noqa: BLE001 - a gradebook problem must not stop grading
            self.log.warning("could not restore deleted test cells: %s", exc)


class RedactHidden(NbGraderPreprocessor):
    """For feedback: remove hidden-test blocks from sources, tracebacks from test cells, and any output
    line that quotes a hidden test (nbgrader's own feedback shows both)."""

    def preprocess(self, nb, resources):
        hidden_lines = set()
        for cell in nb.cells:
            for block in HIDDEN_BLOCK.findall(cell.source):
                hidden_lines |= {ln.strip() for ln in block.splitlines() if ln.strip() and "###" not in ln}
            cell.source = HIDDEN_BLOCK.sub("", cell.source)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    out.traceback = [f"{out.ename}: {out.evalue}"] if _is_test(cell) else [
                        ln for ln in out.traceback if not any(h in ANSI.sub("", ln) for h in hidden_lines)]
                elif out.output_type == "stream" and hidden_lines:
                    out.text = "\n".join(ln for ln in out.text.split("\n")
                                         if not any(h in ln for h in hidden_lines))
        return nb, resources
