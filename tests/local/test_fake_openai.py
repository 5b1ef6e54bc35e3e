"""The fake OpenAI Realtime (local/fakes/openai_realtime.py) over real WebRTC on 127.0.0.1: calls
are created and hung up by our own OpenAIRestCalls, the learner is an aiortc client
(rtc_learner.py), and every event either side sends must be one of the openai SDK's types."""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request

import openai
import pytest
from rtc_learner import RtcLearner

import own_loop
from apitest import T0
from local.fakes.coach_script import CoachScript
from local.fakes.loopback_ice import candidate_addresses
from local.fakes.openai_call import LEARNER_LINE
from local.fakes.openai_realtime import FakeOpenAI
from speakpho.coach import coach_profile, openai_session
from speakpho.providers.openai_rest import OpenAIRestCalls
from speakpho.providers.ports import ProviderError

KEY = "sk-fake-openai-test-key"
TOPIC = "phở"
MISTAKE = "Xin chào, tôi muốn ăn phở"  # the script corrects "tôi muốn ăn phở" (vocabulary)


def session(mode: str = "coach") -> dict:
    return openai_session("gpt-realtime", coach_profile(TOPIC, "beginner", mode))


def run(scenario):
    own_loop.run(scenario, 30)


@pytest.fixture
def fake(clock):
    fake = FakeOpenAI(KEY).start()
    yield fake
    fake.stop()
    assert not [t for t in threading.enumerate() if t.name == "fake-openai"], "the fake's thread outlived stop()"


async def connected(fake, mode: str = "coach") -> RtcLearner:
    learner = RtcLearner()
    await learner.call(OpenAIRestCalls(fake.api_base), KEY, session(mode))
    await learner.wait("session.created")
    return learner


async def until(predicate, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_a_coach_call_greets_hears_a_typed_turn_records_a_correction_and_hangs_up(fake, clock):
    async def scenario():
        learner = await connected(fake)
        calls = OpenAIRestCalls(fake.api_base)
        assert learner.call_id.startswith("rtc_")
        # ICE on loopback only: every candidate of the fake's answer and of the learner's offer.
        assert candidate_addresses(learner.answer_sdp) and set(candidate_addresses(learner.answer_sdp)) == {"127.0.0.1"}
        assert candidate_addresses(learner.offer_sdp) and set(candidate_addresses(learner.offer_sdp)) == {"127.0.0.1"}
        assert learner.events[0]["session"] == session()

        learner.send({"type": "response.create"})
        done = await learner.wait("response.done")
        greeting = CoachScript("coach", "beginner", TOPIC).greeting()
        assert (await learner.wait("response.output_audio_transcript.done"))["transcript"] == greeting
        assert [item["type"] for item in done["response"]["output"]] == ["message"]
        await until(lambda: learner.ears.loud_ms >= 100)  # the coach's tone came over the track

        mark = len(learner.events)
        learner.say_typed(MISTAKE)
        learner.send({"type": "response.create"})
        done = await learner.wait("response.done", after=mark)
        kinds = learner.types(mark)
        order = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                 "conversation.item.input_audio_transcription.completed", "response.created",
                 "response.content_part.added", "output_audio_buffer.started",
                 "response.output_audio_transcript.delta", "response.output_audio_transcript.done",
                 "response.function_call_arguments.done", "response.done", "output_audio_buffer.stopped"]
        await learner.wait("output_audio_buffer.stopped", after=mark)
        kinds = learner.types(mark)
        assert [kinds.index(kind) for kind in order] == sorted(kinds.index(kind) for kind in order)
        heard = await learner.wait("conversation.item.input_audio_transcription.completed", after=mark)
        assert heard["transcript"] == MISTAKE
        call = await learner.wait("response.function_call_arguments.done", after=mark)
        assert call["name"] == "record_correction"
        assert json.loads(call["arguments"]) == CoachScript("coach", "beginner").mistake(MISTAKE)
        output = done["response"]["output"]
        assert [item["type"] for item in output] == ["message", "function_call"]
        assert output[1]["call_id"] == call["call_id"]

        mark = len(learner.events)
        learner.send({"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": call["call_id"], "output": '{"recorded": true}'}})
        added = await learner.wait("conversation.item.done", after=mark)
        assert added["item"]["type"] == "function_call_output"
        assert "error" not in learner.types()

        await asyncio.to_thread(calls.hangup, KEY, learner.call_id)
        assert await learner.wait_state("closed", "failed") in ("closed", "failed")
        await asyncio.to_thread(calls.hangup, KEY, learner.call_id)  # already over: a 404, not an error
        await learner.close()
        assert learner.unknown == []
        return learner.call_id

    call_id = own_loop.run(scenario(), 30)
    [connection] = fake.log()["connections"]
    assert connection["callId"] == call_id
    assert (connection["openedAt"], connection["closedAt"], connection["closeCode"]) == (T0, T0, 1000)
    assert connection["contextTurns"] == 0
    assert fake.log()["hangups"] == [{"callId": call_id, "at": T0, "by": "server"}]


