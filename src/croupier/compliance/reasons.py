"""Reason codes in plain words: one catalogue for everything Croupier says "no" (or "note") with.

The gate (`compliance.gate`), the contact arbiter (`contact.arbiter`), the ledger's refusals (`ledger`, `protection.limits_check`,
`api.money_of_record`), the neutral AML hold (`privacy.tipping_off`), the RG markers
(`protection.markers`) and interventions (`protection.interventions`) speak in codes, some
with parameters (`stale_data:4577min>60min`). Codes are for regulators, integrators and
tests; people read sentences. `explain(code)` turns any code into one, parsing its
parameters, so the back office, the "why" answer and the audit export say the same thing.

Pure: no I/O, no clock. It never raises: a code nobody catalogued (an older record, a new
module) reads as a generic sentence with the code in it, never as an error. docs/gate-and-audit.md
lists the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

Family = Literal["reason", "intervention"]

MAX_PARAMETER = 80   # a parameter longer than this is cut in the sentence (the code keeps it whole)
MAX_CODE = 200       # the longest code quoted back in a fallback sentence
_PROMOTION_SHARE = 80                # compliance.gate.NEAR_LIMIT_SHARE, in percent
_RISK_CEILING_WORDS = "high risk and above"   # compliance.gate.PROMOTION_RISK_CEILING is "medium"

PERIOD_WORDS = {"day": "daily", "week": "weekly", "month": "monthly"}
LIMIT_WORDS = {"deposit": "deposit", "loss": "loss", "wager": "wager", "session_time": "session-time"}
EXCLUSION_WORDS = {"self_exclusion": "self-excluded", "timeout": "on a time-out", "cooling_off": "in a cooling-off period",
                   "panic": "paused by the panic button", "closure": "closed (account closure)",
                   "register": "listed on the national self-exclusion register", "operator": "excluded by the operator"}
SCOPE_WORDS = {"brand": "on this brand", "operator": "on every brand of the operator", "national": "nationally"}
KYC_WORDS = {"failed": "failed", "expired": "has expired", "pending": "is still pending"}


@dataclass(frozen=True, slots=True)
class Explanation:
    """A code and its sentence; `known` is False when the catalogue had no entry for it."""

    code: str
    text: str
    known: bool

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalogue entry: `pattern` documents the code's shape (`stale_data:<minutes>min><limit>min`);
    `plain` is said when the code comes without parameters or they cannot be read;
    `render` turns the parameter text (after the first ':') into a sentence, or None."""

    pattern: str
    plain: str
    render: Callable[[str], str | None] | None = None

    @property
    def head(self) -> str:
        return self.pattern.split(":", 1)[0]


