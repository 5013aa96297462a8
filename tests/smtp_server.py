"""A real SMTP server on a free local port (``aiosmtpd``), keeping every message it accepts.

The full stacks of the tests send their notice e-mails here (``tests/conftest.py``). A test
reads what arrived for one address (``messages_to``, ``wait_for``), and can make the server
fail: refuse the next messages with a temporary error (``refuse``, as a greylisting server
answers 451) or stop listening altogether (``stop``, ``start`` again on the same port).
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as it arrived: the envelope's recipients and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    @property
    def html(self) -> str:
        body = self.message.get_body(preferencelist=("html",))
        assert body is not None
        return str(body.get_content())


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # (address or None for any, answer) for the next messages, in order.
    refusals: list[tuple[str | None, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            to = {r.lower() for r in envelope.rcpt_tos}
            for i, (address, answer) in enumerate(self.refusals):
                if address is None or address in to:
                    del self.refusals[i]
                    return answer
            message = email.message_from_bytes(envelope.content, policy=default_policy)
            assert isinstance(message, EmailMessage)
            self.received.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=[r.lower() for r in envelope.rcpt_tos],
                    message=message,
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self._handler = _Handler()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self._handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(
        self, count: int, address: str | None = None, answer: str = "451 4.7.1 Try again later"
    ) -> None:
        """Answer the next ``count`` messages (to ``address``, or any) with ``answer``."""
        target = address.lower() if address else None
        with self._handler.lock:
            self._handler.refusals.extend([(target, answer)] * count)

    def messages_to(self, address: str) -> list[Received]:
        with self._handler.lock:
            return [m for m in self._handler.received if address.lower() in m.recipients]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 60.0, subject: str | None = None
    ) -> list[Received]:
        """The messages for ``address`` (with ``subject`` in their subject, if given) once
        there are at least ``count``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                m for m in self.messages_to(address) if subject is None or subject in m.subject
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} of {count} messages arrived for {address} in {timeout} s: "
                    f"{[m.subject for m in self.messages_to(address)]}"
                )
            await asyncio.sleep(0.1)
