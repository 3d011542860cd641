"""Segments: who a campaign or journey is for, as a definition over the feature catalogue
and the protection state. One tree, two spellings (text and JSON), checked against a
vocabulary, evaluated by a pure predicate over a mapping of values, and summarised in
words. Storage, the API, batch and real-time membership build on this surface."""

from croupier.segments.definition import OPS, All, AnyOf, Condition, Node, Not, from_json, to_builtins, to_json
from croupier.segments.errors import Problem, SegmentError
from croupier.segments.evaluate import Predicate, matches, predicate, reads
from croupier.segments.language import GRAMMAR, parse, to_text
from croupier.segments.protection import AML_STATUSES, PROTECTION, RISK_LEVELS, protection_values
from croupier.segments.summary import summarise
from croupier.segments.validate import load_json, parse_valid, validate
from croupier.segments.vocabulary import (
    KINDS, Identifier, Vocabulary, default_vocabulary, grouped, ops_for, vocabulary_of,
)
from croupier.segments.builder import exact_tree, vocabulary_view

__all__ = [
    "AML_STATUSES", "GRAMMAR", "KINDS", "OPS", "PROTECTION", "RISK_LEVELS", "All", "AnyOf", "Condition",
    "Identifier", "Node", "Not", "Predicate", "Problem", "SegmentError", "Vocabulary", "default_vocabulary",
    "exact_tree", "from_json", "grouped", "load_json", "matches", "ops_for", "parse", "parse_valid", "predicate",
    "protection_values", "reads",
    "summarise", "to_builtins", "to_json", "to_text", "validate", "vocabulary_of", "vocabulary_view",
]
