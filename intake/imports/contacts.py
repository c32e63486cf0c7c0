"""Imported people matched to contacts: same phone, email or WeChat id means the same person.

The book remembers every person the file has named so far (new ones, and existing contacts it
matched), so a later row with the same phone merges into the earlier one. A name that only
looks like another ("客户A" / "客户A有限公司") is flagged for review and never merged.

Identities: a phone number is kept on the ``import`` inbox (no channel speaks phone); an email
address, and a customer's id on a channel that declares one (``ChannelInfo.id_headers``, e.g.
a WeChat id), go on every configured inbox of that channel, so the customer's next email or
WeChat message lands on the imported contact and the console's customer 360 shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import ChannelInfo, Settings
from core.imports.batches import BatchWriter
from core.models import Contact, ContactIdentity, Inbox, utcnow
from intake.imports.cleaning import Invalid, name_key

IMPORT_INBOX = "import"
CONTACT_KEYS = ("phone", "email")  # contact fields that identify a person
EMAIL_CHANNEL = "email"  # the channel an email address reaches the contact on
FIELDS = ("name", "phone", "email", "company", "note", "tier")
Key = tuple[str, str]  # (kind, value)
Triple = tuple[str, str, str]  # (channel, inbox name, external id)


@dataclass(frozen=True)
class Incoming:
    """The cleaned customer part of one row."""

    name: str = ""
    phone: str = ""
    email: str = ""
    company: str = ""
    note: str = ""
    tier: str = ""
    ids: tuple[Key, ...] = ()  # (channel, the customer's id on it), e.g. ("wechat", openid)

    def keys(self) -> list[Key]:
        """The identities that make two rows the same person."""
        return [(k, v) for k, v in (("phone", self.phone), ("email", self.email), *self.ids) if v]


def id_channels(settings: Settings) -> tuple[ChannelInfo, ...]:
    """The channels whose customer ids files may carry, each in a column named after it."""
    return tuple(c for c in settings.channels if c.id_headers and c.name not in CONTACT_KEYS)


@dataclass(eq=False)
class Person:
    """A contact as planned: new (written at the end of its chunk) or an existing one."""

    line: int | None
    contact_id: int | None = None
    state: str = "new"  # new | written | existing
    name: str = ""
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    note: str | None = None
    tier: str = "normal"
    updated_at: Any = None
    triples: set[Triple] = field(default_factory=set)
    pending: set[Triple] = field(default_factory=set)
    before: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    dirty: bool = False

    def label(self) -> str:
        """How a report names this person."""
        if self.state == "existing":
            return (
                f"contact #{self.contact_id} ({self.name})"
                if self.name
                else (f"contact #{self.contact_id}")
            )
        return f"line {self.line}"


@dataclass(frozen=True)
class Placed:
    """Where a row's person went: created, merged or skipped (nothing new), and why."""

    person: Person
    action: str
    detail: str = ""
    review: str = ""


