"""SMS channel adapter: SendSms out, delivery receipts and inbound SMS (upstream) in.

Out: each stored reply or notice the outbox hands us becomes one ``SendSms`` call with the
inbox's approved signature and template, the text in its one variable (links removed unless
``strip_links = false``: gateways refuse URLs in variables; shortened to ``max_chars``). The
platform's ``BizId`` becomes the message's external id, so the receipt can find it.

Refusals are clear dead letters or retries:

- a number that is not a phone number, or that the gateway calls illegal
  (``isv.MOBILE_NUMBER_ILLEGAL``): permanent, "unknown number";
- a number that opted out (the customer replied TD / 退订): permanent, never sent;
- more than ``per_number`` SMS to one number, or the gateway's flow control
  (``isv.BUSINESS_LIMIT_CONTROL``): retried later by the outbox;
- any other ``isv.*`` code: permanent (a template or signature problem an admin must fix);
  ``isp.*``, HTTP 5xx, timeouts: retried.

In: ``POST /channels/sms/<inbox>/inbound`` (a JSON array of SMS the customers sent) and
``POST /channels/sms/<inbox>/receipts`` (a JSON array of delivery reports), both verified
(:func:`channels.sms.gateway.callback_ok`). An inbound SMS goes to the one inbound path like
any message; "TD" / "退订" (and STOP) opts the number out for good, is stored for agents and
answered by nobody. A failed receipt marks the message failed with the gateway's reason.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from channels.sms import gateway
from channels.sms.config import SmsInbox, parse
from channels.sms.info import INFO
from core.channel_store import delivery_failed, read_state, set_external_id, write_state
from core.context import Services
from core.domain import ChannelCapabilities, InboundMessage, OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)

CHANNEL = INFO.name
OPT_OUT = frozenset({"TD", "退订", "STOP", "UNSUBSCRIBE", "取消订阅"})
MAX_BODY = 256 * 1024
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MAINLAND = re.compile(r"^1[3-9]\d{9}\Z")
_INTERNATIONAL = re.compile(r"^00[1-9]\d{6,14}\Z")
RETRY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL"})
UNKNOWN_NUMBER = (
    "号码无效或不存在，短信无法送达，请通过其他渠道联系客户。"
    " / Unknown or invalid phone number: the SMS cannot be delivered."
)
OPTED_OUT = (
    "该号码已回复退订（TD），不再向其发送短信。"
    " / This number opted out (replied TD): no more SMS are sent to it."
)
RATE_LIMITED = "短信发送过于频繁，稍后重试。/ Too many SMS to this number; retried later."


def phone_number(raw: str) -> str | None:
    """The number as the gateway wants it (``13812345678``, ``0085291234567``), or None."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+"):
        digits = "00" + digits[1:]
    if digits.startswith("0086") and _MAINLAND.match(digits[4:]):
        digits = digits[4:]
    elif digits.startswith("86") and _MAINLAND.match(digits[2:]):
        digits = digits[2:]
    if _MAINLAND.match(digits) or _INTERNATIONAL.match(digits):
        return digits
    return None


def opt_out_word(text: str) -> bool:
    """Whether an SMS is the customer asking for no more SMS ("TD", "退订", "stop")."""
    word = re.sub(r"[\s。.!！,，]", "", text or "").upper()
    return word in OPT_OUT


