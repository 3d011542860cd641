"""Models: support-message sentiment (offline); churn, LTV and risk models in later issues."""

from croupier.models.sentiment import MOODS, Sentiment, is_distressed, score

__all__ = ["MOODS", "Sentiment", "is_distressed", "score"]
