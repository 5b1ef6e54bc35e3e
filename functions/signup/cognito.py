"""The learner pool as the sign-up trigger uses it (signup.claims.Users): AdminGetUser and
AdminDeleteUser, nothing else (infra/identity_access.py grants exactly these)."""
from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError


@lru_cache(maxsize=1)
def cognito_client():
    import botocore.session
    from botocore.config import Config

    # Cognito waits 5 s for the trigger: no long retries.
    return botocore.session.get_session().create_client(
        "cognito-idp", config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=1,
                                     read_timeout=2))


class CognitoUsers:
    def __init__(self, client=None) -> None:
        self._client = client

    @property
    def client(self):
        return self._client or cognito_client()

    def status(self, pool_id: str, user_name: str) -> str | None:
        try:
            return self.client.admin_get_user(UserPoolId=pool_id, Username=user_name)["UserStatus"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return None
            raise

    def delete(self, pool_id: str, user_name: str) -> None:
        try:
            self.client.admin_delete_user(UserPoolId=pool_id, Username=user_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
                raise
