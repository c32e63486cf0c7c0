"""The bot fills a repair (报修) or installation (安装) form with the customer.

"我的洗衣机不脱水了，想报修" starts it. The bot takes what it already knows — the product
from the customer's records (by the appliance named, or their only one), the fault from the
first message, the phone on their record, the product's install address — and asks only for
the rest, one question at a time: the product (a number from their list, or a model), the
fault, the address (province/city/district), the phone (11 digits), a preferred time in words
("明天下午", parsed in the configured zone). Each answer is checked; a wrong one is asked
again with what is wrong. "改地址" goes back to a field, "取消" drops the form. At the end the
customer confirms a summary and the ticket of that type is opened with the fields filled.

On email, where a round trip takes hours, one message asks for everything missing, the reply
is read line by line ("地址：…"), and the ticket is opened as soon as all is there.

The form lives in SQL (``bot_forms``), never in memory, so any worker continues it. What
starts it: bot/repair_intent.py; what it says: bot/repair_texts.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.handlers import HUMAN
from bot.ports import FormBackend, FormState
from bot.repair_intent import PROGRESS, STARTS, first_fault, is_request
from bot.repair_slots import Found, appliance_only, find, tries
from bot.repair_texts import WORDS, question, say, summary
from bot.router import Context, Handler, Router
from bot.timewords import parse_window
from bot.warranty import CODE, kinds_in
from core.domain import BotReply, BotState, BotTurn

CANCEL = re.compile(r"^\s*(?:取消|不用了|不修了|算了|cancel|stop)\b|^\s*取消", re.IGNORECASE)
CONFIRM = re.compile(r"^\s*(?:确认|确定|是的?|对的?|没问题|好的?|提交|ok|yes|confirm)\W*$", re.I)
CHANGE = re.compile(r"(?:改|修改|更改|换|不对|错了|change|edit|fix)", re.IGNORECASE)
PICK = re.compile(r"^\s*(?:第\s*)?([1-9])\s*(?:个|台|号|\.|、)?\s*$")
CONFIRM_STEP = "_confirm"
ALL_STEP = "_all"


def _lang(language: str) -> str:
    return "en" if language == "en" else "zh"


def wanted(fields: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields the bot asks for: required before work starts, and the preferred time."""
    return [f for f in fields if f.get("required_at") == "open" or f["key"] == "window"]