class ContactBook:
    """Matches rows to contacts across the file and the database, then writes them."""

    def __init__(self, settings: Settings) -> None:
        def inboxes(channel: str) -> tuple[str, ...]:
            return tuple(i.name for i in settings.inboxes_of(channel)) or (IMPORT_INBOX,)

        self.targets = {
            "phone": (IMPORT_INBOX,),
            "email": inboxes(EMAIL_CHANNEL),
            **{c.name: inboxes(c.name) for c in id_channels(settings)},
        }
        self.by_key: dict[Key, Person] = {}
        self.by_id: dict[int, Person] = {}
        self.ambiguous: dict[Key, list[int]] = {}
        self.names: dict[str, str] = {}
        self.touched: list[Person] = []
        self.inbox_ids: dict[str, int] = {}

    async def prepare(self, session: AsyncSession) -> None:
        """Load existing contacts' names for the near-duplicate check."""
        rows = await session.stream(select(Contact.id, Contact.name).order_by(Contact.id))
        async for cid, name in rows:
            key = name_key(name or "")
            if len(key) >= 2:
                self.names.setdefault(key, f"contact #{cid} ({name})")

    async def lookup(self, session: AsyncSession, incoming: list[Incoming]) -> None:
        """Load the existing contacts that share a phone, email or WeChat id with these rows."""
        wanted = {k for inc in incoming for k in inc.keys() if k not in self.by_key}
        if not wanted:
            return
        by_kind = {kind: [v for k, v in wanted if k == kind] for kind in self.targets}
        conds = [
            and_(ContactIdentity.channel == k, ContactIdentity.external_id.in_(vs))
            for k, vs in by_kind.items()
            if vs
        ]
        ids = set(
            (await session.execute(select(ContactIdentity.contact_id).where(or_(*conds)))).scalars()
        )
        cols = [
            c.in_(vs)
            for c, vs in ((Contact.phone, by_kind["phone"]), (Contact.email, by_kind["email"]))
            if vs
        ]
        if cols:
            ids |= set((await session.execute(select(Contact.id).where(or_(*cols)))).scalars())
        ids -= self.by_id.keys()
        if not ids:
            return
        people: dict[int, Person] = {}
        for c in (await session.execute(select(Contact).where(Contact.id.in_(ids)))).scalars():
            people[c.id] = Person(
                None,
                c.id,
                "existing",
                c.name or "",
                c.phone,
                c.email,
                c.company,
                c.note,
                c.tier or "normal",
                c.updated_at,
            )
        idents = await session.execute(
            select(
                ContactIdentity.contact_id,
                ContactIdentity.channel,
                Inbox.name,
                ContactIdentity.external_id,
            )
            .join(Inbox, Inbox.id == ContactIdentity.inbox_id)
            .where(ContactIdentity.contact_id.in_(ids))
        )
        seen: dict[Key, set[int]] = {}
        for cid, channel, inbox, ext in idents:
            people[cid].triples.add((channel, inbox, ext))
            if channel in self.targets:
                seen.setdefault((channel, ext), set()).add(cid)
        for p in people.values():
            for key in (("phone", p.phone), ("email", p.email)):
                if key[1]:
                    seen.setdefault((key[0], key[1]), set()).add(p.contact_id or 0)
        for p in people.values():
            self.by_id[p.contact_id or 0] = p
        for key, owners in seen.items():
            if len(owners) > 1:
                self.ambiguous[key] = sorted(owners)
            else:
                self.by_key.setdefault(key, self.by_id[next(iter(owners))])

    def place(self, line: int, inc: Incoming) -> Placed:
        """Match one row to a person (new, or merged into an earlier or existing one)."""
        keys = inc.keys()
        for key in keys:
            if key in self.ambiguous:
                owners = ", ".join(f"#{i}" for i in self.ambiguous[key])
                raise Invalid(
                    f"{key[0]} {key[1]} belongs to several contacts ({owners}); merge them first"
                )
        found: list[tuple[Key, Person]] = []
        for key in keys:
            p = self.by_key.get(key)
            if p is not None and all(p is not q for _, q in found):
                found.append((key, p))
        if len(found) > 1:
            (k1, p1), (k2, p2) = found[:2]
            raise Invalid(
                f"{k1[0]} matches {p1.label()} but {k2[0]} matches {p2.label()}; "
                "fix the row or merge those contacts first"
            )
        triples = {(kind, inbox, value) for kind, value in keys for inbox in self.targets[kind]}
        if not found:
            p = Person(
                line,
                tier=inc.tier or "normal",
                name=inc.name or inc.company,
                phone=inc.phone or None,
                email=inc.email or None,
                company=inc.company or None,
                note=inc.note or None,
            )
            p.triples, p.pending = set(triples), set(triples)
            self._remember(p, keys)
            return Placed(p, "created", review=self._name_check(p, line))
        key, p = found[0]
        added = triples - p.triples
        p.triples |= added
        p.pending |= added
        filled = self._fill(p, inc)
        self._remember(p, keys)
        same = f"same {key[0]} {key[1]}"
        where = p.label()
        kept = ""
        if inc.name and p.name and name_key(inc.name) != name_key(p.name):
            kept = f"; name differs, kept {p.name}"
        if not added and not filled:
            text = (
                f"already imported: {where}, {same}"
                if p.state == "existing"
                else f"duplicate of {where}, {same}"
            )
            return Placed(p, "skipped", text + kept)
        what = [f"added {k}" for k in sorted({t[0] for t in added})] + [
            f"filled {f}" for f in filled
        ]
        return Placed(p, "merged", f"merged into {where}, {same}: {', '.join(what)}{kept}")

    def _remember(self, p: Person, keys: list[Key]) -> None:
        for key in keys:
            self.by_key.setdefault(key, p)
        if not p.dirty:
            p.dirty = True
            self.touched.append(p)

    def _fill(self, p: Person, inc: Incoming) -> list[str]:
        """Empty fields of the person taken from the row; the names of those filled."""
        values = {
            "name": inc.name,
            "phone": inc.phone,
            "email": inc.email,
            "company": inc.company,
            "note": inc.note,
        }
        filled = [f for f, v in values.items() if v and not getattr(p, f)]
        if inc.tier and inc.tier != "normal" and p.tier == "normal":
            filled.append("tier")
            values["tier"] = inc.tier
        for f in filled:
            if p.state == "existing":
                p.before.setdefault(f, getattr(p, f))
            setattr(p, f, values[f])
            p.changed.add(f)
        return filled

    def _name_check(self, p: Person, line: int) -> str:
        key = name_key(p.name)
        if len(key) < 2:
            return ""
        other = self.names.setdefault(key, f"line {line} ({p.name})")
        if other.startswith(f"line {line} "):
            return ""
        return f"name {p.name} looks like {other}: check whether they are the same customer"

    async def inbox_id(self, session: AsyncSession, writer: BatchWriter, name: str) -> int:
        """The id of an inbox by name; the ``import`` inbox is created (by the batch) if needed."""
        if name in self.inbox_ids:
            return self.inbox_ids[name]
        found = (await session.execute(select(Inbox.id).where(Inbox.name == name))).scalar()
        if found is None:
            channel = (
                IMPORT_INBOX
                if name == IMPORT_INBOX
                else next(k for k, names in self.targets.items() if name in names)
            )
            inbox = Inbox(name=name, channel=channel, created_at=utcnow())
            session.add(inbox)
            await session.flush()
            found = inbox.id
            writer.created("inboxes", [found])
        self.inbox_ids[name] = int(found)
        return int(found)

    async def write(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Insert the new people, update the merged ones, add their new identities."""
        now = utcnow()
        new = [p for p in self.touched if p.state == "new"]
        if new:
            result = await session.execute(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                [
                    {
                        "name": p.name[:200],
                        "phone": p.phone,
                        "email": p.email,
                        "company": p.company,
                        "note": p.note,
                        "tier": p.tier,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in new
                ],
            )
            for p, cid in zip(new, result.scalars(), strict=True):
                p.contact_id, p.state = cid, "written"
                p.changed.clear()
                self.by_id[cid] = p
            writer.created("contacts", [p.contact_id for p in new if p.contact_id])
        for p in self.touched:
            if p.changed and p.contact_id is not None:
                values = {f: getattr(p, f) for f in p.changed}
                await session.execute(
                    update(Contact)
                    .where(Contact.id == p.contact_id)
                    .values(**values, updated_at=now)
                )
                if p.state == "existing":
                    writer.updated(
                        "contacts", p.contact_id, {**p.before, "updated_at": p.updated_at}
                    )
                p.changed.clear()
        rows = []
        for p in self.touched:
            for channel, inbox, ext in sorted(p.pending):
                rows.append(
                    {
                        "contact_id": p.contact_id,
                        "channel": channel,
                        "inbox_id": await self.inbox_id(session, writer, inbox),
                        "external_id": ext,
                        "created_at": now,
                    }
                )
            p.pending.clear()
            p.dirty = False
        if rows:
            result = await session.execute(
                insert(ContactIdentity).returning(ContactIdentity.id), rows
            )
            writer.created("contact_identities", list(result.scalars()))
        self.touched.clear()
