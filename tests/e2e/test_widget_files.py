"""Browser test of the widget's other two ways to send a file (issue 15, "Attachments both
ways": button, paste, drop; the paste is in test_desk_day.py): the paperclip button and a drop
on the panel, a program dressed as a photo refused by its bytes and a file over the limit
refused before it is sent, each worded in the widget's language; the agent gets both files.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget
from tests.e2e.test_desk_day import PDF, _png

pytestmark = pytest.mark.e2e

CUSTOMER = '#kefu-messages .kefu-msg[data-sender="customer"]'

DROP_JS = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
  const panel = document.querySelector("#kefu-panel");
  for (const type of ["dragenter", "dragover", "drop"]) {
    panel.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }
}"""


def _choose(page: Any, name: str, mime: str, data: bytes) -> None:
    """The customer clicks the paperclip and picks a file in the browser's chooser."""
    with page.expect_file_chooser() as chooser:
        page.click("#kefu-attach")
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_paperclip_and_drop_send_files_and_bad_files_are_refused_in_words(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "你好", ".", senders=("bot",))

    _choose(vp, "发票.pdf", "application/pdf", PDF)
    doc = vp.locator(f"{CUSTOMER} a.kefu-file-doc")
    expect(doc).to_have_count(1)
    expect(doc).to_contain_text("发票.pdf")
    expect(vp.locator(f"{CUSTOMER}.kefu-pending")).to_have_count(0)  # stored: it has a seq

    vp.evaluate(DROP_JS, base64.b64encode(_png()).decode())
    photo = vp.locator(f"{CUSTOMER} img.kefu-image")
    expect(photo).to_have_count(1)
    vp.wait_for_function(
        "() => { const i = document.querySelector('#kefu-messages img.kefu-image');"
        " return i && i.complete && i.naturalWidth === 8; }"
    )

    # A program named like a photo: the server reads the bytes and refuses it.
    notice = vp.locator(".kefu-notice")
    _choose(vp, "照片.jpg", "image/jpeg", b"\x7fELF\x02\x01\x01" + b"\x00" * 120)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("不支持这种文件")
    # Over the limit (10 MB, told with the session): refused before anything is uploaded.
    _choose(vp, "视频.mp4", "video/mp4", b"\x00" * (10 * 1024 * 1024 + 1))
    expect(notice).to_have_text("文件太大，最大 10 MB")
    expect(vp.locator(CUSTOMER).filter(has_text="照片.jpg")).to_have_count(0)
    expect(vp.locator(CUSTOMER).filter(has_text="视频.mp4")).to_have_count(0)

    # The agent sees the two files that were sent, and nothing else.
    cid = _conversation_id(vp)
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    adp.goto(f"{base}/agent/#/c/{cid}")
    sent = adp.locator('#messages .msg[data-sender="customer"]')
    expect(sent.locator("img.msg-image")).to_have_count(1)
    expect(sent.locator(".msg-file")).to_have_count(1)
    expect(sent.locator(".msg-file")).to_contain_text("发票.pdf")
    _assert_clean(visitor, admin)
