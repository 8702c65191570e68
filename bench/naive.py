"""The naive baseline: what a typical admin script does to provision people, for comparison.

One thread, acting as one admin (a service account impersonating the admin, as such scripts do),
straight google-api-python-client calls, nothing careerdocs does. Per person:

1. ``files.copy`` of each of the three templates (IGP, tracker, growth sheet) into the admin's
   Drive;
2. fill: one Docs ``documents.batchUpdate`` of ``replaceAllText`` per document, one Sheets
   ``spreadsheets.values.batchUpdate`` writing the placeholder cells of the sheet;
3. share each file with the person (``permissions.create``, no notification);
4. one email with the three links (``users.messages.send``, from the admin).

On a rate-limit answer (429, or Drive/Gmail's 403 ``userRateLimitExceeded`` /
``rateLimitExceeded``) it sleeps :data:`RETRY_SLEEP_SECONDS` and tries again: no pacing, no
backoff. A short fixed sleep is the *kind* choice for the script: it keeps it close behind the
quota's refill, where exponential backoff (Google's advice) would wait longer.

The placeholders are read once from the templates at the start (a script author would hard-code
them), so the per-person work is the ten calls above. The sandbox's ``time_scale`` compresses a
quota minute; the retry sleep is compressed by the same factor (it is modelled time).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

RETRY_SLEEP_SECONDS = 1.0  # modelled seconds between a refused call and its retry
MAX_TRIES = 1_000  # a safety net: a script stuck for good stops with the error
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
SCOPES = (
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/gmail.send",
)
PLACEHOLDER = re.compile(r"\{%-?\s*if\b.*?\{%-?\s*endif\s*-?%\}|\{\{.*?\}\}", re.DOTALL)
DOC_KINDS = ("igp", "tracker")
SHEET_KIND = "growth_sheet"
FILE_TITLES = {"igp": "Individual Growth Plan", "tracker": "Tracker", "growth_sheet": "Growth"}


@dataclass(frozen=True)
class NaivePerson:
    email: str
    name: str
    manager: str
    title: str
    department: str


@dataclass
class NaiveResult:
    people: int
    seconds: float
    retries: int  # rate-limited answers the script slept on


class NaiveScript:
    """The script's state: its four API clients and what it read from the templates."""

    def __init__(
        self,
        endpoint: str,
        key: Mapping[str, Any],
        admin: str,
        templates: Mapping[str, str],
        *,
        time_scale: float = 1.0,
    ) -> None:
        credentials = service_account.Credentials.from_service_account_info(
            dict(key), scopes=list(SCOPES), subject=admin
        )
        root = endpoint.rstrip("/") + "/"

        def service(api: str, version: str, path: str = "") -> Any:
            # client_options' api_endpoint is the documented way to point the client at another
            # server; Drive's base path includes its service path.
            return build(
                api,
                version,
                credentials=credentials,
                client_options={"api_endpoint": root + path},
                cache_discovery=False,
            )

        # Each resource is built once: google-api-python-client builds one anew (docstrings of
        # the whole schema included, ~100 ms of CPU for Docs and Sheets) on every
        # ``service.documents()``, which would make this baseline CPU-bound on the bench machine.
        drive = service("drive", "v3", "drive/v3/")
        self.files = drive.files()
        self.permissions = drive.permissions()
        self.documents = service("docs", "v1").documents()
        self.spreadsheets = service("sheets", "v4").spreadsheets()
        self.values = self.spreadsheets.values()
        self.messages = service("gmail", "v1").users().messages()
        self.admin = admin
        self.templates = dict(templates)
        self.time_scale = time_scale
        self.retries = 0
        self.doc_tokens = {kind: self._doc_tokens(templates[kind]) for kind in DOC_KINDS}
        self.sheet_cells = self._sheet_cells(templates[SHEET_KIND])

    # -- one call, retried on a rate limit -------------------------------------------------

    def call(self, request: Any) -> Any:
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return request.execute()
            except HttpError as exc:
                if not _rate_limited(exc) or attempt == MAX_TRIES:
                    raise
                self.retries += 1
                time.sleep(RETRY_SLEEP_SECONDS / self.time_scale)
        raise AssertionError("unreachable")

    # -- read once --------------------------------------------------------------------------

    def _doc_tokens(self, document_id: str) -> list[str]:
        document = self.call(self.documents.get(documentId=document_id))
        return sorted(set(PLACEHOLDER.findall(_document_text(document))))

    def _sheet_cells(self, spreadsheet_id: str) -> list[tuple[str, str]]:
        """(A1 cell, its template text) for every cell holding a placeholder."""
        sheet = self.call(self.spreadsheets.get(spreadsheetId=spreadsheet_id))
        cells = []
        for tab in sheet["sheets"]:
            title = tab["properties"]["title"]
            answer = self.call(self.values.get(spreadsheetId=spreadsheet_id, range=title))
            for r, row in enumerate(answer.get("values", []), start=1):
                for c, text in enumerate(row, start=1):
                    if isinstance(text, str) and PLACEHOLDER.search(text):
                        cells.append((f"'{title}'!{_column(c)}{r}", text))
        return cells

    # -- one person -------------------------------------------------------------------------

    def provision(self, person: NaivePerson) -> None:
        values = _values(person)
        links = {}
        for kind, template in self.templates.items():
            copy = self.call(
                self.files.copy(
                    fileId=template,
                    body={"name": f"{FILE_TITLES[kind]} - {person.name}"},
                    fields="id,webViewLink",
                )
            )
            links[kind] = copy.get("webViewLink", copy["id"])
            if kind == SHEET_KIND:
                self._fill_sheet(copy["id"], values)
            else:
                self._fill_doc(copy["id"], self.doc_tokens[kind], values)
            self.call(
                self.permissions.create(
                    fileId=copy["id"],
                    body={"type": "user", "role": "writer", "emailAddress": person.email},
                    sendNotificationEmail=False,
                )
            )
        self._email(person, links)

    def _fill_doc(self, document_id: str, tokens: Sequence[str], values: Mapping[str, str]) -> None:
        requests = [
            {
                "replaceAllText": {
                    "containsText": {"text": token, "matchCase": True},
                    "replaceText": _render(token, values),
                }
            }
            for token in tokens
        ]
        if requests:
            self.call(
                self.documents.batchUpdate(documentId=document_id, body={"requests": requests})
            )

    def _fill_sheet(self, spreadsheet_id: str, values: Mapping[str, str]) -> None:
        data = [
            {"range": a1, "values": [[PLACEHOLDER.sub(lambda m: _render(m[0], values), text)]]}
            for a1, text in self.sheet_cells
        ]
        if data:
            self.call(
                self.values.batchUpdate(
                    spreadsheetId=spreadsheet_id, body={"valueInputOption": "RAW", "data": data}
                )
            )

    def _email(self, person: NaivePerson, links: Mapping[str, str]) -> None:
        message = EmailMessage()
        message["To"] = person.email
        message["From"] = self.admin
        message["Subject"] = "Your growth documents"
        message.set_content(
            f"Hello {person.name},\n\n"
            + "".join(f"{FILE_TITLES[k]}: {url}\n" for k, url in links.items())
        )
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        self.call(self.messages.send(userId="me", body={"raw": raw}))


