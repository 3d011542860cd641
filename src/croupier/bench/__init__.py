"""Benchmarks: commands that report figures beside their ceilings; not tests."""

from croupier.bench.ingest import IngestBench, bench_ingest, machine

__all__ = ["IngestBench", "bench_ingest", "machine"]
