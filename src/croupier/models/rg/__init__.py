"""RG risk models: the score's format (the shipped scorecard and operator-trained models
share it) and, in their own modules, the training pipeline that builds a model from an
operator's own log. The face exports the pure scoring only."""

from croupier.models.rg.scorecard import Contribution, RgModel, Score, Term, Tree, TreeNode, score, sigmoid

__all__ = ["Contribution", "RgModel", "Score", "Term", "Tree", "TreeNode", "score", "sigmoid"]
