"""Urgency read from pairs of general words (a thing and its state, an act and its target),
the guards for the past, others' events, jokes and features, and the generated training
messages of the model (issue 16, held-out sets 7 and 8)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intake.urgency import assess, lexicon
from intake.urgency_model import grams
from intake.urgency_templates import EN_PRODUCTS, ZH_PRODUCTS, examples

WORDS_ONLY = replace(lexicon(), thresholds=(1.0, 1.0, 1.0))


def rules(text: str) -> set[str]:
    """What the words and pairs find, without the learned model."""
    return set(assess(text, WORDS_ONLY).kinds)


@pytest.mark.parametrize(
    "text",
    [
        # a battery or what holds one, swelling
        "平板的电池胀得屏幕都翘起来了",
        "The vape's cells have ballooned",
        # something heavy on the wall coming down
        "卧室电视的挂架松动了，电视往前倾斜",
        "The boiler is sagging off its bracket",
        # an injury to a part of someone
        "开罐器把我儿子的手指割伤了",
        "My daughter sliced her knuckle on the grater attachment",
        "My grandson was scalded by the steam wand",
        # a child and something going into their mouth
        "小孩把遥控器后盖的螺丝塞进嘴里了",
        "I think our toddler swallowed the little rubber foot",
        # a near miss
        "风扇的扇叶飞出来，差点伤到我老婆",
        # a safety device that did not act (read before product words are blanked)
        "取暖器翻倒在地毯上，还在加热",
        "The flame failure device didn't work, gas kept coming after the flame went out",
        # touching it and feeling it
        "手碰到冰箱门边就有点麻",
    ],
)
def test_a_thing_and_its_dangerous_state_is_a_hazard(text: str) -> None:
    assert rules(text) == {"hazard"}


@pytest.mark.parametrize(
    "text",
    [
        "今天不解决我就把这事发到朋友圈",
        "I'll be writing about this on Reddit tonight",
        "我会联系银行那边，把这笔钱追回",
        "I'm going to ask my card company to reverse it",
        "把我的问题转交给你们经理处理",
        "Please pass this to your supervisor",
        "不给说法的话我就去市长热线反映",
        "I'm contacting the local paper tomorrow",
    ],
)
def test_an_act_on_a_target_said_with_intent_is_a_complaint(text: str) -> None:
    assert rules(text) == {"complaint"}


@pytest.mark.parametrize(
    "text",
    [
        "说好的周三上门，结果一直没人来",
        "You promised a call back and nothing, again",
        "我特意请了一天假在家等，师傅没来",
        "I've been on hold for two hours now",
        "你们做生意还讲不讲诚信",
        "又是模板回复，能不能看看我的问题",
        "Stop sending me the same reply",
        "我的耐心已经用完了",
        "I have been more than patient",
        "买了你们的东西真后悔",
    ],
)
def test_quiet_anger_has_a_shape(text: str) -> None:
    assert rules(text) == {"angry"}


@pytest.mark.parametrize(
    "text",
    [
        # told as background to a question or with thanks
        "前年热水器漏过电，换了主板以后一直没事，想问下延保多少钱",
        "Our old kettle sparked years ago, should I get one with a cut-out?",
        "上个月插座冒火花，电工换了新的，谢谢",
        # someone else's, another brand's
        "邻居家的取暖器着过火，你们的有倾倒保护吗",
        "A friend's dryer caught fire (another brand), is yours safer?",
        # said in fun
        "开玩笑说这空调冷得要爆炸了，其实想问怎么调风速",
        "just kidding about the fire lol, how do I clean the grill",
        # a feature named by a hazard word
        "How long should the smoke setting run?",
        "电磁炉的爆炒模式功率是多少",
        # a device asked about
        "漏电保护插头失灵了能单独买吗",
        # everyday words that belong to a pair
        "电视怎么挂墙上，挂架多少钱",
        "How do I get my bank to stop the payment on a lost card?",
        "我手机划了一道痕，能换屏吗",
        "The app keeps hanging when I open it",
        "我要转人工",
        "What's the day off policy for your engineers?",
        "同样的东西淘宝上便宜",
        "质量保证几年？",
        "这个床垫又软又舒服",
        "what do you think I'm called",
    ],
)
def test_look_alikes_of_the_pairs_stay_calm(text: str) -> None:
    assert set(assess(text).kinds) == set()


def test_a_hazard_from_the_past_that_came_back_still_counts() -> None:
    assert "hazard" in rules("去年修过的插座又冒火花了，想问下怎么办")


def test_a_joke_denied_is_no_joke() -> None:
    assert rules("开个玩笑，我都想投诉这空调太冷了") == set()
    assert rules("我不是开玩笑，我要投诉") == {"complaint"}
    assert "complaint" in rules("Are you kidding me? I'm reporting you to trading standards")
    assert rules("just kidding, I'd never complain, how do I clean the filter") == set()


def test_disputing_reads_the_word_dispute() -> None:
    assert rules("I'm disputing this with my card issuer") == {"complaint"}


def test_a_complaint_about_how_something_was_handled_is_not_settled() -> None:
    assert rules("I want to make a formal complaint about how my visit was handled") == {
        "complaint"
    }
    assert rules("My complaint was resolved, thank you") == set()


def test_the_generated_messages_put_every_product_in_danger_and_in_calm() -> None:
    made = examples()
    assert made == examples()  # the same every run: training stays deterministic
    for products in (ZH_PRODUCTS, EN_PRODUCTS):
        for product in products:
            kinds = {frozenset(labels) for text, labels in made if product in text}
            assert frozenset({"hazard"}) in kinds and frozenset() in kinds, product
    assert {k for _, labels in made for k in labels} == {"hazard", "complaint", "angry"}


def test_function_words_are_not_pieces_of_their_own() -> None:
    pieces = grams("turn on the tv and the radio")
    assert "wthe" not in pieces and "wand" not in pieces and "g<and" not in pieces
    assert "bon the" in pieces and "wradio" in pieces  # pairs and content words stay
