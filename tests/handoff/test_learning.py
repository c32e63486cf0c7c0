"""The learning loop (issue 19, item 5) on SQLite and on PostgreSQL: questions the bot missed
or was voted down on, grouped by meaning; one of them added to an entry as a similar question
is answered from that entry on the next turn; a group dismissed or drafted leaves the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.app import create_app
from core.context import SERVICES
from handoff import learning_groups
from handoff.auth import create_agent
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS
ENTRIES = [
    {
        "id": "invoice",
        "question": "怎么开发票？",
        "similar": ["发票怎么开", "可以开增值税专用发票吗", "电子发票在哪下载"],
        "answer": "在订单详情页点击“申请发票”，电子发票开好后会发到您的邮箱。",
    },
    {
        "id": "password",
        "question": "忘记密码怎么办？",
        "similar": ["密码忘了", "怎么重置登录密码", "密码输错被锁了"],
        "answer": "在登录页点击“忘记密码”，用手机验证码重设即可。",
    },
    {
        "id": "tracking",
        "question": "怎么查物流信息？",
        "similar": ["快递到哪了", "物流单号在哪看", "显示已发货但查不到物流"],
        "answer": "在“我的订单”中打开订单，点击“查看物流”即可。",
    },
    {
        "id": "promotions",
        "question": "双十一活动什么时候开始？",
        "similar": ["双十一几号开始", "大促什么时候开始", "活动价什么时候生效"],
        "answer": "大促从 11 月 1 日晚 8 点开始；优惠券在“我的 - 优惠券”里领取和查看。",
    },
    {
        "id": "dishwasher-ware",
        "question": "洗碗机可以洗哪些餐具？",
        "similar": ["洗碗机能洗什么", "哪些碗碟能放进洗碗机", "洗碗机能洗奶瓶吗"],
        "answer": "碗、盘、杯、筷子都可以；铁锅、木制和描金餐具请用手洗，以免生锈或变形。",
    },
]
COUPONS = ["有没有优惠券", "有優惠券嗎", "还有优惠券吗"]  # one meaning, three ways
WEEKEND = ["你们周末上班吗", "周末有没有人值班"]


async def _desk(aiohttp_client: Any, database_url: str, tmp_path: Path, embedder: Any) -> Any:
    """A full app on the database with the entries published, an admin logged in."""
    settings = make_settings(tmp_path / "data", database_url)
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    await create_agent(
        client.app[SERVICES].db, "boss@kefu.local", "Boss", "boss-pass", role="admin"
    )
    await login(client, "boss@kefu.local", "boss-pass")
    for e in ENTRIES:
        made = await client.post("/api/agent/kb/entries", json={**e, "publish": True}, headers=H)
        assert made.status == 201, await made.text()
    return client


async def _ask(client: Any, text: str) -> tuple[Visitor, dict[str, Any]]:
    v = await Visitor(client).start()
    reply = await v.reply_to(text)
    return v, reply


async def test_missed_questions_grouped_then_learned_dismissed_and_drafted(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    client = await _desk(aiohttp_client, database_url, tmp_path, embedder)
    await create_agent(client.app[SERVICES].db, "ann@kefu.local", "Ann", "ann-pass", role="agent")

    asked: dict[str, Visitor] = {}
    for text in COUPONS + WEEKEND:
        asked[text], reply = await _ask(client, text)
        assert "entry_id" not in reply.get("meta", {}) and reply.get("feedback") is None, reply
    voter, answer = await _ask(client, "怎么开发票？")
    assert answer["feedback"] == "helpful"
    await voter.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "down"})
    await voter.until(lambda f: f["type"] == "feedback_ok")

    got = await client.get("/api/agent/learning?days=7")
    assert got.status == 200, await got.text()
    body = await got.json()
    assert body["days"] == 7 and body["questions"] == 6 and body["left_over"] == 0
    groups = {frozenset(q["text"] for q in g["questions"]): g for g in body["groups"]}
    assert set(groups) == {frozenset(COUPONS), frozenset(WEEKEND), frozenset(["怎么开发票？"])}
    coupons = groups[frozenset(COUPONS)]
    assert coupons["count"] == 3 and coupons["channels"] == ["webchat"] and coupons["entries"] == []
    assert body["groups"][0] is not None and body["groups"][0]["count"] == 3  # biggest first
    assert {q["why"] for q in coupons["questions"]} == {"missed"}
    down = groups[frozenset(["怎么开发票？"])]
    assert down["questions"][0]["why"] == "down"
    assert down["entries"] == [{"id": "invoice", "question": "怎么开发票？", "count": 1}]

    # An agent (not a publisher) may not change a published entry; the question stays.
    first = next(q for q in coupons["questions"] if q["text"] == COUPONS[0])
    client.session.cookie_jar.clear()
    await login(client, "ann@kefu.local", "ann-pass")
    refused = await client.post(
        "/api/agent/learning/similar",
        json={"message_id": first["message_id"], "entry_id": "promotions"},
        headers=H,
    )
    assert refused.status == 403
    client.session.cookie_jar.clear()
    await login(client, "boss@kefu.local", "boss-pass")

    added = await client.post(
        "/api/agent/learning/similar",
        json={"message_id": first["message_id"], "entry_id": "promotions"},
        headers=H,
    )
    assert added.status == 200, await added.text()
    assert COUPONS[0] in (await added.json())["entry"]["similar"]
    _, again = await _ask(client, COUPONS[0])  # the next answer knows the question
    assert again["text"] == ENTRIES[3]["answer"]

    # Erasing that customer names the entry that now holds their words (it is not edited).
    conv = asked[COUPONS[0]].conversation_id
    customer = await (await client.get(f"/api/agent/conversations/{conv}/customer")).json()
    erased = await client.post(
        f"/api/admin/contacts/{customer['contact']['id']}/erase",
        json={"reason": "customer asked"},
        headers=H,
    )
    assert erased.status == 200, await erased.text()
    assert (await erased.json())["erasure"]["kb_entries_kept"] == ["promotions"]

    after = await (await client.get("/api/agent/learning?days=30")).json()
    texts = {q["text"] for g in after["groups"] for q in g["questions"]}
    assert COUPONS[0] not in texts and set(COUPONS[1:]) <= texts

    weekend = next(g for g in after["groups"] if WEEKEND[0] in {q["text"] for q in g["questions"]})
    gone = await client.post(
        "/api/agent/learning/dismiss", json={"message_ids": weekend["message_ids"]}, headers=H
    )
    assert (await gone.json()) == {"dismissed": 2}
    draft = await client.post(
        "/api/agent/learning/draft",
        json={"message_id": down["questions"][0]["message_id"]},
        headers=H,
    )
    assert (await draft.json()) == {"question": "怎么开发票？"}
    left = await (await client.get("/api/agent/learning?days=7")).json()
    left_texts = [sorted(q["text"] for q in g["questions"]) for g in left["groups"]]
    assert left_texts == [sorted(COUPONS[1:])]

    bad = await client.get("/api/agent/learning?days=5")
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_learning_days"
    other = await client.post(
        "/api/agent/learning/dismiss", json={"message_ids": [answer["seq"] + 10_000]}, headers=H
    )
    assert other.status == 404 and (await other.json())["error"]["code"] == "no_question"
    assert (await client.get("/api/agent/learning")).status == 200
    client.session.cookie_jar.clear()
    assert (await client.get("/api/agent/learning")).status == 401


def test_greedy_groups_are_bounded_and_biggest_first() -> None:
    eye = np.eye(4, dtype=np.float32)
    close = (eye[0] + 0.2 * eye[1]) / np.linalg.norm(eye[0] + 0.2 * eye[1])
    vectors = np.stack([eye[2], eye[0], close, eye[0], eye[3]])
    groups, left = learning_groups.cluster(vectors, threshold=0.9)
    assert groups == [[1, 2, 3], [0], [4]] and left == 0
    many = np.eye(learning_groups.MAX_GROUPS + 3, dtype=np.float32)
    groups, left = learning_groups.cluster(many)
    assert len(groups) == learning_groups.MAX_GROUPS and left == 3


VAGUE = "打折活动"  # close to several entries: the bot offers choices


async def _pick(v: Visitor, question: str, label: str) -> dict[str, Any]:
    """Ask ``question``, tap the choice ``label`` (what a button sends); the bot's answer."""
    offer = await v.reply_to(question)
    assert offer["choices"] and label in [c["label"] for c in offer["choices"]], offer
    return await v.reply_to(label)


