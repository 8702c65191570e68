"""Credentials for the Google path: a service account impersonating each person (domain-wide
delegation), or a user's own OAuth login.

Scopes are always explicit: google-api-python-client would otherwise request every scope in the
discovery document, which domain-wide delegation refuses (google-api-facts.md §3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import google.auth
import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from ...errors import AuthError
from .transport import mount_endpoint

SCOPE_BASE = "https://www.googleapis.com/auth/"
SCOPES: tuple[str, ...] = (
    SCOPE_BASE + "drive",
    SCOPE_BASE + "documents",
    SCOPE_BASE + "spreadsheets",
    SCOPE_BASE + "gmail.send",
)


def load_key(path: Path | None) -> Mapping[str, Any] | None:
    """The service-account or authorized-user JSON at ``path``; None means use ADC."""
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthError(f"credentials file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise AuthError(f"credentials file {path} is not valid JSON: {exc}") from None


class CredentialFactory:
    """Makes credentials per acting user. Thread-safe: each call returns a fresh object."""

    def __init__(self, info: Mapping[str, Any] | None, scopes: Sequence[str] = SCOPES) -> None:
        self.info = info
        self.scopes = tuple(scopes)
        self.kind = (info or {}).get("type", "adc")
        self._base: Any = None
        if self.kind == "service_account":
            try:
                self._base = service_account.Credentials.from_service_account_info(
                    dict(info or {}), scopes=self.scopes
                )
            except (ValueError, KeyError) as exc:
                raise AuthError(f"service-account key is not usable: {exc}") from None
        elif self.kind == "authorized_user":
            self._base = user_credentials.Credentials.from_authorized_user_info(
                dict(info or {}), scopes=list(self.scopes)
            )
        elif self.kind == "adc":
            try:
                self._base, _ = google.auth.default(scopes=self.scopes)
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise AuthError(
                    f"no Google credentials configured and no ADC found: {exc}"
                ) from None
        else:
            raise AuthError(f"unsupported credentials type {self.kind!r}")

    @property
    def can_impersonate(self) -> bool:
        return hasattr(self._base, "with_subject")

    @property
    def identity(self) -> str:
        """Who the credentials are (the service account's email, or 'user OAuth login')."""
        return getattr(self._base, "service_account_email", None) or "user OAuth login"

    def for_user(self, subject: str | None) -> Any:
        """Credentials acting as ``subject``. Without delegation, ``subject`` is ignored: a user
        login always acts as itself."""
        if subject and self.can_impersonate:
            return self._base.with_subject(subject)
        return self._base


def refresh_session(endpoint: str | None) -> google.auth.transport.requests.Request:
    """A google-auth request object whose token POSTs honour ``endpoint``."""
    return google.auth.transport.requests.Request(mount_endpoint(requests.Session(), endpoint))
