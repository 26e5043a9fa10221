"""OAuth2 authorization server of the simulator (spec 2 and checklist 10).

Access tokens are HS256 JWTs signed with a test key (published as an ``oct`` JWK; test only).
Refresh tokens rotate: by default (2026 behaviour) the old refresh token and the old access
token are revoked when the *new* access token is first used; ``strict_rotation`` revokes them
immediately (2024 behaviour).
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time

TEST_KEY = b"lightspeed-simulator-test-key-not-secret"
KID = "sim-hs256-1"
REFRESH_LIMIT_PER_MIN = 5
CODE_TTL = 60
REFRESH_TTL = 30 * 86400
ISSUER = "https://cloud.lightspeedapp.com"
KNOWN_SCOPES = {
    "employee:all",
    "employee:register",
    "employee:register_read",
    "employee:register_refund",
    "employee:register_layaway",
    "employee:admin_employees",
    "employee:admin_void_sale",
    "employee:inventory",
    "employee:inventory_read",
    "employee:customers",
    "employee:customers_read",
    "employee:admin_shops",
    "employee:admin_purchases",
    "employee:reports",
    "employee:categories",
    "employee:workbench",
    "employee:cfd",
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OAuthError(Exception):
    def __init__(self, status, error, description, hint=None, headers=None):
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}
        if hint:
            self.body["hint"] = hint
        self.headers = headers or {}


class AuthServer:
    def __init__(
        self,
        world,
        client_id="sim-client",
        client_secret="sim-secret",
        redirect_uri="https://localhost/lightspeed/callback",
        token_lifetime=3600,
        strict_rotation=False,
        require_pkce=False,
    ):
        self.world = world
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.token_lifetime = int(token_lifetime)
        self.strict_rotation = strict_rotation
        self.require_pkce = require_pkce
        self.lock = threading.RLock()
        self.codes = {}
        self.access = {}  # jti -> record
        self.refresh = {}  # refresh token -> record
        self.refresh_times = {}  # connection -> [timestamps]
        self.stats = {
            "token_calls": {},
            "token_content_types": {},
            "refreshes": 0,
            "codes_issued": 0,
            "revokes": 0,
        }

    # -- JWT -----------------------------------------------------------------------------
    def _sign(self, claims):
        header = {"typ": "JWT", "alg": "HS256", "kid": KID}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = hmac.new(TEST_KEY, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(sig)

    def decode(self, token):
        try:
            head, payload, sig = token.split(".")
            expected = hmac.new(TEST_KEY, f"{head}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, b64url_decode(sig)):
                return None
            return json.loads(b64url_decode(payload))
        except (ValueError, TypeError):
            return None

    def jwks(self):
        return {
            "keys": [
                {"kty": "oct", "kid": KID, "alg": "HS256", "use": "sig", "k": b64url(TEST_KEY)}
            ]
        }

    # -- issuing -------------------------------------------------------------------------
    def issue(self, scope, connection=None, replaces=None):
        """Create an access/refresh pair; ``replaces`` = refresh token being rotated."""
        now = time.time()
        connection = connection or secrets.token_hex(8)
        jti = secrets.token_hex(12)
        claims = {
            "iss": ISSUER,
            "aud": self.client_id,
            "sub": self.world.system_user_id,
            "acct": self.world.account_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "jti": jti,
        }
        access_token = self._sign(claims)
        refresh_token = "def50200" + secrets.token_hex(48)
        self.access[jti] = {
            "connection": connection,
            "exp": now + self.token_lifetime,
            "revoked": False,
            "on_first_use": None,
            "refresh_token": refresh_token,
            "used": False,
        }
        self.refresh[refresh_token] = {
            "connection": connection,
            "scope": scope,
            "revoked": False,
            "last_used": now,
            "access_jti": jti,
        }
        if replaces:
            old = self.refresh[replaces]
            if self.strict_rotation:
                self._retire(replaces)
            else:
                self.access[jti]["on_first_use"] = replaces
            old["superseded_by"] = refresh_token
        return {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "access_token": access_token,
            "refresh_token": refresh_token,
        }

    def _retire(self, refresh_token):
        record = self.refresh.get(refresh_token)
        if not record:
            return
        record["revoked"] = True
        old_access = self.access.get(record["access_jti"])
        if old_access:
            old_access["revoked"] = True

    # -- endpoints -----------------------------------------------------------------------
    def authorize(self, params):
        """Return the redirect URL (auto-approval) or raise OAuthError."""
        with self.lock:
            if params.get("response_type") != "code":
                raise OAuthError(400, "unsupported_response_type", "response_type must be code")
            if params.get("client_id") != self.client_id:
                raise OAuthError(400, "invalid_client", "Client authentication failed")
            scopes = (params.get("scope") or "").split()
            if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
                raise OAuthError(400, "invalid_scope", "The requested scope is invalid")
            challenge = params.get("code_challenge")
            method = params.get("code_challenge_method", "plain")
            if challenge and method not in ("S256", "plain"):
                raise OAuthError(400, "invalid_request", "Unsupported code_challenge_method")
            if self.require_pkce and not challenge:
                raise OAuthError(400, "invalid_request", "PKCE is required")
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "scope": " ".join(scopes),
                "challenge": challenge,
                "method": method,
                "expires": time.time() + CODE_TTL,
                "used": False,
            }
            self.stats["codes_issued"] += 1
        sep = "&" if "?" in self.redirect_uri else "?"
        from urllib.parse import urlencode

        query = {"code": code}
        if params.get("state") is not None:
            query["state"] = params["state"]
        return f"{self.redirect_uri}{sep}{urlencode(query)}"

    def _check_client(self, fields):
        if fields.get("client_id") != self.client_id or not hmac.compare_digest(
            str(fields.get("client_secret", "")), self.client_secret
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    def token(self, fields, content_type):
        with self.lock:
            grant = fields.get("grant_type") or "missing"
            calls = self.stats["token_calls"]
            calls[grant] = calls.get(grant, 0) + 1
            types = self.stats["token_content_types"]
            types[content_type] = types.get(content_type, 0) + 1
            for name in ("grant_type", "client_id", "client_secret"):
                if not fields.get(name):
                    raise OAuthError(
                        400,
                        "invalid_request",
                        "The request is missing a required parameter",
                        hint=f"Check the `{name}` parameter",
                    )
            self._check_client(fields)
            if grant == "authorization_code":
                return self._grant_code(fields)
            if grant == "refresh_token":
                return self._grant_refresh(fields)
            raise OAuthError(400, "unsupported_grant_type", "The grant type is not supported")

    def _grant_code(self, fields):
        code = fields.get("code")
        if not code:
            raise OAuthError(
                400, "invalid_request", "Missing parameter", hint="Check the `code` parameter"
            )
        record = self.codes.get(code)
        if not record or record["used"] or record["expires"] < time.time():
            raise OAuthError(
                400,
                "invalid_grant",
                "The provided authorization grant is invalid, expired or revoked",
                hint="Authorization code has expired" if record else "Cannot decrypt the code",
            )
        record["used"] = True
        if record["challenge"]:
            verifier = fields.get("code_verifier") or ""
            if record["method"] == "S256":
                computed = b64url(hashlib.sha256(verifier.encode()).digest())
            else:
                computed = verifier
            if not verifier or not hmac.compare_digest(computed, record["challenge"]):
                raise OAuthError(
                    400, "invalid_grant", "Code verifier failed", hint="Failed to verify"
                )
        if not self._authorizer_ok():
            raise OAuthError(400, "invalid_grant", "The authorizing employee cannot log in")
        return self.issue(record["scope"])

    def _authorizer_ok(self):
        emp = self.world.employee(self.world.authorizing_employee_id)
        return bool(emp) and emp["lockOut"] == "false" and emp["archived"] == "false"

    def _grant_refresh(self, fields):
        token = fields.get("refresh_token")
        if not token:
            raise OAuthError(
                400,
                "invalid_request",
                "Missing parameter",
                hint="Check the `refresh_token` parameter",
            )
        record = self.refresh.get(token)
        now = time.time()
        if (
            not record
            or record["revoked"]
            or now - record["last_used"] > REFRESH_TTL
            or not self._authorizer_ok()
        ):
            raise OAuthError(
                400,
                "invalid_grant",
                "The refresh token is invalid.",
                hint="Token has been revoked" if record else "Cannot decrypt the refresh token",
            )
        recent = [t for t in self.refresh_times.get(record["connection"], []) if now - t < 60]
        if len(recent) >= REFRESH_LIMIT_PER_MIN:
            raise OAuthError(
                429,
                "too_many_requests",
                "Refresh limit exceeded",
                headers={"Retry-After": str(int(60 - (now - recent[0])) + 1)},
            )
        recent.append(now)
        self.refresh_times[record["connection"]] = recent
        record["last_used"] = now
        self.stats["refreshes"] += 1
        return self.issue(record["scope"], connection=record["connection"], replaces=token)

    def revoke(self, fields):
        with self.lock:
            self._check_client(fields)
            token = fields.get("refresh_token") or fields.get("token")
            record = self.refresh.get(token)
            if record:
                self._revoke_connection(record["connection"])
            self.stats["revokes"] += 1

    def _revoke_connection(self, connection):
        for rec in self.refresh.values():
            if rec["connection"] == connection:
                rec["revoked"] = True
        for rec in self.access.values():
            if rec["connection"] == connection:
                rec["revoked"] = True

    # -- API side ------------------------------------------------------------------------
    def check_access(self, authorization):
        """Return the claims of a valid bearer token or raise OAuthError(401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise OAuthError(
                401,
                "access_denied",
                "The resource owner or authorization server denied the request.",
                hint='Missing "Bearer" token',
            )
        claims = self.decode(authorization[7:].strip())
        with self.lock:
            record = self.access.get(claims.get("jti")) if claims else None
            if not record:
                raise OAuthError(
                    401,
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                    hint="Access token could not be verified",
                )
            if record["revoked"] or not self._authorizer_ok():
                raise OAuthError(
                    401,
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                    hint="Access token has been revoked",
                )
            if min(record["exp"], claims.get("exp", 0)) <= time.time():
                raise OAuthError(
                    401,
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                    hint="Access token could not be verified",
                )
            if record["on_first_use"]:
                self._retire(record["on_first_use"])
                record["on_first_use"] = None
            record["used"] = True
        return claims

    def introspect(self, authorization):
        claims = self.check_access(authorization)
        return {"active": True, **claims, "client_id": self.client_id}

    # -- hooks ---------------------------------------------------------------------------
    def expire_all(self):
        with self.lock:
            now = time.time()
            for rec in self.access.values():
                rec["exp"] = min(rec["exp"], now - 1)

    def revoke_all(self):
        with self.lock:
            for rec in self.refresh.values():
                rec["revoked"] = True
            for rec in self.access.values():
                rec["revoked"] = True

    def token_state(self, refresh_token):
        record = self.refresh.get(refresh_token)
        if not record:
            return "unknown"
        return "revoked" if record["revoked"] else "active"
