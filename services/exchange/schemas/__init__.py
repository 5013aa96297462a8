"""Request and response bodies of API v1, one module per feature; ``common`` holds what they share.

Import from the feature's module (``services.exchange.schemas.exchanges``); this package
re-exports nothing, so that each import says where a model lives.
"""
