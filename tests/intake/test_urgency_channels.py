"""Complaints said through a channel (a regulator, a court, the media, a payment dispute, a
consumer platform), quiet anger (sarcasm, resignation, contacting again and again) and
hazards in new words (furniture coming over, cables browning, a strange sound with fumes),
read by the rules alone; each with look-alikes that stay calm (issue 16, held-out set 10).
The wording here is in none of the labelled sets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intake.urgency import assess, lexicon

WORDS_ONLY = replace(lexicon(), thresholds=(1.0, 1.0, 1.0))


def rules(text: str) -> set[str]:
    """What the words and pairs find, without the learned model."""
    return set(assess(text, WORDS_ONLY).kinds)


@pytest.mark.parametrize(
    "text",
    [
        "再不处理我就申请消费仲裁",
        "我已经把材料递交给市场监督管理局了",
        "我准备写信给当地的新闻栏目组",
        "I've reported the fault to the Office of Fair Trading",
        "My solicitor is sending you a letter before claim",
        "I'll be asking my bank to claw the payment back",
        "找个说了算的来",
        "I want the person in charge to call me",
    ],
)
def test_a_complaint_through_a_channel(text: str) -> None:
    assert rules(text) == {"complaint"}


@pytest.mark.parametrize(
    "text",
    [
        "行，反正你们也不会在乎",
        "我真的在努力保持礼貌了",
        "Cheers for nothing, again",
        "Two days without hot water. Fantastic.",
        "Every time I ring I get a different story",
        "Oh brilliant, another missed appointment",
    ],
)
def test_quiet_anger(text: str) -> None:
    assert rules(text) == {"angry"}


@pytest.mark.parametrize(
    "text",
    [
        "The wardrobe toppled over onto my son",
        "衣柜倒下来压在我妈身上",
        "The cable has gone brown near the plug",
        "插线板的外壳已经熏黄了",
        "A fizzing noise and a chemical smell from the charger",
        "The drawer closed on her fingers and they've gone purple",
    ],
)
def test_hazards_in_new_words(text: str) -> None:
    assert rules(text) == {"hazard"}


@pytest.mark.parametrize(
    "text",
    [
        "我要向你们咨询一下电视的尺寸",
        "我今天要把旧电视发到闲鱼卖掉",
        "我去派出所办身份证了，明天才能收货",
        "The desk arrived with a snapped leg",
        "The unit fell over on the carpet but it is fine",
        "Oh great, it arrived early!",
        "I'd love to know if you sell the blue one",
        "Tell me how to begin a career as a journalist",
        "How does the small claims process work? Just curious",
        "This is feedback rather than a complaint",
        "Brilliant. Thanks!",
        "仲裁条款在合同第几条？",
        "The fridge makes a popping sound when it defrosts",
    ],
)
def test_look_alikes_stay_calm(text: str) -> None:
    assert rules(text) == set()
