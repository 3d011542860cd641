"""One exception for every way a segment definition can be wrong, carrying each problem
with where it is (line and column in the text, JSON path in the JSON form), so a builder
can point at it and a CRM manager can fix it."""

from __future__ import annotations

from msgspec import Struct, field


class Problem(Struct, frozen=True, omit_defaults=True):
    """One thing wrong with a definition: what, where, and what to do."""

    message: str
    line: int | None = None                     # text form: 1-based
    column: int | None = None                   # text form: 1-based
    path: str | None = None                     # JSON form: "$.all[1].value"
    identifier: str | None = None               # the feature or protection identifier concerned
    suggestions: tuple[str, ...] = field(default_factory=tuple)

    def where(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.column}"
        return self.path or "$"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


class SegmentError(ValueError):
    """A definition that cannot be used: every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
