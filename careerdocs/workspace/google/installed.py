"""The shipped templates, installed once into the admin's Drive as Google Docs and Sheets, so
each person's documents are copies (``files.copy``) rather than uploads rendered per person.

Why: with a growth sheet costing one Sheets write either way, copy and upload meet the same
quota floor, and copy needs a fraction of careerdocs' CPU (each upload renders three Office
files; bench/provision.py measures both). An installed template is found again by its markers:
``careerdocs_installed`` (the shipped file's name) and ``careerdocs_template_hash`` (a hash of
its bytes), so a run finds the copy a previous run installed with one Drive search, and a
changed shipped template (a careerdocs upgrade) installs a new version beside the old one.

Installing one is an upload with conversion as the admin (into their My Drive, or the shared
drive) and, when careerdocs acts as each person (domain-wide delegation in My Drive), one domain
reader permission, not discoverable, so that each person can copy it. Those are two requests: a
run killed between them, or a run that finds another run's upload before that run has shared it
(two machines at once), would hand every person a template they cannot see (``files.copy``
answers 404). So the one a run picks is shared by that run whenever its listing shows no domain
permission. Two runs may then both share it: a permission's id is its principal's, and the
reference warns only that concurrent permission changes keep the last one ("only the last
update is applied", Drive v3 permissions.create), which here is the same grant either way.
(The Conversations layout the .xlsx sets is set again on each copy, in its one Sheets call, as
on an upload.) Nothing is shared with "anyone with the link".
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from typing import Any

from ...errors import TemplateError
from ..base import TemplateRef
from .context import GoogleContext
from .drive import Drive

MARKER_INSTALLED = "careerdocs_installed"
MARKER_HASH = "careerdocs_template_hash"
HASH_CHARS = 32


def not_installed() -> dict[str, None]:
    """appProperties for a copy's body that clear the installed template's markers (a copy may
    inherit its source's properties: the Drive reference does not say, the sandbox's does), so
    no person's copy is ever taken for a template."""
    return {MARKER_INSTALLED: None, MARKER_HASH: None}


def content_hash(data: bytes) -> str:
    """The shipped template's version: a hash of its bytes (changes iff the file does)."""
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


class Installer:
    """Finds or installs the Google copy of each shipped template, once per run."""

    def __init__(self, ctx: GoogleContext, drive: Drive) -> None:
        self.ctx = ctx
        self.drive = drive
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def as_copy(self, template: TemplateRef) -> TemplateRef:
        """``template`` (a shipped file) as the installed Google template to copy."""
        assert template.path is not None
        with self._lock:
            file_id = self._ids.get(template.source)
            if file_id is None:
                file_id = self._ids[template.source] = self._find_or_install(template)
        return replace(template, google_id=file_id)

    def _find_or_install(self, template: TemplateRef) -> str:
        assert template.path is not None
        try:
            data = template.path.read_bytes()
        except OSError as exc:
            raise TemplateError(f"cannot read template {template.path}: {exc}") from None
        marks = {MARKER_INSTALLED: template.path.name, MARKER_HASH: content_hash(data)}
        admin = self.ctx.options.admin
        query = " and ".join(_has(k, v) for k, v in marks.items())
        if not self.ctx.shared_drive:  # the admin's own, never a copy shared with them
            query += f" and '{admin}' in owners"
        found = self.drive.list_all(admin, query)
        if not found:
            return self._install(template, data, marks)
        # two runs may both have installed it: the earliest is everyone's
        chosen = min(found, key=lambda f: (f.get("createdTime", ""), f["id"]))
        if self._needs_domain_share() and not _shared_with_domain(chosen):
            self._share_with_domain(chosen["id"])
        return str(chosen["id"])

    def _install(self, template: TemplateRef, data: bytes, marks: dict[str, str]) -> str:
        assert template.path is not None
        admin = self.ctx.options.admin
        body: dict[str, Any] = {
            "name": f"careerdocs template: {template.path.name}",
            "appProperties": marks,
        }
        if self.ctx.shared_drive:
            body["parents"] = [self.ctx.options.shared_drive_id]
        made = self.drive.upload(admin, template.kind, body, data, recover=lambda: None)
        if self._needs_domain_share():
            self._share_with_domain(made["id"])
        return str(made["id"])

    def _needs_domain_share(self) -> bool:
        """Each person copies the template as themselves (domain-wide delegation in My Drive);
        in a shared drive its members see it, and a user login copies as the admin."""
        return not self.ctx.shared_drive and self.ctx.clients.credentials.can_impersonate

    def _share_with_domain(self, file_id: str) -> None:
        """Readable by the admin's domain (each person copies it as themselves), not listed
        in their Drive searches: ``allowFileDiscovery`` false."""
        domain = self.ctx.options.admin.rpartition("@")[2]
        self.ctx.run(
            self.ctx.clients.resource("drive", "permissions").create(
                fileId=file_id,
                body={
                    "type": "domain",
                    "domain": domain,
                    "role": "reader",
                    "allowFileDiscovery": False,
                },
                fields="id",
            ),
            api="drive",
            kind="write",
            user=self.ctx.options.admin,
        )


def _shared_with_domain(f: dict[str, Any]) -> bool:
    return any(p.get("type") == "domain" for p in f.get("permissions") or [])


def _has(key: str, value: str) -> str:
    """A Drive query term for one appProperty (quotes and backslashes escaped, as Drive's
    query language requires)."""
    literal = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"appProperties has {{ key='{key}' and value='{literal}' }}"
