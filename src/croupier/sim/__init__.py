"""The synthetic operator: a seeded casino and sportsbook whose players follow archetypes
(casual, high roller, bonus hunter, problem-gambling trajectory, multi-account ring, money
mule, churner, ...), emitting events in protocol v1 plus ground-truth labels per player.

    sim = Simulator(SimConfig(seed=7, players=1000, days=30))
    write_jsonl(sim.events(), "sim-events.jsonl")
    write_labels(sim.labels(), "sim-events-labels.jsonl")

A configured `Response` gives one archetype a real reaction to a message sent with
`Simulator.contact`; `true_effect` runs the world with and without it, for checking
measured uplift against the truth.
"""

from croupier.sim.archetypes import ARCHETYPES
from croupier.sim.config import DEFAULT_BRANDS, DEFAULT_MIX, Response, SimConfig
from croupier.sim.output import write_jsonl, write_labels
from croupier.sim.response import TrueEffect, true_effect
from croupier.sim.world import Simulator

__all__ = [
    "ARCHETYPES", "DEFAULT_BRANDS", "DEFAULT_MIX", "Response", "SimConfig", "Simulator", "TrueEffect", "true_effect",
    "write_jsonl", "write_labels",
]
