"""The ``careerdocs`` command line: parse, call the library, print. No policy lives here.

Errors from the library are turned into a message and an exit code in exactly one place,
:meth:`CareerdocsGroup.invoke`: 0 success, 1 failure, 2 invalid input (nothing was written),
3 partial (some people failed; a re-run finishes the job).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from . import __version__, provision, rollup
from . import roster as roster_module
from .audit import AuditLog
from .cadence import FiscalYear, Status, fiscal_year, fiscal_year_from_label
from .config import Settings, load_settings
from .errors import CareerdocsError, ExitCode, LockBusy, PartialFailure
from .lock import exclusive
from .roster import Roster, read_csv
from .workspace import open_workspace
from .workspace.base import STATUS_TAB, Workspace

log = logging.getLogger("careerdocs")


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
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD): rehearse a date's statuses.",
)
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, today: datetime | None, verbose: int) -> None:
    """Career development paperwork on Google Workspace, or in a local folder.

    \b
    provision  give each person their growth plan, tracker and growth sheet
    rollup     gather acknowledgements into the central sheet (for cron)
    status     who is due, overdue, acknowledged
    plan       what provision would do, without doing it
    doctor     check config, roster, templates and credentials
    sandbox    a fake Google Workspace to rehearse the Google path

    Exit codes: 0 ok, 1 failure, 2 invalid input (nothing written), 3 partly done.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(message)s")
    ctx.obj = {"config_path": config_path, "today": today.date() if today else None}


def _today(ctx: click.Context) -> date:
    return ctx.obj.get("today") or date.today()


def _settings(ctx: click.Context, roster: str | None) -> Settings:
    return load_settings(ctx.obj.get("config_path"), roster_override=roster)


def load_roster(settings: Settings, workspace: Workspace) -> Roster:
    return roster_module.load_roster(
        settings.require_roster(), allowed_domains=settings.allowed_domains, workspace=workspace
    )


def _fiscal_year(settings: Settings, today: date, label: str | None) -> FiscalYear:
    if label is None:
        return fiscal_year(today, settings.fiscal_year_start_month)
    try:
        return fiscal_year_from_label(label, settings.fiscal_year_start_month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fy") from None


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _progress(label: str, total: int, enabled: bool) -> Any:
    """A progress bar on a terminal; silent when piped, under cron or with --json."""
    if not enabled or not sys.stderr.isatty():
        return None
    return click.progressbar(length=total, label=label, file=sys.stderr)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.find_root().obj["config_path"] = value


config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    expose_value=False,
    callback=_set_config,
    help="Config file (TOML); same as the top-level --config.",
)
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
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of tables."
)


# -- provision / plan -------------------------------------------------------------------------


def _prepare(
    ctx: click.Context, roster_src: str | None, only: Sequence[str], notify: bool
) -> tuple[Settings, Workspace, Roster, provision.Plan]:
    settings = _settings(ctx, roster_src)
    workspace = open_workspace(settings)
    roster = load_roster(settings, workspace)
    selected = roster.only(only) if only else roster
    the_plan = provision.prepare(settings, workspace, selected, today=_today(ctx), notify=notify)
    return settings, workspace, roster, the_plan


