"""Helpers the browser tests share: sign-in through the dev form, JavaScript's number
formatting, the admin page's stat cards and filter bar (filters apply as they change)."""
from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

# The filter bar's fields in the order the page builds its query (admin.js readFilters).
FILTER_FIELDS = {"from": "#f-from", "to": "#f-to", "provider": "#f-provider", "initialProvider": "#f-initial",
                 "mode": "#f-mode", "status": "#f-status", "endedBy": "#f-ended-by", "userId": "#f-user",
                 "hasDisconnect": "#f-disconnect", "hadDrop": "#f-drop", "limit": "#f-limit"}
FILTER_DEFAULTS = {"from": "", "to": "", "provider": "", "initialProvider": "", "mode": "", "status": "",
                   "endedBy": "", "userId": "", "hasDisconnect": False, "hadDrop": False, "limit": "25"}
CHECKBOXES = ("hasDisconnect", "hadDrop")
SELECTS = ("provider", "initialProvider", "mode", "status", "endedBy", "limit")


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def to_fixed(value: float, digits: int) -> str:
    """JavaScript's Number.prototype.toFixed (exact binary value, halves away from zero)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def title_case(text: str) -> str:
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def sign_in(page, runner, path: str, user: str, *, admin: bool = False) -> None:
    page.goto(runner.base + path)
    expect(page.locator("#signin-user")).to_be_visible()
    page.fill("#signin-user", user)
    if admin:
        page.check("#signin-admin")
    page.click("#signin button[type=submit]")
    expect(page.locator("#account-name")).to_contain_text(f"{user}@example.com")


# ---------------------------------------------------------------------------- admin page
def stat_texts(page) -> dict:
    return {k: page.locator(f"#stat-{k}").inner_text() for k in ("total", "duration", "switch", "providers")}


def expected_stat_texts(stats: dict) -> dict:
    providers = stats["providerBreakdown"]
    return {
        "total": str(stats["totalSessions"]),
        "duration": js_minutes(stats["avgDuration"]),
        "switch": f"{to_fixed(stats['providerSwitchRate'] * 100, 1)}%",
        "providers": f"{providers.get('gemini', 0)} / {providers.get('openai', 0)}",
    }


def form_query(page) -> dict:
    """The filters the form holds, as the API's query (empty ones left out, limit apart)."""
    query = {}
    for name, selector in FILTER_FIELDS.items():
        if name == "limit":
            continue
        if name in CHECKBOXES:
            if page.is_checked(selector):
                query[name] = "true"
        else:
            value = page.input_value(selector).strip()
            if value:
                query[name] = value
    return query


def shown_query(page) -> str:
    """The form's filters as the page writes them on #dashboard[data-applied] once it shows them."""
    return urlencode({**form_query(page), "limit": page.input_value("#f-limit")})


def wait_until_shown(page, timeout: float = 15.0) -> None:
    """Until no load is running and the page shows what the form holds."""
    deadline = time.monotonic() + timeout
    while True:
        applied = page.get_attribute("#dashboard", "data-applied")
        if page.locator("#admin-status").is_hidden() and applied == shown_query(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the page shows {applied!r}, the form holds {shown_query(page)!r}; "
                                 f"status: {page.locator('#admin-status').inner_text()!r}")
        page.wait_for_timeout(100)


def apply_filters(page, **values) -> None:
    """Sets every filter (unnamed ones to their defaults); each applies as it changes (no button)."""
    for name, value in {**FILTER_DEFAULTS, **values}.items():
        selector = FILTER_FIELDS[name]
        if name in CHECKBOXES:
            page.set_checked(selector, bool(value))
        elif name in SELECTS:
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    wait_until_shown(page)


# ---------------------------------------------------------------------------- the sessions table
ENDED_BY = {"learner": "Learner", "provider": "Provider", "network": "Network", "limit": "Minute limit",
            "client_vanished": "Timed out (no heartbeat)", "superseded": "Newer session"}
PROVIDER_NAMES = {"gemini": "Gemini", "openai": "OpenAI"}


def js_duration(seconds: int) -> str:
    """format.js duration() for whole seconds under an hour."""
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{rest} s"


def js_minutes(minutes: float) -> str:
    """format.js minutes(): the API's minutes in the pages' one format ("4 min 24 s")."""
    return js_duration(round(float(minutes or 0) * 60))


def code_key_text(key: str, stats: dict) -> str:
    if key == "none":
        return "no code"
    if key == "other":
        return (stats.get("closeCodes") or {}).get("other", {}).get("label") or "other code"
    return f"{key} {stats['closeCodeLabels'].get(key, '')}".strip()


def expected_row(session: dict, stats: dict) -> dict:
    """What the table shows for a list row (admin-table.js), column by column."""
    live = session.get("status") == "active"
    code = session.get("disconnectCode")
    timed_out = not live and (session.get("endedBy") in ("client_vanished", "superseded")
                              or (code is None and session.get("endReason") in ("timeout", "stale")))
    credited = int(session.get("creditedSeconds") or 0)
    duration = "Live" if live else (js_minutes(session["minutesUsed"])
                                    + (f" · {js_duration(credited)} credited" if credited else ""))
    if live:
        disconnect = "—"
    elif timed_out:
        replaced = session.get("endedBy") == "superseded" or (not session.get("endedBy")
                                                              and session.get("endReason") == "stale")
        disconnect = "No end (replaced by a newer session)" if replaced else "No end (timed out)"
    elif code is None:
        disconnect = "Clean"
    else:
        disconnect = f"{code} {stats['closeCodeLabels'][str(code)]}"
    provider = PROVIDER_NAMES[session["provider"]]
    if session["providerSwitched"]:
        provider += " switched" + (f" · {code_key_text(session['switchCause'], stats)}"
                                   if session.get("switchCause") else "")
    reconnects = int(session.get("reconnects") or 0)
    if reconnects:
        provider += f" · {reconnects} reconnect{'' if reconnects == 1 else 's'}"
    return {"user": session["userEmail"], "duration": duration, "provider": provider, "disconnect": disconnect,
            "endedBy": "—" if live else (ENDED_BY.get(session.get("endedBy")) or "—"),
            "messages": str(session["messageCount"])}


def shown_row(row) -> dict:
    expect(row.locator("td")).to_have_count(7)   # waits for the table to be drawn
    cells = row.locator("td").all_inner_texts()
    return {"user": cells[0], "duration": cells[2], "provider": cells[3], "disconnect": cells[4],
            "endedBy": cells[5], "messages": cells[6]}


def detail_facts(page) -> dict:
    """The detail's facts, term -> value."""
    return dict(zip(page.locator("#detail-facts dt").all_inner_texts(),
                    page.locator("#detail-facts dd").all_inner_texts()))
