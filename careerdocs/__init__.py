"""careerdocs: career development paperwork for Google Workspace (or a folder on disk)."""

__version__ = "0.1.0"
