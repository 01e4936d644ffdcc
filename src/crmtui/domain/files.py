"""Files attached to records (Pipedrive's /files): what a file is, as the screens show it.

Backend-neutral in shape: ids are text, sizes are bytes, times are UTC. A file belongs to at most
one record of each kind (a lead, a person, an organization, a deal); the leads' detail screen shows
the files of one lead.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from crmtui.domain.text import Line, Paragraph


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class FileItem(_Model):
    id: str
    name: Line = ""
    """The name shown (renamable); the uploaded file's name until renamed."""
    file_name: Line = ""
    """The name the file was uploaded with (what a download is saved as)."""
    description: Paragraph = ""
    file_type: Line = ""
    size: int = 0
    """Bytes."""
    user_id: str = ""
    lead_id: str | None = None
    person_id: str | None = None
    organization_id: str | None = None
    deal_id: str | None = None
    add_time: dt.datetime | None = None
    update_time: dt.datetime | None = None
    remote_location: Line = ""
    """Where the bytes are kept (`s3`, `googledrive`, ...): only some can be downloaded here."""
    active: bool = True
    lead_name: Line = ""
    """The linked records' names as the server tells them with the file (empty: not told)."""
    person_name: Line = ""
    organization_name: Line = ""
    deal_name: Line = ""

    @property
    def title(self) -> str:
        return self.name or self.file_name or f"file {self.id}"


class FilesPage(_Model):
    """One page of an offset-paged list of files, and where the next starts (None: the last)."""

    items: list[FileItem]
    next_start: int | None = None


_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(size: int) -> str:
    """`532 B`, `1.4 KB`, `12 MB`: a size as people read it (1 KB = 1024 bytes)."""
    value = float(max(0, size))
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1024
    return f"{size} B"  # not reached
