"""``bot.language.words`` returns a message as it is when it has no markup and no link
(most messages; the regex scans are skipped), and exactly what the scans return otherwise."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.language import _ENTITY, _TAG, _URL, detect, has_content, words


def scanned(text: str) -> str:
    """The full scan, as words() does it when something may have to go."""
    text = _TAG.sub(" ", text)
    text = html.unescape(_ENTITY.sub(lambda m: html.unescape(m.group()), text))
    text = _TAG.sub(" ", text)
    return _URL.sub(" ", text).strip()


_PIECES = (
    "洗碗机", "坏了", "退货", " ", "\u3000", "\n", "my ", "dishwasher", "WWW", "www", ".", "Www.",
    "http", "https", "://", ":", "/", "<", ">", "b", "p", "br/", "!--", "--", "&", "amp", ";",
    "#39", "#x4e2d", "lt", "gt", "nbsp", "😀", "1", "İ", "K", "example.com", "？",
)  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=10).map("".join) | st.text(max_size=40))
def test_the_shortcut_gives_what_the_scans_give(text: str) -> None:
    assert words(text) == scanned(text)


def test_markup_links_and_words() -> None:
    assert words("  洗碗机坏了 ") == "洗碗机坏了"
    assert words("<p>洗碗机&nbsp;坏了</p>") == "洗碗机\xa0坏了"
    assert words("看这里 WWW.Example.com/x 谢谢") == "看这里   谢谢"
    assert detect("<b>&lt;i&gt;</b> 👍", "zh") == "zh" and not has_content("<p>&nbsp;</p>")
    assert detect("https://shop.example.com/o/1 123", "en") == "en"
