"""Player state, the fold that updates it on every event, and the feature catalogue."""

from croupier.players import facts
from croupier.players.apply import apply, micros, moment, rebuild
from croupier.players.facts import REBUILD
from croupier.players.config import EngineConfig, FeatureConfig, LifecycleConfig, load_config, money_of_record
from croupier.players.features import CATALOGUE, WINDOWS, Feature, compute_features
from croupier.players.lifecycle import STAGES, lifecycle_stage
from croupier.players.state import PlayerState, new_state
from croupier.players.undo import undo

__all__ = [
    "CATALOGUE", "REBUILD", "STAGES", "WINDOWS", "EngineConfig", "Feature", "FeatureConfig",
    "LifecycleConfig", "PlayerState", "apply", "compute_features", "lifecycle_stage",
    "facts", "load_config", "micros", "moment", "money_of_record", "new_state", "rebuild", "undo",
]
