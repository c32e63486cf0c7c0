"""Browser test of the orders panel: beside a web chat conversation the agent sees the
customer's order from a local order system (the documented ERP JSON), then the customer's
other recent orders, statuses in the agent's language, and a clear note, in Chinese and in
English, when that system fails or is too slow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import READY_TIMEOUT_S, REPO_ROOT, _free_port, _read_log, require_browser
from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = pytest.mark.e2e

ORDER = {
    "order_no": "A1001",
    "status": "shipped",
    "status_text": "已发货",
    "logistics": {"company": "顺丰速运", "tracking_no": "SF1234567890"},
    "eta": "2026-12-05",
    "buyer": {"mobile": "13800138000"},
}
OLDER = {
    "order_no": "C3003",
    "status": "awaiting_review",  # a code kefu does not map: the ERP's own words
    "status_text": "待评价 <b>快</b>",  # shown as text, never as markup
    "title": "滚筒洗衣机 <i>XQG100</i>",
    "created_at": "2026-11-28",
    "buyer": {"mobile": "13800138000"},
}


class Erp(BaseHTTPRequestHandler):
    """GET /api/orders/{no}: A1001 found, E5000 a 500, T7777 answers after 3 s;
    GET /api/orders?phone=: the customer's orders, A1001 and C3003."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        number = url.path.rsplit("/", 1)[-1]
        if self.headers.get("Authorization") != "Bearer erp-secret":
            self._send(401, {"code": 401})
        elif url.path == "/api/orders":
            phone = parse_qs(url.query).get("phone", [""])[0]
            mine = [ORDER, OLDER] if phone == "13800138000" else []
            self._send(200, {"code": 0, "data": {"orders": mine, "total": len(mine)}})
        elif number == "A1001":
            self._send(200, {"code": 0, "data": ORDER})
        elif number == "E5000":
            self._send(500, {"code": 500, "message": "db down"})
        elif number == "T7777":
            time.sleep(3)
            self._send(200, {"code": 0, "data": ORDER})
        else:
            self._send(404, {"code": 404})

    def _send(self, status: int, body: dict[str, object]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            self.wfile.write(raw)
        except OSError:
            pass  # kefu gave up waiting

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo kefu whose [orders] point at a local order system."""
    require_browser()
    erp = ThreadingHTTPServer(("127.0.0.1", 0), Erp)
    threading.Thread(target=erp.serve_forever, daemon=True).start()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("kefu-log") / "server.log"
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(tmp_path_factory.mktemp("kefu-data")),
        "PYTHONUNBUFFERED": "1",
        "KEFU_ORDERS__URL_TEMPLATE": f"http://127.0.0.1:{erp.server_port}/api/orders/{{order}}",
        "KEFU_ORDERS__LIST_URL_TEMPLATE": (
            f"http://127.0.0.1:{erp.server_port}/api/orders?phone={{phone}}&limit={{limit}}"
        ),
        "KEFU_ORDERS__AUTH_HEADER": "Authorization: Bearer erp-secret",
        "KEFU_ORDERS__TIMEOUT_SECONDS": "1",
    }
    cmd = [sys.executable, "-m", "core.cli", "serve", "--demo", "--host", "127.0.0.1"]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], cwd=str(REPO_ROOT), env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"kefu did not start:\n{_read_log(log_path)}", pytrace=False)
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            erp.shutdown()


def test_agent_sees_the_customers_order_and_a_clear_note_when_the_erp_fails(
    shop_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = shop_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "你好", ".")
    cid = _conversation_id(vp)

    admin = new_page("admin")
    page = admin.page
    login(page, base)
    # The ERP knows the customer by phone: an integration sets it (public API).
    made = page.request.post(
        base + "/api/admin/tokens",
        data={"name": "crm", "scopes": ["contacts:write", "conversations:read"]},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    token = {"Authorization": "Bearer " + made.json()["secret"]}
    convo = page.request.get(f"{base}/api/v1/conversations/{cid}/messages", headers=token)
    contact = convo.json()["conversation"]["contact_id"]
    patched = page.request.patch(
        f"{base}/api/v1/contacts/{contact}", data={"phone": "13800138000"}, headers=token
    )
    assert patched.ok, patched.text()

    _ask(vp, "我的订单 A1001 到哪了", "A1001")
    _ask(vp, "订单 E5000 呢", "订单系统")

    page.click('.tab[data-owner="bot"]')
    page.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    card = page.locator("#orders-card")
    expect(card.locator("h3")).to_have_text("订单")
    found = card.locator('.order-item[data-order="A1001"]')
    expect(found).to_have_attribute("data-state", "found")
    expect(found).to_contain_text("状态：已发货")
    expect(found).to_contain_text("SF1234567890")
    failed = card.locator('.order-item[data-order="E5000"]')
    expect(failed).to_contain_text("订单系统暂时无法查询（HTTP 500 错误）")
    # The customer's other recent orders, under their heading after the asked-about ones
    # (A1001 once); the ERP's text as text.
    expect(card.locator("#orders-recent")).to_have_text("客户最近的订单")
    numbers = card.locator(".order-item").evaluate_all("items => items.map(i => i.dataset.order)")
    assert numbers == ["E5000", "A1001", "C3003"]
    older = card.locator('.order-item[data-order="C3003"]')
    expect(older).to_contain_text("状态：待评价 <b>快</b>")
    expect(older).to_contain_text("商品：滚筒洗衣机 <i>XQG100</i>")
    expect(older).to_contain_text("下单时间：2026-11-28")
    assert older.locator("b, i").count() == 0

    # The agent looks up a number the order system is too slow for: a note within ~1 s.
    page.fill("#orders-number", "T7777")
    started = time.monotonic()
    page.click("#orders-lookup")
    slow = card.locator('.order-item[data-order="T7777"]')
    # The reason in the console's language too.
    expect(slow).to_contain_text("订单系统暂时无法查询（1.0 秒内没有回复）")
    assert time.monotonic() - started < 3.0

    page.click("#lang-toggle")
    expect(card.locator("h3")).to_have_text("Orders")
    expect(failed).to_contain_text("The order system cannot be asked right now (HTTP 500)")
    expect(slow).to_contain_text("(no answer within 1.0 s)")
    expect(found).to_contain_text("Tracking: SF1234567890")
    expect(found).to_contain_text("Status: Shipped")  # the status code in English
    expect(older).to_contain_text("Status: 待评价 <b>快</b>")  # an unknown code: as it is
    expect(card.locator("#orders-recent")).to_have_text("The customer's recent orders")
    _assert_clean(visitor, admin)
