"""Charsets: decode mail bytes and RFC 2047 headers without silently damaging text.

Chinese mail is often labelled with a narrower charset than it uses: ``gb2312`` / ``gbk``
are read as their superset ``gb18030``, ``big5`` as ``big5hkscs``. A label that does not fit
the bytes (a "GB2312" body that is really UTF-8) is corrected when the bytes are valid UTF-8;
when nothing decodes cleanly, the text is decoded with replacement characters and flagged as
damaged, so the caller can log it and keep the raw message.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass

ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-1": "cp1252",  # mail labelled latin-1 is usually Windows-1252
    "us-ascii": "ascii",
    "ascii": "ascii",
    "unicode-1-1-utf-7": "utf-7",
}
# Charsets whose bytes are 7-bit or that UTF-8 cannot be confused with.
_NO_UTF8_GUESS = {"utf-8", "utf-7", "utf-16", "utf-32", "utf_8", "utf8"}
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs", "cp1252")


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, the codec that decoded it, and whether anything was lost."""

    text: str
    charset: str
    damaged: bool = False


def codec_for(label: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when unknown."""
    if not label:
        return None
    name = label.strip().strip('"').lower().split("*", 1)[0]
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None = None, *, guess: bool = True) -> Decoded:
    """Decode ``data`` labelled ``declared``: exact when possible, flagged when not.

    ``guess=False`` (header words, whose label names their bytes): a known label that does
    not fit is tried as UTF-8 only, then decoded with U+FFFD and flagged, never read as
    whatever legacy charset happens to accept the bytes (that is how mojibake is made).
    """
    codec = codec_for(declared)
    non_ascii = any(b > 0x7F for b in data)
    if non_ascii and (codec is None or codec.replace("_", "-") not in _NO_UTF8_GUESS):
        # Valid UTF-8 with 8-bit bytes is almost never legacy text by chance; mislabels
        # (a "gb2312" body that is UTF-8) are common.
        try:
            return Decoded(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            pass
    if codec == "ascii" and non_ascii:
        codec = None
    if codec is None and non_ascii and _mostly_utf8(data):
        # UTF-8 with a stray or cut byte (a name truncated mid-character): read as UTF-8 with
        # U+FFFD for the bad byte and flagged, not as Windows-1252 mojibake of every letter.
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", damaged=True)
    fallbacks = _FALLBACKS if guess or codec is None else ("utf-8",)
    candidates = ([codec] if codec else []) + [c for c in fallbacks if c != codec]
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeError, LookupError):  # idna and punycode raise plain UnicodeError
            continue
        if name != codec and name in _CJK_GUESSES and not _plausible_cjk(text):
            continue  # Latin text that a double-byte codec happens to accept: try on
        return Decoded(text, name)
    name = codec or "utf-8"
    try:
        return Decoded(data.decode(name, errors="replace"), name, damaged=True)
    except (UnicodeError, LookupError):  # a codec without the "replace" error handler
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", damaged=True)


def _mostly_utf8(data: bytes) -> bool:
    """Whether unlabelled bytes are UTF-8 but for a few bad bytes: at least three well-formed
    multibyte characters and at most one bad byte for every four of them. Latin-1 or GBK text
    forms well-formed UTF-8 sequences only here and there, never mostly those."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return good >= 3 and bad * 4 <= good


_CJK_GUESSES = ("gb18030", "big5hkscs")
_HAN = r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
_SANDWICHED = re.compile(rf"(?<=[A-Za-z]){_HAN}(?=[A-Za-z])")
_HAN_RUN = re.compile(rf"{_HAN}{{2,}}")


def _plausible_cjk(text: str) -> bool:
    """Whether unlabelled bytes read as GB18030 / Big5 look like Chinese, not Latin mojibake.

    Latin-1 bytes decode as valid GB18030 surprisingly often ("Forma\xe7\xe3o" becomes
    "Forma玢o"): the tell is a lone Han character inside a Latin word. Real Chinese text has
    runs of Han characters; a guess with more lone-in-a-word characters than runs is refused.
    """
    sandwiched = len(_SANDWICHED.findall(text))
    return sandwiched == 0 or len(_HAN_RUN.findall(text)) >= sandwiched


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    """The bytes an encoded-word carries, None when its encoding is broken."""
    try:
        if encoding in "Bb":
            payload = payload + "=" * (-len(payload) % 4)
            return base64.b64decode(payload, validate=False)
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def _decode_words(text: str) -> tuple[str, bool]:
    """Decode the RFC 2047 words of ``text``; True when something could not be read.

    Adjacent words (only white space between them, RFC 2047 6.2) of the same charset are
    joined as BYTES before decoding: an encoder may split one multibyte character across
    two words ("Domače omre" + "žje" in UTF-8 cut inside the "ž"), and
    decoding each word alone turns it into mojibake.
    """
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    out: list[str] = []
    damaged = False
    pos = 0
    run: list[bytes] = []
    run_charset: str | None = None

    def flush() -> None:
        nonlocal damaged, run_charset
        if run:
            decoded = decode_bytes(b"".join(run), run_charset, guess=False)
            damaged = damaged or decoded.damaged
            out.append(decoded.text)
            run.clear()
        run_charset = None

    for m in _ENCODED_WORD.finditer(text):
        if m.start() != pos:
            flush()
            out.append(text[pos : m.start()])
        charset, encoding, payload = m.group(1), m.group(2), m.group(3)
        raw = _word_bytes(encoding, payload)
        if raw is None:
            flush()
            damaged = True
            out.append(payload)
        else:
            label = (codec_for(charset) or charset.lower()).split("*", 1)[0]
            if run and label != run_charset:
                flush()
            run_charset = label
            run.append(raw)
        pos = m.end()
    flush()
    out.append(text[pos:])
    return "".join(out), damaged


_DOUBLE_BYTE = {"gb18030", "big5hkscs", "cp932", "cp949", "euc_jp", "shift_jis"}
_LATIN1_ONLY = re.compile(r"^[\x00-\xff]*$")


def _undo_double_encoding(text: str, hint: str | None) -> str:
    """Chinese (Japanese, Korean) bytes a broken mailer read as Latin-1 and wrote as UTF-8.

    "大補帖" in Big5, read as Latin-1 and written out as UTF-8, arrives as valid UTF-8
    "¤j¸É©«". When the mail's own charset is a double-byte one, the text holds nothing
    but Latin-1 characters, and the bytes those characters stand for read back cleanly in
    that charset as runs of Han characters (never one stranded inside a Latin word), the
    original is restored; anything else is left as it came.
    """
    codec = codec_for(hint)
    if codec not in _DOUBLE_BYTE or text.isascii() or not _LATIN1_ONLY.match(text):
        return text
    try:
        restored = text.encode("latin-1").decode(codec)
    except UnicodeError:
        return text
    if _SANDWICHED.search(restored) or not _HAN_RUN.search(restored):
        return text
    return restored


def decode_header(value: object, hint: str | None = None) -> Decoded:
    """An RFC 2047 / raw 8-bit header value as text (folding whitespace collapsed).

    ``damaged`` when some bytes could not be decoded cleanly (they are kept as U+FFFD, and
    the caller records the problem): never a guess that would store mojibake silently.
    """
    if value is None:
        return Decoded("", "ascii")
    text = str(value)
    damaged = False
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        # The parser kept raw 8-bit bytes as surrogates: decode them properly.
        raw = text.encode("ascii", "surrogateescape")
        first = decode_bytes(raw, hint)
        text, damaged = first.text, first.damaged
        if first.charset == "utf-8" and not damaged:
            text = _undo_double_encoding(text, hint)
    text = re.sub(r"\r?\n[ \t]+", " ", text)
    text, words_damaged = _decode_words(text)
    return Decoded(
        text.replace("\r", "").replace("\n", " ").strip(), "utf-8", damaged or words_damaged
    )
