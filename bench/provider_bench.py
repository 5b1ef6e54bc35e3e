"""Provider access in `make bench`: what a call costs beyond DynamoDB.

The provider world is `make dev`'s (local/backend.py): the fake Gemini and fake OpenAI on
127.0.0.1 (local/providers.py), their keys in Secrets Manager and the hangup schedules in
EventBridge Scheduler, both moto in process (requests to the dynoxide endpoint pass through
it). Every provider call goes through speakpho.providers.http.post and every Scheduler call
through the one client speakpho.aws.scheduler_client(): both are counted per measured call.

Budgets, as the design makes them (speakpho/metering/access.py, grants.py, live.py, end.py):
  start on Gemini            2 DynamoDB (TransactGet, TransactWrite) + 1 provider call (the token)
  start on OpenAI            2 + 0 (the call comes with /connect)
  POST /api/session/access   2 (the session read, the grant's transaction) + 1 (the token)
  POST /api/session/connect  2 (the session read, one TransactGet with an Idempotency-Key's record;
                             the grant's transaction) + 1 (the call) + 1 scheduler call (its schedule)
  heartbeat that renews      3 (the heartbeat's update, the session read, the grant's transaction) + 1
  end of an OpenAI session   the end's 2 + 1 (the hangup) + 1 scheduler call (its schedule deleted)
  switch away from OpenAI    2 (the switch's update, the Gemini grant's transaction)
                             + 2 (the token, the hangup) + 1 scheduler call (the schedule deleted)
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import Counter

from bench.session_budgets import END_REQUESTS

SCHEDULER_COUNTER_ID = "bench-scheduler-calls"


class OutsideCalls:
    """Provider calls (by provider) and Scheduler calls, counted while installed."""

    def __init__(self) -> None:
        self.providers: Counter = Counter()
        self.scheduler = 0
        self._patched: list[tuple[object, object]] = []

    def install(self) -> None:
        # Both clients bind `post` (openai_rest by name): import them first, then wrap every
        # binding of the one function.
        from speakpho.providers import gemini_rest, http, openai_rest  # noqa: F401

        original = http.post

        def counted_post(provider, url, **kwargs):
            self.providers[provider] += 1
            return original(provider, url, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("speakpho.") and getattr(module, "post", None) is original:
                self._patched.append((module, original))
                module.post = counted_post

    def uninstall(self) -> None:
        for module, original in self._patched:
            module.post = original
        self._patched.clear()

    def _count_scheduler(self, **_) -> None:
        self.scheduler += 1

    def snapshot(self) -> tuple[Counter, int]:
        # The hook goes on whatever client the ports use now (deps.reset() makes a new one);
        # unique_id keeps it to one registration per client.
        from speakpho.aws import scheduler_client

        scheduler_client().meta.events.register("before-call.scheduler", self._count_scheduler,
                                                unique_id=SCHEDULER_COUNTER_ID)
        return Counter(self.providers), self.scheduler


class ProviderWorld:
    """The fakes, moto's Secrets Manager and Scheduler with the secrets and the schedule group,
    and the counters. Call speakpho.deps.reset() after start() (it sets the env the handlers read)."""

    def __init__(self) -> None:
        self.providers = None
        self.calls = OutsideCalls()
        self._mock = None

    def start(self) -> "ProviderWorld":
        from moto import mock_aws

        from local.providers import LocalProviders

        os.environ.pop("PROVIDERS", None)   # the fakes, always: the bench reaches no real provider
        self.providers = LocalProviders()
        self._mock = mock_aws()
        self._mock.start()
        self.providers.provision()
        self.calls.install()
        return self

    def hangups(self) -> list[dict]:
        return self.providers.log()["hangups"] if self.providers else []

    def stop(self) -> None:
        self.calls.uninstall()
        if self.providers:
            self.providers.stop()
        if self._mock:
            self._mock.stop()


class Browser:
    """A learner's browser placing OpenAI calls: aiortc peers with a microphone and the
    oai-events channel (as tests/local/test_provider_access_dev.open_call), on their own loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-browser", daemon=True)
        self.thread.start()
        self.peers: list = []

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def offer(self):
        from local.fakes.browser_peer import browser_offer

        pc = self._run(browser_offer())
        self.peers.append(pc)
        return pc

    def accept(self, pc, sdp: str) -> None:
        from aiortc import RTCSessionDescription

        self._run(pc.setRemoteDescription(RTCSessionDescription(sdp, "answer")))

    def close(self) -> None:
        async def shut_down():
            for pc in self.peers:
                await pc.close()
            # What aiortc leaves waiting (a connect whose peer hung up) ends here, not with the loop.
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

        self._run(shut_down())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def _connect(learner, browser: Browser, session_id: str):
    pc = browser.offer()
    answer, reading = learner.call("POST", "/api/session/connect", {"sessionId": session_id,
                                                                     "sdp": pc.localDescription.sdp})
    browser.accept(pc, answer["sdp"])
    return answer, reading


