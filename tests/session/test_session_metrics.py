"""The session area's metrics: names and dimension values only from fixed sets (a learner's
made-up close code creates nothing new), provider connections and failures by provider (the
failure-rate alarms divide them), end-reported switches, each session counted once."""
from __future__ import annotations

import pytest

from apitest import T0, client_event, end_session, send_events, start_session, switch_provider
from speakpho.close_codes import CLOSE_CODES

FIXED_NAMES = {"SessionsStarted", "SessionsClosedByNewStart", "ProviderSwitches", "SessionsEnded", "MinutesUsed",
               "Disconnects", "DisconnectsOther", "AbnormalCloses", "ProviderFailures",
               "ProviderConnections", "ActiveLearners"} | \
              {f"Disconnects{code}" for code in CLOSE_CODES}


@pytest.fixture
def emitted(monkeypatch):
    from session import telemetry

    seen: list[tuple[str, float, dict]] = []
    monkeypatch.setattr(telemetry, "_emit", lambda name, value, dimensions=None: seen.append(
        (name, value, dict(dimensions or {}))))
    return seen


def _count(emitted, name: str, **dimensions) -> float:
    return sum(v for n, v, d in emitted if n == name and all(d.get(k) == x for k, x in dimensions.items()))


def test_made_up_close_codes_create_no_metric_name_or_dimension_value(api, clock, emitted):
    alice = api.as_user("alice")
    for end_code in (4999, 1234, 3001):
        sid = start_session(alice)["sessionId"]
        clock.advance(30)
        send_events(alice, sid, [client_event("provider_disconnected", T0, code=code) for code in (4999, 1234, 4321)])
        end_session(alice, sid, disconnectCode=end_code,
                    events=[client_event("provider_disconnected", T0, provider="openai", code=4998)])
    names = {n for n, _, _ in emitted}
    assert names <= FIXED_NAMES, names - FIXED_NAMES
    assert {v for _, _, d in emitted for v in d.values()} <= {"gemini", "openai"}
    assert {k for _, _, d in emitted for k in d} <= {"provider"}
    assert _count(emitted, "DisconnectsOther") == 3 and _count(emitted, "Disconnects") == 3
    # 4999 and 4321 (gemini's) and 4998 (openai's) are in the provider range; 1234 has no known side.
    assert _count(emitted, "ProviderFailures", provider="gemini") == 1 * 3   # its one connection failed
    # openai's: a provider the session never connected to (telemetry counts at most its connections)
    assert _count(emitted, "ProviderFailures", provider="openai") == 0


