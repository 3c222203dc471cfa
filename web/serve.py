"""``strong-back serve``: the endpoint on waitress with request deadlines (``web.server``).

One process: an I/O thread that buffers every request whole, within its header and body
deadlines, and 8 worker threads that only ever run requests that have fully arrived. Plain
HTTP, meant to sit behind a TLS reverse proxy, but safe against slow and idle clients on its
own. The app is built and the port checked before the server starts, so missing setup or a
taken port is one clear line.
"""

from __future__ import annotations

import errno
import signal
import socket
import sys
from typing import TYPE_CHECKING

from skill.errors import ConfigurationError
from web import requestlog
from web.app import build_app
from web.server import make_server
from web.settings import WebSettings
from web.trust import load_trust_roots

if TYPE_CHECKING:
    from flask import Flask

    from web.trust import TrustRoots


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


def _serve(app: Flask, host: str, port: int) -> int:
    """Run the server until Ctrl-C or SIGTERM, then stop cleanly."""
    server = make_server(app, host, port)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns after Ctrl-C (waitress catches KeyboardInterrupt and stops its threads)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    _say("stopped")
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
    return _serve(app, host, port)
