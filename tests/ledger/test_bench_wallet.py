"""`croupier bench wallet` runs end to end (a tiny run: it reports, it asserts nothing about speed)."""

from __future__ import annotations

import pytest


def test_the_wallet_benchmark_runs_against_a_real_server(tmp_path) -> None:  # noqa: ANN001
    from croupier.bench.wallet import bench_wallet

    r = bench_wallet(rate=40, seconds=1.0, players=4, connections=4, warmup=0.25, workdir=str(tmp_path))
    assert r.wallet.requests == 40 and r.wallet.statuses == {200: 40}
    assert r.ceiling.statuses == {200: 40}
    assert r.wallet.pct(0.99) > 0
    assert r.wallet.cpu_ms_per_request is not None and r.wallet.cpu_ms_per_request > 0


@pytest.mark.postgres
def test_the_wallet_benchmark_runs_on_postgresql_with_two_api_processes(tmp_path) -> None:  # noqa: ANN001
    """`--database` PostgreSQL and `--workers 2`: `croupier serve --workers` answers from two
    processes, the scratch database is dropped afterwards."""
    import sqlalchemy as sa

    from conftest import PG_ADMIN_URL, create_pg_database
    from croupier.bench.wallet import bench_wallet

    probe = f"croupier_probe_{tmp_path.name[-8:]}".replace("-", "_")
    create_pg_database(probe).connect().execute(sa.text(f'DROP DATABASE "{probe}"'))  # fails on CI without a server

    r = bench_wallet(rate=40, seconds=1.0, players=4, connections=4, warmup=0.25, workdir=str(tmp_path),
                     database=PG_ADMIN_URL, workers=2)
    assert r.workers == 2 and r.wallet.statuses == {200: 40} and r.ceiling.statuses == {200: 40}
    name = r.database.rsplit("/", 1)[-1]
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    admin.dispose()
    assert name.startswith("croupier_bench_") and left == 0

