"""Typed errors raised by the Lightspeed API client.

Errors carry ``status`` (HTTP status or None), ``code`` (OAuth ``error`` / Lightspeed
``errorClass`` or a short client code) and a human message. They never carry tokens.
"""


class LightspeedError(Exception):
    """Base class of every error raised by :mod:`lightspeed_connector.api`."""

    retryable = False

    def __init__(self, message, status=None, code=None, hint=None, url=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint
        self.url = url

    @property
    def error(self):
        """OAuth-style alias of :attr:`code` (``"invalid_grant"``, ``"access_denied"``...)."""
        return self.code

    def __str__(self):
        parts = [self.message]
        if self.status:
            parts.append(f"(HTTP {self.status}")
            parts[-1] += f", {self.code})" if self.code else ")"
        elif self.code:
            parts.append(f"({self.code})")
        return " ".join(parts)


class AuthenticationError(LightspeedError):
    """401/403 or an OAuth error (bad client, bad/expired code, missing scope)."""


class ReauthorizationRequired(AuthenticationError):
    """The connection is lost: the merchant must authorize the app again.

    Raised on ``invalid_grant`` during refresh (revoked / expired / reused refresh token,
    locked or archived authorizing employee) and on a 401 that survives a refresh.
    """


class RetryableError(LightspeedError):
    """Transient failure (connection error, timeout, 5xx) that may succeed when retried."""

    retryable = True


class RateLimitError(RetryableError):
    """HTTP 429 (leaky bucket or burst limiter) still failing after the retries."""

    def __init__(self, message, retry_after=None, limit_type=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.limit_type = limit_type


class RemoteServerError(RetryableError):
    """5xx answer or a body that is not JSON (e.g. an HTML error page from a proxy)."""


class NotFoundError(LightspeedError):
    """HTTP 404: unknown object or path."""


class RequestValidationError(LightspeedError):
    """HTTP 400/405/409/422: the request itself is wrong; retrying will not help."""


class PayloadError(LightspeedError, ValueError):
    """A payload lacks a mandatory key (e.g. the primary id) or has an unparsable value."""
