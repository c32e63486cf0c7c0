"""The customer's ticket page: ``/t/<signed token>``, no login (issue 16).

The link comes with the escalation notice and every notice (intake/ticket_links.py signs it;
it expires and agents can revoke it). The page shows the ticket's status, the history of
the conversation's public messages since an earlier ticket of it was resolved (what led to
this one; never private notes), the
next step and, once resolved, the 1-5 rating form, which records the score exactly like a
survey answer in the chat (``HandoffService.feedback``). It is server-rendered HTML with
every value escaped (text stays text), one stylesheet, no script, in Chinese or English
(the customer's language, switchable with ``?lang=``), and fits a 390 px phone screen.

A bad, expired or revoked link gets one and the same 404 page. Agents get a fresh link for
a ticket (``GET /api/agent/tickets/{number}/page-link``) and revoke every link of it
(``POST .../page-link/revoke``), within their teams.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select, true

from core.context import SERVICES
from core.errors import BadRequest, NotFound
from core.models import Agent, Conversation, Message, Ticket
from core.web import json_response, row_id
from handoff import teams
from handoff.http import current_agent
from handoff.keys import HANDOFF
from handoff.service import HandoffService
from intake import ticket_links
from intake.tickets import ticket_by_number

CSS = Path(__file__).with_name("static") / "ticket_page.css"
HISTORY = 200  # messages shown, the most recent
When = Callable[[datetime | None], str]

T: dict[str, dict[str, str]] = {
    "title": {"zh": "工单 #{number}", "en": "Ticket #{number}"},
    "status": {"zh": "状态", "en": "Status"},
    "new": {"zh": "已受理", "en": "Received"},
    "open": {"zh": "处理中", "en": "In progress"},
    "pending": {"zh": "等待您的回复", "en": "Waiting for you"},
    "resolved": {"zh": "已解决", "en": "Resolved"},
    "closed": {"zh": "已关闭", "en": "Closed"},
    "urgent": {"zh": "加急", "en": "Urgent"},
    "next": {"zh": "下一步", "en": "Next step"},
    "next_new": {
        "zh": "客服正在接单，预计 {due} 前首次回复。",
        "en": "An agent is picking it up; first reply expected by {due}.",
    },
    "next_new_plain": {"zh": "客服正在接单。", "en": "An agent is picking it up."},
    "next_open": {
        "zh": "{who}正在处理，预计 {due} 前解决。",
        "en": "{who} is working on it; expected to be resolved by {due}.",
    },
    "next_open_plain": {"zh": "{who}正在处理。", "en": "{who} is working on it."},
    "team": {"zh": "客服", "en": "Our team"},
    "next_pending": {
        "zh": "我们在等您回复：{need}（在原来的聊天里直接回复即可）",
        "en": "We're waiting for your reply: {need} (just reply in the original chat)",
    },
    "next_pending_plain": {
        "zh": "我们在等您补充信息，在原来的聊天里直接回复即可。",
        "en": "We're waiting for a word from you; just reply in the original chat.",
    },
    "next_resolved": {
        "zh": "问题已解决。如仍未解决，在原来的聊天里回复即可重新打开。",
        "en": "Resolved. If it isn't fixed, reply in the original chat to reopen it.",
    },
    "next_closed": {
        "zh": "工单已关闭。如有新问题，欢迎随时联系我们。",
        "en": "This ticket is closed. Write to us any time about something new.",
    },
    "history": {"zh": "处理记录", "en": "History"},
    "empty": {"zh": "还没有消息。", "en": "No messages yet."},
    "customer": {"zh": "您", "en": "You"},
    "bot": {"zh": "智能助手", "en": "Assistant"},
    "agent": {"zh": "客服", "en": "Support"},
    "system": {"zh": "系统通知", "en": "Notice"},
    "attachment": {"zh": "[附件]", "en": "[attachment]"},
    "rate": {"zh": "为本次服务打分", "en": "Rate our service"},
    "rate_hint": {
        "zh": "5 = 非常满意，1 = 很不满意",
        "en": "5 = very satisfied, 1 = very dissatisfied",
    },
    "send": {"zh": "提交评分", "en": "Send rating"},
    "rated": {
        "zh": "您的评分：{score} 分（可以修改）",
        "en": "Your rating: {score}/5 (you can change it)",
    },
    "thanks": {"zh": "感谢您的评价！", "en": "Thank you for your rating!"},
    "gone_title": {"zh": "链接无效", "en": "Link not valid"},
    "gone": {
        "zh": "这个链接已失效、已被撤销或不完整。请在原来的聊天里询问“我的工单”获取新链接。",
        "en": "This link has expired, was revoked or is incomplete. Ask "
        '"my ticket" in the original chat for a new one.',
    },
    "other": {"zh": "English", "en": "中文"},
}


def t(key: str, lang: str, **values: object) -> str:
    """A page string in ``lang``, its values escaped."""
    return html.escape(T[key][lang].format(**values), quote=True)


def e(text: str) -> str:
    """Text for HTML: escaped, never markup."""
    return html.escape(text or "", quote=True)


def _lang(request: web.Request, fallback: str | None) -> str:
    asked = request.query.get("lang", "")
    if asked in ("zh", "en"):
        return asked
    return (
        fallback
        if fallback in ("zh", "en")
        else request.app[SERVICES].settings.bot.default_language
    )


def _shell(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        'initial-scale=1"><meta name="robots" content="noindex">'
        f'<link rel="stylesheet" href="/ticket-page.css"><title>{title}</title></head>'
        f"<body><main>{body}</main></body></html>"
    )


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _gone(request: web.Request) -> web.Response:
    lang = _lang(request, None)
    body = f"<h1>{t('gone_title', lang)}</h1><p class=note>{t('gone', lang)}</p>"
    return _page(_shell(lang, t("gone_title", lang), body), status=404)


async def _ticket_for(request: web.Request) -> tuple[Ticket, Conversation, str] | None:
    """The ticket a valid token opens, with its conversation and the assignee's first name."""
    handoff = request.app[HANDOFF]
    links = handoff.links
    if links is None:
        return None
    async with request.app[SERVICES].db.reader() as session:
        ticket_id = await links.check(session, request.match_info["token"])
        if ticket_id is None:
            return None
        row = (
            await session.execute(
                select(Ticket, Conversation, Agent.name)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .outerjoin(Agent, Agent.id == Ticket.assignee_id)
                .where(Ticket.id == ticket_id)
            )
        ).first()
    if row is None:
        return None
    ticket, conv, name = row
    return ticket, conv, (name or "").strip().split(" ")[0]


