"""On-site visits: choosing the engineer, the visit's states, telling the customer (the
report over them: intake/visit_report.py).

The engineer is chosen among the active ones whose skills cover the product's category (no
skills: everything) and whose regions cover the address's district (a region is a district,
"杭州市西湖区", a city "杭州市" or a province), with room left that day (``daily_capacity``
visits not failed or rescheduled); the least loaded wins, then the longest-serving.

    dispatched -> on_the_way -> arrived -> done
         \\-----------\\-----------\\-> failed (a reason)
         \\-----------\\-> rescheduled (a new window: a new visit is dispatched)

Each step is told to the customer at once in their conversation (through their channel; a
phone or walk-in ticket has none, so nothing is sent there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations import add_reply, lock_conversation
from core.errors import BadRequest, Conflict
from core.models import Conversation, Ticket
from intake import ticket_types
from intake.address import parse_address
from intake.lifecycle import audit
from intake.tables import Engineer, Product, Visit
from intake.visit_report import report as report  # handoff/visit_routes.py: visits.report

STATUSES = ("dispatched", "on_the_way", "arrived", "done", "rescheduled", "failed")
MOVES: dict[str, frozenset[str]] = {
    "dispatched": frozenset({"on_the_way", "rescheduled", "failed"}),
    "on_the_way": frozenset({"arrived", "rescheduled", "failed"}),
    "arrived": frozenset({"done", "failed"}),
    "done": frozenset(),
    "rescheduled": frozenset(),
    "failed": frozenset(),
}
BUSY = ("dispatched", "on_the_way", "arrived", "done")
NO_CHANNEL = ("phone", "walk_in")
_WINDOW = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2})(?:-(\d{2}):(\d{2}))?$")

NOTICES = {
    "dispatched": {
        "zh": "工单 #{number}：已为您安排{engineer}上门，时间 {window}，地址 {address}。",
        "en": "Ticket #{number}: engineer {engineer} will visit {window} at {address}.",
    },
    "on_the_way": {
        "zh": "工单 #{number}：{engineer}已出发，正在赶来的路上。",
        "en": "Ticket #{number}: engineer {engineer} is on the way.",
    },
    "arrived": {
        "zh": "工单 #{number}：{engineer}已到达。",
        "en": "Ticket #{number}: engineer {engineer} has arrived.",
    },
    "done": {
        "zh": "工单 #{number}：上门服务已完成。{parts}",
        "en": "Ticket #{number}: the visit is done. {parts}",
    },
    "rescheduled": {
        "zh": "工单 #{number}：上门时间已改为 {window}（原因：{reason}）。",
        "en": "Ticket #{number}: the visit is moved to {window} (reason: {reason}).",
    },
    "failed": {
        "zh": "工单 #{number}：这次上门未能完成（原因：{reason}），客服会尽快联系您。",
        "en": "Ticket #{number}: the visit could not be completed ({reason}); we will contact "
        "you shortly.",
    },
    "parts": {"zh": "更换配件：{parts}，费用 {cost} 元。", "en": "Parts: {parts}, {cost} yuan."},
    "no_parts": {"zh": "", "en": ""},
}


@dataclass(frozen=True)
class Slot:
    """A visit window in the configured zone."""

    start: datetime
    end: datetime


def parse_slot(value: str, zone: ZoneInfo) -> Slot:
    """ "2026-12-04 14:00-18:00" (or a time, "2026-12-04 15:00": start and end alike) as
    aware datetimes; BadRequest otherwise."""
    m = _WINDOW.match((value or "").strip())
    if not m:
        raise BadRequest(
            'window must read "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD HH:MM", '
            'e.g. "2026-12-04 14:00-18:00".',
            code="bad_window",
        )
    day = date.fromisoformat(m.group(1))
    start = datetime.combine(day, time(int(m.group(2)), int(m.group(3))), zone)
    if m.group(4) is None:  # an appointment at a time ("2026-12-04 15:00")
        return Slot(start, start)
    end_hour = int(m.group(4))
    end = datetime.combine(day, time(min(end_hour, 23), int(m.group(5))), zone)
    if end_hour == 24:
        end = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    if end <= start:
        raise BadRequest("The window must end after it starts.", code="bad_window")
    return Slot(start, end)


def covers(regions: list[Any], province: str, city: str, district: str) -> bool:
    """Whether a region list covers the address (district, city+district, city or province)."""
    names = {district, city + district, province + city + district, city, province} - {""}
    folded = {n.casefold() for n in names}
    for region in regions:
        r = str(region).strip()
        if r and (r in names or r.casefold() in folded):
            return True
    return False


def window_text(v: Visit, zone: ZoneInfo, language: str) -> str:
    """ "12月4日 14:00-18:00", or "12月4日 15:00" for an appointment at a time."""
    start, end = v.window_start.astimezone(zone), v.window_end.astimezone(zone)
    hours = f"{start:%H:%M}" if end == start else f"{start:%H:%M}-{end:%H:%M}"
    if language == "en":
        return f"{start:%b} {start.day}, {hours}"
    return f"{start.month}月{start.day}日 {hours}"


def visit_json(v: Visit, engineer: Engineer | None, zone: ZoneInfo) -> dict[str, Any]:
    """A visit as the API shows it."""
    return {
        "id": v.id,
        "ticket_id": v.ticket_id,
        "engineer": {"id": engineer.id, "name": engineer.name, "phone": engineer.phone}
        if engineer
        else None,
        "window_start": v.window_start.astimezone(zone).isoformat(),
        "window_end": v.window_end.astimezone(zone).isoformat(),
        "address": v.address,
        "district": v.district,
        "status": v.status,
        "reason": v.reason,
        "parts": list(v.parts or []),
        "parts_cost": v.parts_cost_cents / 100,
        "in_warranty": v.in_warranty,
    }


async def _product(session: AsyncSession, values: dict[str, str]) -> Product | None:
    pid = values.get("product", "")
    return await session.get(Product, int(pid)) if pid.isdigit() else None


async def choose(
    session: AsyncSession, skill: str, address: str, slot: Slot, zone: ZoneInfo
) -> Engineer:
    """The engineer for a visit; Conflict ``no_engineer`` when nobody fits."""
    parsed = parse_address(address)
    if parsed is None:
        raise BadRequest("The ticket's address has no city and district.", code="bad_address")
    day = slot.start.astimezone(zone).date()
    day_start = datetime.combine(day, time(), zone)
    load = dict(
        (
            await session.execute(
                select(Visit.engineer_id, func.count())
                .where(
                    Visit.status.in_(BUSY),
                    Visit.window_start >= day_start,
                    Visit.window_start < day_start + timedelta(days=1),
                )
                .group_by(Visit.engineer_id)
            )
        ).all()
    )
    engineers = (
        await session.execute(
            select(Engineer).where(Engineer.active.is_(True)).order_by(Engineer.id)
        )
    ).scalars()
    fits = [
        e
        for e in engineers
        if (not e.skills or not skill or skill in e.skills)
        and covers(e.regions or [], parsed.region_province, parsed.city, parsed.district)
        and load.get(e.id, 0) < e.daily_capacity
    ]
    if not fits:
        raise Conflict(
            f"No engineer covers {parsed.district or parsed.city} for {skill or 'this'} "
            f"with room on {day}.",
            code="no_engineer",
        )
    return min(fits, key=lambda e: (load.get(e.id, 0), e.id))


def notice(
    ticket: Ticket, visit: Visit, engineer: Engineer, kind: str, zone: ZoneInfo, lang: str
) -> str:
    """What the customer is told about a visit's step, in ``lang`` (zh or en)."""
    parts = ""
    if kind == "done" and visit.parts:
        names = (
            "、".join(p["name"] for p in visit.parts)
            if lang == "zh"
            else ", ".join(p["name"] for p in visit.parts)
        )
        parts = NOTICES["parts"][lang].format(
            parts=names, cost=f"{visit.parts_cost_cents / 100:.2f}"
        )
    text = NOTICES[kind][lang].format(
        number=ticket.number,
        engineer=engineer.name,
        window=window_text(visit, zone, lang),
        address=visit.address,
        reason=visit.reason,
        parts=parts,
    )
    return text.strip()


