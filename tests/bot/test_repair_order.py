"""The repair form takes answers in the order people give them (issue 17): an address and a
phone in one message, a phone or a time when asked for the address, a phone in the first
message, a new time at the summary. The same flow on web chat, on an Official Account through
``kefu wechat simulate`` and on WeCom (微信客服), on SQLite and PostgreSQL, down to the
engineer of the customer's district and the appointment the customer is sent."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from channels.wechat import cli
from core.app import create_app
from core.config import InboxSettings
from core.context import SERVICES
from core.models import ContactIdentity, Conversation
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import start_fake, wechat_inboxes, with_inboxes
from tests.channels.test_wecom_kf import OPTIONS as KF_OPTIONS
from tests.channels.test_wecom_kf import customer as kf_customer
from tests.channels.test_wecom_kf import notify as kf_notify
from tests.helpers import AGENT_HEADERS, Visitor, login, until

H = AGENT_HEADERS
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def env(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> tuple[Any, FakeWechat]:
    fake, base = await start_fake(aiohttp_server)
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    kf = InboxSettings("kf-main", "wecom_kf", {**KF_OPTIONS, "api_base": base})
    settings = with_inboxes(
        dataclasses.replace(demo_settings, storage=storage), (*wechat_inboxes(base), kf)
    )
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder)), fake


async def set_up(client: Any, conversation_id: int) -> int:
    """A washer with a serial on the customer's record, and engineers in two districts."""
    view = await (await client.get(f"/api/agent/conversations/{conversation_id}/customer")).json()
    made = await client.post(
        f"/api/agent/contacts/{view['contact']['id']}/products",
        json={"category": "洗衣机", "model": "XQG100-BD14", "serial": "SN-ORDER-1"},
        headers=H,
    )
    assert made.status == 201
    for name, region in (("吴师傅", "杭州市拱墅区"), ("王师傅", "西湖区")):
        eng = await client.post(
            "/api/admin/engineers",
            json={"name": name, "skills": ["洗衣机"], "regions": [region]},
            headers=H,
        )
        assert eng.status == 201, await eng.text()
    return int((await made.json())["product"]["id"])


async def check_ticket(client: Any, text: str, product_id: int, window: str) -> None:
    """The 报修 ticket the bot's last words name: every field filled, 王师傅 of 西湖区 sent."""
    number = int(text.split("#", 1)[1].split("。", 1)[0])
    fields = await (await client.get(f"/api/agent/tickets/{number}/fields")).json()
    assert fields["type"]["key"] == "repair"
    assert fields["values"] == {
        "product": str(product_id),
        "fault": "我的洗衣机不脱水了",
        "address": "浙江省杭州市西湖区文三路90号",
        "phone": "13912345678",
        "window": window,
    }
    [visit] = (await (await client.get(f"/api/agent/tickets/{number}/visits")).json())["visits"]
    assert visit["engineer"]["name"] == "王师傅" and visit["district"] == "西湖区"


def day_after() -> datetime:
    return datetime.now(ZONE) + timedelta(days=2)


async def test_web_chat_takes_answers_in_the_customers_order(env: tuple[Any, FakeWechat]) -> None:
    client, _ = env
    await login(client)
    v = await Visitor(client).start()
    await v.reply_to("你好")
    product_id = await set_up(client, v.conversation_id)

    async def ask(text: str) -> str:
        return str((await v.reply_to(text))["text"])

    assert (await ask("我的洗衣机不脱水了，想报修")).endswith(
        "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。"
    )
    # A time when the address is asked: kept; the address asked again, with no complaint.
    assert (
        await ask("后天下午有空")
    ) == "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。"
    # The address wrong, with the phone: the phone is kept, the address is what is wrong.
    wrong = await ask("西湖区文三路90号，电话13912345678")
    assert wrong.startswith("这个地址不完整") and "手机号" not in wrong
    summary = await ask("浙江省杭州市西湖区文三路90号")
    day = day_after()
    assert summary.startswith("请确认报修信息：")
    assert f"预约时间：{day.month}月{day.day}日 14:00-18:00" in summary
    assert "联系电话：13912345678" in summary and "设备：洗衣机 XQG100-BD14 (SN-ORDER-1)" in summary
    # A new time at the summary replaces the old one.
    again = await ask("还是后天上午吧")
    assert f"预约时间：{day.month}月{day.day}日 09:00-12:00" in again
    done = await ask("确认")
    assert done.startswith("已为您提交报修工单 #")
    # The engineer is already sent: no "we will arrange an engineer" after the appointment.
    assert done.endswith("\n师傅上门前会电话联系您。") and "尽快安排" not in done
    await check_ticket(client, done, product_id, f"{day.date().isoformat()} 09:00-12:00")
    # The customer sees the appointment in the chat.
    told = f"已为您安排王师傅上门，时间 {day.month}月{day.day}日 09:00-12:00"
    if not any(told in m["text"] for m in v.messages()):
        await v.until(lambda f: f["type"] == "message" and told in f["text"])