async def page(request: web.Request) -> web.Response:
    """GET /t/{token}: the customer's ticket page."""
    found = await _ticket_for(request)
    if found is None:
        return _gone(request)
    ticket, conv, assignee = found
    services = request.app[SERVICES]
    lang = _lang(request, conv.language)
    zone = ZoneInfo(services.settings.sla.timezone)
    async with services.db.reader() as session:
        # The conversation since an earlier ticket of it was resolved (what led to this one).
        since = (
            await session.execute(
                select(func.max(Ticket.resolved_at)).where(
                    Ticket.conversation_id == conv.id, Ticket.id < ticket.id
                )
            )
        ).scalar()
        messages = list(
            (
                await session.execute(
                    select(Message)
                    .where(
                        Message.conversation_id == conv.id,
                        Message.private.is_(False),
                        Message.created_at > since if since is not None else true(),
                    )
                    .order_by(Message.seq.desc())
                    .limit(HISTORY)
                )
            ).scalars()
        )
    messages.reverse()

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    status = t(ticket.status, lang) if ticket.status in T else e(ticket.status)
    badge = f" <span class=badge>{t('urgent', lang)}</span>" if ticket.priority == "urgent" else ""
    other = "en" if lang == "zh" else "zh"
    parts = [
        f'<nav><a href="?lang={other}" lang="{other}">{t("other", lang)}</a></nav>',
        f"<h1>{t('title', lang, number=ticket.number)}</h1>",
        f"<p class=subject>{e(ticket.subject)}</p>" if ticket.subject else "",
        f"<p class=status><span>{t('status', lang)}</span> "
        f"<strong class='state {e(ticket.status)}'>{status}</strong>{badge}</p>",
        f"<section><h2>{t('next', lang)}</h2><p class=next>"
        f"{_next(ticket, assignee, messages, lang, when)}</p></section>",
    ]
    if ticket.status in ("resolved", "closed") and ticket.survey_state in ("pending", "done"):
        parts.append(_rating(ticket, lang, request.query.get("rated") == "1"))
    items = [_item(m, lang, when) for m in messages] or [f"<li class=empty>{t('empty', lang)}</li>"]
    parts.append(f"<section><h2>{t('history', lang)}</h2><ol class=history>{''.join(items)}</ol>")
    parts.append("</section>")
    return _page(_shell(lang, t("title", lang, number=ticket.number), "".join(parts)))


def _next(ticket: Ticket, assignee: str, messages: list[Message], lang: str, fmt: When) -> str:
    if ticket.status == "new":
        due = fmt(ticket.first_response_due)
        return t("next_new", lang, due=due) if due else t("next_new_plain", lang)
    if ticket.status == "open":
        who = assignee or T["team"][lang]
        due = fmt(ticket.resolution_due)
        return (
            t("next_open", lang, who=who, due=due) if due else t("next_open_plain", lang, who=who)
        )
    if ticket.status == "pending":
        asked = next((m.text for m in reversed(messages) if m.sender == "agent"), "")
        need = " ".join(asked.split())[:200]
        return t("next_pending", lang, need=need) if need else t("next_pending_plain", lang)
    return t("next_resolved" if ticket.status == "resolved" else "next_closed", lang)


