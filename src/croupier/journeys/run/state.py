"""A player's journey state (`JourneyState`, with a `Run` per journey they are in and a
`History` per journey they entered): defined beside `PlayerState`, which holds it, in
`croupier.players.journey_state`, so the player package needs nothing of the journeys'."""

from croupier.players.journey_state import History, JourneyState, Run

__all__ = ["History", "JourneyState", "Run"]
