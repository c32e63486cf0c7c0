"""Triage: complaints, anger, safety words and VIPs are urgent; categories; rules."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.errors import ConfigError
from intake.feedback import parse_rating
from intake.settings import TriageSettings
from intake.triage import triage
from intake.triage_rules import TriageRule

CFG = load_settings(None, env={}).triage


def test_leaking_appliance_complaint_is_urgent_and_goes_to_the_supervisors() -> None:
    t = triage("洗衣机漏电了，我要投诉", CFG)
    assert (t.priority, t.category, t.sentiment) == ("urgent", "repair", "negative")
    assert t.kinds == ("hazard", "complaint") and set(t.terms) == {"漏电", "投诉"}
    assert t.skills == ("supervisor",)  # the [triage] routes queue, not the category's
    # Without routes, the category's rules decide the queue as before.
    plain = load_settings(None, env={}, overrides={"triage": {"routes": []}}).triage
    assert triage("洗衣机漏电了，我要投诉", plain).skills == ("repair",)
    own = load_settings(
        None, env={}, overrides={"triage": {"routes": ["hazard: safety, repair"]}}
    ).triage
    assert triage("洗衣机漏电了，我要投诉", own).skills == ("safety", "repair")


def test_questions_and_negations_are_not_urgent() -> None:
    for text in ("投诉流程是什么", "不是投诉，想问安装时间", "冰箱没有漏电，就是不制冷"):
        t = triage(text, CFG)
        assert (t.priority, t.kinds, t.sentiment) == ("normal", (), "neutral"), text


def test_plain_question_is_normal_and_kb_category_wins() -> None:
    t = triage("请问什么时候发货", CFG)
    assert (t.priority, t.category, t.sentiment) == ("normal", "delivery", "neutral")
    assert triage("请问什么时候发货", CFG, kb_category="returns").category == "returns"


def test_safety_and_anger_in_english() -> None:
    assert triage("There is smoke coming out of the dryer", CFG).priority == "urgent"
    assert triage("This is unacceptable, worst service ever", CFG).priority == "urgent"


def test_vip_rule_and_config() -> None:
    assert triage("冰箱坏了", CFG, tier="vip").priority == "urgent"
    # The default rule "repair and vip -> urgent" would still apply: drop the rules too.
    off = load_settings(
        None, env={}, overrides={"triage": {"vip_is_urgent": False, "rules": []}}
    ).triage
    t = triage("冰箱坏了", off, tier="vip")
    assert t.priority == "normal" and t.skills == ()


def test_ratings_in_words_and_numbers() -> None:
    assert [parse_rating(x) for x in ("5", "５分", " 3 ", "满意", "不满意", "Very satisfied")] == [
        5,
        5,
        3,
        4,
        2,
        5,
    ]
    assert parse_rating("6") is None and parse_rating("怎么退货") is None


def test_a_bad_rule_stops_the_load_naming_its_line() -> None:
    """The rules are parsed when the settings are made: a bad line never reaches a ticket."""
    good = 'category = "repair" -> skills = ["repair"]'
    with pytest.raises(ConfigError) as info:
        load_settings(
            None,
            env={},
            overrides={"triage": {"rules": [good, 'colour = "red" -> priority = "high"']}},
        )
    assert info.value.message == (
        "Config key [triage] rules line 2 has a bad condition 'colour = \"red\"' "
        '(use category|tier|priority|channel|sentiment = "value").'
    )
    with pytest.raises(ConfigError, match=r"\[triage\] categories line 1 must be 'name: word"):
        TriageSettings(categories=["no colon here"])


def test_triage_applies_the_rules_parsed_at_load() -> None:
    cfg = load_settings(
        None,
        env={},
        overrides={
            "triage": {"rules": ['channel = "email" -> priority = "high", skills = ["mail"]']}
        },
    ).triage
    assert cfg.plan.rules == (TriageRule((("channel", "email"),), "high", None, ("mail",)),)
    cfg.rules.clear()  # the lines as written are not read again: triage uses the parsed plan
    t = triage("请问什么时候发货", cfg, channel="email")
    assert (t.priority, t.skills) == ("high", ("mail",))
