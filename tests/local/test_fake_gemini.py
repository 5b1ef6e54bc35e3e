"""The fake Gemini (local/fakes/gemini.py): its tokens are checked as the real service checks
them, it speaks the Live protocol, and every message it sends parses as google-genai's
LiveServerMessage (every message the test client sends, as LiveClientMessage). Loopback only."""
from __future__ import annotations

import base64
import json
import time

import pytest
from google.genai import types
from pydantic import ValidationError
from gemini_client import GeminiClient

from local.fakes.gemini import FakeGemini
from local.fakes.gemini_live import AUDIO_TURN_BYTES, HEARD_FROM_AUDIO, OUTPUT_MIME
from speakpho.clock import Clock
from speakpho.coach import coach_profile, gemini_setup
from speakpho.providers import http
from speakpho.providers.gemini_rest import GeminiRestTokens
from speakpho.providers.ports import ProviderError

KEY = "fake-gemini-key"
MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
T0 = 1_796_638_800_000
PHO = {"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở",
       "explanation": "Use 'em' when speaking to someone older", "category": "vocabulary"}


def setup_for(mode: str = "coach", **changes) -> dict:
    return {**gemini_setup(MODEL, coach_profile("food", "beginner", mode)), **changes}


@pytest.fixture
def now():
    fixed = Clock()
    fixed.set(T0)
    return fixed


@pytest.fixture
def fake(now, request):
    flags = getattr(request, "param", {})
    running = FakeGemini(KEY, now.now_ms, greeting_delay_s=0.05, **flags).start()
    yield running
    running.stop()


def mint(fake, *, mode="coach", uses=1, expire_s=1800, new_session_s=60) -> str:
    return GeminiRestTokens(fake.api_base).mint(
        KEY, setup=setup_for(mode), uses=uses, expire_at_ms=T0 + expire_s * 1000,
        new_session_expire_at_ms=T0 + new_session_s * 1000)


def Client(fake, token: str, setup: dict | None = None) -> GeminiClient:  # noqa: N802 - reads as the class it makes
    return GeminiClient(fake.live_url, token, setup if setup is not None else setup_for())


def opened(client: GeminiClient) -> list[dict]:
    return client.until(lambda m: "sessionResumptionUpdate" in m)


def logged(fake, closed: int) -> dict:
    """The fake's log once `closed` connections are logged as closed (the server logs a close
    just after the client has seen it)."""
    deadline = time.monotonic() + 3
    while True:
        log = fake.log()
        if sum(c["closeCode"] is not None for c in log["connections"]) >= closed or time.monotonic() > deadline:
            return log
        time.sleep(0.01)


def text_of(messages: list[dict], part: str) -> list[str]:
    return [m["serverContent"][part]["text"] for m in messages if part in m.get("serverContent", {})]


def test_the_token_endpoint_takes_only_the_key(fake):
    with pytest.raises(ProviderError) as wrong:
        GeminiRestTokens(fake.api_base).mint("other-key", setup=setup_for(), uses=1, expire_at_ms=T0 + 1,
                                             new_session_expire_at_ms=T0 + 1)
    with pytest.raises(ProviderError) as missing:
        http.post("gemini", f"{fake.api_base}/v1alpha/auth_tokens", headers={}, body=b"{}")
    assert (wrong.value.status, missing.value.status) == (400, 403)
    assert "other-key" not in str(wrong.value) and fake.log()["tokens"] == []


def test_a_uses_1_token_opens_one_session(fake):
    token = mint(fake)
    first = Client(fake, token)
    assert first.recv() == {"setupComplete": {}}
    second = Client(fake, token)
    assert second.close_code() == (1008, "The access token has no uses left.")
    log = logged(fake, 1)
    assert [(t["uses"], t["usedCount"], t["newSessionExpiresAt"]) for t in log["tokens"]] == [(1, 1, T0 + 60_000)]
    assert log["tokens"][0]["constraints"] == setup_for()
    assert [c["closeCode"] for c in log["connections"]] == [None, 1008]


def test_an_unknown_token_is_refused(fake):
    assert Client(fake, "auth_tokens/nope").close_code()[0] == 1008


