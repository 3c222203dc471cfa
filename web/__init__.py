"""The self-hosted HTTPS endpoint: the one skill behind flask-ask-sdk, with our own request verification.

``web.app:create_app()`` is the WSGI factory (gunicorn); ``web.serve.run`` is
``strong-back serve``. Nothing in the core imports this package.
"""
