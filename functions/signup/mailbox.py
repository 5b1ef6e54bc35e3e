"""What a sign-up's email address is, for the free plan: its mailbox, and whether its domain
is a disposable-mail service.

- The whole address is lower-cased (the learner pool signs in case-insensitively).
- A `+tag` is dropped on every domain: plus-addressing delivers to the same mailbox at Gmail,
  Outlook/Hotmail, iCloud, Fastmail, Proton and most others; a provider that treats `a+b` as
  another mailbox is rare, and merging the two only costs a second free allowance.
- Dots in the local part are dropped only where the provider ignores them: gmail.com and its
  alias googlemail.com (folded into gmail.com). Google Workspace and other domains keep them.
- Disposable domains come from the `disposable-email-domains` package (pinned in
  requirements.txt, shipped in the common layer), a maintained community list; a subdomain
  of a listed domain is disposable too.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Domains whose mail ignores dots in the local part, and the one name each folds into.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
PLUS = "+"


class NotAnAddress(ValueError):
    """The sign-up's email is not local@domain."""


@dataclass(frozen=True)
class Mailbox:
    local: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def key(self) -> str:
        """What the claims table stores: a digest, so the table holds no email address."""
        return hashlib.sha256(self.address.encode()).hexdigest()


def mailbox_of(email: str) -> Mailbox:
    local, at, domain = email.strip().lower().rpartition("@")
    if not at or not local or not domain or "." not in domain.strip("."):
        raise NotAnAddress("not an email address")
    domain = domain.strip(".")
    local = local.split(PLUS, 1)[0]
    domain = DOTLESS_DOMAINS.get(domain, domain)
    if domain in DOTLESS_DOMAINS.values():
        local = local.replace(".", "")
    if not local:
        raise NotAnAddress("not an email address")
    return Mailbox(local, domain)


def _blocklist() -> frozenset[str]:
    from disposable_email_domains import blocklist   # 10,000+ names: imported on first use only

    return frozenset(blocklist)


_BLOCKLIST: frozenset[str] | None = None


def is_disposable(domain: str) -> bool:
    """True for a listed domain or any subdomain of one (x.mailinator.com)."""
    global _BLOCKLIST
    if _BLOCKLIST is None:
        _BLOCKLIST = _blocklist()
    parts = domain.lower().strip(".").split(".")
    return any(".".join(parts[i:]) in _BLOCKLIST for i in range(len(parts) - 1))
