"""Sending a notice's e-mails: one SMTP attempt per address, each logged as an ``EmailDelivery``.

The delivery workflow's ``send_notice_emails`` activity calls ``send_notice`` once per attempt.
An address that has had a success for the notice is not written to again, so a retry sends only
what failed; every e-mail of a notice to an address carries the same ``Message-ID`` (from the
notice and the address), so a receiver can drop a duplicate should a success be sent but not
recorded. When any address fails the call raises, having recorded the successes, and the
activity's retry policy tries the rest later.

Without ``EXCHANGE_SMTP_HOST`` nothing is attempted and nothing is recorded: the notice is
still in the API, on the pages and on its way to the webhook. The SMTP password is never
logged or stored with an attempt (an error names the server's answer, not the login).
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.models import Notice
from services.exchange.offer_models import EmailDelivery
from services.exchange.service import email_notices
from services.exchange.service.email_notices import Message, Recipient
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope

SMTP_TIMEOUT_SECONDS = 30.0


class EmailFailed(RuntimeError):
    """Some address did not take the notice; the activity retries (the rest are recorded)."""


@dataclass(frozen=True, slots=True)
class Sent:
    sent: int
    already: int


def message_id(notice_id: int, address: str, mail_from: str) -> str:
    """The same for every attempt of this notice to this address (RFC 5322 ``msg-id``)."""
    digest = hashlib.sha256(f"{notice_id}\n{address.lower()}".encode()).hexdigest()[:24]
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<notice-{notice_id}.{digest}@{domain}>"


def _one_line(text: str) -> str:
    """A header value on one line: a title with a newline must not start a new header."""
    return " ".join(text.split())


def build(
    settings: Settings, notice_id: int, recipient: Recipient, message: Message
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((_one_line(settings.home_name), settings.mail_from))
    mail["To"] = formataddr((_one_line(recipient.name or ""), recipient.address))
    mail["Subject"] = _one_line(message.subject)
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message_id(notice_id, recipient.address, settings.mail_from)
    # Tells mail servers and people's autoresponders that no person sent it (RFC 3834).
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    mail["Content-Language"] = recipient.language  # after the body, which resets Content-*
    return mail


def _send(settings: Settings, mail: EmailMessage, address: str) -> None:
    """One SMTP conversation; raises ``smtplib.SMTPException`` or ``OSError`` on failure."""
    assert settings.smtp_host is not None
    host, port = settings.smtp_host, settings.smtp_port
    smtp: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        context = ssl.create_default_context()
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(mail, from_addr=settings.mail_from, to_addrs=[address])


def _error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        )
        return f"the server refused the address: {answers}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"the server answered {exc.smtp_code} {said}"
    return f"{type(exc).__name__}: {exc}"


def _find(session: Session, notice_id: int | None, exchange_id: str, seq: int) -> Notice | None:
    if notice_id is not None:
        return session.get(Notice, notice_id)
    return session.exec(
        select(Notice).where(col(Notice.exchange_id) == exchange_id, col(Notice.seq) == seq)
    ).first()


def send_notice(
    engine: Engine,
    settings: Settings,
    attempt: int,
    *,
    notice_id: int | None = None,
    exchange_id: str = "",
    seq: int = 0,
) -> Sent:
    """One attempt at every address of the notice not reached yet; raises if any failed."""
    if not settings.smtp_host:
        return Sent(sent=0, already=0)
    with Session(engine) as session:
        notice = _find(session, notice_id, exchange_id, seq)
        if notice is None or notice.id is None:
            return Sent(sent=0, already=0)
        home = settings.home_code
        to = email_notices.recipients(
            session, notice.party, notice.event, home, settings.staff_email
        )
        reached = {
            address.lower()
            for address in session.exec(
                select(EmailDelivery.address).where(
                    col(EmailDelivery.notice_id) == notice.id, col(EmailDelivery.succeeded)
                )
            )
        }
        what = email_notices.about(session, notice)
        session.expunge_all()  # the rows are read on, outside the session
    pending = [r for r in to if r.address.lower() not in reached]
    failures: list[str] = []
    for recipient in pending:
        lang = email_notices.lang_for(recipient.language, settings.timezone)
        message = email_notices.compose(
            lang, recipient, notice, what, base_url=settings.base_url, home_name=settings.home_name
        )
        started = time.perf_counter()
        error: str | None = None
        try:
            _send(settings, build(settings, notice.id, recipient, message), recipient.address)
        except (smtplib.SMTPException, OSError) as exc:
            error = _error(exc)
            failures.append(f"{recipient.address}: {error}")
        elapsed = int((time.perf_counter() - started) * 1000)
        with session_scope(engine) as session:
            session.add(
                EmailDelivery(
                    notice_id=notice.id,
                    partner_id=recipient.partner_id,
                    address=recipient.address,
                    language=lang.code,
                    subject=message.subject[:500],
                    attempt=attempt,
                    succeeded=error is None,
                    error=error,
                    duration_ms=elapsed,
                    at=datetime.now(UTC),
                )
            )
    if failures:
        raise EmailFailed("; ".join(failures))
    return Sent(sent=len(pending), already=len(to) - len(pending))
