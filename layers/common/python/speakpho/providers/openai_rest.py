"""OpenAI's server-held WebRTC calls (the OpenAICalls port): the requests the `openai` SDK makes
for `client.realtime.calls.create` and `client.realtime.calls.hangup`, sent with urllib
(speakpho.providers.http) so the session function imports no SDK at init.

    create   POST {base}/realtime/calls, multipart/form-data: part `sdp` (application/sdp, the
             browser's offer) and part `session` (application/json, speakpho.coach.openai_session);
             Accept: application/sdp. 201: the body is the SDP answer and `Location` ends in
             /realtime/calls/<call_id> (developers.openai.com, guide "realtime-webrtc", the
             unified interface; "realtime-server-controls" for the call id).
    hangup   POST {base}/realtime/calls/{call_id}/hangup, no body. 404: the call is already over.

tests/providers/test_openai_call_requests.py pins both against the SDK's own requests.
"""
from __future__ import annotations

import json
import re
import secrets
import urllib.parse

from speakpho.providers.http import post
from speakpho.providers.ports import ProviderError

PROVIDER = "openai"
DEFAULT_BASE = "https://api.openai.com/v1"
# A call id is one path segment (OpenAI's look like rtc_<hex>); anything else is not trusted.
CALL_ID = re.compile(r"/realtime/calls/([A-Za-z0-9_\-]+)/?$")


def multipart_form(parts: list[tuple[str, str, bytes]], boundary: str) -> bytes:
    """multipart/form-data (RFC 7578) of (name, content type, content) parts, laid out as httpx
    lays out the SDK's files (no filename)."""
    lines = b""
    for name, content_type, content in parts:
        lines += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                  f"Content-Type: {content_type}\r\n\r\n").encode() + content + b"\r\n"
    return lines + f"--{boundary}--\r\n".encode()


def session_json(session: dict) -> bytes:
    """The session part as the SDK encodes it (openai._utils._json.openapi_dumps)."""
    return json.dumps(session, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def call_id_from_location(location: str | None) -> str:
    """The call id at the end of a Location header (absolute URL or path)."""
    path = urllib.parse.urlsplit(location or "").path
    match = CALL_ID.search(path)
    if not match:
        raise ProviderError(PROVIDER, "answer without a call id in Location")
    return match.group(1)


class OpenAIRestCalls:
    def __init__(self, base_url: str = DEFAULT_BASE):
        self.base_url = base_url.rstrip("/")

    def create_call(self, api_key: str, *, sdp: str, session: dict) -> tuple[str, str]:
        boundary = secrets.token_hex(16)
        body = multipart_form([("sdp", "application/sdp", sdp.encode("utf-8")),
                               ("session", "application/json", session_json(session))], boundary)
        answer = post(PROVIDER, f"{self.base_url}/realtime/calls", body=body, headers={
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/sdp",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        })
        call_id = call_id_from_location(answer.headers.get("location"))
        try:
            answer_sdp = answer.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProviderError(PROVIDER, "SDP answer is not UTF-8", answer.status) from None
        if not answer_sdp.startswith("v=0"):
            raise ProviderError(PROVIDER, "answer is not an SDP answer", answer.status)
        return answer_sdp, call_id

    def hangup(self, api_key: str, call_id: str) -> None:
        if not call_id:
            raise ValueError("hangup needs a call id")
        url = f"{self.base_url}/realtime/calls/{urllib.parse.quote(call_id, safe='')}/hangup"
        try:
            # Content-Type as the SDK sends it (urllib would otherwise say form-urlencoded).
            post(PROVIDER, url, body=b"", headers={
                "Authorization": f"Bearer {api_key}", "Accept": "*/*", "Content-Type": "application/json"})
        except ProviderError as err:
            if err.status != 404:
                raise
