"""The message search index: Chinese words found inside sentences, on SQLite and PostgreSQL.

Chinese has no spaces, so word tokenizers see "我想申请退货" as one word and a search for
退货 finds nothing; trigram indexes (FTS5 ``trigram``, ``pg_trgm``) cannot serve the two-
character words most Chinese searches are made of. So the index stores *terms* we cut
ourselves, the same way on both databases:

- a run of CJK characters gives its overlapping pairs (我想 想申 申请 请退 退货) and its last
  character, so every word of two or more characters is a conjunction of pairs and a single
  character is a prefix of a pair (or that last character);
- any other run of letters and digits gives itself, lower-cased (order numbers, model names,
  English words; queried by prefix).

SQLite keeps them in an FTS5 table (``message_search``, rowid = message id); PostgreSQL in a
``tsvector`` built verbatim with ``array_to_tsvector`` under a GIN index. Both answer "all
these terms" from the index, newest first. Pairs can match without being adjacent (申请 and
退货 in one message, 请退 elsewhere), so callers confirm each hit on the text itself.

The index is derived: a worker fills it behind the messages table (messages are written on
the hot path and never edited), so losing it loses nothing; it refills itself.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Conversation, Message

_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A CJK run, or a run of other letters and digits: ``[^\W_...]`` is "a word character, not
# ``_``, not CJK" as one character class (a per-character look-ahead cost a third more).
_TERM = re.compile(rf"([{_CJK_CHARS}]+)|([^\W_{_CJK_CHARS}]+)")
MAX_TERM = 64
# Messages indexed per transaction; a backlog is worked off batch by batch.
BATCH = 1000
# Messages are numbered before they commit; on PostgreSQL a lower id may commit after a
# higher one. Look this far below the highest indexed id for ones that arrived late.
LATE_WINDOW = 2000
# PostgreSQL: refresh the index's statistics after indexing this many messages in one go.
ANALYZE_AFTER = 10_000


def normalize(text: str) -> str:
    """Full-width forms folded (ＡＢＣ１２３ -> abc123), case folded: how text is compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def terms(text: str) -> list[str]:
    """The index terms of a text (see the module's docstring)."""
    out: list[str] = []
    for m in _TERM.finditer(normalize(text)):
        run = m.group(1)
        if run:
            out += [run[i : i + 2] for i in range(len(run) - 1)]
            out.append(run[-1])
        else:
            out.append(m.group(2)[:MAX_TERM])
    return list(dict.fromkeys(out))


def query_terms(query: str) -> list[tuple[str, bool]]:
    """What a query asks the index for: ``(term, prefix)`` pairs, all of which must match."""
    out: list[tuple[str, bool]] = []
    for m in _TERM.finditer(normalize(query)):
        run = m.group(1)
        if run and len(run) == 1:
            out.append((run, True))  # a pair that starts with it, or a run's last character
        elif run:
            out.extend((run[i : i + 2], False) for i in range(len(run) - 1))
        else:
            out.append((m.group(2)[:MAX_TERM], True))
    return list(dict.fromkeys(out))


def pieces(query: str) -> list[str]:
    """The query's words, normalised: a hit must contain every one of them."""
    return [p for p in normalize(query).split() if p]


class Hit(NamedTuple):
    """A message the index found: what the search shows of it."""

    id: int
    conversation_id: int
    seq: int
    sender: str
    text: str | None


