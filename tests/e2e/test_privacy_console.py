"""Browser test: an agent without the permission sees the customer's phone and email masked in
the console, reveals the phone with one click, and the admin finds that in the access trail.

Runs its own ``kefu serve --demo`` (like ``kefu_server``) because the test must give the
customer a phone number and an email in the server's database, as an import would.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO_ROOT, _free_port, _read_log, require_browser
from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = pytest.mark.e2e
PHONE, EMAIL = "13812348000", "wang.fang@customer.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A demo kefu on a free port: its base URL and its data directory."""
    require_browser()
    data = tmp_path_factory.mktemp("privacy-data")
    log_path = data.parent / f"{data.name}-server.log"
    port = _free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "core.cli", "serve", "--demo", "--host", "127.0.0.1"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, _read_log(log_path)
                with contextlib.suppress(urllib.error.URLError, OSError):
                    with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                        if resp.status == 200:
                            break
                assert time.monotonic() < deadline, _read_log(log_path)
                time.sleep(0.3)
            yield base, data
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def give_details(data: Path, conversation_id: str) -> None:
    """Set the customer's phone and email in the server's database (as an import does)."""
    with contextlib.closing(sqlite3.connect(data / "kefu.db", timeout=30)) as db, db:
        db.execute(
            "UPDATE contacts SET phone = ?, email = ? WHERE id = "
            "(SELECT contact_id FROM conversations WHERE id = ?)",
            (PHONE, EMAIL, int(conversation_id)),
        )


def owner(page: Any, base: str, cid: str) -> str:
    """Who holds the conversation now, read through the console API."""
    resp = page.request.get(base + f"/api/agent/conversations/{cid}")
    assert resp.ok, resp.text()
    return str(resp.json()["conversation"]["owner"])


def test_agent_sees_masked_data_and_the_reveal_is_in_the_trail(server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base, data = server
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    created = adp.request.post(
        base + "/api/admin/agents",
        data={"email": "li@kefu.local", "name": "小李", "password": "li-pass-1"},
        headers=CSRF,
    )
    assert created.status == 201, created.text()
    agent_id = created.json()["agent"]["id"]
    # Away: the admin takes no new work, so the customer waits in the queue for 小李.
    away = adp.request.post(base + "/api/agent/status", data={"status": "away"}, headers=CSRF)
    assert away.ok, away.text()

    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "洗衣机不转了", ".", senders=("bot", "system"))
    _ask(vp, "转人工", ".", senders=("bot", "system"))
    cid = _conversation_id(vp)
    give_details(data, cid)

    agent = new_page("agent")
    ap = agent.page
    login(ap, base, "li@kefu.local", "li-pass-1")
    # 小李's console is there now, so the waiting customer is given to her.
    deadline = time.monotonic() + 20
    while owner(adp, base, cid) != "agent":
        assert time.monotonic() < deadline, "the queued customer was not given to 小李"
        time.sleep(0.2)
    ap.click('.tab[data-owner="mine"]')
    ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    box = ap.locator("#customer-360")
    phone_row = box.locator('.c360-masked[data-field="phone"]')
    expect(phone_row).to_contain_text("138****8000")
    expect(box.locator('.c360-masked[data-field="email"]')).to_contain_text("w***@customer.example")
    expect(box).not_to_contain_text(PHONE)
    expect(box).not_to_contain_text(EMAIL)

    phone_row.locator(".c360-reveal").click()
    expect(phone_row).to_contain_text(PHONE)
    expect(phone_row.locator(".c360-reveal")).to_have_count(0)
    expect(box).not_to_contain_text(EMAIL)  # only what was asked for

    trail = adp.request.get(base + f"/api/admin/privacy/trail?agent_id={agent_id}").json()
    actions = [(e["action"], e["detail"]) for e in trail["trail"]]
    assert ("reveal", {"field": "phone"}) in actions
    assert actions[-1][0] == "view"  # the oldest entry: the 360 the agent opened
    # The admin's own console shows the data in full, with nothing to reveal.
    adp.goto(base + "/agent/")
    adp.click('.tab[data-owner="agent"]')  # held by 小李
    adp.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    expect(adp.locator("#customer-360")).to_contain_text(PHONE)
    expect(adp.locator("#customer-360 .c360-reveal")).to_have_count(0)
    _assert_clean(admin, agent, visitor)
