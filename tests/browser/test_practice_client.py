"""The session client's rules (web/js/session-client.js and its modules), run in Chromium with a
scripted fetch: what is retried and how (same Idempotency-Key and body, backoff, Retry-After),
what stops the heartbeats, event batches, the provider switch, the end's queue and keepalive,
the legacy corrections' conversion; and the close-code table against speakpho.close_codes."""
from __future__ import annotations

import pytest
from speakpho import close_codes

pytestmark = pytest.mark.browser

# A scripted fetch: each call takes the next step ('network' throws; otherwise {status, data |
# error | body, headers}) and records what was sent and what the end queue held at that moment.
HARNESS = """
  localStorage.clear();
  const token = 'h.' + btoa(JSON.stringify({ sub: 'unit' })).replace(/=+$/, '') + '.s';
  const getToken = () => token;
  function scripted(steps) {
    const calls = [];
    const fetch = async (url, init) => {
      calls.push({ url: String(url), method: init.method, headers: init.headers, body: init.body,
                   keepalive: init.keepalive, queued: localStorage.getItem('speakpho.pendingEnds') });
      const step = steps.length ? steps.shift() : { status: 200 };
      if (step === 'network') throw new TypeError('Failed to fetch');
      const body = step.body !== undefined ? step.body : step.status < 300
        ? { success: true, data: step.data || {} }
        : { success: false, error: step.error || { code: 'x', message: 'refused' } };
      return new Response(JSON.stringify(body), { status: step.status, headers: step.headers || {} });
    };
    return { fetch, calls };
  }
  const sleeps = [];
  const sleep = async (ms) => { sleeps.push(ms); };
  const client = await import('/js/session-client.js');
  const usage = (used, limit = 1000) => ({ secondsUsed: used, secondsLimit: limit, secondsRemaining: limit - used,
                                          minutesUsed: used / 60, minutesRemaining: (limit - used) / 60 });
  const started = { sessionId: 's-1', provider: 'gemini', usage: usage(0) };
"""


def run(page, runner, body: str):
    if not page.url.startswith(runner.base):
        page.goto(runner.base + "/config.json")
    return page.evaluate("async () => {" + HARNESS + body + "}")


def test_close_code_table_mirrors_speakpho_close_codes(page, runner):
    samples = [1000, 1001, 1002, 1005, 1006, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4001, 4500, 4999]
    page.goto(runner.base + "/config.json")
    web = page.evaluate("""async (codes) => {
        const m = await import('/js/close-codes.js');
        return { rows: Object.values(m.CLOSE_CODES),
                 samples: codes.map((c) => [c, m.closeCodeLabel(c), m.closeCodeSide(c)]),
                 none: [m.closeCodeLabel(null), m.closeCodeSide(null)] };
    }""", samples)
    assert web["rows"] == [{"code": c.code, "label": c.label, "cause": c.cause, "side": c.side}
                           for c in close_codes.CLOSE_CODES.values()]
    assert web["samples"] == [[c, close_codes.label(c), close_codes.side(c)] for c in samples]
    assert web["none"] == [close_codes.label(None), close_codes.side(None)]


def test_start_retries_with_the_same_key_and_body_and_honours_retry_after(page, runner):
    out = run(page, runner, """
      const { fetch, calls } = scripted(['network', { status: 503 }, { status: 429, headers: { 'Retry-After': '3' } },
        { status: 409, error: { code: 'request_in_progress' }, headers: { 'Retry-After': '1' } },
        { status: 201, data: started }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 60000 });
      const data = await c.start({ topic: 'food', difficulty: 'beginner', mode: 'coach', provider: 'gemini' });
      c.dispose();
      return { data, sleeps, keys: calls.map((x) => x.headers['Idempotency-Key']), bodies: calls.map((x) => x.body),
               auth: calls[0].headers.Authorization, state: c.state };
    """)
    assert out["data"]["sessionId"] == "s-1" and out["state"] == "active"
    assert len(set(out["keys"])) == 1 and len(out["keys"]) == 5 and len(out["keys"][0]) == 36
    assert set(out["bodies"]) == {'{"topic":"food","difficulty":"beginner","mode":"coach","provider":"gemini"}'}
    assert out["auth"].startswith("Bearer h.")
    assert out["sleeps"][2] >= 3000 and out["sleeps"][3] >= 1000   # Retry-After wins over a shorter backoff
    assert 250 <= out["sleeps"][0] <= 500 and 500 <= out["sleeps"][1] <= 1000   # backoff with jitter


