"""What every Google API module shares: the options, who acts for a person, and how one call runs.

Every call goes through the :class:`~.pacer.Pacer` (quotas, retries) and every failure comes out
as a :class:`careerdocs.errors.GoogleAPIError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .clients import Clients
from .errors import Failure
from .pacer import Pacer

READ_WORKERS = 8


@dataclass(frozen=True)
class GoogleOptions:
    admin: str
    reader: str = ""  # rollup's account (google.reader); "" means the admin
    destination: str = "my_drive"  # or "shared_drive"
    shared_drive_id: str = ""
    central_sheet_id: str = ""
    fill: str = "auto"  # auto | copy | upload
    # The shipped templates' paths (as str): with fill auto or copy they are installed once
    # into the admin's Drive and copied (see .installed).
    shipped: frozenset[str] = frozenset()
    read_workers: int = READ_WORKERS


class GoogleContext:
    """The clients, the pacer and the options, shared by the Drive, Docs, Sheets and Gmail parts."""

    def __init__(self, clients: Clients, pacer: Pacer, options: GoogleOptions) -> None:
        self.clients = clients
        self.pacer = pacer
        self.options = options

    @property
    def shared_drive(self) -> bool:
        return self.options.destination == "shared_drive"

    @property
    def reader(self) -> str:
        """The account rollup finds and reads growth sheets as: google.reader, else the admin."""
        return self.options.reader or self.options.admin

    @property
    def impersonates(self) -> bool:
        """Each person's documents are theirs, in their My Drive, acted on as them."""
        return not self.shared_drive and self.clients.credentials.can_impersonate

    def actor(self, person: str) -> str:
        """Who acts for ``person``: the person (domain-wide delegation) or the admin."""
        if self.shared_drive or not self.clients.credentials.can_impersonate:
            return self.options.admin
        return person

    def run(
        self,
        request: Any,
        *,
        api: str,
        kind: str,
        user: str,
        cost: float = 1.0,
        recover: Callable[[], Any] | None = None,
        final: Callable[[Failure], BaseException | None] | None = None,
    ) -> Any:
        """Execute one discovery ``request`` as ``user``, paced and retried (``recover`` and
        ``final``: see :meth:`.pacer.Pacer.call`)."""
        http = self.clients.http(user)
        return self.pacer.call(
            lambda: request.execute(http=http),
            api=api,
            kind=kind,
            user=user,
            cost=cost,
            recover=recover,
            final=final,
        )

    def drive_common(self) -> dict[str, Any]:
        """Parameters every Drive call needs in shared-drive mode."""
        return {"supportsAllDrives": True} if self.shared_drive else {}

    def ensure_token(self, user: str) -> None:
        """Fetch ``user``'s access token now, so a batch can carry it in each part."""
        creds = self.clients.http(user).credentials
        if not creds.valid:
            request = self.clients.token_request()
            self.pacer.call(lambda: creds.refresh(request), api="oauth", kind="read", user=user)
