"""The server hangs up the OpenAI calls it holds: at the end, at a sweep, when a newer start
supersedes the session, when a switch moves away from OpenAI, and at the limit (the hangup
function, Scheduler's target). A failing hangup is retried, then logged, and its schedule is
kept as the backstop. No key or token value is ever logged or answered."""
from __future__ import annotations

import json
import logging

import pytest

from apitest import T0, data, end_session, error, start_session, stored_period, stored_session, switch_provider
from provider_fakes import KEYS

CONNECT = "/api/session/connect"
OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
def on_a_call(api, clock, user: str = "alice") -> tuple:
    """(the learner's client, an OpenAI session, its call id), 30 s into the session."""
    learner = api.as_user(user)
    sid = start_session(learner, {"provider": "openai"})["sessionId"]
    call_id = data(learner.post(CONNECT, {"sessionId": sid, "sdp": OFFER}))["callId"]
    clock.advance(30)
    return learner, sid, call_id


def hung_up_entries(sid: str) -> list[dict]:
    return [e for e in stored_session(sid)["story"] if e["type"] == "call_hung_up"]


def _end(api, clock, learner, sid):
    end_session(learner, sid)


def _sweep(api, clock, learner, sid):
    from infra.catalog import SWEEPER

    clock.advance(270)   # 300 s: its last sign of life (the connect, at 0 s) + the 180 s stale window, in 300 s buckets
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == [sid]


def _newer_start(api, clock, learner, sid):
    assert start_session(learner)["closedSessionId"] == sid


def _switch(api, clock, learner, sid):
    access = switch_provider(learner, sid, "gemini", 1011)["providerAccess"]
    assert (access["provider"], access["transport"]) == ("gemini", "websocket")
    item = stored_session(sid)
    assert "callId" not in item and "activeCallId" not in stored_period("alice")
    assert [e["type"] for e in item["story"][-3:]] == ["provider_switched", "call_hung_up", "access_granted"]


@pytest.mark.parametrize("close, why", [
    (_end, "end"), (_sweep, "client_vanished"), (_newer_start, "superseded"), (_switch, "switch"),
])
def test_the_server_hangs_up_a_call_it_no_longer_wants(api, providers, clock, close, why):
    learner, sid, call_id = on_a_call(api, clock)
    close(api, clock, learner, sid)
    assert providers.openai.hangups == [call_id]
    assert [(e["callId"], e["why"]) for e in hung_up_entries(sid)] == [(call_id, why)]
    assert sid in providers.schedules.cancelled and sid not in providers.schedules.scheduled


