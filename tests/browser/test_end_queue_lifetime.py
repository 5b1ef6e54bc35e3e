"""What the device keeps of unsent session ends (web/js/end-queue.js), in Chromium: a queued end
expires after 7 days (dropped unsent at the next visit, the learner told which), and signing
out drops that learner's queued ends (and only theirs), saying so on the sign-in page."""
from __future__ import annotations

import json

import pytest
from pagehelpers import expect, sign_in

pytestmark = pytest.mark.browser

DAY_MS = 24 * 3600 * 1000


def queue(page, runner, entries: list[dict]) -> None:
    """Puts ends in the origin's queue as the session client writes them."""
    if not page.url.startswith(runner.base):
        page.goto(runner.base + "/config.json")
    page.evaluate("list => localStorage.setItem('speakpho.pendingEnds', JSON.stringify(list))", entries)


def queued(page) -> list[tuple[str, str]]:
    return [(e["sessionId"], e["user"]) for e in json.loads(page.evaluate(
        "localStorage.getItem('speakpho.pendingEnds')") or "[]")]


def end(session_id: str, user: str, queued_at: int) -> dict:
    return {"sessionId": session_id, "user": user, "queuedAt": queued_at,
            "body": {"sessionId": session_id, "messages": [{"role": "user", "text": "Xin chào", "timestamp": 1}]}}


def test_expiry_and_the_notes_in_the_module(page, runner):
    page.goto(runner.base + "/config.json")
    out = page.evaluate("""async () => {
      localStorage.clear();
      const q = await import('/js/end-queue.js');
      const token = 'h.' + btoa(JSON.stringify({ sub: 'unit' })).replace(/=+$/, '') + '.s';
      const now = Date.UTC(2026, 10, 20, 12);
      const day = 24 * 3600 * 1000;
      const end = (sessionId, user, queuedAt) => ({ sessionId, user, queuedAt, body: { sessionId, messages: [] } });
      for (const e of [end('old', 'unit', now - 8 * day), end('edge', 'unit', now - 7 * day),
                       end('fresh', 'unit', now - 6 * day), end('theirs-old', 'other', now - 8 * day),
                       end('theirs', 'other', now - day), end('undated', 'unit', undefined)]) q.queueEnd(e);
      const sent = [];
      const fetch = async (url, init) => { sent.push(JSON.parse(init.body).sessionId);
        return new Response(JSON.stringify({ success: true, data: {} }), { status: 200 }); };
      const result = await q.flushPendingEnds({ getToken: () => token, fetch, now, sleep: async () => {} });
      return { expired: result.expired.map((e) => e.sessionId), delivered: result.delivered, sent,
               left: q.readQueue().map((e) => e.sessionId), maxAge: q.QUEUED_END_MAX_AGE_MS,
               one: q.droppedNote([end('a', 'unit', Date.UTC(2026, 10, 3))], 'expired'),
               two: q.droppedNote([end('a', 'unit', Date.UTC(2026, 10, 3)), end('b', 'unit', Date.UTC(2026, 10, 5))],
                                  'signedOut'),
               none: q.droppedNote([], 'expired') };
    }""")
    assert out["maxAge"] == 7 * DAY_MS
    assert out["expired"] == ["old", "edge", "undated"]          # 7 days and more, and a date it cannot read
    assert out["delivered"] == out["sent"] == ["fresh"]          # an expired end is never sent
    assert out["left"] == ["theirs"]                             # another learner's old end is dropped too
    assert out["one"] == ("1 conversation saved on this device (from Nov 3, 2026) could not be sent within 7 days "
                          "and was deleted from this device; it is not in your history.")
    assert out["two"] == ("2 conversations saved on this device and not yet sent (from Nov 3, 2026, Nov 5, 2026) "
                          "were deleted from this device when you signed out; they are not in your history.")
    assert out["none"] == ""


def test_a_visit_drops_an_expired_end_and_tells_the_learner(page, runner, clean_local_storage):
    page.goto(runner.base + "/config.json")
    now = page.evaluate("Date.now()")
    queue(page, runner, [end("expired-1", "minh", now - 8 * DAY_MS), end("kept-1", "someone", now - DAY_MS)])
    sign_in(page, runner, "/learning", "minh")
    expect(page.locator("#visit-status")).to_contain_text(
        "1 conversation saved on this device (from ")
    expect(page.locator("#visit-status")).to_contain_text("could not be sent within 7 days")
    assert queued(page) == [("kept-1", "someone")]


def test_sign_out_drops_that_learners_queued_ends_and_says_so(page, runner, clean_local_storage):
    sign_in(page, runner, "/learning", "hoa")
    now = page.evaluate("Date.now()")
    queue(page, runner, [end("hoa-1", "hoa", now - DAY_MS), end("hoa-2", "hoa", now),
                         end("lan-1", "lan", now)])
    page.click("#signout")
    status = page.locator("#signin-status")
    expect(status).to_contain_text("You have signed out. 2 conversations saved on this device and not yet sent")
    expect(status).to_contain_text("were deleted from this device when you signed out; they are not in your history.")
    assert queued(page) == [("lan-1", "lan")]                    # another learner's end stays for them
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    # lan's end goes when lan signs out. Signing in, the page also tries to send it (flushPendingEnds):
    # the server is made unreachable for ends, so that the end is still queued when lan signs out.
    page.route("**/api/session/end", lambda route: route.abort())
    sign_in(page, runner, "/learning", "lan")
    assert queued(page) == [("lan-1", "lan")]
    page.click("#signout")
    expect(page.locator("#signin-status")).to_contain_text("You have signed out. 1 conversation saved on this device")
    assert queued(page) == []
