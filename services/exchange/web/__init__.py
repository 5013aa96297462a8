"""Server-rendered pages: the staff desk under ``/`` and the partner portal under ``/partner/``.

Pages call the same service layer as the API with the same ``Caller`` rules; a signed-in user
is a ``Caller`` just as an API key is.
"""

from services.exchange.web.setup import install

__all__ = ["install"]
