"""What the practice and learning tests share: sign-in, the server clock moved to a fresh
month, the requests a page sends, the learner's data through the API."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from browser_seed import Http


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def sign_in(page, runner, path: str, user: str) -> None:
    page.goto(runner.base + path)
    expect(page.locator("#signin-user")).to_be_visible()
    page.fill("#signin-user", user)
    page.click("#signin button[type=submit]")
    expect(page.locator("#account-name")).to_contain_text(f"{user}@example.com")


def fresh_month_ms(server_now_ms: int) -> int:
    """12:00 UTC on the 10th of the month after both the server's clock and this machine's:
    a period no test has used, far from a month's end, and never behind the browser's clock."""
    base = datetime.fromtimestamp(max(server_now_ms, time.time() * 1000) / 1000, tz=timezone.utc)
    year, month = (base.year + 1, 1) if base.month == 12 else (base.year, base.month + 1)
    return int(datetime(year, month, 10, 12, tzinfo=timezone.utc).timestamp() * 1000)


def move_clock_to(http: Http, target_ms: int) -> int:
    return http.advance((target_ms - http.advance(0)) / 1000)


class Requests:
    """The JSON bodies a page (or context) sends to some API paths, and the answers' statuses."""

    def __init__(self, target, *paths: str):
        self.sent: dict[str, list[dict]] = {p: [] for p in paths}
        self.statuses: dict[str, list[int]] = {p: [] for p in paths}
        target.on("request", self._request)
        target.on("response", self._response)

    def _path(self, url: str) -> str | None:
        return next((p for p in self.sent if url.split("?")[0].endswith(p)), None)

    def _request(self, request):
        path = self._path(request.url)
        if path and request.method in ("POST", "PATCH", "PUT", "DELETE"):
            self.sent[path].append(json.loads(request.post_data) if request.post_data else {})

    def _response(self, response):
        path = self._path(response.url)
        if path and response.request.method in ("POST", "PATCH", "PUT", "DELETE"):
            self.statuses[path].append(response.status)


def wait_until(check, timeout: float = 15.0, interval: float = 0.2, message: str = "condition"):
    """Polls check() until it returns something truthy; returns it, or fails with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}; last value: {value!r}")
        time.sleep(interval)


def conversation(page) -> list[tuple[str, str]]:
    """(role, text) of every bubble on the page, in order."""
    return [(role, text.split(": ", 1)[1]) for role, text in page.eval_on_selector_all(
        "#bubbles .bubble", "bs => bs.map(b => [b.dataset.role, b.textContent])")]


def say(page, text: str) -> None:
    """The learner types a line; waits for the line as heard and then the coach's answer to it.
    Counting bubbles is not enough: a greeting or an earlier answer still on its way would be
    counted as this line's answer."""
    said_before = conversation(page).count(("user", text))
    page.fill("#say", text)
    page.click("#say-send")

    def answered():
        bubbles = conversation(page)
        said = [i for i, bubble in enumerate(bubbles) if bubble == ("user", text)]
        return len(said) > said_before and any(role == "coach" for role, _ in bubbles[said[-1] + 1:])

    wait_until(answered, message=f"the coach's answer to {text!r}")


def bubble_texts(page) -> list[str]:
    return [text for _, text in conversation(page)]


def greeted(page, times: int) -> None:
    """Waits for the coach's greeting number `times` (one per connection): a line said before
    a new connection's greeting would have the greeting shown as its answer."""
    wait_until(lambda: sum(role == "coach" and text.startswith("Chào bạn!")
                           for role, text in conversation(page)) == times,
               message=f"greeting number {times}")
