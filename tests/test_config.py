"""Config: TOML → validated Settings, every problem named by its dotted key path."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careerdocs.config import (
    CONFIG_ENV,
    RosterSource,
    TemplateSource,
    builtin_templates_dir,
    config_keys,
    load_settings,
    parse_settings,
)
from careerdocs.errors import ConfigError, ExitCode, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "careerdocs.example.toml"
BASE = Path("/org/config")
GOOGLE_READY = {"backend": "google", "google": {"admin": "pbp@example.com"}}


def problems_of(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, BASE)
    return caught.value.problems


def test_defaults_are_the_local_backend_with_google_published_quotas() -> None:
    settings = parse_settings({}, BASE)
    assert settings.backend_name == "local"
    assert settings.fiscal_year_start_month == 2
    assert settings.allowed_domains == ("example.com",)
    assert settings.local.output_dir == BASE / "careerdocs-output"
    assert settings.local.workbook == BASE / "careerdocs-output" / "central.xlsx"
    assert settings.sharing.manager == "writer"
    assert settings.sharing.skip_level == "none"
    assert settings.notify.enabled is True
    assert settings.rollup.deadline is None
    assert settings.google.credentials is None
    assert settings.google.max_backoff_seconds == 32.0
    assert dataclasses.asdict(settings.google.quotas) == {
        "drive_per_user": 12000,
        "drive_per_project": 12000,
        "sheets_read_per_user": 60,
        "sheets_write_per_user": 60,
        "sheets_read_per_project": 300,
        "sheets_write_per_project": 300,
        "docs_read_per_user": 300,
        "docs_write_per_user": 60,
        "docs_read_per_project": 3000,
        "docs_write_per_project": 600,
        "gmail_units_per_user": 15000,
    }


@pytest.mark.parametrize(
    ("name", "file"),
    [("igp", "igp.docx"), ("tracker", "tracker.docx"), ("growth_sheet", "growth-plan.xlsx")],
)
def test_builtin_templates_are_the_shipped_files(name: str, file: str) -> None:
    source: TemplateSource = getattr(parse_settings({}, BASE).templates, name)
    assert source.builtin
    assert source.path == builtin_templates_dir() / file
    assert source.path.is_file()


def test_builtin_email_template_is_the_shipped_file() -> None:
    assert parse_settings({}, BASE).templates.email == builtin_templates_dir() / "email.txt"
    assert parse_settings({}, BASE).templates.email.is_file()


@pytest.mark.parametrize(
    ("data", "backend"),
    [
        ({}, "local"),
        ({"google": {"credentials": "key.json", "admin": "pbp@example.com"}}, "google"),
        ({"google": {"endpoint": "http://127.0.0.1:8765", "admin": "pbp@example.com"}}, "google"),
        ({"backend": "local", "google": {"credentials": "key.json"}}, "local"),
        (GOOGLE_READY, "google"),
    ],
)
def test_auto_backend_is_google_only_when_credentials_or_endpoint_are_set(
    data: dict[str, Any], backend: str
) -> None:
    assert parse_settings(data, BASE).backend_name == backend


def test_relative_paths_are_taken_from_the_config_folder_and_absolute_ones_kept() -> None:
    settings = parse_settings(
        {
            "audit_log": "logs/audit.jsonl",
            "local": {"output_dir": "/srv/careerdocs", "central_workbook": "../central.xlsx"},
            "templates": {"igp": "ours/igp.docx"},
            "google": {"credentials": "key.json", "admin": "pbp@example.com"},
            "rollup": {"lock_file": "run/rollup.lock"},
        },
        BASE,
    )
    assert settings.audit_log == BASE / "logs" / "audit.jsonl"
    assert settings.local.output_dir == Path("/srv/careerdocs")
    assert settings.local.workbook == BASE / ".." / "central.xlsx"
    assert settings.templates.igp == TemplateSource(path=BASE / "ours" / "igp.docx")
    assert settings.google.credentials == BASE / "key.json"
    assert settings.rollup.lock_file == BASE / "run" / "rollup.lock"


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (
            {"sharing": {"manager": "editor"}},
            "sharing.manager",
            "must be one of reader, commenter, writer, none; got 'editor'",
        ),
        ({"backend": "drive"}, "backend", "must be one of auto, local, google; got 'drive'"),
        (
            {"google": {"fill": "paste"}},
            "google.fill",
            "must be one of auto, copy, upload; got 'paste'",
        ),
        (
            {"fiscal_year_start_month": 13},
            "fiscal_year_start_month",
            "must be between 1 and 12; got 13",
        ),
        (
            {"fiscal_year_start_month": "2"},
            "fiscal_year_start_month",
            "must be an integer; got '2'",
        ),
        (
            {"fiscal_year_start_month": True},
            "fiscal_year_start_month",
            "must be an integer; got True",
        ),
        ({"allowed_domains": []}, "allowed_domains", "must not be empty"),
        (
            {"allowed_domains": "example.com"},
            "allowed_domains",
            "must be a list of strings; got 'example.com'",
        ),
        (
            {"allowed_domains": ["@example.com"]},
            "allowed_domains",
            "must be domain names like 'example.com'; got '@example.com'",
        ),
        ({"organisation": {}}, "organisation", "unknown key (did you mean 'organization'?)"),
        ({"google": {"quota": {}}}, "google.quota", "unknown key (did you mean 'quotas'?)"),
        ({"colour": "blue"}, "colour", "unknown key"),
        ({"local": "out"}, "local", "must be a table ([local]); got 'out'"),
        (
            {"rollup": {"deadline": "2026-02-30"}},
            "rollup.deadline",
            "must be a date as YYYY-MM-DD, or empty; got '2026-02-30'",
        ),
        (
            {"rollup": {"deadline": "3/1/2026"}},
            "rollup.deadline",
            "must be a date as YYYY-MM-DD, or empty; got '3/1/2026'",
        ),
        ({"google": {"max_tries": 0}}, "google.max_tries", "must be at least 1; got 0"),
        (
            {"google": {"max_backoff_seconds": "fast"}},
            "google.max_backoff_seconds",
            "must be a number; got 'fast'",
        ),
        (
            {"google": {"quotas": {"sheets_read_per_user": -5}}},
            "google.quotas.sheets_read_per_user",
            "must be at least 1; got -5",
        ),
        ({"notify": {"enabled": "yes"}}, "notify.enabled", "must be true or false; got 'yes'"),
        (
            {"notify": {"sender": "people team"}},
            "notify.sender",
            "must be an email address; got 'people team'",
        ),
        (
            {"google": {"endpoint": "127.0.0.1:8765"}},
            "google.endpoint",
            "must be an http:// or https:// URL; got '127.0.0.1:8765'",
        ),
        (
            {"templates": {"igp": "plan.pdf"}},
            "templates.igp",
            "must be 'builtin', google:<file id> or a path to a .docx file; got 'plan.pdf'",
        ),
        (
            {"templates": {"growth_sheet": "plan.docx"}},
            "templates.growth_sheet",
            "must be 'builtin', google:<file id> or a path to a .xlsx file; got 'plan.docx'",
        ),
        (
            {"templates": {"tracker": "google:"}},
            "templates.tracker",
            "must be google:<file id>; got 'google:'",
        ),
        (
            {"roster": {"source": "sheet:/People"}},
            "roster.source",
            "must be sheet:<spreadsheet id>[/<tab>]; got 'sheet:/People'",
        ),
        ({"names": {"igp": "  "}}, "names.igp", "must not be empty"),
        ({"local": {"output_dir": ""}}, "local.output_dir", "must not be empty"),
    ],
)
def test_refuses_a_bad_value_naming_its_key_path(
    data: dict[str, Any], where: str, message: str
) -> None:
    assert problems_of(data) == [Problem(where, message)]


def test_reports_every_problem_at_once_in_file_order() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {
                "fiscal_year_start_month": 0,
                "sharing": {"manager": "editor", "pbp": "owner"},
                "google": {"quotas": {"drive_per_user": "lots"}},
            },
            BASE,
            origin="careerdocs.toml",
        )
    error = caught.value
    assert error.summary == "invalid config careerdocs.toml (4 problems)"
    assert [str(problem) for problem in error.problems] == [
        "fiscal_year_start_month: must be between 1 and 12; got 0",
        "sharing.manager: must be one of reader, commenter, writer, none; got 'editor'",
        "sharing.pbp: must be one of reader, commenter, writer, none; got 'owner'",
        "google.quotas.drive_per_user: must be an integer; got 'lots'",
    ]
    assert error.exit_code == ExitCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"backend": "google"}, "google.admin", "is required when the backend is google"),
        (
            {"backend": "google", "google": {"admin": "root@other.org"}},
            "google.admin",
            "root@other.org is outside allowed_domains (example.com)",
        ),
        (
            {"notify": {"sender": "People@Other.org"}},
            "notify.sender",
            "people@other.org is outside allowed_domains (example.com)",
        ),
        (
            {**GOOGLE_READY, "google": {"admin": "pbp@example.com", "destination": "shared_drive"}},
            "google.shared_drive_id",
            "is required when google.destination is shared_drive",
        ),
        (
            {**GOOGLE_READY, "google": {"admin": "pbp@example.com", "auth": "oauth"}},
            "google.destination",
            "must be shared_drive when google.auth is oauth (a user's own login cannot create "
            "files in other people's My Drive)",
        ),
        (
            {"templates": {"igp": "google:1AbC"}},
            "templates.igp",
            "google:1AbC needs the google backend; the backend is local",
        ),
        (
            {"roster": {"source": "sheet:1XyZ/People"}},
            "roster.source",
            "sheet:1XyZ/People needs the google backend; the backend is local",
        ),
    ],
)
def test_refuses_settings_that_contradict_each_other(
    data: dict[str, Any], where: str, message: str
) -> None:
    assert problems_of(data) == [Problem(where, message)]


def test_google_backend_accepts_organisation_templates_and_a_sheet_roster() -> None:
    settings = parse_settings(
        {
            **GOOGLE_READY,
            "templates": {"igp": "google:1AbC"},
            "roster": {"source": "sheet:1XyZ/People tab"},
        },
        BASE,
    )
    assert settings.templates.igp == TemplateSource(google_file_id="1AbC")
    assert settings.roster.source == RosterSource(spreadsheet_id="1XyZ", tab="People tab")
    assert str(settings.roster.source) == "sheet:1XyZ/People tab"


def test_a_whole_number_is_accepted_where_seconds_may_be_fractional() -> None:
    settings = parse_settings({"google": {"max_backoff_seconds": 5}}, BASE)
    assert settings.google.max_backoff_seconds == 5.0
    assert isinstance(settings.google.max_backoff_seconds, float)


def test_deadline_and_sender_are_parsed() -> None:
    settings = parse_settings(
        {"rollup": {"deadline": "2026-12-15"}, "notify": {"sender": "People@Example.com"}}, BASE
    )
    assert settings.rollup.deadline == date(2026, 12, 15)
    assert settings.notify.sender == "people@example.com"


def test_settings_cannot_be_changed_after_validation() -> None:
    settings = parse_settings({}, BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.backend = "google"  # type: ignore[misc]


# --- the example config ----------------------------------------------------------------------


def _flatten(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, value in table.items():
        if isinstance(value, dict):
            keys += _flatten(value, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def test_example_config_documents_every_key() -> None:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert _flatten(data) == config_keys()


def test_example_config_runs_the_local_backend_on_the_example_roster() -> None:
    settings = load_settings(EXAMPLE_CONFIG)
    assert settings.backend_name == "local"
    assert settings.config_path == EXAMPLE_CONFIG
    assert settings.require_roster() == RosterSource(path=REPO / "config" / "example-roster.csv")
    assert settings.local.output_dir.resolve() == REPO / "careerdocs-output"


# --- finding and reading the file ------------------------------------------------------------


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no careerdocs.toml and no $CAREERDOCS_CONFIG."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return work


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_any_config_uses_defaults_and_needs_a_roster(elsewhere: Path) -> None:
    settings = load_settings(None)
    assert settings.config_path is None
    assert settings.backend_name == "local"
    assert settings.local.output_dir == elsewhere / "careerdocs-output"
    with pytest.raises(ConfigError) as caught:
        settings.require_roster()
    assert caught.value.summary == (
        f"no config file found (looked for {elsewhere / 'careerdocs.toml'}; neither --config "
        "nor $CAREERDOCS_CONFIG is set)"
    )
    assert caught.value.problems == [
        Problem("to write one", "careerdocs init --roster <your HR export (.csv or .xlsx)>")
    ]


def test_roster_override_is_taken_from_the_working_directory(
    elsewhere: Path, tmp_path: Path
) -> None:
    config = _write(tmp_path / "etc" / "careerdocs.toml", 'roster.source = "people.csv"\n')
    settings = load_settings(config, roster_override="new-hires.csv")
    assert settings.require_roster() == RosterSource(path=elsewhere / "new-hires.csv")


def test_roster_override_is_validated_like_the_config(elsewhere: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, roster_override="sheet:1XyZ")
    assert caught.value.problems == [
        Problem("roster.source", "sheet:1XyZ needs the google backend; the backend is local")
    ]


def test_reads_the_file_named_by_the_environment(
    elsewhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write(tmp_path / "env" / "c.toml", "fiscal_year_start_month = 7\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    _write(elsewhere / "careerdocs.toml", "fiscal_year_start_month = 4\n")
    assert load_settings(None).fiscal_year_start_month == 7


def test_reads_careerdocs_toml_in_the_working_directory(elsewhere: Path) -> None:
    _write(elsewhere / "careerdocs.toml", 'roster.source = "people.csv"\n')
    settings = load_settings(None)
    assert settings.config_path == elsewhere / "careerdocs.toml"
    assert settings.require_roster() == RosterSource(path=elsewhere / "people.csv")


def test_an_explicit_path_wins_over_the_environment(
    elsewhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        CONFIG_ENV, str(_write(tmp_path / "a.toml", "fiscal_year_start_month = 7\n"))
    )
    explicit = _write(tmp_path / "b.toml", "fiscal_year_start_month = 9\n")
    assert load_settings(explicit).fiscal_year_start_month == 9


@pytest.mark.parametrize("from_env", [False, True])
def test_a_named_config_file_must_exist(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, from_env: bool
) -> None:
    missing = elsewhere / "nope.toml"
    if from_env:
        monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError) as caught:
        load_settings(None if from_env else missing)
    where = f"${CONFIG_ENV}" if from_env else str(missing)
    assert caught.value.problems == [Problem(where, f"no such file {missing}")]


def test_refuses_a_file_that_is_not_toml(elsewhere: Path) -> None:
    config = _write(elsewhere / "careerdocs.toml", "backend = local\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.summary == "config is not valid TOML"
    assert caught.value.problems[0].where == str(config)
    assert "line 1" in caught.value.problems[0].message


def test_names_the_file_when_its_content_is_invalid(elsewhere: Path) -> None:
    config = _write(elsewhere / "careerdocs.toml", '[sharing]\nmanager = "editor"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.summary == f"invalid config {config} (1 problem)"
