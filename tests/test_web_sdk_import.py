"""flask-ask-sdk on today's systems: why it needs help to import, and that the help holds.

The first test is a canary: it fails the day flask-ask-sdk imports on its own here (a fixed
oscrypto or certvalidator), so the stand-in in ``web/sdk.py`` can be dropped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from flask import Flask

from skill.alexa.builder import build_skill
from skill.alexa.persistence import sqlite_adapter
from tests.support.web_pki import launch_event, pki, signed
from web.sdk import SkillAdapter, VerificationException, import_sdk_verifier

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this virtualenv, from the project root."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_flask_ask_sdk_still_cannot_be_imported_on_its_own() -> None:
    result = python("import flask_ask_sdk.skill_adapter")
    assert result.returncode != 0, (
        "flask-ask-sdk now imports without help: the certvalidator stand-in in web/sdk.py "
        "is no longer needed (keep our verifiers). See docs/self-hosting.md."
    )
    assert "certvalidator" in result.stderr, result.stderr[-2000:]


def test_through_web_the_sdk_imports_and_no_stand_in_is_left_behind() -> None:
    result = python(
        "import json, sys\n"
        "import web.sdk as sdk\n"
        "from flask_ask_sdk.skill_adapter import SkillAdapter\n"
        "import ask_sdk_webservice_support.verifier as verifier\n"
        "print(json.dumps({'same_adapter': SkillAdapter is sdk.SkillAdapter,\n"
        "    'left': [name for name in sys.modules if name.startswith('certvalidator')],\n"
        "    'stand_in_bound': getattr(verifier.CertificateValidator, 'STAND_IN', False)}))\n"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"same_adapter": True, "left": [], "stand_in_bound": True}


def test_a_module_already_loaded_under_the_name_is_put_back() -> None:
    result = python(
        "import sys, types\n"
        "mine = types.ModuleType('certvalidator')\n"
        "sys.modules['certvalidator'] = mine\n"
        "import web.sdk\n"
        "print(sys.modules['certvalidator'] is mine, 'certvalidator.errors' in sys.modules)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def parsed(body: bytes) -> RequestEnvelope:
    envelope = DefaultSerializer().deserialize(body.decode(), RequestEnvelope)
    assert isinstance(envelope, RequestEnvelope)
    return envelope


def test_the_sdks_own_signature_check_fails_closed_with_the_stand_in() -> None:
    verifier = import_sdk_verifier().RequestVerifier()
    sent = signed(launch_event())
    # The SDK would download the chain from Amazon; hand it the (valid) chain through its cache.
    verifier._cert_cache[sent.headers["SignatureCertChainUrl"]] = pki().chain()
    with pytest.raises(VerificationException, match="Certificate chain is not valid"):
        verifier.verify(
            headers=sent.headers, serialized_request_env=sent.body.decode(), deserialized_request_env=parsed(sent.body)
        )


def test_the_stock_adapter_with_its_default_verifiers_refuses_even_a_good_request(tmp_path: Path) -> None:
    app = Flask("stock")
    skill = build_skill(sqlite_adapter(tmp_path / "stock.db"))
    adapter = SkillAdapter(skill=skill, skill_id="stock", app=app)
    adapter.register(app=app, route="/")
    sent = signed(launch_event())
    for verifier in adapter._webservice_handler._verifiers:
        if hasattr(verifier, "_cert_cache"):
            verifier._cert_cache[sent.headers["SignatureCertChainUrl"]] = pki().chain()
    response = app.test_client().post("/", data=sent.body, headers=sent.headers)
    assert response.status_code == 400
