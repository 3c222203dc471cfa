"""Assemble the skill package the ASK CLI and the developer console import.

    python -m interaction_models.package build [--endpoint ARN_OR_HTTPS_URL]

writes ``build/skill-package/skill.json``, ``build/skill-package/interactionModels/custom/<locale>.json``
and ``build/ask-resources.json`` (so ``cd build && ask deploy`` uploads the package). A target
folder named ``skill-package`` is used as the package folder itself. The endpoint is added only
when given: a Lambda ARN (e.g. the ``StrongBackFunction`` output of ``sam deploy``) or the
HTTPS address of a self-hosted ``strong-back serve``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interaction_models import LOCALES, MANIFEST_PATH, ModelError, model_path
from interaction_models.generate import SourceError, generated
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Sequence

LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?$")
CERTIFICATES = ("Trusted", "Wildcard", "SelfSigned")
ASK_RESOURCES = {
    "askcliResourcesVersion": "2020-03-31",
    "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}},
}


class PackageError(StrongBackError, ValueError):
    """The package can't be assembled; the message says why."""


def endpoint(uri: str, certificate: str = "Trusted") -> dict[str, str]:
    """The manifest's endpoint object for a Lambda ARN or an HTTPS address."""
    if LAMBDA_ARN.match(uri):
        return {"uri": uri}
    if HTTPS_URL.match(uri):
        if certificate not in CERTIFICATES:
            raise PackageError(f"certificate type must be one of {', '.join(CERTIFICATES)}")
        return {"uri": uri, "sslCertificateType": certificate}
    raise PackageError(f"endpoint must be a Lambda function ARN or an https:// address, not {uri!r}")


def manifest(endpoint_uri: str | None = None, certificate: str = "Trusted") -> dict[str, Any]:
    """The skill manifest, with the endpoint when one is given."""
    try:
        data: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackageError(f"cannot read {MANIFEST_PATH}: {error}") from None
    if endpoint_uri:
        data["manifest"]["apis"]["custom"]["endpoint"] = endpoint(endpoint_uri, certificate)
    return data


def build(target: Path, endpoint_uri: str | None = None, certificate: str = "Trusted") -> Path:
    """Write the package under ``target``; returns the skill-package folder."""
    try:
        stale = [loc for loc, text in generated().items() if model_path(loc).read_text(encoding="utf-8") != text]
    except (SourceError, ModelError, OSError) as error:
        raise PackageError(str(error)) from None
    if stale:
        raise PackageError(f"models out of date ({', '.join(stale)}); run python -m interaction_models.generate")
    data = manifest(endpoint_uri, certificate)
    package = target if target.name == "skill-package" else target / "skill-package"
    models = package / "interactionModels" / "custom"
    try:
        models.mkdir(parents=True, exist_ok=True)
        (package / "skill.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        for locale in LOCALES:
            (models / f"{locale}.json").write_text(model_path(locale).read_text(encoding="utf-8"), encoding="utf-8")
        (package.parent / "ask-resources.json").write_text(json.dumps(ASK_RESOURCES, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise PackageError(f"cannot write the package to {package}: {error}") from None
    return package


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interaction_models.package", description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path, help="build folder (gets skill-package/ and ask-resources.json)")
    parser.add_argument("--endpoint", help="Lambda function ARN or https:// address of the skill's endpoint")
    parser.add_argument(
        "--certificate", default="Trusted", choices=CERTIFICATES, help="SSL certificate type of an https endpoint"
    )
    args = parser.parse_args(argv)
    try:
        package = build(args.target, args.endpoint, args.certificate)
    except PackageError as error:
        print(f"skill package: {error}", file=sys.stderr)
        return 2
    print(f"wrote {package} ({len(LOCALES)} locales){'' if args.endpoint else '; no endpoint set (use --endpoint)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
