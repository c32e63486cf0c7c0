"""One exception tree for kefu.

    KefuError
    ├── ConfigError              a bad configuration value (start-up stops)
    ├── BadRequest               400: malformed input from a client
    │   └── PayloadTooLarge      413: input over a configured limit
    ├── Unauthorized             401: missing/invalid credentials or token
    ├── Forbidden                403: authenticated but not allowed
    ├── NotFound                 404: unknown id
    ├── Conflict                 409: an illegal state transition or a lost race
    ├── TooManyRequests          429: a rate limit or a lockout (login attempts)
    ├── ServiceUnavailable       503: a dependency (database...) is down
    └── DeliveryError            a channel could not deliver an outbound message
        └── PermanentDeliveryError   retrying will not help

The web layer maps each class to its HTTP status through ``status``; ``code`` is the
machine-readable error code sent to clients.
"""

from __future__ import annotations


class KefuError(Exception):
    """Base of every error kefu raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(KefuError):
    """A configuration value is missing or invalid; the message names the key."""

    code = "config_error"


class BadRequest(KefuError):
    """The client sent something malformed."""

    status = 400
    code = "bad_request"


class PayloadTooLarge(BadRequest):
    """The client sent more than a configured limit allows."""

    status = 413
    code = "too_large"


class Unauthorized(KefuError):
    """Credentials or a token are missing, invalid or expired."""

    status = 401
    code = "unauthorized"


class Forbidden(KefuError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class NotFound(KefuError):
    """The requested object does not exist."""

    status = 404
    code = "not_found"


class Conflict(KefuError):
    """The request conflicts with the current state (illegal transition, lost race)."""

    status = 409
    code = "conflict"


class TooManyRequests(KefuError):
    """The caller went over a rate limit or is locked out for a while."""

    status = 429
    code = "rate_limited"


class ServiceUnavailable(KefuError):
    """A dependency kefu needs (the database, ...) is not available right now."""

    status = 503
    code = "unavailable"


class DeliveryError(KefuError):
    """A channel failed to deliver an outbound message; the outbox retries it."""

    code = "delivery_failed"


class PermanentDeliveryError(DeliveryError):
    """A channel refused an outbound message for good (no retry)."""

    code = "delivery_refused"
