"""Browser test: a customer in the web chat widget says "我的洗衣机不脱水了，想报修", answers
the bot's questions (one address in the wrong format, then the right one; one phone too
short, then right), corrects the time, confirms, and a 报修 ticket exists with the product
and serial from their record, the fault, address, phone and time window filled; the engineer
of the customer's district is dispatched and the customer sees the appointment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = pytest.mark.e2e


def test_customer_fills_the_repair_form_in_the_widget(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "你好", ".", senders=("bot",))
    cid = _conversation_id(vp)

    agent = new_page("agent")
    ap = agent.page
    login(ap, base)
    conv = ap.request.get(base + f"/api/agent/conversations/{cid}").json()["conversation"]
    made = ap.request.post(
        base + f"/api/agent/contacts/{conv['contact']['id']}/products",
        data={"category": "洗衣机", "model": "XQG100-BD14", "serial": "SN-BROWSER-1"},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    for name, region in (("吴师傅", "拱墅区"), ("王师傅", "杭州市西湖区")):
        eng = ap.request.post(
            base + "/api/admin/engineers",
            data={"name": name, "skills": ["洗衣机"], "regions": [region]},
            headers=CSRF,
        )
        assert eng.status == 201, eng.text()

    _ask(vp, "我的洗衣机不脱水了，想报修", "请告诉我上门地址")
    _ask(vp, "西湖区文三路90号", "这个地址不完整")
    _ask(vp, "浙江省杭州市西湖区文三路90号", "手机号")
    _ask(vp, "139 1234 567", "手机号应为 11 位数字")
    _ask(vp, "13912345678", "什么时间上门")
    _ask(vp, "明天上午", "请确认报修信息")
    _ask(vp, "改时间", "什么时间上门")
    _ask(vp, "明天下午", "请确认报修信息")
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    messages = vp.locator("#kefu-messages")
    expect(messages).to_contain_text(f"预约时间：{day.month}月{day.day}日 14:00-18:00")
    expect(messages).to_contain_text("设备：洗衣机 XQG100-BD14 (SN-BROWSER-1)")
    _ask(vp, "确认", "已为您提交报修工单")
    # An engineer of the customer's district is sent, and the customer sees the appointment.
    expect(messages).to_contain_text(
        f"已为您安排王师傅上门，时间 {day.month}月{day.day}日 14:00-18:00，"
        "地址 浙江省杭州市西湖区文三路90号。"
    )
    text = vp.locator('#kefu-messages .kefu-msg[data-sender="bot"] .kefu-text').last.text_content()
    number = int(text.split("#", 1)[1].split("。", 1)[0])

    fields = ap.request.get(base + f"/api/agent/tickets/{number}/fields").json()
    assert fields["type"]["key"] == "repair"
    values = fields["values"]
    assert values["fault"] == "我的洗衣机不脱水了"
    assert values["address"] == "浙江省杭州市西湖区文三路90号"
    assert values["phone"] == "13912345678"
    assert values["window"] == f"{day.isoformat()} 14:00-18:00"
    product = ap.request.get(base + f"/api/agent/contacts/{conv['contact']['id']}/products")
    [record] = product.json()["products"]
    assert values["product"] == str(record["id"]) and record["serial"] == "SN-BROWSER-1"
    [visit] = ap.request.get(base + f"/api/agent/tickets/{number}/visits").json()["visits"]
    assert visit["engineer"]["name"] == "王师傅" and visit["district"] == "西湖区"
    _assert_clean(agent, visitor)
