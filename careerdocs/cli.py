"""The ``careerdocs`` command line: parse, call the library, print. No policy lives here.

Errors from the library are turned into a message and an exit code in exactly one place,
:meth:`CareerdocsGroup.invoke`: 0 success, 1 failure, 2 invalid input (nothing was written),
3 partial (some people failed; a re-run finishes the job).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from . import __version__, endpoint, provision, rehearsal, remind, rollup
from . import init as init_module
from . import roster as roster_module
from . import status as status_module
from .audit import NO_AUDIT, AuditLog
from .cadence import COUNTING_RULE, FiscalYear, fiscal_year, fiscal_year_from_label
from .config import BACKEND_GOOGLE, BACKEND_LOCAL, DEFAULT_CONFIG_FILE, Settings, load_settings
from .errors import (
    CareerdocsError,
    ExitCode,
    InvalidInput,
    LockBusy,
    PartialFailure,
    Problem,
    resume_text,
)
from .lock import exclusive
from .preflight import require_writable
from .roster import Roster, read_table
from .workspace import open_workspace
from .workspace.base import Workspace
from .workspace.local import OUTBOX, LocalWorkspace

log = logging.getLogger("careerdocs")


class TodayType(click.DateTime):
    """A YYYY-MM-DD date within years careerdocs can reason about: ``9999-12-31`` is a typo
    (its fiscal year would end after the last date Python has), refused before any work."""

    name = "date"
    earliest = date(1900, 1, 1)
    latest = date(2199, 12, 31)

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        parsed = super().convert(value, param, ctx)
        if not self.earliest <= parsed.date() <= self.latest:
            self.fail(
                f"{parsed.date().isoformat()} is out of range "
                f"({self.earliest.isoformat()} to {self.latest.isoformat()})",
                param,
                ctx,
            )
        return parsed


TODAY_TYPE = TodayType()


class CareerdocsGroup(click.Group):
    """Maps the CareerdocsError tree to messages and exit codes, once, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LockBusy as exc:
            click.echo(str(exc), err=True)
            ctx.exit(exc.exit_code)
        except PartialFailure as exc:
            click.echo(f"Partly done: {exc}. Run the same command again to finish.", err=True)
            for who, reason in sorted(exc.failures.items()):
                click.echo(f"  {who}: {reason}", err=True)
            ctx.exit(exc.exit_code)
        except CareerdocsError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=CareerdocsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="careerdocs")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CAREERDOCS_CONFIG",
    help="Config file (TOML). Default: $CAREERDOCS_CONFIG, else ./careerdocs.toml, "
    "else built-in defaults (local backend).",
)
@click.option(
    "--today",
    type=TODAY_TYPE,
    metavar="YYYY-MM-DD",
    default=None,
    help="Act as if today were this date (YYYY-MM-DD): rehearse a date's statuses.",
)
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, today: datetime | None, verbose: int) -> None:
    """Career development paperwork on Google Workspace, or in a local folder.

    Start with `careerdocs init --roster <your HR export>`; every command takes --config,
    --today and -v before or after its name.

    Exit codes: 0 ok, 1 failure, 2 invalid input (nothing written), 3 partly done,
    130 stopped by Ctrl-C.
    """
    ctx.obj = {"config_path": config_path, "today": today.date() if today else None}
    _set_verbosity(ctx, verbose)


