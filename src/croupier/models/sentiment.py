"""Distress in support messages: a transparent lexicon scorer that runs offline.

No model file, no download, no third-party library: weighted cue phrases per language
(distress, annoyance, positive), a negation window that flips a cue ("not desperate"), an
intensifier window that strengthens one ("really desperate"), and a saturating sum
`p = 1 - exp(-score)` per mood. A message is "distressed" when p(distress) >= 0.5 (one
strong cue, or two weaker ones). Every result lists the cues it found, so an RG officer can
see why a message was flagged. Quality: docs/rg-markers.md (measured on the simulator's
messages, which the lexicon was not fitted to, and on the corpus shipped beside this file).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MOODS = ("distressed", "annoyed", "neutral", "positive")
THRESHOLD = 0.5

# weight: 1.0 a strong cue on its own, 0.6 medium, 0.3 weak (needs company)
S, M, W = 1.0, 0.6, 0.3

DISTRESS: dict[str, dict[str, float]] = {
    "en": {
        "can't stop": S, "cannot stop": S, "can not stop": S, "unable to stop": S, "can't control": S,
        "cannot control": S, "lost control": S, "out of control": S, "lost everything": S, "lost it all": S,
        "lost all my": S, "whole salary": S, "entire salary": S, "whole paycheck": S, "all my savings": S,
        "desperate": S, "hopeless": S, "suicidal": S, "kill myself": S, "end it all": S,
        "ruining my life": S, "ruined my life": S, "ruin my life": S, "addicted": S, "addiction": S,
        "gambling problem": S, "problem with gambling": S, "compulsive": S, "chasing my losses": S,
        "chase my losses": S, "chasing losses": S, "win it back": S, "win back": M, "can't afford": S,
        "cannot afford": S, "shouldn't be allowed": S, "should not be allowed": S, "need to stop": S,
        "want to stop": S, "have to stop": M, "help me stop": S, "please help": M, "help me": M,
        "rent": M, "mortgage": M, "bills": M, "borrowed": M, "loan": M, "loans": M, "debt": M,
        "debts": M, "overdraft": M, "credit card": W, "feel sick": M, "ashamed": M, "shame": M,
        "scared": M, "block me": M, "close my account": M, "exclude me": M, "self exclude": M,
        "self exclusion": M, "take a break": M, "need a break": M, "up all night": M, "all night": M,
        "doesn't know": M, "don't know what to do": M, "one more deposit": M, "last deposit": M,
        "deposit again": M, "keep losing": M, "keep chasing": S, "can't sleep": M, "crying": M,
        "depressed": M, "anxious": W, "everything i had": S, "let me deposit": M, "so much": W,
        "lost my": W, "lost": W, "losing": W, "losses": W, "again": W, "stop": W,
    },
    "sv": {
        "kan inte sluta": S, "kan inte kontrollera": S, "tappat kontrollen": S, "förlorat allt": S,
        "hela lönen": S, "hela min lön": S, "jagar förluster": S, "jagar mina förluster": S,
        "vinna tillbaka": S, "spelberoende": S, "beroende": M, "förtvivlad": S,
        "desperat": S, "hopplös": S, "har inte råd": S, "förstör mitt liv": S, "hjälp mig": M,
        "snälla hjälp": M, "hyran": M, "hyra": M, "lånat": M, "lån": M, "skulder": M, "skuld": M,
        "stäng mitt konto": M, "spärra mig": M, "stäng av mig": M, "hela natten": M,
        "vet inte vad jag ska göra": M, "skäms": M, "mår dåligt": M, "förlorat": W, "förluster": W,
        "igen": W, "sluta": W,
    },
    "de": {
        "kann nicht aufhören": S, "nicht aufhören": S, "kontrolle verloren": S, "alles verloren": S,
        "ganzes gehalt": S, "ganzen lohn": S, "verlusten hinterher": S, "verluste zurück": S,
        "zurückgewinnen": S, "spielsucht": S, "süchtig": S, "verzweifelt": S, "hoffnungslos": S,
        "ruiniert": S, "nicht leisten": S, "helfen sie mir": M, "hilf mir": M, "hilfe": W, "miete": M,
        "schulden": M, "geliehen": M, "kredit": M, "sperren sie": M, "konto sperren": M,
        "ganze nacht": M, "schäme mich": M, "weiß nicht mehr weiter": S, "weiß nicht was ich tun soll": M,
        "verloren": W, "verluste": W, "wieder": W,
    },
    "nl": {
        "kan niet stoppen": S, "niet stoppen": S, "controle kwijt": S, "alles kwijt": S,
        "hele salaris": S, "verliezen najagen": S, "verliezen terugwinnen": S, "terugwinnen": M,
        "gokverslaving": S, "verslaafd": S, "wanhopig": S, "hopeloos": S, "help me": M, "help mij": M,
        "huur": M, "schulden": M, "geleend": M, "sluit mijn account": M, "blokkeer mij": M,
        "hele nacht": M, "weet niet wat ik moet doen": M, "schaam me": M, "kwijt": W, "verloren": W,
        "verliezen": W, "weer": W,
    },
    "da": {
        "kan ikke stoppe": S, "ikke stoppe": S, "mistet kontrollen": S, "tabt alt": S,
        "hele min løn": S, "jagter mine tab": S, "jagter tab": S, "vinde tilbage": S, "ludoman": S,
        "afhængig": M, "desperat": S, "håbløs": S, "hjælp mig": M, "husleje": M, "gæld": M, "lånt": M,
        "luk min konto": M, "spær mig": M, "hele natten": M, "ved ikke hvad jeg skal gøre": M,
        "skammer mig": M, "tabt": W, "tab": W, "igen": W,
    },
    "es": {
        "no puedo dejar": S, "no puedo parar": S, "perdido el control": S, "perdido todo": S,
        "todo mi sueldo": S, "todo mi salario": S, "persiguiendo mis pérdidas": S,
        "recuperar lo perdido": S, "adicción": S, "adicto": S, "adicta": S, "ludopatía": S,
        "desesperado": S, "desesperada": S, "sin esperanza": S, "ayúdenme": M, "ayúdame": M,
        "ayuda": W, "alquiler": M, "deudas": M, "préstamo": M, "prestado": M, "cierren mi cuenta": M,
        "cerrar mi cuenta": M, "bloqueen": M, "toda la noche": M, "no sé qué hacer": M,
        "vergüenza": M, "no me controlo": S, "perdido": W, "pérdidas": W, "otra vez": W,
    },
    "fr": {
        "n'arrive plus à arrêter": S, "peux pas arrêter": S, "arrêter de jouer": M,
        "perdu le contrôle": S, "perdu tout": S, "tout perdu": S, "tout mon salaire": S,
        "après mes pertes": S, "récupérer mes pertes": S, "addiction": S, "addict": S, "accro": S,
        "désespéré": S, "désespérée": S, "aidez moi": M, "aide moi": M, "loyer": M, "dettes": M,
        "emprunté": M, "fermez mon compte": M, "bloquez mon compte": M, "toute la nuit": M,
        "ne sais plus quoi faire": S, "honte": M, "perdu": W, "pertes": W, "encore": W,
    },
}

ANNOYED: dict[str, dict[str, float]] = {
    "en": {
        "where is my": S, "still waiting": S, "pending": M, "declined": W, "froze": M, "frozen": M,
        "crashed": M, "wrong": W, "frustrating": S, "frustrated": S, "not acceptable": S,
        "unacceptable": S, "ridiculous": S, "terrible": S, "awful": S, "worst": S, "charged twice": S,
        "third time": M, "second time": W, "fix this": M, "not clear": M, "scam": S, "complaint": M,
        "disappointed": S, "logging me out": M, "closed on me": M, "before anyone answered": M,
        "why was": W, "why is": W, "three days": W, "no one": W, "nobody": W, "want my": M, "now": W,
    },
    "sv": {"var är mina pengar": S, "väntande": M, "nekades": M, "nekad": M, "frös": M,
           "stämmer inte": M, "fel": W, "irriterande": S, "oacceptabelt": S, "dålig service": S,
           "fortfarande": W, "tredje gången": M, "varför": W, "tre dagar": W},
    "de": {"wo ist mein geld": S, "hängt": M, "seit drei tagen": M, "abgelehnt": M, "wirft mich": M,
           "ständig": M, "ärgerlich": S, "frustrierend": S, "inakzeptabel": S, "unverschämt": S,
           "falsch": W, "warum": W, "immer noch": M, "eingefroren": M, "abgestürzt": M},
    "nl": {"waar is mijn geld": S, "staat al": M, "drie dagen": W, "geweigerd": M, "liep vast": M,
           "frustrerend": S, "onacceptabel": S, "belachelijk": S, "waarom": W, "nog steeds": M, "fout": W},
    "da": {"hvor er mine penge": S, "ventet i": M, "tre dage": W, "afvist": M, "frøs": M,
           "frustrerende": S, "uacceptabelt": S, "hvorfor": W, "stadig": W, "forkert": W},
    "es": {"dónde está mi dinero": S, "pendiente": M, "tres días": W, "rechazado": M, "rechazada": M,
           "se colgó": M, "frustrante": S, "inaceptable": S, "por qué": W, "todavía": W,
           "sigue sin": M, "error": W},
    "fr": {"où est mon argent": S, "en attente": M, "trois jours": W, "refusé": M, "planté": M,
           "frustrant": S, "inacceptable": S, "pourquoi": W, "toujours pas": M, "erreur": W},
}

POSITIVE: dict[str, dict[str, float]] = {
    "en": {"thanks": S, "thank you": S, "great": M, "love": M, "excellent": S, "smooth": M,
           "appreciated": S, "quick": W, "fast": W, "helpful": M, "awesome": S, "perfect": M,
           "keep it up": M, "sorted": W},
    "sv": {"tack": S, "bra service": S, "snabb": W, "snabba": W, "toppen": S, "grymt": M, "smidigt": M},
    "de": {"danke": S, "vielen dank": S, "super": M, "toll": M, "schnell": W, "schnelle": W,
           "klasse": M, "prima": M},
    "nl": {"bedankt": S, "dank je": S, "dank u": S, "snelle": W, "top": M, "geweldig": S, "fijn": M},
    "da": {"tak": S, "hurtige": W, "god service": S, "super": M},
    "es": {"gracias": S, "rápido": W, "excelente": S, "genial": M, "buen servicio": S},
    "fr": {"merci": S, "rapide": W, "super": M, "génial": M, "excellent": S, "parfait": M},
}

NEGATORS = frozenset({
    "not", "no", "never", "don't", "dont", "isn't", "wasn't", "aren't", "without", "hardly",
    "inte", "ej", "aldrig", "nicht", "kein", "keine", "nie", "niet", "geen", "nooit", "ikke",
    "nunca", "pas", "jamais", "sin",
})
INTENSIFIERS = frozenset({
    "really", "so", "very", "completely", "totally", "extremely", "absolutely", "seriously",
    "verkligen", "helt", "väldigt", "wirklich", "total", "völlig", "echt", "heel", "erg",
    "virkelig", "meget", "muy", "totalmente", "vraiment", "très", "tellement", "complètement",
})
NEGATION_WINDOW, INTENSITY_WINDOW = 3, 2

_TOKEN = re.compile(r"[\w']+")
_CLAUSE = re.compile(r"[.!?;:,()\n¿¡]+")


def normalise(text: str) -> list[str]:
    """Lower-case tokens without accents, with typographic apostrophes made plain."""
    text = text.lower().replace("’", "'").replace("`", "'").replace("-", " ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _TOKEN.findall(text)


def clauses(text: str) -> list[list[str]]:
    """The message as clauses of tokens: a negation never reaches across punctuation."""
    return [tokens for part in _CLAUSE.split(text) if (tokens := normalise(part))]


Cue = tuple[tuple[str, ...], float, str]   # tokens, weight, the phrase as written


def _compile(table: dict[str, float]) -> dict[str, list[Cue]]:
    index: dict[str, list[Cue]] = {}
    for phrase, weight in table.items():
        tokens = tuple(normalise(phrase))
        index.setdefault(tokens[0], []).append((tokens, weight, phrase))
    for cues in index.values():
        cues.sort(key=lambda c: -len(c[0]))   # longest phrase first
    return index


@lru_cache(maxsize=32)
def _lexicon(mood: str, language: str | None) -> dict[str, list[Cue]]:
    """The cues for a mood in the message's language plus English (people mix), or in every
    language when the language is unknown."""
    table = {"distressed": DISTRESS, "annoyed": ANNOYED, "positive": POSITIVE}[mood]
    base = (language or "").split("-")[0].lower()
    languages = [base, "en"] if base in table else list(table)
    merged: dict[str, float] = {}
    for lang in languages:
        merged.update(table[lang])
    return _compile(merged)


def _scan(tokens: list[str], index: dict[str, list[Cue]]) -> tuple[float, list[str]]:
    total, found = 0.0, []
    i, n = 0, len(tokens)
    while i < n:
        match = None
        for cue in index.get(tokens[i], ()):
            words = cue[0]
            if tuple(tokens[i:i + len(words)]) == words:
                match = cue
                break
        if match is None:
            i += 1
            continue
        words, weight, phrase = match
        before = tokens[max(0, i - NEGATION_WINDOW):i]
        if any(t in NEGATORS or t.endswith("n't") for t in before):
            weight = -0.5 * weight
            phrase = f"not {phrase}"
        elif any(t in INTENSIFIERS for t in tokens[max(0, i - INTENSITY_WINDOW):i]):
            weight *= 1.5
        total += weight
        found.append(phrase)
        i += len(words)
    return total, found


@dataclass(frozen=True, slots=True)
class Sentiment:
    distress: float      # 0..1
    annoyance: float
    positive: float
    label: str           # one of MOODS
    cues: tuple[str, ...]


def _p(score: float) -> float:
    return 1.0 - math.exp(-score) if score > 0 else 0.0


@lru_cache(maxsize=4096)
def score(text: str, language: str | None = None) -> Sentiment:
    """Score a support message. Deterministic and offline."""
    d = a = pos = 0.0
    d_cues: list[str] = []
    for tokens in clauses(text):
        found = _scan(tokens, _lexicon("distressed", language))
        d, d_cues = d + found[0], d_cues + found[1]
        a += _scan(tokens, _lexicon("annoyed", language))[0]
        pos += _scan(tokens, _lexicon("positive", language))[0]
    pd, pa, pp = _p(d), _p(a), _p(pos)
    if pd >= THRESHOLD:
        label = "distressed"
    elif max(pa, pp) >= 0.4:
        label = "annoyed" if pa >= pp else "positive"
    else:
        label = "neutral"
    return Sentiment(round(pd, 4), round(pa, 4), round(pp, 4), label, tuple(d_cues))


def is_distressed(text: str, language: str | None = None) -> bool:
    return score(text, language).distress >= THRESHOLD
