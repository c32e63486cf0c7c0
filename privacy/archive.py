"""The export archive: one zip with ``contact.json`` and the attachment files.

Written to a temporary name next to its target and renamed, so a download never sees half an
archive. Attachments are stored under ``attachments/<key>-<label>``: the key keeps names
unique (two files called ``image.jpg``), the label keeps them recognisable to the customer.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from core.attachments import AttachmentStore
from privacy.collect import Bundle

FORMAT = "kefu-contact-export"


def write(bundle: Bundle, store: AttachmentStore, target: Path) -> int:
    """Write the archive of ``bundle`` to ``target`` (blocking); its size in bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    try:
        files: list[dict[str, object]] = []
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for key, info in sorted(bundle.attachments.items()):
                try:
                    path = store.path(key)
                except Exception:  # a malformed key in an old row: listed as missing
                    path = None
                label = re.sub(r"[^\w.-]+", "_", str(info.get("name") or info.get("kind") or ""))
                member = f"attachments/{key}" + (f"-{label[:80]}" if label else "")
                present = path is not None and path.is_file()
                if present and path is not None:
                    zf.write(path, member)
                files.append({**info, "file": member if present else None})
            doc = {
                "format": FORMAT,
                "version": 1,
                "exported_at": datetime.now(UTC).isoformat(),
                **bundle.data,
                "attachment_files": files,
            }
            zf.writestr("contact.json", json.dumps(doc, ensure_ascii=False, indent=2))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target.stat().st_size
