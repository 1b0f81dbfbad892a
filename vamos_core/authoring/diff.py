"""A readable diff between two versions of a module: per file of the folder, unified, German headings."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from .folder import text_files


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # "neu" | "gelöscht" | "geändert"
    lines: tuple[tuple[str, str], ...]  # (kind, text) with kind "add" | "del" | "ctx" | "hunk"


def diff_documents(old: dict | None, new: dict) -> list[FileDiff]:
    before = _files(old) if old else {}
    after = _files(new)
    out: list[FileDiff] = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        status = "neu" if a is None else "gelöscht" if b is None else "geändert"
        out.append(FileDiff(path, status, tuple(_lines(a or "", b or ""))))
    return out


def _files(doc: dict) -> dict[str, str]:
    files = {path: data.decode("utf-8") for path, data in text_files(doc).items()}
    for path, meta in doc.get("files", {}).items():
        files[path] = f"[Datei, {meta.get('size', 0)} Bytes, SHA-256 {meta['sha256'][:12]}]"
    return files


def _lines(a: str, b: str):
    for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            yield "hunk", line
        elif line.startswith("+"):
            yield "add", line[1:]
        elif line.startswith("-"):
            yield "del", line[1:]
        else:
            yield "ctx", line[1:]