def test_no_new_session_after_new_session_expire_time(fake, now):
    token = mint(fake, uses=0)
    now.advance(61)
    assert Client(fake, token).close_code() == (
        1008, "The access token no longer starts new sessions (newSessionExpireTime).")


def test_nothing_after_expire_time(fake, now):
    token = mint(fake, uses=0, expire_s=120, new_session_s=120)
    client = Client(fake, token)
    opened(client)
    now.advance(121)
    client.send({"realtimeInput": {"text": "Xin chào"}})
    assert client.close_code() == (1008, "The access token has expired (expireTime).")
    assert Client(fake, token).close_code()[0] == 1008
    assert logged(fake, 2)["connections"][0]["closedAt"] == T0 + 121_000


@pytest.mark.parametrize("field, value", [
    ("systemInstruction", {"parts": [{"text": "You are a pirate."}]}),
    ("model", "models/gemini-2.0-flash-live-001"),
    ("tools", []),
])
def test_a_setup_against_the_lock_is_refused(fake, field, value):
    client = Client(fake, mint(fake), setup_for(**{field: value}))
    assert client.close_code() == (1007, f"setup.{field} contradicts the access token's locked setup.")
    assert fake.log()["tokens"][0]["usedCount"] == 0


def test_a_locked_field_left_out_comes_from_the_token(fake):
    client = Client(fake, mint(fake), {"model": MODEL})   # no instructions, no tools, no resumption
    greeting = client.until(lambda m: "sessionResumptionUpdate" in m) + client.turn()
    assert text_of(greeting, "outputTranscription")[0].endswith("Bạn cứ nói chậm thôi!")   # beginner: from the token
    client.send({"realtimeInput": {"text": "tôi muốn ăn phở"}})
    assert any("toolCall" in m for m in client.until(lambda m: "toolCall" in m))          # tools: from the token


def test_coach_mode_transcribes_corrects_and_answers(fake):
    client = Client(fake, mint(fake))
    greeting = opened(client) + client.turn()
    assert text_of(greeting, "outputTranscription") == ["Chào bạn! Hôm nay mình nói về “food” nhé. Bạn cứ nói chậm thôi!"]
    client.send({"realtimeInput": {"text": "Xin chao, tôi muốn ăn phở"}})
    before = client.until(lambda m: "toolCall" in m)
    assert text_of(before, "inputTranscription") == ["Xin chao, tôi muốn ăn phở"]
    (call,) = before[-1]["toolCall"]["functionCalls"]
    assert (call["name"], call["args"]) == ("record_correction", PHO)
    client.send({"toolResponse": {"functionResponses": [{"id": call["id"], "name": call["name"],
                                                          "response": {"recorded": True}}]}})
    answer = client.turn()
    audio = [p["inlineData"] for m in answer for p in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])]
    assert audio and audio[0]["mimeType"] == OUTPUT_MIME and len(base64.b64decode(audio[0]["data"])) > 0
    assert text_of(answer, "outputTranscription") == ["Mình sửa một chút: “Em muốn ăn phở”. Tốt lắm! Bạn nói lại được không?"]
    assert fake.log()["connections"][0]["toolResponses"] == 1


def test_free_mode_calls_no_tool(fake):
    client = Client(fake, mint(fake, mode="free"), setup_for("free"))
    opened(client), client.turn()
    client.send({"realtimeInput": {"text": "Xin chao, tôi muốn ăn phở"}})
    assert not any("toolCall" in m for m in client.turn())


def test_audio_is_counted_and_heard(fake):
    client = Client(fake, mint(fake, mode="free"), setup_for("free"))
    opened(client), client.turn()
    chunk = base64.b64encode(bytes(3200)).decode()
    client.send({"realtimeInput": {"audio": {"data": chunk, "mimeType": "audio/pcm;rate=16000"}}})
    client.send({"realtimeInput": {"mediaChunks": [{"data": chunk, "mimeType": "audio/pcm;rate=16000"}] * 2}})
    client.send({"realtimeInput": {"audioStreamEnd": True}})
    assert text_of(client.turn(), "inputTranscription") == [HEARD_FROM_AUDIO]
    long_line = base64.b64encode(bytes(AUDIO_TURN_BYTES)).decode()   # no audioStreamEnd: heard at the size
    client.send({"realtimeInput": {"audio": {"data": long_line, "mimeType": "audio/pcm;rate=16000"}}})
    assert text_of(client.turn(), "inputTranscription") == [HEARD_FROM_AUDIO]
    assert fake.log()["connections"][0]["audioBytesIn"] == 3 * 3200 + AUDIO_TURN_BYTES


