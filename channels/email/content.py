"""Email bodies for people and for the bot: HTML to text, sanitized HTML, trimmed replies.

The bot reads only what the customer wrote this time: quoted history ("On ... wrote:",
"在 … 写道：", "---- 原始邮件 ----", an Outlook "From:/Sent:" block, "> " lines) and the
signature are cut. Agents get the full text and a sanitized copy of the HTML.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body (scripts and styles dropped)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is the last resort for broken markup
        return re.sub(r"<[^>]*>", " ", html.unescape(markup)).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitize_html(markup: str) -> str:
    """HTML safe to show agents: no scripts, handlers, styles or remote-loading tricks."""
    return nh3.clean(
        markup,
        tags={
            "a",
            "b",
            "i",
            "u",
            "em",
            "strong",
            "p",
            "br",
            "div",
            "span",
            "ul",
            "ol",
            "li",
            "table",
            "thead",
            "tbody",
            "tr",
            "td",
            "th",
            "blockquote",
            "pre",
            "code",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "img",
            "font",
            "small",
            "sub",
            "sup",
        },
        attributes={"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"}},
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def text_to_html(text: str) -> str:
    """Our plain-text reply as a minimal HTML alternative (escaped, line breaks kept)."""
    body = "<br>\n".join(html.escape(line) for line in text.split("\n"))
    return (
        f'<!DOCTYPE html><html><body><div style="white-space:pre-wrap">{body}</div></body></html>'
    )


# A line where quoted history starts (the rest of the body is history).
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^\s*在.{0,300}写道\s*[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*(原始邮件|原始郵件|回复的原邮件|转发的邮件)\s*-{2,}\s*$"),
    re.compile(r"^\s*_{20,}\s*$"),
    re.compile(r"^\s*Le .{0,300} a écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am .{0,300} schrieb .{0,200}:\s*$", re.I),
]
_HEADER_BLOCK_START = re.compile(r"^\s*\*?(From|发件人|寄件者|寄件人)\s*\*?\s*[:：]", re.I)
_HEADER_BLOCK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|发送时间|日期|时间|收件人|主题|寄件日期|傳送時間)\s*\*?\s*[:：]",
    re.I,
)
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*Sent from my \w+", re.I),
    re.compile(r"^\s*Get Outlook for ", re.I),
    re.compile(r"^\s*(发自我的|发自|來自我的|从我的).{0,30}(iPhone|iPad|手机|Android|邮箱|客户端)"),
]


def trim_reply(text: str) -> str:
    """What the customer wrote this time: quoted history and signature cut; never empty."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if any(p.match(line) for p in _QUOTE_HEADERS) or (
            i + 1 < len(lines)
            and _QUOTE_HEADERS[0].match(joined)
            and not lines[i + 1].startswith(">")
            and line.strip().lower().startswith("on ")
        ):
            cut = i
            break
        if _HEADER_BLOCK_START.match(line) and any(
            _HEADER_BLOCK_NEXT.match(nxt) for nxt in lines[i + 1 : i + 4]
        ):
            cut = i
            break
        if any(p.match(line) for p in _SIGNATURE):
            cut = i
            break
    kept = lines[:cut]
    tail = [t for t in lines[cut + 1 :] if t.strip()]
    if tail and tail[0].lstrip().startswith(">"):
        answers = [t for t in tail if not t.lstrip().startswith(">")]
        if answers and not any(p.match(t) for t in answers[:1] for p in _QUOTE_HEADERS):
            # Interleaved ("inline") reply: the answers sit between the quoted lines.
            inline = [t for t in lines[cut + 1 :] if not t.lstrip().startswith(">")]
            kept = [*kept, "", *inline]
            for j, t in enumerate(kept):
                if any(p.match(t) for p in _SIGNATURE + _QUOTE_HEADERS):
                    kept = kept[:j]
                    break
    # Trailing "> quoted" lines (and blank lines between them) are history too.
    while kept and (
        kept[-1].lstrip().startswith(">")
        or not kept[-1].strip()
        or re.match(r"^\s*[-_=*]{5,}\s*$", kept[-1])
    ):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()
