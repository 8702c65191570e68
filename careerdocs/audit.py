"""The append-only audit log: one JSON line per write or share, so a PBP can answer "who was given
access to what, when, by which run". Never carries credentials or document contents."""

from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import WorkspaceError


class AuditLog:
    def __init__(self, path: Path | None, command: str) -> None:
        self.path = path
        self.command = command
        self.run_id = secrets.token_hex(6)
        self._lock = threading.Lock()

    def record(self, action: str, **fields: Any) -> None:
        """Append one event. ``fields`` must be JSON-serialisable and free of secrets."""
        if self.path is None:
            return
        event = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "run": self.run_id,
            "command": self.command,
            "action": action,
            **fields,
        }
        line = json.dumps(event, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line)
            except OSError as exc:
                raise WorkspaceError(f"cannot write the audit log {self.path}: {exc}") from None


NO_AUDIT = AuditLog(None, "")
