"""The Flask app: POST ``/`` for Alexa, GET ``/`` and ``/health`` for health checks.

``create_app()`` is the WSGI factory for other servers (``waitress-serve --call web.app:create_app``,
``gunicorn 'web.app:create_app()'``; ``create_app(verify=False)`` for local development); it
reads the environment and ends the
process with a clear message when setup is missing. ``build_app`` is the same with every
part passed in (tests, ``strong-back serve``).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from skill.errors import ConfigurationError
from web import requestlog
from web.adapter import VerifyingSkillAdapter
from web.fetch import HttpFetcher
from web.sdk import VERIFY_SIGNATURE_APP_CONFIG, VERIFY_TIMESTAMP_APP_CONFIG
from web.settings import WebSettings
from web.signing_keys import SigningKeys, utc_now
from web.trust import load_trust_roots
from web.verifiers import SignatureVerifier, SkillIdVerifier, TimestampVerifier

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ask_sdk_core.skill import CustomSkill

    from web.fetch import Fetcher
    from web.sdk import AbstractVerifier
    from web.signing_keys import FetchBudget
    from web.trust import TrustRoots

log = logging.getLogger(__name__)
ADAPTER_KEY = "strong-back"  # where the adapter sits in app.extensions[EXTENSION_NAME] without SKILL_ID
APP_LOAD_ERROR = 4  # gunicorn's exit status for "App failed to load": it stops instead of respawning


def build_verifiers(
    settings: WebSettings,
    *,
    roots: TrustRoots | None = None,
    fetcher: Fetcher | None = None,
    now: Callable[[], datetime] = utc_now,
    budget: FetchBudget | None = None,
) -> list[AbstractVerifier]:
    """Cheap checks first, so a stale or misaddressed request never costs a certificate download."""
    verifiers: list[AbstractVerifier] = []
    if settings.verify:
        verifiers.append(TimestampVerifier(now=now))
    if settings.skill_id:
        verifiers.append(SkillIdVerifier(settings.skill_id))
    if settings.verify:
        keys = SigningKeys(
            roots or load_trust_roots(settings.trust_roots),
            fetcher or HttpFetcher(settings.test_cert_origin),
            now=now,
            budget=budget,
        )
        verifiers.append(SignatureVerifier(keys))
    return verifiers


def health(verified: bool) -> Callable[[], Response]:
    def answer() -> Response:
        return jsonify({"status": "ok", "service": "strong-back", "verification": "on" if verified else "off"})

    return answer


def _http_error(error: HTTPException) -> Response:
    response = jsonify({"error": (error.name or "error").lower()})
    response.status_code = error.code or 500
    return response


def _internal_error(error: Exception) -> Response:
    log.exception("the skill failed to answer a request")
    response = jsonify({"error": "internal error"})
    response.status_code = 500
    return response


def build_app(
    settings: WebSettings,
    skill: CustomSkill | None = None,
    *,
    roots: TrustRoots | None = None,
    fetcher: Fetcher | None = None,
    now: Callable[[], datetime] = utc_now,
    budget: FetchBudget | None = None,
) -> Flask:
    """The endpoint around ``skill`` (default: the process's one skill); ``ConfigurationError`` if setup is missing."""
    verifiers = build_verifiers(settings, roots=roots, fetcher=fetcher, now=now, budget=budget)
    if skill is None:
        from skill.alexa.builder import get_skill

        skill = get_skill()
    app = Flask("strong_back_web")
    # The SDK's own signature and timestamp verifiers are replaced by ours (in ``verifiers``).
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    app.config["STRONG_BACK_SETTINGS"] = settings
    adapter = VerifyingSkillAdapter(
        skill,
        settings.skill_id or ADAPTER_KEY,
        verifiers,
        app,
        max_body_bytes=settings.max_body_bytes,
    )
    adapter.register(app, "/", endpoint="alexa")
    app.add_url_rule("/", endpoint="health_root", view_func=health(settings.verify), methods=["GET"])
    app.add_url_rule("/health", endpoint="health", view_func=health(settings.verify), methods=["GET"])
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    requestlog.install(app, verified=settings.verify)
    return app


def create_app(verify: bool = True) -> Flask:
    """WSGI factory: the endpoint configured from the environment, for WSGI servers."""
    requestlog.configure()
    try:
        settings = WebSettings.from_env(verify=verify)
        app = build_app(settings)
    except ConfigurationError as error:
        print(f"strong-back: {error}", file=sys.stderr)
        raise SystemExit(APP_LOAD_ERROR) from None
    for warning in settings.warnings():
        log.warning(warning)
    return app
