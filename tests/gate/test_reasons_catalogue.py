"""The reason catalogue (`compliance.reasons`) says every code Croupier can give in words.

Every emitting module declares its codes (`REASON_CODES`, the RG markers, the interventions);
a scan of their sources holds the declarations to what the code really emits, and every
declared code must have an entry whose parameters are read out. Unknown, malformed and hostile
codes fall back to a sentence, never to an exception, and pages escape them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

import croupier
from croupier.api import money_of_record
from croupier import contact
from croupier.engine import contacts as engine_contacts
from croupier.compliance import gate, reasons
from croupier.compliance.reasons import CATALOGUE, INTERVENTIONS, duration, explain, explain_all, in_words, sentence
from croupier.ledger import fx, guards, legs
from croupier.privacy import tipping_off
from croupier.protection import interventions, limits_check, markers, risk
from croupier.web.render import reason as reason_filter, reasons as reasons_filter

SRC = Path(croupier.__file__).parent
EMITTERS = {gate: "compliance/gate.py", legs: "ledger/legs.py", guards: "ledger/guards.py", fx: "ledger/fx.py",
            limits_check: "protection/limits_check.py", money_of_record: "api/money_of_record.py",
            tipping_off: "privacy/tipping_off.py"}
DECLARED = sorted({code for module in EMITTERS for code in module.REASON_CODES} | set(markers.MARKERS)
                  | set(risk.REASON_CODES) | set(contact.REASON_CODES) | set(engine_contacts.REASON_CODES))

# A real code for every parameterised pattern, and the words its parameters must become.
EXAMPLES = {
    "unknown_action_kind:<kind>": ("unknown_action_kind:jackpot", "'jackpot' is not a kind of action"),
    "under_age:<age><<min>": ("under_age:17<18", "the player is 17; the minimum age in their market is 18"),
    "excluded:<kind>:<scope>": ("excluded:self_exclusion:national", "the player is self-excluded nationally"),
    "rg_risk:<level>": ("rg_risk:severe", "gambling-risk level is severe; promotions stop at high risk and above"),
    "near_limit:<kind>:<period>:<pct>%": ("near_limit:deposit:week:85%", "used 85% of their weekly deposit limit"),
    "kyc:<status>": ("kyc:expired", "identity check (KYC) has expired"),
    "register_opted_out:<NAME>": ("register_opted_out:SPELPAUS", "opted out of the SPELPAUS register"),
    "register_not_configured:<NAME>": ("register_not_configured:GAMSTOP", "the GAMSTOP register is not configured"),
    "marketing_banned:<code>": ("marketing_banned:NL", "direct marketing is banned in NL"),
    "bonus_banned:<code>": ("bonus_banned:CA-ON", "bonuses are banned in CA-ON"),
    "bonus_first_deposit_only:<code>": ("bonus_first_deposit_only:SE", "SE allows a bonus only on the first deposit"),
    "bonus_banned_for_risk:<level>": ("bonus_banned_for_risk:medium", "players at medium gambling risk"),
    "promotions_banned_under:<age>": ("promotions_banned_under:25", "for players under 25"),
    "quiet_hours:<start>-<end>": ("quiet_hours:21-9", "quiet hours where the player lives (21:00 to 09:00 their local"),
    "message_cap:<n>/day": ("message_cap:3/day", "already received 3 promotional messages today"),
    "no_consent:<channel>": ("no_consent:sms", "has not given marketing consent for sms"),
    "rg_held_calm:<level>:<days>d:<until>": ("rg_held_calm:high:30d:2027-01-02",
                                             "held at high until 2027-01-02: a level comes down one step only "
                                             "after 30 calm days"),
    "rg_held_case:<level>": ("rg_held_case:severe", "held at severe by an open RG case until an RG officer"),
    "rg_look:<marker>:<severity>": ("rg_look:intensity:2", "because the intensity marker is at severity 2"),
    "contact.bypass:<purpose>": ("contact.bypass:safer_play", "a safer-play message: it passes the contact arbiter"),
    "contact.cap_day:<n>": ("contact.cap_day:2", "has had 2 promotional contacts today (their local day)"),
    "contact.cap_week:<n>": ("contact.cap_week:1", "has had 1 promotional contact this week (Monday to Sunday"),
    "contact.cap_channel_day:<channel>:<n>": ("contact.cap_channel_day:sms:1", "1 promotional contact by sms today"),
    "contact.fatigue:<ignored>": ("contact.fatigue:5", "opened or clicked none of their last 5 promotional contacts"),
    "contact.quiet_hours:<start>-<end>": ("contact.quiet_hours:21:00-09:00", "(21:00 to 09:00 their local time)"),
    "contact.queue_full:<n>": ("contact.queue_full:24", "already had 24 promotional messages waiting"),
    "contact.left_journey:<why>": ("contact.left_journey:exit_when", "one of its exit conditions held for the player"),
    "stale_data:<minutes>min><limit>min": ("stale_data:4577min>60min",
                                           "the player's data was 76 hours old; promotions wait for data under "
                                           "1 hour old"),
}


# -- the codes the code base can give -----------------------------------------------------
_EMITTED = [re.compile(p, re.MULTILINE) for p in (
    r"reasons\.append\((f?)\"([^\"]+)\"\)",           # the gate's reasons
    r"reasons = \[(f?)\"([^\"]+)\" for ",              # ...and its exclusions
    r"Refusal\(\s*code=(f?)\"([^\"]+)\"",             # the ledger's refusals
    r"\"code\": (f?)\"([^\"]+)\"",                     # refusals over HTTP (409 details)
    r"notes = (?:None, )?\((f?)\"([^\"]+)\",\)",     # the gate's notes
    r"tuple\(reasons\) or \((f?)\"([^\"]+)\",\)",     # the gate's verdict when nothing held it
    r"^(\s*)NEUTRAL_HOLD = \"([^\"]+)\"",             # the neutral AML hold
)]


def _head_pattern(literal: str, formatted: bool) -> re.Pattern[str]:
    """The head of an emitted code (before its first ':') as a pattern: an f-string's fields
    match any name (f"aml_{status}" -> aml_[a-z_]+, f"{kind}_limit" -> [a-z_]+_limit)."""
    head = re.split(r":(?![^{]*\})", literal, maxsplit=1)[0]
    if not formatted:
        return re.compile(re.escape(head))
    parts = re.split(r"\{[^}]*\}", head)
    return re.compile("[a-z_]+".join(re.escape(p) for p in parts))


def emitted_heads() -> list[tuple[str, str, re.Pattern[str]]]:
    """(module, literal, head pattern) for every code literal the emitting modules hold."""
    out = []
    for module, path in EMITTERS.items():
        text = (SRC / path).read_text(encoding="utf-8")
        for pattern in _EMITTED:
            for match in pattern.finditer(text):
                formatted, literal = match.group(1) == "f", match.group(2)
                out.append((path, literal, _head_pattern(literal, formatted)))
    out += [("compliance/gate.py", code, re.compile(re.escape(code))) for code in gate.REGISTER_CHECK_REASONS.values()]
    return out


def test_the_scan_finds_what_the_modules_emit() -> None:
    found = {(path, literal) for path, literal, _ in emitted_heads()}
    assert ("compliance/gate.py", "stale_data:{lag_minutes}min>{config.stale_after_minutes}min") in found
    assert ("ledger/legs.py", "insufficient_funds") in found and ("ledger/guards.py", "aml_{p.aml_status}") in found
    assert ("protection/limits_check.py", "{view.kind}_limit") in found
    assert ("api/money_of_record.py", "money_of_record_platform") in found
    assert ("compliance/gate.py", "register_opted_out:{named}") in found
    assert ("compliance/gate.py", "excluded:{x.kind}:{x.scope}") in found


@pytest.mark.parametrize("path", sorted(EMITTERS.values()))
def test_every_declared_code_is_emitted(path: str) -> None:
    """The declarations are exact the other way too: nothing declared that the module never gives."""
    module = next(m for m, p in EMITTERS.items() if p == path)
    heads = [head for where, _, head in emitted_heads() if where == path]
    idle = [code for code in module.REASON_CODES if not any(h.fullmatch(code.split(":", 1)[0]) for h in heads)]
    assert idle == [], f"{path} declares {idle} but never emits them"


@pytest.mark.parametrize(("path", "literal", "head"), emitted_heads(), ids=lambda v: getattr(v, "pattern", v))
def test_every_emitted_code_is_declared_by_its_module(path: str, literal: str, head: re.Pattern[str]) -> None:
    module = next(m for m, p in EMITTERS.items() if p == path)
    declared = {code.split(":", 1)[0] for code in module.REASON_CODES}
    assert any(head.fullmatch(code) for code in declared), f"{path} emits {literal!r} but REASON_CODES lacks it"


@pytest.mark.parametrize("code", DECLARED)
def test_every_declared_code_has_a_catalogue_entry(code: str) -> None:
    head = code.split(":", 1)[0]
    assert head in CATALOGUE, f"{code} has no entry in compliance.reasons"
    entry = CATALOGUE[head]
    if ":" in code:   # the pattern documents the same parameters, and an example reads them out
        assert entry.pattern == code and entry.render is not None
        example, words = EXAMPLES[code]
        said = explain(example)
        assert said.known and words in said.text and said.text != entry.plain, said
    else:
        assert explain(code).known and explain(code).text == entry.plain


@pytest.mark.parametrize("kind", interventions.KINDS)
def test_every_intervention_kind_has_words(kind: str) -> None:
    said = explain(kind, "intervention")
    assert said.known and said.text == INTERVENTIONS[kind].plain
    assert not explain(kind).known       # "soft" is no reason code


def test_the_catalogue_holds_nothing_nobody_emits() -> None:
    """An entry for a code nothing gives any more is a stale promise: each is declared somewhere
    (the register reason also comes with the register's name, a shape records may carry)."""
    declared = {code.split(":", 1)[0] for code in DECLARED}
    assert set(CATALOGUE) - declared == set()


# -- parameters in words -------------------------------------------------------------------
def test_the_issue_examples() -> None:
    assert explain("stale_data:4577min>60min").text == ("the player's data was 76 hours old; promotions wait for "
                                                        "data under 1 hour old")
    assert explain("register_not_configured:GAMSTOP").text == ("the GAMSTOP register is not configured for this "
                                                               "market, so promotions are held until it is")
    assert "register" in explain("register_not_configured").text   # as audit records before 2026-12-03 hold it


@pytest.mark.parametrize(("minutes", "words"), [(0, "0 minutes"), (1, "1 minute"), (59, "59 minutes"),
                                                (60, "1 hour"), (90, "1 hour 30 minutes"), (181, "3 hours"),
                                                (4577, "76 hours"), (10080, "7 days"), (2_000_000, "1,388 days")])
def test_durations_read_as_people_say_them(minutes: int, words: str) -> None:
    assert duration(minutes) == words


@pytest.mark.parametrize(("code", "words"), [
    ("near_limit:loss:month:no_rate", "cannot be counted against their monthly loss limit (no exchange rate"),
    ("near_limit:wager:day:100%", "used 100% of their daily wager limit"),
    ("message_cap:1/day", "already received 1 promotional message today"),
    ("message_cap:0/day", "no promotional messages at all"),
    ("excluded:timeout:brand", "on a time-out on this brand"),
    ("quiet_hours:0-24", "(00:00 to 24:00"),
])
def test_parameters_are_read(code: str, words: str) -> None:
    assert words in explain(code).text


@pytest.mark.parametrize("code", [
    "stale_data:abc", "stale_data:", "stale_data:12min", "under_age:x<y", "near_limit:deposit:fortnight:90%",
    "near_limit:pocket:day:90%", "excluded:holiday:brand", "excluded:self_exclusion", "quiet_hours:25-99",
    "quiet_hours:night", "message_cap:many", "kyc:lost", "rg_risk:purple", "bonus_banned:<b>bad</b>",
    "register_opted_out:" + "X" * 500, "no_consent:E Mail!", "stale_data:" + "9" * 5000 + "min>60min",
])
def test_parameters_that_do_not_read_fall_back_to_the_entry(code: str) -> None:
    said = explain(code)
    assert said.known and said.text == CATALOGUE[code.split(":", 1)[0]].plain and said.code == code


@pytest.mark.parametrize("code", ["not_a_code", "future_reason:3", "", "   ", None, 42, "x" * 100_000,
                                  "<script>alert(1)</script>", "\x00\n\u202e", ":::"])
def test_unknown_codes_read_as_a_generic_sentence_with_the_code(code: object) -> None:
    said = explain(code)
    assert not said.known and said.text
    if str(code or "").strip():
        assert "no words for" in said.text and repr(str(code)[:20])[1:-1] in said.text
        assert not any(c in said.text for c in "\x00\n\u202e")   # control characters quoted, not carried
        assert len(said.text) < 400          # a long code is cut in the sentence
    assert said.code == ("" if code is None else str(code))   # ...and kept whole beside it


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_code_makes_the_catalogue_raise(code: str) -> None:
    said = explain(code)
    assert isinstance(said.text, str) and said.text and said.code == code
    assert sentence(code)[:1] == said.text[:1].upper()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(CATALOGUE)), st.text(max_size=120))