def test_provider_failures_are_charged_to_the_provider_that_was_running(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(20)
    send_events(alice, sid, [client_event("provider_disconnected", T0 + 10_000, code=1011)])
    switch_provider(alice, sid, "openai", 1011)
    clock.advance(20)
    end_session(alice, sid, provider="openai", disconnectCode=1006, events=[
        client_event("provider_connected", T0 + 21_000, provider="openai"),
        client_event("provider_disconnected", T0 + 39_000, provider="openai", code=1006)])
    assert _count(emitted, "ProviderFailures", provider="gemini") == 1
    assert _count(emitted, "ProviderFailures", provider="openai") == 1
    assert _count(emitted, "ProviderSwitches") == 1          # the mid-session one, not again at the end
    assert _count(emitted, "Disconnects1006") == 1 and _count(emitted, "AbnormalCloses") == 1


def test_a_switch_reported_only_at_the_end_counts_once(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(20)
    for _ in range(3):
        end_session(alice, sid, provider="openai", providerSwitched=True)
    assert _count(emitted, "ProviderSwitches") == 1 and _count(emitted, "SessionsEnded") == 1


@pytest.mark.parametrize("code, name", [(1006, "Disconnects1006"), (1011, "Disconnects1011"),
                                        (4000, "DisconnectsOther"), (1002, "DisconnectsOther"),
                                        (None, None), (1000, None)])
def test_disconnect_metric_names(code, name):
    from session import telemetry

    points = telemetry.end_datapoints({"session": {"disconnectCode": code, "minutesUsed": 1}},
                                      {"summary": {"connections": {"gemini": 2, "claude": 1},
                                                   "failures": {"gemini": {"other": 2}, "claude": {"1011": 1}}}})
    names = [n for n, _, _ in points]
    assert (name in names) if name else not any(n.startswith("Disconnects") for n in names)
    assert [(v, d) for n, v, d in points if n == "ProviderFailures"] == [(2, {"provider": "gemini"})]


# ---------------------------------------------------------------------------- ProviderConnections
def test_connections_are_segments_per_provider_and_failures_a_share_of_them(api, clock, emitted):
    """The seed's scenario: Gemini connects, drops with 1011, a reconnect is attempted, the
    client switches to OpenAI (cause 1011), which connects; the learner ends it."""
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    send_events(alice, sid, [client_event("provider_connected", T0 + 1_000, connectMs=800),
                             client_event("provider_disconnected", T0 + 20_000, code=1011, reason="internal"),
                             client_event("reconnect_attempt", T0 + 22_000)])
    switch_provider(alice, sid, "openai", 1011)
    clock.advance(30)
    end_session(alice, sid, provider="openai", disconnectCode=1000,
                events=[client_event("provider_connected", T0 + 32_000, provider="openai", connectMs=600)])
    assert _count(emitted, "ProviderConnections", provider="gemini") == 1
    assert _count(emitted, "ProviderConnections", provider="openai") == 1
    assert _count(emitted, "ProviderFailures", provider="gemini") == 1
    assert _count(emitted, "ProviderFailures", provider="openai") == 0


def test_a_reconnect_to_the_same_provider_is_a_second_connection(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    end_session(alice, sid, events=[
        client_event("provider_connected", T0 + 1_000),
        client_event("provider_disconnected", T0 + 10_000, code=1006),
        client_event("reconnect_attempt", T0 + 11_000),
        client_event("provider_connected", T0 + 12_000),
        client_event("provider_disconnected", T0 + 30_000, code=1012),
        client_event("provider_connected", T0 + 33_000)])
    assert _count(emitted, "ProviderConnections", provider="gemini") == 3
    assert _count(emitted, "ProviderFailures", provider="gemini") == 2
    assert _count(emitted, "ProviderConnections", provider="openai") == 0


def test_a_session_without_events_counts_its_first_connection(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    clock.advance(20)
    end_session(alice, sid, provider="openai")
    assert [(v, d) for n, v, d in emitted if n == "ProviderConnections"] == [(1, {"provider": "openai"})]
    assert _count(emitted, "ProviderFailures") == 0


def test_connections_are_counted_once_per_session(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(20)
    events = [client_event("provider_disconnected", T0 + 5_000, code=1011),
              client_event("provider_connected", T0 + 8_000)]
    for _ in range(3):   # a retried end (same events) is answered again, not counted again
        end_session(alice, sid, events=events)
    assert _count(emitted, "ProviderConnections", provider="gemini") == 2
    assert _count(emitted, "ProviderFailures", provider="gemini") == 1
    assert _count(emitted, "SessionsEnded") == 1


def test_sessions_closed_by_the_server_emit_no_connections(api, clock, emitted):
    """The sweeper's and a newer start's closes count neither connections nor failures, so
    the rate is taken over the same sessions on both sides."""
    alice = api.as_user("alice")
    start_session(alice)
    clock.advance(20)
    start_session(alice)            # supersedes the first
    assert _count(emitted, "ProviderConnections") == 0 and _count(emitted, "ProviderFailures") == 0


def test_connections_only_for_known_providers():
    from session import telemetry

    points = telemetry.end_datapoints({"session": {"disconnectCode": None, "minutesUsed": 1}},
                                      {"summary": {"connections": {"gemini": 2, "openai": 0, "claude": 4},
                                                   "failures": {"gemini": {"1011": 1}}}})
    assert [(n, v, d) for n, v, d in points if n.startswith("Provider")] == [
        ("ProviderConnections", 2, {"provider": "gemini"}), ("ProviderFailures", 1, {"provider": "gemini"})]


# ---------------------------------------------------------------------------- one learner's weight
@pytest.mark.parametrize("connections, failures, counted", [
    ({"gemini": 41}, {"gemini": {"1011": 40}}, [("ProviderConnections", 3), ("ProviderFailures", 3)]),  # 80 forged events
    ({"gemini": 2}, {"gemini": {"1011": 5}}, [("ProviderConnections", 2), ("ProviderFailures", 2)]),   # never above connected
    ({"gemini": 3}, {"gemini": {"1006": 1}}, [("ProviderConnections", 3), ("ProviderFailures", 1)]),   # within the cap: as is
    ({"gemini": 1}, {"openai": {"1011": 9}}, [("ProviderConnections", 1)]),                             # never connected to openai
])
def test_a_session_counts_at_most_a_few_connections_and_failures(connections, failures, counted):
    from session import telemetry

    assert telemetry.MAX_COUNTED_PER_SESSION == 3
    points = telemetry.end_datapoints({"session": {"disconnectCode": 1000, "minutesUsed": 1}},
                                      {"summary": {"connections": connections, "failures": failures}})
    assert [(n, v) for n, v, _ in points if n.startswith("Provider")] == counted


def test_a_session_counts_its_first_three_switches(api, clock, emitted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    for i in range(8):
        clock.advance(1)
        switch_provider(alice, sid, "openai" if i % 2 == 0 else "gemini")
    assert _count(emitted, "ProviderSwitches") == 3


def test_active_learners_counts_a_learner_once_an_hour(api, clock, emitted):
    """At the learner's first start of each UTC hour; a replayed start counts nothing."""
    from speakpho.metering.limits import HOUR_MS

    alice, bob = api.as_user("alice"), api.as_user("bob")
    clock.set(T0 + 10 * 60_000)                              # 10 minutes into an hour
    for _ in range(4):
        start_session(alice)
        clock.advance(30)
    start_session(bob, headers={"Idempotency-Key": "k1"})
    start_session(bob, headers={"Idempotency-Key": "k1"})   # the replay
    assert _count(emitted, "ActiveLearners") == 2 and _count(emitted, "SessionsStarted") == 5
    clock.set(T0 - T0 % HOUR_MS + HOUR_MS + 1)               # the next UTC hour
    start_session(alice)
    assert _count(emitted, "ActiveLearners") == 3
