"""The bot fills a 报修 form (issue 17) over web chat and WeChat, on SQLite and PostgreSQL: it
asks only for what it does not know, re-asks a wrong answer, takes a correction, opens the
typed ticket with the fields filled; the form lives in SQL. Plus the time words."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.timewords import parse_window
from core.app import create_app
from core.config import InboxSettings
from core.context import SERVICES
from core.models import ContactIdentity, Conversation
from intake.tables import BotForm
from tests.bot.test_ticket_status import post_wechat_text, wechat_api
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS
WX_TOKEN = "repairToken1"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> Any:
    server = await aiohttp_server(wechat_api())
    options = {
        "token": WX_TOKEN,
        "app_id": "wx00000000000000e7",
        "app_secret": "s3cret",
        "api_base": str(server.make_url("")).rstrip("/"),
    }
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    wx = InboxSettings("wx-repair", "wechat", options)
    settings = dataclasses.replace(settings, inboxes=(*settings.inboxes, wx))
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def ask(v: Visitor, text: str) -> str:
    return str((await v.reply_to(text))["text"])


def tomorrow() -> datetime:
    return datetime.now(ZONE) + timedelta(days=1)


async def test_web_chat_repair_form_asks_what_it_does_not_know(app_client: Any) -> None:
    client = app_client
    await login(client)
    v = await Visitor(client).start()
    await v.reply_to("你好")
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    made = await client.post(
        f"/api/agent/contacts/{view['contact']['id']}/products",
        json={"category": "洗衣机", "model": "XQG100-BD14", "serial": "SN-W1"},
        headers=H,
    )
    assert made.status == 201
    product_id = (await made.json())["product"]["id"]

    # The product (from the records) and the fault (from the message) are known already.
    first = await ask(v, "我的洗衣机不脱水了，想报修")
    assert first.startswith("好的，我来帮您登记报修。")
    assert first.endswith(
        "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。"
    )
    async with client.app[SERVICES].db.reader() as session:
        form = await session.get(BotForm, v.conversation_id)
        conv = await session.get(Conversation, v.conversation_id)
    assert form is not None and form.asking == "address"
    assert conv is not None and conv.bot_state["form"] == "repair"  # the bot knows one is open
    assert form.values == {"product": str(product_id), "fault": "我的洗衣机不脱水了"}

    wrong = await ask(v, "西湖区文三路")  # no city: asked again, with what is wrong
    assert wrong.startswith("这个地址不完整：需要包含市和区（县）")
    assert (await ask(v, "浙江省杭州市西湖区文三路90号")).startswith("请留一个师傅上门前")
    bad_phone = await ask(v, "139 1234 567")
    assert bad_phone.startswith(
        "手机号应为 11 位数字（如 139 1234 5678），您输入的是“139 1234 567”"
    )
    assert (await ask(v, "139-1234-5678")).startswith("您希望师傅什么时间上门？")
    day = tomorrow()
    confirm = await ask(v, "明天下午")
    assert confirm.startswith("请确认报修信息：")
    assert f"预约时间：{day.month}月{day.day}日 14:00-18:00" in confirm
    assert "设备：洗衣机 XQG100-BD14 (SN-W1)" in confirm
    assert "上门地址：浙江省杭州市西湖区文三路90号" in confirm
    # A correction, in one message.
    corrected = await ask(v, "地址改成 浙江省杭州市拱墅区湖墅南路1号")
    assert "上门地址：浙江省杭州市拱墅区湖墅南路1号" in corrected
    done = await ask(v, "确认")
    assert done.startswith("已为您提交报修工单 #")
    assert done.endswith("\n我们会尽快安排师傅，上门前会电话联系您。")  # no engineer yet
    number = int(done.split("#", 1)[1].split("。", 1)[0])
    fields = await (await client.get(f"/api/agent/tickets/{number}/fields")).json()
    assert fields["type"]["key"] == "repair"
    assert fields["values"] == {
        "product": str(product_id),
        "fault": "我的洗衣机不脱水了",
        "address": "浙江省杭州市拱墅区湖墅南路1号",
        "phone": "13912345678",
        "window": f"{day.date().isoformat()} 14:00-18:00",
    }
    async with client.app[SERVICES].db.reader() as session:
        assert await session.get(BotForm, v.conversation_id) is None
    # The phone the customer typed is not put on their record (a claim, not a proof).
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    assert view["contact"]["phone"] is None

    # Cancelling, and a customer without records asked for the model.
    other = await Visitor(client).start()
    assert (await ask(other, "空调想安装")).endswith(
        "请告诉我机器型号（在机身铭牌上，例如 XQG100-BD14）。"
    )
    assert (await ask(other, "取消")).startswith("好的，已取消这次安装登记")
    async with client.app[SERVICES].db.reader() as session:
        assert await session.get(BotForm, other.conversation_id) is None
        for cid in (v.conversation_id, other.conversation_id):
            conv = await session.get(Conversation, cid)
            assert conv is not None and "form" not in conv.bot_state  # submitted, cancelled


async def test_wechat_repair_form_in_english_and_on_the_official_account(app_client: Any) -> None:
    client = app_client
    await login(client)
    openid = "oRepairUser0001"
    sent: list[str] = []

    async def send(text: str) -> None:
        await post_wechat_text(client, "wx-repair", WX_TOKEN, openid, text)
        await client.app[SERVICES].pipeline.drain(grace_seconds=30)
        sent.append(text)

    async def last_bot_text() -> str:
        async with client.app[SERVICES].db.reader() as session:
            cid = (
                await session.execute(
                    select(Conversation.id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .where(ContactIdentity.external_id == openid)
                )
            ).scalar_one()
        conv = await (await client.get(f"/api/agent/conversations/{cid}")).json()
        bot = [m for m in conv["conversation"]["messages"] if m["sender"] == "bot"]
        return str(bot[-1]["text"])

    await send("My washing machine is leaking water, I need a repair")
    assert (await last_bot_text()).endswith(
        "Please tell me the model (on the rating label, e.g. XQG100-BD14)."
    )
    await send("It is XQG80-1208")
    assert (await last_bot_text()).startswith("Please give the address for the visit")
    await send("上海市浦东新区世纪大道100号")
    await send("13800001111")
    await send("tomorrow morning")
    confirm = await last_bot_text()
    day = tomorrow()
    assert confirm.startswith("Please check your Repair request:")
    assert f"Preferred time：{day:%b} {day.day}, 09:00-12:00" in confirm
    assert "Product：洗衣机 XQG80-1208" in confirm
    await send("confirm")
    assert (await last_bot_text()).startswith("Your Repair ticket #")


async def test_asking_for_a_person_in_the_middle_of_the_form_reaches_one(app_client: Any) -> None:
    """ "转人工" while the bot asks for the model: the form is dropped and the customer is
    handed to a person, as anywhere else (it used to be read as the model)."""
    client = app_client
    v = await Visitor(client).start()
    assert (await ask(v, "空调不制冷，要修")).endswith(
        "请告诉我机器型号（在机身铭牌上，例如 XQG100-BD14）。"
    )
    await v.say("转人工")

    def handed_over(frame: dict[str, Any]) -> bool:
        told = frame["type"] == "message" and frame["sender"] in ("system", "bot")
        return told and ("人工" in frame["text"] or "客服" in frame["text"])

    await v.until(handed_over)
    async with client.app[SERVICES].db.reader() as session:
        assert await session.get(BotForm, v.conversation_id) is None
        conv = await session.get(Conversation, v.conversation_id)
        assert conv is not None and conv.owner in ("queued", "agent")


def test_time_words_in_the_zone() -> None:
    now = datetime(2026, 12, 3, 10, 30, tzinfo=ZONE)  # a Thursday morning
    assert parse_window("明天下午", now).value() == "2026-12-04 14:00-18:00"  # type: ignore[union-attr]
    assert parse_window("后天上午", now).value() == "2026-12-05 09:00-12:00"  # type: ignore[union-attr]
    assert parse_window("下周一", now).value() == "2026-12-07 09:00-18:00"  # type: ignore[union-attr]
    assert parse_window("周六晚上", now).value() == "2026-12-05 18:00-21:00"  # type: ignore[union-attr]
    assert parse_window("12月20日下午2点到4点", now).value() == "2026-12-20 14:00-16:00"  # type: ignore[union-attr]
    assert parse_window("1月5号上午", now).value() == "2027-01-05 09:00-12:00"  # type: ignore[union-attr]
    assert parse_window("friday afternoon", now).value() == "2026-12-04 14:00-18:00"  # type: ignore[union-attr]
    assert parse_window("今天上午", now.replace(hour=11)) is None  # (almost) over
    assert parse_window("随便", now) is None
    assert parse_window("明年", now) is None


async def test_email_asks_for_all_missing_fields_in_one_message(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import ADAPTERS_KEY
    from core.models import Message
    from tests.channels.email_support.app import customer_mail, with_email_inbox

    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = with_email_inbox(dataclasses.replace(demo_settings, storage=storage))
    client = await aiohttp_client(create_app(settings, demo=True, embedder=embedder))
    services = client.app[SERVICES]
    intake = next(iter(client.app[ADAPTERS_KEY]["email"].intakes.values()))
    address = "repair.mail@example.net"
    first = customer_mail("报修", "我家空调不制冷了，想报修", sender=address)
    first_id = str(first["Message-ID"]).strip("<>")

    async def replies() -> list[str]:
        async with services.db.reader() as session:
            rows = await session.execute(
                select(Message.text)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                .where(ContactIdentity.external_id == address, Message.sender == "bot")
                .order_by(Message.seq)
            )
            return [str(t) for t in rows.scalars()]

    await intake.receive(bytes(first), via="smtp")
    await services.pipeline.drain(grace_seconds=30)
    [asked] = await replies()
    assert asked.startswith("好的，我来帮您登记报修。\n为了安排报修，请直接回复本邮件")
    for label in ("设备：", "上门地址：", "联系电话：", "预约时间："):
        assert f"\n{label}" in asked
    assert "故障现象：" not in asked  # known from the first message

    day = tomorrow()
    body = (
        "设备：KFR-35GW\n上门地址：西湖区文三路\n联系电话：13900004444\n预约时间：明天上午\n\n"
        "> 引用的原邮件"
    )
    reply = customer_mail("Re: 报修", body, sender=address, in_reply_to=first_id)
    await intake.receive(bytes(reply), via="smtp")
    await services.pipeline.drain(grace_seconds=30)
    more = (await replies())[-1]
    assert more.startswith("这个地址不完整")
    assert "还缺少或需要更正以下信息" in more and "\n上门地址：" in more
    assert "联系电话：" not in more.split("还缺少", 1)[1]
    second = customer_mail(
        "Re: 报修", "上门地址：浙江省杭州市西湖区文三路90号", sender=address, in_reply_to=first_id
    )
    await intake.receive(bytes(second), via="smtp")
    await services.pipeline.drain(grace_seconds=30)
    done = (await replies())[-1]
    assert done.startswith("已为您提交报修工单 #")
    assert f"预约时间：{day.month}月{day.day}日 09:00-12:00" in done
    assert "设备：空调 KFR-35GW" in done
