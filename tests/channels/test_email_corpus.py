"""Every real-world email of ``../shared/fixtures/email`` through kefu, over real SMTP.

About 900 messages nobody here wrote (mail libraries' test suites, a bounce collection):
each goes in over our SMTP listener (one connection, as a relay hands mail on), on SQLite
and on PostgreSQL. Then:

- every message is acknowledged and stored once (resends and copies share a Message-ID);
- no message gets more than one reply, and none that may not be answered (automatic mail,
  no usable sender, over the rate limit) gets one, even after the lost-turn recovery runs;
- every reply reaches the outbound server, and its ``In-Reply-To`` / ``References`` parse
  back (never RFC 2047-encoded) to the Message-ID of the mail it answers.

The counts are printed (``-s``) and recorded in docs/email.md.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import select

from bench.common import shared_dir
from channels.email.bulk import BULK_REASONS
from channels.email.compose import reply_subject
from channels.email.loops import LOOP_REASONS
from channels.email.parse import message_ids, parse_email
from channels.email.signs import SIGN_REASONS
from core.models import Contact, Conversation, Message, OutboxItem
from core.recovery import TurnRecovery
from tests.channels.email_support.app import (
    ADDRESS,
    EmailEnv,
)
from tests.channels.email_support.corpus_labels import FILTER_ONLY, MACHINES, PEOPLE
from tests.channels.email_support.sink import Received
from tests.conftest import shared_missing
from tests.helpers import AGENT_HEADERS, login

FIXTURES = shared_dir("fixtures/email")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=")
_MAILBOX = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")
NOT_MAIL = {".png", ".wav", ".py", ".md", ".html", ".gitignore", ".gitattributes"}


def corpus() -> list[Path]:
    """Every message file of the fixtures (licences, images and HTML fragments left out)."""
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file()
        and not p.name.startswith(("LICENSE", "README", "."))
        and p.suffix.lower() not in NOT_MAIL
    )


FILES = corpus()


def envelope_sender(raw: bytes) -> str:
    """``MAIL FROM`` as the last relay would give it: Return-Path, else From ("" for <>)."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("latin-1")
    fields = dict(
        (line.split(":", 1)[0].strip().lower(), line.split(":", 1)[1].strip())
        for line in reversed(head.split("\n"))  # the first occurrence wins
        if ":" in line and line[:1] not in (" ", "\t")
    )
    if "return-path" in fields:
        found = parseaddr(fields["return-path"])[1]
        if not found:
            return ""  # <>: a bounce or an auto-reply
    else:
        found = parseaddr(fields.get("from", ""))[1]
    return found if found.isascii() and _MAILBOX.fullmatch(found) else "relay@example.org"


@pytest.fixture
def env(email_db_env: EmailEnv) -> EmailEnv:
    """The app on SQLite or PostgreSQL (tests/channels/conftest.py)."""
    return email_db_env


async def send_all(env: EmailEnv, files: list[Path], connections: int = 1) -> dict[Path, str]:
    """Each file over SMTP, as a relay hands mail on (a few connections, each sending its
    share in order); the listener's final answer per file."""
    answers: dict[Path, str] = {}

    async def one_connection(share: list[Path]) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=env.listen_port, timeout=60) as smtp:
            for path in share:
                raw = path.read_bytes()
                _refused, answer = await smtp.sendmail(envelope_sender(raw), [ADDRESS], raw)
                answers[path] = answer

    await asyncio.gather(*(one_connection(files[i::connections]) for i in range(connections)))
    return answers


