"""Content problems: every finding names file, line and field, so trainers can fix it without guessing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """Raised with *all* problems found; nothing of the broken module is returned."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemList:
    """Collects problems for one file; keeps the file name in one place."""

    def __init__(self, sink: list[Problem], file: Path | str, base: Path | None = None):
        self._sink = sink
        path = Path(file)
        if base is not None:
            try:
                path = path.relative_to(base)
            except ValueError:
                pass
        self.file = str(path)

    def count(self) -> int:
        """Problems collected so far (all files): lets a checker tell whether *its* part added any."""
        return len(self._sink)

    def add(self, line: int, field: str, message: str) -> None:
        self._sink.append(Problem(self.file, max(line, 1), field, message))
