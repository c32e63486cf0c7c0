"""What a file is, judged by its bytes (never its name), and whether kefu accepts it.

Customers and agents upload files (issue 15); the name and the browser's Content-Type are
whatever the sender says, so the type is read from the first bytes (the "magic numbers").
Only an allow-list is accepted: images the console and widget may preview (JPEG, PNG, GIF,
WebP), PDF, plain text, ZIP containers (and the Office documents inside them), MP4 video
and MP3/AMR audio. Executables, scripts, HTML, SVG and XML are refused: even served as a
download, a file that runs or renders markup has no business in a support chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from core.errors import BadRequest, PayloadTooLarge

# Types a browser may show inline without risk (no script, no markup).
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|head|body|iframe|object)", re.I)


@dataclass(frozen=True)
class FileType:
    """A recognised file: its attachment kind, a safe MIME type and a file extension."""

    kind: str  # image | video | voice | file
    mime: str
    ext: str


class UnsupportedFile(BadRequest):
    """The bytes are not of a type kefu accepts."""

    def __init__(self) -> None:
        super().__init__(
            "This type of file cannot be sent (images, PDF, text, Office documents, ZIP, "
            "MP4 and MP3 are accepted).",
            code="file_type",
        )


def sniff(data: bytes, name: str = "") -> FileType | None:
    """The type of ``data`` by its content; None when it is not on the allow-list.

    ``name`` only tells apart the Office formats, which are all ZIP files inside.
    """
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return FileType("image", "image/jpeg", ".jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType("image", "image/png", ".png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FileType("image", "image/gif", ".gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType("image", "image/webp", ".webp")
    if head.startswith(b"%PDF-"):
        return FileType("file", "application/pdf", ".pdf")
    if head.startswith(b"PK\x03\x04"):
        ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext in _OFFICE:
            return FileType("file", _OFFICE[ext], ext)
        return FileType("file", "application/zip", ".zip")
    if head[4:8] == b"ftyp":
        return FileType("video", "video/mp4", ".mp4")
    if head.startswith(b"#!AMR"):
        return FileType("voice", "audio/amr", ".amr")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return FileType("voice", "audio/mpeg", ".mp3")
    if _is_plain_text(data):
        return FileType("file", "text/plain", ".txt")
    return None


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 text with no NUL and no markup (HTML, SVG, XML): a note, a log, a CSV."""
    sample = data[:8192]
    if not sample or b"\x00" in sample or sample.startswith(b"#!"):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # not just a character cut at the sample's end
            return False
    return _MARKUP.search(data[:65536]) is None


def check(data: bytes, name: str = "") -> FileType:
    """The type of ``data``, or :class:`UnsupportedFile` (an error the client words)."""
    found = sniff(data, name)
    if found is None:
        raise UnsupportedFile()
    return found


def clean_name(name: str, ftype: FileType) -> str:
    """A display name: no path, no control characters, the extension the content says."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>]", "", base).strip(" .")[:120]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return (stem or "file") + ftype.ext


def too_large(limit: int) -> PayloadTooLarge:
    """The error for a file over ``limit`` bytes (clients word it with the limit in MB)."""
    return PayloadTooLarge(
        f"The file is larger than {limit // (1024 * 1024) or 1} MB.", code="file_too_large"
    )


@dataclass(frozen=True)
class Upload:
    """One file of a multipart upload, with the form's text fields."""

    data: bytes
    name: str
    fields: dict[str, str]


async def read_upload(request: web.Request, limit: int) -> Upload:
    """The ``file`` part of a ``multipart/form-data`` body (at most ``limit`` bytes) and its
    small text fields; :func:`too_large` past the limit, read no further."""
    if request.content_length is not None and request.content_length > limit + 65_536:
        raise too_large(limit)
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        raise BadRequest("Send the file as multipart/form-data.", code="bad_upload") from None
    data: bytes | None = None
    name = ""
    fields: dict[str, str] = {}
    while True:
        part: Any = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file" and data is None:
            name = part.filename or ""
            if "%" in name and name.isascii():  # some clients percent-encode UTF-8 names
                name = unquote(name)
            chunks: list[bytes] = []
            size = 0
            while chunk := await part.read_chunk(65_536):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
            data = b"".join(chunks)
        elif part.name and len(fields) < 8:
            raw = await part.read_chunk(16_384)
            fields[part.name] = raw.decode("utf-8", "replace")
    if not data:
        raise BadRequest("The upload has no file (or an empty one).", code="bad_upload")
    return Upload(data, name, fields)


def file_response(data: bytes, mime: str, name: str) -> web.Response:
    """A stored file as a safe download: images kefu previews are shown inline with their
    own type; everything else is ``attachment`` and ``application/octet-stream``. Never
    sniffed by the browser, and sandboxed should it be opened anyway."""
    inline = mime in PREVIEWABLE
    filename = re.sub(r"[\x00-\x1f\x7f\"\\/]", "_", name or "file")[:120] or "file"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return web.Response(
        body=data, content_type=mime if inline else "application/octet-stream", headers=headers
    )
