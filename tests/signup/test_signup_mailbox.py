"""signup.mailbox: the mailbox an address belongs to (plus tags everywhere, dots at Gmail) and
whether its domain is disposable (the pinned disposable-email-domains list)."""
from __future__ import annotations

import pytest

from signup.mailbox import NotAnAddress, is_disposable, mailbox_of


@pytest.mark.parametrize("email,address", [
    ("Learner@Example.com", "learner@example.com"),
    ("learner+speakpho@example.com", "learner@example.com"),
    ("learner+a+b@example.com", "learner@example.com"),
    ("first.last@example.com", "first.last@example.com"),          # dots matter outside Gmail
    ("First.Last+x@Gmail.com", "firstlast@gmail.com"),
    ("f.i.r.s.t.last@googlemail.com", "firstlast@gmail.com"),     # the alias folds into gmail.com
    ("first.last@workspace-school.edu.vn", "first.last@workspace-school.edu.vn"),
    ("  learner@example.com  ", "learner@example.com"),
    ("learner@example.com.", "learner@example.com"),
    ('"odd@local"@example.com', '"odd@local"@example.com'),        # the last @ splits
])
def test_mailbox_of(email, address):
    assert mailbox_of(email).address == address


@pytest.mark.parametrize("a,b,same", [
    ("a.b.c+1@gmail.com", "abc+2@googlemail.com", True),
    ("a.b@outlook.com", "ab@outlook.com", False),
    ("ab+farm1@outlook.com", "AB+farm2@Outlook.com", True),
    ("ab@gmail.com", "ab@gmail.co", False),
])
def test_the_claim_key_is_the_mailbox(a, b, same):
    assert (mailbox_of(a).key == mailbox_of(b).key) is same
    assert "@" not in mailbox_of(a).key and len(mailbox_of(a).key) == 64   # a digest, not the address


@pytest.mark.parametrize("email", ["", "learner", "@example.com", "learner@", "learner@localhost",
                                   "+tag@example.com", "...+x@gmail.com"])
def test_not_an_address(email):
    with pytest.raises(NotAnAddress):
        mailbox_of(email)


@pytest.mark.parametrize("domain,disposable", [
    ("mailinator.com", True),
    ("MAILINATOR.COM", True),
    ("inbox.mailinator.com", True),        # a subdomain of a listed one
    ("guerrillamail.com", True),
    ("10minutemail.com", True),
    ("gmail.com", False),
    ("outlook.com", False),
    ("edu.vn", False),
    ("com", False),
])
def test_is_disposable(domain, disposable):
    assert is_disposable(domain) is disposable


def test_the_list_is_the_packaged_one():
    from disposable_email_domains import blocklist

    assert len(blocklist) > 5000        # a maintained list, not a hand-written one
