"""File names and ZIP archives of certificates (for a coordinator's "download all")."""
from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import BinaryIO, Iterable, Iterator

from .record import CertificateData

# Latin letters that NFKD does not take apart into a base letter plus marks.
_NO_DECOMPOSITION = str.maketrans({"ı": "i", "ß": "ss", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l",
                                   "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th"})


def certificate_filename(data: CertificateData, extension: str = "pdf") -> str:
    """An ASCII file name that every operating system and mail client accepts, unique per code:
    ``zertifikat-finanzierung-ayse-yilmaz-muller-7K3M.pdf`` (non-Latin names keep only the code)."""
    return archive_name(data.learner_name, data.module.id, data.verification_code, extension)


def archive_name(learner_name: str, module_id: str, code: str, extension: str = "pdf") -> str:
    """``certificate_filename`` from the stored fields alone (a ZIP of stored certificates builds no record)."""
    name = learner_name.translate(_NO_DECOMPOSITION)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    parts = ["zertifikat", module_id] + ([slug] if slug else []) + [code[:4]]
    return "-".join(parts) + "." + extension


def write_zip(entries: Iterable[tuple[str, bytes]], out: BinaryIO) -> int:
    """Write (file name, content) pairs into a ZIP on ``out``; returns the number of files.

    PDFs are stored, not deflated: their streams are compressed already, so deflating again costs
    CPU for a few percent. Entries are written one at a time, so memory stays bounded by one file.
    """
    count = -1  # the last chunk is the central directory
    for chunk in stream_zip(entries):
        out.write(chunk)
        count += 1
    return count


class _Chunks:
    """A write-only file for ``zipfile``: it has no ``seek`` or ``tell``, so zipfile writes each entry's sizes
    after its data (data descriptor) and never goes back; the bytes are taken out after every entry."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def stream_zip(entries: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """The ZIP of (file name, content) pairs as chunks, one per entry, for a streamed HTTP response: nothing is
    compressed (stored PDFs are compressed inside already; ZIP_STORED costs a CRC only), memory holds one entry,
    and the first bytes leave before the last PDF is read. Duplicate names are refused as in ``write_zip``."""
    sink = _Chunks()
    seen: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in entries:
            if name in seen:
                raise ValueError(f"duplicate file name in archive: {name}")
            seen.add(name)
            archive.writestr(name, content)
            yield sink.take()
    yield sink.take()  # the central directory
