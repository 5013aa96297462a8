"""The writers' turn of selections on SQLite: one holder at a time, in threads and processes.

``writer_turn`` only orders writers (the database still decides every race), so what matters
is that two holders never overlap, that another process waits for the lock file too, and that
PostgreSQL and in-memory SQLite are left alone.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine

from services.exchange.service.writer_turn import writer_turn


def test_threads_take_turns(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    inside = 0
    most = 0
    guard = threading.Lock()

    def hold() -> None:
        nonlocal inside, most
        for _ in range(20):
            with writer_turn(engine):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert (tmp_path / "turns.db.writers.lock").exists()


def test_another_process_waits_for_the_lock_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with writer_turn(engine):
        pid = os.fork()
        if pid == 0:  # the child: the file is held, so a non-blocking try must fail
            fd = os.open(tmp_path / "turns.db.writers.lock", os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    fd = os.open(tmp_path / "turns.db.writers.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the block
    finally:
        os.close(fd)


def test_nothing_to_wait_for_without_a_file(tmp_path: Path) -> None:
    memory = create_engine("sqlite://")
    with writer_turn(memory), writer_turn(memory):  # no lock taken: nesting cannot block
        pass
    server = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with writer_turn(server), writer_turn(server):
        pass
    assert list(tmp_path.iterdir()) == []
