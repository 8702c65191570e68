"""Gmail v1: the notification emails, sent as the configured sender."""

from __future__ import annotations

import base64
from email.message import EmailMessage

from ..base import Email
from .context import GoogleContext

# Gmail charges users.messages.send 100 quota units.
SEND_COST = 100


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
    if email.html:
        msg.add_alternative(email.html, subtype="html")
    return base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")


class Gmail:
    def __init__(self, ctx: GoogleContext) -> None:
        self.ctx = ctx

    def send(self, email: Email) -> None:
        self.ctx.run(
            self.ctx.clients.resource("gmail", "users.messages").send(
                userId="me", body={"raw": _raw(email)}
            ),
            api="gmail",
            kind="write",
            user=email.sender,
            cost=SEND_COST,
        )
