"""Getting events in: HTTP batches, files, the stream. Acknowledged means durably stored."""

from croupier.ingest.batch import IngestResult, ingest_body, store_parsed

__all__ = ["IngestResult", "ingest_body", "store_parsed"]
