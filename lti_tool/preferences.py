"""A learner's own choices, kept across launches: the interface language and the reading settings.

Stored on the learner's row (issuer, sub) and cached in the launch session, so a page reads them without a
query. A choice wins over the launch's ``locale`` claim (issue 17: "the learner's choice overrides and
remembers"); visitors without a launch (verification pages) keep theirs in a cookie.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from .db import Database
from .models import Learner

SIZES = ("normal", "large", "larger")
SPACINGS = ("normal", "wide")
FONTS = ("standard", "readable")


@dataclass(frozen=True)
class Reading:
    size: str = "normal"
    spacing: str = "normal"
    font: str = "standard"

    def encode(self) -> str:
        return f"size={self.size};spacing={self.spacing};font={self.font}"

    @classmethod
    def decode(cls, raw: str | None) -> "Reading":
        values = dict(part.split("=", 1) for part in (raw or "").split(";") if "=" in part)
        return cls.of(values.get("size"), values.get("spacing"), values.get("font"))

    @classmethod
    def of(cls, size, spacing, font) -> "Reading":
        """Only known values; anything else (a tampered form) falls back to the default of that setting."""
        return cls(size if size in SIZES else "normal", spacing if spacing in SPACINGS else "normal",
                   font if font in FONTS else "standard")

    @property
    def classes(self) -> str:
        """CSS classes for <html>: the default adds none, so pages look the same until a learner chooses."""
        return " ".join(c for c in (
            f"read-size-{self.size}" if self.size != "normal" else "",
            "read-spacing-wide" if self.spacing == "wide" else "",
            "read-font-readable" if self.font == "readable" else "") if c)


def load(db: Database, issuer: str, sub: str) -> tuple[str | None, Reading]:
    with db.session() as s:
        row = s.execute(select(Learner.ui_language, Learner.reading)
                        .where(Learner.issuer == issuer, Learner.sub == sub)).first()
    return (row.ui_language, Reading.decode(row.reading)) if row else (None, Reading())


def save(db: Database, issuer: str, sub: str, *, language: str | None = None, reading: Reading | None = None) -> None:
    values = {}
    if language is not None:
        values["ui_language"] = language
    if reading is not None:
        values["reading"] = reading.encode()
    if values:
        with db.session() as s:
            s.execute(update(Learner).where(Learner.issuer == issuer, Learner.sub == sub).values(**values))