def test_start_refused_402_is_limit_reached_with_the_usage(page, runner):
    out = run(page, runner, """
      const { fetch, calls } = scripted([{ status: 402, error: { code: 'limit_reached', message: 'no minutes left',
        details: { usage: usage(1000) } } }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null });
      try { await c.start({}); return 'started'; } catch (err) {
        return { name: err.name, status: err.status, usage: err.usage, latest: c.usage, calls: calls.length };
      }
    """)
    assert (out["name"], out["status"], out["calls"]) == ("LimitReachedError", 402, 1)   # not retried
    assert out["usage"]["secondsRemaining"] == 0 and out["latest"] == out["usage"]


@pytest.mark.parametrize("status, code", [(429, "start_rate_limited"), (429, "daily_session_limit"),
                                          (403, "email_unverified")])
def test_start_refused_by_the_learners_limits_or_identity_is_not_retried(page, runner, status, code):
    out = run(page, runner, """
      const { fetch, calls } = scripted([{ status: %d, error: { code: '%s', message: 'try again later' },
        headers: { 'Retry-After': '3000' } }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null });
      try { await c.start({}); return 'started'; } catch (err) {
        return { status: err.status, code: err.code, message: err.message, calls: calls.length, sleeps };
      }
    """ % (status, code))
    assert out == {"status": status, "code": code, "message": "try again later", "calls": 1, "sleeps": []}


def test_heartbeats_back_off_on_errors_stop_at_the_limit_and_raise_each_notice_once(page, runner):
    out = run(page, runner, """
      const beat = (used, limitReached = false) => ({ status: 200, data: { sessionSeconds: used, usage: usage(used), limitReached } });
      const { fetch, calls } = scripted([{ status: 201, data: started }, beat(500), { status: 503 }, 'network',
        { status: 429 }, beat(850), beat(900), beat(1000, true)]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 40, random: () => 0.5 });
      const seen = [];
      c.on('threshold', (level) => seen.push(`notice ${level}`));
      c.on('heartbeatFailed', (reply) => seen.push(`failed ${reply.status}`));
      const limited = new Promise((resolve) => c.on('limit', (u) => { seen.push(`limit ${u.secondsUsed}`); resolve(); }));
      await c.start({});
      await limited;
      await new Promise((r) => setTimeout(r, 200));   // nothing more is sent after the limit
      c.dispose();
      return { seen, paths: calls.map((x) => x.url), bodies: calls.slice(1).map((x) => x.body) };
    """)
    assert out["seen"] == ["failed 503", "failed 0", "failed 429", "notice 80", "notice 100", "limit 1000"]
    assert out["paths"] == ["/api/session/start"] + ["/api/session/heartbeat"] * 7
    assert set(out["bodies"]) == {'{"sessionId":"s-1"}'}