class MessageIndex:
    """Fills and queries ``message_search`` on the database's own dialect."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.engine.dialect.name == "sqlite"
        if self.sqlite:
            self.table = sa.table(
                "message_search", sa.column("rowid"), sa.column("conversation_id")
            )
            self.key = self.table.c.rowid
        else:
            self.table = sa.table(
                "message_search", sa.column("message_id"), sa.column("conversation_id")
            )
            self.key = self.table.c.message_id
        self.unanalyzed = 0  # messages indexed since the statistics were last refreshed

    async def _unindexed(self, session: AsyncSession, batch: int) -> list[Any]:
        top = await session.execute(sa.select(sa.func.coalesce(sa.func.max(self.key), 0)))
        low = max(0, int(top.scalar() or 0) - LATE_WINDOW)
        return list(
            (
                await session.execute(
                    sa.select(Message.id, Message.conversation_id, Message.sender, Message.text)
                    .where(Message.id > low, ~sa.exists().where(self.key == Message.id))
                    .order_by(Message.id)
                    .limit(batch)
                )
            ).all()
        )

    async def catch_up(self, batch: int = BATCH) -> int:
        """Index up to ``batch`` messages not indexed yet; returns how many it indexed.

        On PostgreSQL, once a backlog of ``ANALYZE_AFTER`` messages or more is worked off
        (an import, a restored backup, the first start on an old database), the index's
        statistics are refreshed at once: how often each term occurs is what tells the
        planner to walk the newest rows for a common word and to use the GIN index for a
        rare one, and autovacuum may take minutes to look."""
        done = await self._index(batch)
        self.unanalyzed += done
        if done < batch and self.unanalyzed >= ANALYZE_AFTER and not self.sqlite:
            async with self.db.transaction() as session:
                await session.execute(sa.text("ANALYZE message_search"))
            self.unanalyzed = 0
        return done

    async def _index(self, batch: int) -> int:
        # The rows are read and their terms cut outside the write transaction (on SQLite it
        # holds the one write lock the hot path needs); under it, only the ids still missing
        # are written, so each message is indexed exactly once whoever else indexes too.
        async with self.db.reader() as session:
            rows = await self._unindexed(session, batch)
        if not rows:
            return 0
        # A system line ("小李 已接入") is never a search hit: its row holds no terms.
        found = {r.id: (r, [] if r.sender == "system" else terms(r.text or "")) for r in rows}
        async with self.db.transaction() as session:
            done = await session.execute(sa.select(self.key).where(self.key.in_(list(found))))
            for taken in done.scalars():
                found.pop(int(taken), None)
            if not found:
                return 0
            if self.sqlite:
                await session.execute(
                    sa.text(
                        "INSERT INTO message_search(rowid, conversation_id, terms) "
                        "VALUES (:id, :conv, :terms)"
                    ),
                    [
                        {"id": r.id, "conv": r.conversation_id, "terms": " ".join(t)}
                        for r, t in found.values()
                    ],
                )
            else:
                await session.execute(
                    sa.text(
                        "INSERT INTO message_search(message_id, conversation_id, terms) "
                        "VALUES (:id, :conv, array_to_tsvector(CAST(:terms AS text[]))) "
                        "ON CONFLICT DO NOTHING"
                    ),
                    [
                        {"id": r.id, "conv": r.conversation_id, "terms": t}
                        for r, t in found.values()
                    ],
                )
        return len(found)

    def match(self, query: str) -> sa.TextClause | None:
        """The WHERE clause that finds ``query``'s terms in the index; None if it has none."""
        wanted = query_terms(query)
        if not wanted:
            return None
        if self.sqlite:
            expr = " AND ".join(f'"{t}"' + (" *" if prefix else "") for t, prefix in wanted)
            return sa.text("message_search MATCH :q").bindparams(q=expr)
        expr = " & ".join(f"'{t}'" + (":*" if prefix else "") for t, prefix in wanted)
        # Written into the statement, not sent as a parameter: a prepared statement's generic
        # plan cannot tell a word in every message from a word in five, and picked the walk
        # down the newest rows for both (60 ms for a rare word at 100k messages).
        q = sa.bindparam("q", expr, type_=sa.String, literal_execute=True)
        return sa.text("message_search.terms @@ CAST(:q AS tsquery)").bindparams(q)

    async def candidates(
        self, session: AsyncSession, query: str, where: list[Any], limit: int
    ) -> list[Hit]:
        """The newest ``limit`` messages whose terms match ``query``, in conversations that
        meet ``where`` (conditions on Conversation), to be confirmed on their text by the
        caller. One statement: the index (joined to ``conversations`` only when there is a
        condition) is cut to ``limit`` rows before any message is read."""
        clause = self.match(query)
        if clause is None:
            return []
        conditions = [w for w in where if not isinstance(w, sa.sql.elements.True_)]
        newest = sa.select(self.key.label("id")).select_from(self.table)
        if conditions:
            newest = newest.join(
                Conversation, Conversation.id == self.table.c.conversation_id
            ).where(*conditions)
        cut = newest.where(clause).order_by(self.key.desc()).limit(limit).subquery()
        rows = await session.execute(
            sa.select(
                Message.id, Message.conversation_id, Message.seq, Message.sender, Message.text
            )
            .join(cut, cut.c.id == Message.id)
            .order_by(Message.id.desc())
        )
        return [Hit(*r) for r in rows]
