"""OpenAIRestCalls sends what the openai SDK (3.63.0) sends for realtime.calls.create / hangup.

The SDK's requests are captured with its transport faked (httpx2.MockTransport: the SDK's HTTP
client in this version is httpx2); ours go to a recording HTTP server on 127.0.0.1. No network.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
import openai
import pydantic
import pytest
from openai.types.realtime import RealtimeSessionCreateRequest, RealtimeSessionCreateRequestParam

from local.fakes.tiny_http import form_parts
from openai_models import strict
from speakpho.coach import coach_profile, openai_session
from speakpho.providers.openai_rest import OpenAIRestCalls, call_id_from_location
from speakpho.providers.ports import ProviderError

KEY = "sk-test-secret-value-123"
OFFER = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
ANSWER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CALL_ID = "rtc_0123abcd"
# Headers that carry meaning; the SDK's x-stainless-* telemetry and user-agent are not part of the API.
MEANINGFUL = ("authorization", "accept")


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers with `server.reply` (status, headers, body)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status, headers, reply = self.server.reply
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen, server.reply = [], (201, {"Location": f"/v1/realtime/calls/{CALL_ID}"}, ANSWER.encode())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def sdk_requests(calls) -> list[tuple[str, str, dict, bytes]]:
    seen = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append((request.method, request.url.path, dict(request.headers), request.content))
        if request.url.path.endswith("/hangup"):
            return httpx2.Response(200)
        return httpx2.Response(201, content=ANSWER.encode(), headers={"Location": f"/v1/realtime/calls/{CALL_ID}"})

    client = openai.OpenAI(api_key=KEY, base_url="http://openai.test/v1", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    calls(client)
    return seen


def parts(content_type: str, body: bytes) -> list[tuple[str, str, bytes]]:
    """(name, content type, content) of each part, in order (the fake OpenAI's own reader)."""
    return [(name, kind, content) for name, (kind, content) in form_parts(content_type, body).items()]


def shape(method, path, headers, body):
    return (method, path, {k: headers.get(k) for k in MEANINGFUL},
            parts(headers["content-type"], body) if body else (headers.get("content-length"), body))


@pytest.fixture
def session():
    return openai_session("gpt-realtime", coach_profile("phở ở Hà Nội", "beginner", "coach"))


def test_our_session_is_one_the_sdk_types_accept(session):
    assert set(session) <= set(RealtimeSessionCreateRequestParam.__annotations__)
    assert pydantic.TypeAdapter(RealtimeSessionCreateRequestParam).validate_python(session) == session
    parsed = strict(RealtimeSessionCreateRequest, session)
    assert parsed.tools[0].name == "record_correction"


def test_create_call_sends_what_the_sdk_sends(recorder, session):
    base = f"http://127.0.0.1:{recorder.server_port}/v1"
    answer, call_id = OpenAIRestCalls(base).create_call(KEY, sdp=OFFER, session=session)
    [ours] = recorder.seen
    [theirs] = sdk_requests(lambda client: client.realtime.calls.create(sdp=OFFER, session=session))

    assert shape(*ours) == shape(*theirs)
    assert (answer, call_id) == (ANSWER, CALL_ID)
    sdp_part, session_part = parts(ours[2]["content-type"], ours[3])
    assert sdp_part == ("sdp", "application/sdp", OFFER.encode())
    assert json.loads(session_part[2]) == session and session_part[1] == "application/json"
    assert ours[2]["authorization"] == f"Bearer {KEY}" and ours[2]["accept"] == "application/sdp"


def test_hangup_sends_what_the_sdk_sends(recorder):
    recorder.reply = (200, {}, b"")
    OpenAIRestCalls(f"http://127.0.0.1:{recorder.server_port}/v1/").hangup(KEY, CALL_ID)
    [ours] = recorder.seen
    [theirs] = sdk_requests(lambda client: client.realtime.calls.hangup(CALL_ID))
    assert shape(*ours) == shape(*theirs)
    assert ours[1] == f"/v1/realtime/calls/{CALL_ID}/hangup" and ours[3] == b""
    assert ours[2]["content-type"] == theirs[2]["content-type"] == "application/json"


@pytest.mark.parametrize("location, call_id", [
    ("/v1/realtime/calls/rtc_abc123", "rtc_abc123"),
    ("https://api.openai.com/v1/realtime/calls/rtc_u1_9f", "rtc_u1_9f"),
    ("https://api.openai.com/v1/realtime/calls/rtc_x/", "rtc_x"),
    ("/v1/realtime/calls/rtc_q?x=1", "rtc_q"),
])
def test_call_id_from_location(location, call_id):
    assert call_id_from_location(location) == call_id


@pytest.mark.parametrize("location", [None, "", "/v1/realtime/calls/", "/v1/realtime/calls/a/b",
                                      "/v1/realtime/calls/rtc%2F..", "/v1/other/rtc_abc"])
def test_a_location_without_a_call_id_is_a_provider_error(location):
    with pytest.raises(ProviderError) as err:
        call_id_from_location(location)
    assert err.value.provider == "openai"


def test_create_without_location_is_a_provider_error(recorder, session):
    recorder.reply = (201, {}, ANSWER.encode())
    with pytest.raises(ProviderError, match="call id"):
        OpenAIRestCalls(f"http://127.0.0.1:{recorder.server_port}/v1").create_call(KEY, sdp=OFFER, session=session)


def test_hangup_of_a_call_already_over_is_done(recorder):
    recorder.reply = (404, {"Content-Type": "application/json"},
                      b'{"error": {"message": "call not found", "type": "invalid_request_error"}}')
    assert OpenAIRestCalls(f"http://127.0.0.1:{recorder.server_port}/v1").hangup(KEY, CALL_ID) is None
    assert len(recorder.seen) == 1


@pytest.mark.parametrize("status", [401, 500])
def test_a_refusal_is_a_provider_error_without_the_key(recorder, session, status):
    # OpenAI's 401 names the key masked ("sk-test-************123"); ours must not add it whole.
    masked = f"Incorrect API key provided: {KEY[:8]}{'*' * 12}{KEY[-3:]}."
    echo = json.dumps({"error": {"message": masked, "type": "invalid_request_error"}}).encode()
    recorder.reply = (status, {"Content-Type": "application/json"}, echo)
    calls = OpenAIRestCalls(f"http://127.0.0.1:{recorder.server_port}/v1")
    for attempt in (lambda: calls.create_call(KEY, sdp=OFFER, session=session), lambda: calls.hangup(KEY, CALL_ID)):
        with pytest.raises(ProviderError) as err:
            attempt()
        assert (err.value.provider, err.value.status) == ("openai", status)
        assert KEY not in str(err.value) and KEY not in repr(err.value.args) and KEY not in err.value.detail
