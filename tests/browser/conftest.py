"""Fixtures for the browser tests: a JupyterLab server on a copy of the book, and Chromium.

The browser is the distribution's Chromium (`apt-get install chromium` on Debian/Ubuntu),
driven by Playwright through `executable_path`; `playwright install` would download a
browser build, which fails without general internet access. Without Chromium (or without
the playwright package) every browser test skips and says how to install it.

JupyterLab serves a temporary copy of chapters/ (running cells must never modify the
committed notebooks), with its config, runtime, settings and workspace folders in a
temporary folder so a reader's own JupyterLab set-up neither leaks in nor gets changed.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK_CONFIG = ROOT / "book" / "jupyter"  # the README's JUPYTER_CONFIG_PATH
INSTALL_HINT = ("the browser tests need Chromium: on Debian/Ubuntu run "
                "`sudo apt-get install -y --no-install-recommends chromium`")
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LAB_START_TIMEOUT = 180  # seconds; JupyterLab starts in ~5 s, much slower on a loaded 2-core machine


def chromium_path():
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium launched through Playwright, or a skip that says how to get one."""
    # CI sets BOOK_BROWSER_TESTS=required: there a missing browser is a failure, not a skip.
    missing = pytest.fail if os.environ.get("BOOK_BROWSER_TESTS") == "required" else pytest.skip
    executable = chromium_path()
    if executable is None:
        missing(INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the browser tests need the playwright package (pip install -r requirements.txt)")
    args = CHROMIUM_ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=args)
        yield chromium
        chromium.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


class Lab:
    """A running JupyterLab: its URL, token and the folder it serves."""

    def __init__(self, url, token, root, log):
        self.url, self.token, self.root, self.log = url, token, root, log

    def api(self, path, method="GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop every kernel, so one chapter's kernel does not hold memory during the next."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")
        for kernel in self.api("/api/kernels"):
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")


@pytest.fixture(scope="session")
def lab(tmp_path_factory, browser):
    """`jupyter lab` from this environment on a free port, serving a copy of chapters/."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    book = tmp / "book"
    shutil.copytree(ROOT / "chapters", book / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # Only the chapters are copied: a chapter finds the data and the shipped models through
    # rnnlib (rnnlib.data.DATA_DIR, rnnlib.apps.translation.MODELS_DIR), never through a path such as
    # ../data, so that it runs wherever a reader opens it and cannot write into the repository.
    config, settings = tmp / "config", tmp / "settings"
    # The book's own JupyterLab configuration, as the README's command adds it
    # (JUPYTER_CONFIG_PATH=book/jupyter): no news pop-up, no nbgrader. A fresh user config
    # folder, so that the reader's own set-up neither leaks in nor gets changed. Every cell in
    # the DOM (JupyterLab 4 otherwise virtualises the notebook and renders only cells near the view).
    config.mkdir()
    _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                {"windowingMode": "none"})
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(config), JUPYTER_CONFIG_PATH=str(BOOK_CONFIG),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(settings))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={book / 'chapters'}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "jupyterlab.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, book / "chapters", tmp / "jupyterlab.log")
    try:
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}; see {tmp / 'jupyterlab.log'}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not answer in {LAB_START_TIMEOUT} s; "
                                       f"see {tmp / 'jupyterlab.log'}")
                time.sleep(0.5)
        yield server
    finally:
        # SIGTERM lets the server stop its kernels; the process group catches stragglers.
        try:
            server.shutdown_kernels()
        except OSError:
            pass
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        log.close()
