"""The ticket state machine, with property-based tests over random move sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import load_settings
from core.errors import Conflict
from core.models import Ticket
from intake.lifecycle import STATUSES, TRANSITIONS, apply_move, can_move, why_not
from intake.sla import SlaClock

CLOCK = SlaClock(load_settings(None, env={}).sla)
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def fresh() -> Ticket:
    first, res = CLOCK.due_times("urgent", "normal", T0)
    return Ticket(
        number=1001,
        status="new",
        priority="urgent",
        tier="normal",
        first_response_due=first,
        resolution_due=res,
        pending_since=None,
        resolved_at=None,
        closed_at=None,
    )


@given(
    st.lists(
        st.tuples(st.sampled_from([*STATUSES, "bogus"]), st.integers(min_value=0, max_value=600)),
        max_size=30,
    )
)
def test_random_moves_keep_the_invariants(moves: list[tuple[str, int]]) -> None:
    ticket = fresh()
    now = T0
    seen_closed = False
    for to, minutes in moves:
        now += timedelta(minutes=minutes)
        before = (ticket.status, ticket.resolution_due, ticket.pending_since)
        legal = can_move(ticket.status, to)
        if legal:
            apply_move(ticket, to, now, CLOCK)
        else:
            with pytest.raises(Conflict) as info:
                apply_move(ticket, to, now, CLOCK)
            assert info.value.code == "illegal_transition"
            assert info.value.message == why_not(before[0], to)
            # A refused move changes nothing.
            assert (ticket.status, ticket.resolution_due, ticket.pending_since) == before
            continue
        assert ticket.status == to
        assert not seen_closed, "closed is final"
        seen_closed = to == "closed"
        # pending_since is set exactly while pending; resolved_at while resolved or closed.
        assert (ticket.pending_since is not None) == (ticket.status == "pending")
        if ticket.status == "resolved":
            assert ticket.resolved_at == now
        if ticket.status in ("new", "open", "pending"):
            assert ticket.resolved_at is None
        # Pausing only ever moves the due time later.
        assert ticket.resolution_due is not None and before[1] is not None
        assert ticket.resolution_due >= before[1]


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_can_move_matches_the_table_and_never_stays(a: str, b: str) -> None:
    assert can_move(a, b) == (b in TRANSITIONS[a])
    assert not can_move(a, a)
    if not can_move(a, b):
        assert why_not(a, b).endswith(".")


def test_pending_pauses_the_clock_by_the_time_spent_pending() -> None:
    ticket = fresh()
    due = ticket.resolution_due
    assert due is not None
    apply_move(ticket, "open", T0, CLOCK)
    apply_move(ticket, "pending", T0 + timedelta(hours=1), CLOCK)
    apply_move(ticket, "open", T0 + timedelta(hours=4), CLOCK)
    assert ticket.resolution_due == due + timedelta(hours=3)  # urgent runs on the calendar


def test_closed_is_final_with_a_reason() -> None:
    ticket = fresh()
    apply_move(ticket, "resolved", T0, CLOCK)
    apply_move(ticket, "closed", T0, CLOCK)
    with pytest.raises(Conflict) as info:
        apply_move(ticket, "open", T0, CLOCK)
    assert "closed tickets cannot change" in info.value.message
