"""The pipeline: apply -> detect -> react -> gate -> audit -> outbox, in log order."""

from croupier.engine.detect import Signal, detect
from croupier.engine.react import react
from croupier.engine.runner import BatchReport, Engine, merge_reports
from croupier.engine.step import StepResult, step

__all__ = ["BatchReport", "Engine", "merge_reports", "Signal", "StepResult", "detect", "react", "step"]