class RepairForm:
    """The handler's logic, one customer message at a time."""

    def __init__(self, backend: FormBackend) -> None:
        self.backend = backend

    async def start(self, ctx: Context, type_key: str) -> BotTurn | None:
        cid = ctx.turn.conversation_id
        try:
            known = await self.backend.known(cid, type_key)
        except LookupError:
            return None
        values: dict[str, str] = {}
        fields = wanted(known.fields)
        keys = {f["key"] for f in fields}
        if "product" in keys:
            chosen = self._product_from(ctx.text, known.products)
            if chosen is not None:
                values["product"] = str(chosen.id)
                if "address" in keys and chosen.install_address:
                    try:
                        field = next(f for f in fields if f["key"] == "address")
                        values["address"] = await self.backend.clean(
                            cid, field, chosen.install_address
                        )
                    except (ValueError, StopIteration):
                        pass
        if "phone" in keys and known.phone and re.fullmatch(r"1\d{10}", known.phone):
            values["phone"] = known.phone
        # "…想报修，地址是…，我电话139…": what the first message gives is taken too.
        found = find(ctx.text, self.backend.now(), self.backend.address_rest, time_too=False)
        form = FormState(type_key, values, "")
        await self._take_found(ctx, form, known, found, asked="")
        if "fault" in keys:
            fault = first_fault(found.rest)
            if fault:
                values["fault"] = fault
        intro = say("start", ctx.language, type=known.type_name[_lang(ctx.language)])
        return await self._next(ctx, form, known, intro)

    def _product_from(self, text: str, products: Sequence[Any]) -> Any | None:
        codes = {c.lower() for c in CODE.findall(text)}
        hits = [
            p
            for p in products
            if (p.serial and p.serial.lower() in codes) or p.model.lower() in codes
        ]
        if not hits:
            kinds = kinds_in(text)
            hits = [p for p in products if kinds and any(k in p.category for k in kinds)]
            if not kinds and len(products) == 1:
                hits = list(products)
        return hits[0] if len(hits) == 1 else None

    async def _next(
        self, ctx: Context, form: FormState, known: Any, intro: str = "", error: str = ""
    ) -> BotTurn:
        """Ask for the next missing field, or for the confirmation."""
        fields = wanted(known.fields)
        missing = [f for f in fields if not form.values.get(f["key"])]
        lang = ctx.language
        type_name = known.type_name[_lang(lang)]
        cid = ctx.turn.conversation_id
        if ctx.turn.channel == "email":
            if not missing:
                return await self._submit(ctx, form, known)
            key = "email_more" if form.asking == ALL_STEP else "email_all"
            form.asking = ALL_STEP
            await self.backend.save(cid, form)
            lines = "\n".join(f"{f['label'][_lang(lang)]}：" for f in missing)
            text = say(key, lang, type=type_name, lines=lines)
            return self._turn(ctx, "\n".join(x for x in (intro, error, text) if x), form)
        if not missing:
            form.asking = CONFIRM_STEP
            await self.backend.save(cid, form)
            told = summary(form.values, known, wanted(known.fields), lang)
            text = say("confirm", lang, type=type_name, summary=told)
            return self._turn(ctx, "\n".join(x for x in (intro, error, text) if x), form)
        field = missing[0]
        form.asking = field["key"]
        await self.backend.save(cid, form)
        return self._turn(
            ctx,
            "\n".join(x for x in (intro, error, question(field, known, lang)) if x),
            form,
        )

    async def answer(
        self, ctx: Context, form: FormState, field_key: str, text: str, known: Any
    ) -> str:
        """Store the answer for ``field_key``; returns an error text ("" when accepted)."""
        lang = ctx.language
        cid = ctx.turn.conversation_id
        field = next((f for f in known.fields if f["key"] == field_key), None)
        if field is None:
            return ""
        if field_key == "product":
            pick = PICK.match(text)
            if pick and known.products and int(pick.group(1)) <= len(known.products):
                form.values["product"] = str(known.products[int(pick.group(1)) - 1].id)
                return ""
            chosen = self._product_from(text, known.products)
            if chosen is not None and (CODE.search(text) or kinds_in(text)):
                form.values["product"] = str(chosen.id)
                return ""
            model = next(
                (
                    c
                    for c in CODE.findall(text)
                    if re.search(r"[A-Za-z]", c) and re.search(r"\d", c)
                ),
                None,
            )
            if model is None:
                return say("bad_product", lang)
            kinds = sorted(kinds_in(text) or kinds_in(form.values.get("fault", "")))
            form.values["product"] = str(
                await self.backend.add_product(cid, model.upper(), kinds[0] if kinds else "")
            )
            return ""
        if field_key == "window":
            window = parse_window(text, self.backend.now())
            if window is None:
                return say("bad_window", lang, days=60)
            form.values["window"] = window.value()
            return ""
        if field_key == "fault":
            if len(text.strip()) < 2 or appliance_only(text):  # "洗衣机": not what is wrong
                return say("bad_fault", lang)
            form.values["fault"] = text.strip()[:500]
            return ""
        try:
            value = await self.backend.clean(cid, field, text)
        except ValueError as err:
            if field["kind"] == "address":
                return say(f"bad_address_{self.backend.address_problem(text) or 'no_city'}", lang)
            if field["kind"] == "phone":
                return say("bad_phone", lang, text=text.strip()[:40])
            return say("bad_other", lang, text=text.strip()[:40], reason=str(err))
        if field["kind"] == "phone" and not re.fullmatch(r"1\d{10}", value):
            return say("bad_phone", lang, text=text.strip()[:40])
        if not value:
            return say("bad_other", lang, text=text.strip()[:40], reason="empty")
        form.values[field_key] = value
        return ""

    def _field_named(self, text: str, known: Any) -> str | None:
        low = text.lower()
        for f in wanted(known.fields):
            words = (*WORDS.get(f["key"], ()), f["label"]["zh"], f["label"]["en"].lower())
            if any(w in low for w in words):
                return str(f["key"])
        return None

    async def continue_(self, ctx: Context, form: FormState) -> BotTurn:
        cid = ctx.turn.conversation_id
        known = await self.backend.known(cid, form.type_key)
        lang = ctx.language
        type_name = known.type_name[_lang(lang)]
        if CANCEL.search(ctx.text):
            await self.backend.clear(cid)
            return self._turn(ctx, say("cancelled", lang, type=type_name))
        if form.asking == ALL_STEP:
            return await self._email_reply(ctx, form, known)
        found = find(
            ctx.text, self.backend.now(), self.backend.address_rest, time_too=form.asking != "fault"
        )
        words = CODE.sub(lambda m: "" if re.search(r"\d", m.group()) else m.group(), found.rest)
        if ctx.state.language and not re.search(r"[^\W\d_]", words):
            # An address, a number, a model or a time alone says nothing of the language.
            ctx = replace(ctx, language=ctx.state.language)
        if CHANGE.search(ctx.text):
            target = self._field_named(ctx.text, known)
            if target is not None:
                # "改地址" asks again; "地址改成 浙江省…" takes the new value at once.
                rest = re.split(r"改成|改为|换成|change to|is", ctx.text, maxsplit=1)
                value = _slot(known, target, found) or (rest[1].strip() if len(rest) == 2 else "")
                if value:
                    error = await self.answer(ctx, form, target, value, known)
                    return await self._next(ctx, form, known, error=error)
                form.values.pop(target, None)
                return await self._next(ctx, form, known)
        if form.asking == CONFIRM_STEP:
            if CONFIRM.match(ctx.text):
                return await self._submit(ctx, form, known)
            # A new phone, address or time at the summary replaces the old one.
            await self._take_found(ctx, form, known, found, asked="")
            return await self._next(ctx, form, known)
        error = await self._take(ctx, form, known, found)
        return await self._next(ctx, form, known, error=error)

    async def _take_found(
        self, ctx: Context, form: FormState, known: Any, found: Found, asked: str
    ) -> bool:
        """Take the values ``found`` for the form's fields other than ``asked``; whether any
        was taken. A value that does not pass its field's check is left for its question."""
        took = False
        for f in wanted(known.fields):
            value = _slot(known, f["key"], found)
            if value and f["key"] != asked:
                took = not await self.answer(ctx, form, f["key"], value, known) or took
        return took

    async def _take(self, ctx: Context, form: FormState, known: Any, found: Found) -> str:
        """The answer to the field asked, and whatever else the message gives ("浙江省…，电话
        139…"; "13912345678" when asked for the address); the error for the field asked."""
        asked = form.asking
        took = await self._take_found(ctx, form, known, found, asked)
        field = next((f for f in wanted(known.fields) if f["key"] == asked), None)
        value = _slot(known, asked, found)
        if field is None or value:
            return await self.answer(ctx, form, asked, value or ctx.text, known)
        if not took:
            return await self.answer(ctx, form, asked, ctx.text, known)
        if asked == "fault" and len(found.rest) >= 2:
            return await self.answer(ctx, form, asked, found.rest, known)
        if tries(field["kind"], found.rest):
            return await self.answer(ctx, form, asked, found.rest, known)
        return ""  # the message gave other fields: the one asked is asked again

    async def _email_reply(self, ctx: Context, form: FormState, known: Any) -> BotTurn:
        errors: list[str] = []
        for line in ctx.text.splitlines():
            label, sep, value = line.partition("：" if "：" in line else ":")
            if not sep or not value.strip():
                continue
            key = self._field_named(label, known)
            if key is None:
                continue
            error = await self.answer(ctx, form, key, value.strip(), known)
            if error:
                errors.append(error)
        return await self._next(ctx, form, known, error="\n".join(errors))

    async def _submit(self, ctx: Context, form: FormState, known: Any) -> BotTurn:
        cid = ctx.turn.conversation_id
        lang = ctx.language
        values = {k: v for k, v in form.values.items() if v}
        subject = values.get("fault", "")
        number, appointment = await self.backend.open_ticket(
            cid, form.type_key, values, subject, lang
        )
        await self.backend.clear(cid)
        told = summary(form.values, known, wanted(known.fields), lang)
        done = say("done", lang, type=known.type_name[_lang(lang)], number=number, summary=told)
        # The ticket's number first, then the appointment when an engineer is already sent
        # (one message, so no channel can show them the other way round); else "we will
        # arrange one".
        if appointment:
            return self._turn(ctx, f"{done}\n{appointment}\n{say('sent', lang)}")
        return self._turn(ctx, f"{done}\n{say('arrange', lang)}")

    @staticmethod
    def _turn(ctx: Context, text: str, form: FormState | None = None) -> BotTurn:
        """The bot's message; the bot's memory names the form while one is being filled, so
        turns with no form never read the form store."""
        state = BotState(language=ctx.language, form=form.type_key if form else "")
        return BotTurn((BotReply(text),), state, ctx.language)


