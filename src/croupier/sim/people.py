"""Synthetic identities: names, contact details, devices and addresses.

All contact details point nowhere real: emails use the reserved example.* domains and
UK numbers use Ofcom's drama range, so a leaked sample file contacts nobody.
"""

from __future__ import annotations

import random
import unicodedata

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Emily",
           "James", "Sophie", "Liam", "Grace", "Ethan", "Chloe", "Mason", "Olivia", "Lucas", "Ella"),
    "sv": ("Erik", "Lars", "Anna", "Maja", "Johan", "Elsa", "Oskar", "Wilma", "Karl", "Astrid", "Nils", "Ebba"),
    "de": ("Lukas", "Anna", "Leon", "Lena", "Felix", "Marie", "Paul", "Sophie", "Jonas", "Laura", "Jürgen", "Katrin"),
    "nl": ("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Bram", "Sara", "Ruben", "Fleur"),
    "da": ("Mads", "Freja", "Frederik", "Ida", "Magnus", "Clara", "Emil", "Sofie", "Søren", "Signe"),
    "es": ("Hugo", "Lucía", "Martín", "Sofía", "Pablo", "Martina", "Daniel", "Paula", "Alejandro", "Carmen"),
    "fr": ("Gabriel", "Léa", "Olivier", "Chloé", "Félix", "Camille", "Louis", "Émilie"),
    "mt": ("Luke", "Maria", "Matthew", "Martina", "Jake", "Nicole", "Kurt", "Rebecca"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
           "Wright", "Walker", "Evans", "Thompson", "Clarke", "Garcia", "Miller", "Martin", "Nguyen"),
    "sv": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
           "Svensson", "Lindqvist"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schulz"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"),
    "da": ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen"),
    "es": ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez"),
    "fr": ("Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie"),
    "mt": ("Borg", "Camilleri", "Vella", "Farrugia", "Zammit", "Galea", "Grech", "Attard"),
}
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_ASCII = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", " ": ""})


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.translate(_ASCII)).encode("ascii", "ignore").decode()
    return plain.lower()


def full_name(rng: random.Random, language: str) -> tuple[str, str]:
    firsts = FIRST_NAMES.get(language, FIRST_NAMES["en"])
    lasts = LAST_NAMES.get(language, LAST_NAMES["en"])
    return rng.choice(firsts), rng.choice(lasts)


def email(rng: random.Random, first: str, last: str) -> str:
    style = rng.random()
    if style < 0.4:
        local_part = f"{ascii_slug(first)}.{ascii_slug(last)}"
    elif style < 0.7:
        local_part = f"{ascii_slug(first)}{ascii_slug(last)[:1]}{rng.randint(1, 99)}"
    else:
        local_part = f"{ascii_slug(first)[:1]}{ascii_slug(last)}{rng.randint(70, 2005)}"
    return f"{local_part}@{rng.choice(_EMAIL_DOMAINS)}"


def phone(rng: random.Random, prefix: str) -> str:
    if prefix == "+44":
        return f"+447700900{rng.randint(0, 999):03d}"  # Ofcom drama range
    return f"{prefix}{rng.randint(10 ** 8, 10 ** 9 - 1)}"


def birth_date(rng: random.Random, year_now: int, youngest: int = 18, oldest: int = 75) -> str:
    """Adults, skewed to 25-45 as real player bases are."""
    age = min(oldest, max(youngest, int(rng.triangular(youngest, oldest, 31))))
    return f"{year_now - age - 1:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def device_id(rng: random.Random) -> str:
    return f"dev-{rng.getrandbits(48):012x}"


def ip_address(rng: random.Random, prefixes: tuple[int, ...]) -> str:
    return f"{rng.choice(prefixes)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def instrument_id(rng: random.Random, method: str) -> str:
    return f"{method}-{rng.getrandbits(40):010x}"
