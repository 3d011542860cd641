"""What players write to support, by mood and language.

Problem gamblers sometimes write distressed messages; everyone else writes neutral,
annoyed or happy ones. The mood of each message goes to the labels so a sentiment model
can be scored against it; the text alone goes into the event.
"""

from __future__ import annotations

import random

MOODS = ("distressed", "annoyed", "neutral", "positive")

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "distressed": (
            "I can't stop playing. I've lost my whole salary this month, please help me.",
            "Please close my account, I keep chasing my losses and I can't control it anymore.",
            "I deposited money I needed for rent. How do I get it back? I feel sick about this.",
            "I've been up all night playing again. I don't know what to do.",
            "Can you block me? Every time I say it's the last deposit and then I deposit again.",
            "My partner doesn't know how much I've lost. I need to stop but I can't.",
            "I borrowed money to play and lost it all within an hour. I'm desperate.",
            "Why did you let me deposit so much today? I shouldn't be allowed to do this.",
            "I need a break from gambling, it's ruining my life.",
            "Please raise my limit, I just need one more deposit to win it back.",
        ),
        "annoyed": (
            "My withdrawal has been pending for three days. Where is my money?",
            "The game froze in the middle of a bonus round and my balance is wrong.",
            "Why was my deposit declined? My card works everywhere else.",
            "This is the third time I'm asking for an update on my verification documents.",
            "Your app keeps logging me out while I'm playing. Very frustrating.",
            "I was charged twice for one deposit, please fix this now.",
            "The bonus terms were not clear at all, I want my winnings paid.",
            "Live chat closed on me before anyone answered. Not acceptable.",
        ),
        "neutral": (
            "Hi, how long does a withdrawal to my bank account usually take?",
            "Can you tell me which documents I need for verification?",
            "I'd like to change the email address on my account.",
            "Is it possible to set a monthly deposit limit?",
            "Which payment methods can I use to deposit?",
            "How do I opt out of marketing texts but keep emails?",
            "What are the wagering requirements on the welcome bonus?",
            "Can I play on the app and the website with the same account?",
        ),
        "positive": (
            "Thanks for the quick payout, really appreciated!",
            "Great service, the agent sorted my issue in minutes.",
            "Love the new live tables, keep it up.",
            "Verification was smooth, thank you.",
        ),
    },
    "sv": {
        "distressed": ("Jag kan inte sluta spela och har förlorat hela lönen. Snälla hjälp mig.",
                       "Stäng mitt konto, jag jagar förluster och har tappat kontrollen.",
                       "Jag har spelat hela natten igen och vet inte vad jag ska göra."),
        "annoyed": ("Mitt uttag har varit väntande i tre dagar. Var är mina pengar?",
                    "Varför nekades min insättning? Kortet fungerar överallt annars.",
                    "Spelet frös mitt i bonusrundan och saldot stämmer inte."),
        "neutral": ("Hej, hur lång tid tar ett uttag till banken?",
                    "Vilka dokument behöver ni för verifiering?",
                    "Kan jag sätta en insättningsgräns per månad?"),
        "positive": ("Tack för den snabba utbetalningen!", "Bra service, tack för hjälpen."),
    },
    "de": {
        "distressed": ("Ich kann nicht aufhören zu spielen und habe mein ganzes Gehalt verloren. Bitte helfen Sie mir.",
                       "Bitte sperren Sie mein Konto, ich jage meinen Verlusten hinterher.",
                       "Ich habe Geld für die Miete eingezahlt und alles verloren."),
        "annoyed": ("Meine Auszahlung hängt seit drei Tagen. Wo ist mein Geld?",
                    "Warum wurde meine Einzahlung abgelehnt? Die Karte funktioniert überall.",
                    "Die App wirft mich ständig beim Spielen raus."),
        "neutral": ("Wie lange dauert eine Auszahlung auf mein Bankkonto?",
                    "Welche Dokumente brauchen Sie für die Verifizierung?",
                    "Wie kann ich ein monatliches Einzahlungslimit setzen?"),
        "positive": ("Danke für die schnelle Auszahlung!", "Super Service, vielen Dank."),
    },
    "nl": {
        "distressed": ("Ik kan niet stoppen met spelen en ben mijn hele salaris kwijt. Help me alstublieft.",
                       "Sluit mijn account, ik blijf mijn verliezen najagen.",
                       "Ik heb de hele nacht weer gespeeld en weet niet wat ik moet doen."),
        "annoyed": ("Mijn uitbetaling staat al drie dagen open. Waar is mijn geld?",
                    "Waarom is mijn storting geweigerd?",
                    "Het spel liep vast tijdens de bonusronde."),
        "neutral": ("Hoe lang duurt een uitbetaling naar mijn bankrekening?",
                    "Welke documenten hebben jullie nodig voor verificatie?",
                    "Kan ik een maandelijkse stortingslimiet instellen?"),
        "positive": ("Bedankt voor de snelle uitbetaling!",),
    },
    "da": {
        "distressed": ("Jeg kan ikke stoppe med at spille og har tabt hele min løn. Hjælp mig.",
                       "Luk min konto, jeg jagter mine tab og har mistet kontrollen.",
                       "Jeg har spillet hele natten igen."),
        "annoyed": ("Min udbetaling har ventet i tre dage. Hvor er mine penge?",
                    "Hvorfor blev min indbetaling afvist?",
                    "Spillet frøs midt i bonusrunden."),
        "neutral": ("Hvor lang tid tager en udbetaling til min bank?",
                    "Hvilke dokumenter skal I bruge til verificering?",
                    "Kan jeg sætte en månedlig indbetalingsgrænse?"),
        "positive": ("Tak for den hurtige udbetaling!",),
    },
    "es": {
        "distressed": ("No puedo dejar de jugar y he perdido todo mi sueldo. Ayúdenme, por favor.",
                       "Cierren mi cuenta, sigo persiguiendo mis pérdidas y no me controlo.",
                       "He depositado el dinero del alquiler y lo he perdido todo."),
        "annoyed": ("Mi retirada lleva tres días pendiente. ¿Dónde está mi dinero?",
                    "¿Por qué han rechazado mi depósito?",
                    "El juego se colgó en mitad de la ronda de bonificación."),
        "neutral": ("¿Cuánto tarda una retirada a mi cuenta bancaria?",
                    "¿Qué documentos necesitan para la verificación?",
                    "¿Puedo establecer un límite de depósito mensual?"),
        "positive": ("¡Gracias por el pago tan rápido!",),
    },
    "fr": {
        "distressed": ("Je n'arrive plus à arrêter de jouer, j'ai perdu tout mon salaire. Aidez-moi.",
                       "Fermez mon compte, je cours après mes pertes.",
                       "J'ai encore joué toute la nuit, je ne sais plus quoi faire."),
        "annoyed": ("Mon retrait est en attente depuis trois jours. Où est mon argent?",
                    "Pourquoi mon dépôt a-t-il été refusé?",
                    "Le jeu a planté pendant le tour bonus."),
        "neutral": ("Combien de temps prend un retrait vers mon compte bancaire?",
                    "Quels documents faut-il pour la vérification?",
                    "Puis-je fixer une limite de dépôt mensuelle?"),
        "positive": ("Merci pour le paiement rapide!",),
    },
}

CHANNELS = (("chat", 0.6), ("email", 0.35), ("phone", 0.05))


def support_text(rng: random.Random, language: str, mood: str) -> tuple[str, str]:
    """A message in the player's language when the bank has one, else in English."""
    bank = TEXTS.get(language)
    if bank is None or mood not in bank or rng.random() < 0.1:
        language, bank = "en", TEXTS["en"]
    return rng.choice(bank[mood]), language