@cli.command(name="provision")
@config_option
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
    creates only what is missing, fills in their details, shares their folder with their
    manager (and skip-level / PBP per config), and emails them the links. Re-running finishes
    whatever a failed run left and creates nothing twice.
    """
    settings, workspace, full_roster, the_plan = _prepare(ctx, roster, only, notify)
    if dry_run:
        _print_plan(the_plan, workspace, as_json)
        return
    audit = AuditLog(settings.audit_log, "provision")
    bar = _progress("Provisioning", len(the_plan.people), not as_json)

    def tick(_result: provision.PersonResult) -> None:
        if bar is not None:
            bar.update(1)

    try:
        result = provision.apply(
            the_plan,
            workspace,
            settings,
            full_roster,
            today=_today(ctx),
            audit=audit,
            workers=workers,
            progress=tick,
        )
    finally:
        if bar is not None:
            bar.render_finish()
    if as_json:
        _emit_json(result.to_json())
    else:
        _print_provision(result, workspace)
    if result.failures:
        raise PartialFailure(result.failures)


@cli.command(name="plan")
@config_option
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
        f"{counts['people']} people: {counts['up_to_date']} up to date; would create "
        f"{counts['folders']} folders and {counts['files']} documents, share "
        f"{counts['shares']} folders, send {counts['emails']} emails."
    )


def _print_provision(result: provision.Result, workspace: Workspace) -> None:
    c = result.counts()
    rows = [
        (
            p.email,
            "FAILED"
            if p.error
            else ("created " + ", ".join(p.created) if p.created else "up to date"),
            p.error or ", ".join(p.shared),
        )
        for p in result.people
    ]
    _print_table(("Person", "Result", "Shared / error"), rows)
    click.echo(
        f"\n{result.fy.label}: {c['people']} people, {c['created']} created, "
        f"{c['shared']} shares, {c['notified']} emails, {c['failed']} failed."
    )
    click.echo(f"Documents are in {workspace.describe()}.")
    if result.central:
        click.echo(f"People and links: {result.central}")


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
@config_option
@roster_option
@click.option("--full", is_flag=True, help="Read every growth sheet, not only changed ones.")
@fy_option
@json_option
@click.pass_context
def rollup_command(
    ctx: click.Context, roster: str | None, full: bool, fy_label: str | None, as_json: bool
) -> None:
    """Gather career-conversation acknowledgements into the central sheet.

    Safe under cron: a lock keeps two runs from overlapping (the second exits 0 with a message
    on stderr), nothing prompts, logs go to stderr and --json to stdout. Reads only the growth
    sheets changed since the last successful run unless --full. Exit 3 when some sheets could
    not be read (everything else is still written).
    """
    settings = _settings(ctx, roster)
    today = _today(ctx)
    with exclusive(settings.rollup.lock_file, "rollup"):
        workspace = open_workspace(settings)
        the_roster = load_roster(settings, workspace)
        result = rollup.run(
            workspace,
            the_roster,
            fy=_fiscal_year(settings, today, fy_label),
            today=today,
            now=datetime.now(timezone.utc),
            state_path=settings.rollup.state_file,
            deadline=settings.rollup.deadline,
            full=full,
            audit=AuditLog(settings.audit_log, "rollup"),
        )
    if as_json:
        _emit_json(result.to_json())
    else:
        c = result.counts()
        click.echo(
            f"{result.fy.label}: {c['headcount']} people — {c['acknowledged']} "
            f"acknowledged, {c['on cadence']} on cadence, {c['due']} due, "
            f"{c['overdue']} overdue, {c['not yet due']} not yet due, "
            f"{c['not provisioned']} not provisioned ({c['pct_acknowledged']}% "
            f"acknowledged)."
        )
        click.echo(
            f"Read {c['sheets_read']} sheets, {c['sheets_cached']} unchanged. "
            f"Central: {result.central}"
        )
        for problem in result.problems:
            click.echo(f"data problem: {problem}", err=True)
    if result.failures:
        raise PartialFailure(result.failures)


STATUS_FIELDS = (
    "Name",
    "Email",
    "Manager",
    "Department",
    "Last conversation",
    "Career conversations",
    "Status",
)


@cli.command(name="status")
@config_option
@roster_option
@click.option("--department", help="Only this department.")
@click.option("--manager", metavar="EMAIL", help="Only people reporting to this manager.")
@click.option("--overdue", is_flag=True, help="Only people who are overdue.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Compute statuses now from the growth sheets instead of reading the central "
    "sheet (writes nothing).",
)
@fy_option
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV.")
@click.pass_context
def status_command(
    ctx: click.Context,
    roster: str | None,
    department: str | None,
    manager: str | None,
    overdue: bool,
    refresh: bool,
    fy_label: str | None,
    fmt: str | None,
) -> None:
    """Who is due, overdue, acknowledged or on cadence, from the central sheet."""
    if fy_label and not refresh:
        raise click.UsageError("--fy needs --refresh: the central sheet holds the current year")
    settings = _settings(ctx, roster)
    workspace = open_workspace(settings)
    if refresh:
        the_roster = load_roster(settings, workspace)
        today = _today(ctx)
        got = rollup.gather(
            workspace,
            the_roster,
            fy=_fiscal_year(settings, today, fy_label),
            today=today,
            state_path=settings.rollup.state_file,
            deadline=settings.rollup.deadline,
        )
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        header = list(rollup.STATUS_HEADER)
        names = {p.email: p.name for p in the_roster}
        rows = [rollup.status_row(o, now, names) for o in got.outcomes]
    else:
        table = workspace.read_central(STATUS_TAB)
        if table is None:
            raise CareerdocsError(
                "no Status tab yet: run `careerdocs rollup` first, or use --refresh"
            )
        header, rows = table
    records = [
        dict(
            zip(
                header,
                [rollup.plain(c) for c in row] + [""] * (len(header) - len(row)),
                strict=False,
            )
        )
        for row in rows
    ]
    manager_column = rollup.MANAGER_EMAIL if rollup.MANAGER_EMAIL in header else "Manager"
    records = [
        r
        for r in records
        if (not department or str(r.get("Department", "")) == department)
        and (not manager or str(r.get(manager_column, "")).lower() == manager.lower())
        and (not overdue or r.get("Status") == Status.OVERDUE.value)
    ]
    if fmt == "json":
        _emit_json(records)
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(header), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
        click.echo(out.getvalue(), nl=False)
    else:
        _print_table(STATUS_FIELDS, [[r.get(f, "") for f in STATUS_FIELDS] for r in records])


# -- doctor -----------------------------------------------------------------------------------


@cli.command(name="doctor")
@config_option
@roster_option
@click.pass_context
def doctor_command(ctx: click.Context, roster: str | None) -> None:
    """Check the config, roster, templates and storage access; say what is wrong."""
    from .doctor import run_checks

    failed = 0
    for check in run_checks(ctx.obj.get("config_path"), roster, _today(ctx)):
        mark = "ok " if check.ok else "FAIL"
        click.echo(f"[{mark}] {check.name}: {check.detail}")
        failed += not check.ok
    if failed:
        ctx.exit(ExitCode.FAILURE)


# -- sandbox ----------------------------------------------------------------------------------


@cli.group(name="sandbox")
def sandbox_group() -> None:
    """A fake Google Workspace on 127.0.0.1, to rehearse the Google path safely."""


@sandbox_group.command(name="serve")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the sandbox's files here so it survives restarts (default: memory).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".sandbox/service-account.json"),
    show_default=True,
    help="Where to write the service-account key the sandbox accepts.",
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
    help="Create the users of this roster CSV (and their managers and PBPs).",
)
@click.option("--user", "users", multiple=True, metavar="EMAIL", help="Create this user.")
@click.option(
    "--user-login",
    "user_logins",
    multiple=True,
    metavar="EMAIL:FILE",
    help="Write an OAuth user login for EMAIL (an authorized_user file) to FILE.",
)
def sandbox_serve(
    port: int,
    state_dir: Path | None,
    key_file: Path,
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
    emails = list(users)
    if seed_roster:
        header, rows = read_csv(seed_roster)
        emails += roster_module.roster_emails(header, rows)
    options = SandboxOptions(
        quotas=quotas,
        time_scale=time_scale,
        latency_ms=latency_ms,
        faults=fault_options,
        state_dir=state_dir,
    )
    sandbox = main_serve(options, port, key_file, emails)
    write_user_logins(sandbox, logins)
    click.echo(f"Sandbox serving at {sandbox.endpoint}")
    click.echo(f"Service-account key: {key_file} (token_uri {sandbox.token_uri})")
    for email, path in logins:
        click.echo(f"User login for {email}: {path}")
    click.echo(
        f"Users: {len(sandbox.store.users)}. Counters: {sandbox.endpoint}"
        "/_sandbox/counters. Ctrl-C to stop."
    )
    try:
        while True:
            _time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        sandbox.stop()


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="careerdocs")
