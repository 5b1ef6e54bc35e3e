"""WebSocket close codes: the one table of what each code means and whom it points at.

The seed's reference table (code, label, common cause), plus the side each code points
to: the learner ended it, the network dropped it, or the voice provider failed. Every
area reads codes through here, so "1000 is a normal closure" is decided once.

Beyond the table:
- 4000-4999 is the range WebSocket leaves to applications; the voice providers close with
  codes there (e.g. quota or session errors), so a code in it points at the provider:
  side "provider", label "Provider code NNNN".
- any other code (e.g. 1002, 3000) has no known side: side "unknown", label
  "Application code NNNN". A session ended with one counts as ended by the network
  (speakpho.story.ended_by_code), but a disconnect with one earns no credit.
"""
from __future__ import annotations

from dataclasses import dataclass

NORMAL_CLOSURE = 1000

LEARNER, NETWORK, PROVIDER, UNKNOWN = "learner", "network", "provider", "unknown"


@dataclass(frozen=True)
class CloseCode:
    code: int
    label: str
    cause: str
    side: str


CLOSE_CODES: dict[int, CloseCode] = {c.code: c for c in (
    CloseCode(1000, "Normal closure", "User ended session properly", LEARNER),
    CloseCode(1001, "Going away", "Browser tab closed, navigation", NETWORK),
    CloseCode(1006, "Abnormal closure", "Network issue, server timeout", NETWORK),
    CloseCode(1011, "Server error", "API error on provider side", PROVIDER),
    CloseCode(1012, "Service restart", "Provider redeploying", PROVIDER),
    CloseCode(1013, "Try again later", "Provider rate limiting", PROVIDER),
)}

PROVIDER_RANGE = range(4000, 5000)

# {code: label} for the codes of the table (admin stats carry it).
CLOSE_CODE_LABELS: dict[int, str] = {c.code: c.label for c in CLOSE_CODES.values()}


def is_normal(code: int | None) -> bool:
    """A normal closure: the session ended as the learner meant it to."""
    return code == NORMAL_CLOSURE


def is_disconnect(code: int | None) -> bool:
    """A close code that reports something going wrong (any code but 1000)."""
    return code is not None and not is_normal(code)


def label(code: int | None) -> str:
    """The table's label; "Provider code NNNN" in 4000-4999, "Application code NNNN" for
    any other code outside the table; "" for no code."""
    if code is None:
        return ""
    known = CLOSE_CODES.get(code)
    if known:
        return known.label
    return f"Provider code {code}" if code in PROVIDER_RANGE else f"Application code {code}"


def side(code: int | None) -> str:
    """learner, network or provider by the table; provider in 4000-4999; else unknown."""
    if code is None:
        return UNKNOWN
    known = CLOSE_CODES.get(code)
    if known:
        return known.side
    return PROVIDER if code in PROVIDER_RANGE else UNKNOWN
