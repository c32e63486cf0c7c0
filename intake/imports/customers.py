"""``kefu import customers``: people from an old CRM or a spreadsheet, cleaned and deduplicated.

A row needs a name (or a company) and at least one way to reach the person: a mobile number,
an email address or an id on a channel that declares one (a WeChat id: ``ChannelInfo.id_headers``
in the channel registry). An invalid value rejects the row with the reason (the file is meant
to be fixed and imported again, not half-trusted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import ChannelInfo, Settings
from core.imports.batches import BatchWriter
from core.imports.columns import ColumnMap, Field
from core.imports.runner import Outcome
from core.imports.tabular import Cell, Row
from intake.imports.cleaning import (
    Invalid,
    clean_channel_id,
    clean_email,
    clean_phone,
    clean_text,
    clean_tier,
)
from intake.imports.contacts import ContactBook, Incoming, id_channels

NAME = Field(
    "name",
    (
        "姓名",
        "客户名称",
        "客户姓名",
        "客户",
        "联系人",
        "名称",
        "customer",
        "customer name",
        "full name",
        "contact",
    ),
)
PHONE = Field(
    "phone",
    (
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "电话号码",
        "移动电话",
        "mobile",
        "tel",
        "telephone",
        "cell",
        "phone number",
    ),
)
EMAIL = Field(
    "email", ("邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址", "e-mail", "mail", "email address")
)
COMPANY = Field("company", ("公司", "公司名称", "单位", "企业", "organization", "org"))
TIER = Field("tier", ("等级", "客户等级", "会员等级", "级别", "vip", "level", "grade"))
NOTE = Field("note", ("备注", "说明", "附注", "notes", "remark", "remarks", "comment"))


def customer_fields(ids: Sequence[ChannelInfo]) -> tuple[Field, ...]:
    """The customer fields: a column for the customer's id on each channel in ``ids``."""
    by_channel = tuple(Field(c.name, c.id_headers) for c in ids)
    return (NAME, PHONE, EMAIL, *by_channel, COMPANY, TIER, NOTE)


def reach(ids: Sequence[ChannelInfo]) -> tuple[str, ...]:
    """The fields of which a row needs one: phone, email and the channel ids."""
    return ("phone", "email", *(c.name for c in ids))


def either(names: Sequence[str]) -> str:
    """``a, b or c``."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def _channel_cleaner(channel: str) -> Callable[[Cell], str]:
    return lambda v: clean_channel_id(v, channel)


def incoming(row: Row, cmap: ColumnMap, ids: Sequence[ChannelInfo] = ()) -> Incoming:
    """The row's customer fields cleaned; Invalid lists every problem of the row."""
    problems: list[str] = []
    values: dict[str, str] = {}
    cleaners: dict[str, Callable[[Cell], str]] = {
        "name": lambda v: clean_text(v, 200),
        "phone": clean_phone,
        "email": clean_email,
        **{c.name: _channel_cleaner(c.name) for c in ids},
        "company": lambda v: clean_text(v, 200),
        "tier": clean_tier,
        "note": lambda v: clean_text(v, 2000),
    }
    for name, clean in cleaners.items():
        try:
            values[name] = clean(cmap.get(row, name))
        except Invalid as err:
            problems.append(f"{name}: {err}" if not str(err).startswith(name) else str(err))
    if problems:
        raise Invalid("; ".join(problems))
    channel_ids = tuple((c.name, values.pop(c.name)) for c in ids)
    inc = Incoming(**values, ids=channel_ids)
    missing = []
    if not (inc.name or inc.company):
        missing.append("name")
    if not inc.keys():
        missing.append(either(reach(ids)))
    if missing:
        raise Invalid(f"missing {' and '.join(missing)}")
    return inc


class CustomerImport:
    """Plans and writes customer rows through a ContactBook."""

    kind: str = "customers"

    def __init__(self, settings: Settings) -> None:
        self.book = ContactBook(settings)
        self.ids = id_channels(settings)
        self.fields: Sequence[Field] = customer_fields(self.ids)

    def check_columns(self, cmap: ColumnMap) -> None:
        """The file needs a phone, email or channel id (e.g. WeChat) column."""
        cmap.require_any(reach(self.ids))

    async def prepare(self, session: AsyncSession) -> None:
        """Load existing names for the near-duplicate check."""
        await self.book.prepare(session)

    async def plan(
        self, session: AsyncSession, rows: Sequence[Row], cmap: ColumnMap
    ) -> list[Outcome]:
        """Clean each row, then match it to a new or existing contact."""
        cleaned: list[tuple[Row, Incoming | str]] = []
        for row in rows:
            try:
                cleaned.append((row, incoming(row, cmap, self.ids)))
            except Invalid as err:
                cleaned.append((row, str(err)))
        await self.book.lookup(session, [c for _, c in cleaned if isinstance(c, Incoming)])
        out: list[Outcome] = []
        for row, inc in cleaned:
            if isinstance(inc, str):
                out.append(Outcome(row.line, "rejected", inc))
                continue
            try:
                placed = self.book.place(row.line, inc)
            except Invalid as err:
                out.append(Outcome(row.line, "rejected", str(err)))
                continue
            out.append(Outcome(row.line, placed.action, placed.detail, placed.review))
        return out

    async def apply(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Write the chunk's contacts and identities."""
        await self.book.write(session, writer)

    async def finish(self, session: AsyncSession, writer: BatchWriter) -> dict[str, int]:
        """Nothing more to write."""
        return {}