def test_the_end_records_the_hangup_before_the_end(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    end_session(learner, sid)
    assert [e["type"] for e in stored_session(sid)["story"]][-2:] == ["call_hung_up", "ended"]
    assert "activeCallId" not in stored_period("alice")


def test_an_end_without_a_call_hangs_up_nothing(api, providers, clock):
    learner = api.as_user("alice")
    sid = start_session(learner, {"provider": "openai"})["sessionId"]
    clock.advance(10)
    end_session(learner, sid)
    assert providers.openai.hangups == [] and hung_up_entries(sid) == []


def test_a_failed_hangup_is_retried(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    providers.openai.fail_hangups = 1
    end_session(learner, sid)
    assert providers.openai.hangups == [call_id] and sid in providers.schedules.cancelled


def test_a_hangup_that_keeps_failing_is_logged_and_its_schedule_kept(api, providers, clock, caplog):
    learner, sid, call_id = on_a_call(api, clock)
    providers.openai.fail_hangups = 99
    caplog.set_level(logging.ERROR, logger="speakpho.access.hangup")
    assert end_session(learner, sid)["session"]["status"] == "ended"    # the end answers all the same
    assert providers.openai.hangups == []
    assert providers.schedules.scheduled[sid]["callId"] == call_id      # the backstop at the limit
    assert sid not in providers.schedules.cancelled
    [record] = [r for r in caplog.records if r.name == "speakpho.access.hangup"]
    assert (record.levelno, record.sessionId, record.callId, record.why, record.status) == \
        (logging.ERROR, sid, call_id, "end", 503)


def test_a_switch_away_from_openai_whose_token_is_refused_still_hangs_up_the_call(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    providers.gemini.fail_status = 500
    refused = error(learner.post("/api/session/switch-provider", {"sessionId": sid, "provider": "gemini"}), 502)
    assert refused["code"] == "provider_error"
    assert stored_session(sid)["provider"] == "gemini"                  # the switch is recorded
    assert providers.openai.hangups == [call_id]
    assert [(e["callId"], e["why"]) for e in hung_up_entries(sid)] == [(call_id, "switch")]
    assert "callId" not in stored_session(sid) and "activeCallId" not in stored_period("alice")


# --------------------------------------------------------------------------- the hangup at the limit
def _hang_up_at_limit(api, sid: str, call_id: str, user_id: str = "alice") -> dict:
    from infra.catalog import HANGUP

    return api.gateway.invoke(HANGUP.handler, {"sessionId": sid, "userId": user_id, "callId": call_id},
                              name="hangup")


def test_the_hangup_function_hangs_up_at_the_limit(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    clock.advance(1800)
    assert _hang_up_at_limit(api, sid, call_id) == {"hungUp": 1}
    assert providers.openai.hangups == [call_id]
    assert hung_up_entries(sid) == [{"type": "call_hung_up", "source": "server", "at": T0 + 1_830_000,
                                     "callId": call_id, "why": "limit"}]
    # The call is off the session and its live meter: the end neither hangs it up nor records it again.
    assert "callId" not in stored_session(sid) and "activeCallId" not in stored_period("alice")
    end_session(learner, sid)
    assert providers.openai.hangups == [call_id] and len(hung_up_entries(sid)) == 1


def test_the_hangup_function_also_hangs_up_a_call_that_replaced_the_scheduled_one(api, providers, clock):
    learner, sid, first = on_a_call(api, clock)
    second = data(learner.post(CONNECT, {"sessionId": sid, "sdp": OFFER + "a=2\r\n"}))["callId"]
    assert _hang_up_at_limit(api, sid, first) == {"hungUp": 2}
    assert providers.openai.hangups == [first, first, second]          # replaced, then both at the limit


def test_the_hangup_function_records_nothing_on_an_ended_session(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    end_session(learner, sid)
    story = stored_session(sid)["story"]
    assert _hang_up_at_limit(api, sid, call_id) == {"hungUp": 1}       # hung up again: 404 counts as done
    assert stored_session(sid)["story"] == story


def test_a_failing_hangup_at_the_limit_raises_for_schedulers_retries(api, providers, clock):
    learner, sid, call_id = on_a_call(api, clock)
    providers.openai.fail_hangups = 99
    with pytest.raises(RuntimeError):
        _hang_up_at_limit(api, sid, call_id)
    assert hung_up_entries(sid) == []


# --------------------------------------------------------------------------- no secret in a log or an answer
@pytest.fixture
def job_loggers(api):
    """The hangup function and the sweeper loaded before `lambda_logs` swaps their loggers'
    streams; every Powertools logger at DEBUG for the test (everything the handlers can log)."""
    from infra.catalog import HANGUP, SWEEPER

    api.gateway.handler_for(HANGUP.handler)
    api.gateway.handler_for(SWEEPER.handler)
    loggers = [lg for lg in logging.Logger.manager.loggerDict.values()
               if isinstance(lg, logging.Logger) and getattr(lg, "powertools_handler", None)]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield
    for logger, level in levels.items():
        logger.setLevel(level)


def test_no_key_or_token_is_logged_or_answered(api, providers, clock, job_loggers, lambda_logs, caplog):
    caplog.set_level(logging.DEBUG)
    responses = []

    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]                            # a start with a token
    clock.advance(30)
    responses.append(alice.post("/api/session/access", {"sessionId": sid}))   # an access
    bob, bob_sid, call_id = on_a_call(api, clock, "bob")               # a connect
    providers.openai.fail_hangups = 99
    responses.append(end_session(bob, bob_sid, status=None))           # a hangup that fails
    with pytest.raises(RuntimeError) as raised:
        _hang_up_at_limit(api, bob_sid, call_id, "bob")
    providers.gemini.fail_status = 401
    responses.append(alice.post("/api/session/start", {}))             # a mint that fails
    responses.append(alice.post("/api/session/access", {"sessionId": sid}))
    clock.advance(500)
    responses.append(alice.post("/api/session/heartbeat", {"sessionId": sid}))   # a renewal refused
    # what was answered as an error, and the hangup function's failure (Scheduler logs it)
    answers = [r.body for r in responses if r.status >= 400] + [str(raised.value)]
    assert [r.status for r in responses] == [200, 200, 502, 502, 200]

    secrets = list(KEYS.values()) + [m["token"] for m in providers.gemini.minted]
    assert len(secrets) == 4                                           # two keys, two tokens
    logged = [json.dumps(r, default=str) for r in lambda_logs()]
    logged += [json.dumps({**r.__dict__, "message": r.getMessage()}, default=str) for r in caplog.records]
    assert any("hangup failed" in line and call_id in line for line in logged)   # the logs were seen
    assert {"speakpho", "hangup"} <= {r.get("service") for r in lambda_logs()}   # the API's and the job's
    assert any('"provider_error"' in body for body in answers)
    for secret in secrets:
        assert not [line for line in logged if secret in line], secret
        assert not [body for body in answers if secret in body], secret