def _gemini(world, settings, *, gateway, meter, clock, record, Caller, fail) -> None:
    binh = Caller(gateway, meter, "bench-binh")
    started, r = binh.call("POST", "/api/session/start", {"topic": "food", "provider": "gemini"})
    record("session", "POST /api/session/start (provider gemini)", r, 2, providers=1, schedules=0)
    sid = started["sessionId"]
    clock.advance(settings.heartbeat_interval_seconds)
    granted, r = binh.call("POST", "/api/session/access", {"sessionId": sid})
    record("session", "POST /api/session/access (a Gemini reconnect)", r, 2, providers=1, schedules=0)
    until, plain = granted["providerAccess"]["expiresAt"], None
    while True:   # a heartbeat every interval (no gap entry) until the token is due for renewal
        clock.advance(settings.heartbeat_interval_seconds)
        due = until - clock.now_ms() < settings.renew_before_seconds * 1000
        answer, r = binh.call("POST", "/api/session/heartbeat", {"sessionId": sid})
        if due:
            break
        plain = r
    record("session", "POST /api/session/heartbeat (token not due)", plain, 1, providers=0, schedules=0)
    record("session", "POST /api/session/heartbeat (renews the token)", r, 3, providers=1, schedules=0,
           note=f"{settings.renew_before_seconds} s before the lease ends")
    if "providerAccess" not in answer:
        fail("the heartbeat due for renewal carried no providerAccess")
    _, r = binh.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000})
    record("session", "POST /api/session/end (Gemini: nothing to hang up)", r, END_REQUESTS, providers=0,
           schedules=0)


def _openai(world, settings, browser, *, gateway, meter, clock, record, Caller, fail) -> None:
    chau = Caller(gateway, meter, "bench-chau")
    started, r = chau.call("POST", "/api/session/start", {"topic": "travel", "provider": "openai"})
    record("session", "POST /api/session/start (provider openai)", r, 2, providers=0, schedules=0)
    sid = started["sessionId"]
    answer, r = _connect(chau, browser, sid)
    record("session", "POST /api/session/connect (a real WebRTC offer)", r, 2, providers=1, schedules=1)
    clock.advance(60)
    _, r = chau.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000})
    record("session", "POST /api/session/end (OpenAI, its call hung up)", r, END_REQUESTS, providers=1,
           schedules=1, note=f"the end's {END_REQUESTS} + hangup + schedule deleted")
    if not any(h.get("callId") == answer["callId"] for h in world.hangups()):
        fail("the end's hangup did not reach the fake OpenAI")


def _switch_away(world, settings, browser, *, gateway, meter, clock, record, Caller, fail) -> None:
    dung = Caller(gateway, meter, "bench-dung")
    started, _ = dung.call("POST", "/api/session/start", {"topic": "work", "provider": "openai"})
    sid = started["sessionId"]
    answer, _ = _connect(dung, browser, sid)
    clock.advance(30)
    _, r = dung.call("POST", "/api/session/switch-provider", {"sessionId": sid, "provider": "gemini",
                                                               "disconnectCode": 1006})
    record("session", "POST /api/session/switch-provider (OpenAI call -> Gemini)", r, 2, providers=2,
           schedules=1, note="token + hangup, schedule deleted")
    if not any(h.get("callId") == answer["callId"] for h in world.hangups()):
        fail("the switch's hangup did not reach the fake OpenAI")
    dung.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000})


def run(*, world, gateway, meter, clock, client, record, Caller, fail) -> None:
    from speakpho.config import get_settings

    print("provider access (fake Gemini and OpenAI on 127.0.0.1; Secrets Manager and Scheduler on moto)")
    settings = get_settings()
    parts = dict(gateway=gateway, meter=meter, clock=clock, record=record, Caller=Caller, fail=fail)
    _gemini(world, settings, **parts)
    browser = Browser()
    try:
        _openai(world, settings, browser, **parts)
        _switch_away(world, settings, browser, **parts)
    finally:
        browser.close()
