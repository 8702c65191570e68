"""The one exception tree of careerdocs, and the exit codes the CLI maps it to.

Every error a user can cause or meet derives from :class:`CareerdocsError`. The CLI converts
them to a message and an exit code in exactly one place (``cli.main``); library callers can catch
the class they care about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    INVALID_INPUT = 2  # usage or invalid input; nothing was written
    PARTIAL = 3  # some people failed; the summary names them, a re-run finishes the job


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough to fix it.

    ``where`` is e.g. ``"row 7"`` for a roster, ``"sharing.manager"`` for a config key, or
    ``"templates/igp.docx"`` for a template.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CareerdocsError(Exception):
    exit_code: ExitCode = ExitCode.FAILURE


class InvalidInput(CareerdocsError):
    """Bad input found before any write. Carries every problem found, not just the first."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, summary: str, problems: Sequence[Problem] = ()) -> None:
        self.summary = summary
        self.problems = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        lines = [self.summary]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class ConfigError(InvalidInput):
    """The config file is missing, unreadable, or has an unknown key, wrong type or bad value."""


class RosterError(InvalidInput):
    """The roster has missing columns, bad rows or an inconsistent management chain."""


class TemplateError(InvalidInput):
    """A template is missing, unreadable, or uses a placeholder the context cannot fill."""


class WorkspaceError(CareerdocsError):
    """Storage (Google or the local folder) refused or failed an operation."""


class GoogleAPIError(WorkspaceError):
    """A Google API answered with an error, after any retries the pacer allowed.

    ``reason`` is Google's ``errors[0].reason`` when present, else its canonical ``status``.
    """

    def __init__(self, status: int, reason: str, message: str, *, api: str = "") -> None:
        self.status = status
        self.reason = reason
        self.api = api
        super().__init__(f"{api + ' ' if api else ''}{status} {reason}: {message}")


class AuthError(WorkspaceError):
    """Credentials are missing, invalid, or lack delegation for a subject or scope."""


class AccountUnreachable(AuthError):
    """Google will not issue a token for one account (no such account, suspended or deleted, or
    domain-wide delegation refused for it). Only that person fails; ``user`` names them once
    known, ``cause`` says the likely causes in words."""

    def __init__(self, detail: str, cause: str, user: str = "") -> None:
        self.detail = detail
        self.cause = cause
        self.user = user
        who = f"{user}: " if user else ""
        super().__init__(f"{who}Google will not act as this account ({detail}); {cause}")

    def for_user(self, user: str) -> AccountUnreachable:
        """The same refusal, naming the account it concerns."""
        return AccountUnreachable(self.detail, self.cause, user)


class LockBusy(CareerdocsError):
    """Another run holds the lock. Cron treats this as a skipped run, not a failure."""

    exit_code = ExitCode.OK


class PartialFailure(CareerdocsError):
    """Some people failed while the others succeeded; ``failures`` maps email to reason."""

    exit_code = ExitCode.PARTIAL

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = dict(failures)
        names = ", ".join(sorted(self.failures))
        super().__init__(f"{len(self.failures)} failed: {names}")


RESUME_FORMAT = "%Y-%m-%d %H:%M UTC"


class DailyLimitReached(CareerdocsError):
    """Every account that could send the next email has sent its daily limit (Gmail: 2,000
    messages in any 24 hours per Workspace user). Nothing more is sent; what was done stays
    done, and a run at or after ``resume_at`` (UTC) sends the rest. Exit code 3, as a partial
    run: the summary names who is still to be emailed."""

    exit_code = ExitCode.PARTIAL

    def __init__(self, resume_at: datetime, detail: str = "") -> None:
        self.resume_at = resume_at.astimezone(timezone.utc)
        self.detail = detail
        reason = detail or "every sender has reached its daily sending limit"
        super().__init__(f"{reason}; run again after {resume_text(self.resume_at)}")


def resume_text(moment: datetime) -> str:
    """``moment`` in UTC to the minute, rounded up so that the time said is never too early."""
    moment = moment.astimezone(timezone.utc)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.strftime(RESUME_FORMAT)
