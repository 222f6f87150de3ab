"""Domain errors. Services raise them; the API handler turns each into a 4xx JSON body naming the field."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure of a request: bad input, not allowed, not found or an illegal state."""

    status = 400
    default_code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "field": self.field, "message": self.message}


class BadRequest(DomainError):
    status = 400
    default_code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """An illegal state transition or a resource held by someone else."""

    status = 409
    default_code = "conflict"


class Invalid(DomainError):
    """A well-formed request with a value the rules reject."""

    status = 422
    default_code = "invalid"


class TooManyRequests(DomainError):
    status = 429
    default_code = "rate_limited"
