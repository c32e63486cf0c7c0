"""Grounded generation's parts (issue 19 item 6): the kept-to-source measure, reading a model's
reply, masking, and ``kefu kb eval --generate`` against a local chat-completions server."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.cli import _parser
from core.config import load_settings
from core.errors import ConfigError
from kb.commands import run_eval
from kb.evaluation import evaluate, report
from kb.generation import GenerationFailed, Generator, mask_personal, read_reply, sources
from kb.grounding import facts, grounding
from kb.settings import GenerationSettings
from kb.types import Hit
from tests.kb.fake_chat import INVENTED, KEY, MODEL, FakeChat

SET = Path(__file__).with_name("eval_generate")
SOURCE_ZH = (
    "在青禾家电App进入“我的订单”，选择对应订单点击“申请退货”，填写原因并上传商品照片即可提交。"
    "审核通过后我们会安排上门取件，请保持商品、配件、包装和赠品齐全。"
)
SOURCE_EN = (
    "In the Qinghe app, go to My Orders, choose the order, tap Apply for Return, give a reason "
    "and upload photos of the item. Once approved, we will arrange a pickup; please keep the "
    "product, accessories, packaging and gifts complete."
)


def hit(entry: str, answer: str, score: float = 0.9, language: str = "zh") -> Hit:
    return Hit(entry, f"{entry}?", answer, "c", language, None, score, score, 0.0, entry)


def test_a_paraphrase_keeps_to_its_source_and_an_invention_does_not() -> None:
    paraphrase = grounding(
        "您好！您可以在青禾家电App的“我的订单”中找到对应订单，点击“申请退货”，填写退货原因并上传"
        "商品照片后提交。审核通过后，我们会安排上门取件。请注意保持商品、配件、包装及赠品齐全哦。"
        "如有其他问题请随时联系我们。",
        [SOURCE_ZH],
    )
    assert paraphrase.counted == 3 and paraphrase.kept == 3  # greeting and closing: filler
    assert paraphrase.holds(1.0)
    invented = grounding("您可以直接到附近的门店办理退货，店员会当场为您退款。", [SOURCE_ZH])
    assert invented.kept == 0 and not invented.holds(0.5)
    english = grounding(
        "Sure! Open the Qinghe app, go to My Orders and pick the order, then tap Apply for "
        "Return. Give a reason and upload photos of the item. Returns are free and we refund "
        "you at once.",
        [SOURCE_EN],
    )
    assert (english.counted, english.kept) == (3, 2) and english.share == pytest.approx(2 / 3)


def test_a_number_phone_or_link_the_source_lacks_is_never_kept() -> None:
    source = [
        "签收次日起7天内可申请无理由退货，客服热线400-800-1234，详见 https://qh.example.cn/returns。"
    ]
    assert grounding("签收次日起七天内可申请无理由退货。", source).kept == 1  # 七 is 7
    for bad in (
        "签收次日起15天内可申请无理由退货。",
        "签收次日起7天内可申请无理由退货，客服热线400-800-9999。",
        "签收次日起7天内可申请无理由退货，详见 https://evil.example.com/returns。",
    ):
        measured = grounding(bad, source)
        assert measured.kept == 0 and measured.sentences[0].unsupported, bad
    assert grounding("热线 400 800 1234。", source).sentences[0].unsupported == ()
    assert facts("三个工作日，two weeks, 3-5天") == {"3", "2", "5"}


def test_nothing_counted_is_not_kept() -> None:
    assert not grounding("您好！", [SOURCE_ZH]).holds(0.0)
    assert not grounding("", [SOURCE_ZH]).holds(0.0)


def test_reading_a_reply_names_the_entry_and_strips_the_handles() -> None:
    sent = [hit("a", SOURCE_ZH), hit("b", "另一条答案")]
    assert read_reply("[E2] 另一条答案", sent) == ("另一条答案", sent[1])
    assert read_reply("<think>先想一想</think>【E1】您好", sent)[1] is sent[0]
    assert read_reply(SOURCE_ZH, sent)[1] is sent[0]  # no handle: the entry it keeps to
    for content, reason in (("NO_ANSWER", "declined"), ("[E1]", "empty"), ("[E5] x", "malformed")):
        with pytest.raises(GenerationFailed) as failed:
            read_reply(content, sent)
        assert failed.value.reason == reason


def test_sources_are_the_answered_entry_and_close_ones_in_the_customers_language() -> None:
    hits = [hit("a", "x", 0.9), hit("b", "y", 0.8), hit("c", "z", 0.5), hit("d", "w", 0.85, "en")]
    assert [h.entry_id for h in sources(hits, "zh", limit=3, floor=0.35)] == ["a", "b"]
    assert [h.entry_id for h in sources(hits, "zh", limit=1, floor=0.35)] == ["a"]
    assert sources(hits, "en", limit=3, floor=0.35) == []  # the answered entry is not English


def test_personal_data_is_masked() -> None:
    masked = mask_personal(
        "手机13812345678 座机0571-88886666 身份证110101199003071234 邮箱wang.fang@example.com "
        "地址杭州市西湖区文三路90号3栋201室 / 221 Baker Street, Apt 4"
    )
    for raw in ("13812345678", "88886666", "199003071234", "wang.fang", "文三路", "Baker"):
        assert raw not in masked
    assert "138****5678" in masked and "[地址]" in masked and "[address]" in masked
    product = "洗衣机XQG80-BD1426漏水，订单A100123"  # model and order numbers are not personal
    assert mask_personal(product) == product
    both = mask_personal("我住浙江省杭州市西湖区文三路90号，公司在上海市浦东新区张江路123号5栋")
    assert both == "我住[地址]，公司在[地址]"


def test_masking_a_long_message_takes_linear_time() -> None:
    """Masking runs on the event loop before the request: a 2,000-character message of
    address-like pieces (the web chat's limit) must not backtrack for seconds."""
    for text in ("路1" * 1000, "北京市朝阳区建国路" * 220, "路1号" + "a1" * 1000, "1 Main " * 300):
        started = time.perf_counter()
        mask_personal(text)
        assert time.perf_counter() - started < 0.5, text[:20]


def test_the_section_is_checked_and_the_key_hidden(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[generation\] base_url must start with http"):
        load_settings(None, env={"KEFU_GENERATION__BASE_URL": "localhost:11434/v1"})
    with pytest.raises(ConfigError, match=r"\[generation\] model must name"):
        load_settings(None, env={"KEFU_GENERATION__BASE_URL": "http://127.0.0.1:11434/v1"})
    env = {
        "KEFU_GENERATION__BASE_URL": "http://127.0.0.1:8000/v1",
        "KEFU_GENERATION__MODEL": "Qwen/Qwen2.5-7B-Instruct",
        "KEFU_GENERATION__API_KEY": KEY,
        "KEFU_GENERATION__TIMEOUT_SECONDS": "3",
    }
    settings = load_settings(None, env=env)
    assert settings.generation.enabled and settings.generation.timeout_seconds == 3.0
    from core.config import describe
    from core.logs import known_secrets

    assert describe(settings)["generation"]["api_key"] == "(set)"
    assert KEY in known_secrets(settings)
    assert not load_settings(None, env={}).generation.enabled  # off by default


@pytest.fixture
async def llm(aiohttp_server: Any) -> AsyncIterator[FakeChat]:
    fake = await FakeChat().start(aiohttp_server)
    yield fake
    fake.release.set()


INVENT = {"安装辅材怎么收费", "Who covers shipping both ways on a return?"}


async def test_eval_generate_tells_kept_replies_from_invented_ones(
    llm: FakeChat, cached_embedder: Any
) -> None:
    llm.by_question = dict.fromkeys(INVENT, "invent") | {"个人可以开发票吗": "500"}
    settings = GenerationSettings(base_url=llm.base_url, model=MODEL, api_key=KEY)
    generator = Generator(settings)
    try:
        data, results = await evaluate(
            SET,
            load_settings(None, env={}).kb,
            modes=("fused",),
            embedder=cached_embedder,
            generator=generator,
            generation=settings,
        )
    finally:
        await generator.close()
    body = report(data, results)
    gen = body["generation"]
    assert isinstance(gen, dict)
    asked = [llm.user_text(r) for r in llm.requests]
    invented = sum(1 for q in asked if q in INVENT)
    assert invented == len(INVENT)  # each of them was answered, so the model was asked
    assert gen["asked"] == len(asked) >= 5  # answered questions only: not the weather
    assert gen["failures"] == {"http_500": 1}
    replies = len(asked) - 1
    assert gen["replies"] == replies
    assert gen["kept_replies"] == round((replies - invented) / replies, 4)
    assert 0.5 < gen["kept_sentences"] < 1.0  # the invented replies' sentences, not kept
    assert gen["named_right"] == 1.0


async def test_the_eval_command_prints_the_generation_measures(
    llm: FakeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    llm.mode = "verbatim"
    args: argparse.Namespace = _parser().parse_args(
        ["kb", "eval", str(SET), "--mode", "fused", "--generate", "--generate-limit", "4", "--json"]
    )
    env = {
        "KEFU_GENERATION__BASE_URL": llm.base_url,
        "KEFU_GENERATION__MODEL": MODEL,
        "KEFU_GENERATION__API_KEY": KEY,
    }
    assert await run_eval(args, load_settings(None, env=env)) == 0
    gen = json.loads(capsys.readouterr().out)["generation"]
    assert gen["asked"] == 4 == len(llm.requests)
    assert gen["kept_replies"] == 1.0 and gen["kept_sentences"] == 1.0  # the entries verbatim
    with pytest.raises(ConfigError, match="--generate needs"):
        await run_eval(args, load_settings(None, env={}))


def test_the_fakes_inventions_are_inventions() -> None:
    """The fake's invented replies really are off-source for every entry of the set."""
    answers = [
        json.loads(line).get("answer", "")
        for line in (SET / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    for text in INVENTED.values():
        assert grounding(text, [a for a in answers if a]).kept == 0
