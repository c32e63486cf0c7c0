"""Issue 19 in the bot: close choices shown as the channel shows them, picks, follow-up
questions in context, typed feedback, and the language of a message with no words. Over the
real demo knowledge base and embedder."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.choices import for_channel, picked
from bot.feedback import reading
from bot.language import detect, has_content, words
from bot.service import Bot
from bot.synonyms import Synonyms
from core.config import Settings
from core.db import Database
from core.domain import BotReply, BotState, BotTurn, ChannelCapabilities, Choice, TurnInput
from core.errors import ConfigError
from kb.choices import close_hits, labels
from kb.service import KnowledgeBase
from kb.types import Hit

BUTTONS = ChannelCapabilities(choice_buttons=True, max_choices=4)
TEXT_ONLY = ChannelCapabilities(max_choices=2)
CAPS = {"webchat": BUTTONS, "wechat": TEXT_ONLY}


class Recorder:
    """A ``Votes`` that keeps what it was asked to record (the app's records in SQL; that
    path is tested in test_feedback_replies.py)."""

    def __init__(self) -> None:
        self.votes: list[tuple[int, str]] = []

    async def vote(self, conversation_id: int, value: str) -> bool:
        self.votes.append((conversation_id, value))
        return True


@pytest.fixture
async def kb(demo_settings: Settings, embedder: Any) -> Any:
    db = Database(demo_settings.database_url)
    knowledge = KnowledgeBase(db, demo_settings.kb, demo_settings.data_path, embedder)
    await knowledge.load()
    yield knowledge
    await knowledge.close()
    await db.dispose()


@pytest.fixture
def votes() -> Recorder:
    return Recorder()


@pytest.fixture
def bot(kb: KnowledgeBase, demo_settings: Settings, votes: Recorder) -> Bot:
    return Bot(kb, demo_settings.bot, demo_settings.kb, capabilities=CAPS.get, votes=votes)


async def say(bot: Bot, text: str, state: BotState | None = None, channel: str = "wechat") -> Any:
    return await bot.respond(
        TurnInput(conversation_id=7, channel=channel, text=text, state=state or BotState())
    )


def hit(entry: str, score: float, category: str = "c") -> Hit:
    return Hit(entry, f"{entry}?", "a", category, "zh", None, score, score, 0.0, entry)


def test_close_hits_offers_only_what_is_close_to_the_top() -> None:
    hits = [hit("a", 0.60), hit("b", 0.57), hit("c", 0.40), hit("d", 0.39)]
    assert [h.entry_id for h in close_hits(hits, 4)] == ["a", "b"]
    assert [h.entry_id for h in close_hits(hits, 1)] == ["a"]
    # Nothing close: still two, the customer needs an "other" to choose.
    lone = [hit("a", 0.60), hit("b", 0.30)]
    assert [h.entry_id for h in close_hits(lone, 3)] == ["a", "b"]
    # Never below the clarify threshold when something is close.
    near = [hit("a", 0.40), hit("b", 0.39), hit("c", 0.36)]
    assert [h.entry_id for h in close_hits(near, 3, floor=0.37)] == ["a", "b"]


def test_choices_are_grouped_and_named_by_category_when_they_span_several() -> None:
    hits = [hit("a", 0.6, "repair"), hit("b", 0.59, "parts"), hit("c", 0.58, "repair")]
    grouped = close_hits(hits, 3)
    assert [h.entry_id for h in grouped] == ["a", "c", "b"]
    assert labels(grouped, {"repair": "维修"}) == ["维修 · a?", "维修 · c?", "parts · b?"]
    same = [hit("a", 0.6, "repair"), hit("c", 0.58, "repair")]
    assert labels(same) == ["a?", "c?"]


async def test_buttons_where_the_channel_has_them_a_numbered_list_where_not(bot: Bot) -> None:
    web = (await say(bot, "维修", channel="webchat")).replies[0]
    assert web.decision == "clarify" and 2 <= len(web.choices) <= 4
    assert not re.search(r"(^|\n)\d+\. ", web.text), web.text
    assert all(c.label not in web.text for c in web.choices)
    wx = (await say(bot, "维修", channel="wechat")).replies[0]
    assert wx.decision == "clarify" and len(wx.choices) == 2  # the channel's max_choices
    for c in wx.choices:
        assert f"{c.n}. {c.label}" in wx.text


async def test_a_pick_by_label_or_number_answers_that_entry_and_names_it(bot: Bot) -> None:
    asked = await say(bot, "维修", channel="webchat")
    second = asked.replies[0].choices[1]
    by_label = await say(bot, second.label, asked.state, channel="webchat")
    assert by_label.handler == "pick" and by_label.replies[0].entry_id == second.entry_id
    by_number = await say(bot, "2", asked.state, channel="webchat")
    assert by_number.replies[0].entry_id == second.entry_id
    question = second.label.split(" · ")[-1]
    assert by_number.replies[0].text.startswith(f"关于「{question}」")
    assert by_number.state.answered == second.entry_id and by_number.state.topic == question


def test_picked_reads_numbers_and_labels_only() -> None:
    offered = (Choice(1, "怎么预约维修？", "x"), Choice(2, "维修 · 怎么查询维修进度？", "y"))
    assert picked("第2个", offered) == offered[1]
    assert picked("怎么预约维修", offered) == offered[0]
    assert picked("维修 · 怎么查询维修进度？", offered) == offered[1]
    assert picked("3", offered) is None and picked("维修进度", offered) is None


def test_a_handlers_numbered_list_is_dropped_where_choices_are_buttons() -> None:
    offered = (Choice(1, "#1001 热水器", "ticket:1001"), Choice(2, "#1002 洗衣机", "ticket:1002"))
    text = "您有 2 张处理中的工单，请回复序号查看：\n1. #1001 热水器\n2. #1002 洗衣机"
    turn = BotTurn((BotReply(text, choices=offered),), BotState(choices=offered), "zh")
    shown = for_channel(turn, BUTTONS)
    assert shown.replies[0].text == "您有 2 张处理中的工单，请回复序号查看："
    assert shown.replies[0].choices == offered
    assert for_channel(turn, TEXT_ONLY) is turn


@pytest.mark.parametrize(
    ("first", "then", "entry"),
    [
        ("怎么预约维修？", "那安装呢", "installation-book-zh"),
        ("怎么申请退货", "那运费谁出？", "returns-shipping-fee-zh"),
        ("How do I return an item?", "what about the shipping fee?", "returns-shipping-fee-en"),
    ],
)
async def test_a_follow_up_is_answered_in_the_conversations_context(
    bot: Bot, first: str, then: str, entry: str
) -> None:
    before = await say(bot, first)
    assert before.replies[0].decision == "answer" and before.state.topic
    after = await say(bot, then, before.state)
    assert after.replies[0].decision == "answer" and after.replies[0].entry_id == entry


async def test_without_context_the_elliptical_question_is_not_answered(bot: Bot) -> None:
    alone = await say(bot, "那安装呢")
    assert alone.replies[0].entry_id != "installation-book-zh"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("有用", "up"),
        ("谢谢！", "up"),
        ("thanks", "up"),
        ("helpful", "up"),
        ("没用", "down"),
        ("not helpful", "down"),
        ("还是不行", "still"),
        ("Still not working.", "still"),
        ("谢谢，那运费谁出？", None),
        ("没用过这个功能怎么办", None),
    ],
)
def test_feedback_replies_are_whole_messages(text: str, kind: str | None) -> None:
    assert reading(text) == kind


async def test_feedback_after_an_answer_votes_and_still_not_working_escalates(
    bot: Bot, votes: Recorder
) -> None:
    answered = await say(bot, "怎么申请退货")
    useful = await say(bot, "有用", answered.state)
    assert useful.handler == "feedback" and votes.votes == [(7, "up")]
    assert useful.state.topic == answered.state.topic  # a follow-up may still come
    first = await say(bot, "还是不行", answered.state)
    assert first.escalate is None and first.state.misses == 1 and votes.votes[-1] == (7, "down")
    second = await say(bot, "还是不行", first.state)
    assert second.escalate is not None and second.escalate.reason == "repeated_failure"
    # Thanks with nothing answered before is a greeting, not a vote.
    count = len(votes.votes)
    assert (await say(bot, "谢谢")).handler == "greeting" and len(votes.votes) == count


@pytest.mark.parametrize("text", ["<p><br></p>", "<div>&nbsp;</div>", "😀👍", "&lt;br&gt;"])
async def test_a_message_with_no_words_keeps_the_conversations_language(
    bot: Bot, text: str
) -> None:
    state = BotState(language="zh")
    out = await say(bot, text, state, channel="webchat")
    assert out.language == "zh" and out.handler == "empty"
    assert "文字" in out.replies[0].text
    english = await say(bot, text, BotState(language="en"), channel="webchat")
    assert english.language == "en" and "words" in english.replies[0].text


def test_words_and_language_ignore_markup_links_and_numbers() -> None:
    assert words("<p>我的洗碗机坏了</p>") == "我的洗碗机坏了"
    assert detect("<b>你好</b>", "en") == "zh"
    assert detect("<img src=x onerror=alert(1)>", "zh") == "zh"
    assert detect("https://example.com/a?b=c 12345", "zh") == "zh"
    assert detect("my order 12345", "zh") == "en"
    assert has_content("12345") and not has_content("<br/>")


def test_synonyms_replace_aliases_by_the_knowledge_bases_words() -> None:
    syn = Synonyms(["发票: 收据, 票据", "退款: 退钱, 退钱款", "dishwasher: TG100, DW"])
    assert syn.apply("收据怎么开") == "发票怎么开"
    assert syn.apply("退钱款到了吗") == "退款到了吗"  # the longer alias first
    assert syn.apply("退錢款到了嗎") == "退款到了吗"  # traditional script means the same alias
    assert syn.apply("my tg100 is broken, dwelling") == "my dishwasher is broken, dwelling"
    assert not Synonyms([]) and Synonyms([]).apply("收据") == "收据"
    with pytest.raises(ConfigError, match=r"\[synonyms\] aliases"):
        Synonyms(["no colon here"])


async def test_the_bot_searches_with_the_deployments_words(
    kb: KnowledgeBase, demo_settings: Settings
) -> None:
    plain = Bot(kb, demo_settings.bot, demo_settings.kb)
    with_words = Bot(kb, demo_settings.bot, demo_settings.kb, synonyms=Synonyms(["发票: 收据"]))
    before = (await say(plain, "收据怎么开")).replies[0]
    after = (await say(with_words, "收据怎么开")).replies[0]
    assert before.decision != "answer"
    assert after.decision == "answer" and after.entry_id == "invoice-request-zh"
