"""Hazards told inside a long letter or beside another person's name, a flame or a gas smell
said plainly, burns that blister, water reaching a socket, furniture leaning off the wall;
complaints through a lawyer, a card dispute or a tribunal; and look-alikes that stay calm:
a detector set off by cooking, products and slang named with "fire" (issue 16, held-out
set 11). Read by the rules alone; the wording here is in none of the labelled sets."""

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
        # happening now, though another clause names a neighbour or a report
        "I'm typing this on my neighbour's laptop. The toaster is smoking right now and the "
        "kitchen breaker keeps tripping.",
        "As I reported last week, the dehumidifier is now throwing sparks from the vent.",
        "邻居家的阿姨帮我打的字，取暖器现在还在冒烟，我不敢靠近",
        # a flame where none should be
        "Order 5512, two parcels, one arrived late. The extractor fan crackled and a flame "
        "came out of the motor housing.",
        "The toaster shows a little flame under the crumb tray even when switched off.",
        # a burn that blisters
        "暖手宝漏液，我妈烫起泡了",
        "热水袋漏了，洒到的地方烫脱皮了",
        # water reaching what carries power
        "The dishwasher has been leaking under the counter and onto the extension lead.",
        "空调内机的水漏到下面的插座上了",
        # a gas appliance that smells
        "煤气热水器这两天老有股怪味，开了窗还是能闻到",
        "The gas cooker gives off a whiff whenever the knob is turned to off.",
        # furniture leaning off the wall
        "新买的衣柜装好以后一直往前倾，孩子喜欢在旁边玩",
        "The tall bookcase you delivered is leaning forward badly even with the anchor fitted.",
    ],
)
def test_a_hazard_in_new_words(text: str) -> None:
    assert "hazard" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "这件事后续我会委托律师处理",
        "后续事宜由我的律师跟你们谈",
        "已经在银行App上对这笔扣款发起了争议，请知悉",
        "Please be aware I have lodged a case with the small business tribunal.",
    ],
)
def test_a_complaint_through_a_lawyer_a_card_or_a_tribunal(text: str) -> None:
    assert "complaint" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "油烟机没开的时候锅里冒烟就报警，这个报警器能调吗",
        "The hallway detector gives false alarms whenever the toast smokes a little.",
        "Searing steak makes enough smoke to set off the alarm every time.",
        "My electric fire won't switch on since the clocks changed, is there a reset?",
        "The fire pit we ordered came without the mesh lid, please send one.",
        "The fire bowl arrived with a chipped rim.",
        "My niece says the new colours are straight fire, can I order the blue one?",
    ],
)
def test_look_alikes_stay_calm(text: str) -> None:
    assert "hazard" not in rules(text)
