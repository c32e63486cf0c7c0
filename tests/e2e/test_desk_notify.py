"""Browser test of console notifications (issue 15): a sound that can be turned off and a
desktop notification when a customer is given to me.

Headless Chromium has neither speakers nor a notification centre, so the page's
``Notification`` and ``AudioContext`` are replaced by recorders before it loads; everything
else (the server, the widget, the console) is real.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _open_widget

pytestmark = pytest.mark.e2e

RECORDERS = """
window.__notes = [];
window.__beeps = 0;
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, opts) { window.__notes.push({ title, body: (opts && opts.body) || "" }); }
  close() {}
};
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; }
  createOscillator() {
    window.__beeps += 1;
    return { frequency: {}, connect: (g) => g, start() {}, stop() {} };
  }
  createGain() { return { gain: {}, connect: (d) => d }; }
};
"""


def test_a_new_customer_rings_and_notifies_and_the_sound_can_be_turned_off(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    agent = new_page("agent")
    ap = agent.page
    ap.add_init_script(RECORDERS)
    login(ap, base)
    expect(ap.locator("#agent-status")).to_have_value("online")
    bell = ap.locator("#sound-toggle")
    expect(bell).to_have_attribute("aria-pressed", "true")

    first = new_page("first")
    _open_widget(first, base)
    _ask(first.page, "我的洗衣机坏了", ".", senders=("bot", "system"))
    _ask(first.page, "转人工", "Demo Agent", senders=("system",))
    ap.wait_for_function("() => window.__notes.length >= 1")
    note = ap.evaluate("() => window.__notes[0]")
    assert note["title"].startswith("新分配的会话")
    assert ap.evaluate("() => window.__beeps") >= 1

    bell.click()  # sound off; notifications stay
    expect(bell).to_have_attribute("aria-pressed", "false")
    beeps = ap.evaluate("() => window.__beeps")
    second = new_page("second")
    _open_widget(second, base)
    _ask(second.page, "空调不制冷", ".", senders=("bot", "system"))
    _ask(second.page, "转人工", "Demo Agent", senders=("system",))
    ap.wait_for_function("() => window.__notes.length >= 2")
    assert ap.evaluate("() => window.__beeps") == beeps
    _assert_clean(agent, first, second)
