"""Fuzzing web chat frames and WeCom kf messages: what a client or the platform sends."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from channels.webchat.socket import VisitorSocket
from channels.wecom_kf.adapter import _normalize
from core.coordination import RateLimiter
from core.domain import InboundMessage
from core.errors import BadRequest
from tests.security.fuzzing import Tally, budget

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
TYPES = ["message", "resume", "ping", "feedback", "typing", "", None, 1, ["message"]]


@st.composite
def frames(draw: st.DrawFn) -> str:
    """A text frame: a plausible frame with hostile values, or any JSON, or not JSON at all."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(
            st.text(max_size=200)
            | st.sampled_from(
                [
                    '{"type":"resume","after_seq":1e999}',
                    '{"type":"resume","after_seq":99999999999999999999999}',
                    "[" * 5000,
                ]
            )
        )
    if kind == 1:
        return orjson.dumps(draw(json_values)).decode()
    frame: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for key in draw(
        st.lists(
            st.sampled_from(["client_msg_id", "text", "after_seq", "seq", "value"]), max_size=5
        )
    ):
        frame[key] = draw(
            json_values | st.text(min_size=1, max_size=90) | st.sampled_from(["up", "down", 3])
        )
    if kind == 3:  # a valid message, the happy path under fuzzing
        frame.update(
            type="message",
            client_msg_id=draw(st.text(min_size=1, max_size=64)),
            text=draw(st.text(min_size=1, max_size=2500)),
        )
    return orjson.dumps(frame).decode()


class FakeWs:
    """Collects what the socket sends."""

    closed = False

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_str(self, data: str) -> None:
        self.sent.append(orjson.loads(data))


class FakePipeline:
    """Stands in for the turn pipeline: records what a frame made it store."""

    def __init__(self) -> None:
        self.stored: list[InboundMessage] = []

    async def handle_inbound(self, msg: InboundMessage) -> Any:
        self.stored.append(msg)
        return SimpleNamespace(duplicate=False, message_id=len(self.stored), message=None)

    async def feedback(self, conv_id: int, seq: int, value: Any) -> None:
        if seq > 1000:
            raise BadRequest("There is no such message.", code="bad_seq")


FRAMES = Tally("webchat: socket frames")


def _socket() -> tuple[VisitorSocket, FakeWs, FakePipeline]:
    pipeline = FakePipeline()
    services = SimpleNamespace(pipeline=pipeline)
    cfg = SimpleNamespace(max_text_length=2000)
    adapter = SimpleNamespace(services=services, cfg=cfg, message_limiter=RateLimiter(10**9))
    ws = FakeWs()
    sock = VisitorSocket(adapter, ws, "visitor", 1, 0, "127.0.0.1")  # type: ignore[arg-type]

    async def no_push(after: int | None) -> int:
        return after or 0

    sock.push_after = no_push  # type: ignore[method-assign,assignment]
    return sock, ws, pipeline


@budget(2)
@given(st.lists(frames(), min_size=1, max_size=5))
def _frames(raws: list[str]) -> None:
    sock, ws, pipeline = _socket()
    for raw in raws:
        before = (len(ws.sent), len(pipeline.stored))
        FRAMES.run(lambda raw=raw: asyncio.run(sock._frame(raw)), ())  # type: ignore[misc]
        # Every frame gets an answer or is stored: nothing is silently dropped.
        assert (len(ws.sent), len(pipeline.stored)) != before
        errors = [f for f in ws.sent[before[0] :] if f["type"] == "error"]
        if errors:
            FRAMES.rejected += 1
            FRAMES.accepted -= 1
            assert all(isinstance(e["code"], str) and e["message"] for e in errors)
    for msg in pipeline.stored:  # normalized: bounded, no control characters but \n and \t
        assert 0 < len(msg.text) <= 2000
        assert all(ch in "\n\t" or ch >= " " for ch in msg.text)


def test_any_frame_is_answered_or_stored_never_crashes() -> None:
    """Random frames get an error frame or are stored normalized; the socket never raises."""
    _frames()
    FRAMES.record()
    assert FRAMES.rejected > 0 and FRAMES.accepted > 0


KF = Tally("wecom kf: sync_msg items")


@budget()
@given(
    st.dictionaries(
        st.sampled_from(
            ["msgtype", "text", "image", "location", "link", "voice", "origin", "msgid"]
        ),
        json_values | st.sampled_from(["text", "image", "location", "link", "voice", "file"]),
        max_size=6,
    )
)
def _kf_items(item: dict[str, Any]) -> None:
    out = KF.run(lambda: _normalize(item), ())
    assert out is not None
    kind, text, media_id = out
    assert kind in ("text", "image", "voice", "video", "file", "location", "link", "unknown")
    assert isinstance(text, str) and isinstance(media_id, str)


def test_wecom_items_always_normalize() -> None:
    """Whatever shape a sync_msg item has, it becomes (kind, text, media id)."""
    _kf_items()
    KF.record()


def test_a_message_of_control_characters_only_is_refused_not_stored_empty() -> None:
    """Regression (found by the full fuzz run): ``"\\x01"`` passed the emptiness check before
    control characters were removed, so an empty customer message was stored."""
    sock, ws, pipeline = _socket()
    asyncio.run(
        sock._frame(
            orjson.dumps({"type": "message", "client_msg_id": "a", "text": "\x01\x02"}).decode()
        )
    )
    assert pipeline.stored == []
    assert ws.sent[-1]["type"] == "error" and ws.sent[-1]["client_msg_id"] == "a"