def _item(m: Message, lang: str, when: When) -> str:
    who = "customer" if m.direction == "in" else m.sender
    label = t(who, lang) if who in ("customer", "bot", "agent", "system") else e(who)
    text = e(m.text) or (t("attachment", lang) if m.attachments else "")
    return (
        f"<li class='msg {e(who)}'><div class=meta><b>{label}</b> "
        f"<time>{e(when(m.created_at))}</time></div><p>{text}</p></li>"
    )


def _rating(ticket: Ticket, lang: str, just_rated: bool) -> str:
    current = ticket.csat if ticket.survey_state == "done" else None
    choices = "".join(
        f"<label><input type=radio name=score value={n} required"
        f"{' checked' if current == n else ''}><span>{n}</span></label>"
        for n in range(5, 0, -1)
    )
    done = f"<p class=rated>{t('rated', lang, score=current)}</p>" if current else ""
    thanks = f"<p class=thanks role=status>{t('thanks', lang)}</p>" if just_rated else ""
    return (
        f"<section class=rating><h2>{t('rate', lang)}</h2>{thanks}{done}"
        f'<form method="post" action="?lang={lang}"><fieldset class=scores>{choices}</fieldset>'
        f"<p class=hint>{t('rate_hint', lang)}</p>"
        f"<button type=submit>{t('send', lang)}</button></form></section>"
    )


async def rate(request: web.Request) -> web.Response:
    """POST /t/{token}: the rating form; recorded like a survey answer in the chat."""
    found = await _ticket_for(request)
    if found is None:
        return _gone(request)
    ticket, conv, _ = found
    form = await request.post()
    score = row_id(str(form.get("score", "")))
    if score is None or not 1 <= score <= 5:
        raise BadRequest("Choose a score from 1 to 5.", code="bad_score")
    if ticket.status not in ("resolved", "closed") or ticket.survey_state not in (
        "pending",
        "done",
    ):
        raise BadRequest("This ticket cannot be rated now.", code="not_rateable")
    async with request.app[SERVICES].db.reader() as session:
        rows = (
            await session.execute(
                select(Message.seq, Message.meta)
                .where(
                    Message.conversation_id == conv.id,
                    Message.private.is_(False),
                    Message.sender == "system",
                    Message.created_at >= ticket.created_at,
                )
                .order_by(Message.seq.desc())
            )
        ).all()
    survey = next(
        (
            seq
            for seq, meta in rows
            if (meta or {}).get("survey") and (meta or {}).get("ticket") == ticket.number
        ),
        None,
    )
    if survey is None:
        raise BadRequest("This ticket has no survey to answer.", code="not_rateable")
    await request.app[HANDOFF].feedback(conv.id, survey, score)
    lang = _lang(request, conv.language)
    raise web.HTTPSeeOther(f"{ticket_links.PATH}{request.match_info['token']}?lang={lang}&rated=1")


async def stylesheet(_request: web.Request) -> web.FileResponse:
    """The page's one stylesheet (CSP: no inline styles)."""
    return web.FileResponse(CSS, headers={"Cache-Control": "public, max-age=3600"})


async def agent_link(request: web.Request) -> web.Response:
    """GET /api/agent/tickets/{number}/page-link: a fresh link for the customer."""
    agent = await current_agent(request)
    handoff: HandoffService = request.app[HANDOFF]
    number = _number(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, number)
    if handoff.links is None:
        raise NotFound("Ticket pages are switched off ([ticket_page] enabled = false).")
    async with request.app[SERVICES].db.reader() as session:
        ticket = await ticket_by_number(session, number)
        url = await handoff.links.link_for(session, ticket.id)
        version = await ticket_links.current_version(session, ticket.id)
    return json_response({"ticket": number, "url": url, "version": version})


async def agent_revoke(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/page-link/revoke: every link sent so far stops working."""
    agent = await current_agent(request)
    number = _number(request)
    db = request.app[SERVICES].db
    await teams.check_ticket(db, agent, number)
    async with db.transaction() as session:
        ticket = await ticket_by_number(session, number)
        version = await ticket_links.revoke(session, ticket.id, agent.id)
    return json_response({"ticket": number, "version": version, "revoked": True})


def _number(request: web.Request) -> int:
    number = row_id(request.match_info["number"])
    if number is None:
        raise NotFound("There is no such ticket.")
    return number
