"""The licences the simulated operator holds: jurisdictions, their currency, language,
time zone, brands and the payment methods their players use."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    country: str
    currency: str
    timezone: str
    languages: tuple[tuple[str, float], ...]
    phone_prefix: str
    weight: float  # share of registrations
    brands: tuple[str, ...]  # brands licensed here, in order of popularity
    methods: tuple[tuple[str, float], ...]  # deposit methods and their popularity
    ip_prefixes: tuple[int, ...]  # made-up first octets for addresses "in" this country

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


_CARDS_FIRST = (("card", 0.55), ("paypal", 0.15), ("apple_pay", 0.15), ("skrill", 0.05), ("bank_transfer", 0.10))
_OPEN_BANKING = (("trustly", 0.45), ("card", 0.35), ("skrill", 0.05), ("apple_pay", 0.10), ("bank_transfer", 0.05))

JURISDICTIONS: tuple[Jurisdiction, ...] = (
    Jurisdiction("GB", "GB", "GBP", "Europe/London", (("en", 1.0),), "+44", 0.28,
                 ("aurora", "solstice", "nordlys"), _CARDS_FIRST, (81, 86, 92)),
    Jurisdiction("SE", "SE", "SEK", "Europe/Stockholm", (("sv", 0.9), ("en", 0.1)), "+46", 0.12,
                 ("nordlys", "aurora"), _OPEN_BANKING, (78, 83, 90)),
    Jurisdiction("DE", "DE", "EUR", "Europe/Berlin", (("de", 0.95), ("en", 0.05)), "+49", 0.14,
                 ("solstice", "aurora"), (("paypal", 0.35), ("trustly", 0.2), ("card", 0.3), ("bank_transfer", 0.15)),
                 (79, 84, 91)),
    Jurisdiction("NL", "NL", "EUR", "Europe/Amsterdam", (("nl", 0.9), ("en", 0.1)), "+31", 0.08,
                 ("aurora", "solstice"), _OPEN_BANKING, (77, 85, 94)),
    Jurisdiction("CA-ON", "CA", "CAD", "America/Toronto", (("en", 0.85), ("fr", 0.15)), "+1", 0.10,
                 ("aurora", "solstice"), (("card", 0.5), ("bank_transfer", 0.3), ("paypal", 0.1), ("apple_pay", 0.1)),
                 (24, 70, 99)),
    Jurisdiction("DK", "DK", "DKK", "Europe/Copenhagen", (("da", 0.9), ("en", 0.1)), "+45", 0.05,
                 ("nordlys", "aurora"), _OPEN_BANKING, (80, 87, 93)),
    Jurisdiction("ES", "ES", "EUR", "Europe/Madrid", (("es", 0.95), ("en", 0.05)), "+34", 0.08,
                 ("solstice", "aurora"), _CARDS_FIRST, (83, 88, 95)),
    Jurisdiction("MT", "MT", "EUR", "Europe/Malta", (("en", 0.7), ("mt", 0.3)), "+356", 0.03,
                 ("solstice", "nordlys", "aurora"), _CARDS_FIRST, (89, 46)),
    Jurisdiction("US-NJ", "US", "USD", "America/New_York", (("en", 0.9), ("es", 0.1)), "+1", 0.12,
                 ("aurora", "solstice"), (("card", 0.55), ("paypal", 0.2), ("bank_transfer", 0.2), ("apple_pay", 0.05)),
                 (68, 71, 98)),
)

BY_CODE: dict[str, Jurisdiction] = {j.code: j for j in JURISDICTIONS}

# Cash-out methods: most players withdraw the way they deposited (closed loop).
WITHDRAWAL_METHODS: tuple[str, ...] = ("bank_transfer", "trustly", "skrill", "paypal", "card")
