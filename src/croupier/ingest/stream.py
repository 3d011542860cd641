"""The stream consumer: events from NATS JetStream into the durable log and the engine.

Producers publish to `croupier.events.<brand>.<partition>`, where the partition is a stable
hash of `player_id`, so one player's events always travel on one subject, in order. A durable
pull consumer fetches batches; each batch is validated, committed to the log (`store_parsed`),
run through the engine, and only then acknowledged. A crash before the commit or before the
ack means JetStream delivers the messages again, and event_id dedupe makes that harmless.

Invalid events are never retried: they are acknowledged and published, with the reason, to
the dead-letter subject `croupier.rejected` (kept in a stream of their own), and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from croupier.events import Event, EventError
from croupier.ingest.batch import IngestResult, config_in_force, store_parsed
from croupier.ingest.parsing import original_of, parse_raws, split_message
from croupier.players import EngineConfig
from croupier.store import Database

log = logging.getLogger("croupier.ingest.stream")

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_STREAM = "CROUPIER_EVENTS"
SUBJECT_PREFIX = "croupier.events"
DEAD_LETTER_SUBJECT = "croupier.rejected"
DEFAULT_DURABLE = "croupier-engine"
DEFAULT_PARTITIONS = 16
_UNSAFE_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


# -- producers ---------------------------------------------------------------------------------

def partition_of(player_id: str, partitions: int = DEFAULT_PARTITIONS) -> int:
    """CRC-32 (IEEE, as zlib/Java/Go compute it) of the UTF-8 player_id, modulo `partitions`:
    stable across processes, languages and restarts, unlike Python's hash()."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    return zlib.crc32(player_id.encode("utf-8")) % partitions


def subject_token(text: str) -> str:
    """`text` as one NATS subject token: characters other than letters, digits, '-' and '_'
    (dots, spaces, wildcards) become '_'."""
    return _UNSAFE_TOKEN.sub("_", text) or "_"


def subject_for(event: dict[str, Any] | Event, partitions: int = DEFAULT_PARTITIONS,
                prefix: str = SUBJECT_PREFIX) -> str:
    """`<prefix>.<brand>.<partition>` for an event (a dict as sent, or a protocol struct)."""
    if isinstance(event, dict):
        player, brand = event.get("player_id"), event.get("brand")
    else:
        player, brand = getattr(event, "player_id", None), getattr(event, "brand", None)
    player = player if isinstance(player, str) else ""
    brand = brand if isinstance(brand, str) else ""
    return f"{prefix}.{subject_token(brand)}.{partition_of(player, partitions)}"


async def connect(url: str, *, name: str = "croupier", attempts: int = 3) -> Client:
    """Connect, failing within seconds when the server is unreachable; once connected, keep
    reconnecting for as long as it takes (a NATS restart must not stop a consumer)."""

    async def log_error(exc: Exception) -> None:
        log.warning("NATS %s: %s", url, exc or type(exc).__name__)

    nc = await nats.connect(url, name=name, connect_timeout=3, reconnect_time_wait=1,
                            max_reconnect_attempts=attempts, error_cb=log_error)
    nc.options["max_reconnect_attempts"] = -1
    return nc


async def ensure_stream(js: JetStreamContext, name: str = DEFAULT_STREAM,
                        prefix: str = SUBJECT_PREFIX) -> None:
    """Create the event stream (file storage, subjects `<prefix>.>`) unless it exists."""
    await _ensure(js, name, [f"{prefix}.>"])


async def _ensure(js: JetStreamContext, name: str, subjects: list[str]) -> None:
    try:
        await js.stream_info(name)
        return
    except nats.js.errors.NotFoundError:
        pass
    try:
        await js.add_stream(StreamConfig(name=name, subjects=subjects))
    except nats.js.errors.BadRequestError as exc:
        try:
            await js.stream_info(name)  # created concurrently by someone else: fine
        except nats.js.errors.NotFoundError:
            raise ConsumerError(f"cannot create the stream {name!r} for {', '.join(subjects)}: "
                                f"{exc.description}") from None


