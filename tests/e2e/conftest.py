"""Fixtures for the browser end-to-end tests.

Starts the real kefu server (``python -m core.cli serve --demo``) as a
subprocess on a free port with its own data directory, and drives Debian's
Chromium (/usr/bin/chromium) through Playwright. Playwright's own browser
downloads are never used (no ``playwright install``).

If Playwright or Chromium is missing the tests are skipped, unless CI=true or
KEFU_TEST_REQUIRE_SERVICES=1, in which case they fail: CI must not go green by
silently skipping the browser test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY_TIMEOUT_S = 90


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser end-to-end test against a running kefu server")


def _services_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("KEFU_TEST_REQUIRE_SERVICES") == "1"
    )


def _browser_missing_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return f"playwright is not importable ({exc!r}); install the dev dependencies"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found; install Debian's chromium package (apt-get install chromium)"
    return None


def require_browser() -> None:
    reason = _browser_missing_reason()
    if reason is None:
        return
    if _services_required():
        pytest.fail(
            f"browser test required (CI / KEFU_TEST_REQUIRE_SERVICES) but {reason}", pytrace=False
        )
    pytest.skip(reason)


# Record each phase's report on the test item so fixtures can tell, at
# teardown, whether the test failed (for screenshots).
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[Any]:
    outcome: Any = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_log(path: Path, limit: int = 20000) -> str:
    try:
        data = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "<no output captured>"
    return data[-limit:]


@pytest.fixture(scope="module")
def kefu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Run ``core.cli serve --demo`` and yield its base URL."""
    require_browser()
    data_dir = tmp_path_factory.mktemp("kefu-data")
    log_path = tmp_path_factory.mktemp("kefu-log") / "server.log"
    port = _free_port()
    env = dict(os.environ)
    env["KEFU_DATA_DIR"] = str(data_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    cmd = [
        sys.executable,
        "-m",
        "core.cli",
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    base_url = f"http://127.0.0.1:{port}"

    # Output goes to a file, not a pipe: a chatty server cannot block on a full pipe.
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=str(REPO_ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"kefu server exited with code {proc.returncode} before becoming ready.\n"
                    f"command: {' '.join(cmd)}\n--- server output ---\n{_read_log(log_path)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(base_url + "/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"kefu server not ready (GET /readyz != 200) after {READY_TIMEOUT_S}s.\n"
                    f"--- server output ---\n{_read_log(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.3)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        log.close()
        print(f"\n[kefu e2e] server log: {log_path}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class PageWatch:
    """Collects what a page reports: JS errors, CSP violations, dialogs."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]


@pytest.fixture
def new_page(browser: Any, request: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """Factory: new_page(name) -> PageWatch in its own browser context.

    Each context has its own cookies and localStorage, so a visitor and an
    agent never share state. Screenshots of every page are saved on failure.
    """
    contexts = []
    watches: list[PageWatch] = []

    def make(name: str) -> PageWatch:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        ctx.set_default_timeout(20000)
        contexts.append(ctx)
        watch = PageWatch(ctx.new_page(), name)
        watches.append(watch)
        return watch

    yield make

    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        shot_dir = tmp_path_factory.mktemp("screenshots")
        for w in watches:
            path = shot_dir / f"{request.node.name}-{w.name}.png"
            try:
                w.page.screenshot(path=str(path), full_page=True)
                print(f"\n[kefu e2e] screenshot: {path}")
            except Exception as exc:  # the page may be gone already
                print(f"\n[kefu e2e] screenshot of {w.name} failed: {exc!r}")
            if w.page_errors or w.console_errors:
                print(f"[kefu e2e] {w.name} page errors: {w.page_errors}")
                print(f"[kefu e2e] {w.name} console errors: {w.console_errors}")
    for ctx in contexts:
        try:
            ctx.close()
        except Exception:
            pass
