"""A support team's day in Chromium (issue 15, "Done when" line 2).

Two agents log in and 小李 closes the browser without logging out (presence grace set to
3 s for this server); a customer who asks for a person goes to the agent still there. The
customer pastes a photo, the agent answers with a file; both sides see typing, the agent
sees the reply read. A search for a word from the middle of an old Chinese message finds
it; the tab title counts the unread messages; the widget survives a long time offline
(60 s; ``KEFU_DAY_OFFLINE_SECONDS`` shortens it on a slow machine) and a reload without
losing or duplicating a message.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

OLD_TEXT = "上周买的洗碗机在厨房里漏水了，能安排师傅上门维修吗"
OFFLINE_TEXT = "断网时写的：维修单号 20261203 收到了吗"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CUSTOMER = '#kefu-messages .kefu-msg[data-sender="customer"]'
OFFLINE_SECONDS = float(os.environ.get("KEFU_DAY_OFFLINE_SECONDS", "60"))


@pytest.fixture(scope="module", autouse=True)
def _short_presence_grace() -> Iterator[None]:
    """Runs before this module's server starts: an agent without a console is away after 3 s."""
    key = "KEFU_ASSIGNMENT__PRESENCE_GRACE_SECONDS"
    old = os.environ.get(key)
    os.environ[key] = "3"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    raw = b"".join(b"\x00" + b"\x20\x80\xff" * 8 for _ in range(8))
    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _agents(page: Any, base: str) -> dict[str, dict[str, Any]]:
    resp = page.request.get(base + "/api/agent/agents")
    assert resp.ok, resp.text()
    return {a["name"]: a for a in resp.json()["agents"]}


