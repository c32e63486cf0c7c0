"""A deployment's own words: "退钱" means 退款, "TG100" is a dishwasher, "小天鹅" a brand.

``[synonyms] aliases`` lines read ``word: alias, alias``. Before the knowledge base is
searched, every alias in the customer's message is replaced by its word, so an entry written
with the word is found by the customer's alias, lexically and in meaning. Chinese aliases
match anywhere (Chinese has no spaces between words); Latin ones match whole words, case
aside. Longer aliases are replaced first ("退钱款" before "退钱"), and a replaced span is not
replaced again. Aliases and messages are compared in simplified Chinese (a customer writing
"退錢" means the alias "退钱").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.errors import ConfigError
from kb.text import simplified

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Synonyms:
    """Replaces a deployment's aliases by the knowledge base's words."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.words: dict[str, str] = {}  # alias (casefolded) -> word
        for line in lines:
            word, sep, aliases = line.partition(":")
            word = word.strip()
            if not sep or not word:
                raise ConfigError(
                    f"Config key [synonyms] aliases: {line!r} must read 'word: alias, alias'."
                )
            for alias in re.split(r"[,，、]", aliases):
                alias = simplified(alias.strip())
                if alias and alias.casefold() != word.casefold():
                    self.words[alias.casefold()] = word
        parts = []
        for alias in sorted(self.words, key=len, reverse=True):
            escaped = re.escape(alias)
            parts.append(escaped if _CJK.search(alias) else rf"(?<!\w){escaped}(?!\w)")
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def apply(self, text: str) -> str:
        """``text`` with every alias replaced by its word."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.words[m.group().casefold()], simplified(text))
