"""The course in a real browser: JupyterLab on 127.0.0.1, driven by Chromium through Playwright.

Not part of ``pytest tests``: it runs only when asked for by path,

    .venv/bin/python -m pytest tests/browser -q        # or: make browser-test

It needs Debian's Chromium (``apt-get install chromium``) and the ``playwright``
package (``pip install playwright``). Playwright launches that Chromium
(``/usr/bin/chromium``, or the one named by $CHROMIUM) and never downloads a
browser of its own. JupyterLab serves temporary copies of the lessons, with
their stored outputs cleared, so the test never changes the committed
notebooks and every output it sees comes from this run. Screenshots go to
$LAB_SCREENSHOTS, or to a fresh temporary folder named at the end of the run.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [  # headless, and quiet: no first-run pages, no calls home, no sync, no updates
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no name outside this machine resolves
]
SETTINGS = {  # JupyterLab user settings for the test: every cell in the page, nothing fetched from the internet
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


# -- only when asked for by path --------------------------------------------------------
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip collecting this folder unless the command line names it (or a file in it)."""
    asked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if any(path == HERE or HERE in path.parents for path in asked):
        return None
    return True


# -- JupyterLab -------------------------------------------------------------------------
@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, its token, and the folder it serves."""

    url: str
    token: str
    root: Path

    def notebook_url(self, name: str) -> str:
        # ?reset: start from an empty workspace, so a notebook opened earlier does not come back
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copy_lessons(target: Path) -> None:
    """Copy notebooks/*.ipynb without their stored outputs."""
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        notebook.metadata.pop("widgets", None)
        nbformat.write(notebook, target / path.name)


def _write_settings(folder: Path) -> None:
    for plugin, values in SETTINGS.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free port of 127.0.0.1 with a random token, serving copies of the lessons."""
    home = tmp_path_factory.mktemp("lab")
    course = home / "course"
    course.mkdir()
    _copy_lessons(course)
    _write_settings(home / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {  # Jupyter's own folders in the temporary home: no user config, no leftover state
        **os.environ, "PYTHONHASHSEED": "0",
        "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
        "--ServerApp.terminals_enabled=False",
        f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # the default one asks PyPI
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    log = open(home / "jupyterlab.log", "w", encoding="utf-8")
    server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/api/status", token, server, home / "jupyterlab.log")
        yield Lab(url, token, course)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()


def _wait_until_up(status_url: str, token: str, server: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(status_url, params={"token": token}, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:  # not listening yet
            pass
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-2000:]}")


# -- Chromium ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """A headless Chromium with a fresh profile; every request it makes is recorded in ``.outside``."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM to its path)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser test needs Playwright for Python: pip install playwright "
                    "(the package only; it uses Debian's Chromium, so no 'playwright install')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=FLAGS, viewport={"width": 1400, "height": 1000},
        )
        context.outside = []  # addresses outside 127.0.0.1 the page tried to reach (blocked)

        def only_this_machine(route):
            if urlparse(route.request.url).hostname in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                context.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots are saved in (named again at the end of the run)."""
    folder = Path(os.environ.get("LAB_SCREENSHOTS") or tempfile.mkdtemp(prefix="lab-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    _SAVED.append(folder)
    return folder


_SAVED: list[Path] = []


def pytest_terminal_summary(terminalreporter: object) -> None:
    for folder in _SAVED:
        shots = sorted(path.name for path in folder.glob("*.png"))
        terminalreporter.write_line(f"screenshots in {folder}: {', '.join(shots) or 'none'}")  # type: ignore[attr-defined]
