"""Shared fixtures: a writable copy of the shipped Zoo, and a fixed audit date."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

import mlsysim
from mlsysim.zoo.registry import DEFAULT_DATA_ROOT

#: Audits in tests measure age from this date so results do not drift with the calendar.
AS_OF = dt.date(2026, 12, 3)
PACKAGE_DIR = Path(mlsysim.__file__).parent


@pytest.fixture
def zoo_data(tmp_path: Path) -> Path:
    """A copy of the shipped Zoo data folder that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_ROOT, target)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the whole mlsysim package; returns the folder to put on PYTHONPATH."""
    root = tmp_path / "site"
    shutil.copytree(PACKAGE_DIR, root / "mlsysim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


# -- a real headless browser (Debian's chromium through Playwright) ----------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI") == "true"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` on a user's machine; under CI (CI=true) fail instead."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (required under CI)")
        pytest.skip(reason)


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on a free loopback port; yields the base URL."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and uncaught exceptions."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()
