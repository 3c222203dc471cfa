"""The self-hosted HTTPS endpoint: the one skill behind flask-ask-sdk, with our own request verification.

``web.app:create_app()`` is the WSGI factory (for any WSGI server); ``web.serve.run`` is
``strong-back serve``, on the deadline-enforcing waitress server in ``web.server``. Nothing in the
core imports this package.
"""