@pytest.mark.timeout(600)  # 900 messages through the whole app: longer than one unit test
async def test_every_fixture_email_in_over_smtp(env: EmailEnv) -> None:
    if len(FILES) < 800:
        shared_missing("../shared/fixtures/email")
    services = env.services
    answers = await send_all(env, FILES)
    assert all(a.startswith("2.0.0 OK stored as") for a in answers.values())
    await services.pipeline.drain(grace_seconds=60)
    # Lost turns are rerun by recovery: it must find none to answer (nothing automatic).
    assert await TurnRecovery(services.db, services.pipeline, grace_seconds=0).check() == 0
    await services.pipeline.drain(grace_seconds=60)

    async with services.db.reader() as session:
        msgs = list((await session.execute(select(Message).order_by(Message.id))).scalars())
        outbox = list((await session.execute(select(OutboxItem))).scalars())
    inbound = [m for m in msgs if m.direction == "in"]
    replies = [m for m in msgs if m.direction == "out" and m.sender in ("bot", "system")]

    # Stored once: every file was acknowledged with the row it is stored in (copies of one
    # mail, sharing its Message-ID, with the same row); no Message-ID has two rows.
    row_of = {path: int(answer.rsplit(" ", 1)[1]) for path, answer in answers.items()}
    assert {m.id for m in inbound} == set(row_of.values())
    assert max(Counter(m.source_id for m in inbound).values()) == 1

    # Every reply is queued once and reaches the outbound server (event-driven wait).
    assert len(outbox) == len(replies)
    mails = await env.sink.wait_for(len(replies), limit_seconds=120)
    assert len(mails) == len(replies)
    async with services.db.reader() as session:  # the Message-IDs set when they were sent
        rows = (await session.execute(select(Message.id, Message.external_id))).all()
        sent_ids = {row_id: external_id for row_id, external_id in rows}
    by_mid = {str(r.message["Message-ID"]).strip("<>"): r for r in mails}

    # Which customer mail each reply answers: the latest one marked answered before it (only
    # a turn sets that mark, and never on a message that may not be answered).
    by_conv: dict[int, list[Message]] = {}
    for m in msgs:
        by_conv.setdefault(m.conversation_id, []).append(m)
    answered: Counter[int] = Counter()
    for reply in replies:
        before = [
            m for m in by_conv[reply.conversation_id] if m.direction == "in" and m.seq < reply.seq
        ]
        asked = max((m for m in before if m.answered), key=lambda m: m.seq)
        answered[asked.id] += 1
        assert asked.no_reply is None, (asked.source_id, asked.no_reply)
        mail: Received = by_mid[str(sent_ids[reply.id])]
        assert mail.rcpt_tos == [asked.meta["from"]]
        cited = [m for m in before if not m.meta.get("derived_id")]
        check_threading(mail, asked, max(cited, key=lambda m: m.seq) if cited else None)
        # The reply's subject: the conversation's first one, decoded and written back whole.
        first = next(
            (
                m.meta["subject"]
                for m in by_conv[reply.conversation_id]
                if m.direction == "in" and m.meta["subject"]
            ),
            "",
        )
        subject = parse_email(mail.raw).subject
        assert not garbled(subject), subject
        assert re.sub(r" \[#\d+\]$", "", subject) == reply_subject(first, None)
    assert max(answered.values(), default=0) <= 1
    assert not [m.source_id for m in inbound if m.no_reply and m.answered]
    # Nothing the bot should have answered was dropped: an answerable message that is not
    # answered sits in a conversation a person holds.
    async with services.db.reader() as session:
        rows = (await session.execute(select(Conversation.id, Conversation.owner))).all()
        owner_of = {conv_id: owner for conv_id, owner in rows}
    dropped = [
        m.source_id
        for m in inbound
        if not m.no_reply and not m.answered and owner_of[m.conversation_id] == "bot"
    ]
    assert dropped == []
    assert answered  # the corpus holds people's mail: some of it is answered

    # No stored subject or sender's name is garbled (a subject whose bytes could not be
    # decoded keeps U+FFFD, with the problem recorded, never mojibake).
    for m in inbound:
        assert not garbled(m.meta["subject"]), (m.source_id, m.meta["subject"])
    async with services.db.reader() as session:
        names = list((await session.execute(select(Contact.name))).scalars())
    assert not [name for name in names if garbled(name)]

    reasons = Counter(m.no_reply for m in inbound if m.no_reply)
    assert set(reasons) <= LOOP_REASONS | BULK_REASONS | {"rate_limited"}
    waiting = [m for m in inbound if not m.no_reply and not m.answered]
    # The mails labelled by hand (email_support/corpus_labels.py): every person answered, no
    # machine (but those only a spam filter in front of kefu can tell).
    answered_rows = {m.id for m in inbound if m.answered}
    row_by_name = {str(path.relative_to(FIXTURES)): row for path, row in row_of.items()}
    people = sum(row_by_name[name] in answered_rows for name in PEOPLE)
    silenced = {name for name in MACHINES if row_by_name[name] not in answered_rows}
    assert people == len(PEOPLE)
    assert set(MACHINES) - FILTER_ONLY <= silenced
    report = {
        "files": len(FILES),
        "stored": len(inbound),
        "answered": sum(1 for m in inbound if m.answered),
        "replies": len(replies),
        "not answered": sum(reasons.values()),
        "answerable, left to a person": len(waiting),
        "labelled people answered": f"{people}/{len(PEOPLE)}",
        "labelled machines silenced": f"{len(silenced)}/{len(MACHINES)}",
    }
    print(f"\nemail corpus on {services.settings.database_url.split(':', 1)[0]}: {report}")
    print("not answered by reason:", dict(sorted(reasons.items(), key=lambda kv: -kv[1])))
    assert report["answered"] == len(answered)

    # Agents see every one of them, counted by reason, in the console's list.
    await login(env.client)
    resp = await env.client.get("/api/agent/unanswered?limit=500", headers=AGENT_HEADERS)
    listed = await resp.json()
    assert {r["reason"]: r["count"] for r in listed["reasons"]} == dict(reasons)
    resp = await env.client.get("/api/agent/unanswered?reason=no_sender", headers=AGENT_HEADERS)
    only = (await resp.json())["messages"]
    assert len(only) == reasons["no_sender"] and {m["reason"] for m in only} == {"no_sender"}
    # A verdict of weighed signs is listed with the signs that made it.
    weighed = sorted(set(reasons) & SIGN_REASONS)
    assert weighed  # the labelled machines are silenced by signs
    for reason in weighed:
        resp = await env.client.get(f"/api/agent/unanswered?reason={reason}", headers=AGENT_HEADERS)
        only = (await resp.json())["messages"]
        assert len(only) == reasons[reason] and all(m["signs"] for m in only), reason