def test_any_parameters_to_a_known_code_give_a_sentence(head: str, params: str) -> None:
    said = explain(f"{head}:{params}")
    assert said.known and said.text


def test_lists_and_lines() -> None:
    assert explain_all(["no_channel", "quiet_hours:22-8"]) == [
        {"code": "no_channel", "text": "the message names no channel to send it on"},
        {"code": "quiet_hours:22-8", "text": explain("quiet_hours:22-8").text}]
    line = in_words(["no_consent:email", "compliance_hold"])
    assert line == ("the player has not given marketing consent for email (no_consent:email); "
                    "held for a compliance reason (compliance_hold)")
    assert sentence("no_channel") == "The message names no channel to send it on."


def test_the_neutral_hold_tells_nothing_of_aml() -> None:
    """Staff without aml.view read compliance_hold: its words must not tip them off either."""
    assert "aml" not in explain(tipping_off.NEUTRAL_HOLD).text.lower()
    assert "launder" not in explain(tipping_off.NEUTRAL_HOLD).text.lower()


# -- in pages ------------------------------------------------------------------------------
def test_the_page_filter_escapes_hostile_codes() -> None:
    html = str(reason_filter('<img src=x onerror="alert(1)">'))
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert 'class="reason-said reason-unknown"' in html
    listed = reasons_filter(["stale_data:4577min>60min", "bonus_banned:<b>NL</b>"])
    assert isinstance(listed, Markup) and "<b>" not in str(listed) and "&lt;b&gt;NL&lt;/b&gt;" in str(listed)
    assert ("The player&#39;s data was 76 hours old; promotions wait for data under 1 hour old "
            '<code class="reason">stale_data:4577min&gt;60min</code>') in str(listed)
    assert str(reasons_filter([])) == '<span class="muted">—</span>'
    long = str(reason_filter("z" * 10_000))
    assert long.count("z") <= 3 * reasons.MAX_CODE   # a page is not flooded by one code