async def tell(
    session: AsyncSession,
    ticket: Ticket,
    visit: Visit,
    engineer: Engineer,
    kind: str,
    zone: ZoneInfo,
) -> None:
    """Tell the customer about the visit in their conversation, in its language."""
    conv = await lock_conversation(session, ticket.conversation_id)
    if conv.channel in NO_CHANNEL:
        return
    lang = "en" if conv.language == "en" else "zh"
    text = notice(ticket, visit, engineer, kind, zone, lang)
    await add_reply(session, conv, sender="system", text=text, meta={"visit": visit.id})


async def dispatch(
    session: AsyncSession,
    ticket: Ticket,
    zone: ZoneInfo,
    window: str | None = None,
    engineer_id: int | None = None,
    actor_id: int | None = None,
    *,
    told_by_caller: bool = False,
) -> tuple[Visit, Engineer]:
    """A visit for the ticket at its window (the given one, else the ticket's ``window``
    field), with the chosen (or given) engineer; the customer is told, unless the caller
    tells them itself (the bot, in the message that gives the ticket's number first)."""
    values = (await ticket_types.values_of(session, [ticket.id]))[ticket.id]
    slot = parse_slot(window or values.get("window", ""), zone)
    address = values.get("address", "")
    product = await _product(session, values)
    skill = product.category if product is not None else ""
    if engineer_id is not None:
        engineer = await session.get(Engineer, engineer_id)
        if engineer is None or not engineer.active:
            raise BadRequest(f"There is no active engineer {engineer_id}.", code="no_engineer")
    else:
        engineer = await choose(session, skill, address, slot, zone)
    parsed = parse_address(address)
    day = slot.start.astimezone(zone).date()
    visit = Visit(
        ticket_id=ticket.id,
        engineer_id=engineer.id,
        window_start=slot.start,
        window_end=slot.end,
        address=address,
        district=parsed.district if parsed else "",
        status="dispatched",
        parts=[],
        parts_cost_cents=0,
        in_warranty=(product.warranty_end >= day)
        if product is not None and product.warranty_end is not None
        else None,
    )
    session.add(visit)
    await session.flush()
    audit(
        session,
        ticket,
        "visit",
        actor="agent" if actor_id else "system",
        agent_id=actor_id,
        visit=visit.id,
        status="dispatched",
        engineer=engineer.name,
    )
    if not told_by_caller:
        await tell(session, ticket, visit, engineer, "dispatched", zone)
    return visit, engineer