async def test_an_english_customer_keeps_english_while_typing_a_chinese_address(
    env: tuple[Any, FakeWechat],
) -> None:
    client, _ = env
    v = await Visitor(client).start()
    first = str((await v.reply_to("My washing machine won't spin, I need a repair"))["text"])
    assert first.endswith("Please tell me the model (on the rating label, e.g. XQG100-BD14).")
    assert str((await v.reply_to("XQG80-1208"))["text"]).startswith("Please give the address")
    # The address and the phone in one message, in Chinese: still answered in English.
    reply = str((await v.reply_to("浙江省杭州市西湖区文三路90号 13912345678"))["text"])
    assert reply.startswith("When would you like the engineer to come?")


async def conversation_of(client: Any, external_id: str) -> int:
    """The conversation of the customer writing as ``external_id`` on a channel."""
    async with client.app[SERVICES].db.reader() as session:
        found = await session.execute(
            select(Conversation.id)
            .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
            .where(ContactIdentity.external_id == external_id)
        )
        return int(found.scalar_one())


async def told(client: Any, external_id: str) -> list[str]:
    """What the bot and the desk said to that customer, in order."""
    cid = await conversation_of(client, external_id)
    conv = await (await client.get(f"/api/agent/conversations/{cid}")).json()
    return [m["text"] for m in conv["conversation"]["messages"] if m["sender"] != "customer"]


async def test_the_same_flow_through_the_wechat_simulator(
    env: tuple[Any, FakeWechat], capsys: pytest.CaptureFixture[str]
) -> None:
    client, _ = env
    await login(client)
    services = client.app[SERVICES]
    openid = "oRepairOrder01"
    base = str(client.make_url("")).rstrip("/")
    printed: list[str] = []

    async def simulate(text: str) -> str:
        args = argparse.Namespace(inbox="wx-main", url=base, user=openid, text=text)
        capsys.readouterr()
        assert await cli.simulate(args, services.settings) == 0
        printed.append(capsys.readouterr().out)
        await services.pipeline.drain(grace_seconds=30)
        return (await told(client, openid))[-1]

    await simulate("你好")
    product_id = await set_up(client, await conversation_of(client, openid))
    asked = await simulate("我的洗衣机不脱水了，想报修，我电话139 1234 5678")
    assert asked.endswith(
        "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。"
    )
    assert (await simulate("文三路90号")).startswith("这个地址不完整")
    assert (await simulate("地址：浙江省杭州市西湖区文三路90号，后天下午")).startswith(
        "请确认报修信息："
    )
    await simulate("确认")
    texts = await told(client, openid)
    submitted = next(t for t in texts if t.startswith("已为您提交报修工单 #"))
    day = day_after()
    await check_ticket(client, submitted, product_id, f"{day.date().isoformat()} 14:00-18:00")
    # The customer sees the appointment in WeChat (the passive reply the simulator prints).
    appointment = f"已为您安排王师傅上门，时间 {day.month}月{day.day}日 14:00-18:00"
    assert appointment in printed[-1] and submitted in printed[-1]


async def test_the_same_form_on_wecom(env: tuple[Any, FakeWechat]) -> None:
    """微信客服 (WeCom): messages pulled with sync_msg, answers sent with send_msg."""
    client, fake = env
    await login(client)
    services = client.app[SERVICES]
    user = "wmRepairOrder01"
    ids = itertools.count(1)

    async def say(text: str) -> str:
        fake.kf_pages.append({"msg_list": [kf_customer(f"rep-{next(ids)}", text, user=user)]})
        assert (await kf_notify(client)).status == 200
        await until(lambda: stored(text))
        await services.pipeline.drain(grace_seconds=30)
        return (await told(client, user))[-1]

    async def stored(text: str) -> bool:
        try:
            await conversation_of(client, user)
        except NoResultFound:
            return False
        cid = await conversation_of(client, user)
        conv = await (await client.get(f"/api/agent/conversations/{cid}")).json()
        return any(m["text"] == text for m in conv["conversation"]["messages"])

    await say("你好")
    product_id = await set_up(client, await conversation_of(client, user))
    assert (await say("洗衣机不转了，能派个师傅来看看吗")).startswith("好的，我来帮您登记报修。")
    assert (await say("杭州 西湖区 文三路90号，13912345678")).startswith("您希望师傅什么时间上门")
    assert (await say("后天上午")).startswith("请确认报修信息：")
    submitted = await say("确认")
    assert submitted.startswith("已为您提交报修工单 #")
    number = int(submitted.split("#", 1)[1].split("。", 1)[0])
    fields = await (await client.get(f"/api/agent/tickets/{number}/fields")).json()
    assert fields["values"] == {
        "product": str(product_id),
        "fault": "洗衣机不转了",
        "address": "杭州市西湖区文三路90号",
        "phone": "13912345678",
        "window": f"{day_after().date().isoformat()} 09:00-12:00",
    }
    day = day_after()
    appointment = f"已为您安排王师傅上门，时间 {day.month}月{day.day}日 09:00-12:00"

    def sent() -> bool:
        return any(
            s.get("touser") == user and appointment in s.get("text", {}).get("content", "")
            for s in fake.sent
        )

    await until(sent)