PASTE_JS = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
  const input = document.querySelector("#kefu-input");
  input.focus();
  const ev = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
  input.dispatchEvent(ev);
}"""


def test_a_day_at_the_desk(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    # -- morning: an old customer wrote about a leaking dishwasher ----------------------
    old = new_page("old-customer")
    _open_widget(old, base)
    _ask(old.page, OLD_TEXT, ".", senders=("bot", "system"))
    old_id = _conversation_id(old.page)

    # -- two agents log in; 小李 closes the browser without logging out -----------------
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    expect(adp.locator("#agent-status")).to_have_value("online")
    # The admin takes the old customer: busier than 小李 from now on, so a customer given
    # by load alone (not by who is really there) would go to 小李.
    adp.goto(f"{base}/agent/#/c/{old_id}")
    adp.click("#takeover")
    old.page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#kefu-messages .kefu-text'))"
        ".some((n) => n.textContent.includes('Demo Agent'))"
    )
    made = adp.request.post(
        base + "/api/admin/agents",
        data={"email": "li@kefu.local", "name": "小李", "password": "pw-1234"},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    li = new_page("li")
    login(li.page, base, "li@kefu.local", "pw-1234")
    li.page.select_option("#agent-status", "online")
    _until(lambda: _agents(adp, base)["小李"]["connected"], "小李's console")
    li.page.context.close()
    _until(lambda: not _agents(adp, base)["小李"]["connected"], "小李's console to close")
    time.sleep(3.5)  # past the presence grace

    # -- a customer asks for a person and gets the agent who is there ------------------
    cust = new_page("customer")
    vp = cust.page
    _open_widget(cust, base)
    _ask(vp, "洗衣机不排水怎么办", ".", senders=("bot", "system"))
    _ask(vp, "转人工", "Demo Agent", senders=("system",))
    joined = vp.locator('#kefu-messages .kefu-msg[data-sender="system"]')
    expect(joined.filter(has_text="小李")).to_have_count(0)
    cid = _conversation_id(vp)

    # -- the customer pastes a photo; the agent sees it ---------------------------------
    adp.goto(f"{base}/agent/#/c/{cid}")
    vp.evaluate(PASTE_JS, base64.b64encode(_png()).decode())
    photo = vp.locator(f"{CUSTOMER} img.kefu-image")
    expect(photo).to_have_count(1)
    expect(vp.locator(f"{CUSTOMER}.kefu-pending")).to_have_count(0)  # stored: it has a seq
    # The picture is fetched once the server's echo names its signed link: wait for the load,
    # then check it is the picture that was pasted (8 px wide), not a broken link.
    vp.wait_for_function(
        "() => { const i = document.querySelector('#kefu-messages img.kefu-image');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert (
        vp.evaluate("() => document.querySelector('#kefu-messages img.kefu-image').naturalWidth")
        == 8
    )
    seen = adp.locator('#messages .msg[data-sender="customer"] img.msg-image')
    expect(seen).to_have_count(1)
    adp.wait_for_function(
        "() => { const i = document.querySelector('#messages img.msg-image');"
        " return i && i.complete && i.naturalWidth === 8; }"
    )

    # -- typing both ways -------------------------------------------------------------
    vp.fill("#kefu-input", "还有一个问题")
    vp.type("#kefu-input", "。")
    expect(adp.locator("#customer-typing")).to_be_visible()
    adp.fill("#reply-text", "")
    adp.type("#reply-text", "请稍等")
    expect(vp.locator("#kefu-typing")).to_be_visible()
    adp.fill("#reply-text", "")

    # -- the agent answers with a file; the customer downloads it; the agent sees "read" --
    adp.set_input_files(
        "#reply-file",
        files=[{"name": "维修说明.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    doc = vp.locator('#kefu-messages .kefu-msg[data-sender="agent"] a.kefu-file-doc')
    expect(doc).to_have_count(1)
    expect(doc).to_contain_text("维修说明.pdf")
    got = vp.request.get(doc.get_attribute("href"))
    assert got.ok and got.body() == PDF
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-content-type-options"] == "nosniff"
    sent = adp.locator('#messages .msg[data-sender="agent"]').filter(has=adp.locator(".msg-file"))
    expect(sent).to_have_attribute("data-receipt", "read")
    vp.fill("#kefu-input", "")

    # -- a search for a word inside an old Chinese message finds it ---------------------
    adp.fill("#search-input", "漏水")
    adp.press("#search-input", "Enter")
    hit = adp.locator(f'#search-results .search-item[data-id="{old_id}"]')
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text("漏水")
    adp.press("#search-input", "Escape")

    # -- the tab title counts what the agent has not seen -------------------------------
    adp.goto(f"{base}/agent/#/")
    adp.reload()
    expect(adp.locator("#agent-name")).not_to_be_empty()
    expect(adp).to_have_title("kefu 客服工作台")
    _ask(vp, "请问师傅几点到", ".", senders=("customer",))
    expect(adp).to_have_title(re.compile(r"^\(1\) kefu 客服工作台$"))

    # -- the widget offline for a long time, then a reload -----------------------------
    status = vp.locator("#kefu-status")
    vp.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    vp.fill("#kefu-input", OFFLINE_TEXT)
    vp.press("#kefu-input", "Enter")
    bubble = vp.locator(f"{CUSTOMER}.kefu-pending", has_text=OFFLINE_TEXT)
    expect(bubble.locator(".kefu-state")).to_contain_text("未发送")
    vp.wait_for_timeout(int(OFFLINE_SECONDS * 1000))
    expect(status).to_have_attribute("data-state", "offline")
    expect(bubble).to_be_visible()
    vp.context.set_offline(False)
    vp.reload()
    vp.click("#kefu-launcher")
    expect(status).to_have_attribute("data-state", "online")
    expect(vp.locator(CUSTOMER, has_text=OFFLINE_TEXT)).to_have_count(1)
    vp.wait_for_function("() => !localStorage.getItem('kefu.pending')")
    vp.reload()
    vp.click("#kefu-launcher")
    expect(status).to_have_attribute("data-state", "online")
    for text in ("洗衣机不排水怎么办", "请问师傅几点到", OFFLINE_TEXT):
        expect(vp.locator(CUSTOMER, has_text=text)).to_have_count(1)
    expect(vp.locator(f"{CUSTOMER} img.kefu-image")).to_have_count(1)
    expect(doc).to_have_count(1)
    # The agent has each message once too.
    adp.goto(f"{base}/agent/#/c/{cid}")
    agent_side = adp.locator('#messages .msg[data-sender="customer"] .msg-text')
    expect(agent_side.filter(has_text=OFFLINE_TEXT)).to_have_count(1)
    _assert_clean(old, admin, cust)