def clean_parts(raw: Any) -> tuple[list[dict[str, Any]], int]:
    """[{name, cost}] with cost in yuan -> stored parts with cents, and the total."""
    if raw is None:
        return [], 0
    if not isinstance(raw, list) or len(raw) > 50:
        raise BadRequest("parts must be a list of {name, cost}.", code="bad_parts")
    out: list[dict[str, Any]] = []
    total = 0
    for p in raw:
        name = p.get("name") if isinstance(p, dict) else None
        cost = p.get("cost", 0) if isinstance(p, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadRequest("Each part needs a name (at most 100 characters).", code="bad_parts")
        if not isinstance(cost, int | float) or isinstance(cost, bool) or not 0 <= cost < 10**7:
            raise BadRequest(f"Part {name}: cost must be a number of yuan.", code="bad_parts")
        cents = round(cost * 100)
        out.append({"name": name.strip(), "cost_cents": cents})
        total += cents
    return out, total


async def move_visit(
    session: AsyncSession,
    visit: Visit,
    to: str,
    zone: ZoneInfo,
    *,
    reason: str = "",
    parts: Any = None,
    window: str | None = None,
    actor_id: int | None = None,
) -> Visit | None:
    """Move a visit; a reschedule dispatches the next visit (returned)."""
    if to not in MOVES.get(visit.status, frozenset()):
        allowed = ", ".join(sorted(MOVES.get(visit.status, frozenset()))) or "nothing"
        raise Conflict(
            f"A {visit.status} visit cannot become {to} (it can become: {allowed}).",
            code="illegal_visit_move",
        )
    if to in ("failed", "rescheduled") and not reason.strip():
        raise BadRequest(f"A {to} visit needs a reason.", code="reason_required")
    if to == "rescheduled" and not window:
        raise BadRequest("A rescheduled visit needs the new window.", code="bad_window")
    ticket = await session.get(Ticket, visit.ticket_id)
    engineer = await session.get(Engineer, visit.engineer_id)
    assert ticket is not None and engineer is not None
    if to == "done":
        visit.parts, visit.parts_cost_cents = clean_parts(parts)
    visit.status = to
    visit.reason = reason.strip()[:1000]
    audit(
        session,
        ticket,
        "visit",
        actor="agent" if actor_id else "system",
        agent_id=actor_id,
        visit=visit.id,
        status=to,
        reason=visit.reason,
    )
    nxt: Visit | None = None
    if to == "rescheduled":
        slot = parse_slot(window or "", zone)
        nxt = Visit(
            ticket_id=visit.ticket_id,
            engineer_id=visit.engineer_id,
            window_start=slot.start,
            window_end=slot.end,
            address=visit.address,
            district=visit.district,
            status="dispatched",
            parts=[],
            parts_cost_cents=0,
            in_warranty=visit.in_warranty,
        )
        session.add(nxt)
        await session.flush()
        await tell(session, ticket, nxt, engineer, "rescheduled", zone)
        nxt.reason = visit.reason
        return nxt
    await tell(session, ticket, visit, engineer, to, zone)
    return None


async def engineer_day(
    session: AsyncSession, engineer_id: int, day: date, zone: ZoneInfo
) -> list[tuple[Visit, Ticket, Conversation]]:
    """An engineer's visits of one day, in window order."""
    start = datetime.combine(day, time(), zone)
    rows = await session.execute(
        select(Visit, Ticket, Conversation)
        .join(Ticket, Ticket.id == Visit.ticket_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(
            Visit.engineer_id == engineer_id,
            Visit.window_start >= start,
            Visit.window_start < start + timedelta(days=1),
        )
        .order_by(Visit.window_start, Visit.id)
    )
    return [(v, t, c) for v, t, c in rows.all()]
