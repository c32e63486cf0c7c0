"""The owner state machine: every move the table allows, every one it refuses, and who may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from core import domain
from core.errors import Conflict, Forbidden
from core.models import OWNERS, Agent, Conversation
from handoff import state
from handoff.state import TRANSITIONS, Event, Owner

B, Q, A, R = Owner.BOT, Owner.QUEUED, Owner.AGENT, Owner.RESOLVED
ALLOWED = {
    (B, Event.ESCALATE): Q,
    (Q, Event.ASSIGN): A,
    (B, Event.TAKE): A,
    (Q, Event.TAKE): A,
    (A, Event.TAKE): A,
    (R, Event.TAKE): A,
    (Q, Event.TRANSFER): A,
    (A, Event.TRANSFER): A,
    (A, Event.RELEASE): Q,
    (B, Event.RESOLVE): R,
    (Q, Event.RESOLVE): R,
    (A, Event.RESOLVE): R,
    (Q, Event.HANDBACK): B,
    (A, Event.HANDBACK): B,
    (R, Event.HANDBACK): B,
    (R, Event.REOPEN): B,
    (B, Event.REQUEUE): Q,
    (Q, Event.REQUEUE): Q,
    (A, Event.REQUEUE): Q,
    (R, Event.REQUEUE): Q,
}
REFUSED = [(o, e) for o in Owner for e in Event if (o, e) not in ALLOWED]
CODES = {Event.RESOLVE: "already_resolved", Event.HANDBACK: "already_bot"}


def agent(id: int = 1, role: str = "agent", status: str = "online") -> Agent:
    return Agent(id=id, name=f"agent{id}", email=f"a{id}@x", role=role, status=status)


def conversation(owner: Owner, assignee: int | None = None) -> Conversation:
    return Conversation(
        id=7,
        owner=owner.value,
        assignee_id=assignee,
        resolved_at=datetime(2026, 1, 1, tzinfo=UTC) if owner is R else None,
        bot_state={"slots": {"model": "X1"}},
    )


def test_the_owners_are_the_columns_values_and_cores_literal() -> None:
    assert tuple(Owner) == OWNERS
    assert get_args(domain.Owner) == OWNERS


def test_the_table_is_exactly_the_allowed_moves() -> None:
    assert TRANSITIONS == ALLOWED


@pytest.mark.parametrize(("owner", "event"), sorted(ALLOWED), ids=str)
def test_an_allowed_move_writes_the_new_owner(owner: Owner, event: Event) -> None:
    conv = conversation(owner, assignee=1 if owner is A else None)
    me, colleague = agent(1, role="supervisor" if owner is Q else "agent"), agent(2)
    kwargs = {"agent": me, "target": colleague} if event is Event.TRANSFER else {"agent": me}
    new = state.apply(conv, event, **kwargs)  # type: ignore[arg-type]
    assert new is ALLOWED[(owner, event)]
    assert conv.owner == new.value and type(conv.owner) is str  # the column keeps a plain str
    if new is A:
        assert conv.assignee_id == (2 if event is Event.TRANSFER else 1)
    if new in (Q, B):
        assert conv.assignee_id is None
    if new is B:
        assert conv.bot_state == {}  # the bot starts afresh
    if event is Event.RESOLVE:
        assert conv.resolved_at is not None and conv.assignee_id == (1 if owner is A else None)
    if event in (Event.TAKE, Event.ASSIGN, Event.REOPEN, Event.REQUEUE):
        assert conv.resolved_at is None


@pytest.mark.parametrize(("owner", "event"), REFUSED, ids=str)
def test_a_refused_move_is_a_409_and_changes_nothing(owner: Owner, event: Event) -> None:
    conv = conversation(owner, assignee=1 if owner is A else None)
    with pytest.raises(Conflict) as err:
        state.apply(conv, event, agent=agent(1), target=agent(2))
    assert err.value.code == CODES.get(
        event, "not_transferable" if event is Event.TRANSFER else "conflict"
    )
    assert conv.owner == owner.value and conv.assignee_id == (1 if owner is A else None)


@pytest.mark.parametrize("event", [Event.TAKE, Event.RESOLVE, Event.HANDBACK, Event.TRANSFER])
def test_only_a_supervisor_acts_in_a_colleagues_conversation(event: Event) -> None:
    conv = conversation(A, assignee=3)
    with pytest.raises(Conflict) as err:
        state.apply(conv, event, agent=agent(1), target=agent(2))
    assert err.value.code == "held_by_other"
    assert conv.owner == "agent" and conv.assignee_id == 3
    state.apply(conv, event, agent=agent(1, role="supervisor"), target=agent(2))
    assert conv.owner == ALLOWED[(A, event)].value


def test_a_transfer_checks_who_and_to_whom() -> None:
    with pytest.raises(Forbidden) as forbidden:
        state.apply(conversation(Q), Event.TRANSFER, agent=agent(1), target=agent(2))
    assert forbidden.value.code == "supervisor_only"
    conv = conversation(Q)
    state.apply(conv, Event.TRANSFER, agent=agent(1), target=agent(1))  # taking it oneself
    assert (conv.owner, conv.assignee_id) == ("agent", 1)
    with pytest.raises(Conflict) as offline:
        state.apply(
            conversation(A, 1), Event.TRANSFER, agent=agent(1), target=agent(2, status="offline")
        )
    assert offline.value.code == "agent_offline"
    with pytest.raises(Conflict) as same:
        state.apply(conversation(A, 1), Event.TRANSFER, agent=agent(1), target=agent(1))
    assert same.value.code == "same_agent"


def test_an_unknown_owner_is_refused() -> None:
    conv = Conversation(id=1, owner="pending", assignee_id=None)
    with pytest.raises(Conflict):
        state.apply(conv, Event.TAKE, agent=agent())
    assert conv.owner == "pending"