def _set_verbosity(ctx: click.Context, verbose: int) -> None:
    root = ctx.find_root()
    root.obj["verbose"] = max(root.obj.get("verbose", 0), verbose)
    level = logging.WARNING - 10 * min(root.obj["verbose"], 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(message)s")
    logging.getLogger().setLevel(level)


def _verbose(ctx: click.Context) -> int:
    return int(ctx.find_root().obj.get("verbose", 0))


def _today(ctx: click.Context) -> date:
    return ctx.find_root().obj.get("today") or date.today()


def _settings(ctx: click.Context, roster: str | None) -> Settings:
    return load_settings(ctx.find_root().obj.get("config_path"), roster_override=roster)


def _open(settings: Settings) -> Workspace:
    """The workspace, after checking a configured endpoint answers, and saying where work
    goes (at -v): the sandbox's address rather than Google's when pointed at one."""
    endpoint.check_reachable(settings)
    workspace = open_workspace(settings)
    log.info("storage: %s; %s", workspace.describe(), endpoint.describe(settings))
    return workspace


def load_roster(
    settings: Settings, workspace: Workspace | None, today: date | None = None
) -> Roster:
    """The configured roster (see :func:`careerdocs.roster.load`), its warnings on stderr."""
    the_roster = roster_module.load(settings, workspace, today=today)
    for warning in the_roster.warnings:
        click.echo(f"note: {warning}", err=True)
    return the_roster


def _fiscal_year(settings: Settings, today: date, label: str | None) -> FiscalYear:
    if label is None:
        return fiscal_year(today, settings.fiscal_year_start_month)
    try:
        return fiscal_year_from_label(label, settings.fiscal_year_start_month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fy") from None


def _emit_json(data: Any) -> None:
    """One line of JSON (JSON Lines): `>> runs.jsonl` under cron appends one record a run."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _timed(data: dict[str, Any], started: datetime, clock_start: float) -> dict[str, Any]:
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - clock_start, 2),
        **data,
    }


def _plural(n: int, singular: str, plural: str = "") -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _progress(label: str, total: int, enabled: bool) -> Any:
    """A progress bar on a terminal; silent when piped, under cron or with --json."""
    if not enabled or not sys.stderr.isatty():
        return None
    return click.progressbar(length=total, label=label, file=sys.stderr)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.find_root().obj["config_path"] = value


def _set_today(ctx: click.Context, _param: click.Parameter, value: datetime | None) -> None:
    if value is not None:
        ctx.find_root().obj["today"] = value.date()


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        _set_verbosity(ctx, value)


config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    expose_value=False,
    callback=_set_config,
    help="Config file (TOML); same as the top-level --config.",
)
today_option = click.option(
    "--today",
    type=TODAY_TYPE,
    metavar="YYYY-MM-DD",
    expose_value=False,
    callback=_set_today,
    help="Act as if today were this date; same as the top-level --today.",
)
verbose_option = click.option(
    "-v",
    "--verbose",
    count=True,
    expose_value=False,
    callback=_set_verbose,
    help="Log more to stderr; same as the top-level -v.",
)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --today and -v, accepted after the command's name as well as before it."""
    return config_option(today_option(verbose_option(command)))


roster_option = click.option(
    "--roster",
    metavar="SOURCE",
    help="Roster: a CSV path or sheet:<spreadsheet id>[/<tab>]. Overrides roster.source.",
)
fy_option = click.option(
    "--fy",
    "fy_label",
    metavar="FY2027",
    help="The fiscal year to roll up (default: the current one). A past year shows who ended "
    "it overdue.",
)
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one line of JSON (with start time and duration) instead of tables.",
)


# -- provision / plan -------------------------------------------------------------------------


def _prepare(
    ctx: click.Context, roster_src: str | None, only: Sequence[str], notify: bool
) -> tuple[Settings, Workspace, Roster, provision.Plan]:
    settings = _settings(ctx, roster_src)
    workspace = _open(settings)
    roster = load_roster(settings, workspace, _today(ctx))
    selected = roster.only(only) if only else roster
    the_plan = provision.prepare(
        settings, workspace, selected, today=_today(ctx), notify=notify, everyone=roster
    )
    return settings, workspace, roster, the_plan


@cli.command(name="provision")
@common_options
@roster_option
@click.option(
    "--only",
    multiple=True,
    metavar="EMAIL",
    help="Provision only this person (repeatable), e.g. one new hire.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option(
    "--notify/--no-notify",
    default=True,
    show_default=True,
    help="Email each newly provisioned person the links to their documents.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="People provisioned in parallel (Google quotas are still respected).",
)
@json_option
@click.pass_context
def provision_command(
    ctx: click.Context,
    roster: str | None,
    only: tuple[str, ...],
    dry_run: bool,
    notify: bool,
    workers: int,
    as_json: bool,
) -> None:
    """Give each person their Individual Growth Plan, accomplishment tracker and growth sheet.

    Finds what already exists (nothing is ever overwritten: a person's edits are sacred),
    creates only what is missing, fills in their details, protects the growth sheet's
    Conversations tab for the person, shares their folder with their manager (and skip-level /
    PBP per config), revokes what careerdocs granted to people the roster no longer names, and
    emails them the links once per fiscal year. Re-running finishes whatever a failed or killed
    run left and does nothing twice. One writing run at a time: a second exits 0 at once.
    """
    started, clock = datetime.now(timezone.utc), time.monotonic()
    if dry_run:
        _, workspace, _, the_plan = _prepare(ctx, roster, only, notify)
        _print_plan(the_plan, workspace, as_json)
        return
    settings = _settings(ctx, roster)
    require_writable(settings)
    with exclusive(settings.rollup.lock_file, "provision"):
        _provision(ctx, roster, only, notify, workers, as_json, (started, clock))


def _provision(
    ctx: click.Context,
    roster: str | None,
    only: Sequence[str],
    notify: bool,
    workers: int,
    as_json: bool,
    timing: tuple[datetime, float],
) -> None:
    """The run itself, under the run lock: survey, plan and apply."""
    started, clock = timing
    settings, workspace, full_roster, the_plan = _prepare(ctx, roster, only, notify)
    audit = AuditLog(settings.audit_log, "provision")
    bar = _progress("Provisioning", len(the_plan.people), not as_json)
    verbose = _verbose(ctx)
    stop = threading.Event()

    def tick(done: provision.PersonResult) -> None:
        if bar is not None:
            bar.update(1)
        if verbose:
            click.echo(f"{done.email}: {_person_outcome(done)}", err=True)

    try:
        with _stop_on_interrupt(stop):
            result = provision.apply(
                the_plan,
                workspace,
                settings,
                full_roster,
                today=_today(ctx),
                audit=audit,
                workers=workers,
                progress=tick,
                stop=stop,
            )
    finally:
        if bar is not None:
            bar.render_finish()
    if as_json:
        _emit_json(_timed(result.to_json(), started, clock))
    else:
        _print_provision(result, workspace)
    if stop.is_set():
        _stopped(ctx, len(result.people), len(the_plan.people))
    if result.failures:
        raise PartialFailure(result.failures)


def _person_outcome(done: provision.PersonResult) -> str:
    if done.error:
        return f"FAILED: {done.error}"
    parts = done.actions or ["up to date"]
    parts += ["shared with " + ", ".join(done.shared)] if done.shared else []
    return "; ".join(parts)


STOPPED = 130  # what a shell reports for a command ended by Ctrl-C (128 + SIGINT)


@contextmanager
def _stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """While the block runs, a first Ctrl-C sets ``stop`` (the people in flight finish, nobody
    new starts); a second one aborts at once. Outside the main thread, Ctrl-C is untouched."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(_signum: int, _frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        click.echo("\nStopping after the people in flight (Ctrl-C again to abort now)...", err=True)

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stopped(ctx: click.Context, done: int, total: int) -> None:
    click.echo(
        f"stopped after {done} of {_plural(total, 'person', 'people')}; run the same command "
        "again to finish",
        err=True,
    )
    ctx.exit(STOPPED)


@cli.command(name="plan")
@common_options
@roster_option
@click.option("--only", multiple=True, metavar="EMAIL", help="Plan only for this person.")
@json_option
@click.pass_context
def plan_command(
    ctx: click.Context, roster: str | None, only: tuple[str, ...], as_json: bool
) -> None:
    """Show what `provision` would create, share and send. Writes nothing."""
    _, workspace, _, the_plan = _prepare(ctx, roster, only, True)
    _print_plan(the_plan, workspace, as_json)


def _print_plan(the_plan: provision.Plan, workspace: Workspace, as_json: bool) -> None:
    if as_json:
        _emit_json(
            {
                "fiscal_year": the_plan.fy.label,
                "counts": the_plan.counts(),
                "actions": the_plan.describe(),
            }
        )
        return
    counts = the_plan.counts()
    click.echo(f"Plan for {the_plan.fy.label} in {workspace.describe()} (nothing written):")
    for line in the_plan.describe():
        click.echo(f"  {line}")
    click.echo(
        f"{_plural(counts['people'], 'person', 'people')}: {counts['up_to_date']} up to date; "
        f"would create {_plural(counts['folders'], 'folder')} and "
        f"{_plural(counts['files'], 'document')}, share {_plural(counts['shares'], 'folder')}, "
        f"send {_plural(counts['emails'], 'email')}{_plan_extras(counts)}."
    )


def _plan_extras(counts: dict[str, int]) -> str:
    """The rest of the plan summary: steps left from an earlier run, revokes, people skipped."""
    extras = [
        f"{verb} {_plural(counts[key], noun)}"
        for key, verb, noun in (
            ("fills", "finish", "document"),
            ("protections", "protect", "growth sheet"),
            ("revokes", "revoke", "share"),
        )
        if counts[key]
    ]
    if counts["unreachable"]:
        extras.append(f"skip {_plural(counts['unreachable'], 'person', 'people')} out of reach")
    return "; " + ", ".join(extras) if extras else ""


def _print_provision(result: provision.Result, workspace: Workspace) -> None:
    c = result.counts()
    rows = [
        (
            p.email,
            "FAILED" if p.error else ("; ".join(p.actions) or "up to date"),
            p.error or ", ".join(p.shared),
        )
        for p in result.people
    ]
    _print_table(("Person", "Result", "Shared / error"), rows)
    steps = f"{c['filled']} finished, {c['protected']} protected, {c['revoked']} revoked"
    if isinstance(workspace, LocalWorkspace):
        # Nothing is shared or sent from a folder: say what was written, and where.
        click.echo(
            f"\n{result.fy.label}: {_plural(c['people'], 'person', 'people')}, "
            f"{c['created']} written, {_plural(c['shared'], 'share')} recorded, "
            f"{_plural(c['notified'], 'email')} written, {c['failed']} failed; {steps}."
        )
        click.echo(f"Documents are in {workspace.describe()}.")
        if c["notified"]:
            click.echo(f"Emails to send are in {workspace.output_dir / OUTBOX}.")
    else:
        click.echo(
            f"\n{result.fy.label}: {_plural(c['people'], 'person', 'people')}, {c['created']} "
            f"created, {_plural(c['shared'], 'share')}, {_plural(c['notified'], 'email')}, "
            f"{c['failed']} failed; {steps}."
        )
        click.echo(f"Documents are in {workspace.describe()}.")
    if result.resume_at is not None:
        click.echo(
            f"{_plural(result.held_back, 'email')} held back: every account that could send "
            f"them reached its daily sending limit; run again after "
            f"{resume_text(result.resume_at)} to send them."
        )
    if result.central:
        click.echo(f"People and links: {result.central}")
    for p in result.people:
        for note in p.notes:
            click.echo(f"note: {p.email}: {note}", err=True)


def _print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    widths = [len(h) for h in header]
    text_rows = [[str(c) for c in row] for row in rows]
    for row in text_rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    click.echo(line.rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in text_rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


# -- rollup / status --------------------------------------------------------------------------


@cli.command(name="rollup")
@common_options
@roster_option
@click.option(
    "--full",
    is_flag=True,
    help="Read every growth sheet, not only changed ones (on Google, each as its owner, which "
    "also checks who may edit its protection).",
)
@fy_option
@json_option
@click.pass_context
def rollup_command(
    ctx: click.Context, roster: str | None, full: bool, fy_label: str | None, as_json: bool
) -> None:
    """Gather career-conversation acknowledgements into the central sheet.

    Safe under cron: the run lock it shares with provision keeps two runs from overlapping
    (the second exits 0 with a message on stderr), nothing prompts, logs go to stderr and
    --json to stdout. Reads only the growth sheets changed since the last successful run
    unless --full. Exit 3 when some sheets could not be read (everything else is still
    written).
    """
    started, clock = datetime.now(timezone.utc), time.monotonic()
    settings = _settings(ctx, roster)
    today = _today(ctx)
    require_writable(settings)
    with exclusive(settings.rollup.lock_file, "rollup"):
        workspace = _open(settings)
        the_roster = load_roster(settings, workspace, today)
        try:
            result = rollup.run(
                workspace,
                the_roster,
                fy=_fiscal_year(settings, today, fy_label),
                today=today,
                now=started,
                state_path=settings.rollup.state_file,
                deadline=settings.rollup.deadline,
                full=full,
                audit=AuditLog(settings.audit_log, "rollup"),
            )
        except KeyboardInterrupt:
            click.echo(
                "stopped before writing the central sheet; run the same command again to finish",
                err=True,
            )
            ctx.exit(STOPPED)
    if as_json:
        _emit_json(_timed(result.to_json(), started, clock))
    else:
        c = result.counts()
        click.echo(
            f"{result.fy.label}: {_plural(c['headcount'], 'person', 'people')} — "
            f"{c['acknowledged']} acknowledged, {c['on cadence']} on cadence, {c['due']} due, "
            f"{c['overdue']} overdue, {c['not yet due']} not yet due, "
            f"{c['not provisioned']} not provisioned ({c['pct_acknowledged']}% "
            f"acknowledged)."
        )
        click.echo(
            f"Read {_plural(c['sheets_read'], 'sheet')}, {c['sheets_cached']} unchanged. "
            f"Central: {result.central}"
        )
    for problem in result.problems:
        click.echo(f"data problem: {problem}", err=True)
    if result.failures:
        raise PartialFailure(result.failures)


@cli.command(name="status")
@common_options
@roster_option
@click.option("--department", metavar="NAME", help="Only this department (any case).")
@click.option(
    "--manager",
    metavar="NAME|EMAIL",
    help="Only people reporting to this manager, by name or email (any case, accents optional).",
)
@click.option("--pbp", metavar="NAME|EMAIL", help="Only people with this PBP, by name or email.")
@click.option("--overdue", is_flag=True, help="Only people who are overdue.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Compute statuses now from the growth sheets instead of reading the central "
    "sheet (writes nothing).",
)
@fy_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one line) instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@click.pass_context
def status_command(
    ctx: click.Context,
    roster: str | None,
    department: str | None,
    manager: str | None,
    pbp: str | None,
    overdue: bool,
    refresh: bool,
    fy_label: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Who is due, overdue, acknowledged or on cadence, as of the last rollup."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if fy_label and not refresh:
        raise click.UsageError("--fy needs --refresh: the central sheet holds the current year")
    settings = _settings(ctx, roster)
    workspace = _open(settings)
    today = _today(ctx)
    table = status_module.read_table(
        settings,
        workspace,
        refresh=refresh,
        roster=load_roster(settings, workspace, today) if refresh else None,
        fy=_fiscal_year(settings, today, fy_label),
        today=today,
    )
    filters = status_module.Filters(department, manager, pbp, overdue)
    records = status_module.select(table.records, filters)
    if as_json:
        _emit_json(records)
    elif as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=table.header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
        click.echo(out.getvalue(), nl=False)
    elif not records and filters.any:
        click.echo(status_module.empty_line(filters))
        click.echo(status_module.as_of_line(table))
    else:
        _print_table(status_module.TABLE_FIELDS, status_module.columns(records))
        click.echo(f"\n{status_module.totals_line(records)} {status_module.as_of_line(table)}")
        click.echo(COUNTING_RULE)


# -- remind -----------------------------------------------------------------------------------

REMIND_HELP = """Email the right reminder to the right person, once; and a weekly digest.

\b
Run it daily from cron; it works out what is due today from the growth sheets (the same
status rules as rollup and status) and sends each message at most once per reason and
window, recorded in remind.state_file. What goes out:
  due                a team member whose conversation window is open (Q2, Q4, or a new
                     hire's first 90 days just ended) and who has no acknowledged career
                     conversation in it: once per window.
  overdue            a team member whose deadline or fiscal year passed without one: once.
  acknowledge        someone who logged a conversation but has not ticked Acknowledged:
                     once per window.
  manager-digest     each manager, weekly (remind.weekly_on): their own team only — who is
                     due, overdue, waiting to acknowledge, has an escalation, and which new
                     hires pass 90 days soon — with a link to each growth sheet.
  skip-level-digest  a manager's manager, weekly: the escalations raised in their org.
  pbp-summary        each PBP, weekly: counts by status and the overdue list.

\b
Politely: nobody gets two messages within remind.min_days_between days; nothing goes out
on weekends (remind.quiet_weekends) or remind.holidays. To turn a kind off, leave it out
of remind.kinds in the config, e.g. kinds = ["due", "overdue", "acknowledge"].
Messages come from the person's manager, a pool of senders or the admin (notify.send_as),
within each sender's Gmail limits; a run that would pass a daily limit stops, says when
to resume, and exits 3. Local backend: messages are .eml files in the outbox folder.

\b
Exit codes: 0 done (or nothing to send), 2 invalid config or input (nothing sent),
3 some messages failed or a daily limit stopped the run (run again to finish).
"""


@cli.command(name="remind", help=REMIND_HELP)
@common_options
@roster_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print each message that would go out (to, from, kind, why, subject); send and "
    "record nothing.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="EMAIL",
    help="Send only to this address (repeatable): a person, manager or PBP.",
)
@click.option(
    "--date",
    "on_date",
    type=TODAY_TYPE,
    metavar="YYYY-MM-DD",
    expose_value=False,
    callback=_set_today,
    help="Act as of this day (to rehearse, or to catch up on a missed day); same as --today.",
)
@json_option
@click.pass_context
def remind_command(
    ctx: click.Context, roster: str | None, dry_run: bool, only: tuple[str, ...], as_json: bool
) -> None:
    started, clock = datetime.now(timezone.utc), time.monotonic()
    settings = _settings(ctx, roster)
    if dry_run:
        result = _remind(ctx, settings, only, dry_run=True, as_json=as_json)
    else:
        require_writable(settings)
        with exclusive(settings.rollup.lock_file, "remind"):
            result = _remind(ctx, settings, only, dry_run=False, as_json=as_json)
    if as_json:
        _emit_json(_timed(result.to_json(), started, clock))
    else:
        _print_remind(result, settings)
    if result.stopped is not None and not result.dry_run:
        raise result.stopped
    if result.failures:
        raise PartialFailure(result.failures)


def _remind(
    ctx: click.Context, settings: Settings, only: Sequence[str], *, dry_run: bool, as_json: bool
) -> remind.RemindResult:
    workspace = _open(settings)
    today = _today(ctx)
    the_roster = load_roster(settings, workspace, today)
    bar: Any = None
    stop = threading.Event()

    def planned(total: int) -> None:
        nonlocal bar
        bar = _progress("Sending", total, not (as_json or dry_run) and total > 0)

    def tick(_done: remind.Sent) -> None:
        if bar is not None:
            bar.update(1)

    try:
        with _stop_on_interrupt(stop):
            result = remind.run(
                settings,
                workspace,
                the_roster,
                today=today,
                dry_run=dry_run,
                only=only,
                audit=NO_AUDIT if dry_run else AuditLog(settings.audit_log, "remind"),
                progress=tick,
                planned=planned,
                stop=stop,
            )
    finally:
        if bar is not None:
            bar.render_finish()
    if stop.is_set():
        _stopped(ctx, len(result.sent), result.planned)
    return result


def _print_remind(result: remind.RemindResult, settings: Settings) -> None:
    day = f"{result.today.isoformat()} ({result.fy.label})"
    if result.dry_run:
        click.echo(f"Reminders for {day}, dry run: nothing sent, nothing recorded.")
    if result.sent:
        rows = [
            (
                s.message.nudge.to,
                s.sender,
                s.message.nudge.kind.value,
                s.message.nudge.why,
                s.message.email.subject,
            )
            for s in result.sent
        ]
        _print_table(("To", "From", "Kind", "Why", "Subject"), rows)
        click.echo("")
    kinds = ", ".join(f"{n} {kind}" for kind, n in result.counts().items() if n)
    senders = result.senders()
    verb = "would send" if result.dry_run else "sent"
    summary = f"{day}: {verb} {_plural(len(result.sent), 'message')}"
    if kinds:
        summary += f" ({kinds}) from {_plural(len(senders), 'sender')}"
    if result.quiet:
        summary += f"; quiet day: {result.quiet}"
    click.echo(summary + ".")
    if result.stopped is not None:
        left = result.planned - len(result.sent) - len(result.failures)
        if result.dry_run:
            click.echo(f"A real run would stop there: {result.stopped}", err=True)
        click.echo(f"{_plural(left, 'message')} left for the next run.", err=True)
    elif not result.dry_run and result.sent and settings.backend_name == BACKEND_LOCAL:
        click.echo(f"Emails to send are in {settings.local.output_dir / OUTBOX}.")
    for problem in result.problems:
        click.echo(f"data problem: {problem}", err=True)


# -- preview ----------------------------------------------------------------------------------


@cli.command(name="preview")
@common_options
@roster_option
@click.option(
    "--person",
    metavar="EMAIL",
    help="Whose documents to render (default: the roster's first person). Also limits the "
    "central sheet to them.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("careerdocs-preview"),
    show_default=True,
    help="Folder for the filled files and their PDFs (never the output folder).",
)
@click.pass_context
def preview_command(
    ctx: click.Context, roster: str | None, person: str | None, out_dir: Path
) -> None:
    """Render one person's three documents and the central sheet to PDF, to check by eye.

    Needs LibreOffice (`soffice`); without it, says how to install it and exits 2. Nothing is
    shared, emailed or written to the configured output folder.
    """
    from . import preview

    settings = _settings(ctx, roster)
    the_roster = load_roster(settings, open_workspace(settings))
    result = preview.run(settings, the_roster, out_dir=out_dir, today=_today(ctx), person=person)
    click.echo(
        f"Preview for {result.person.name} <{result.person.email}>; central sheet of "
        f"{_plural(result.central_people, 'person', 'people')}:"
    )
    for item in result.files:
        pages = f"{item.pages} page{'' if item.pages == 1 else 's'}"
        click.echo(f"  {item.pdf}  ({pages}, from {item.source.name})")


# -- init -------------------------------------------------------------------------------------


def _interactive() -> bool:
    """Prompt only a person at a terminal; scripts and cron get flags and defaults."""
    return sys.stdin.isatty()


@cli.command(name="init")
@click.argument(
    "directory", required=False, type=click.Path(file_okay=False, path_type=Path), default="."
)
@click.option(
    "--roster",
    "roster_file",
    metavar="FILE",
    help="Your HR export (CSV, or .xlsx with an optional #Sheet) to guess the settings from.",
)
@click.option(
    "--backend",
    type=click.Choice(init_module.BACKENDS, case_sensitive=False),
    help="Where documents go: local (a folder; the default) or google.",
)
@common_options
@click.pass_context
def init_command(
    ctx: click.Context, directory: Path, roster_file: str | None, backend: str | None
) -> None:
    """Write DIRECTORY/careerdocs.toml (default: here) for your company, guessed from your HR
    export: the column mapping, allowed_domains and a roster check. Never overwrites. Asks on
    a terminal; takes flags (and defaults) in scripts."""
    init_module.refuse_existing(directory / DEFAULT_CONFIG_FILE)
    interactive = _interactive()
    if roster_file is None and interactive:
        roster_file = (
            click.prompt(
                "Your HR export (CSV or .xlsx; Enter to skip)", default="", show_default=False
            ).strip()
            or None
        )
    found = init_module.guess(roster_file, today=_today(ctx)) if roster_file else None
    if backend is None:
        backend = (
            click.prompt(
                "Where should documents go",
                type=click.Choice(init_module.BACKENDS),
                default=BACKEND_LOCAL,
            )
            if interactive
            else BACKEND_LOCAL
        )
    backend = backend.lower()
    organization = found.organization if found else init_module.DEFAULT_ORGANIZATION
    admin = found.admin if found else ""
    if interactive:
        organization = click.prompt("Organisation name (shown in documents)", default=organization)
        if backend == BACKEND_GOOGLE:
            admin = click.prompt("Admin account careerdocs acts as", default=admin or None)
    source = ""
    if roster_file:
        path, sheet = init_module.split_source(roster_file)
        source = init_module.relative_to(path, directory) + (f"#{sheet}" if sheet else "")
    choices = init_module.Choices(
        backend=backend,
        roster=source,
        organization=organization,
        admin=admin,
        origin=f" from {Path(roster_file).name}" if roster_file else "",
    )
    if found:
        _print_guess(found)
    written = init_module.write(directory, init_module.render(choices, found))
    click.echo(f"Wrote {written.resolve()}")
    shown = init_module.relative_to(written, Path.cwd())
    if found is None:
        click.echo(f"Next: set roster.source in {shown}, then: careerdocs --config {shown} doctor")
    elif found.problems:
        click.echo(f"Next: fix the roster (above), then: careerdocs --config {shown} doctor")
    elif backend == BACKEND_GOOGLE:
        click.echo(
            f"Next: set google.credentials (and check google.admin) in {shown}, then: "
            f"careerdocs --config {shown} doctor"
        )
    else:
        click.echo(f"Next: careerdocs --config {shown} provision --dry-run")


def _print_guess(found: init_module.RosterGuess) -> None:
    if found.columns:
        mapped = ", ".join(f"{name} = {header!r}" for name, header in found.columns.items())
        click.echo(f"Columns: {mapped}")
    if found.domains:
        click.echo(f"allowed_domains: {', '.join(found.domains)} (from the roster's addresses)")
    for warning in found.warnings:
        click.echo(f"note: {warning}")
    if found.problems:
        click.echo(f"Roster check: {_plural(len(found.problems), 'problem')}:")
        for problem in found.problems:
            click.echo(f"  {problem}")
    else:
        click.echo(f"Roster check: ok, {_plural(found.people, 'person', 'people')}.")


# -- doctor -----------------------------------------------------------------------------------


@cli.command(name="doctor")
@common_options
@roster_option
@click.pass_context
def doctor_command(ctx: click.Context, roster: str | None) -> None:
    """Check the config, roster, templates and storage access; say what is wrong."""
    from .doctor import run_checks

    failed = 0
    for check in run_checks(ctx.find_root().obj.get("config_path"), roster, _today(ctx)):
        mark = "ok " if check.ok else "FAIL"
        click.echo(f"[{mark}] {check.name}: {check.detail}")
        failed += not check.ok
    if failed:
        ctx.exit(ExitCode.FAILURE)


# -- sandbox ----------------------------------------------------------------------------------


@cli.group(name="sandbox")
def sandbox_group() -> None:
    """A fake Google Workspace on 127.0.0.1, to rehearse the Google path safely."""


DEFAULT_SANDBOX_PORT = 8765


@sandbox_group.command(name="serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_SANDBOX_PORT,
    show_default=True,
    help="Port on 127.0.0.1 to serve on; 0 picks a free one (and prints the config line).",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a ready config for this sandbox to FILE (never overwrites): the google "
    "backend, this endpoint and key, the seed roster.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the sandbox's files here so it survives restarts (default: memory).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the service-account key the sandbox accepts. Default: "
    ".sandbox/service-account.json on port 8765, .sandbox/service-account-<port>.json on "
    "another, so two sandboxes never overwrite each other's key.",
)
@click.option(
    "--quotas",
    type=click.Choice(["off", "google"]),
    default="off",
    show_default=True,
    help="Enforce Google's published per-minute quotas.",
)
@click.option(
    "--time-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Quota minutes pass this many times faster.",
)
@click.option(
    "--faults",
    default="",
    metavar="SPEC",
    help="Inject faults, e.g. '503=0.02,429=0.01,drop=0.005,seed=7'.",
)
@click.option("--latency-ms", type=float, default=0.0, help="Added to every API call.")
@click.option(
    "--seed-roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Create the users of this roster (CSV or .xlsx) and their managers and PBPs.",
)
@click.option("--user", "users", multiple=True, metavar="EMAIL", help="Create this user.")
@common_options
@click.option(
    "--user-login",
    "user_logins",
    multiple=True,
    metavar="EMAIL:FILE",
    help="Write an OAuth user login for EMAIL (an authorized_user file) to FILE.",
)
def sandbox_serve(
    port: int,
    write_config: Path | None,
    state_dir: Path | None,
    key_file: Path | None,
    quotas: str,
    time_scale: float,
    faults: str,
    latency_ms: float,
    seed_roster: Path | None,
    users: tuple[str, ...],
    user_logins: tuple[str, ...],
) -> None:
    """Serve the sandbox until interrupted; print its endpoint and write its key file."""
    import time as _time

    from .sandbox.faults import FaultOptions
    from .sandbox.server import SandboxOptions, main_serve, parse_user_login, write_user_logins

    try:
        logins = [parse_user_login(spec) for spec in user_logins]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--user-login") from None

    try:
        fault_options = FaultOptions.parse(faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    if write_config is not None:
        init_module.refuse_existing(write_config)
    emails = list(users)
    if seed_roster:
        header, rows = read_table(seed_roster)
        emails += roster_module.roster_emails(header, rows)
    options = SandboxOptions(
        quotas=quotas,
        time_scale=time_scale,
        latency_ms=latency_ms,
        faults=fault_options,
        state_dir=state_dir,
    )
    port = port or rehearsal.free_port()
    key_file = key_file or rehearsal.default_key_file(port, DEFAULT_SANDBOX_PORT)
    try:
        sandbox = main_serve(options, port, key_file, emails)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise InvalidInput(
            f"port {port} is in use (another `careerdocs sandbox serve`?)",
            [Problem("--port", "stop the other one, or use --port 0 to pick a free port")],
        ) from None
    write_user_logins(sandbox, logins)
    click.echo(f"Sandbox serving at {sandbox.endpoint}")
    click.echo(f"Service-account key: {key_file} (token_uri {sandbox.token_uri})")
    for email, path in logins:
        click.echo(f"User login for {email}: {path}")
    click.echo(
        f"Users: {len(sandbox.store.users)}. Counters: {sandbox.endpoint}"
        "/_sandbox/counters. Ctrl-C to stop."
    )
    if write_config is not None:
        text = rehearsal.sandbox_config(
            sandbox.endpoint, key_file, write_config, seed_roster, emails
        )
        written = init_module.write_file(write_config, text)
        click.echo(f"Config for this sandbox: {written}. In another terminal:")
        click.echo(f"  careerdocs --config {written} provision")
    elif port != DEFAULT_SANDBOX_PORT:
        click.echo(
            f'Point a config at it: under [google], endpoint = "{sandbox.endpoint}" '
            "(or use --write-config FILE)"
        )
    # `kill` (SIGTERM) stops it as Ctrl-C does, so a sandbox started in the background still
    # saves its --state-dir on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            _time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        sandbox.stop()


@sandbox_group.group(name="act")
@click.option("--as", "person", required=True, metavar="EMAIL", help="The person to act as.")
@common_options
@click.pass_context
def sandbox_act(ctx: click.Context, person: str) -> None:
    """Act as a team member in the sandbox (their own credentials: their sheet's protection
    applies), e.g. log a career conversation and tick Acknowledged."""
    ctx.ensure_object(dict)["person"] = person.strip().lower()


@sandbox_act.command(name="log")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option("--with", "with_whom", required=True, metavar="WHO", help="Who they talked with.")
@click.option(
    "--type",
    "kind",
    default="career",
    show_default=True,
    help="career, skip-level, manager 1:1, ...",
)
@click.option("--notes", default="", help="Notes for the row.")
@click.option("--ack", is_flag=True, help="Tick Acknowledged (only the person may).")
@click.option("--escalation", is_flag=True, help="Tick Escalation.")
@click.option(
    "--sheet-of",
    metavar="EMAIL",
    help="Write in this person's growth sheet instead of one's own: rehearse a manager "
    "trying to acknowledge for a report (refused, as on Google).",
)
@fy_option
@common_options
@click.pass_context
def sandbox_act_log(
    ctx: click.Context,
    day: datetime,
    with_whom: str,
    kind: str,
    notes: str,
    ack: bool,
    escalation: bool,
    sheet_of: str | None,
    fy_label: str | None,
) -> None:
    """Add a row to the person's Conversations tab, as them."""
    person = ctx.obj["person"]
    settings = _settings(ctx, None)
    rehearsal.require_sandbox(settings)
    workspace = _open(settings)
    talk = rehearsal.Conversation(day.date(), with_whom, kind, notes, ack, escalation)
    fy = _fiscal_year(settings, _today(ctx), fy_label)
    owner = sheet_of.strip().lower() if sheet_of else None
    where = rehearsal.log_conversation(settings, workspace, person, fy, talk, sheet_of=owner)
    click.echo(f"{person} logged a {kind} conversation on {talk.day.isoformat()} ({where}).")


@sandbox_group.command(name="export")
@click.option("--person", required=True, metavar="EMAIL", help="Whose documents to download.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the .docx and .xlsx files to.",
)
@fy_option
@common_options
@click.pass_context
def sandbox_export(ctx: click.Context, person: str, out: Path, fy_label: str | None) -> None:
    """Download a person's documents from the sandbox (Drive export) to look at them."""
    settings = _settings(ctx, None)
    rehearsal.require_sandbox(settings)
    workspace = _open(settings)
    fy = _fiscal_year(settings, _today(ctx), fy_label)
    for path in rehearsal.export(settings, workspace, person.strip().lower(), fy, out):
        click.echo(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="careerdocs")
