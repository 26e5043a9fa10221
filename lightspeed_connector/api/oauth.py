"""OAuth2 for Lightspeed Retail R-Series (spec section 2) on top of requests-oauthlib.

Token endpoint calls follow the *current* server: ``POST {auth_url}/auth/oauth/token`` with a
JSON body holding ``client_id``, ``client_secret`` and the grant fields (the documented body
types are JSON and multipart; form-urlencoded is not documented for the new endpoint).
"""

import base64
import hashlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from requests_oauthlib import OAuth2Session

from .errors import (
    AuthenticationError,
    LightspeedError,
    RateLimitError,
    ReauthorizationRequired,
    RemoteServerError,
    RetryableError,
)
from .normalize import parse_datetime

_logger = logging.getLogger(__name__)

# requests-oauthlib logs request bodies and tokens at DEBUG: keep that logger quiet unless
# somebody configured it on purpose.
_oauthlib_logger = logging.getLogger("requests_oauthlib")
if _oauthlib_logger.level == logging.NOTSET:
    _oauthlib_logger.setLevel(logging.INFO)

DEFAULT_AUTH_URL = "https://cloud.lightspeedapp.com"
DEFAULT_SCOPES = (
    "employee:register_read",
    "employee:admin_employees",
    "employee:inventory_read",
    "employee:customers_read",
)
DEFAULT_USER_AGENT = "odoo-lightspeed-connector/18.0"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _b64url_json(segment):
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def decode_jwt_claims(token):
    """Claims of a JWT *without* verifying it (for display / account discovery only)."""
    try:
        claims = _b64url_json(token.split(".")[1])
    except (ValueError, IndexError, AttributeError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(repr=False)
class TokenSet:
    """An access/refresh token pair. ``expires_at`` is an aware UTC datetime."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    token_type: str = "Bearer"
    claims: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.expires_at is None:
            exp = decode_jwt_claims(self.access_token).get("exp")
            self.expires_at = (
                datetime.fromtimestamp(float(exp), tz=timezone.utc)
                if exp
                else datetime.now(timezone.utc)
            )
        elif isinstance(self.expires_at, str):
            self.expires_at = parse_datetime(self.expires_at)
        elif self.expires_at.tzinfo is None:
            self.expires_at = self.expires_at.replace(tzinfo=timezone.utc)
        if not self.claims:
            self.claims = decode_jwt_claims(self.access_token)

    def __repr__(self):  # never show the tokens themselves
        return (
            f"TokenSet(account_id={self.account_id!r}, user_id={self.user_id!r}, "
            f"expires_at={self.expires_at.isoformat()!r})"
        )

    @property
    def account_id(self):
        value = self.claims.get("acct")
        return str(value) if value not in (None, "") else None

    @property
    def user_id(self):
        value = self.claims.get("sub")
        return str(value) if value not in (None, "") else None

    @property
    def scope(self):
        return self.claims.get("scope")

    def is_expired(self, margin_seconds=60, now=None):
        now = now or datetime.now(timezone.utc)
        return now + timedelta(seconds=margin_seconds) >= self.expires_at

    def to_dict(self):
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
            token_type=data.get("token_type") or "Bearer",
        )

    @classmethod
    def from_response(cls, data, now=None, previous_refresh_token=None):
        """Build from a token endpoint response (``expires_in`` wins over the JWT ``exp``)."""
        now = now or datetime.now(timezone.utc)
        expires_at = None
        if data.get("expires_in") not in (None, ""):
            expires_at = now + timedelta(seconds=float(data["expires_in"]))
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or previous_refresh_token,
            expires_at=expires_at,
            token_type=data.get("token_type") or "Bearer",
        )


class _JsonTokenSession(OAuth2Session):
    """OAuth2Session that sends the token endpoint bodies as JSON."""

    json_urls = ()

    def request(self, method, url, data=None, headers=None, **kwargs):
        if url in self.json_urls and isinstance(data, dict):
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
            kwargs["json"] = {k: v for k, v in data.items() if v is not None}
            data = None
        return super().request(method, url, data=data, headers=headers, **kwargs)


def _drop_scope(url, headers, body):
    """The documented refresh body has no ``scope``: oauthlib adds one, remove it."""
    from oauthlib.common import urldecode, urlencode

    params = [(k, v) for k, v in urldecode(body) if k != "scope"]
    return url, headers, urlencode(params)


class LightspeedOAuth:
    """Authorization-code (+PKCE S256) flow, refresh and revoke against ``auth_url``."""

    def __init__(
        self,
        auth_url,
        client_id,
        client_secret,
        redirect_uri=None,
        scope=DEFAULT_SCOPES,
        timeout=30,
        user_agent=DEFAULT_USER_AGENT,
        sleep=time.sleep,
        max_retries=2,
    ):
        base = (auth_url or DEFAULT_AUTH_URL).rstrip("/")
        for suffix in ("/auth/oauth", "/auth"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        self.auth_url = base
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri  # informational: Lightspeed uses the registered URI
        self.scope = scope.split() if isinstance(scope, str) else list(scope)
        self.timeout = timeout
        self.user_agent = user_agent
        self.sleep = sleep
        self.max_retries = max_retries
        self.authorize_endpoint = f"{base}/auth/oauth/authorize"
        self.token_endpoint = f"{base}/auth/oauth/token"
        self.revoke_endpoint = f"{base}/auth/oauth/revoke"
        if urlsplit(base).hostname in _LOOPBACK:
            # local simulator over plain HTTP; oauthlib refuses http:// otherwise
            os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def __repr__(self):
        return f"LightspeedOAuth(auth_url={self.auth_url!r}, client_id={self.client_id!r})"

    # -- helpers -------------------------------------------------------------------------
    def _session(self, state=None):
        session = _JsonTokenSession(self.client_id, scope=self.scope, state=state)
        session.json_urls = (self.token_endpoint,)
        session.headers["User-Agent"] = self.user_agent
        session.headers["Accept"] = "application/json"
        session.register_compliance_hook(
            "access_token_response", lambda r: self._check_token_response(r, "authorization_code")
        )
        session.register_compliance_hook(
            "refresh_token_response", lambda r: self._check_token_response(r, "refresh_token")
        )
        session.register_compliance_hook("refresh_token_request", _drop_scope)
        return session

    @staticmethod
    def _error_from_response(response, grant=None):
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            return RateLimitError(
                "Lightspeed token endpoint rate limit reached",
                status=status,
                code="rate_limited",
                retry_after=float(retry_after) if retry_after else None,
            )
        if status >= 500 or not isinstance(data, dict):
            return RemoteServerError(
                "Lightspeed authorization server returned an unexpected answer",
                status=status,
                code="server_error" if status >= 500 else "invalid_response",
            )
        code = data.get("error") or data.get("errorClass") or "oauth_error"
        message = data.get("error_description") or data.get("message") or code
        hint = data.get("hint")
        if hint:
            message = f"{message} ({hint})"
        if grant == "refresh_token" and code in ("invalid_grant", "access_denied"):
            return ReauthorizationRequired(message, status=status, code=code, hint=hint)
        return AuthenticationError(message, status=status, code=code, hint=hint)

    def _check_token_response(self, response, grant):
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("access_token"):
                if not data.get("token_type"):  # oauthlib insists on it
                    data["token_type"] = "Bearer"
                    response._content = json.dumps(data).encode()
                return response
        raise self._error_from_response(response, grant)

    def _call(self, func, *args, **kwargs):
        attempt = 0
        while True:
            try:
                return func(*args, **kwargs)
            except LightspeedError as exc:
                error = exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = RetryableError(
                    f"Cannot reach the Lightspeed authorization server: {type(exc).__name__}",
                    code="connection_error",
                )
            if not isinstance(error, RemoteServerError | RetryableError) or isinstance(
                error, RateLimitError
            ):
                raise error
            attempt += 1
            if attempt > self.max_retries:
                raise error
            _logger.warning("Lightspeed token call failed (%s), retrying", error.code)
            self.sleep(min(2**attempt, 10))

    # -- public API ----------------------------------------------------------------------
    def authorization_url(self, state=None):
        """Return ``(url, state, code_verifier)`` for the browser redirect (PKCE S256)."""
        state = state or secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)[:96]
        digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        url, state = self._session(state=state).authorization_url(
            self.authorize_endpoint,
            state=state,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        return url, state, code_verifier

    def exchange_code(self, code, code_verifier=None):
        """Exchange an authorization code; ``AuthenticationError(.error="invalid_grant")`` if
        the code is expired, already used or belongs to another client."""
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        session = self._session()
        data = self._call(
            session.fetch_token,
            self.token_endpoint,
            code=code,
            include_client_id=True,
            client_secret=self.client_secret,
            timeout=self.timeout,
            **extra,
        )
        _logger.info("Lightspeed: authorization code exchanged for client %s", self.client_id)
        return TokenSet.from_response(dict(data))

    def refresh(self, refresh_token):
        """Refresh grant. Refresh tokens rotate: persist the returned pair before using it.

        Raises :class:`ReauthorizationRequired` on ``invalid_grant`` (revoked, expired, reused).
        """
        if not refresh_token:
            raise ReauthorizationRequired("No refresh token available", code="invalid_grant")
        session = self._session()
        data = self._call(
            session.refresh_token,
            self.token_endpoint,
            refresh_token=refresh_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            timeout=self.timeout,
        )
        _logger.info("Lightspeed: access token refreshed for client %s", self.client_id)
        return TokenSet.from_response(dict(data), previous_refresh_token=None)

    def revoke(self, refresh_token):
        """Revoke the refresh token (and its access token), e.g. when disconnecting."""
        payload = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": refresh_token,
        }
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        try:
            response = requests.post(
                self.revoke_endpoint, json=payload, headers=headers, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(
                f"Cannot reach the Lightspeed authorization server: {type(exc).__name__}",
                code="connection_error",
            ) from None
        if response.status_code >= 400:
            raise self._error_from_response(response)
        return True
