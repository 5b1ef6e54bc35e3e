"""The mailbox claims on DynamoDB (signup.claims.ClaimStore): conditional writes on one item
keyed by the mailbox digest; strongly consistent reads."""
from __future__ import annotations

from botocore.exceptions import ClientError

from signup.claims import CONFIRMED, Claim

TABLE = "mailbox_claims"


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _item(key: str, claim: Claim) -> dict:
    item = {"mailbox": {"S": key}, "holder": {"S": claim.holder}, "state": {"S": claim.state},
            "claimedAt": {"N": str(claim.claimed_at)}}
    if claim.expires_at is not None:
        item["expiresAt"] = {"N": str(claim.expires_at)}
    if claim.confirmed_at is not None:
        item["confirmedAt"] = {"N": str(claim.confirmed_at)}
    return item


def _number(item: dict, name: str) -> int | None:
    return int(item[name]["N"]) if name in item else None


class DynamoClaimStore:
    def __init__(self, client, table_name: str) -> None:
        self.client, self.table = client, table_name

    def _put(self, key: str, claim: Claim, condition: str, values: dict | None = None) -> bool:
        request = {"TableName": self.table, "Item": _item(key, claim), "ConditionExpression": condition}
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(**request)
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def put_new(self, key: str, claim: Claim) -> bool:
        return self._put(key, claim, "attribute_not_exists(mailbox)")

    def replace(self, key: str, claim: Claim, previous_holder: str) -> bool:
        return self._put(key, claim, "holder = :previous", {":previous": {"S": previous_holder}})

    def get(self, key: str) -> Claim | None:
        item = self.client.get_item(TableName=self.table, Key={"mailbox": {"S": key}},
                                    ConsistentRead=True).get("Item")
        if not item:
            return None
        return Claim(holder=item["holder"]["S"], state=item["state"]["S"], claimed_at=_number(item, "claimedAt"),
                     expires_at=_number(item, "expiresAt"), confirmed_at=_number(item, "confirmedAt"))

    def confirm(self, key: str, holder: str, now: int) -> bool:
        try:
            self.client.update_item(
                TableName=self.table, Key={"mailbox": {"S": key}},
                UpdateExpression="SET #state = :confirmed, confirmedAt = :now REMOVE expiresAt",
                ConditionExpression="holder = :holder",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":confirmed": {"S": CONFIRMED}, ":now": {"N": str(now)},
                                           ":holder": {"S": holder}})
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
