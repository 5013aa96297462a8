"""Printable documents as PDF: a Jinja template under ``web/templates/documents/`` rendered
by WeasyPrint, in the reader's language.

One place for what every document shares (offer lists now; transfer acts and packing lists
next): the print stylesheet (``documents/print.css``: A4, the table header repeated on every
page, page numbers in the footer), fonts found by family name through fontconfig (Debian's
DejaVu covers Latin and Cyrillic), and the answer when WeasyPrint cannot run here. WeasyPrint
needs Pango; a machine without it gets a 503 problem that says what is missing, never a 500,
and everything else in the service keeps working.

WeasyPrint runs in a child process (this Python, ``-c``), one per document: laying out a long
table takes minutes of CPU (about 2 ms a cell, so a 5,000-item list is two minutes here) and
much memory, which in the API process would hold the GIL against every other request and keep
the memory. The child costs about a second to start; what it made is kept (``cache_dir``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.exchange.problems import Problem
from services.exchange.web.i18n import Lang

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parents[1] / "web" / "templates"
CACHED_DOCUMENTS = 200
# Family names fontconfig resolves; DejaVu first because it has Cyrillic in every style.
FONT_FAMILIES = '"DejaVu Sans", "Noto Sans", "Liberation Sans", sans-serif'

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:``), safe inside ``<style>``: the
    template puts it there unescaped, so ``<`` and ``>`` are CSS escapes too."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\a ")
        .replace("<", "\\3c ")
        .replace(">", "\\3e ")
    )
    return f'"{escaped}"'


def page_counter(lang: Lang) -> str:
    """The footer's ``content`` value: "Page 2 of 7" in the reader's language, the numbers
    left to the page counters (a translation may put them in any order)."""
    text = lang.gettext("Page {page} of {pages}", page="\x00page\x00", pages="\x00pages\x00")
    parts: list[str] = []
    for piece in text.split("\x00"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


# The child: WeasyPrint on the HTML from stdin, the PDF to stdout; exit 3 if it cannot load.
# Only data: URLs are fetched, so a document never reads a file or the network.
_CHILD = """
import sys
try:
    import weasyprint, weasyprint.urls
except (ImportError, OSError) as exc:
    sys.stderr.write(f"{type(exc).__name__}: {exc}")
    sys.exit(3)
html = sys.stdin.buffer.read().decode("utf-8")
fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",))
sys.stdout.buffer.write(weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf())
"""
UNAVAILABLE = 3
RENDER_TIMEOUT = 900.0  # seconds: a 20,000-item list, with room


def _unavailable(reason: str) -> Problem:
    log.warning("PDF output is unavailable: %s", reason)
    return Problem(
        503,
        "pdf-unavailable",
        "PDF output needs WeasyPrint with Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0, "
        f"fonts-dejavu-core), which this server cannot use: {reason}",
    )


def html_to_pdf(html: str, python: str = sys.executable) -> bytes:
    """The HTML laid out by WeasyPrint in a child ``python``; a 503 problem if it cannot
    load there (not installed, no Pango) or does not finish."""
    try:
        done = subprocess.run(
            [python, "-c", _CHILD],
            input=html.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _unavailable(str(exc)) from None
    reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if done.returncode == UNAVAILABLE:
        raise _unavailable(reason[-1] if reason else "WeasyPrint cannot be imported")
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        log.error("WeasyPrint failed (exit %s): %s", done.returncode, "\n".join(reason[-20:]))
        raise _unavailable(f"the PDF could not be made (exit {done.returncode})")
    return done.stdout


def _version() -> str:
    try:
        return metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        return "none"


def render_html(template: str, context: dict[str, Any], lang: Lang) -> str:
    """The document as HTML, with the language's ``_``/``ngettext`` as the pages have them."""
    values = {
        "lang": lang,
        "_": lang.gettext,
        "ngettext": lang.ngettext,
        "font_families": FONT_FAMILIES,
        "page_counter": page_counter(lang),
        **context,
    }
    return _environment.get_template(template).render(values)


def render_pdf(
    template: str, context: dict[str, Any], lang: Lang, *, cache_dir: Path | None = None
) -> bytes:
    """A template of ``web/templates`` (``documents/...``) as a PDF document.

    Nothing is fetched while rendering: the stylesheet is included in the document and the
    fonts are the machine's, so a document renders the same offline. With ``cache_dir`` a
    document whose HTML was rendered before is given again from there (the same list,
    language and counts make the same HTML); the ``CACHED_DOCUMENTS`` last used are kept.
    """
    html = render_html(template, context, lang)
    cached = None
    if cache_dir is not None:
        digest = hashlib.sha256(f"{_version()}\0{html}".encode()).hexdigest()
        cached = cache_dir / f"{digest}.pdf"
        try:
            data = cached.read_bytes()
            os.utime(cached)  # recently used: kept longer
            return data
        except OSError:
            pass
    pdf = html_to_pdf(html)
    if cached is not None:
        _keep(cached, pdf)
    return pdf


def _keep(path: Path, data: bytes) -> None:
    """Write the document atomically (another process may read it at once), then drop the
    least recently used beyond ``CACHED_DOCUMENTS``. A cache that cannot be written is only
    slower, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(name, path)
        files = sorted(path.parent.glob("*.pdf"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in files[CACHED_DOCUMENTS:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not keep a rendered document in %s: %s", path.parent, exc)
