"""flask-ask-sdk's ``SkillAdapter``, answering every refused request with HTTP 400.

The SDK's webservice handler still does the work: it deserializes the envelope, runs the
verifiers registered through the SDK's hook (ours, from ``web.verifiers``), invokes
the skill and serializes the reply. Only the HTTP edge is ours: the raw body is read with a
size and time limit and decoded as strict UTF-8 (so the signature is checked over exactly the bytes
received), it must be a JSON Alexa envelope, and every failure before the skill runs is a
400 with a reason code (the stock adapter answers some of them with 500, and logs tracebacks).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ask_sdk_core.exceptions import SerializationException
from flask import Response, g, jsonify
from flask import request as flask_request

from web.body import read_body
from web.refusal import Refusal
from web.sdk import SkillAdapter, VerificationException

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill
    from flask import Flask

    from web.sdk import AbstractVerifier

_NAME = re.compile(r"[A-Za-z0-9._-]{1,80}")


def request_kind(text: str) -> str:
    """``LaunchRequest``, ``IntentRequest:StartWorkoutIntent``...; ``Refusal`` if not an Alexa envelope."""
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise Refusal("not-json") from None
    request = event.get("request") if isinstance(event, dict) else None
    kind = request.get("type") if isinstance(request, dict) else None
    if not isinstance(kind, str) or not _NAME.fullmatch(kind):
        raise Refusal("not-an-alexa-request", "no request type")
    intent = request.get("intent") if isinstance(request, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return f"{kind}:{name}" if isinstance(name, str) and _NAME.fullmatch(name) else kind


def refused(reason: str, detail: str = "") -> Response:
    """The 400 reply: a reason code, nothing else (details go to the server log)."""
    g.refusal = reason
    g.refusal_detail = detail
    response = jsonify({"error": "request refused", "reason": reason})
    response.status_code = 400
    return response


class VerifyingSkillAdapter(SkillAdapter):
    """The SDK's adapter with a size limit, strict decoding, and 400 for every refusal."""

    def __init__(
        self,
        skill: CustomSkill,
        skill_id: str,
        verifiers: list[AbstractVerifier],
        app: Flask,
        *,
        max_body_bytes: int,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        super().__init__(skill=skill, skill_id=skill_id, verifiers=verifiers, app=app)

    def dispatch_request(self) -> Response:
        """Verify the POSTed request and answer it with the skill's response envelope."""
        try:
            body = read_body(flask_request, self.max_body_bytes)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Refusal("body-not-utf8") from None
            kind = request_kind(text)
            result: Any = self._webservice_handler.verify_request_and_dispatch(
                http_request_headers=flask_request.headers, http_request_body=text
            )
        except Refusal as refusal:
            return refused(refusal.reason, refusal.detail)
        except VerificationException as error:
            return refused("verification", str(error))
        except SerializationException as error:
            # The SDK's handler deserializes the envelope before anything else: a body it cannot read.
            return refused("not-an-alexa-request", str(error)[:200])
        g.request_kind = kind
        return jsonify(result)