def test_the_heartbeat_interval_is_the_start_answers_unless_fixed(page, runner):
    """`heartbeatIntervalSeconds` of the start answer sets the interval; an answer without it (a
    replay of a start answered before the field) gets 60 s; the `heartbeatMs` option fixes it."""
    out = run(page, runner, """
      const intervals = {};
      const fast = { ...started, heartbeatIntervalSeconds: 1 };
      for (const [name, answer, option] of [['given', fast, undefined], ['absent', started, undefined],
                                            ['fixed', fast, 40]]) {
        const { fetch, calls } = scripted([{ status: 201, data: answer }]);
        const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: option });
        await c.start({});
        const began = performance.now();
        if (name !== 'absent') {   // the first heartbeat comes after the interval
          while (calls.length < 2 && performance.now() - began < 3000) await new Promise((r) => setTimeout(r, 20));
        }
        intervals[name] = { ms: c.heartbeatMs, beat: calls.length > 1 ? Math.round(performance.now() - began) : null };
        c.dispose();
      }
      return intervals;
    """)
    assert out["given"]["ms"] == 1000 and 900 <= out["given"]["beat"] < 2500
    assert out["absent"] == {"ms": 60_000, "beat": None}
    assert out["fixed"]["ms"] == 40 and out["fixed"]["beat"] < 900


def test_heartbeats_stop_when_the_server_closed_the_session(page, runner):
    out = run(page, runner, """
      const { fetch, calls } = scripted([{ status: 201, data: started },
        { status: 409, error: { code: 'session_not_active', message: 'session is not active' } }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 30 });
      const lost = new Promise((resolve) => c.on('sessionLost', (err) => resolve(err.code)));
      await c.start({});
      const code = await lost;
      await new Promise((r) => setTimeout(r, 150));
      c.dispose();
      return { code, calls: calls.length };
    """)
    assert out == {"code": "session_not_active", "calls": 2}


def test_events_travel_in_batches_of_50_and_a_failed_call_is_sent_again_unchanged(page, runner):
    out = run(page, runner, """
      const { fetch, calls } = scripted([{ status: 201, data: started }, { status: 500 }, { status: 200 }, { status: 200 }, { status: 200 }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 60000 });
      await c.start({});
      c.recordEvent({ type: 'provider_connected', connectMs: 812.4 });
      for (let i = 0; i < 118; i += 1) c.recordEvent({ type: 'reconnect_attempt' });
      c.recordEvent({ type: 'provider_disconnected', code: 1011, reason: 'boom', connectMs: 5 });
      await c.events.flight;
      c.dispose();
      const sent = calls.slice(1).map((x) => JSON.parse(x.body));
      return { sizes: sent.map((b) => b.events.length), same: calls[1].body === calls[2].body,
               first: sent[0].events[0], last: sent[3].events.at(-1), pending: c.events.pending.length,
               ids: new Set(sent.slice(1).flatMap((b) => b.events.map((e) => e.eventId))).size };
    """)
    assert out["sizes"] == [50, 50, 50, 20] and out["same"] is True and out["pending"] == 0 and out["ids"] == 120
    first, last = out["first"], out["last"]
    assert first["type"] == "provider_connected" and first["connectMs"] == 812 and first["provider"] == "gemini"
    assert isinstance(first["at"], int) and len(first["eventId"]) == 36
    assert last == {**last, "type": "provider_disconnected", "code": 1011, "reason": "boom"} and "connectMs" not in last


def test_a_switch_whose_answer_was_lost_is_done_when_the_retry_says_provider_unchanged(page, runner):
    out = run(page, runner, """
      const { fetch, calls } = scripted([{ status: 201, data: started }, 'network',
        { status: 409, error: { code: 'provider_unchanged', message: 'session already uses openai' } }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 60000 });
      await c.start({});
      await c.switchProvider('openai', { code: 1011, reason: 'provider error' });
      c.dispose();
      return { provider: c.provider, bodies: calls.slice(1).map((x) => x.body) };
    """)
    assert out["provider"] == "openai"
    assert out["bodies"] == ['{"sessionId":"s-1","provider":"openai","disconnectCode":1011,"disconnectReason":"provider error"}'] * 2


