"""RG levels are thresholds on the 0..1 risk score (`rg.score_levels`, basis points), per
jurisdiction. The integer `rg.level_scores` of older documents still parses, sets nothing,
and no stored version id moves."""

from __future__ import annotations

import msgspec
import pytest

from croupier.compliance.document import InvalidDocument, parse_document, version_of
from croupier.compliance.rules import DEFAULT_SCORE_LEVELS, RgRules, presets
from croupier.players import EngineConfig


def _se(**rg) -> dict:  # noqa: ANN003
    return {"jurisdictions": {"SE": {**msgspec.to_builtins(presets()["SE"]), "rg": rg}}}


def test_stored_version_ids_do_not_move() -> None:
    """Ids computed before score_levels and calm_days existed (the same documents on the
    previous code): the defaults of the new fields leave every hash as it was."""
    assert EngineConfig().version == "cfg-432c687a3a22"
    assert version_of(parse_document({})) == "cfg-d36c7100489c"
    assert version_of(parse_document(_se())) == "cfg-082b7a554867"
    assert version_of(parse_document(_se(level_scores=[1, 3, 6, 10]))) == "cfg-2f1b0f7ec8f5"


def test_old_level_scores_still_parse_and_still_validate_but_set_nothing() -> None:
    doc = parse_document(_se(level_scores=[1, 3, 6, 10]))
    rg = doc.jurisdictions["SE"].rg
    assert rg.level_scores == [1, 3, 6, 10] and rg.levels == list(DEFAULT_SCORE_LEVELS)
    with pytest.raises(InvalidDocument) as caught:
        parse_document(_se(level_scores=[5, 2, 9, 14]))
    assert [p.path for p in caught.value.problems] == ["jurisdictions.SE.rg.level_scores"]


def test_the_defaults_written_out_are_the_defaults() -> None:
    spelled = parse_document(_se(score_levels=list(DEFAULT_SCORE_LEVELS), calm_days=30))
    assert version_of(spelled) == version_of(parse_document(_se()))
    assert spelled.jurisdictions["SE"].rg.score_levels is None


def test_score_levels_and_calm_days_set_the_market_and_make_a_new_version() -> None:
    doc = parse_document(_se(score_levels=[300, 700, 3000, 7000], calm_days=60))
    rg = doc.jurisdictions["SE"].rg
    assert (rg.levels, rg.calm_days) == ([300, 700, 3000, 7000], 60)
    assert version_of(doc) != version_of(parse_document(_se()))


@pytest.mark.parametrize("bad", [[1500, 600, 4000, 8000], [600, 1500, 4000], [0, 1, 2, 3], [600, 1500, 4000, 10_001],
                                 [600, 600, 4000, 8000]])
def test_score_levels_are_validated_with_the_field_and_the_value(bad: list[int]) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_document(_se(score_levels=bad))
    [problem] = caught.value.problems
    assert problem.path == "jurisdictions.SE.rg.score_levels" and problem.value == bad
    assert "four rising scores in basis points from 1 to 10000" in problem.message
    with pytest.raises(msgspec.ValidationError):
        RgRules(score_levels=bad)
