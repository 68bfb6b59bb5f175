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