class SdkCalls:
    """The openai SDK's own realtime.calls, as a second client of the fake (to 127.0.0.1)."""

    def __init__(self, base_url: str):
        self.client = openai.OpenAI(api_key=KEY, base_url=base_url, max_retries=0)

    def create_call(self, api_key: str, *, sdp: str, session: dict) -> tuple[str, str]:
        raw = self.client.realtime.calls.with_raw_response.create(sdp=sdp, session=session)
        return raw.http_response.text, raw.headers["location"].rsplit("/", 1)[1]


def test_the_openai_sdk_creates_and_hangs_up_a_call_on_the_fake(fake):
    async def scenario():
        learner = RtcLearner()
        sdk = SdkCalls(fake.api_base)
        call_id = await learner.call(sdk, KEY, session())
        assert (await learner.wait("session.created"))["session"] == session()
        await asyncio.to_thread(sdk.client.realtime.calls.hangup, call_id)
        await learner.wait_state("closed", "failed")
        await learner.close()
        sdk.client.close()
        return call_id

    call_id = own_loop.run(scenario(), 30)
    assert [hangup["callId"] for hangup in fake.log()["hangups"]] == [call_id]


def test_handed_over_turns_are_counted_and_the_coach_continues_without_greeting(fake):
    async def scenario():
        learner = await connected(fake)
        learner.hand_over("assistant", "Chào bạn! Bạn thích ăn gì?")
        learner.hand_over("user", "Tôi thích bún chả")
        learner.hand_over("assistant", "Ngon quá! Bạn hay ăn ở đâu?")
        learner.send({"type": "response.create"})
        spoken = await learner.wait("response.output_audio_transcript.done")
        assert spoken["transcript"] != CoachScript("coach", "beginner", TOPIC).greeting()
        assert learner.types().count("conversation.item.done") == 3
        assert "input_audio_buffer.speech_started" not in learner.types()  # history, not speech
        await learner.close()
        assert learner.unknown == []

    run(scenario())
    assert fake.log()["connections"][0]["contextTurns"] == 3


def test_a_second_of_audio_is_counted_and_heard_as_the_learners_line(fake):
    async def scenario():
        learner = await connected(fake, mode="free")
        await asyncio.sleep(0.3)
        assert fake.log()["connections"][0]["audioBytesIn"] > 0  # silence counts as audio too
        assert "input_audio_buffer.speech_started" not in learner.types()  # but says nothing
        learner.mic.speak(1.3)
        heard = await learner.wait("conversation.item.input_audio_transcription.completed")
        assert heard["transcript"] == LEARNER_LINE
        started = await learner.wait("input_audio_buffer.speech_started")
        stopped = await learner.wait("input_audio_buffer.speech_stopped")
        assert stopped["audio_end_ms"] - started["audio_start_ms"] == 1000
        await learner.wait("response.done")  # server VAD answers without a response.create
        assert "response.function_call_arguments.done" not in learner.types()  # free mode corrects nothing
        await learner.close()
        assert learner.unknown == []

    run(scenario())
    # 48 kHz stereo s16 after Opus: at least a second and a half of audio has come in.
    assert fake.log()["connections"][0]["audioBytesIn"] >= 192_000


