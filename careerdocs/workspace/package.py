"""Zip packages (.docx, .xlsx) assembled from parts compressed once.

A filled document differs from its template in two or three small XML parts (the body or the
shared strings, and the core properties that carry careerdocs' id); the rest (a Word template's
styles alone are 800 kB) is the same for every person. :class:`Package` holds each part of a
template compressed once, and :meth:`Package.build` writes a new zip file around them,
compressing only the parts that changed. The standard library's :mod:`zipfile` cannot write
bytes that are already compressed, so the few records of the zip format used here (local file
headers, central directory, end record: PKWARE APPNOTE 6.3.x §4.3) are written by hand; every
package written is plain ZIP (no ZIP64, no encryption), readable by :mod:`zipfile`, Word, Excel
and LibreOffice.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

# PKWARE APPNOTE 6.3.x, §4.3.7 (local file header), §4.3.12 (central directory file header),
# §4.3.16 (end of central directory record): the layouts zipfile itself uses.
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
END_RECORD = struct.Struct("<4s4H2LH")
LOCAL_SIGNATURE = b"PK\003\004"
CENTRAL_SIGNATURE = b"PK\001\002"
END_SIGNATURE = b"PK\005\006"
VERSION = 20  # 2.0: deflate
UTF8_NAME_FLAG = 0x800
DEFLATE_LEVEL = 6  # zlib's default, what zipfile uses
RAW_DEFLATE_WINDOW = -15  # a raw deflate stream, as zip stores it
ZIP_LIMIT = 0xFFFFFFFF  # beyond this a package would need ZIP64


@dataclass(frozen=True)
class Part:
    """One member of a package, compressed (deflate) or stored as its template had it."""

    name: str
    payload: bytes  # as written in the zip: deflated or stored
    crc: int
    size: int
    method: int
    date_time: tuple[int, int, int, int, int, int]

    @classmethod
    def of(
        cls,
        name: str,
        data: bytes,
        date_time: tuple[int, int, int, int, int, int],
        method: int = zipfile.ZIP_DEFLATED,
    ) -> Part:
        if method == zipfile.ZIP_DEFLATED:
            compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, RAW_DEFLATE_WINDOW)
            payload = compressor.compress(data) + compressor.flush()
        else:
            payload, method = data, zipfile.ZIP_STORED
        return cls(name, payload, zlib.crc32(data), len(data), method, date_time)


class Package:
    """The parts of a zip file, in order, each compressed once. Immutable once made."""

    def __init__(self, data: bytes) -> None:
        """Read every part of the zip ``data``; raises zipfile.BadZipFile for a damaged one."""
        parts: list[Part] = []
        with zipfile.ZipFile(BytesIO(data)) as source:
            for info in source.infolist():
                part = Part.of(info.filename, source.read(info), info.date_time, info.compress_type)
                if part.size > ZIP_LIMIT or len(part.payload) > ZIP_LIMIT:
                    raise zipfile.BadZipFile(f"{info.filename} is too large for a plain zip")
                parts.append(part)
        self.parts = tuple(parts)
        self._by_name = {part.name: part for part in parts}

    def names(self) -> tuple[str, ...]:
        return tuple(part.name for part in self.parts)

    def read(self, name: str) -> bytes:
        """The uncompressed bytes of part ``name``; KeyError if there is none."""
        part = self._by_name[name]
        if part.method == zipfile.ZIP_STORED:
            return part.payload
        return zlib.decompress(part.payload, RAW_DEFLATE_WINDOW)

    def build(self, replaced: Mapping[str, bytes]) -> bytes:
        """The package with the parts named in ``replaced`` given new contents (compressed
        now), every other part copied as it was compressed once. Order and dates are kept."""
        unknown = set(replaced) - set(self._by_name)
        if unknown:
            raise KeyError(f"no such part: {', '.join(sorted(unknown))}")
        parts = [
            Part.of(p.name, replaced[p.name], p.date_time) if p.name in replaced else p
            for p in self.parts
        ]
        return write_zip(parts)


def write_zip(parts: list[Part]) -> bytes:
    """A zip file holding ``parts`` in order."""
    out = BytesIO()
    central = []
    for part in parts:
        offset = out.tell()
        name = part.name.encode("utf-8")
        flags = 0 if part.name.isascii() else UTF8_NAME_FLAG
        # The fields the central directory repeats from the local header (APPNOTE §4.4):
        # flags, method, time, date, CRC, compressed size, size, name length.
        shared = (
            flags,
            part.method,
            *_dos_time(part.date_time),
            part.crc,
            len(part.payload),
            part.size,
            len(name),
        )
        out.write(LOCAL_HEADER.pack(LOCAL_SIGNATURE, VERSION, 0, *shared, 0))
        out.write(name)
        out.write(part.payload)
        central.append(
            CENTRAL_HEADER.pack(
                CENTRAL_SIGNATURE,
                VERSION,
                0,  # made by MS-DOS/FAT: no Unix permissions are implied
                VERSION,
                0,
                *shared,
                0,  # extra field length
                0,  # comment length
                0,  # disk number
                0,  # internal attributes
                0,  # external attributes
                offset,
            )
            + name
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    if start > ZIP_LIMIT or len(parts) > 0xFFFF:
        raise ValueError("the package is too large for a plain zip")
    out.write(END_RECORD.pack(END_SIGNATURE, 0, 0, len(parts), len(parts), size, start, 0))
    return out.getvalue()


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    """(time, date) in MS-DOS format, as zip stores them (years before 1980 become 1980)."""
    year, month, day, hour, minute, second = date_time
    year = max(year, 1980)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
