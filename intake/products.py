"""Products a customer owns: cleaning, typed queries, and the bot's view of them.

The same cleaning runs for ``kefu import products``, the console's API and the bot's form, so
a serial typed by an agent and one imported from a spreadsheet compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.contacts import merge_contacts
from core.db import Database
from core.errors import BadRequest, Conflict, NotFound
from core.imports.tabular import Cell
from core.models import Contact, Conversation
from intake.imports.cleaning import Invalid, clean_text, clean_time, nfkc
from intake.tables import Product
from intake.warranty import Warranty

_SERIAL = re.compile(r"[A-Z0-9][A-Z0-9\-_/]{2,99}")
_MODEL = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][\w\-/. ()（）+]{0,99}")
EDITABLE = (
    "category",
    "model",
    "serial",
    "purchase_date",
    "purchase_channel",
    "order_number",
    "invoice",
    "install_address",
    "note",
)


def clean_serial(value: Cell) -> str:
    """A serial number upper-cased, spaces removed (letters, digits, '-', '_', '/')."""
    raw = nfkc(value).upper().replace(" ", "")
    if not raw:
        return ""
    if not _SERIAL.fullmatch(raw):
        raise Invalid(f"serial {nfkc(value)}: use 3-100 letters, digits, '-', '_' or '/'")
    return raw


def clean_model(value: Cell) -> str:
    """A model name (e.g. XQG100-BD14, KFR-35GW), trimmed; required."""
    raw = " ".join(nfkc(value).split())
    if not raw:
        raise Invalid("missing model")
    if not _MODEL.fullmatch(raw):
        raise Invalid(f"model {raw}: not a model name")
    return raw


def clean_date(value: Cell, zone: ZoneInfo) -> date | None:
    """A calendar day (Excel date, 2023-01-05, 2023/1/5, 2023年1月5日) or None when empty."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    when = clean_time(value, zone)
    if when is None:
        return None
    return when.astimezone(zone).date() if when.tzinfo else when.date()


def clean_purchase_date(value: Cell, zone: ZoneInfo) -> date | None:
    """A purchase date: a day, not after today (a date in the future would extend the
    warranty of a product nobody has bought yet)."""
    day = clean_date(value, zone)
    if day is not None and day > datetime.now(zone).date():
        raise Invalid(f"purchase date {day.isoformat()}: in the future")
    return day


CLEANERS: dict[str, Any] = {
    "category": lambda v, z: clean_text(v, 64),
    "model": lambda v, z: clean_model(v),
    "serial": lambda v, z: clean_serial(v) or None,
    "purchase_date": clean_purchase_date,
    "purchase_channel": lambda v, z: clean_text(v, 64),
    "order_number": lambda v, z: clean_text(v, 64),
    "invoice": lambda v, z: clean_text(v, 500),
    "install_address": lambda v, z: clean_text(v, 500),
    "note": lambda v, z: clean_text(v, 2000),
}


def clean_product(raw: Mapping[str, Cell], zone: ZoneInfo, partial: bool = False) -> dict[str, Any]:
    """The cleaned values of ``raw``; Invalid lists every problem. ``partial``: an edit, only
    the keys given are cleaned (and the model stays required only if given)."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, clean in CLEANERS.items():
        if partial and name not in raw:
            continue
        try:
            values[name] = clean(raw.get(name), zone)
        except Invalid as err:
            problems.append(str(err))
    if problems:
        raise Invalid("; ".join(problems))
    return values


def apply_warranty(product: Product, warranty: Warranty) -> None:
    """Recompute the unit's and the parts' warranty end from the model and purchase date."""
    cover = warranty.coverage(product.model, product.purchase_date)
    product.warranty_end = cover.unit
    product.part_warranty = {k: v.isoformat() for k, v in sorted(cover.parts.items())}


def product_json(p: Product, today: date | None = None) -> dict[str, Any]:
    """A product as the agent API shows it (``in_warranty`` when ``today`` is given)."""
    out: dict[str, Any] = {
        "id": p.id,
        "contact_id": p.contact_id,
        "category": p.category,
        "model": p.model,
        "serial": p.serial,
        "purchase_date": p.purchase_date.isoformat() if p.purchase_date else None,
        "purchase_channel": p.purchase_channel,
        "order_number": p.order_number,
        "invoice": p.invoice,
        "warranty_end": p.warranty_end.isoformat() if p.warranty_end else None,
        "part_warranty": dict(p.part_warranty or {}),
        "install_address": p.install_address,
        "note": p.note,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }
    if today is not None:
        out["in_warranty"] = p.warranty_end is not None and today <= p.warranty_end
    return out


async def contact_products(session: AsyncSession, contact_id: int) -> list[Product]:
    """The contact's products, oldest first."""
    rows = await session.execute(
        select(Product).where(Product.contact_id == contact_id).order_by(Product.id)
    )
    return list(rows.scalars())