def run_naive(
    endpoint: str,
    key: Mapping[str, Any],
    admin: str,
    templates: Mapping[str, str],
    people: Sequence[NaivePerson],
    *,
    time_scale: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> NaiveResult:
    """Provision ``people`` one after the other, as the script does; timed from the script's
    start (building its clients and reading the templates included)."""
    started = time.perf_counter()
    script = NaiveScript(endpoint, key, admin, templates, time_scale=time_scale)
    for done, person in enumerate(people, start=1):
        script.provision(person)
        if progress is not None:
            progress(done)
    return NaiveResult(len(people), time.perf_counter() - started, script.retries)


# -- helpers -------------------------------------------------------------------------------------


def _rate_limited(exc: HttpError) -> bool:
    if exc.resp.status == 429:
        return True
    if exc.resp.status != 403:
        return False
    try:
        errors = json.loads(exc.content)["error"].get("errors", [])
    except (ValueError, KeyError, TypeError):
        return False
    return any(e.get("reason") in RATE_LIMIT_REASONS for e in errors)


def _document_text(document: Mapping[str, Any]) -> str:
    parts = []
    for element in document.get("body", {}).get("content", []):
        for run in element.get("paragraph", {}).get("elements", []):
            parts.append(run.get("textRun", {}).get("content", ""))
        for row in element.get("table", {}).get("tableRows", []):
            for cell in row.get("tableCells", []):
                parts.append(_document_text({"body": {"content": cell.get("content", [])}}))
    return "".join(parts)


def _values(person: NaivePerson) -> dict[str, str]:
    return {
        "name": person.name,
        "display": person.name,
        "first_name": person.name.split()[0],
        "email": person.email,
        "title": person.title,
        "department": person.department,
        "manager": person.manager,
    }


def _render(token: str, values: Mapping[str, str]) -> str:
    """What a script's dictionary of replacements gives: the value of the token's last dotted
    name (``{{ person.name }}`` -> the name), else nothing (conditionals included)."""
    inner = token.strip("{} ").split(".")[-1].strip()
    return values.get(inner, "")


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
