"""`croupier bench wallet` runs end to end (a tiny run: it reports, it asserts nothing about speed)."""

from __future__ import annotations


def test_the_wallet_benchmark_runs_against_a_real_server(tmp_path) -> None:  # noqa: ANN001
    from croupier.bench.wallet import bench_wallet

    r = bench_wallet(rate=40, seconds=1.0, players=4, connections=4, warmup=0.25, workdir=str(tmp_path))
    assert r.wallet.requests == 40 and r.wallet.statuses == {200: 40}
    assert r.ceiling.statuses == {200: 40}
    assert r.wallet.pct(0.99) > 0
