"""One free allowance per mailbox: the mailbox claims (speakpho.tables.MAILBOX_CLAIMS).

A sign-up claims its mailbox (Mailbox.key) before Cognito creates the account:

- **pending**: put by the pre-sign-up trigger, conditional on no claim existing. It lasts
  PENDING_SECONDS (Cognito's confirmation code is valid 24 h), then DynamoDB's TTL removes it.
- **confirmed**: the post-confirmation trigger turns the holder's claim into a lasting one
  (no `expiresAt`).

So that no account locks a mailbox forever, a sign-up that finds the mailbox claimed asks
Cognito about the holder:

- a pending claim past its 24 h whose holder never confirmed: the abandoned UNCONFIRMED
  account is deleted (it never signed in, so it has no usage) and the new sign-up takes the
  claim; an UNCONFIRMED account left behind could otherwise confirm later, a second account;
- a confirmed claim whose account was deleted: the mailbox is free again RECLAIM_AFTER_SECONDS
  (31 days, the free plan's month) after the claim was confirmed, so deleting and re-creating
  an account never yields more than the one monthly allowance an account keeps anyway.

Every change of a claim is conditional on the holder read, so two sign-ups racing for one
mailbox leave one holder.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PENDING_SECONDS = 24 * 3600
RECLAIM_AFTER_SECONDS = 31 * 24 * 3600
PENDING, CONFIRMED = "pending", "confirmed"
UNCONFIRMED = "UNCONFIRMED"      # Cognito's UserStatus of an account that never confirmed


class MailboxTaken(Exception):
    """The sign-up is refused: its mailbox already has (or is getting) an account."""


class Users(Protocol):
    """The learner pool, as the trigger sees it (signup.cognito)."""

    def status(self, pool_id: str, user_name: str) -> str | None: ...   # None: no such user
    def delete(self, pool_id: str, user_name: str) -> None: ...


@dataclass(frozen=True)
class Claim:
    holder: str
    state: str
    claimed_at: int
    expires_at: int | None = None
    confirmed_at: int | None = None


class ClaimStore(Protocol):
    def put_new(self, key: str, claim: Claim) -> bool: ...                        # False: one exists
    def replace(self, key: str, claim: Claim, previous_holder: str) -> bool: ...  # False: holder changed
    def get(self, key: str) -> Claim | None: ...
    def confirm(self, key: str, holder: str, now: int) -> bool: ...              # False: not the holder


def claim_mailbox(store: ClaimStore, users: Users, *, key: str, pool_id: str, user_name: str, now: int) -> None:
    """Claims the mailbox for `user_name` or raises MailboxTaken."""
    mine = Claim(holder=user_name, state=PENDING, claimed_at=now, expires_at=now + PENDING_SECONDS)
    for _ in range(2):   # a claim removed by its TTL between the put and the read: once more
        if store.put_new(key, mine):
            return
        held = store.get(key)
        if held is None:
            continue
        if held.holder == user_name:          # Cognito retried this trigger
            return
        if not _released(held, users, pool_id, now):
            raise MailboxTaken("this mailbox already has an account")
        if store.replace(key, mine, held.holder):
            return
        raise MailboxTaken("this mailbox already has an account")
    raise MailboxTaken("this mailbox already has an account")


def _released(held: Claim, users: Users, pool_id: str, now: int) -> bool:
    """Whether the holder let go of the mailbox (module docstring); deletes an abandoned
    unconfirmed holder."""
    if held.state == PENDING:
        if held.expires_at is None or held.expires_at > now:
            return False
        status = users.status(pool_id, held.holder)
        if status == UNCONFIRMED:
            users.delete(pool_id, held.holder)
            return True
        return status is None
    reclaimable_at = (held.confirmed_at or held.claimed_at) + RECLAIM_AFTER_SECONDS
    return reclaimable_at <= now and users.status(pool_id, held.holder) is None


def confirm_mailbox(store: ClaimStore, *, key: str, user_name: str, now: int) -> bool:
    """Makes the holder's claim lasting. False when the claim is someone else's (the caller
    logs it: a post-confirmation trigger cannot refuse)."""
    if store.confirm(key, user_name, now):
        return True
    if store.get(key) is None:   # the pending claim outlived its TTL before the confirmation
        return store.put_new(key, Claim(holder=user_name, state=CONFIRMED, claimed_at=now, confirmed_at=now))
    return False
