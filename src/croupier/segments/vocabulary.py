"""What a segment may read: each identifier's kind (how its values are typed and compared)
and its words (for summaries and the builder). The default vocabulary is the feature
catalogue plus the protection and risk identifiers of `segments.protection`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType

from msgspec import Struct, field

from croupier.players import CATALOGUE, STAGES
from croupier.segments.definition import OPS
from croupier.players.state import CATEGORIES

# integer, days and seconds are whole numbers; number and ratio any number; money a decimal
# amount (feature values are decimal strings such as "12.50", compared as Decimal);
# string a word; level one of ordered words (so `rg.level >= "medium"` works); boolean
# true/false; timestamp an ISO time (only `is set` / `is not set`: compare days_since_...).
KINDS = ("integer", "number", "ratio", "money", "seconds", "days", "string", "level", "boolean", "timestamp")
NUMERIC = frozenset({"integer", "number", "ratio", "money", "seconds", "days"})
WHOLE = frozenset({"integer", "seconds", "days"})


class Identifier(Struct, frozen=True, omit_defaults=True):
    """One identifier a segment can read."""

    name: str
    kind: str
    text: str = ""                              # what it is, in words (the catalogue's definition)
    window: str | None = None                   # 1d, 7d, 30d, 90d, lifetime, or none
    values: tuple[str, ...] = field(default_factory=tuple)  # string: the values it takes; level: in order
    minimum: Decimal | None = None
    maximum: Decimal | None = None


Vocabulary = Mapping[str, Identifier]

# The operators each kind allows (kinds not listed allow every operator): strings and
# booleans have no order, and a timestamp is only known or not (compare a days_since_...).
OPS_BY_KIND: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "string": ("=", "!=", "in", "not_in", "is_set", "is_not_set"),
    "boolean": ("=", "!=", "is_set", "is_not_set"),
    "timestamp": ("is_set", "is_not_set"),
})


def ops_for(kind: str) -> tuple[str, ...]:
    """The operators a condition on an identifier of `kind` may use, in the order of OPS."""
    return OPS_BY_KIND.get(kind, OPS)


def vocabulary_of(kinds: Mapping[str, str | Identifier]) -> dict[str, Identifier]:
    """A vocabulary from a plain mapping of identifier -> kind (or Identifier)."""
    out: dict[str, Identifier] = {}
    for name, entry in kinds.items():
        if isinstance(entry, Identifier):
            out[name] = entry
        elif entry in KINDS:
            out[name] = Identifier(name, entry)
        else:
            raise ValueError(f"unknown kind {entry!r} for {name!r}: use one of {', '.join(KINDS)}")
    return out


def _catalogue_values(name: str) -> tuple[str, ...]:
    if name.startswith("favourite_category_"):
        return CATEGORIES
    if name == "lifecycle_stage":
        return STAGES
    return ()


def _catalogue_bounds(kind: str) -> tuple[Decimal | None, Decimal | None]:
    if kind == "ratio" or kind in WHOLE:        # most ratios are shares (0..1); rtp and a few may exceed 1
        return Decimal(0), None
    return None, None


# Catalogue types that are not kinds of their own: how they compare.
_CATALOGUE_KINDS = {"minutes": "number", "hours": "number", "count": "integer"}


def catalogue_identifiers() -> dict[str, Identifier]:
    """Every catalogue feature as an identifier (its type is its kind)."""
    out: dict[str, Identifier] = {}
    for f in CATALOGUE:
        kind = _CATALOGUE_KINDS.get(f.type, f.type)
        low, high = _catalogue_bounds(kind)
        out[f.name] = Identifier(f.name, kind, f.definition, f.window, _catalogue_values(f.name), low, high)
    return out


@lru_cache(maxsize=1)
def default_vocabulary() -> Mapping[str, Identifier]:
    """The catalogue and the protection identifiers (built once, read-only)."""
    from croupier.segments.protection import PROTECTION

    out = catalogue_identifiers()
    clash = sorted(set(out) & set(PROTECTION))
    if clash:
        raise RuntimeError(f"protection identifiers clash with catalogue features: {', '.join(clash)}")
    out.update(PROTECTION)
    return MappingProxyType(out)


# The builder's groups of identifiers: catalogue features by the window they count over
# (facts about the player first), then the protection and risk identifiers.
GROUPS = (
    (None, "Player facts"), ("1d", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"),
    ("90d", "Last 90 days"), ("lifetime", "Lifetime"),
)
PROTECTION_GROUP = "Protection and risk"


def grouped(vocabulary: Vocabulary) -> list[tuple[str, list[Identifier]]]:
    """The vocabulary in the builder's groups, each sorted by name; empty groups left out."""
    from croupier.segments.protection import PROTECTION

    by_window = dict(GROUPS)
    out: dict[str, list[Identifier]] = {title: [] for _, title in GROUPS}
    out[PROTECTION_GROUP] = []
    for ident in vocabulary.values():
        title = PROTECTION_GROUP if ident.name in PROTECTION else by_window.get(ident.window, by_window[None])
        out[title].append(ident)
    return [(title, sorted(idents, key=lambda i: i.name)) for title, idents in out.items() if idents]
