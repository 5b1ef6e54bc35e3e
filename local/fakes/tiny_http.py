"""The little HTTP/1.1 a fake provider's REST routes need, on an asyncio loop (127.0.0.1 only):
one request per connection (Connection: close), a body by Content-Length, and the parts of a
multipart/form-data body (RFC 7578) as the openai SDK and speakpho.providers.openai_rest send it.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Awaitable, Callable

MAX_BODY = 1_000_000
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: dict) -> "Response":
        return cls(status, json.dumps(value).encode(), {"Content-Type": "application/json"})


Handler = Callable[[Request], Awaitable[Response]]


def form_parts(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """{name: (content type, content)} of a multipart/form-data body; ValueError if it is not one."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise ValueError("not multipart/form-data")
    values = dict(param.strip().split("=", 1) for param in params.split(";") if "=" in param)
    boundary = values.get("boundary", "").strip('"').encode()
    chunks = body.split(b"--" + boundary) if boundary else []
    if len(chunks) < 3 or chunks[0] != b"" or not chunks[-1].startswith(b"--"):
        raise ValueError("body is not delimited by its boundary")
    parts = {}
    for chunk in chunks[1:-1]:
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        if 'name="' not in disposition:
            raise ValueError("a part without a name")
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        parts[name] = (headers.get("content-type", "text/plain"), content.removesuffix(b"\r\n"))
    return parts


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    if length > MAX_BODY:
        return None
    return Request(method, path, headers, await reader.readexactly(length) if length else b"")


async def serve(handler: Handler, port: int = 0) -> asyncio.Server:
    """Serves `handler` on 127.0.0.1 (port 0: any free one)."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_request(reader), 10)
            response = await handler(request) if request else Response.json(413, {"error": "too large"})
            head = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}",
                    f"Content-Length: {len(response.body)}", "Connection: close"]
            head += [f"{name}: {value}" for name, value in response.headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                ValueError, ConnectionError):
            pass  # a broken request gets no answer; the fake carries on
        finally:
            writer.close()

    return await asyncio.start_server(on_connection, "127.0.0.1", port)
