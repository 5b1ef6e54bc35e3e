"""Seeds the local runner through its real HTTP API (the same calls the app makes):
sessions with transcripts and corrections for a learner and a few other users, spread
over several days by moving the runner's clock (POST /local/clock); then the session story
of the seed's scenario (Gemini drops with 1011, a reconnect is attempted, the app switches
to OpenAI, which connects, the learner ends it), a session the sweeper closes and one still
live."""
from __future__ import annotations

import json
import time
import urllib.error
import uuid
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def data(self):
        payload = self.json()
        assert self.status < 300 and payload["success"] is True, (self.status, payload)
        return payload["data"]


class Http:
    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body=None, query: dict | None = None) -> Reply:
        url = self.base + path + (("?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}))
                                  if query else "")
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                return Reply(res.status, dict(res.headers), res.read())
        except urllib.error.HTTPError as err:
            return Reply(err.code, dict(err.headers), err.read())

    def get(self, path, **query):
        return self.call("GET", path, query=query or None)

    def post(self, path, body=None):
        return self.call("POST", path, body)

    def as_user(self, sub: str, *, admin: bool = False, email: str | None = None) -> "Http":
        body = {"sub": sub, "admin": admin}
        if email:
            body["email"] = email
        return Http(self.base, self.post("/local/token", body).data["token"])

    def advance(self, seconds: float) -> int:
        return self.post("/local/clock", {"advanceSeconds": seconds}).data["now"]


SEED_START_MS = 1_793_685_600_000  # 2026-11-03T06:00:00Z
LEARNER = "lan"
ADMIN = "root"
XSS_TOPIC = '<b>Bold</b> & <img src=x onerror="window.__xss=1">'

LEARNER_TOPICS = [  # oldest first
    "Ordering phở", XSS_TOPIC, "Asking directions", "Family", "The weather", "Hobbies",
    "Work", "At the market", "Travel plans", "The weekend", "Shopping", "Cà phê ở Hà Nội",
]

CORRECTIONS = [
    {"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở",
     "explanation": "Use 'em' when speaking to someone older", "category": "grammar"},
    {"original": "Cái này bao nhiêu tiền không?", "correction": "Cái này bao nhiêu tiền?",
     "explanation": "'bao nhiêu' already asks the question; drop 'không'", "category": "grammar"},
    {"original": "ma", "correction": "mà", "explanation": "Falling tone (dấu huyền)", "category": "tone"},
    {"original": "Tôi đi chợ hôm qua đã", "correction": "Hôm qua tôi đã đi chợ",
     "explanation": "Time words come first", "category": "word_order"},
    {"original": "xe đạp điện thoại", "correction": "điện thoại",
     "explanation": "'xe đạp' means bicycle", "category": "vocabulary"},
]


STORY_USER, SWEPT_USER, LIVE_USER = "thu", "duc", "linh"


@dataclass
class Seeded:
    learner_sessions: list[dict] = field(default_factory=list)   # oldest first: {id, topic, messages, corrections}
    total_sessions: int = 0
    now_ms: int = 0
    story: dict = field(default_factory=dict)   # the scenario: id, startedAt and the time of each step
    swept_id: str = ""
    live_id: str = ""


def _conversation(topic: str, start_ms: int, turns: int) -> list[dict]:
    lines = [("user", "Xin chào! Hôm nay tôi muốn nói về " + topic), ("coach", "Chào bạn! Bạn khỏe không?"),
             ("user", "Tôi khỏe, cảm ơn. Còn bạn?"), ("coach", "Mình cũng khỏe. Mình bắt đầu nhé!"),
             ("user", "Vâng, được ạ."), ("coach", "Rất tốt! Hẹn gặp lại.")]
    return [{"role": role, "text": text, "timestamp": start_ms + i * 15_000}
            for i, (role, text) in enumerate(lines[:turns])]


def run_session(client: Http, *, topic: str, mode: str, provider: str, seconds: int, turns: int = 4,
                corrections: list[dict] | None = None, switch_to: str | None = None,
                switch_code: int | None = None, end_code: int | None = None) -> dict:
    started = client.post("/api/session/start", {"topic": topic, "mode": mode, "provider": provider,
                                                  "difficulty": "intermediate"}).data
    session_id = started["sessionId"]
    messages = _conversation(topic, started["startedAt"], turns)
    if switch_to:
        client.advance(seconds // 2)
        client.post("/api/session/switch-provider", {"sessionId": session_id, "provider": switch_to,
                                                     "disconnectCode": switch_code,
                                                     "disconnectReason": "provider error"}).data
        client.advance(seconds - seconds // 2)
    else:
        client.advance(seconds)
    end = {"sessionId": session_id, "messages": messages, "corrections": corrections or [],
           "provider": switch_to or provider}
    if end_code is not None:
        end["disconnectCode"] = end_code
        end["disconnectReason"] = "socket closed"
    client.post("/api/session/end", end).data
    return {"id": session_id, "topic": topic, "messages": messages, "corrections": corrections or []}


def seed(base: str) -> Seeded:
    http = Http(base)
    learner = http.as_user(LEARNER, email="lan@example.com")
    minh = http.as_user("minh", email="minh@example.com")
    hoa = http.as_user("hoa", email="hoa@example.com")
    seeded = Seeded()

    # A fixed start (the runner's clock is moved there) keeps dates, and so the screenshots, the same on
    # every run; the sessions span about four days, inside the API's default range of the last 7 days.
    http.advance((SEED_START_MS - http.advance(0)) / 1000)
    for i, topic in enumerate(LEARNER_TOPICS):
        corrections = [CORRECTIONS[(i + k) % len(CORRECTIONS)] for k in range(i % 3)]
        kwargs = {}
        if i == 4:
            kwargs = {"switch_to": "openai", "switch_code": 1011}
        elif i == 7:
            kwargs = {"end_code": 1006}
        seeded.learner_sessions.append(run_session(
            learner, topic=topic, mode="coach" if i % 2 == 0 else "free", provider="gemini",
            seconds=60 + 5 * i, turns=4 + (i % 3), corrections=corrections, **kwargs))
        http.advance(8 * 3600)
        if i in (2, 6, 9):
            run_session(minh, topic="Phỏng vấn xin việc", mode="free", provider="openai", seconds=240,
                        end_code=1006 if i == 6 else None)
            http.advance(3600)
    run_session(hoa, topic="Giới thiệu bản thân", mode="coach", provider="gemini", seconds=300, end_code=1000)
    http.advance(3600)
    seeded.story = story_session(http, http.as_user(STORY_USER, email=f"{STORY_USER}@example.com"))
    http.advance(600)
    seeded.swept_id = swept_session(http, http.as_user(SWEPT_USER, email=f"{SWEPT_USER}@example.com"))
    http.advance(600)
    seeded.live_id = live_session(http, http.as_user(LIVE_USER, email=f"{LIVE_USER}@example.com"))
    seeded.total_sessions = len(LEARNER_TOPICS) + 7
    seeded.now_ms = http.advance(0)
    return seeded


def event(kind: str, at: int, provider: str, **fields) -> dict:
    """A client event of POST /api/session/events (speakpho.story)."""
    return {"eventId": str(uuid.uuid4()), "type": kind, "at": at, "provider": provider, **fields}


def send_events(client: Http, session_id: str, *events: dict) -> None:
    reply = client.post("/api/session/events", {"sessionId": session_id, "events": list(events)}).data
    assert reply["accepted"] == len(events), reply


def story_session(http: Http, client: Http) -> dict:
    """The seed's scenario, step by step on the runner's clock: on Gemini, connected, a 1011
    drop, a reconnect attempt, a switch to OpenAI caused by 1011, OpenAI connected, a silence
    without heartbeats, then the learner ends it normally."""
    started = client.post("/api/session/start", {"topic": "Đặt phòng khách sạn", "mode": "coach",
                                                  "provider": "gemini", "difficulty": "intermediate"}).data
    sid, t0 = started["sessionId"], started["startedAt"]
    steps = {"id": sid, "startedAt": t0, "connected": t0 + 1_500}
    http.advance(10)
    client.post("/api/session/heartbeat", {"sessionId": sid}).data
    send_events(client, sid, event("provider_connected", steps["connected"], "gemini", connectMs=900))
    http.advance(30)
    client.post("/api/session/heartbeat", {"sessionId": sid}).data
    now = http.advance(5)
    steps.update(disconnected=now - 7_000, reconnect=now - 5_500)
    send_events(client, sid,
                event("provider_disconnected", steps["disconnected"], "gemini", code=1011,
                      reason="Internal error encountered"),
                event("reconnect_attempt", steps["reconnect"], "gemini"))
    http.advance(5)
    steps["switched"] = client.post("/api/session/switch-provider", {
        "sessionId": sid, "provider": "openai", "disconnectCode": 1011,
        "disconnectReason": "Gemini closed with 1011"}).data["providerSwitchedAt"]
    http.advance(5)
    steps["openaiConnected"] = steps["switched"] + 1_500
    send_events(client, sid, event("provider_connected", steps["openaiConnected"], "openai", connectMs=700))
    # No sign of life for 130 s since the switch's grant (over twice the 60 s interval): the next heartbeat
    # records a heartbeat gap.
    http.advance(125)
    client.post("/api/session/heartbeat", {"sessionId": sid}).data
    steps["gapTo"] = http.advance(0)
    http.advance(25)
    messages = _conversation("khách sạn", t0, 6)
    end = client.post("/api/session/end", {"sessionId": sid, "messages": messages, "provider": "openai",
                                           "disconnectCode": 1000}).data
    steps["endedAt"] = end.get("endedAt") or http.advance(0)
    return steps


def swept_session(http: Http, client: Http) -> str:
    """A session whose app went away: no end, no heartbeat; the sweeper closes it (timeout)."""
    sid = client.post("/api/session/start", {"topic": "Du lịch Đà Nẵng", "mode": "free",
                                             "provider": "openai"}).data["sessionId"]
    http.advance(2)
    send_events(client, sid, event("provider_connected", http.advance(0), "openai", connectMs=650))
    http.advance(28)
    client.post("/api/session/heartbeat", {"sessionId": sid}).data
    http.advance(480)   # past its sweep deadline: STALE_AFTER_SECONDS (180) rounded up to SWEEP_BUCKET_SECONDS (300)
    http.post("/local/jobs/sweep").data
    return sid


def live_session(http: Http, client: Http) -> str:
    """A session still running when the tests look (the sweeper does not run again)."""
    sid = client.post("/api/session/start", {"topic": "Nấu ăn", "mode": "coach",
                                             "provider": "gemini"}).data["sessionId"]
    http.advance(1)
    send_events(client, sid, event("provider_connected", http.advance(0), "gemini", connectMs=820))
    http.advance(20)
    client.post("/api/session/heartbeat", {"sessionId": sid}).data
    return sid


def wait_for_rollups(admin: Http, total: int, timeout: float = 15.0) -> dict:
    """Admin stats come from rollups the stream pump feeds within about a second."""
    deadline = time.monotonic() + timeout
    while True:
        stats = admin.get("/api/admin/sessions").data["stats"]
        if stats["totalSessions"] == total or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


def seeded_corrections(seeded: Seeded) -> int:
    return sum(len(session["corrections"]) for session in seeded.learner_sessions)


def wait_for_mistakes(admin: Http, total: int, timeout: float = 15.0) -> dict:
    """The common mistakes come from the corrections table's stream (a second pump): until the
    default range's day cells count the seed's corrections."""
    deadline = time.monotonic() + timeout
    while True:
        stats = admin.get("/api/admin/corrections/stats").data
        if sum(stats["byCategory"].values()) == total or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


if __name__ == "__main__":  # seed a running `make dev`: python -m tests.browser.browser_seed [base]
    import sys

    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"
    result = seed(base_url)
    print(json.dumps(wait_for_rollups(Http(base_url).as_user(ADMIN, admin=True), result.total_sessions)))
