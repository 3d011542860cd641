"""One exception for every way a journey definition can be wrong, carrying each problem with
its JSON path and the value found there, so an editor can point at it and a CRM manager can
fix it. A problem inside a condition written as text also carries the line and column."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, Struct, UnsetType, field


class Problem(Struct, frozen=True, omit_defaults=True):
    """One thing wrong with a journey: where (JSON path), what, the value found, what to do."""

    path: str                                   # "$.steps[2].next"
    message: str
    value: Any | UnsetType = UNSET              # the offending value, as JSON (unset when none applies)
    line: int | None = None                     # inside a condition written as text: 1-based
    column: int | None = None
    suggestions: tuple[str, ...] = field(default_factory=tuple)

    def where(self) -> str:
        if self.line is not None:
            return f"{self.path} (line {self.line}, column {self.column})"
        return self.path

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


class JourneyError(ValueError):
    """A journey that cannot be published: every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
