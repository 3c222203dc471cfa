"""``strong-back serve``: the endpoint on gunicorn, a production WSGI server.

One gunicorn master with ``WEB_CONCURRENCY`` workers (default 1) of 8 threads each, listening
on plain HTTP behind a TLS reverse proxy. The app is built before the server starts, so
missing setup is one clear line, not a worker that fails to boot. Where gunicorn is not
installed (Windows), werkzeug's threaded server runs instead, with a warning.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

from skill.errors import ConfigurationError
from web import requestlog
from web.app import build_app
from web.settings import WebSettings
from web.trust import load_trust_roots

if TYPE_CHECKING:
    from flask import Flask

    from web.trust import TrustRoots

THREADS = 8


def _say(message: str) -> None:
    print(f"strong-back: {message}", file=sys.stderr, flush=True)


def _shout(message: str) -> None:
    bar = "!" * 78
    print(f"{bar}\n!!! WARNING: {message}\n{bar}", file=sys.stderr, flush=True)


def port_problem(host: str, port: int) -> str | None:
    """Why we cannot listen on ``host:port`` (in use, not allowed, no such address), or None."""
    if not 0 < port < 65536:
        return f"port {port} is not a TCP port (1-65535)"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {host!r}: {error.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use; stop the other server or choose --port"
            if error.errno == errno.EACCES:
                return f"not allowed to listen on port {port}; use a port above 1024 behind your TLS proxy"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _announce(settings: WebSettings, roots: TrustRoots | None, host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    _say(f"Alexa endpoint on http://{shown}:{port}/ (POST / from your TLS proxy; GET /health to check it)")
    if roots is not None:
        _say(f"request verification on: signing chains must lead to one of {roots.count} roots in {roots.source}")
    if settings.skill_id:
        _say(f"answering skill {settings.skill_id} only")
    for warning in settings.warnings():
        _shout(warning)
    _say("press Ctrl-C to stop")


def _run_gunicorn(app: Flask, host: str, port: int) -> int:
    from gunicorn.app.base import BaseApplication

    options: dict[str, Any] = {
        "bind": [_bind_address(host, port)],
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": 30,
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": None,  # our own one-line request log instead
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "strong-back",
        "control_socket_disable": True,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                if name in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(name, value)

        def load(self) -> Flask:
            return app

    master = os.getpid()
    try:
        Server().run()
    except SystemExit as stop:  # gunicorn ends with sys.exit(0) after Ctrl-C
        if os.getpid() != master:
            raise  # a forked worker leaving: not ours to report
        code = stop.code if isinstance(stop.code, int) else 1
    else:
        code = 0
    if code == 0:
        _say("stopped")
    return code


def _run_werkzeug(app: Flask, host: str, port: int) -> int:
    import logging

    from werkzeug.serving import make_server

    _shout("gunicorn is not installed: serving with werkzeug's threaded server, fine for trying things out only")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _say("stopped")
    finally:
        server.server_close()
    return 0


def run(host: str, port: int, verify: bool = True) -> int:
    """Serve the skill on ``host:port`` until Ctrl-C; 0 on a clean stop, 2 when it cannot start."""
    requestlog.configure()
    try:
        settings = WebSettings.from_env(verify=verify)
        roots = load_trust_roots(settings.trust_roots) if settings.verify else None
        app = build_app(settings, roots=roots)
    except ConfigurationError as error:
        _say(str(error))
        return 2
    problem = port_problem(host, port)
    if problem:
        _say(problem)
        return 2
    _announce(settings, roots, host, port)
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return _run_werkzeug(app, host, port)
    return _run_gunicorn(app, host, port)
