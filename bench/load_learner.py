"""One simulated learner of `make load`: a realistic session over HTTP, step by step.

The coordinator (bench/load.py) owns the clock. A learner only acts when told to:

    begin()     start (with an Idempotency-Key)
    tick(k)     heartbeat k (the clock has just moved one heartbeat interval); at some steps
                client events and a provider switch; at its last step the end (transcript of
                ~40 messages and 5 corrections), then a history read and one review
"""
from __future__ import annotations

import http.client
import json
import time
import uuid
from dataclasses import dataclass, field

EVENTS_ROUTE = "/api/session/events"
CATEGORIES = ("grammar", "tone", "vocabulary", "word_order", "pronunciation")
PHRASES = ("Xin chào, hôm nay bạn thế nào?", "Tôi muốn ăn phở bò.", "Bao nhiêu tiền một bát?",
           "Em đi chợ với mẹ.", "Cảm ơn, tôi hiểu rồi.")


class CallFailed(RuntimeError):
    pass


@dataclass
class Recorder:
    """Shared by the learners of one run: latencies per route, and every failure."""
    latencies: dict = field(default_factory=dict)   # route -> [seconds]
    errors: list = field(default_factory=list)
    reconnects: list = field(default_factory=list)   # routes whose kept-alive connection had to be reopened

    def add(self, route: str, seconds: float) -> None:
        self.latencies.setdefault(route, []).append(seconds)   # list.append is atomic under the GIL

    def fail(self, message: str) -> None:
        self.errors.append(message)


class Learner:
    def __init__(self, index: int, run_id: str, port: int, recorder: Recorder, *, heartbeat_seconds: int,
                 steps: int, switch_at: int | None, events: bool, token: str, now_ms) -> None:
        self.user = f"load-{run_id}-{index:04d}"
        self.index, self.port, self.recorder = index, port, recorder
        self.heartbeat_seconds, self.steps, self.switch_at, self.events = heartbeat_seconds, steps, switch_at, events
        self.now_ms = now_ms    # the simulated clock, as the coordinator last set it
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.provider = ("gemini", "openai")[index % 2]
        self.session_id: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    # http ----------------------------------------------------------------------
    def call(self, route: str, method: str, path: str, body=None, headers: dict | None = None,
             expect: int | tuple = 200):
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        for attempt in (1, 2):   # a keep-alive connection the server closed is reopened once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=payload, headers={**self.headers, **(headers or {})})
                response = self.conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 2:
                    raise CallFailed(f"{self.user}: {route} -> {type(exc).__name__}: {exc}") from exc
                self.recorder.reconnects.append(route)   # a keep-alive connection the server had closed
                continue
            self.recorder.add(route, time.perf_counter() - started)
            if response.status not in (expect if isinstance(expect, tuple) else (expect,)):
                raise CallFailed(f"{self.user}: {route} -> {response.status} {raw[:200]!r}")
            return (json.loads(raw) if raw else {}).get("data") or {}
        return None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _event(self, kind: str, provider: str, **extra) -> dict:
        return {"eventId": str(uuid.uuid4()), "type": kind, "at": self.now_ms(), "provider": provider, **extra}

    def send_events(self, events: list[dict]) -> None:
        if self.events:
            self.call(f"POST {EVENTS_ROUTE}", "POST", EVENTS_ROUTE, {"sessionId": self.session_id, "events": events},
                      expect=(200, 201, 202, 204))   # the route is being built: any success will do

    # the session ---------------------------------------------------------------
    def begin(self) -> None:
        started = self.call("POST /api/session/start", "POST", "/api/session/start",
                            {"topic": "food", "mode": ("coach", "free")[self.index % 3 == 0],
                             "provider": self.provider},
                            headers={"Idempotency-Key": str(uuid.uuid4())}, expect=201)
        self.session_id = started["sessionId"]

    def tick(self, k: int) -> None:
        """Heartbeat k, then whatever this learner does at that moment."""
        self.call("POST /api/session/heartbeat", "POST", "/api/session/heartbeat", {"sessionId": self.session_id})
        if k == 1:
            self.send_events([self._event("provider_connected", self.provider, connectMs=420 + self.index % 300)])
        if k == self.switch_at:
            old, new = self.provider, ("openai" if self.provider == "gemini" else "gemini")
            self.send_events([self._event("provider_disconnected", old, code=1006, reason="socket closed"),
                              self._event("reconnect_attempt", old)])
            self.call("POST /api/session/switch-provider", "POST", "/api/session/switch-provider",
                      {"sessionId": self.session_id, "provider": new, "disconnectCode": 1006})
            self.provider = new
            self.send_events([self._event("provider_connected", new, connectMs=610)])
        if k == self.steps:
            self.finish()

    def finish(self) -> None:
        start_ms = self.now_ms() - self.steps * self.heartbeat_seconds * 1000
        messages = [{"role": "user" if i % 2 else "coach", "text": f"{PHRASES[i % len(PHRASES)]} ({i})",
                     "timestamp": start_ms + i * 15_000} for i in range(40)]
        corrections = [{"original": f"Tôi muốn ăn phở {i}", "correction": f"Em muốn ăn phở {i}",
                        "explanation": "Xưng hô với người lớn tuổi hơn", "category": CATEGORIES[i]}
                       for i in range(5)]
        code = 1006 if self.index % 10 == 0 else 1000
        ended = self.call("POST /api/session/end", "POST", "/api/session/end", {
            "sessionId": self.session_id, "disconnectCode": code, "provider": self.provider,
            "providerSwitched": self.switch_at is not None, "messages": messages, "corrections": corrections})
        charged = ended["session"].get("secondsUsed") if isinstance(ended.get("session"), dict) else None
        expected = self.steps * self.heartbeat_seconds
        if charged is not None and charged != expected:
            self.recorder.fail(f"{self.user}: charged {charged} s for a {expected} s session")
        history = self.call("GET /api/learning/history", "GET", "/api/learning/history?limit=10")
        if not any(s.get("id") == self.session_id for s in history.get("sessions", [])):
            self.recorder.fail(f"{self.user}: the ended session is not in the history")
        due = self.call("GET /api/learning/review", "GET", "/api/learning/review?limit=20")
        if len(due.get("corrections", [])) != len(corrections):
            self.recorder.fail(f"{self.user}: {len(due.get('corrections', []))} corrections due, expected 5")
            return
        first = due["corrections"][0]["id"]
        self.call("PATCH /api/learning/corrections/{id}", "PATCH", f"/api/learning/corrections/{first}",
                  {"confidenceLevel": 4}, headers={"Idempotency-Key": str(uuid.uuid4())})
        self.close()