def product_values(body: Mapping[str, object], zone: ZoneInfo, partial: bool) -> dict[str, Any]:
    """A request body's product fields, cleaned as the import cleans them; BadRequest
    (``bad_product``) naming unknown fields, values that are not text and every problem."""
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise BadRequest(
            f"Unknown product fields: {', '.join(unknown)}; known: {', '.join(EDITABLE)}.",
            code="bad_product",
        )
    raw = {k: v for k, v in body.items() if v is None or isinstance(v, str | int | float)}
    if len(raw) != len(body) or any(isinstance(v, bool) for v in raw.values()):
        raise BadRequest("Product fields are text.", code="bad_product")
    try:
        return clean_product(raw, zone, partial=partial)
    except Invalid as err:
        raise BadRequest(f"Product: {err}.", code="bad_product") from None


async def _check_serial(session: AsyncSession, serial: object, product_id: int | None) -> None:
    if not isinstance(serial, str) or not serial:
        return
    other = await serial_owner(session, serial)
    if other is not None and other.id != product_id:
        raise Conflict(f"Serial {serial} is already recorded.", code="serial_taken")


async def add_product(
    session: AsyncSession, contact_id: int, values: Mapping[str, Any], warranty: Warranty
) -> Product:
    """Record a product (``values`` from :func:`product_values`) on the contact, its warranty
    computed; Conflict (``serial_taken``) when the serial is already recorded. The one writer
    for the console and the public API."""
    await _check_serial(session, values.get("serial"), None)
    product = Product(contact_id=contact_id, **values)
    apply_warranty(product, warranty)
    session.add(product)
    try:
        await session.flush()
    except IntegrityError:  # the same serial written at the same moment
        raise Conflict("That serial is already recorded.", code="serial_taken") from None
    return product


async def edit_product(
    session: AsyncSession, product: Product, values: Mapping[str, Any], warranty: Warranty
) -> Product:
    """Change the fields given; the warranty is recomputed (same rules as :func:`add_product`)."""
    await _check_serial(session, values.get("serial"), product.id)
    for key, value in values.items():
        setattr(product, key, value)
    apply_warranty(product, warranty)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("That serial is already recorded.", code="serial_taken") from None
    return product


async def merge_customers(session: AsyncSession, source_id: int, target_id: int) -> Contact:
    """:func:`core.contacts.merge_contacts`, with the source's products moved to the kept
    customer first (deleting the merged-away contact would otherwise take them with it)."""
    if source_id != target_id:
        await session.execute(
            update(Product)
            .where(Product.contact_id == source_id)
            .values(contact_id=target_id)
            .execution_options(synchronize_session=False)
        )
    return await merge_contacts(session, source_id, target_id)


async def product_by_id(session: AsyncSession, product_id: int | None) -> Product:
    """The product with this id; NotFound (for the API's and the console's 404) if none."""
    product = None if product_id is None else await session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no such product.", code="no_product")
    return product


async def product_names(session: AsyncSession, ids: set[int]) -> dict[str, str]:
    """How a person reads these products' ids: "model (serial)", by id as text."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Product.id, Product.model, Product.serial).where(Product.id.in_(ids))
    )
    return {str(pid): f"{model} ({serial})" if serial else model for pid, model, serial in rows}


async def serial_owner(session: AsyncSession, serial: str) -> Product | None:
    """The product with this serial, whoever owns it."""
    return (await session.execute(select(Product).where(Product.serial == serial))).scalar()


@dataclass(frozen=True)
class Owned:
    """A product as the bot knows it (the bot's ``OwnedProduct``)."""

    id: int
    category: str
    model: str
    serial: str
    purchase_date: date | None
    warranty_end: date | None
    parts: dict[str, date] = field(default_factory=dict)
    install_address: str = ""


def owned(p: Product) -> Owned:
    """The bot's view of a product row."""
    return Owned(
        p.id,
        p.category,
        p.model,
        p.serial or "",
        p.purchase_date,
        p.warranty_end,
        {k: date.fromisoformat(v) for k, v in (p.part_warranty or {}).items()},
        p.install_address,
    )


class ProductRecords:
    """Reads the products of the customer behind a conversation (the bot's lookup)."""

    def __init__(self, db: Database, timezone: str) -> None:
        self.db = db
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        """Today in the configured zone."""
        return datetime.now(self.zone).date()

    async def products_for(self, conversation_id: int) -> list[Owned]:
        """The customer's own products (none for an unknown conversation)."""
        async with self.db.reader() as session:
            contact = (
                await session.execute(
                    select(Conversation.contact_id).where(Conversation.id == conversation_id)
                )
            ).scalar()
            if contact is None:
                return []
            return [owned(p) for p in await contact_products(session, contact)]