async def publish_events(target: Client | str, events: Iterable[dict[str, Any] | Event | bytes], *,
                         partitions: int = DEFAULT_PARTITIONS, prefix: str = SUBJECT_PREFIX,
                         stream: str | None = DEFAULT_STREAM, per_message: int = 1,
                         dedupe: bool = True) -> int:
    """Publish events to their partition subjects and wait until JetStream has stored them.

    `target` is a connection or a server URL. `per_message` > 1 packs consecutive events of one
    subject into JSON arrays. With `dedupe`, single-event messages carry `Nats-Msg-Id: <event_id>`
    so the stream drops a producer's retries within its duplicate window. `stream` is created if
    missing (None: publish only). Returns the number of messages published."""
    nc = await connect(target, name="croupier-publish") if isinstance(target, str) else target
    try:
        js = nc.jetstream()
        if stream:
            await ensure_stream(js, stream, prefix)
        pending: list[asyncio.Future[Any]] = []
        groups: dict[str, list[bytes]] = {}
        sent = 0

        async def send(subject: str, payload: bytes, event_id: str | None) -> None:
            nonlocal sent
            headers = {"Nats-Msg-Id": event_id} if dedupe and event_id else None
            pending.append(await js.publish_async(subject, payload, headers=headers))
            sent += 1
            if len(pending) >= 1_000:
                await _settle_publishes(pending)

        for event in events:
            payload, obj = _encode(event)
            subject = subject_for(obj, partitions, prefix)
            if per_message <= 1:
                event_id = obj.get("event_id")
                await send(subject, payload, event_id if isinstance(event_id, str) else None)
                continue
            group = groups.setdefault(subject, [])
            group.append(payload)
            if len(group) >= per_message:
                await send(subject, b"[" + b",".join(group) + b"]", None)
                groups[subject] = []
        for subject, group in groups.items():
            if group:
                await send(subject, b"[" + b",".join(group) + b"]", None)
        await _settle_publishes(pending)
        return sent
    finally:
        if isinstance(target, str):
            await nc.close()


async def _settle_publishes(pending: list[asyncio.Future[Any]]) -> None:
    results = await asyncio.gather(*pending, return_exceptions=True)
    pending.clear()
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _encode(event: dict[str, Any] | Event | bytes) -> tuple[bytes, dict[str, Any]]:
    if isinstance(event, bytes | bytearray):
        try:
            obj = msgspec.json.decode(event)
        except msgspec.DecodeError:
            obj = {}
        return bytes(event), obj if isinstance(obj, dict) else {}
    if isinstance(event, dict):
        return msgspec.json.encode(event), event
    payload = msgspec.json.encode(event)
    return payload, {"event_id": event.event_id, "player_id": event.player_id, "brand": event.brand}


# -- the consumer ------------------------------------------------------------------------------

@dataclass(slots=True)
class ConsumerSettings:
    url: str = DEFAULT_URL
    stream: str = DEFAULT_STREAM
    subject_prefix: str = SUBJECT_PREFIX
    durable: str = DEFAULT_DURABLE
    partitions: int = DEFAULT_PARTITIONS
    # The partitions this worker owns (one durable consumer each, named <durable>-p<n>);
    # None: every subject, through the single durable consumer <durable>.
    owned: tuple[int, ...] | None = None
    dead_letter: str = DEAD_LETTER_SUBJECT
    # Stream that keeps the dead letters; None: "<stream>_REJECTED"; "": publish without keeping.
    dead_letter_stream: str | None = None
    batch: int = 1_000
    ack_wait: float = 30.0          # seconds a fetched message stays ours before redelivery
    fetch_timeout: float = 1.0      # seconds a fetch waits for messages


@dataclass(slots=True)
class ConsumerTotals:
    messages: int = 0
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    redelivered: int = 0       # messages seen again (their earlier delivery was never acked)
    processed: int = 0         # events the engine ran
    batches: int = 0
    store_failures: int = 0    # batches that failed before the commit and were retried
    engine_failures: int = 0   # batches stored and acked whose engine run failed (it catches up)
    started: float = field(default_factory=time.monotonic)

    @property
    def events_per_second(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.events / elapsed if elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "events": self.events, "accepted": self.accepted,
                "duplicates": self.duplicates, "rejected": self.rejected,
                "redelivered": self.redelivered, "processed": self.processed,
                "batches": self.batches, "store_failures": self.store_failures,
                "engine_failures": self.engine_failures}


@dataclass(slots=True)
class BatchOutcome:
    messages: int = 0
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    redelivered: int = 0
    processed: int = 0
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    engine_error: str | None = None


class ConsumerError(RuntimeError):
    """The consumer cannot start as configured (e.g. a durable with another filter)."""