def test_the_catalogue_is_pure() -> None:
    text = (SRC / "compliance/reasons.py").read_text(encoding="utf-8")
    assert not re.search(r"^(from|import) (croupier|sqlalchemy|fastapi)", text, re.MULTILINE)


def test_the_documented_catalogue_is_the_catalogue() -> None:
    """docs/gate-and-audit.md lists every entry as `catalogue_markdown()` renders it."""
    doc = (SRC.parents[1] / "docs" / "gate-and-audit.md").read_text(encoding="utf-8")
    begin = doc.index("<!-- reasons catalogue: generated by croupier.compliance.reasons.catalogue_markdown()")
    table = doc[doc.index("\n", begin) + 1: doc.index("<!-- end of the reasons catalogue -->")]
    assert table == reasons.catalogue_markdown(), (
        "regenerate: python -c 'from croupier.compliance.reasons import catalogue_markdown as m; print(m(), end=\"\")'")
    for example in reasons.EXAMPLES:
        assert explain(example).known and explain(example).text != CATALOGUE[example.split(":", 1)[0]].plain


def test_the_words_follow_the_gate_s_thresholds() -> None:
    """The catalogue names the gate's thresholds without importing it (it stays a leaf): they agree."""
    assert reasons._PROMOTION_SHARE == round(gate.NEAR_LIMIT_SHARE * 100)
    above = gate.RISK_ORDER[gate.RISK_ORDER.index(gate.PROMOTION_RISK_CEILING) + 1]
    assert reasons._RISK_CEILING_WORDS == f"{above} risk and above"
    held = [level for level in gate.RISK_ORDER if explain(f"rg_risk:{level}").text != CATALOGUE["rg_risk"].plain]
    assert held == list(gate.RISK_ORDER[gate.RISK_ORDER.index(above):])
