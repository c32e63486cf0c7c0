"""How a supervisor alert reads (:class:`AlertView`: plain text for mail, markdown for
WeCom) and the two ways it goes out: a WeCom group robot and an email through a channel's
mailer. :class:`handoff.alerts.AlertDispatcher` decides who gets what and when.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from core.errors import DeliveryError, PermanentDeliveryError

ROBOT_PATH = "/cgi-bin/webhook/send"
MAX_MARKDOWN = 4000  # WeCom's limit is 4096 bytes of content

TITLE = {
    "urgent": ("加急工单", "Urgent ticket"),
    "sla_warning": ("SLA 预警", "SLA warning"),
    "sla_breach": ("SLA 超时", "SLA breached"),
}
WHY = {
    "hazard": ("安全隐患", "safety hazard"),
    "complaint": ("投诉", "complaint"),
    "angry": ("客户情绪激动", "angry customer"),
    "first_response": ("首次响应", "first response"),
    "resolution": ("解决", "resolution"),
}


@dataclass(frozen=True)
class AlertView:
    """What an alert says, for every target."""

    id: int
    kind: str
    ticket: int
    subject: str
    priority: str
    team: str
    reasons: tuple[str, ...]
    due: str  # the SLA target's due time, local
    console_url: str

    def title(self) -> str:
        zh, en = TITLE.get(self.kind, (self.kind, self.kind))
        return f"【{zh}】工单 #{self.ticket} / {en}: ticket #{self.ticket}"

    def lines(self) -> list[str]:
        why_zh = "、".join(WHY.get(r, (r, r))[0] for r in self.reasons)
        why_en = ", ".join(WHY.get(r, (r, r))[1] for r in self.reasons)
        out = []
        if why_zh:
            out.append(f"原因 / Why: {why_zh} / {why_en}")
        if self.due:
            out.append(f"到期 / Due: {self.due}")
        out.append(f"主题 / Subject: {self.subject or '-'}")
        out.append(f"团队 / Team: {self.team or '-'}；优先级 / Priority: {self.priority}")
        out.append(f"处理 / Open: {self.console_url}")
        return out

    def text(self) -> str:
        return "\n".join([self.title(), *self.lines()])

    def markdown(self) -> str:
        color = "warning" if self.kind != "sla_warning" else "comment"
        body = "\n".join(f"> {_md(line)}" for line in self.lines())
        return f'### <font color="{color}">{_md(self.title())}</font>\n{body}'[:MAX_MARKDOWN]


def _md(text: str) -> str:
    """Customer text in a robot's markdown: no markup of its own, one line."""
    return " ".join(text.split()).replace("<", "＜").replace(">", "＞").replace("`", "'")


class AlertSender(Protocol):
    """Delivers one alert to one address; DeliveryError retries, PermanentDeliveryError not."""

    async def __call__(self, alert: AlertView, address: str) -> None: ...


Mailer = Callable[[str, str, str, str], Awaitable[None]]  # (to, subject, text, stable key)


class WecomRobot:
    """A WeCom group robot: ``POST {base}/cgi-bin/webhook/send?key=...`` with markdown."""

    def __init__(self, base: str, keys: Mapping[str, tuple[str, ...]], timeout: float) -> None:
        self.base = base.rstrip("/")
        self.keys = keys  # team (or "*") -> robot keys; never logged
        self.timeout = timeout

    async def __call__(self, alert: AlertView, address: str) -> None:
        team, _, index = address.rpartition("#")
        keys = self.keys.get(team, ())
        if not index.isdigit() or int(index) >= len(keys):
            raise PermanentDeliveryError(f"No WeCom robot {address!r} in [alerts] webhooks.")
        body = {"msgtype": "markdown", "markdown": {"content": alert.markdown()}}
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as http:
                async with http.post(
                    f"{self.base}{ROBOT_PATH}", params={"key": keys[int(index)]}, json=body
                ) as resp:
                    if resp.status >= 500:
                        raise DeliveryError(f"WeCom answered HTTP {resp.status}.")
                    if resp.status != 200:
                        raise PermanentDeliveryError(f"WeCom answered HTTP {resp.status}.")
                    answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise DeliveryError(f"WeCom robot not reached: {type(err).__name__}") from err
        code = int(answer.get("errcode", -1)) if isinstance(answer, dict) else -1
        if code == 0:
            return
        msg = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
        if code == 93000:
            raise PermanentDeliveryError(
                f"WeCom robot key of {team!r} is invalid (errcode 93000); check [alerts] webhooks."
            )
        if code in (45009, -1):
            raise DeliveryError(f"WeCom robot: errcode {code} {msg} (retried later)")
        raise PermanentDeliveryError(f"WeCom robot refused the alert: errcode {code} {msg}")


class EmailAlerts:
    """Alerts by email through a channel's mailer (the email inbox's SMTP path)."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    async def __call__(self, alert: AlertView, address: str) -> None:
        await self.mailer(address, alert.title(), alert.text(), f"{alert.id}:{address}")
