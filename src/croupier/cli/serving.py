"""Running the app under uvicorn, and stopping it without dropping a request.

On SIGTERM uvicorn stops accepting connections and asks every open connection to shut down.
Its own HTTP protocol closes an idle keep-alive connection at once, so a request the client
sent at that moment was lost without an answer. `DrainingHTTP` answers instead: a request
in flight completes (its answer says `Connection: close`), and one arriving during the drain
gets 503 with `Retry-After` and `Connection: close`. A connection that stays idle is closed
after DRAIN_IDLE_SECONDS. The process exits once every connection has closed, or at the
graceful timeout (requests still running are then cancelled); the app's lifespan shutdown
then snapshots the engine and releases its lease (`Runtime.close`)."""

from __future__ import annotations

import socket
from typing import Any

import msgspec
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

RETRY_AFTER_SECONDS = 1
DRAIN_IDLE_SECONDS = 1.0     # how long an idle keep-alive connection may still bring a request
WORKER_READY_SECONDS = 30    # how long a rolling restart waits for a new worker before giving up

STOPPING = msgspec.json.encode({"detail": {
    "error": "stopping", "message": f"the server is stopping; retry in {RETRY_AFTER_SECONDS} s"}})
_STOPPING_HEADERS = [(b"content-type", b"application/json"), (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                     (b"connection", b"close"), (b"content-length", str(len(STOPPING)).encode())]


async def answer_stopping(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI app of a draining connection: every request is refused, never processed."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 503, "headers": _STOPPING_HEADERS})
    await send({"type": "http.response.body", "body": STOPPING})


class DrainingHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools, else h11) with a draining shutdown."""

    def shutdown(self) -> None:
        self.app = answer_stopping       # what arrives from now on is answered 503
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.response_started:
            cycle.keep_alive = False     # the answer in flight tells the client to reconnect
        self.loop.call_later(DRAIN_IDLE_SECONDS, self._close_when_idle)

    def _close_when_idle(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()
        else:   # a request still being answered: look again later (the graceful timeout bounds it)
            self.loop.call_later(DRAIN_IDLE_SECONDS, self._close_when_idle)


def listen(host: str, port: int) -> socket.socket:
    """Bind the port before the app is built, so connections made while it starts wait in
    the kernel's queue and are answered once it is ready, instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(application: Any, sock: socket.socket, *, graceful_timeout: int) -> None:
    """One process: the app on an already bound socket. uvicorn's own forwarded-header
    handling would believe any local peer, so it is off: the app believes configured proxies."""
    import uvicorn

    config = uvicorn.Config(application, http=DrainingHTTP, timeout_graceful_shutdown=graceful_timeout,
                            log_level="warning", access_log=False, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(factory: str, host: str, port: int, *, workers: int, graceful_timeout: int) -> None:
    """`workers` processes under uvicorn's supervisor, sharing one socket: SIGTERM drains and
    stops them all, SIGHUP replaces them one at a time, each new one serving before the old
    one drains."""
    import uvicorn

    config = uvicorn.Config(factory, factory=True, workers=workers, host=host, port=port, http=DrainingHTTP,
                            timeout_graceful_shutdown=graceful_timeout,
                            timeout_worker_healthcheck=WORKER_READY_SECONDS, log_level="warning", access_log=False,
                            proxy_headers=False)   # the app believes configured proxies only (create_app)
    sock = config.bind_socket()
    sock.listen(config.backlog)   # as one process does: connections queue while the workers start
    _Supervisor(config, sockets=[sock]).run()


class _Supervisor(Multiprocess):
    def terminate_all(self) -> None:
        """Stopping: close the supervisor's copy of the socket, stop every worker but one,
        then the last. While any process holds the socket the kernel completes new
        connections and queues them; one still queued when the last copy closes is reset
        with its request unanswered. The clients of the first workers to drain reconnect to
        the last one, which answers them; once it has closed its socket too, new
        connections are refused, which a client can always retry."""
        for sock in self.sockets:
            sock.close()
        *first, last = self.processes
        for process in first:
            process.terminate()
        for process in first:
            process.join()
        last.terminate()