# -- words for parameters ------------------------------------------------------------------
def clip(text: str, limit: int = MAX_PARAMETER) -> str:
    """`text` cut to `limit` characters (an ellipsis marks the cut): a parameter is echoed, never trusted."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def duration(minutes: int) -> str:
    """4577 -> '76 hours', 60 -> '1 hour', 90 -> '1 hour 30 minutes', 20160 -> '14 days'."""
    if minutes < 60:
        return _plural(minutes, "minute")
    if minutes >= 7 * 24 * 60:
        return _plural(minutes // (24 * 60), "day")
    hours, rest = divmod(minutes, 60)
    if rest and hours < 3:
        return f"{_plural(hours, 'hour')} {_plural(rest, 'minute')}"
    return _plural(hours, "hour")


def _hour(text: str) -> str | None:
    return f"{int(text):02d}:00" if text.isdigit() and 0 <= int(text) <= 24 else None


def _limit_name(kind: str, period: str) -> str | None:
    if kind not in LIMIT_WORDS or period not in PERIOD_WORDS:
        return None
    return f"{PERIOD_WORDS[period]} {LIMIT_WORDS[kind]} limit"


# -- parameter readers (None: the parameters are not in the expected shape) -----------------
def _stale(params: str) -> str | None:
    m = re.fullmatch(r"(\d{1,12})min>(\d{1,12})min", params)
    if m is None:
        return None
    return (f"the player's data was {duration(int(m[1]))} old; promotions wait for data under "
            f"{duration(int(m[2]))} old")


def _under_age(params: str) -> str | None:
    m = re.fullmatch(r"(\d{1,3})<(\d{1,3})", params)
    return None if m is None else f"the player is {m[1]}; the minimum age in their market is {m[2]}"


def _excluded(params: str) -> str | None:
    kind, _, scope = params.partition(":")
    if kind not in EXCLUSION_WORDS or scope not in SCOPE_WORDS:
        return None
    return f"the player is {EXCLUSION_WORDS[kind]} {SCOPE_WORDS[scope]}, so nothing but safer-play messages goes out"


def _rg_risk(params: str) -> str | None:
    if params not in ("high", "severe"):
        return None
    return f"the player's gambling-risk level is {params}; promotions stop at {_RISK_CEILING_WORDS}"


def _near_limit(params: str) -> str | None:
    m = re.fullmatch(r"([a-z_]+):([a-z]+):(\d{1,3}%|no_rate)", params)
    if m is None:
        return None
    name = _limit_name(m[1], m[2])
    if name is None:
        return None
    if m[3] == "no_rate":
        return (f"the player's money cannot be counted against their {name} (no exchange rate to the limit's "
                "currency is configured), so promotions are held")
    return f"the player has used {m[3]} of their {name}; promotions stop at {_PROMOTION_SHARE}%"


def _kyc(params: str) -> str | None:
    words = KYC_WORDS.get(params)
    return None if words is None else f"the player's identity check (KYC) {words}; bonuses and rewards wait for a valid one"


def _jurisdiction(template: str) -> Callable[[str], str | None]:
    def render(params: str) -> str | None:
        return template.format(code=clip(params, 16)) if re.fullmatch(r"[A-Za-z0-9_-]{1,16}", params) else None
    return render


def _bonus_risk(params: str) -> str | None:
    if params not in ("none", "low", "medium", "high", "severe"):
        return None
    return f"bonuses are banned in the player's market for players at {params} gambling risk"


def _banned_under(params: str) -> str | None:
    return f"promotions are banned in the player's market for players under {params}" if re.fullmatch(r"\d{1,3}", params) else None


def _quiet_hours(params: str) -> str | None:
    start, dash, end = params.partition("-")
    a, b = _hour(start), _hour(end)
    if not dash or a is None or b is None:
        return None
    return (f"it was quiet hours where the player lives ({a} to {b} their local time); promotional messages "
            "wait until they end")


def _message_cap(params: str) -> str | None:
    m = re.fullmatch(r"(\d{1,6})/day", params)
    if m is None:
        return None
    n = int(m[1])
    return (f"the player has already received {_plural(n, 'promotional message')} today, the market's daily cap"
            if n else "the player's market allows no promotional messages at all (a daily cap of 0)")


def _consent(params: str) -> str | None:
    if not re.fullmatch(r"[a-z_]{1,32}", params):
        return None
    return f"the player has not given marketing consent for {params.replace('_', ' ')}"


_RISK_LEVELS = ("low", "medium", "high", "severe")


def _held_calm(params: str) -> str | None:
    m = re.fullmatch(r"([a-z]{1,10}):(\d{1,3})d:(\d{4}-\d{2}-\d{2})", params)
    if m is None or m[1] not in _RISK_LEVELS:
        return None
    return (f"the risk level is held at {m[1]} until {m[3]}: a level comes down one step only after "
            f"{m[2]} calm days (no score at or above its threshold), and they have not passed yet")


def _held_case(params: str) -> str | None:
    if params not in _RISK_LEVELS:
        return None
    return f"the risk level is held at {params} by an open RG case until an RG officer reviews it"


def _look(params: str) -> str | None:
    name, _, severity = params.partition(":")
    if name not in ("intensity", "frequency", "net_loss") or severity not in ("1", "2", "3"):
        return None
    return (f"the risk level is at least low because the {name.replace('_', ' ')} marker is at severity {severity}: "
            f"a player among the heaviest for how much they play is worth a look even if nothing changed")


def _register_named(template: str) -> Callable[[str], str | None]:
    def render(params: str) -> str | None:
        return template.format(name=params) if re.fullmatch(r"[A-Za-z0-9_-]{1,32}", params) else None
    return render


def _unknown_kind(params: str) -> str | None:
    return (f"{clip(params)!r} is not a kind of action the gate knows (a message, bonus, mission or tournament "
            "enrolment, or reward)")


def _contacts(n: int) -> str:
    return _plural(n, "promotional contact")


def _contact_bypass(params: str) -> str | None:
    words = {"safer_play": "a safer-play message", "transactional": "a transactional message",
             "service": "a service message"}.get(params)
    return None if words is None else (f"{words}: it passes the contact arbiter's caps, fatigue and quiet hours at "
                                       "once (the compliance gate still decides)")


def _contact_cap(window: str) -> Callable[[str], str | None]:
    def render(params: str) -> str | None:
        if not re.fullmatch(r"\d{1,6}", params):
            return None
        return f"the player has had {_contacts(int(params))} {window}, the cap, across every source and channel"
    return render


def _contact_channel(params: str) -> str | None:
    m = re.fullmatch(r"([a-z_]{1,32}):(\d{1,6})", params)
    if m is None:
        return None
    return f"the player has had {_contacts(int(m[2]))} by {m[1]} today (their local day), that channel's daily cap"


def _contact_fatigue(params: str) -> str | None:
    if not re.fullmatch(r"\d{1,6}", params):
        return None
    return (f"the player opened or clicked none of their last {_contacts(int(params))}; fewer contacts go to them "
            "until they engage again")


def _contact_quiet(params: str) -> str | None:
    m = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)", params)
    if m is None:
        return None
    return (f"it was quiet hours where the player lives ({m[1]}:{m[2]} to {m[3]}:{m[4]} their local time); the "
            "message waits until they end, it is not dropped")


def _contact_queue(params: str) -> str | None:
    if not params.isdigit():
        return None
    return (f"the player already had {_contacts(int(params)).replace('contact', 'message')} waiting, the most that may "
            "wait at once; the one ranked last was dropped")


_LEFT_WORDS = {"paused": "the journey was paused or archived", "goal": "the player reached a goal that ends it",
               "safer_play": "a safer-play journey replaced promotions for the player",
               "exit_when": "one of its exit conditions held for the player"}


def _contact_left(params: str) -> str | None:
    words = _LEFT_WORDS.get(params)
    if words is None:
        return None
    return f"the player left the journey that proposed the message while it waited ({words}), so it was not sent"


# -- the catalogue -------------------------------------------------------------------------
_ENTRIES = (
    # the gate's verdict
    Entry("all_checks_passed", "every check passed"),
    Entry("unknown_action_kind:<kind>", "the gate does not know this kind of action", _unknown_kind),
    # the player
    Entry("player_not_registered", "the player is not registered (no player.registered event has arrived), so "
                                   "nothing goes out to them and no money moves for them"),
    Entry("age_unknown", "the player's date of birth is unknown, so their age cannot be checked"),
    Entry("under_age:<age><<min>", "the player is under the minimum age of their market", _under_age),
    # protection
    Entry("excluded:<kind>:<scope>", "the player is excluded (a self-exclusion, time-out or another exclusion), so "
                                     "no money may move and nothing but safer-play messages goes out", _excluded),
    Entry("promotions_paused", "promotions are paused for the player by a responsible-gambling intervention"),
    Entry("rg_risk:<level>", f"the player's gambling-risk level is too high; promotions stop at {_RISK_CEILING_WORDS}",
          _rg_risk),
    Entry("near_limit:<kind>:<period>:<pct>%", f"the player is close to one of their limits; promotions stop at "
                                               f"{_PROMOTION_SHARE}% of a limit", _near_limit),
    # KYC and AML
    Entry("kyc:<status>", "the player's identity check (KYC) is not valid; bonuses and rewards wait for a valid one",
          _kyc),
    Entry("aml_review", "the account is under AML review: promotional messages, bonuses and rewards are held and "
                        "bonus credits refused"),
    Entry("aml_restricted", "the account is AML-restricted: every promotion is held and bonus credits are refused"),
    Entry("aml_blocked", "the account is frozen (AML blocked): every promotion is held, and deposits, bets, bonus "
                         "credits and withdrawals are refused"),
    Entry("compliance_hold", "held for a compliance reason"),
    # the market
    Entry("marketing_banned:<code>", "direct marketing is banned in the player's market",
          _jurisdiction("direct marketing is banned in {code}")),
    Entry("bonus_banned:<code>", "bonuses are banned in the player's market", _jurisdiction("bonuses are banned in {code}")),
    Entry("bonus_first_deposit_only:<code>", "the player's market allows a bonus only on the first deposit, and the "
                                             "player has deposited before",
          _jurisdiction("{code} allows a bonus only on the first deposit, and the player has deposited before")),
    Entry("bonus_banned_for_risk:<level>", "bonuses are banned in the player's market at their gambling-risk level",
          _bonus_risk),
    Entry("promotions_banned_under:<age>", "promotions are banned in the player's market below an age the player "
                                           "has not reached", _banned_under),
    Entry("quiet_hours:<start>-<end>", "it was quiet hours where the player lives; promotional messages wait until "
                                       "they end", _quiet_hours),
    Entry("message_cap:<n>/day", "the player has already received the market's daily number of promotional messages",
          _message_cap),
    # measurement
    Entry("holdout.global", "the player is in the global holdout: a fixed share of players who receive no "
                            "promotional messages, bonuses or other promotions at all, so that what the whole CRM "
                            "programme adds can be measured (safer-play and service messages still reach them)"),
    # the channel
    Entry("no_channel", "the message names no channel to send it on"),
    Entry("no_consent:<channel>", "the player has not given marketing consent for this channel", _consent),
    # the message
    Entry("message_expired", "a time-limited message whose expiry had come when it was decided: it is never sent "
                             "or honoured after it expires"),
    # the data
    Entry("stale_data:<minutes>min><limit>min", "the player's data was too old to promote on (an integration may be "
                                                "down or a backfill running)", _stale),
    # the national register
    Entry("register_check_pending", "the national self-exclusion register has not answered for the player yet, so "
                                    "promotions wait for its answer"),
    Entry("register_unavailable", "the national self-exclusion register could not be asked; it is asked again until "
                                  "it answers, and promotions wait"),
    Entry("register_not_configured:<NAME>", "the national register the player's market names is not configured, so "
                                     "promotions are held until it is",
          _register_named("the {name} register is not configured for this market, so promotions are held until it is")),
    Entry("register_opted_out:<NAME>", "the market is opted out of its national register by an approved "
                                       "configuration, so promotions pass without asking it",
          _register_named("the market is opted out of the {name} register by an approved configuration, so "
                          "promotions pass without asking it")),
    # where money moves (the ledger and /v1/authorize)
    Entry("insufficient_funds", "the player's balance is lower than the amount"),
    Entry("deposit_limit", "the player's deposit limit would be exceeded"),
    Entry("loss_limit", "the player's loss limit would be exceeded"),
    Entry("wager_limit", "the player's wager limit would be exceeded"),
    Entry("session_time_limit", "the player's session-time limit is used up for this period"),
    Entry("deposits_blocked", "deposits are blocked pending a responsible-gambling review (a hard stop)"),
    Entry("mandatory_limit_missing", "the player's market requires a limit before play, and the player has not "
                                     "set one"),
    Entry("foreign_currency_refused", "the money is in another currency than the player's, and this operator "
                                      "refuses other currencies"),
    Entry("exchange_rate_missing", "no exchange rate is configured for this currency, so the money cannot be "
                                   "counted against the player's limits"),
    Entry("counter_overflow", "the amount would take a wallet counter past the most the ledger can count; check "
                              "the amounts sent"),
    Entry("money_of_record_platform", "the operator's platform is the wallet of record for this brand, so "
                                      "Croupier's wallet moves no money for it"),
    # RG markers (protection.markers): the marker's own explanation carries the numbers
    Entry("loss_chasing", "loss chasing: deposits soon after play, having lost much of the deposit before, or "
                          "right after a losing run"),
    Entry("session_escalation", "session escalation: play time per day well above the player's own baseline"),
    Entry("deposit_spike", "deposit spike: a deposit, or a day's deposits, many times the player's usual deposit"),
    Entry("withdrawal_reversal", "withdrawal reversals: withdrawals the player cancelled, or that were reversed, "
                                 "and whether the money was staked again"),
    Entry("declined_deposits", "declined deposits: several deposits declined or failed in a day"),
    Entry("late_night", "late-night play: much of the recent play in the small hours, the player's local time"),
    Entry("stake_variability", "stake variability: stakes swinging far more, or far higher, than the player's "
                               "baseline"),
    Entry("limit_increase", "limit increases: requests to raise or remove a limit"),
    Entry("distress", "distress: support messages with words of distress"),
    # why a risk level stands above what the score alone reaches (protection.risk, memory)
    Entry("rg_held_calm:<level>:<days>d:<until>", "the risk level is held by memory: a level comes down one step "
          "only after a period of calm days, which has not passed yet", _held_calm),
    Entry("rg_held_case:<level>", "the risk level is held by an open RG case until an RG officer reviews it",
          _held_case),
    Entry("rg_look:<marker>:<severity>", "the risk level is at least low because an absolute marker of how much "
          "the player plays (intensity, frequency, net loss) reached the jurisdiction's rg.look_severity", _look),
    # absolute RG markers (protection.intensity): play in absolute terms, not against the player's past
    Entry("intensity", "intensity: high stakes or many bets per betting day over the last 30 or 90 days"),
    Entry("frequency", "frequency: betting on most days over the last 30 and 90 days"),
    Entry("net_loss", "net loss: large losses (stakes minus wins) over the last 30 or 90 days, and most of the "
                      "money deposited lost"),
    Entry("stake_trajectory", "stake trajectory: stakes rising steeply within a month, often with widely "
                              "varying stakes"),
    Entry("product_breadth", "product breadth: many kinds of game played in the last 30 days"),
    Entry("stake_chasing", "stake chasing: stakes doubled or more right after a losing bet, again and again"),
    # the contact arbiter (contact.arbiter): before the gate, for every promotional contact of every source
    Entry("contact.clear", "within every contact cap, outside quiet hours and not held by fatigue: the contact "
                           "arbiter let it go on to the compliance gate"),
    Entry("contact.bypass:<purpose>", "a safer-play or transactional message: it passes the contact arbiter's caps, "
                                      "fatigue and quiet hours at once (the compliance gate still decides)",
          _contact_bypass),
    Entry("contact.lower_priority", "another contact of higher priority (or as high and expiring sooner) took the "
                                    "last place under a cap at the same moment"),
    Entry("contact.expired", "a time-limited message whose expiry came before it could go out: it is never "
                             "delivered after it expires"),
    Entry("contact.cap_day:<n>", "the player has had the day's cap of promotional contacts (their local day), "
                                 "across every source and channel", _contact_cap("today (their local day)")),
    Entry("contact.cap_week:<n>", "the player has had the week's cap of promotional contacts (Monday to Sunday, "
                                  "their local time), across every source and channel",
          _contact_cap("this week (Monday to Sunday, their local time)")),
    Entry("contact.cap_channel_day:<channel>:<n>", "the player has had the day's cap of promotional contacts on "
                                                   "this channel (their local day)", _contact_channel),
    Entry("contact.fatigue:<ignored>", "the player ignored their last promotional contacts (no open, no click); "
                                       "fewer contacts go to them until they engage again", _contact_fatigue),
    Entry("contact.quiet_hours:<start>-<end>", "it was quiet hours where the player lives; the message waits "
                                               "until they end, it is not dropped", _contact_quiet),
    # the engine around the arbiter (engine.contacts): held messages
    Entry("contact.queue_full:<n>", "the player already had the most messages that may wait at once; the one "
                                    "ranked last was dropped", _contact_queue),
    Entry("contact.left_journey:<why>", "the player left the journey that proposed the message while it waited, "
                                        "so it was not sent", _contact_left),
)

# RG interventions (protection.interventions.KINDS): their own family, as "soft" is no reason.
_INTERVENTIONS = (
    Entry("soft", "soft: a safer-play message with a suggested deposit limit"),
    Entry("firm", "firm: promotions paused and reality checks forced while the risk holds, and a message asking "
                  "the player to set a limit"),
    Entry("human", "human: a case for an RG officer to call the player"),
    Entry("hard_stop", "hard stop: no deposits until an RG officer's review lifts the stop"),
)

# A code of each parameterised shape, read out in the catalogue's documentation.
EXAMPLES = ("unknown_action_kind:jackpot", "under_age:17<18", "excluded:self_exclusion:national", "rg_risk:high",
            "near_limit:deposit:week:85%", "near_limit:loss:month:no_rate", "kyc:expired", "marketing_banned:NL",
            "bonus_banned:CA-ON", "bonus_first_deposit_only:SE", "bonus_banned_for_risk:medium",
            "promotions_banned_under:25", "quiet_hours:22-8", "message_cap:3/day", "no_consent:sms",
            "stale_data:4577min>60min", "register_not_configured:GAMSTOP", "register_opted_out:SPELPAUS",
            "rg_held_calm:high:30d:2027-01-02", "rg_held_case:high", "rg_look:intensity:2",
            "contact.bypass:safer_play", "contact.cap_day:2", "contact.cap_week:7", "contact.cap_channel_day:sms:1",
            "contact.fatigue:5", "contact.quiet_hours:21:00-09:00", "contact.queue_full:24",
            "contact.left_journey:exit_when")

CATALOGUE: dict[str, Entry] = {e.head: e for e in _ENTRIES}
INTERVENTIONS: dict[str, Entry] = {e.head: e for e in _INTERVENTIONS}
_FAMILIES: dict[str, dict[str, Entry]] = {"reason": CATALOGUE, "intervention": INTERVENTIONS}


def explain(code: object, family: Family = "reason") -> Explanation:
    """The sentence for `code` (a reason or refusal code, an RG marker; with `family=
    "intervention"` an RG intervention kind). Never raises: an unknown or malformed code gets
    a generic sentence that quotes it."""
    text = "" if code is None else str(code)
    entries = _FAMILIES.get(family, CATALOGUE)
    head, colon, params = text.partition(":")
    entry = entries.get(head)
    if entry is None:
        return Explanation(text, _unknown(text), known=False)
    if colon and entry.render is not None:
        try:
            said = entry.render(params)
        except (ValueError, OverflowError):   # digits too long for int(), and the like
            said = None
        if said is not None:
            return Explanation(text, said, known=True)
    return Explanation(text, entry.plain, known=True)


def _unknown(code: str) -> str:
    if not code.strip():
        return "no reason was recorded"
    return f"a reason this version of Croupier has no words for yet ({clip(code, MAX_CODE)!r}); see the code"


def text_of(code: object, family: Family = "reason") -> str:
    """Just the sentence (lower case, no full stop: it reads inside a longer sentence too)."""
    return explain(code, family).text


def sentence(code: object, family: Family = "reason") -> str:
    """The sentence on its own: capitalised, with a full stop."""
    said = text_of(code, family)
    return said[:1].upper() + said[1:] + ("" if said.endswith((".", "…")) else ".")


def explain_all(codes: Iterable[object], family: Family = "reason") -> list[dict[str, str]]:
    """`[{"code", "text"}, ...]` for a list of codes, in order (for the API and exports)."""
    return [explain(c, family).as_dict() for c in codes]


def in_words(codes: Iterable[object], family: Family = "reason") -> str:
    """Several codes as one line of text: 'sentence (code); sentence (code)' (the CSV export)."""
    return "; ".join(f"{e.text} ({clip(e.code, MAX_CODE)})" for e in (explain(c, family) for c in codes))


def catalogue_markdown() -> str:
    """The catalogue as the Markdown tables in docs/gate-and-audit.md ("Reasons in words"),
    which a test holds to this output."""
    def row(entry: Entry, family: Family) -> str:
        examples = [c for c in EXAMPLES if c.split(":", 1)[0] == entry.head] if family == "reason" else []
        said = "<br>".join(f"`{c}`: {explain(c).text}" for c in examples) or "-"
        return f"| `{entry.pattern}` | {entry.plain} | {said} |"

    lines = ["| code | in words | with its parameters read |", "| --- | --- | --- |"]
    lines += [row(e, "reason") for e in _ENTRIES]
    lines += ["", "| intervention | in words |", "| --- | --- |"]
    lines += [f"| `{e.pattern}` | {e.plain} |" for e in _INTERVENTIONS]
    return "\n".join(lines) + "\n"
