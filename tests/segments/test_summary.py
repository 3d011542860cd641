"""The plain-language summary, worded from the catalogue's own definitions."""

from __future__ import annotations

from croupier.segments import Identifier, parse, parse_valid, summarise, vocabulary_of
from croupier.segments.summary import label
from croupier.segments.vocabulary import default_vocabulary


def test_a_three_condition_segment() -> None:
    node = parse_valid("bet_count_slots_30d >= 5 and days_since_last_bet >= 14 and rg.level < medium")
    assert summarise(node) == ("players whose slots bets in the last 30 days are at least 5, and whose latest bet "
                               "was at least 14 days ago, and whose RG risk level is below medium")


def test_operators_in_words() -> None:
    cases = {
        "deposit_sum_30d between 10 and 20.50":
            "players whose sum of approved deposits in the last 30 days is between 10 and 20.50",
        'favourite_category_7d in ("slots", "live_casino")':
            "players whose game category with the largest stake in the last 7 days is one of slots or live_casino",
        'lifecycle_stage not in ("lapsed")': "players whose lifecycle stage is none of lapsed",
        "session_last5_mean_seconds > 2700":
            "players whose mean duration of the 5 sessions that ended last is more than 45 minutes",
        "session_median_seconds <= 90": "players whose median duration of the 100 sessions that ended last is "
                                        "at most 90 seconds",
        "first_deposit_at is not set": "players whose time of the first approved deposit is not known",
        "excluded = false": "players who do not have an active exclusion",
        "limits.deposit.set = true": "players who have a deposit limit in force",
        "aml.status >= review": "players whose AML status is review or above",
        "days_since_last_login = 1": "players whose latest successful login was exactly 1 day ago",
        "protection.limit_set_days_ago < 30":
            "players whose latest limit the player set or lowered was less than 30 days ago",
        "login_count_1d >= 1": "players whose successful logins today are at least 1",
        "deposit_count_lifetime = 0": "players whose approved deposits over their lifetime are 0",
    }
    for text, words in cases.items():
        assert summarise(parse_valid(text)) == words, text


def test_groups_and_negation() -> None:
    node = parse_valid("bet_count_30d > 0 and (excluded = true or rg.level >= high) and not deposit_count_30d = 0")
    assert summarise(node) == (
        "players whose casino bets and sports bets placed in the last 30 days are more than 0, and (who have an "
        "active exclusion, or whose RG risk level is high or above), and excluding those whose approved deposits "
        "in the last 30 days are 0")


def test_unknown_identifiers_are_named_as_written() -> None:
    vocab = vocabulary_of({"tier": Identifier("tier", "level", "VIP tier", values=("bronze", "gold"))})
    assert summarise(parse("tier >= gold and mystery is set"), vocab) == (
        "players whose VIP tier is gold or above, and whose mystery is known")


def test_every_identifier_has_a_label_in_words() -> None:
    for ident in default_vocabulary().values():
        words, _ = label(ident)
        assert words and "_" not in words and "/" not in words, ident.name