def _slot(known: Any, key: str, found: Found) -> str:
    """What ``found`` gives for the field ``key`` (by the field's kind), or ""."""
    field = next((f for f in known.fields if f["key"] == key), None)
    if field is None:
        return ""
    if key == "window":
        return found.window
    return {"phone": found.phone, "address": found.address}.get(str(field["kind"]), "")


def make_repair_form(backend: FormBackend) -> Handler:
    """A form in progress takes the message; else a repair/installation request starts one."""
    logic = RepairForm(backend)

    async def repair_form(ctx: Context) -> BotTurn | None:
        form = await backend.load(ctx.turn.conversation_id) if ctx.state.form else None
        if form is not None and HUMAN.search(ctx.text):
            # "转人工" in the middle of the form: a person takes over; the form is dropped.
            await backend.clear(ctx.turn.conversation_id)
            return None
        if form is not None:
            state = FormState(form.type_key, dict(form.values), form.asking)
            return await logic.continue_(ctx, state)
        if PROGRESS.search(ctx.text):
            return None  # "报修进度": the customer's tickets answer that
        for type_key, pattern in STARTS.items():
            if pattern.search(ctx.text) and is_request(ctx.text):
                return await logic.start(ctx, type_key)
        return None

    return repair_form


def register(router: Router, backend: FormBackend) -> None:
    """Before the ticket status handler: a form in progress must get every answer."""
    before = "ticket_status" if "ticket_status" in router.names else "pick"
    router.insert_before(before, "repair_form", make_repair_form(backend))