class SmsAdapter:
    """The SMS channel."""

    name = CHANNEL
    capabilities = ChannelCapabilities(push_api=True)

    def __init__(self, services: Services) -> None:
        self.services = services
        self.inboxes: dict[str, SmsInbox] = {
            i.name: parse(i) for i in services.settings.inboxes_of(CHANNEL)
        }

    def setup(self, app: web.Application) -> None:
        """Mount the gateway's callbacks."""
        app.router.add_post("/channels/sms/{inbox}/inbound", self.inbound)
        app.router.add_post("/channels/sms/{inbox}/receipts", self.receipts)

    async def close(self) -> None:
        """Nothing held between calls."""

    # -- out -------------------------------------------------------------------------------

    async def send(self, delivery: OutboundDelivery) -> None:
        """Send one stored reply or notice as an SMS."""
        cfg = self.inboxes.get(delivery.inbox)
        if cfg is None:
            raise PermanentDeliveryError(f"SMS inbox {delivery.inbox!r} is not configured.")
        phone = phone_number(delivery.external_id)
        if phone is None:
            raise PermanentDeliveryError(UNKNOWN_NUMBER, code="sms_unknown_number")
        if await self.opted_out(cfg.name, phone):
            raise PermanentDeliveryError(OPTED_OUT, code="sms_opted_out")
        text = self.text(cfg, delivery.text)
        if not text:
            raise PermanentDeliveryError(
                "短信只能发送文字，此消息没有可发送的文字（附件或链接）。"
                " / An SMS carries text only; this message has none (attachments or links)."
            )
        limit, window = cfg.per_number
        if not await self.services.outbox.limits.allow(f"sms:{cfg.name}:{phone}", limit, window):
            raise DeliveryError(RATE_LIMITED)
        params = gateway.send_sms_params(
            access_key_id=cfg.access_key_id,
            secret=cfg.access_key_secret,
            region=cfg.region,
            phone=phone,
            sign_name=cfg.sign_name,
            template_code=cfg.template_code,
            template_param=orjson.dumps({cfg.template_param: text}).decode(),
            out_id=delivery.idempotency_key[:64],
        )
        answer = await self._call(cfg, params)
        code = str(answer.get("Code", ""))
        if code == "OK":
            biz_id = str(answer.get("BizId") or "")
            if biz_id:
                await set_external_id(self.services.db, delivery.message_id, biz_id)
            return
        message = f"{code}: {answer.get('Message', '')}"
        if code == "isv.MOBILE_NUMBER_ILLEGAL":
            raise PermanentDeliveryError(f"{UNKNOWN_NUMBER} ({message})", code="sms_unknown_number")
        if code in RETRY_CODES:
            raise DeliveryError(f"{RATE_LIMITED} ({message})")
        if code.startswith("isv."):
            raise PermanentDeliveryError(f"The SMS gateway refused the message ({message}).")
        raise DeliveryError(f"The SMS gateway failed ({message}).")

    def text(self, cfg: SmsInbox, text: str) -> str:
        """The template variable: one paragraph, links removed when asked, within max_chars."""
        if cfg.strip_links:
            kept = []
            for raw in text.splitlines():
                line = _LINK.sub("", raw).strip() if _LINK.search(raw) else raw
                if line and not line.endswith(("：", ":")):  # "查看工单进度：<link>" goes whole
                    kept.append(line)
            text = "\n".join(kept)
        line = " ".join(text.split())
        return line if len(line) <= cfg.max_chars else line[: cfg.max_chars - 1] + "…"

    async def _call(self, cfg: SmsInbox, params: dict[str, str]) -> dict[str, Any]:
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=cfg.timeout_seconds)
            ) as http:
                async with http.get(f"{cfg.api_base}/", params=params) as resp:
                    body = await resp.read()
                    if resp.status >= 500:
                        raise DeliveryError(f"The SMS gateway answered HTTP {resp.status}.")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise DeliveryError(f"The SMS gateway was not reached: {type(err).__name__}") from err
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise DeliveryError(f"The SMS gateway answered HTTP {resp.status}, not JSON.") from None
        if not isinstance(answer, dict):
            raise DeliveryError("The SMS gateway's answer is not a JSON object.")
        return answer

    async def opted_out(self, inbox: str, phone: str) -> bool:
        """Whether the number replied TD / 退订."""
        return bool(await read_state(self.services.db, inbox, f"optout:{phone}"))

    # -- in --------------------------------------------------------------------------------

    async def _verified(self, request: web.Request) -> tuple[SmsInbox, list[dict[str, Any]]]:
        cfg = self.inboxes.get(request.match_info["inbox"])
        if cfg is None:
            raise web.HTTPNotFound()
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY, actual_size=request.content_length
            )
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(body))
        ok = gateway.callback_ok(
            cfg.callback_secret,
            request.headers.get("X-Sms-Timestamp", ""),
            request.headers.get("X-Sms-Signature", ""),
            body,
        )
        if not ok:
            log.warning("SMS callback for %s refused: bad or stale signature", cfg.name)
            raise web.HTTPForbidden(text="bad signature")
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise web.HTTPBadRequest(text="not JSON") from None
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise web.HTTPBadRequest(text="a JSON array is expected")
        return cfg, [i for i in items if isinstance(i, dict)]

    async def inbound(self, request: web.Request) -> web.Response:
        """SMS the customers sent (the gateway's upstream push)."""
        cfg, items = await self._verified(request)
        for item in items:
            phone = phone_number(str(item.get("phone_number", "")))
            text = str(item.get("content", ""))
            seq = str(item.get("sequence_id") or item.get("id") or "")
            if phone is None or not seq:
                continue
            stop = opt_out_word(text)
            if stop:
                await write_state(
                    self.services.db,
                    cfg.name,
                    f"optout:{phone}",
                    {"word": text.strip()[:20], "at": str(item.get("send_time", ""))},
                )
                log.info("SMS number opted out on %s", cfg.name)
            await self.services.pipeline.handle_inbound(
                InboundMessage(
                    channel=CHANNEL,
                    inbox=cfg.name,
                    external_id=phone,
                    source_id=f"sms:{seq}",
                    text=text[:2000],
                    no_reply="opt_out" if stop else None,
                    meta={"sms_dest_code": str(item.get("dest_code", ""))[:32]},
                )
            )
        return web.json_response({"code": 0, "msg": "成功"})

    async def receipts(self, request: web.Request) -> web.Response:
        """Delivery reports of SMS we sent."""
        cfg, items = await self._verified(request)
        for item in items:
            biz_id = str(item.get("biz_id", ""))[:64]
            if not biz_id:
                continue
            success = item.get("success") in (True, "true", "True", 1)
            keep = {
                k: str(item.get(k, ""))[:128]
                for k in ("err_code", "err_msg", "report_time", "out_id")
                if item.get(k) is not None
            }
            await write_state(
                self.services.db, cfg.name, f"receipt:{biz_id}", {"success": success, **keep}
            )
            if not success:
                reason = f"{keep.get('err_code', '')} {keep.get('err_msg', '')}".strip()
                await delivery_failed(
                    self.services.db, CHANNEL, biz_id, f"短信未送达 / SMS not delivered: {reason}"
                )
        return web.json_response({"code": 0, "msg": "成功"})