def test_session_update_cannot_change_what_our_server_set(fake):
    async def scenario():
        learner = await connected(fake)
        learner.send({"type": "session.update", "event_id": "evt_1",
                      "session": {"type": "realtime", "instructions": "Speak English and never correct."}})
        refused = await learner.wait("error")
        assert (refused["error"]["code"], refused["error"]["event_id"]) == ("session_update_refused", "evt_1")
        assert refused["error"]["param"] == "session.instructions"
        learner.send({"type": "session.update", "session": {"type": "realtime", "tools": []}})
        learner.send({"type": "session.update",
                      "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}}})
        updated = await learner.wait("session.updated")
        assert updated["session"]["audio"]["output"]["voice"] == "cedar"
        assert updated["session"]["instructions"] == session()["instructions"]
        assert [e["error"]["param"] for e in learner.events if e["type"] == "error"] == [
            "session.instructions", "session.tools"]
        await learner.close()
        assert learner.unknown == []

    run(scenario())


def test_input_audio_buffer_events_are_answered_and_an_unsupported_one_is_an_error(fake):
    async def scenario():
        learner = await connected(fake)
        learner.send({"type": "input_audio_buffer.append", "audio": "AAAA"})
        learner.send({"type": "input_audio_buffer.clear"})
        learner.send({"type": "input_audio_buffer.commit"})
        committed = await learner.wait("input_audio_buffer.committed")
        assert committed["item_id"].startswith("item_")
        learner.send({"type": "response.cancel", "event_id": "evt_9"})
        refused = await learner.wait("error")
        assert (refused["error"]["event_id"], refused["error"]["code"]) == ("evt_9", "unsupported_event")
        assert learner.types() == ["session.created", "input_audio_buffer.cleared",
                                   "input_audio_buffer.committed", "error"]
        await learner.close()
        assert learner.unknown == []

    run(scenario())


def test_a_wrong_key_is_401_in_openais_error_shape(fake):
    request = urllib.request.Request(f"{fake.api_base}/realtime/calls", data=b"", method="POST",
                                     headers={"Authorization": "Bearer sk-wrong-key"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    with refused.value:
        body = json.loads(refused.value.read())
    assert refused.value.code == 401
    assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key" not in json.dumps(body)
    for attempt in (lambda calls: calls.create_call("sk-wrong-key", sdp="v=0\r\n", session=session()),
                    lambda calls: calls.hangup("sk-wrong-key", "rtc_x")):
        with pytest.raises(ProviderError) as err:
            attempt(OpenAIRestCalls(fake.api_base))
        assert err.value.status == 401 and "sk-wrong-key" not in str(err.value)
    assert fake.log() == {"connections": [], "hangups": []}


def test_hanging_up_an_unknown_call_is_404(fake):
    request = urllib.request.Request(f"{fake.api_base}/realtime/calls/rtc_unknown/hangup", data=b"",
                                     method="POST", headers={"Authorization": f"Bearer {KEY}"})
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=5)
    with missing.value:
        assert missing.value.code == 404 and json.loads(missing.value.read())["error"]["code"] == "call_not_found"
    assert fake.log()["hangups"] == []


def test_fail_ends_every_open_call(fake, clock):
    async def scenario():
        learners = [await connected(fake), await connected(fake, mode="free")]
        clock.advance(5)
        await asyncio.to_thread(fake.fail, 1011, "provider outage")
        for learner in learners:
            assert await learner.wait_state("closed", "failed") in ("closed", "failed")
            await learner.close()
        return [learner.call_id for learner in learners]

    call_ids = own_loop.run(scenario(), 30)
    log = fake.log()
    assert [(c["callId"], c["closedAt"], c["closeCode"]) for c in log["connections"]] == [
        (call_id, T0 + 5000, 1011) for call_id in call_ids]
    assert log["hangups"] == [{"callId": call_id, "at": T0 + 5000, "by": "fake"} for call_id in call_ids]


def test_a_call_at_the_session_maximum_gets_session_expired_and_closes(fake, clock):
    async def scenario():
        learner = await connected(fake)
        clock.advance(59 * 60)
        await asyncio.sleep(0.3)
        assert learner.pc.connectionState == "connected"
        clock.advance(60)
        expired = await learner.wait("error")
        assert expired["error"]["code"] == "session_expired"
        assert "60 minutes" in expired["error"]["message"]
        await learner.wait_state("closed", "failed")
        await learner.close()
        assert learner.unknown == []

    run(scenario())
    [connection] = fake.log()["connections"]
    assert (connection["closedAt"], connection["closeCode"]) == (T0 + 3_600_000, 1001)
    assert fake.log()["hangups"][0]["by"] == "fake"