class StreamConsumer:
    """One worker: fetch → validate → store durably → engine → ack, until stopped.

    `engine` is a `croupier.engine.Engine`, closed by the caller (None: store only). Only the
    engine holding the database's lease processes; several workers may share one database
    and the lease holder processes what they all store. Database and engine calls run in a
    worker thread so that the NATS connection keeps answering pings while a batch commits."""

    def __init__(self, db: Database, settings: ConsumerSettings | None = None, *, engine: Any = None,
                 on_progress: Callable[[ConsumerTotals], None] | None = None,
                 config: EngineConfig | None = None):
        """`config`: the start configuration; an approved version in the database wins over it
        (it says which brands take money as events: `money_of_record`)."""
        self.db, self.settings, self.engine, self.config = db, settings or ConsumerSettings(), engine, config
        self.on_progress = on_progress
        self.totals = ConsumerTotals()
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self._subs: dict[str, JetStreamContext.PullSubscription] = {}
        self._inflight: dict[str, asyncio.Task[list[Msg]]] = {}
        self._stop = asyncio.Event()
        self._dead_letters_kept = False

    # -- lifecycle ------------------------------------------------------------------------
    async def connect(self) -> None:
        """Connect, create the streams if missing, and bind the durable consumer(s)."""
        s = self.settings
        if s.owned is not None and any(not 0 <= p < s.partitions for p in s.owned):
            raise ConsumerError(f"owned partitions {list(s.owned)} must lie in 0..{s.partitions - 1}")
        self.nc = await connect(s.url, name=f"croupier-consume-{s.durable}")
        self.js = self.nc.jetstream()
        await ensure_stream(self.js, s.stream, s.subject_prefix)
        await self._ensure_dead_letters()
        for name, subject in self.consumers():
            self._subs[name] = await self._bind(name, subject)

    def consumers(self) -> list[tuple[str, str]]:
        """(durable name, filter subject) of every JetStream consumer this worker reads."""
        s = self.settings
        if s.owned is None:
            return [(s.durable, f"{s.subject_prefix}.>")]
        return [(f"{s.durable}-p{p}", f"{s.subject_prefix}.*.{p}") for p in sorted(set(s.owned))]

    async def _bind(self, name: str, subject: str) -> JetStreamContext.PullSubscription:
        assert self.js is not None
        s = self.settings
        try:
            info = await self.js.consumer_info(s.stream, name)
        except nats.js.errors.NotFoundError:
            info = None
        if info is not None and info.config.filter_subject not in (None, subject):
            raise ConsumerError(f"durable consumer {name!r} on stream {s.stream!r} filters "
                                f"{info.config.filter_subject!r}, not {subject!r}: choose another "
                                "--durable name or delete that consumer")
        config = ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.ALL, ack_wait=s.ack_wait,
                                max_ack_pending=max(4 * s.batch, 1_000), filter_subject=subject)
        return await self.js.pull_subscribe(subject, durable=name, stream=s.stream, config=config)

    async def _ensure_dead_letters(self) -> None:
        assert self.js is not None
        s = self.settings
        if s.dead_letter_stream == "":
            return
        try:
            await self.js.find_stream_name_by_subject(s.dead_letter)
        except nats.js.errors.NotFoundError:
            await _ensure(self.js, s.dead_letter_stream or f"{s.stream}_REJECTED", [s.dead_letter])
        self._dead_letters_kept = True

    def stop(self) -> None:
        """Finish the batch in hand (store, ack), then return from `run`."""
        self._stop.set()

    async def close(self) -> None:
        """Give back anything fetched but not handled (nak: redelivered at once), unbind
        and disconnect. The durable consumers stay, with their position."""
        if self._inflight:
            await asyncio.wait(self._inflight.values(), timeout=self.settings.fetch_timeout + 1)
            for task in self._inflight.values():
                if task.done() and not task.cancelled() and task.exception() is None:
                    for msg in task.result():
                        with contextlib.suppress(Exception):
                            await msg.nak()
                else:
                    task.cancel()
            self._inflight.clear()
        for sub in self._subs.values():
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()
        if self.engine is not None:
            try:
                await asyncio.to_thread(self.engine.flush)
            except Exception:  # noqa: BLE001 - a snapshot is derived; the next engine rebuilds it
                log.exception("the engine could not snapshot on close")
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.drain()
        self.nc = self.js = None

    # -- the loop -------------------------------------------------------------------------
    async def run(self, *, until_idle: bool = False, handle_signals: bool = False) -> ConsumerTotals:
        """Consume until `stop()` (or SIGINT/SIGTERM with `handle_signals`), or with
        `until_idle` until nothing is pending or awaiting an ack. Closes the connection."""
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        try:
            if self.nc is None:
                await self.connect()
            while not self._stop.is_set():
                if self.nc is None or self.nc.is_closed:
                    raise ConsumerError(f"the connection to {self.settings.url} was closed")
                try:
                    msgs = await self.fetch()
                except Exception as exc:  # noqa: BLE001 - connection trouble: nats-py reconnects
                    log.warning("fetching from %s failed: %s; retrying", self.settings.stream, exc)
                    await self._pause(1.0)
                    continue
                if msgs:
                    await self.settle(msgs)
                else:
                    await asyncio.to_thread(self._engine_idle)
                    if until_idle and await self.drained():
                        break
                self._progress()
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            await self.close()
        self._progress()
        return self.totals

    async def fetch(self) -> list[Msg]:
        """The next messages from whichever owned consumers have some (waits at most
        `fetch_timeout`, less when stopped). A partition has one fetch at a time and its
        messages are handled before its next fetch, so per-subject order is kept."""
        for name, sub in self._subs.items():
            if name not in self._inflight:
                self._inflight[name] = asyncio.create_task(self._fetch_from(sub))
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait([*self._inflight.values(), stopped],
                               timeout=self.settings.fetch_timeout + 0.5,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        msgs: list[Msg] = []
        failures: list[BaseException] = []
        for name, task in list(self._inflight.items()):
            if task.done():
                del self._inflight[name]
                if task.exception() is not None:
                    failures.append(task.exception())  # type: ignore[arg-type]
                else:
                    msgs.extend(task.result())
        if failures and not msgs:
            raise failures[0]
        for failure in failures:
            log.warning("a fetch failed: %s; retrying", failure)
        return msgs

    async def _fetch_from(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        try:
            return await sub.fetch(self.settings.batch, timeout=self.settings.fetch_timeout)
        except (nats.errors.TimeoutError, asyncio.TimeoutError):
            return []

    async def settle(self, msgs: list[Msg]) -> BatchOutcome | None:
        """Handle `msgs` until their commit succeeds (retrying with backoff while the
        database is unavailable, keeping the messages ours), then ack them. If stopped while
        failing, nak them for redelivery and return None."""
        delay = 0.5
        while True:
            try:
                outcome = await self._handle_keeping(msgs)
                break
            except Exception as exc:  # noqa: BLE001 - nothing committed: retry the same batch
                self.totals.store_failures += 1
                log.error("storing %d messages failed (%s: %s); retrying in %.1fs",
                          len(msgs), type(exc).__name__, exc, delay)
                for msg in msgs:
                    with contextlib.suppress(Exception):
                        await msg.in_progress()
                if await self._pause(delay):
                    for msg in msgs:
                        with contextlib.suppress(Exception):
                            await msg.nak()
                    return None
                delay = min(delay * 2, 30.0)
        await self.ack(msgs)
        return outcome

    async def _handle_keeping(self, msgs: list[Msg]) -> BatchOutcome:
        """`handle`, telling JetStream we are still at it when a commit takes long, so a
        slow batch is not redelivered to ourselves meanwhile."""
        task = asyncio.ensure_future(self.handle(msgs))
        interval = max(self.settings.ack_wait / 3, 0.2)
        while not (await asyncio.wait({task}, timeout=interval))[0]:
            for msg in msgs:
                with contextlib.suppress(Exception):
                    await msg.in_progress()
        return task.result()

    async def handle(self, msgs: list[Msg]) -> BatchOutcome:
        """Validate, store durably, run the engine, publish dead letters. No ack: the caller
        acks after this returns (`settle`), so a crash in between means redelivery."""
        outcome = BatchOutcome(messages=len(msgs))
        raws: list[bytes] = []
        origins: list[tuple[Msg, int]] = []
        for msg in msgs:
            if msg.metadata.num_delivered > 1:
                outcome.redelivered += 1
            try:
                items = split_message(msg.data)
            except EventError as exc:
                outcome.events += 1
                outcome.dead_letters.append(self._dead_letter(msg, None, None, exc.field, exc.reason,
                                                              exc.value, msg.data))
                continue
            raws.extend(items)
            origins.extend((msg, i) for i in range(len(items)))
        parsed = parse_raws(raws)
        rejected = parsed.rejected
        outcome.events += len(raws)
        if parsed.events:
            result, outcome.processed, outcome.engine_error = await asyncio.to_thread(self._store, parsed)
            outcome.accepted, outcome.duplicates = result.accepted, len(result.duplicates)
            rejected = result.rejected   # the parser's, and money events a ledger brand takes no events for
        for r in rejected:
            msg, index = origins[r.index]
            outcome.dead_letters.append(self._dead_letter(msg, index, r.event_id, r.field, r.reason,
                                                          r.value, raws[r.index]))
        outcome.dead_letters.sort(key=lambda d: (d["stream_seq"], d["index"] or 0))
        await self._publish_dead_letters(outcome.dead_letters)
        t = self.totals
        t.batches += 1
        t.messages += outcome.messages
        t.events += outcome.events
        t.accepted += outcome.accepted
        t.duplicates += outcome.duplicates
        t.rejected += len(outcome.dead_letters)
        t.redelivered += outcome.redelivered
        t.processed += outcome.processed
        if outcome.engine_error:
            t.engine_failures += 1
        return outcome

    async def ack(self, msgs: list[Msg]) -> None:
        for msg in msgs:
            await msg.ack()
        assert self.nc is not None
        await self.nc.flush()

    async def drained(self) -> bool:
        """True when no owned consumer has messages pending or awaiting an ack."""
        for sub in self._subs.values():
            try:
                info = await sub.consumer_info()
            except Exception as exc:  # noqa: BLE001 - unknown means not drained; asked again next round
                log.warning("reading consumer info failed: %s", exc)
                return False
            if info.num_pending or info.num_ack_pending:
                return False
        return True

    # -- internals ------------------------------------------------------------------------
    def _store(self, parsed: Any) -> tuple[IngestResult, int, str | None]:
        result = store_parsed(self.db, parsed, config=config_in_force(self.db, self.config))
        if self.engine is None:
            return result, 0, None
        try:
            return result, self.engine.submit(result.stored).events, None
        except Exception as exc:  # noqa: BLE001 - stored is acknowledged; the engine catches up from the log
            log.exception("the engine failed on a stored batch; it resumes from its cursor")
            return result, 0, f"{type(exc).__name__}: {exc}"

    def _engine_idle(self) -> None:
        """While the stream is quiet: catch up with events other processes stored (other
        workers on this database, or after this engine gained the lease) and snapshot."""
        if self.engine is None:
            return
        try:
            self.totals.processed += self.engine.process_pending().events
            self.engine.flush_if_due()
        except Exception:  # noqa: BLE001 - the durable log is intact; retried next time
            log.exception("the engine failed while idle; it resumes from its cursor")

    def _dead_letter(self, msg: Msg, index: int | None, event_id: str | None, fld: str | None,
                     reason: str, value: Any, original: bytes) -> dict[str, Any]:
        meta = msg.metadata
        letter = {"stream": self.settings.stream, "subject": msg.subject,
                  "stream_seq": meta.sequence.stream, "index": index, "event_id": event_id,
                  "field": fld, "reason": reason, "value": value, "original": original_of(original),
                  "rejected_at": datetime.now(timezone.utc).isoformat()}
        log.warning("rejected %s (stream %s seq %d%s): %s%s", event_id or "a message",
                    self.settings.stream, meta.sequence.stream,
                    "" if index is None else f" index {index}", f"{fld}: " if fld else "", reason)
        return letter

    async def _publish_dead_letters(self, letters: list[dict[str, Any]]) -> None:
        assert self.nc is not None and self.js is not None
        subject = self.settings.dead_letter
        for letter in letters:
            payload = msgspec.json.encode(letter)
            if self._dead_letters_kept:
                # The id makes a retried batch (crash before ack) publish each letter once.
                msg_id = f"{letter['stream']}:{letter['stream_seq']}:{letter['index']}"
                await self.js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
            else:
                await self.nc.publish(subject, payload)

    async def _pause(self, seconds: float) -> bool:
        """Sleep, waking early when stopped; True if stopped."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        return self._stop.is_set()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.totals)


async def consume(db: Database, settings: ConsumerSettings | None = None, *, engine: Any = None,
                  until_idle: bool = False, handle_signals: bool = False,
                  on_progress: Callable[[ConsumerTotals], None] | None = None,
                  config: EngineConfig | None = None) -> ConsumerTotals:
    """Run one consumer to completion (see `StreamConsumer.run`)."""
    consumer = StreamConsumer(db, settings, engine=engine, on_progress=on_progress, config=config)
    return await consumer.run(until_idle=until_idle, handle_signals=handle_signals)
