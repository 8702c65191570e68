"""Credentials for the Google path: a service account impersonating each person (domain-wide
delegation), or a login that acts as itself (a user's OAuth login, workload identity, ADC).

What a key file is comes from the file itself (its ``type``, as google-auth reads it), never from
the config: a user login or an external account left where a service-account key was expected
must not quietly act as the admin in My Drive mode (issue 8). Every problem with the file is a
:class:`~careerdocs.errors.ConfigError` naming ``google.credentials`` (exit 2, nothing written),
never a traceback.

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
from google.auth import (
    aws,
    external_account_authorized_user,
    identity_pool,
    impersonated_credentials,
    pluggable,
)
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from ...config import SHARED_DRIVE
from ...errors import ConfigError, Problem
from .transport import mount_endpoint

SCOPE_BASE = "https://www.googleapis.com/auth/"
SCOPES: tuple[str, ...] = (
    SCOPE_BASE + "drive",
    SCOPE_BASE + "documents",
    SCOPE_BASE + "spreadsheets",
    SCOPE_BASE + "gmail.send",
)
CREDENTIALS_KEY = "google.credentials"

# The ``type`` values google-auth accepts in a credentials file (google/auth/_default.py
# _VALID_TYPES), less gdch_service_account (Google Distributed Cloud, not Workspace). Only a
# service account can sign a JWT with a ``sub`` claim, which is what domain-wide delegation is
# (https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority).
SERVICE_ACCOUNT = "service_account"
AUTHORIZED_USER = "authorized_user"
EXTERNAL_ACCOUNT = "external_account"
EXTERNAL_ACCOUNT_USER = "external_account_authorized_user"
IMPERSONATED_SERVICE_ACCOUNT = "impersonated_service_account"
AWS_SUBJECT_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
ADC = "adc"  # no file: Application Default Credentials, whatever they turn out to be
KEY_TYPES = (
    SERVICE_ACCOUNT,
    AUTHORIZED_USER,
    EXTERNAL_ACCOUNT,
    EXTERNAL_ACCOUNT_USER,
    IMPERSONATED_SERVICE_ACCOUNT,
)
KEY_TYPE_NAMES = {
    SERVICE_ACCOUNT: "a service-account key",
    AUTHORIZED_USER: "a user's OAuth login (authorized_user)",
    EXTERNAL_ACCOUNT: "workload identity federation (external_account)",
    EXTERNAL_ACCOUNT_USER: "a workforce identity login (external_account_authorized_user)",
    IMPERSONATED_SERVICE_ACCOUNT: "service-account impersonation (impersonated_service_account)",
    ADC: "Application Default Credentials",
}
# The OAuth client secrets file a console download gives ("installed"/"web" apps): it names an
# app, not a login, and is a common mistake for a credentials file.
CLIENT_SECRETS_KEYS = ("installed", "web")


def credentials_problem(message: str) -> ConfigError:
    return ConfigError("unusable Google credentials", [Problem(CREDENTIALS_KEY, message)])


def load_key(path: Path | None) -> Mapping[str, Any] | None:
    """The JSON object in the credentials file at ``path``; None (no file) means use ADC."""
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise credentials_problem(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise credentials_problem(f"cannot read {path}: {exc}") from None
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise credentials_problem(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(info, dict):
        raise credentials_problem(f"{path} is not a JSON object")
    return info


def key_type(info: Mapping[str, Any] | None) -> str:
    """What a credentials file is, read from the file: one of :data:`KEY_TYPES`, or
    :data:`ADC` for no file. Files without ``type`` are recognised by their fields (old
    service-account keys and hand-written user files lack it)."""
    if info is None:
        return ADC
    declared = info.get("type")
    if isinstance(declared, str) and declared:
        if declared not in KEY_TYPES:
            raise credentials_problem(
                f'type "{declared}" is not a Google credentials type careerdocs can use '
                f"(expected one of: {', '.join(KEY_TYPES)})"
            )
        return declared
    if any(key in info for key in CLIENT_SECRETS_KEYS):
        raise credentials_problem(
            "this is an OAuth client ID file (client_secret_*.json), not credentials: use a "
            "service-account key with domain-wide delegation, or a login made from it with "
            "`gcloud auth application-default login --client-id-file=<this file>`"
        )
    if "private_key" in info and "client_email" in info:
        return SERVICE_ACCOUNT
    if "refresh_token" in info:
        return AUTHORIZED_USER
    raise credentials_problem(
        'not a Google credentials file: it has no "type" and neither a service-account key '
        "nor a refresh token"
    )


class CredentialFactory:
    """Makes credentials per acting user. Thread-safe: each call returns a fresh object.

    ``kind`` is what the file is (:func:`key_type`); ``can_impersonate`` whether the
    credentials can act as another user of the domain (domain-wide delegation)."""

    def __init__(
        self,
        info: Mapping[str, Any] | None,
        scopes: Sequence[str] = SCOPES,
        source: str = "the credentials file",
    ) -> None:
        self.info = info
        self.scopes = tuple(scopes)
        self.kind = key_type(info)
        self._base: Any = self._load(dict(info or {}), source)

    def _load(self, info: dict[str, Any], source: str) -> Any:
        try:
            if self.kind == SERVICE_ACCOUNT:
                return service_account.Credentials.from_service_account_info(
                    info, scopes=self.scopes
                )
            if self.kind == AUTHORIZED_USER:
                return user_credentials.Credentials.from_authorized_user_info(
                    info, scopes=list(self.scopes)
                )
            if self.kind == ADC:
                return google.auth.default(scopes=self.scopes)[0]
            return _load_non_delegating(self.kind, info, self.scopes)
        except google.auth.exceptions.DefaultCredentialsError as exc:
            if self.kind == ADC:
                raise credentials_problem(
                    f"not set, and no Application Default Credentials were found ({exc}); set "
                    "it to a service-account key file"
                ) from None
            raise credentials_problem(f"{source} is not usable as {self._name}: {exc}") from None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            # google-auth's own words for a missing field or an unparsable private key
            detail = str(exc) or type(exc).__name__
            raise credentials_problem(f"{source} is not usable as {self._name}: {detail}") from None

    @property
    def _name(self) -> str:
        return KEY_TYPE_NAMES.get(self.kind, self.kind)

    @property
    def can_impersonate(self) -> bool:
        """Whether these credentials can sign for another user (a service account's
        ``with_subject``). Whether the domain has *granted* the delegation only Google's token
        endpoint can say."""
        return callable(getattr(self._base, "with_subject", None))

    @property
    def identity(self) -> str:
        """Who the credentials are (the service account's email, or what kind of login)."""
        email = getattr(self._base, "service_account_email", None)
        if isinstance(email, str) and email and email != "default":
            return email
        return "user OAuth login" if self.kind == AUTHORIZED_USER else self._name

    def require_delegation(self, destination: str) -> None:
        """Refuse My Drive mode for credentials that cannot act as each person: they would act
        as themselves, search each person's Drive for files that person owns, never find the
        ones they made, and make a new set on every run. Raised before anything is written."""
        if destination != SHARED_DRIVE and not self.can_impersonate:
            raise ConfigError(
                "My Drive mode needs domain-wide delegation",
                [
                    Problem(
                        CREDENTIALS_KEY,
                        f"is {self._name}, which cannot act as each person; use a "
                        "service-account key whose client ID has domain-wide delegation",
                    ),
                    Problem(
                        "google.destination",
                        f'or set it to "{SHARED_DRIVE}" (with google.shared_drive_id) to keep '
                        "everything in a shared drive this login manages",
                    ),
                ],
            )

    def for_user(self, subject: str | None) -> Any:
        """Credentials acting as ``subject``. Without delegation, ``subject`` is ignored: a user
        login always acts as itself."""
        if subject and self.can_impersonate:
            return self._base.with_subject(subject)
        return self._base


def _load_non_delegating(kind: str, info: dict[str, Any], scopes: Sequence[str]) -> Any:
    """Credentials of a type that acts as itself, with google-auth's type-specific loader (its
    generic loader is deprecated for files from elsewhere, and would look up a project id over
    the network). The subtype of ``external_account`` follows google/auth/_default.py."""
    if kind == EXTERNAL_ACCOUNT_USER:
        return external_account_authorized_user.Credentials.from_info(info)
    if kind == IMPERSONATED_SERVICE_ACCOUNT:
        return impersonated_credentials.Credentials.from_impersonated_service_account_info(
            info, scopes=list(scopes)
        )
    source = info.get("credential_source")
    if info.get("subject_token_type") == AWS_SUBJECT_TOKEN_TYPE:
        return aws.Credentials.from_info(info, scopes=list(scopes))
    if isinstance(source, dict) and source.get("executable") is not None:
        return pluggable.Credentials.from_info(info, scopes=list(scopes))
    return identity_pool.Credentials.from_info(info, scopes=list(scopes))


def refresh_session(endpoint: str | None) -> google.auth.transport.requests.Request:
    """A google-auth request object whose token POSTs honour ``endpoint``."""
    return google.auth.transport.requests.Request(mount_endpoint(requests.Session(), endpoint))
