"""What a credentials file is comes from the file, and My Drive mode refuses credentials that
cannot act as each person (exit 2, nothing written). Every broken file is a clear message naming
``google.credentials`` from every command and from ``doctor``, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import google.auth.exceptions
import pytest
from click.testing import CliRunner, Result

from careerdocs.cli import cli
from careerdocs.errors import AccountUnreachable, AuthError, ConfigError
from careerdocs.workspace.google.auth import (
    AUTHORIZED_USER,
    EXTERNAL_ACCOUNT,
    EXTERNAL_ACCOUNT_USER,
    IMPERSONATED_SERVICE_ACCOUNT,
    SERVICE_ACCOUNT,
    CredentialFactory,
    key_type,
)
from careerdocs.workspace.google.errors import classify

from .conftest import GoogleSetup, SandboxKit

TODAY = "2026-11-26"
STS = "https://sts.googleapis.com/v1/token"
POOL = "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
PEM = "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n"
IAM = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"


def external_account(tmp: Path) -> dict[str, Any]:
    return {
        "type": EXTERNAL_ACCOUNT,
        "audience": POOL,
        "subject_token_type": JWT_TOKEN_TYPE,
        "token_url": STS,
        "credential_source": {"file": str(tmp / "oidc-token")},
    }


def workforce_login() -> dict[str, Any]:
    return {
        "type": EXTERNAL_ACCOUNT_USER,
        "audience": "//iam.googleapis.com/locations/global/workforcePools/p/providers/x",
        "refresh_token": "refresh",
        "token_url": STS,
        "client_id": "client",
        "client_secret": "secret",
    }


def impersonation(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": IMPERSONATED_SERVICE_ACCOUNT,
        "service_account_impersonation_url": IAM
        + "sa@p.iam.gserviceaccount.com:generateAccessToken",
        "source_credentials": user,
    }


def without_type(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k != "type"}


def key_files(kit: SandboxKit, tmp: Path) -> dict[str, tuple[dict[str, Any], str, bool]]:
    """name -> (file contents, the type careerdocs must read from it, can impersonate)."""
    user = kit.sandbox.user_credentials("ines.duarte@example.com")
    return {
        "service-account": (kit.key, SERVICE_ACCOUNT, True),
        "service-account-without-type": (without_type(kit.key), SERVICE_ACCOUNT, True),
        "user-login": (user, AUTHORIZED_USER, False),
        "user-login-without-type": (without_type(user), AUTHORIZED_USER, False),
        "workload-identity": (external_account(tmp), EXTERNAL_ACCOUNT, False),
        "workforce-login": (workforce_login(), EXTERNAL_ACCOUNT_USER, False),
        "impersonated-service-account": (impersonation(user), IMPERSONATED_SERVICE_ACCOUNT, False),
    }


@pytest.mark.google
@pytest.mark.parametrize(
    "name",
    [
        "service-account",
        "service-account-without-type",
        "user-login",
        "user-login-without-type",
        "workload-identity",
        "workforce-login",
        "impersonated-service-account",
    ],
)
def test_the_key_type_is_read_from_the_file_itself(
    sandbox: SandboxKit, tmp_path: Path, name: str
) -> None:
    info, expected, impersonates = key_files(sandbox, tmp_path)[name]

    factory = CredentialFactory(info)

    assert key_type(info) == expected
    assert factory.kind == expected
    assert factory.can_impersonate is impersonates


CORRUPT_FILES = {
    "not-json": ("{ this is not json", "is not valid JSON"),
    "a-json-list": ("[]", "is not a JSON object"),
    "empty-object": ("{}", "not a Google credentials file"),
    "unknown-type": ('{"type": "gdch_service_account"}', 'type "gdch_service_account"'),
    "client-secrets": (
        '{"installed": {"client_id": "x", "client_secret": "y"}}',
        "OAuth client ID file",
    ),
    "user-login-missing-refresh-token": (
        '{"type": "authorized_user", "client_id": "x", "client_secret": "y"}',
        "refresh_token",
    ),
    "service-account-bad-private-key": (
        json.dumps(
            {
                "type": "service_account",
                "private_key": PEM.format("not a key"),
                "client_email": "sa@p.iam.gserviceaccount.com",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        "is not usable as a service-account key",
    ),
    "service-account-missing-email": (
        '{"type": "service_account", "private_key": "x", "token_uri": "https://t"}',
        "client_email",
    ),
}


def run(setup: GoogleSetup, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(setup.config), "--today", TODAY, *args])


@pytest.mark.google
@pytest.mark.parametrize("name", sorted(CORRUPT_FILES))
@pytest.mark.parametrize("command", [("provision",), ("rollup",), ("provision", "--dry-run")])
def test_a_broken_credentials_file_is_invalid_input_naming_the_key(
    google_setup: GoogleSetup, name: str, command: tuple[str, ...]
) -> None:
    text, problem = CORRUPT_FILES[name]
    (google_setup.config.parent / "key.json").write_text(text, encoding="utf-8")

    result = run(google_setup, *command)

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "google.credentials: " in result.output
    assert problem in result.output
    assert google_setup.kit.store.files == {}


@pytest.mark.google
@pytest.mark.parametrize("name", ["not-json", "user-login-missing-refresh-token"])
def test_doctor_reports_a_broken_credentials_file_as_a_failed_check(
    google_setup: GoogleSetup, name: str
) -> None:
    text, problem = CORRUPT_FILES[name]
    (google_setup.config.parent / "key.json").write_text(text, encoding="utf-8")

    result = run(google_setup, "doctor")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    storage = next(line for line in result.output.splitlines() if "] storage" in line)
    assert storage.startswith("[FAIL] storage: unusable Google credentials")
    assert problem in result.output


def use_login(setup: GoogleSetup, info: dict[str, Any]) -> None:
    (setup.config.parent / "key.json").write_text(json.dumps(info), encoding="utf-8")


@pytest.mark.google
@pytest.mark.parametrize("command", [("provision",), ("provision", "--dry-run"), ("rollup",)])
def test_my_drive_mode_with_a_user_login_refuses_before_any_write(
    google_setup: GoogleSetup, command: tuple[str, ...]
) -> None:
    kit = google_setup.kit
    use_login(google_setup, kit.sandbox.user_credentials(google_setup.admin))

    result = run(google_setup, *command)

    assert result.exit_code == 2, result.output
    assert "My Drive mode needs domain-wide delegation" in result.output
    assert "google.credentials: is a user's OAuth login (authorized_user)" in result.output
    assert 'google.destination: or set it to "shared_drive"' in result.output
    assert kit.store.files == {}
    assert kit.counters.total() == 0  # refused before the first call to Google
    assert not (google_setup.config.parent / "audit.jsonl").exists()


@pytest.mark.google
def test_doctor_says_a_user_login_cannot_serve_my_drive_mode(google_setup: GoogleSetup) -> None:
    use_login(google_setup, google_setup.kit.sandbox.user_credentials(google_setup.admin))

    result = run(google_setup, "doctor")

    assert result.exit_code == 1
    assert "[FAIL] storage: My Drive mode needs domain-wide delegation" in result.output


def test_my_drive_refusal_is_a_config_error_and_a_service_account_passes(
    sandbox: SandboxKit,
) -> None:
    login = CredentialFactory(sandbox.sandbox.user_credentials("pbp@example.com"))
    key = CredentialFactory(sandbox.key)

    with pytest.raises(ConfigError):
        login.require_delegation("my_drive")
    login.require_delegation("shared_drive")
    key.require_delegation("my_drive")


# -- what a refused token means ------------------------------------------------------------------


def refusal(error: str, description: str) -> google.auth.exceptions.RefreshError:
    """What google-auth raises when the token endpoint refuses (oauth2/_client.py)."""
    body = {"error": error, "error_description": description}
    return google.auth.exceptions.RefreshError(f"{error}: {description}", body)


@pytest.mark.parametrize(
    ("error", "description", "cause"),
    [
        ("invalid_grant", "Invalid email or User ID", "no Google account for this address"),
        ("invalid_grant", "Not a valid email.", "no Google account for this address"),
        ("invalid_grant", "The account has been deleted", "suspended or deleted"),
        ("invalid_request", 'Invalid impersonation "sub" field', "no Google account"),
        ("unauthorized_client", "Unauthorized client or scope in request.", "delegation"),
        ("access_denied", "Requested client not authorized.", "a scope careerdocs needs"),
        ("admin_policy_enforced", "", "delegation"),
    ],
)
def test_a_refusal_that_concerns_one_account_fails_that_account_alone(
    error: str, description: str, cause: str
) -> None:
    with pytest.raises(AccountUnreachable) as raised:
        classify(refusal(error, description))

    assert error in str(raised.value) and cause in str(raised.value)
    assert str(raised.value.for_user("zoe@example.com")).startswith("zoe@example.com: ")


@pytest.mark.parametrize(
    ("error", "description"),
    [
        ("invalid_grant", "Invalid JWT Signature."),
        ("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes)"),
        ("invalid_grant", "Token has been expired or revoked."),
        ("invalid_client", "The OAuth client was not found."),
        ("disabled_client", "The OAuth client was disabled."),
    ],
)
def test_a_refusal_of_the_key_itself_stops_the_run(error: str, description: str) -> None:
    with pytest.raises(AuthError) as raised:
        classify(refusal(error, description))

    assert not isinstance(raised.value, AccountUnreachable)
    assert f"{error}: {description}" in str(raised.value)


def test_a_refusal_google_auth_kept_only_as_text_is_still_read() -> None:
    with pytest.raises(AccountUnreachable):
        classify(google.auth.exceptions.RefreshError("invalid_grant: Invalid email or User ID"))
