"""Server-rendered pages: the staff desk under ``/`` and the partner portal under ``/partner/``.

Pages call the same service layer as the API with the same ``Caller`` rules; a signed-in user
is a ``Caller`` just as an API key is. ``setup.install`` mounts them on the app.

The package itself imports nothing: the service layer uses ``web.i18n`` (the documents'
languages), and importing every page module along with it would make the page modules that
import those services circular.
"""
