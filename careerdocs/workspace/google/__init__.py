"""The Google backend (Drive v3, Docs v1, Sheets v4, Gmail v1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict

from ...config import Settings
from ...errors import ConfigError, Problem
from .auth import CredentialFactory, load_key
from .backend import GoogleOptions, GoogleWorkspace
from .clients import Clients
from .pacer import Pacer, limits_from_quotas


def open_google(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> GoogleWorkspace:
    """The Google backend as ``settings`` describe it. ``clock`` and ``sleep`` are the pacer's
    (tests and benchmarks run it on a compressed clock to match a sandbox's ``time_scale``)."""
    g = settings.google
    if not g.admin:
        raise ConfigError(
            "the google backend needs an admin account",
            [
                Problem(
                    "google.admin",
                    "set the PBP/admin email careerdocs acts as "
                    "for the central sheet and notifications",
                )
            ],
        )
    credentials = CredentialFactory(load_key(g.credentials), source=str(g.credentials or "ADC"))
    credentials.require_delegation(g.destination)
    quotas = {**asdict(g.quotas), "gmail_sends_per_user_per_day": settings.notify.daily_limit}
    pacer = Pacer(
        limits_from_quotas(quotas),
        max_tries=g.max_tries,
        max_backoff=g.max_backoff_seconds,
        clock=clock,
        sleep=sleep,
    )
    options = GoogleOptions(
        admin=g.admin,
        reader=g.rollup_reader,
        destination=g.destination,
        shared_drive_id=g.shared_drive_id,
        central_sheet_id=g.central_sheet_id,
        fill=g.fill,
        shipped=frozenset(
            str(source.path)
            for source in (
                settings.templates.igp,
                settings.templates.tracker,
                settings.templates.growth_sheet,
            )
            if source.builtin and source.path is not None
        ),
    )
    return GoogleWorkspace(Clients(credentials, g.endpoint or None), pacer, options)


__all__ = ["GoogleWorkspace", "open_google"]
