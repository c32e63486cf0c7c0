"""``kefu import tickets``: original numbers and times kept, customers linked, visible in the
agent API, the customer 360 and the reports; the ticket counter moves past them."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.config import Settings, load_settings
from core.db import Database
from core.errors import Conflict
from core.imports.batches import rollback
from core.imports.runner import Options, run
from core.models import Counter
from intake import reports
from intake.imports.customers import CustomerImport
from intake.imports.tickets import TicketImport
from tests.helpers import AGENT_HEADERS, login
from tests.intake.import_helpers import make_kefu, query, snapshot

SH = ZoneInfo("Asia/Shanghai")
TICKETS = (
    "工单号,标题,描述,状态,优先级,分类,渠道,创建时间,首次响应时间,解决时间,客户,客户手机,客户邮箱,负责人,满意度\n"
    "T-20001,冰箱不制冷,冰箱买了两周就不制冷了,已解决,高,repair,电话,2023-03-01 09:00,"
    "2023-03-01 09:30,2023-03-02 09:00,张三,138 0013 8000,,demo@kefu.local,5\n"
    "20002,预约安装,想预约空调安装,处理中,,installation,微信,2023/3/5 14:00,,,"
    "张三,13800138000,,小王,\n"
    "#20003,,发票开错了,新建,紧急,,,2023年3月6日 10:00,,,,,,,\n"
    "20001,重复的工单,重复,新建,,,,2023-03-07 10:00,,,,,,,\n"
    "20004,没有时间,,新建,,,,,,,,,,,\n"
    "20005,时间倒流,x,已解决,,,,2023-03-08 10:00,,2023-03-07 10:00,,,,,\n"
    "20006,坏手机,x,新建,,,,2023-03-08 10:00,,,李四,12345,,,\n"
)


def write(path: Path, text: str) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def test_tickets_import_with_numbers_times_report_counter_and_rollback(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    src = write(tmp_path / "tickets.csv", TICKETS)
    initial = snapshot(database_url)
    code, out, _ = kefu("import", "tickets", str(src), "--dry-run")
    assert code == 0 and "would be created: 3" in out and "would be rejected: 4" in out
    assert "line 5: ticket #20001 is also on line 2" in out
    assert "line 6: missing created_at" in out
    assert "line 7: resolved_at is before created_at" in out
    assert "line 8: phone 12345: not a Chinese mobile number" in out
    assert snapshot(database_url) == initial

    code, out, _ = kefu("import", "tickets", str(src), "--report", "r.csv")
    assert code == 0 and "  created: 3\n" in out and "customers created: 1" in out
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as f:
        report = {r["line"]: r["detail"] for r in csv.DictReader(f)}
    assert report["3"] == (
        "ticket #20002; customer line 2; assignee 小王 is not an agent here, left unassigned"
    )
    rows = query(database_url, select(Counter.value).where(Counter.name == "ticket_number"))
    assert rows == [(20003,)]  # new tickets start after the imported ones

    async def check_reports() -> Any:
        db = Database(database_url)
        async with db.reader() as s:
            march = await reports.summary(
                s, datetime(2023, 3, 1, tzinfo=SH), datetime(2023, 4, 1, tzinfo=SH), "Asia/Shanghai"
            )
        await db.dispose()
        return march

    import asyncio

    march = asyncio.run(check_reports())
    assert (march.totals.tickets, march.totals.conversations, march.totals.backlog) == (3, 3, 2)
    assert march.totals.resolution_avg_seconds == 24 * 3600.0
    assert march.totals.first_response_avg_seconds == 1800.0
    assert march.totals.csat_average == 5.0
    days = {m.key: m.tickets for m in march.by["day"]}
    assert days == {"2023-03-01": 1, "2023-03-05": 1, "2023-03-06": 1}
    channels = {m.key: m.tickets for m in march.by["channel"]}
    assert channels == {"phone": 1, "wechat": 1, "import": 1}

    # Importing the same file again skips what is there, and rolling back removes it all.
    code, out, _ = kefu("import", "tickets", str(src))
    assert "  skipped: 3\n" in out and "ticket #20001 was already imported" in out
    code, out, _ = kefu("import", "rollback", "1")
    assert code == 0 and "3 tickets" in out
    assert snapshot(database_url) == initial


async def test_imported_tickets_in_agent_api_customer_360_and_reports(
    client: Any, demo_settings: Settings, tmp_path: Path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("姓名,手机,邮箱,公司,等级\n张三,13800138000,zs@example.com,客户A,VIP\n")
    db = Database(demo_settings.database_url)
    quiet = Options(progress=False)
    first = await run(db, CustomerImport(demo_settings), customers, quiet)
    result = await run(db, TicketImport(demo_settings), write(tmp_path / "t.csv", TICKETS), quiet)
    assert result.counts["created"] == 3 and first.batch_id == 1 and result.batch_id == 2
    await login(client)
    resp = await client.get("/api/agent/tickets/20001", headers=AGENT_HEADERS)
    assert resp.status == 200, await resp.text()
    t = (await resp.json())["ticket"]
    assert (t["number"], t["status"], t["priority"], t["category"], t["channel"]) == (
        20001,
        "resolved",
        "high",
        "repair",
        "phone",
    )
    assert t["created_at"] == "2023-03-01T01:00:00+00:00"  # 09:00 in Shanghai
    assert t["resolved_at"] == "2023-03-02T01:00:00+00:00"
    assert t["tier"] == "vip" and t["csat"] == 5 and t["assignee"]["name"]
    assert t["transcript"] == "[2023-03-01 09:00:00] Customer: 冰箱买了两周就不制冷了"
    assert [e["action"] for e in t["events"]] == ["imported"]

    resp = await client.get(
        f"/api/agent/conversations/{t['conversation_id']}/customer", headers=AGENT_HEADERS
    )
    body = await resp.json()
    assert body["contact"]["name"] == "张三" and body["contact"]["phone"] == "13800138000"
    assert body["contact"]["tier"] == "vip" and body["contact"]["company"] == "客户A"
    assert {(i["channel"], i["external_id"]) for i in body["identities"]} == {
        ("phone", "13800138000"),
        ("email", "zs@example.com"),
    }
    assert sorted(x["number"] for x in body["tickets"]) == [20001, 20002]

    resp = await client.get(
        "/api/reports/summary?from=2023-03-01&to=2023-03-31", headers=AGENT_HEADERS
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["totals"]["tickets"] == 3

    # The customers batch cannot go while the tickets batch uses its contact; in order, it can.
    with pytest.raises(Conflict, match=r"conversations recorded since .* roll back batch 2 first"):
        await rollback(db, 1)
    assert (await rollback(db, 2)).deleted["tickets"] == 3
    assert (await rollback(db, 1)).deleted["contacts"] == 1
    await db.dispose()


async def test_email_identity_of_an_imported_customer_catches_their_next_email(
    db: Database, tmp_path: Path
) -> None:
    from core.config import InboxSettings
    from core.conversations import record_inbound
    from core.domain import InboundMessage

    base = load_settings(None, env={})
    settings = Settings(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "inboxes": (InboxSettings("mail", "email", {}),),
        }
    )
    src = tmp_path / "c.csv"
    src.write_text("name,email\nAlice,Alice@Example.COM\n")
    result = await run(db, CustomerImport(settings), src, Options(progress=False))
    assert result.counts["created"] == 1
    async with db.transaction() as s:
        rec = await record_inbound(
            s,
            InboundMessage(
                channel="email",
                inbox="mail",
                external_id="alice@example.com",
                source_id="<x@example.com>",
                text="hello",
            ),
        )
    async with db.reader() as s:
        from core.models import Contact

        contact = (await s.execute(select(Contact))).scalars().one()
    assert rec.conversation.contact_id == contact.id and contact.name == "Alice"
