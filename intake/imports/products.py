"""``kefu import products``: what customers own, from a sales system or a spreadsheet.

A row names its customer by mobile number or email (cleaned like ``kefu import customers``;
the customer must already be known: import customers first) and the product: model
(required), serial, category, purchase date, purchase channel, order number, invoice, install
address, note. The warranty end dates are computed from ``[workorders] warranty_rules``.

A serial is recorded once: the same serial again for the same customer is skipped, for
another customer rejected (earlier in the file or already in the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.imports.batches import BatchWriter
from core.imports.columns import ColumnMap, Field
from core.imports.runner import Outcome
from core.imports.tabular import Row
from core.models import Contact, ContactIdentity, utcnow
from intake.imports.cleaning import Invalid, clean_email, clean_phone
from intake.imports.customers import EMAIL, PHONE
from intake.products import CLEANERS, clean_product
from intake.tables import Product
from intake.warranty import Warranty

FIELDS = (
    PHONE,
    EMAIL,
    Field("category", ("品类", "产品类别", "产品类型", "产品", "产品名称", "类别", "product")),
    Field("model", ("型号", "产品型号", "机型", "规格型号", "model no", "model number")),
    Field("serial", ("序列号", "机身号", "条码", "sn", "serial number", "serial no")),
    Field("purchase_date", ("购买日期", "购机日期", "购买时间", "发票日期", "purchased", "date")),
    Field("purchase_channel", ("购买渠道", "渠道", "销售渠道", "店铺", "channel", "store")),
    Field("order_number", ("订单号", "订单编号", "单号", "order", "order no", "order number")),
    Field("invoice", ("发票", "发票照片", "发票附件", "发票号", "invoice no")),
    Field("install_address", ("安装地址", "地址", "收货地址", "address")),
    Field("note", ("备注", "说明", "notes", "remark", "remarks")),
)


@dataclass
class _Planned:
    line: int
    contact_id: int
    values: dict[str, Any]


class ProductImport:
    """Plans and writes product rows for customers found by phone or email."""

    kind: str = "products"
    fields: Sequence[Field] = FIELDS

    def __init__(self, settings: Settings) -> None:
        self.zone = ZoneInfo(settings.sla.timezone)
        self.warranty = Warranty(settings.workorders.warranty_rules)
        self.serials: dict[str, tuple[int, int]] = {}  # serial -> (contact, line) in the file
        self.known: dict[str, tuple[int, int]] = {}  # serial -> (contact, product) in the db
        self.owners: dict[tuple[str, str], set[int]] = {}
        self.pending: list[_Planned] = []

    def check_columns(self, cmap: ColumnMap) -> None:
        """The file needs a model column and a phone or email column."""
        cmap.require_any(("model",))
        cmap.require_any(("phone", "email"))

    async def prepare(self, session: AsyncSession) -> None:
        """Nothing to preload: customers and serials are looked up per chunk."""

    async def _lookup(self, session: AsyncSession, keys: set[tuple[str, str]]) -> None:
        wanted = {k for k in keys if k not in self.owners}
        phones = [v for k, v in wanted if k == "phone"]
        emails = [v for k, v in wanted if k == "email"]
        for key in wanted:
            self.owners[key] = set()
        conds = []
        if phones:
            conds.append(Contact.phone.in_(phones))
        if emails:
            conds.append(Contact.email.in_(emails))
        if conds:
            rows = await session.execute(
                select(Contact.id, Contact.phone, Contact.email).where(
                    or_(*conds), Contact.erased_at.is_(None)
                )
            )
            for cid, phone, email in rows:
                for kind, value in (("phone", phone), ("email", email)):
                    if value and (kind, value) in self.owners:
                        self.owners[(kind, value)].add(cid)
        idents = await session.execute(
            select(ContactIdentity.contact_id, ContactIdentity.channel, ContactIdentity.external_id)
            .join(Contact, Contact.id == ContactIdentity.contact_id)
            .where(
                or_(
                    (ContactIdentity.channel == "phone") & ContactIdentity.external_id.in_(phones),
                    (ContactIdentity.channel == "email") & ContactIdentity.external_id.in_(emails),
                ),
                Contact.erased_at.is_(None),
            )
        )
        for cid, channel, ext in idents:
            self.owners.setdefault((channel, ext), set()).add(cid)

    async def _serials(self, session: AsyncSession, serials: set[str]) -> None:
        wanted = [s for s in serials if s not in self.known]
        if wanted:
            rows = await session.execute(
                select(Product.serial, Product.contact_id, Product.id).where(
                    Product.serial.in_(wanted)
                )
            )
            for serial, cid, pid in rows:
                if serial:
                    self.known[serial] = (cid, pid)

    def _clean(self, row: Row, cmap: ColumnMap) -> tuple[list[tuple[str, str]], dict[str, Any]]:
        problems: list[str] = []
        keys: list[tuple[str, str]] = []
        for name, clean in (("phone", clean_phone), ("email", clean_email)):
            try:
                value = clean(cmap.get(row, name))
            except Invalid as err:
                problems.append(str(err))
                continue
            if value:
                keys.append((name, value))
        values: dict[str, Any] = {}
        try:
            values = clean_product({n: cmap.get(row, n) for n in CLEANERS}, self.zone)
        except Invalid as err:
            problems.append(str(err))
        if problems:
            raise Invalid("; ".join(problems))
        if not keys:
            raise Invalid("missing phone or email of the customer")
        return keys, values

    async def plan(
        self, session: AsyncSession, rows: Sequence[Row], cmap: ColumnMap
    ) -> list[Outcome]:
        """Clean each row, find its customer, check its serial."""
        self.pending = []
        cleaned: list[tuple[Row, tuple[list[tuple[str, str]], dict[str, Any]] | str]] = []
        for row in rows:
            try:
                cleaned.append((row, self._clean(row, cmap)))
            except Invalid as err:
                cleaned.append((row, str(err)))
        good = [c for _, c in cleaned if not isinstance(c, str)]
        await self._lookup(session, {k for keys, _ in good for k in keys})
        await self._serials(session, {v["serial"] for _, v in good if v.get("serial")})
        out: list[Outcome] = []
        for row, item in cleaned:
            if isinstance(item, str):
                out.append(Outcome(row.line, "rejected", item))
                continue
            keys, values = item
            found: set[int] = set()
            for key in keys:
                found |= self.owners.get(key, set())
            if not found:
                shown = " / ".join(v for _, v in keys)
                out.append(
                    Outcome(
                        row.line,
                        "rejected",
                        f"no customer with {shown} (import the customers first)",
                    )
                )
                continue
            if len(found) > 1:
                ids = ", ".join(f"#{i}" for i in sorted(found))
                out.append(
                    Outcome(row.line, "rejected", f"phone and email belong to customers {ids}")
                )
                continue
            contact_id = next(iter(found))
            serial = values.get("serial")
            if serial:
                outcome = self._serial_outcome(row.line, contact_id, serial)
                if outcome is not None:
                    out.append(outcome)
                    continue
                self.serials[serial] = (contact_id, row.line)
            self.pending.append(_Planned(row.line, contact_id, values))
            out.append(Outcome(row.line, "created"))
        return out

    def _serial_outcome(self, line: int, contact_id: int, serial: str) -> Outcome | None:
        earlier = self.serials.get(serial)
        if earlier is not None:
            if earlier[0] == contact_id:
                return Outcome(line, "skipped", f"duplicate of line {earlier[1]}, same serial")
            return Outcome(
                line, "rejected", f"serial {serial} is on line {earlier[1]} for another customer"
            )
        stored = self.known.get(serial)
        if stored is not None:
            if stored[0] == contact_id:
                return Outcome(line, "skipped", f"already recorded as product #{stored[1]}")
            return Outcome(line, "rejected", f"serial {serial} belongs to another customer")
        return None

    async def apply(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Insert the chunk's products with their warranty dates."""
        if not self.pending:
            return
        now = utcnow()
        rows = []
        for p in self.pending:
            cover = self.warranty.coverage(p.values["model"], p.values.get("purchase_date"))
            rows.append(
                {
                    "contact_id": p.contact_id,
                    **p.values,
                    "warranty_end": cover.unit,
                    "part_warranty": {k: v.isoformat() for k, v in sorted(cover.parts.items())},
                    "created_at": now,
                    "updated_at": now,
                }
            )
        result = await session.execute(
            insert(Product).returning(Product.id, sort_by_parameter_order=True), rows
        )
        writer.created("products", list(result.scalars()))
        self.pending = []

    async def finish(self, session: AsyncSession, writer: BatchWriter) -> dict[str, int]:
        """Nothing more to write."""
        return {}