async def test_the_fault_asked_for_is_not_the_appliance(env: tuple[Any, FakeWechat]) -> None:
    client, _ = env
    v = await Visitor(client).start()
    assert str((await v.reply_to("我要报修"))["text"]).endswith("例如 XQG100-BD14）。")
    assert str((await v.reply_to("XQG80-1208"))["text"]).startswith("请简单描述一下故障现象")
    assert str((await v.reply_to("洗衣机"))["text"]).startswith("请用几个字描述故障")
    assert str((await v.reply_to("不脱水"))["text"]).startswith("请告诉我上门地址")


async def test_compact_address_and_a_precise_time_then_the_number_before_the_appointment(
    env: tuple[Any, FakeWechat],
) -> None:
    """ "杭州西湖区文三路100号" (no 市, no spaces) is taken; "明天下午三点" is 15:00, not the
    afternoon; the confirmation names the ticket first, then the appointment, in one message,
    and no separate notice comes before it."""
    client, _ = env
    await login(client)
    v = await Visitor(client).start()
    await v.reply_to("你好")
    await set_up(client, v.conversation_id)

    async def ask(text: str) -> str:
        return str((await v.reply_to(text))["text"])

    assert (await ask("我的洗衣机不脱水了，想报修")).endswith(
        "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。"
    )
    assert (await ask("你好啊")).startswith("这看起来不像地址")
    assert (await ask("杭州西湖区文三路100号")).startswith("请留一个师傅上门前")
    assert (await ask("13912345678")).startswith("您希望师傅什么时间上门")
    day = datetime.now(ZONE) + timedelta(days=1)
    summary = await ask("明天下午三点")
    assert f"预约时间：{day.month}月{day.day}日 15:00" in summary
    assert "上门地址：杭州市西湖区文三路100号" in summary
    done = await ask("确认")
    number = int(done.split("#", 1)[1].split("。", 1)[0])
    appointment = f"工单 #{number}：已为您安排王师傅上门，时间 {day.month}月{day.day}日 15:00"
    assert done.startswith(f"已为您提交报修工单 #{number}。")
    assert appointment in done and done.index(f"#{number}。") < done.index(appointment)
    assert done.endswith("师傅上门前会电话联系您。")
    fields = await (await client.get(f"/api/agent/tickets/{number}/fields")).json()
    assert fields["values"]["window"] == f"{day.date().isoformat()} 15:00"
    assert fields["values"]["address"] == "杭州市西湖区文三路100号"
    [visit] = (await (await client.get(f"/api/agent/tickets/{number}/visits")).json())["visits"]
    assert visit["engineer"]["name"] == "王师傅" and visit["window_start"] == visit["window_end"]
    # On the web chat, in order: the customer's "确认", then the one message with both.
    conv = await (await client.get(f"/api/agent/conversations/{v.conversation_id}")).json()
    said = [m["text"] for m in conv["conversation"]["messages"]]
    assert said[said.index("确认") + 1 :] == [done]


async def test_an_english_customer_gives_an_english_address(env: tuple[Any, FakeWechat]) -> None:
    client, _ = env
    v = await Visitor(client).start()
    first = str((await v.reply_to("My washing machine won't spin, I need a repair"))["text"])
    assert first.endswith("Please tell me the model (on the rating label, e.g. XQG100-BD14).")
    assert str((await v.reply_to("XQG80-1208"))["text"]).startswith("Please give the address")
    refused = str((await v.reply_to("Pudong, Shanghai"))["text"])
    assert refused.startswith("That address is incomplete: please add the street and number")
    took = str((await v.reply_to("Room 1203, 88 Century Ave, Pudong, Shanghai"))["text"])
    assert took.startswith("Please give a mobile number")
    assert str((await v.reply_to("13912345678"))["text"]).startswith("When would you like")
    summary = str((await v.reply_to("tomorrow at 3pm"))["text"])
    day = datetime.now(ZONE) + timedelta(days=1)
    assert f"Preferred time：{day:%b} {day.day}, 15:00" in summary
    assert "Address：Room 1203, 88 Century Ave, Pudong, Shanghai" in summary
