"""The sandbox's OAuth 2.0 token endpoint and the keys it issues.

google-auth signs a JWT with the service-account key and POSTs it to the key file's
``token_uri`` (here, the sandbox). We verify the RS256 signature against the public half of the
key we issued, check the timing claims the way Google does, and answer an access token whose
acting user is the JWT's ``sub`` (domain-wide delegation) or the service account itself.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_TOKEN = "refresh_token"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300
SCOPE_PREFIX = "https://www.googleapis.com/auth/"
INVALID_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": ..., "error_description": ...}`` with an HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class ServiceAccount:
    client_email: str
    client_id: str
    key_id: str
    public_pem: bytes
    # Scopes the domain admin granted this client for domain-wide delegation; None = any.
    delegated_scopes: frozenset[str] | None = None


@dataclass
class UserClient:
    client_id: str
    client_secret: str
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user email


@dataclass
class AccessToken:
    user: str
    scopes: frozenset[str]
    expires_at: float


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Authority:
    """Issues keys, verifies assertions, and resolves bearer tokens to (user, scopes)."""

    def __init__(self, token_ttl: int = 3599, project_id: str = "careerdocs-sandbox") -> None:
        self.token_ttl = token_ttl
        self.project_id = project_id
        self.accounts: dict[str, ServiceAccount] = {}  # key id -> account
        self.user_clients: dict[str, UserClient] = {}
        self.tokens: dict[str, AccessToken] = {}

    # -- issuing -----------------------------------------------------------------------------

    def issue_service_account_key(
        self,
        token_uri: str,
        *,
        name: str = "careerdocs",
        private_key: rsa.RSAPrivateKey | None = None,
        delegated_scopes: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """A key file exactly shaped like Google's, whose ``token_uri`` is the sandbox."""
        key = private_key or new_private_key()
        key_id = secrets.token_hex(20)
        client_id = str(100000000000000000000 + secrets.randbelow(10**20))
        email = f"{name}@{self.project_id}.iam.gserviceaccount.com"
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.accounts[key_id] = ServiceAccount(
            email, client_id, key_id, public_pem, delegated_scopes
        )
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": key_id,
            "private_key": private_pem,
            "client_email": email,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def issue_user_credentials(self, email: str, token_uri: str) -> dict[str, Any]:
        """An ``authorized_user`` file, as ``gcloud auth application-default login`` writes."""
        client = UserClient(
            f"{secrets.token_hex(6)}.apps.googleusercontent.com", secrets.token_urlsafe(24)
        )
        refresh = "1//" + secrets.token_urlsafe(40)
        client.refresh_tokens[refresh] = email.lower()
        self.user_clients[client.client_id] = client
        return {
            "type": "authorized_user",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "refresh_token": refresh,
            "token_uri": token_uri,
        }

    # -- the token endpoint ------------------------------------------------------------------

    def token(
        self, form_body: bytes, is_known_user: Any, now: float | None = None
    ) -> dict[str, Any]:
        """Answer one POST to the token endpoint; raises :class:`OAuthError`."""
        now = time.time() if now is None else now
        form = {k: v[-1] for k, v in parse_qs(form_body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            user, scopes = self._verify_assertion(form.get("assertion", ""), is_known_user, now)
        elif grant == REFRESH_TOKEN:
            user, scopes = self._verify_refresh(form, is_known_user)
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant or ''}")
        access = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self.tokens[access] = AccessToken(user, scopes, now + self.token_ttl)
        return {"access_token": access, "expires_in": self.token_ttl, "token_type": "Bearer"}

    def _verify_assertion(
        self, assertion: str, is_known_user: Any, now: float
    ) -> tuple[str, frozenset[str]]:
        try:
            header_b64, claims_b64, sig_b64 = assertion.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(sig_b64)
        except ValueError:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion.") from None
        account = self.accounts.get(header.get("kid", ""))
        if account is None or header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        public_key = serialization.load_pem_public_key(account.public_pem)
        try:
            public_key.verify(  # type: ignore[union-attr]
                signature,
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("iss") != account.client_email:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: issuer does not match the key.")
        iat, exp = claims.get("iat"), claims.get("exp")
        # aud is not checked: google-auth always sends Google's URL (google-api-facts.md fact 5).
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp - iat > MAX_ASSERTION_LIFETIME
            or exp < now
            or iat > now + CLOCK_SKEW
        ):
            raise OAuthError(400, "invalid_grant", INVALID_TIMEFRAME)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Empty or missing scope not allowed.")
        subject = claims.get("sub")
        if subject:
            # Google refuses an unknown or suspended subject with HTTP 400 invalid_grant
            # "Invalid email or User ID" (google-api-facts.md section 3; the 400 follows
            # RFC 6749 section 5.2, which google-auth turns into RefreshError).
            if not is_known_user(subject):
                raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
            if account.delegated_scopes is not None and not scopes <= account.delegated_scopes:
                raise OAuthError(
                    401,
                    "unauthorized_client",
                    "Client is unauthorized to retrieve access tokens using this method, or "
                    "client not authorized for any of the scopes requested.",
                )
            return subject.lower(), scopes
        return account.client_email, scopes

    def _verify_refresh(
        self, form: dict[str, str], is_known_user: Any
    ) -> tuple[str, frozenset[str]]:
        """A user login's refresh (google.oauth2.credentials.Credentials.refresh POSTs
        grant_type=refresh_token with client_id, client_secret and refresh_token). A login whose
        account was suspended since is refused like a revoked token: the exact text Google
        sends for a suspended account's refresh is unconfirmed; ``invalid_grant`` is what
        RFC 6749 section 5.2 prescribes for a refresh token that is no longer valid."""
        client = self.user_clients.get(form.get("client_id", ""))
        if client is None or client.client_secret != form.get("client_secret"):
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        user = client.refresh_tokens.get(form.get("refresh_token", ""))
        if user is None or not is_known_user(user):
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = frozenset(form.get("scope", "").split()) or frozenset(
            SCOPE_PREFIX + s for s in ("drive", "documents", "spreadsheets", "gmail.send")
        )
        return user, scopes

    # -- bearer tokens -----------------------------------------------------------------------

    def resolve(self, authorization: str | None, now: float | None = None) -> AccessToken | None:
        """The live token behind an ``Authorization: Bearer`` header, or None."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        tok = self.tokens.get(authorization[7:].strip())
        if tok is None:
            return None
        if tok.expires_at <= (time.time() if now is None else now):
            return None
        return tok

    def expire_all(self) -> None:
        """Make every issued access token stale (tests use it to force a refresh)."""
        for tok in self.tokens.values():
            tok.expires_at = 0