async def test_picks_and_thumbs_up_of_two_customers_become_a_suggestion_to_accept(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    client = await _desk(aiohttp_client, database_url, tmp_path, embedder)
    promo = next(e for e in ENTRIES if e["id"] == "promotions")
    question = str(promo["question"])

    async def suggestions() -> list[dict[str, Any]]:
        body = await (await client.get("/api/agent/learning?days=7")).json()
        found: list[dict[str, Any]] = body["suggestions"]
        return found

    # One customer picking the same entry again and again is one voice: nothing suggested.
    first = await Visitor(client).start()
    offer = await first.reply_to(VAGUE)
    labels = [c["label"] for c in offer["choices"] or []]
    assert promo["question"] in labels, offer
    for _ in range(2):
        answer = await first.reply_to(question)
        assert answer["entry_id"] == "promotions"
        await first.reply_to(VAGUE)
    assert await suggestions() == []

    # A second customer agrees (a pick, then a thumbs-up on that answer): now it is suggested.
    second = await Visitor(client).start()
    answer = await _pick(second, VAGUE, question)
    await second.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "up"})
    await second.until(lambda f: f["type"] == "feedback_ok")
    [suggested] = await suggestions()
    assert (suggested["text"], suggested["entry"]) == (
        VAGUE,
        {"id": "promotions", "question": promo["question"]},
    )
    assert (suggested["customers"], suggested["picks"], suggested["ups"]) == (2, 3, 1)

    # A customer who voted that answer down for the same question vetoes the suggestion.
    third = await Visitor(client).start()
    answer = await _pick(third, VAGUE, question)
    await third.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "down"})
    await third.until(lambda f: f["type"] == "feedback_ok")
    assert await suggestions() == []
    down = await (await client.get("/api/agent/learning?days=7")).json()
    [vetoed] = [g for g in down["groups"] if g["questions"][0]["text"] == VAGUE]
    assert vetoed["entries"] == [{"id": "promotions", "question": promo["question"], "count": 1}]
    gone = await client.post(
        "/api/agent/learning/dismiss", json={"message_ids": vetoed["message_ids"]}, headers=H
    )
    assert gone.status == 200
    [suggested] = await suggestions()  # the veto dismissed, the customers' choice is back

    accepted = await client.post(
        "/api/agent/learning/similar",
        json={"message_id": suggested["message_id"], "entry_id": "promotions"},
        headers=H,
    )
    assert accepted.status == 200, await accepted.text()
    assert VAGUE in (await accepted.json())["entry"]["similar"]
    assert await suggestions() == []  # the entry knows the question now
    fourth = await Visitor(client).start()
    reply = await fourth.reply_to(VAGUE)  # answered at once, no choices any more
    assert (reply["entry_id"], reply["choices"], reply["text"]) == (
        "promotions",
        None,
        promo["answer"],
    )
