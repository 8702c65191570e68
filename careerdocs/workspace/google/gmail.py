"""Gmail v1: emails sent as their sender.

Each message is sent by the account in its ``From`` (``Email.sender``): under domain-wide
delegation the service account impersonates that account with the gmail.send scope, and Gmail
sends as the impersonated user (google-api-facts.md §8, "Under DWD the subject is the sender").
So each sender's own per-user quota is used: 15,000 units a minute (150 sends) and 2,000
messages a day. Credentials that cannot impersonate always send as themselves; the sender
pool (:mod:`careerdocs.senders`) then only ever picks the admin.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import datetime, timezone
from email.message import EmailMessage

from ...errors import DailyLimitReached
from ...senders import SEND_UNITS
from ..base import Email
from .context import GoogleContext
from .errors import Failure

# Gmail charges users.messages.send 100 quota units.
SEND_COST = SEND_UNITS
# Gmail's answer past the sending limit: 429 "User-rate limit exceeded.  Retry after <RFC 3339>
# (Mail sending)" (google-api-facts.md, "Exceeding the sending limit").
RETRY_AFTER = re.compile(r"Retry after (\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2}))")
TOO_MANY_REQUESTS = 429


def _raw(email: Email) -> str:
    """The RFC 2822 message Gmail's ``raw`` field takes, base64url-encoded: plain text, or
    multipart/alternative (text, then HTML) when the email has an HTML part."""
    msg = EmailMessage()
    msg["From"] = email.sender
    msg["To"] = email.to
    if email.cc:
        msg["Cc"] = ", ".join(email.cc)
    msg["Subject"] = email.subject
    msg.set_content(email.body)
    if email.html:  # multipart/alternative: the plain text, then the same message in HTML
        msg.add_alternative(email.html, subtype="html")
    return base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")


def sending_limit(
    failure: Failure, sender: str, now: datetime, patience: float
) -> DailyLimitReached | None:
    """:class:`DailyLimitReached` when ``failure`` is Gmail refusing ``sender`` until a time
    more than ``patience`` seconds after ``now`` (the daily sending limit: retrying within the
    run cannot help); None for anything else, which the pacer retries as usual."""
    if failure.status != TOO_MANY_REQUESTS:
        return None
    match = RETRY_AFTER.search(failure.message)
    if match is None:
        return None
    try:
        until = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    if until.tzinfo is None or (until - now).total_seconds() <= patience:
        return None
    return DailyLimitReached(until, f"not emailed: Gmail refuses more mail from {sender} for now")


class Gmail:
    def __init__(self, ctx: GoogleContext, now: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.now = now or (lambda: datetime.now(timezone.utc))

    def send(self, email: Email) -> None:
        """Send ``email`` as ``email.sender`` (impersonated), paced by that sender's own
        per-minute and daily budgets. Raises :class:`DailyLimitReached` when Gmail refuses
        the sender until later than a retry could wait."""
        patience = self.ctx.pacer.max_backoff
        self.ctx.run(
            self.ctx.clients.resource("gmail", "users.messages").send(
                userId="me", body={"raw": _raw(email)}
            ),
            api="gmail",
            kind="write",
            user=email.sender,
            cost=SEND_COST,
            final=lambda failure: sending_limit(failure, email.sender, self.now(), patience),
        )