def test_the_end_is_queued_before_it_is_sent_and_sent_again_unchanged_until_answered(page, runner):
    out = run(page, runner, """
      const answer = { totalSecondsUsed: 90, secondsRemaining: 910, totalMinutesUsed: 1.5, minutesRemaining: 15.17,
                       creditedSeconds: 0, session: { id: 's-1' } };
      const { fetch, calls } = scripted([{ status: 201, data: started }, { status: 502 }, 'network', { status: 200, data: answer }]);
      const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 60000 });
      const pending = [];
      c.on('endPending', (p) => pending.push(p.reason));
      await c.start({});
      c.addMessage({ role: 'user', text: 'Xin chào', timestamp: 5 });
      c.addCorrection({ original: 'a', correction: 'b', category: 'not-a-category', explanation: 'c' });
      c.recordEvent({ type: 'reconnect_attempt' });   // not sent yet: it goes with the end
      const result = await c.end();
      const ends = calls.filter((x) => x.url.endsWith('/api/session/end'));
      return { result: result.totalSecondsUsed, state: c.state, pending, usage: c.usage.secondsRemaining,
               bodies: new Set(ends.map((x) => x.body)).size, tries: ends.length, queuedFirst: JSON.parse(ends[0].queued),
               after: localStorage.getItem('speakpho.pendingEnds'), body: JSON.parse(ends[0].body) };
    """)
    assert out["result"] == 90 and out["state"] == "ended" and out["pending"] == ["network"] and out["usage"] == 910
    assert out["tries"] == 3 and out["bodies"] == 1 and out["after"] is None
    assert [e["sessionId"] for e in out["queuedFirst"]] == ["s-1"] and out["queuedFirst"][0]["user"] == "unit"
    body = out["body"]
    assert body["disconnectCode"] == 1000 and body["provider"] == "gemini" and body["providerSwitched"] is False
    assert body["messages"] == [{"role": "user", "text": "Xin chào", "timestamp": 5}]
    assert body["corrections"] == [{"original": "a", "correction": "b", "explanation": "c"}]   # unknown category left out
    assert [e["type"] for e in body["events"]] == ["reconnect_attempt"] and "pageClosed" not in body


def test_the_queue_delivers_once_keeps_refusals_and_other_learners_ends(page, runner):
    out = run(page, runner, """
      const { queueEnd, readQueue } = await import('/js/end-queue.js');
      const end = (sessionId, user, extra = {}) => ({ sessionId, user, queuedAt: Date.now(), body: { sessionId, messages: [], ...extra } });
      queueEnd(end('a', 'unit', { pageClosed: true, disconnectCode: 1001 }));
      queueEnd(end('b', 'unit'));
      queueEnd(end('c', 'someone-else'));
      queueEnd(end('d', 'unit'));
      const { fetch, calls } = scripted([
        { status: 422, error: { code: 'validation_error', details: [{ field: 'body.pageClosed' }] } }, { status: 200 },  // a
        { status: 404, error: { code: 'not_found' } },                                                                  // b
        { status: 409, error: { code: 'session_not_active' } },                                                         // d
      ]);
      const first = await client.flushPendingEnds({ getToken, fetch, sleep });
      const second = await client.flushPendingEnds({ getToken, fetch, sleep });
      return { first, second, left: readQueue().map((e) => [e.sessionId, e.rejected ? e.rejected.status : null]),
               bodies: calls.map((x) => JSON.parse(x.body)) };
    """)
    assert out["first"] == {"delivered": ["a", "d"], "kept": ["b"], "expired": []}
    assert out["second"] == {"delivered": [], "kept": [], "expired": []}   # nothing sent twice; a refusal not resent
    assert out["left"] == [["b", 404], ["c", None]]
    assert [b["sessionId"] for b in out["bodies"]] == ["a", "a", "b", "d"]
    assert out["bodies"][0]["pageClosed"] is True and "pageClosed" not in out["bodies"][1]   # an older API: sent without it


