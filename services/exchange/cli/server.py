"""How ``exchange api`` runs uvicorn: ``EXCHANGE_API_WORKERS`` processes, one per CPU by default.

One Python process serves requests on one core at a time, so the API runs a worker process
per CPU unless told otherwise. uvicorn then needs the app as an import string
(``worker_app``), which each worker builds from the same ``EXCHANGE_*`` environment as the
parent. The migrations run once, in the parent, before any worker starts: several processes
must not race to migrate a SQLite file. ``run`` is also how the benchmarks serve their bare
comparison app, so that both are served the same way.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing.context import SpawnProcess

import anyio.to_thread
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE

from services.exchange.app import create_app
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade

log = logging.getLogger("exchange.api")

WORKER_APP = "services.exchange.cli.server:worker_app"
_GC_FIRST_GENERATION = 10_000


def worker_count(settings: Settings) -> int:
    """``EXCHANGE_API_WORKERS``, or one per CPU this process may run on when it is 0."""
    if settings.api_workers:
        return settings.api_workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def tuned(app: ASGIApp, threads: int) -> ASGIApp:
    """``app`` with its process tuned for serving many requests at once.

    - Routes written with ``def`` run on at most ``threads`` threads (``EXCHANGE_API_THREADS``)
      instead of AnyIO's 40. Threads only take turns holding the GIL, and SQLite hands the
      GIL over for every row it steps through, so with many threads most of the CPU went into
      switching between them (a page of 100 exchanges cost three times the CPU at 50
      concurrent requests than at one).
    - Once started, everything loaded so far (modules, schemas, compiled statements) is moved
      out of the garbage collector's sight (``gc.freeze``) and the collector runs after 10,000
      new objects instead of 700: with requests in flight each collection walked the whole
      app again, about 15% of a busy process's CPU.
    """

    async def serving(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        # Once per process, on its own event loop.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads

        async def started(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.freeze()
                gc.set_threshold(_GC_FIRST_GENERATION, *gc.get_threshold()[1:])
            await send(message)

        await app(scope, receive, started)

    return serving


def worker_app() -> ASGIApp:
    """The app of one worker process; the parent has already migrated the database."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
    return tuned(create_app(settings, migrate=False), settings.api_threads)


def run(app: ASGIApp | str, *, host: str, port: int, workers: int, factory: bool = False) -> int:
    """Serve ``app`` (an import string when ``workers`` > 1) until SIGINT or SIGTERM.

    Returns 3, uvicorn's code for a startup failure, when a worker could not start.
    """
    if workers == 1:
        uvicorn.run(
            app,
            host=host,
            port=port,
            factory=factory,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        return 0
    config = uvicorn.Config(
        app,
        factory=factory,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    return _supervise(config, _listening_sockets(host, port, workers, config.backlog))


def _listening_sockets(host: str, port: int, workers: int, backlog: int) -> list[socket.socket]:
    """One listening socket per worker (``SO_REUSEPORT``), or one for all where there is none.

    uvicorn's own workers share one socket, and whichever worker wakes first accepts every
    connection waiting: when 50 clients connected at once, one worker got all 50 in about
    one run in five and the other stayed idle. With a socket each, Linux spreads the new
    connections over the workers. The sockets name TCP, so that asyncio sets TCP_NODELAY on
    their connections (uvicorn's shared socket did not: each response written in two parts
    then waited about 40 ms for the client's delayed ACK).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Binding once without SO_REUSEPORT first keeps "address already in use" for a port that
    # another process, an earlier `exchange api` included, is still serving.
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    per_worker = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")
    sockets: list[socket.socket] = []
    for _ in range(workers if per_worker else 1):
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if per_worker:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets if per_worker else sockets * workers


def _worker(config: uvicorn.Config, sock: socket.socket) -> None:
    """One worker process: the app on its own listening socket until told to stop."""
    config.configure_logging()
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _supervise(config: uvicorn.Config, sockets: list[socket.socket]) -> int:
    """Start a worker per socket, replace one that dies, stop them all on SIGINT or SIGTERM.

    A worker that cannot start stops everything with its code: the next one would fail the
    same way. One that ends on its own with 0 was told to stop (Ctrl-C reaches the whole
    process group), so the others are stopped too.
    """
    spawn = multiprocessing.get_context("spawn")
    multiprocessing.allow_connection_pickling()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    def start(sock: socket.socket) -> SpawnProcess:
        process = spawn.Process(target=_worker, args=(config, sock))
        process.start()
        return process

    processes = [start(sock) for sock in sockets]
    code = 0
    while not stopping.wait(0.5):
        for index, process in enumerate(processes):
            if process.exitcode is None:
                continue
            if process.exitcode in (0, STARTUP_FAILURE):
                code = process.exitcode
                stopping.set()
                break
            log.warning("API worker %s ended with %s, replaced", process.pid, process.exitcode)
            processes[index] = start(sockets[index])
    for process in processes:
        if process.exitcode is None:
            process.terminate()  # SIGTERM: uvicorn finishes the requests under way
    for process in processes:
        process.join()
    for sock in sockets:
        sock.close()
    return code


def serve(settings: Settings, *, migrate: bool) -> int:
    """``exchange api``: one process with the app, or the workers after the migrations."""
    workers = worker_count(settings)
    if workers == 1:
        app = tuned(create_app(settings, migrate=migrate), settings.api_threads)
        return run(app, host=settings.host, port=settings.port, workers=1)
    if migrate:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    return run(WORKER_APP, host=settings.host, port=settings.port, workers=workers, factory=True)
