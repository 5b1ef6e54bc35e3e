"""Domain errors. Each carries the HTTP status and code it maps to in the API."""
from __future__ import annotations


class ConditionLost(Exception):
    """A conditional write found the data changed since it was read (a race was lost).

    Raised by the stores, never by botocore code in the domain: the domain re-reads and
    decides (retry, or the answer of whoever won). Not an HTTP error: a domain function
    that gives up turns it into a Conflict.
    """


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: object | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
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


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"
