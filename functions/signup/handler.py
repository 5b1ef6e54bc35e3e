"""The learner pool's sign-up trigger (pre sign-up and post confirmation, one function).

- PreSignUp_SignUp: refuses a disposable email domain, then claims the address's mailbox
  (signup.mailbox, signup.claims): one free allowance per mailbox. Raising refuses the
  sign-up; Cognito answers UserLambdaValidationException with the message.
- PostConfirmation_ConfirmSignUp: makes the claim lasting.
- Anything else (an operator's AdminCreateUser, a forgotten-password confirmation) passes.

Neither the address nor the mailbox is logged: only the trigger, the outcome and the user name
(the account's sub).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from signup.claims import MailboxTaken, claim_mailbox, confirm_mailbox
from signup.cognito import CognitoUsers
from signup.mailbox import NotAnAddress, is_disposable, mailbox_of
from signup.store import TABLE, DynamoClaimStore
from speakpho.aws import dynamodb_client
from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.table_env import require_tables

require_tables(TABLE)

logger = Logger(service="signup")

SIGN_UP = "PreSignUp_SignUp"
CONFIRMED = "PostConfirmation_ConfirmSignUp"
REFUSED_DISPOSABLE = "disposable email addresses are not accepted; use your own mailbox"
REFUSED_ADDRESS = "the email address is not valid"


class SignUpRefused(Exception):
    """Refuses the sign-up: Cognito shows the message to the client."""


def claim_store() -> DynamoClaimStore:
    return DynamoClaimStore(dynamodb_client(), get_settings().table(TABLE))


_users = CognitoUsers()


def lambda_handler(event: dict, context) -> dict:
    source = event.get("triggerSource")
    if source == SIGN_UP:
        _on_sign_up(event)
    elif source == CONFIRMED:
        _on_confirmed(event)
    return event


def _mailbox(event: dict):
    try:
        return mailbox_of(str(event["request"]["userAttributes"].get("email", "")))
    except NotAnAddress:
        raise SignUpRefused(REFUSED_ADDRESS) from None


def _on_sign_up(event: dict) -> None:
    mailbox = _mailbox(event)
    if is_disposable(mailbox.domain):
        logger.info("sign-up refused", extra={"why": "disposable_domain"})
        raise SignUpRefused(REFUSED_DISPOSABLE)
    try:
        claim_mailbox(claim_store(), _users, key=mailbox.key, pool_id=event["userPoolId"],
                      user_name=event["userName"], now=clock.now_ms() // 1000)
    except MailboxTaken as exc:
        logger.info("sign-up refused", extra={"why": "mailbox_taken"})
        raise SignUpRefused(str(exc)) from None
    logger.info("mailbox claimed", extra={"userName": event["userName"]})


def _on_confirmed(event: dict) -> None:
    mailbox = _mailbox(event)
    if not confirm_mailbox(claim_store(), key=mailbox.key, user_name=event["userName"], now=clock.now_ms() // 1000):
        # Cannot refuse after the confirmation; an operator can look the account up.
        logger.warning("confirmed account without its mailbox claim", extra={"userName": event["userName"]})