def test_a_closing_page_sends_the_end_with_keepalive_once_and_queues_what_keepalive_cannot_carry(page, runner):
    out = run(page, runner, """
      const results = [];
      for (const size of [10, 70 * 1024]) {
        localStorage.clear();
        const { fetch, calls } = scripted([{ status: 201, data: started }]);
        const c = new client.SessionClient({ getToken, fetch, sleep, window: null, heartbeatMs: 60000 });
        const closing = [];
        c.on('pageClosing', () => closing.push(true));
        await c.start({});
        c.addMessage({ role: 'coach', text: 'x'.repeat(Math.min(size, 4000)), timestamp: 1 });
        for (let n = 4000; n < size; n += 4000) c.addMessage({ role: 'user', text: 'y'.repeat(4000), timestamp: 2 });
        c.pageClosing();
        c.pageClosing();   // pagehide and visibilitychange both fire
        const ends = calls.filter((x) => x.url.endsWith('/api/session/end'));
        const queued = JSON.parse(localStorage.getItem('speakpho.pendingEnds'));
        results.push({ sent: ends.length, keepalive: ends.map((x) => x.keepalive), closing: closing.length,
                       state: c.state, queuedCode: queued[0].body.disconnectCode, pageClosed: queued[0].body.pageClosed,
                       sameBody: ends.length ? ends[0].body === JSON.stringify(queued[0].body) : null });
      }
      return results;
    """)
    small, big = out
    assert small == {"sent": 1, "keepalive": [True], "closing": 1, "state": "ending", "queuedCode": 1001,
                     "pageClosed": True, "sameBody": True}
    assert big["sent"] == 0 and big["queuedCode"] == 1001 and big["state"] == "ending"   # left for the next visit


def test_legacy_corrections_become_import_items(page, runner):
    out = run(page, runner, """
      const { toImportItem } = await import('/js/legacy-corrections.js');
      return [
        { original: 'a', correction: 'b', explanation: 'e', category: 'Word order', createdAt: 1700000000000 },
        { original: 'a', correction: 'b', category: 'slang', timestamp: 1700000000 },
        { original: 'a', correction: 'b', createdAt: '2026-11-02T10:00:00Z' },
        { original: '', correction: 'b' }, { original: 'a' }, 'text', { original: 'x'.repeat(4001), correction: 'b' },
      ].map(toImportItem);
    """)
    assert out == [
        {"original": "a", "correction": "b", "explanation": "e", "category": "word_order", "createdAt": 1700000000000},
        {"original": "a", "correction": "b", "createdAt": 1700000000000},
        {"original": "a", "correction": "b", "createdAt": 1793613600000},
        None, None, None, None]


def test_a_new_session_can_start_while_the_last_end_still_waits_for_its_answer(page, runner):
    out = run(page, runner, """
      let release;
      const gate = new Promise((resolve) => { release = resolve; });
      const { fetch, calls } = scripted([{ status: 201, data: started }, 'network',
        { status: 201, data: { ...started, sessionId: 's-2' } }, { status: 200, data: { totalSecondsUsed: 1 } }]);
      const c = new client.SessionClient({ getToken, fetch, sleep: () => gate, window: null, heartbeatMs: 60000 });
      await c.start({});
      const first = c.end();
      await new Promise((r) => setTimeout(r, 20));   // the first try failed; the retry waits
      await c.start({});
      release();
      const answer = await first;
      c.dispose();
      return { answer, state: c.state, sessionId: c.sessionId, queue: localStorage.getItem('speakpho.pendingEnds'),
               order: calls.map((x) => `${x.url} ${x.body && JSON.parse(x.body).sessionId}`) };
    """)
    assert out["answer"] == {"totalSecondsUsed": 1}
    assert (out["state"], out["sessionId"], out["queue"]) == ("active", "s-2", None)
    assert out["order"] == ["/api/session/start undefined", "/api/session/end s-1", "/api/session/start undefined",
                            "/api/session/end s-1"]