def test_handed_over_turns_are_counted_and_not_greeted(fake):
    client = Client(fake, mint(fake))
    assert [next(iter(m)) for m in opened(client)] == ["setupComplete", "sessionResumptionUpdate"]
    turns = [{"role": "user", "parts": [{"text": "Xin chào"}]}, {"role": "model", "parts": [{"text": "Chào bạn!"}]},
             {"role": "user", "parts": [{"text": "Cái này bao nhiêu tiền không?"}]}]
    client.send({"clientContent": {"turns": turns, "turnComplete": True}})
    first = client.recv()
    assert first == {"serverContent": {"inputTranscription": {"text": "Cái này bao nhiêu tiền không?"}}}
    assert fake.log()["connections"][0]["contextTurns"] == 3


def resume_after_go_away(fake) -> tuple[Client, Client]:
    token = mint(fake)
    old = Client(fake, token)
    opened(old), old.turn()
    old.send({"realtimeInput": {"text": "Xin chao, tôi muốn ăn phở"}})
    (call,) = old.until(lambda m: "toolCall" in m)[-1]["toolCall"]["functionCalls"]
    old.send({"toolResponse": {"functionResponses": [{"id": call["id"], "name": call["name"], "response": {}}]}})
    handle = [m for m in old.turn() + [old.recv()] if "sessionResumptionUpdate" in m][-1]
    fake.go_away(300)
    assert old.recv() == {"goAway": {"timeLeft": "0.300s"}}
    new = Client(fake, token, setup_for(sessionResumption={"handle": handle["sessionResumptionUpdate"]["newHandle"]}))
    return old, new


def test_go_away_then_resume_with_the_handle(fake):
    old, new = resume_after_go_away(fake)
    assert new.recv() == {"setupComplete": {}}
    new.send({"realtimeInput": {"text": "Vâng"}})
    after = opened(new) + new.turn()
    assert text_of(after, "inputTranscription") == ["Vâng"]        # no greeting on a resumed session
    assert text_of(after, "outputTranscription") == ["Bạn thích món gì?"]   # the script goes on
    assert old.close_code() == (1011, "Deadline expired.")
    log = logged(fake, 1)
    assert log["tokens"][0]["usedCount"] == 1
    assert [(c["resumed"], c["closeCode"]) for c in log["connections"]] == [(False, 1011), (True, None)]
    everything = old.received + new.received
    assert {next(iter(m)) for m in everything} == {"setupComplete", "sessionResumptionUpdate", "serverContent",
                                                  "toolCall", "goAway"}   # each one parsed (Client.recv)
    with pytest.raises(ValidationError):   # and the check can fail: a misspelt field is refused
        types.LiveServerMessage.model_validate({"goAway": {"timeleft": "1s"}})


@pytest.mark.parametrize("fake", [{"resume_counts_as_use": True}], indirect=True)
def test_resume_refused_when_it_counts_as_a_use(fake):
    _, new = resume_after_go_away(fake)
    assert new.close_code() == (1008, "The access token has no uses left.")


def test_an_unknown_handle_is_refused(fake):
    client = Client(fake, mint(fake), setup_for(sessionResumption={"handle": "not-issued"}))
    assert client.close_code() == (1007, "The session resumption handle is not valid.")


def test_fail_closes_every_connection_with_its_code(fake):
    clients = [Client(fake, mint(fake)) for _ in range(2)]
    for client in clients:
        opened(client)
    fake.fail(1011, "Internal error encountered.")
    assert [c.close_code() for c in clients] == [(1011, "Internal error encountered.")] * 2
    assert [c["closeCode"] for c in logged(fake, 2)["connections"]] == [1011, 1011]
