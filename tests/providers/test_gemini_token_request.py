"""Our ephemeral-token request is the one google-genai 3.6.1 sends for the same arguments
(client.auth_tokens.create on v1alpha), with both transports faked: no network."""
from __future__ import annotations

import io
import json
import urllib.error
import warnings

import pytest

httpx2 = pytest.importorskip("httpx2")  # google-genai 3.6.1's default HTTP backend
from google import genai  # noqa: E402
from google.genai import types  # noqa: E402

from speakpho.coach import RECORD_CORRECTION, coach_profile, gemini_setup  # noqa: E402
from speakpho.coach.setups import GEMINI_COMPRESSION_TRIGGER_TOKENS, GEMINI_VOICE  # noqa: E402
from speakpho.providers import http  # noqa: E402
from speakpho.providers.gemini_rest import GeminiRestTokens  # noqa: E402
from speakpho.providers.ports import ProviderError  # noqa: E402

BASE = "http://gemini.invalid"
KEY = "AIza-test-key-123"
TOKEN = "auth_tokens/fake-token-456"
MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
EXPIRE_MS = 1_796_640_600_000        # 2026-12-07T10:50:00Z
NEW_SESSION_MS = 1_796_638_860_500   # a time with milliseconds: the SDK writes microseconds


class FakeResponse(io.BytesIO):
    status = 200
    headers: dict = {"Content-Type": "application/json"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def urlopen(monkeypatch):
    """Captures our urllib request; answers with `answer` (bytes or an HTTPError)."""
    seen: dict = {"answer": json.dumps({"name": TOKEN, "uses": 1}).encode()}

    def fake(request, timeout):
        seen["request"] = request
        if isinstance(seen["answer"], Exception):
            raise seen["answer"]
        return FakeResponse(seen["answer"])

    monkeypatch.setattr(http.urllib.request, "urlopen", fake)
    return seen


def ours(profile, urlopen) -> tuple[str, dict]:
    name = GeminiRestTokens(BASE).mint(KEY, setup=gemini_setup(MODEL, profile), uses=1,
                                       expire_at_ms=EXPIRE_MS, new_session_expire_at_ms=NEW_SESSION_MS)
    request = urlopen["request"]
    return name, {"method": request.get_method(), "url": request.full_url,
                  "headers": {k.lower(): v for k, v in request.header_items()},
                  "body": json.loads(request.data)}


def sdk_config(profile) -> types.LiveConnectConfig:
    """The SDK's LiveConnectConfig equivalent to gemini_setup(MODEL, profile)."""
    tools = [types.Tool(function_declarations=[types.FunctionDeclaration(**RECORD_CORRECTION)])]
    return types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        speech_config=types.SpeechConfig(voice_config=types.VoiceConfig(
            prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=GEMINI_VOICE))),
        system_instruction=profile.instructions,
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig(),
        session_resumption=types.SessionResumptionConfig(),
        context_window_compression=types.ContextWindowCompressionConfig(
            trigger_tokens=GEMINI_COMPRESSION_TRIGGER_TOKENS, sliding_window=types.SlidingWindow()),
        tools=tools if profile.corrects else None,
    )


def sdks(profile) -> dict:
    seen = []

    def handler(request):
        seen.append(request)
        return httpx2.Response(200, json={"name": TOKEN})

    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(
        api_version="v1alpha", base_url=BASE,
        httpx_client=httpx2.Client(transport=httpx2.MockTransport(handler))))
    config = types.CreateAuthTokenConfig(
        uses=1, expire_time=http_time(EXPIRE_MS), new_session_expire_time=http_time(NEW_SESSION_MS),
        live_connect_constraints=types.LiveConnectConstraints(model=MODEL, config=sdk_config(profile)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's "experimental" warning
        assert client.auth_tokens.create(config=config).name == TOKEN
    (request,) = seen
    return {"method": request.method, "url": str(request.url),
            "headers": {k.lower(): v for k, v in request.headers.items()}, "body": json.loads(request.content)}


def http_time(epoch_ms: int):
    from datetime import datetime, timedelta, timezone
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=epoch_ms)


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def as_wire(value, parent: str = ""):
    """The SDK's body in the proto3-JSON spelling our setup uses. The SDK differs only in
    spelling, never in meaning: it writes nested config objects with snake_case keys (proto JSON
    parsers take both), Schema types as enum names (OBJECT, STRING: the API takes either case)
    and a string system instruction as Content with role "user" (role is optional there)."""
    if isinstance(value, list):
        return [as_wire(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = key if parent == "properties" else camel(key)  # property names are data
        if name == "type" and isinstance(item, str) and parent != "properties":
            item = item.lower()
        out[name] = as_wire(item, name)
    if parent == "systemInstruction" and out.get("role") == "user":
        del out["role"]
    return out


@pytest.mark.parametrize("mode", ["coach", "free"])
def test_our_request_is_the_sdks(mode, urlopen):
    profile = coach_profile("food", "beginner", mode)
    name, mine = ours(profile, urlopen)
    theirs = sdks(profile)

    assert name == TOKEN
    assert (mine["method"], mine["url"]) == (theirs["method"], theirs["url"]) \
        == ("POST", f"{BASE}/v1alpha/auth_tokens")
    for header in ("x-goog-api-key", "content-type"):
        assert mine["headers"][header] == theirs["headers"][header]
    body, sdk_body = mine["body"], theirs["body"]
    assert set(body) == set(sdk_body) == {"uses", "expireTime", "newSessionExpireTime",
                                          "bidiGenerateContentSetup"}  # no fieldMask: all locked
    for field in ("uses", "expireTime", "newSessionExpireTime"):
        assert body[field] == sdk_body[field], field
    assert body["newSessionExpireTime"] == "2026-12-07T10:21:00.500000+00:00"
    setup, sdk_setup = body["bidiGenerateContentSetup"], as_wire(sdk_body["bidiGenerateContentSetup"])
    assert set(setup) == set(sdk_setup)
    for field in setup:
        assert setup[field] == sdk_setup[field], field
    assert ("tools" in setup) == (mode == "coach")


def test_the_key_travels_only_in_its_header(urlopen):
    _, mine = ours(coach_profile("food", "beginner", "coach"), urlopen)
    assert mine["headers"]["x-goog-api-key"] == KEY
    assert KEY not in mine["url"] and KEY not in json.dumps(mine["body"])


def refused(status: int, message: str) -> urllib.error.HTTPError:
    body = json.dumps({"error": {"code": status, "message": message, "status": "PERMISSION_DENIED"}})
    return urllib.error.HTTPError(BASE, status, "refused", {}, io.BytesIO(body.encode()))


@pytest.mark.parametrize("status, message", [
    (400, "API key not valid. Please pass a valid API key."),
    (403, "Method doesn't allow unregistered callers."),
])
def test_a_refusal_is_a_provider_error_without_the_key(status, message, urlopen):
    urlopen["answer"] = refused(status, message)
    with pytest.raises(ProviderError) as caught:
        ours(coach_profile("food", "beginner", "coach"), urlopen)
    assert (caught.value.provider, caught.value.status) == ("gemini", status)
    assert message in str(caught.value) and KEY not in str(caught.value)


@pytest.mark.parametrize("answer", [b'{"uses": 1}', b'{"name": 5}', b"not json", b'["auth_tokens/x"]'])
def test_an_answer_without_a_token_name_is_a_provider_error(answer, urlopen):
    urlopen["answer"] = answer
    with pytest.raises(ProviderError) as caught:
        ours(coach_profile("food", "beginner", "coach"), urlopen)
    assert caught.value.provider == "gemini" and "auth_tokens/x" not in str(caught.value)
