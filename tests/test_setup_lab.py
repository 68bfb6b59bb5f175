import json
import sys

from course_lib import setup_lab


def test_installed_environment_has_the_toasts_off_and_lectures_as_notebooks():
    settings = json.loads(setup_lab.overrides_path(sys.prefix).read_text())
    notification = settings["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"


def test_write_overrides_is_idempotent_and_keeps_other_settings(tmp_path):
    path = setup_lab.overrides_path(str(tmp_path))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    setup_lab.write_overrides(str(tmp_path))
    first = path.read_text()
    setup_lab.write_overrides(str(tmp_path))
    assert path.read_text() == first
    data = json.loads(first)
    assert data["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert data["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False


def test_installed_environment_serves_clean_notebooks_and_hides_instructor_tools():
    server = json.loads(setup_lab.server_config_path(sys.prefix).read_text())
    assert server["ServerApp"]["contents_manager_class"] == "course_lib.lab_contents.CourseContentsManager"
    assert {"_config.yml", "_toc.yml", "__pycache__"} <= set(server["ContentsManager"]["hide_globs"])
    page = json.loads(setup_lab.page_config_path(sys.prefix).read_text())
    assert all(page["disabledExtensions"][p] is True for p in setup_lab.INSTRUCTOR_PLUGINS)
    assert "@jupyter/nbgrader:validate-assignment" not in page["disabledExtensions"]
    settings = json.loads(setup_lab.overrides_path(sys.prefix).read_text())
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == "Markdown Preview"


def test_instructor_config_switches_the_tools_back_on(tmp_path):
    assert setup_lab.main(["--instructor", str(tmp_path)]) == 0
    page = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {p: False for p in setup_lab.INSTRUCTOR_PLUGINS}


def test_served_notebooks_carry_the_kernels_metadata():
    """What makes a lecture open without the unsaved dot: the kernel's own kernelspec and language_info."""
    import platform

    from course_lib.lab_contents import kernel_metadata, with_kernel_metadata

    meta = kernel_metadata()
    assert meta["language_info"]["version"] == platform.python_version()
    assert meta["kernelspec"]["name"] == "python3" and meta["kernelspec"]["display_name"]
    nb = with_kernel_metadata({"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}, meta)
    assert nb["metadata"] == meta
    other = {"metadata": {"kernelspec": {"name": "ir", "language": "R"}}}
    assert with_kernel_metadata(other, meta)["metadata"] == {"kernelspec": {"name": "ir", "language": "R"}}
