"""The pure parts of the fakes' wire handling: which ICE candidates the fake keeps, and the
multipart/form-data parts it reads (local/fakes/loopback_ice.py, local/fakes/tiny_http.py)."""
from __future__ import annotations

import pytest
from aiortc import RTCSessionDescription

from local.fakes.loopback_ice import candidate_addresses, loopback_candidates_only
from local.fakes.tiny_http import form_parts
from speakpho.providers.openai_rest import multipart_form

HEAD = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


def candidate(address: str, port: int = 50000, kind: str = "host") -> str:
    return f"a=candidate:1 1 udp 2122260223 {address} {port} typ {kind}"


@pytest.mark.parametrize("lines, kept", [
    ([candidate("127.0.0.1")], ["127.0.0.1"]),
    ([candidate("192.168.1.20"), candidate("127.0.0.1", 50001)], ["127.0.0.1"]),
    ([candidate("0b371c22-0756-f647-8e84-64e8dad498c2.local")], []),  # mDNS: never resolved here
    ([candidate("::1"), candidate("fd00::2")], []),
    ([candidate("203.0.113.9", kind="srflx"), candidate("127.0.0.1", kind="host")], ["127.0.0.1"]),
    ([], []),
])
def test_only_loopback_candidates_of_a_remote_description_are_kept(lines, kept):
    sdp = HEAD + "".join(line + "\r\n" for line in lines) + "a=end-of-candidates\r\n"
    filtered = loopback_candidates_only(RTCSessionDescription(sdp, "offer"))
    assert candidate_addresses(filtered.sdp) == kept
    assert filtered.type == "offer"
    assert filtered.sdp.startswith(HEAD) and filtered.sdp.endswith("a=end-of-candidates\r\n")


def test_a_description_with_bare_newlines_comes_back_with_crlf():
    sdp = HEAD.replace("\r\n", "\n") + candidate("10.0.0.2") + "\n" + candidate("127.0.0.1") + "\n"
    filtered = loopback_candidates_only(RTCSessionDescription(sdp, "answer")).sdp
    assert candidate_addresses(filtered) == ["127.0.0.1"] and "\n" not in filtered.replace("\r\n", "")


@pytest.mark.parametrize("parts", [
    [("sdp", "application/sdp", b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n")],
    [("sdp", "application/sdp", b"v=0\r\n"), ("session", "application/json", '{"a":"phở"}'.encode())],
    [("empty", "text/plain", b"")],
])
def test_form_parts_reads_what_multipart_form_writes(parts):
    body = multipart_form(parts, "b0undary")
    assert form_parts("multipart/form-data; boundary=b0undary", body) == {
        name: (content_type, content) for name, content_type, content in parts}


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b"{}"),
    ("multipart/form-data", b"--x\r\n"),
    ("multipart/form-data; boundary=x", b"no boundary here"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"),
])
def test_form_parts_refuses_what_is_not_a_named_multipart_form(content_type, body):
    with pytest.raises(ValueError):
        form_parts(content_type, body)