def garbled(text: str) -> bool:
    """Whether ``text`` holds an undecoded RFC 2047 word or UTF-8 read as Windows-1252
    ("Ð®Ð½Ð¸" for "Юни"): its characters, written back as Windows-1252, are mostly UTF-8."""
    if _ENCODED_WORD.search(text):
        return True
    back = text.encode("cp1252", errors="replace").decode("utf-8", errors="replace")
    good = sum(1 for ch in back if ord(ch) > 0x7F and ch != "\ufffd")
    return back != text and good >= 2 and good >= 2 * back.count("\ufffd")


def check_threading(mail: Received, asked: Message, latest: Message | None) -> None:
    """The reply's threading headers are written plainly and parse back: In-Reply-To the
    customer's latest mail (the one it answers, unless another came meanwhile), References
    the one it answers; an id kefu derived for mail without a Message-ID is never cited."""
    head = mail.raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    for field in re.sub(r"\r\n[ \t]+", " ", head).split("\r\n"):  # unfolded
        if field.lower().startswith(("message-id:", "in-reply-to:", "references:")):
            assert "=?" not in field, field
    back = parse_email(mail.raw)
    for m in (asked, latest):
        if m is not None and m.meta.get("derived_id"):
            assert str(m.meta["email_message_id"]) not in back.references
    if latest is None:
        assert back.in_reply_to == ()
        return
    original = str(latest.meta["email_message_id"])
    assert back.in_reply_to == (original,), (original, mail.message["In-Reply-To"])
    assert message_ids(str(mail.message["In-Reply-To"])) == (original,)
    if not asked.meta.get("derived_id"):
        assert str(asked.meta["email_message_id"]) in back.references
