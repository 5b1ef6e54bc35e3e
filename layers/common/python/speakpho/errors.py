"""Domain errors. Each carries the HTTP status and code it maps to in the API."""
from __future__ import annotations


class ConditionLost(Exception):
    """A conditional write found the data changed since it was read (a race was lost).

    The one way a store reports a lost condition: never botocore's ClientError, a None or
    a bool. Every store method that writes with a condition either raises this or, where
    losing is not an error, handles it itself and says so in its docstring (e.g.
    LearningStore.mark_history_erased: the mark only moves forward, so a lost condition
    means a concurrent erasure already went further).

    A transaction cancelled for any reason counts as lost too (a condition failed, or a
    concurrent transaction on the same items conflicted): either way someone else is
    changing these items and the caller must re-read before deciding again.

    Not an HTTP error: the domain re-reads and decides (retry, or the answer of whoever
    won); a domain function that gives up turns it into a Conflict. One left uncaught is
    a bug and answers 500.

    Attributes:
        current: the item as it was when the condition failed, for writes that ask for it
            (ReturnValuesOnConditionCheckFailure=ALL_OLD, e.g. MeteringStore.switch_provider);
            None when not asked for, or when the item does not exist.
        reasons: for a cancelled transaction, DynamoDB's reason per action in order
            ("ConditionalCheckFailed", "TransactionConflict", "None", ...); () otherwise.
    """

    def __init__(self, message: str = "condition lost", *, current: dict | None = None,
                 reasons: tuple[str, ...] = ()):
        super().__init__(message)
        self.current = current
        self.reasons = tuple(reasons)


class CorrectionsOverCap(ConditionLost):
    """The end's transaction failed only because the learner holds too many corrections to take
    this session's (the store tells it from the transaction's reasons: the domain re-reads the
    room left instead of re-reading the session)."""


class AppError(Exception):
    """An answer other than success. `retry_after` (seconds) marks one that a retry of the same
    request may turn into a success, e.g. a 409 meaning "others are still changing this":
    the API sends it as a Retry-After header."""
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: object | None = None, code: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.retry_after = retry_after
        if code:
            self.code = code


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class LimitReached(AppError):
    status, code = 402, "limit_reached"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class Unprocessable(AppError):
    status, code = 422, "validation_error"


class IdempotencyKeyReused(AppError):
    """The Idempotency-Key of an earlier call came with another request body."""
    status, code = 422, "idempotency_key_reused"

    def __init__(self, message: str = "this Idempotency-Key was used with a different request body"):
        super().__init__(message, {"field": "Idempotency-Key"})


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class BadGateway(AppError):
    """A voice provider refused or did not answer a call the server made for the learner."""
    status, code = 502, "provider_error"


class ServiceUnavailable(AppError):
    status, code = 503, "provider_unavailable"
