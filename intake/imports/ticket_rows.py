"""One row of a tickets file read and checked: the ticket ``kefu import tickets`` will write.

A row names the ticket's number, times, status, priority, category, channel, assignee and CSAT,
and its customer (name, phone, email, channel ids); every problem of a row is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from core.config import ChannelInfo
from core.imports.columns import ColumnMap
from core.imports.tabular import Cell, Row
from core.models import utcnow
from intake.imports.cleaning import (
    Invalid,
    clean_channel_id,
    clean_choice,
    clean_email,
    clean_phone,
    clean_text,
    clean_time,
    nfkc,
)
from intake.imports.contacts import IMPORT_INBOX, Incoming, Person
from intake.imports.ticket_fields import NUMBER, PRIORITY, STATUS


@dataclass
class PlannedTicket:
    """A ticket row as read and checked, ready to write (its customer placed later)."""

    line: int
    number: int
    subject: str
    text: str
    status: str
    priority: str
    category: str | None
    channel: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    assignee_id: int | None
    csat: int | None
    person: Person | None


def read_row(
    row: Row,
    cmap: ColumnMap,
    *,
    zone: ZoneInfo,
    channels: dict[str, str],
    ids: Sequence[ChannelInfo],
    agents: dict[str, int],
) -> tuple[PlannedTicket, Incoming | None, str]:
    """One row as a planned ticket, its customer as the file names them (None: nobody) and a
    note for the report; Invalid naming every problem of the row."""
    problems: list[str] = []

    def take(name: str, fn: Callable[[Cell], Any]) -> Any:
        try:
            return fn(cmap.get(row, name))
        except Invalid as err:
            problems.append(str(err))
            return None

    raw_number = nfkc(cmap.get(row, "number"))
    m = NUMBER.fullmatch(raw_number)
    if not raw_number:
        problems.append("missing ticket number")
    elif not m:
        problems.append(f"ticket number {raw_number!r}: use digits, e.g. 1024 or #1024")
    subject = take("subject", lambda v: clean_text(v, 255)) or ""
    text = take("description", lambda v: clean_text(v, 20_000)) or ""
    times = {
        f: take(f, lambda v: clean_time(v, zone))
        for f in ("created_at", "first_response_at", "resolved_at", "closed_at")
    }
    status = take("status", lambda v: clean_choice(v, STATUS, "status") if nfkc(v) else "")
    priority = take("priority", lambda v: clean_choice(v, PRIORITY, "priority"))
    category = take("category", lambda v: clean_text(v, 64)) or None
    raw_channel = nfkc(cmap.get(row, "channel")).lower()
    channel = channels.get(raw_channel, raw_channel[:32]) or IMPORT_INBOX
    csat_text = nfkc(cmap.get(row, "csat"))
    csat = None
    if csat_text:
        if csat_text.removesuffix(".0") not in ("1", "2", "3", "4", "5"):
            problems.append(f"csat {csat_text!r}: use 1 to 5")
        else:
            csat = int(csat_text.removesuffix(".0"))
    customer = Incoming(
        name=take("customer_name", lambda v: clean_text(v, 200)) or "",
        phone=take("customer_phone", clean_phone) or "",
        email=take("customer_email", clean_email) or "",
        ids=tuple(
            (
                c.name,
                take(f"customer_{c.name}", partial(clean_channel_id, channel=c.name)) or "",
            )
            for c in ids
        ),
    )
    created = times["created_at"]
    if created is None and not problems:
        problems.append("missing created_at (创建时间)")
    if not (subject or text):
        problems.append("missing subject and description")
    if isinstance(created, datetime):
        if created > utcnow() + timedelta(days=1):
            problems.append(f"created_at {created:%Y-%m-%d %H:%M} is in the future")
        for f in ("first_response_at", "resolved_at", "closed_at"):
            t = times[f]
            if isinstance(t, datetime) and t < created:
                problems.append(f"{f} is before created_at")
    if problems:
        raise Invalid("; ".join(problems))
    assert m is not None and isinstance(created, datetime)
    resolved, closed = times["resolved_at"], times["closed_at"]
    if not status:
        status = "closed" if closed else "resolved" if resolved else "new"
    note = ""
    assignee_name = nfkc(cmap.get(row, "assignee"))
    assignee_id = agents.get(assignee_name.casefold()) if assignee_name else None
    if assignee_name and assignee_id is None:
        note = f"; assignee {assignee_name} is not an agent here, left unassigned"
    planned = PlannedTicket(
        row.line,
        int(m.group(1)),
        str(subject or text)[:255],
        str(text or subject),
        str(status),
        str(priority),
        category if isinstance(category, str) else None,
        channel,
        created,
        times["first_response_at"],
        resolved if isinstance(resolved, datetime) else None,
        closed if isinstance(closed, datetime) else None,
        assignee_id,
        csat,
        None,
    )
    return planned, (customer if customer.keys() else None), note
