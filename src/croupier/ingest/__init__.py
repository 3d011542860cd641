"""Getting events in: HTTP batches, files, the stream. Acknowledged means durably stored."""

from typing import Any

from croupier.ingest.batch import IngestResult, ingest_body, store_parsed
from croupier.ingest.facts import append_facts
from croupier.ingest.files import FileError, FileReport, LineRejection, replay_file
from croupier.ingest.mapping import Mapping, MappingError

# The stream side imports nats-py (~0.2 s); load it only when asked for.
_STREAM_NAMES = ("ConsumerSettings", "ConsumerTotals", "StreamConsumer", "consume", "partition_of",
                 "publish_events", "subject_for")


def __getattr__(name: str) -> Any:
    if name in _STREAM_NAMES:
        from croupier.ingest import stream

        return getattr(stream, name)
    raise AttributeError(f"module 'croupier.ingest' has no attribute {name!r}")


__all__ = [
    "ConsumerSettings", "ConsumerTotals", "FileError", "append_facts", "FileReport", "IngestResult", "LineRejection",
    "Mapping", "MappingError", "StreamConsumer", "consume", "ingest_body", "partition_of",
    "publish_events", "replay_file", "store_parsed", "subject_for",
]
