"""The learner pool's sign-up trigger through its handler, on moto (DynamoDB and Cognito): the
refusals, one account per mailbox, and the ways a mailbox is freed again (an abandoned
unconfirmed sign-up after 24 h, a deleted account after 31 days)."""
from __future__ import annotations

import pytest

from signup import handler as trigger
from signup.claims import PENDING_SECONDS, RECLAIM_AFTER_SECONDS
from signup.cognito import CognitoUsers

PASSWORD = "Correct-Horse-9-Battery"


@pytest.fixture
def pool(dynamodb, clock, monkeypatch):
    """A moto user pool whose accounts are created with SignUp; the trigger's Cognito client is moto's."""
    import boto3

    client = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = client.create_user_pool(PoolName="learners", UsernameAttributes=["email"])["UserPool"]["Id"]
    app = client.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"]["ClientId"]
    monkeypatch.setattr(trigger, "_users", CognitoUsers(client))

    class Pool:
        id = pool_id
        cognito = client

        def sign_up(self, email: str) -> str:
            """What Cognito does: the trigger first, then the account (its sub is the userName)."""
            user = client.sign_up(ClientId=app, Username=email, Password=PASSWORD)["UserSub"]
            try:
                trigger.lambda_handler(event("PreSignUp_SignUp", pool_id, user, email), None)
            except trigger.SignUpRefused:
                client.admin_delete_user(UserPoolId=pool_id, Username=user)   # Cognito never created it
                raise
            return user

        def confirm(self, user: str, email: str) -> None:
            client.admin_confirm_sign_up(UserPoolId=pool_id, Username=user)
            trigger.lambda_handler(event("PostConfirmation_ConfirmSignUp", pool_id, user, email), None)

        def status(self, user: str) -> str | None:
            return CognitoUsers(client).status(pool_id, user)

    return Pool()


def event(source: str, pool_id: str, user: str, email: str) -> dict:
    return {"version": "1", "region": "us-east-1", "userPoolId": pool_id, "userName": user,
            "triggerSource": source, "callerContext": {"clientId": "web"},
            "request": {"userAttributes": {"email": email}}, "response": {}}


def claim_of(email: str) -> dict | None:
    from speakpho.aws import dynamodb_client
    from signup.mailbox import mailbox_of

    return dynamodb_client().get_item(TableName="mailbox_claims",
                                      Key={"mailbox": {"S": mailbox_of(email).key}}).get("Item")


@pytest.mark.parametrize("email,message", [
    ("farm@mailinator.com", trigger.REFUSED_DISPOSABLE),
    ("farm@inbox.guerrillamail.com", trigger.REFUSED_DISPOSABLE),
    ("no-at-sign", trigger.REFUSED_ADDRESS),
])
def test_refused_addresses_claim_nothing(pool, email, message):
    with pytest.raises(trigger.SignUpRefused, match=message):
        trigger.lambda_handler(event("PreSignUp_SignUp", pool.id, "u-1", email), None)
    if "@" in email:
        assert claim_of(email) is None


@pytest.mark.parametrize("first,second", [
    ("first.last@gmail.com", "firstlast+free2@googlemail.com"),
    ("learner@example.com", "Learner+again@Example.com"),
])
def test_one_account_per_mailbox(pool, first, second):
    user = pool.sign_up(first)
    pool.confirm(user, first)
    with pytest.raises(trigger.SignUpRefused, match="already has an account"):
        pool.sign_up(second)
    claim = claim_of(second)
    assert claim["holder"]["S"] == user and claim["state"]["S"] == "confirmed" and "expiresAt" not in claim


def test_a_pending_claim_holds_the_mailbox_for_a_day_then_its_unconfirmed_account_goes(pool, clock):
    abandoned = pool.sign_up("slow@example.com")
    claim = claim_of("slow@example.com")
    assert claim["state"]["S"] == "pending"
    assert int(claim["expiresAt"]["N"]) == clock.now_ms() // 1000 + PENDING_SECONDS   # the TTL
    clock.advance(seconds=PENDING_SECONDS - 1)
    with pytest.raises(trigger.SignUpRefused):
        pool.sign_up("slow+2@example.com")
    clock.advance(seconds=2)
    again = pool.sign_up("slow+2@example.com")
    assert claim_of("slow@example.com")["holder"]["S"] == again
    assert pool.status(abandoned) is None            # the abandoned sign-up cannot confirm later
    pool.confirm(again, "slow+2@example.com")
    assert claim_of("slow@example.com")["state"]["S"] == "confirmed"


def test_a_pending_claim_whose_holder_confirmed_late_is_kept(pool, clock):
    """The holder confirmed, but its post-confirmation did not run yet: the mailbox stays taken."""
    user = pool.sign_up("late@example.com")
    pool.cognito.admin_confirm_sign_up(UserPoolId=pool.id, Username=user)
    clock.advance(seconds=PENDING_SECONDS + 1)
    with pytest.raises(trigger.SignUpRefused):
        pool.sign_up("late+2@example.com")
    assert pool.status(user) == "CONFIRMED"


def test_a_deleted_account_frees_its_mailbox_after_the_plan_month(pool, clock):
    user = pool.sign_up("gone@example.com")
    pool.confirm(user, "gone@example.com")
    pool.cognito.admin_delete_user(UserPoolId=pool.id, Username=user)
    clock.advance(seconds=RECLAIM_AFTER_SECONDS - 1)
    with pytest.raises(trigger.SignUpRefused):       # delete and re-create: no second allowance this month
        pool.sign_up("gone@example.com")
    clock.advance(seconds=1)
    back = pool.sign_up("gone@example.com")
    assert claim_of("gone@example.com")["holder"]["S"] == back


def test_a_kept_account_keeps_its_mailbox_for_good(pool, clock):
    user = pool.sign_up("kept@example.com")
    pool.confirm(user, "kept@example.com")
    clock.advance(seconds=RECLAIM_AFTER_SECONDS * 12)
    with pytest.raises(trigger.SignUpRefused):
        pool.sign_up("kept+2@example.com")


def test_a_retried_trigger_is_not_refused(pool):
    user = pool.sign_up("retry@example.com")
    trigger.lambda_handler(event("PreSignUp_SignUp", pool.id, user, "retry@example.com"), None)
    assert claim_of("retry@example.com")["holder"]["S"] == user


def test_a_confirmation_after_the_ttl_removed_the_pending_claim_claims_it_confirmed(pool, clock):
    from speakpho.aws import dynamodb_client
    from signup.mailbox import mailbox_of

    user = pool.sign_up("ttl@example.com")
    dynamodb_client().delete_item(TableName="mailbox_claims", Key={"mailbox": {"S": mailbox_of("ttl@example.com").key}})
    pool.confirm(user, "ttl@example.com")
    assert claim_of("ttl@example.com")["state"]["S"] == "confirmed"


def test_other_triggers_pass_untouched(pool):
    sent = event("PreSignUp_AdminCreateUser", pool.id, "u-admin", "anyone@mailinator.com")
    assert trigger.lambda_handler(sent, None) is sent
    assert claim_of("anyone@mailinator.com") is None


def test_nothing_personal_is_logged(pool, capsys):
    pool.sign_up("private.person@example.com")
    with pytest.raises(trigger.SignUpRefused):
        pool.sign_up("private.person+2@example.com")
    with pytest.raises(trigger.SignUpRefused):
        trigger.lambda_handler(event("PreSignUp_SignUp", pool.id, "u-9", "private@mailinator.com"), None)
    out = capsys.readouterr()
    logged = out.out + out.err
    assert "private" not in logged and "mailinator" not in logged
