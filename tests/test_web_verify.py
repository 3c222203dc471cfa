"""Request verification, piece by piece, with real certificates and real signatures.

The certificate URL rules, the chain (test PKI and Amazon's real chain), the signing-key
cache, and the three verifiers on their own, with an in-memory certificate fetcher.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import Store

from skill.errors import ConfigurationError
from tests.support.web_pki import (
    AMAZON_CHAIN,
    AMAZON_CHAIN_MOMENT,
    Sent,
    SigningPKI,
    issue_ca,
    issue_leaf,
    launch_event,
    pki,
    rsa_key,
    sign,
    signed,
)
from web.cert_url import canonical_cert_url
from web.refusal import Refusal
from web.sdk import VerificationException
from web.signing_keys import SigningKeys
from web.trust import TrustRoots, default_bundle, load_trust_roots, read_certificates, validate_chain
from web.verifiers import SignatureVerifier, SkillIdVerifier, TimestampVerifier

NOW = datetime.now(UTC)


def trusted_test_roots() -> TrustRoots:
    return TrustRoots(Store([pki().root.cert]), "test root", 1)


def same_key(a: object, b: object) -> bool:
    return a.public_numbers() == b.public_numbers()  # type: ignore[attr-defined]


# ----- the certificate URL ----------------------------------------------------------------

# Amazon's documented examples, and the tricks around them.
GOOD_URLS = {
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem": "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem": "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem": (
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
    ),
    "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem": "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/./sub/cert-12.pem": "https://s3.amazonaws.com/echo.api/sub/cert-12.pem",
}
BAD_URLS = {
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem": "cert-url-scheme",
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem": "cert-url-scheme",
    "https://notamazon.com/echo.api/echo-api-cert.pem": "cert-url-host",
    "https://s3.amazonaws.com.evil.example/echo.api/cert.pem": "cert-url-host",
    "https://evil.example/https://s3.amazonaws.com/echo.api/cert.pem": "cert-url-host",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem": "cert-url-port",
    "https://s3.amazonaws.com:99999/echo.api/echo-api-cert.pem": "cert-url-malformed",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem": "cert-url-path",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem": "cert-url-path",
    "https://s3.amazonaws.com/echo.api/../evil/cert.pem": "cert-url-path",
    "https://s3.amazonaws.com/echo.api/%2e%2e/evil/cert.pem": "cert-url-path",
    "https://s3.amazonaws.com/echo.api\\..\\evil/cert.pem": "cert-url-path",
    "https://s3.amazonaws.com//echo.api/cert.pem": "cert-url-path",
    "https://s3.amazonaws.com/echo.api": "cert-url-path",
    "https://s3.amazonaws.com/echo.api/": "cert-url-path",
    "https://s3.amazonaws.com": "cert-url-path",
    "https://user@s3.amazonaws.com/echo.api/cert.pem": "cert-url-userinfo",
    "https://s3.amazonaws.com/echo.api/cert.pem?x=<script>": "cert-url-query",
    "https://s3.amazonaws.com/echo.api/" + "a" * 1100: "cert-url-too-long",
    "": "cert-url-scheme",
}


@pytest.mark.parametrize(("url", "canonical"), GOOD_URLS.items())
def test_amazon_certificate_urls_are_accepted_in_canonical_form(url: str, canonical: str) -> None:
    assert canonical_cert_url(url) == canonical


@pytest.mark.parametrize(("url", "reason"), BAD_URLS.items())
def test_other_certificate_urls_are_refused_with_the_rule_they_break(url: str, reason: str) -> None:
    with pytest.raises(Refusal) as refused:
        canonical_cert_url(url)
    assert refused.value.reason == reason


# ----- the chain ----------------------------------------------------------------------------


def test_a_good_chain_gives_the_signing_key_until_the_first_expiry_in_the_chain() -> None:
    ca = pki()
    short_intermediate = issue_ca(
        "Short-lived Intermediate", rsa_key("short-intermediate"), ca.root, not_after=NOW + timedelta(days=20)
    )
    signer = issue_leaf(short_intermediate, ca.signer.key)
    signing = validate_chain(signer.pem + short_intermediate.pem, trusted_test_roots(), NOW)
    assert same_key(signing.key, ca.signer.key.public_key())
    assert signing.expires == short_intermediate.cert.not_valid_after_utc
    assert signing.expires < signer.cert.not_valid_after_utc


@pytest.mark.parametrize(
    ("make_chain", "reason"),
    [
        (lambda ca: ca.chain(ca.leaf(not_after=NOW - timedelta(seconds=5))), "cert-expired"),
        (lambda ca: ca.chain(ca.leaf(not_before=NOW + timedelta(hours=1))), "cert-not-yet-valid"),
        (lambda ca: ca.chain(ca.leaf(names=("echo-api.amazon.com.evil.example",))), "cert-san"),
        (lambda ca: ca.chain(ca.leaf(names=("*.amazon.com",))), "cert-san"),
        (lambda ca: ca.chain(ca.leaf(names=())), "cert-san"),
        (lambda ca: ca.chain(ca.leaf(digital_signature=False)), "cert-key-usage"),
        (lambda ca: ca.signer.pem, "cert-untrusted"),  # intermediate missing
        (lambda ca: ca.chain(ca.signer, issue_ca("Rogue", rsa_key("rogue"))), "cert-untrusted"),
        (lambda ca: b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n", "cert-chain-unreadable"),
        (lambda ca: b"", "cert-chain-unreadable"),
        (lambda ca: ca.chain() * 5, "cert-chain-too-long"),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "look-alike-name",
        "wildcard",
        "no-san",
        "not-for-signing",
        "no-intermediate",
        "wrong-intermediate",
        "garbage",
        "empty",
        "too-long",
    ],
)
def test_bad_chains_are_refused_with_the_rule_they_break(
    make_chain: Callable[[SigningPKI], bytes], reason: str
) -> None:
    with pytest.raises(Refusal) as refused:
        validate_chain(make_chain(pki()), trusted_test_roots(), NOW)
    assert refused.value.reason == reason


def test_a_chain_from_an_untrusted_root_is_refused_even_when_complete() -> None:
    rogue_root = issue_ca("Rogue Root", rsa_key("rogue-root"))
    rogue_intermediate = issue_ca("Rogue Intermediate", rsa_key("rogue-intermediate"), rogue_root)
    signer = issue_leaf(rogue_intermediate, rsa_key("rogue-signer"))
    with pytest.raises(Refusal) as refused:
        validate_chain(signer.pem + rogue_intermediate.pem + rogue_root.pem, trusted_test_roots(), NOW)
    assert refused.value.reason == "cert-untrusted"


def test_an_expired_intermediate_breaks_the_chain() -> None:
    ca = pki()
    old = issue_ca(
        "Old Intermediate",
        rsa_key("old-intermediate"),
        ca.root,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    signer = issue_leaf(old, ca.signer.key)
    with pytest.raises(Refusal) as refused:
        validate_chain(signer.pem + old.pem, trusted_test_roots(), NOW)
    assert refused.value.reason == "cert-untrusted"


def system_roots() -> TrustRoots:
    roots = load_trust_roots()
    with open(roots.source, "rb") as bundle:
        subjects = [c.subject.rfc4514_string() for c in read_certificates(bundle.read())]
    if not any("CN=Amazon Root CA 1," in subject for subject in subjects):
        pytest.skip("the system CA bundle has no Amazon Root CA 1")
    return roots


def test_amazons_real_signing_chain_validates_against_the_system_roots() -> None:
    signing = validate_chain(AMAZON_CHAIN, system_roots(), AMAZON_CHAIN_MOMENT)
    leaf = x509.load_pem_x509_certificates(AMAZON_CHAIN)[0]
    assert same_key(signing.key, leaf.public_key())


def test_amazons_real_chain_is_refused_once_expired_or_without_its_root() -> None:
    leaf = x509.load_pem_x509_certificates(AMAZON_CHAIN)[0]
    with pytest.raises(Refusal) as expired:
        validate_chain(AMAZON_CHAIN, system_roots(), leaf.not_valid_after_utc + timedelta(seconds=1))
    assert expired.value.reason == "cert-expired"
    with pytest.raises(Refusal) as untrusted:
        validate_chain(AMAZON_CHAIN, trusted_test_roots(), AMAZON_CHAIN_MOMENT)
    assert untrusted.value.reason == "cert-untrusted"


# ----- trusted roots ---------------------------------------------------------------------------


def test_the_system_bundle_is_found_and_read() -> None:
    bundle = default_bundle()
    if bundle is None:
        pytest.skip("no system CA bundle on this machine")
    roots = load_trust_roots()
    assert roots.source == str(bundle)
    assert roots.count == len(read_certificates(bundle.read_bytes())) > 10


def test_a_roots_file_keeps_the_certificates_that_parse(tmp_path: Path) -> None:
    bundle = tmp_path / "roots.pem"
    junk = b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n"
    bundle.write_bytes(b"comment\n" + junk + pki().root_pem + b"trailer\n")
    roots = load_trust_roots(bundle)
    assert roots.count == 1
    validate_chain(pki().chain(), roots, NOW)


@pytest.mark.parametrize("content", [None, b"", b"no certificates here\n"], ids=["missing", "empty", "no-pem"])
def test_unusable_roots_files_are_a_clear_configuration_error(tmp_path: Path, content: bytes | None) -> None:
    bundle = tmp_path / "roots.pem"
    if content is not None:
        bundle.write_bytes(content)
    with pytest.raises(ConfigurationError) as error:
        load_trust_roots(bundle)
    assert str(bundle) in str(error.value)


# ----- the signing-key cache -----------------------------------------------------------------


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Chains:
    """An in-memory certificate fetcher that counts what it was asked for."""

    def __init__(self, chains: dict[str, bytes]) -> None:
        self.chains = chains
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if url not in self.chains:
            raise Refusal("cert-fetch-status", "HTTP 404")
        return self.chains[url]


URL = "https://s3.amazonaws.com/echo.api/good.pem"


def test_a_signing_key_is_fetched_once_and_kept_under_every_spelling_of_its_url() -> None:
    chains = Chains({URL: pki().chain()})
    keys = SigningKeys(trusted_test_roots(), chains)
    first = keys.key_for(URL)
    again = keys.key_for("HTTPS://S3.amazonaws.com:443/echo.api/../echo.api/good.pem")
    assert same_key(first, again)
    assert chains.asked == [URL]


def test_a_cached_key_is_dropped_when_its_certificate_expires() -> None:
    ca = pki()
    leaf = ca.leaf(not_after=NOW + timedelta(hours=2))
    chains = Chains({URL: ca.chain(leaf)})
    clock = Clock(NOW)
    keys = SigningKeys(trusted_test_roots(), chains, now=clock)
    keys.key_for(URL)
    clock.now = NOW + timedelta(hours=1)
    keys.key_for(URL)
    assert len(chains.asked) == 1
    clock.now = NOW + timedelta(hours=3)
    with pytest.raises(Refusal) as refused:
        keys.key_for(URL)
    assert refused.value.reason == "cert-expired"
    assert len(chains.asked) == 2


def test_a_cached_key_is_checked_again_after_a_day_at_most() -> None:
    chains = Chains({URL: pki().chain()})
    clock = Clock(NOW)
    keys = SigningKeys(trusted_test_roots(), chains, now=clock)
    keys.key_for(URL)
    clock.now = NOW + timedelta(hours=25)
    keys.key_for(URL)
    assert len(chains.asked) == 2


def test_the_cache_is_bounded_and_drops_the_least_recently_used_key() -> None:
    urls = [f"https://s3.amazonaws.com/echo.api/{n}.pem" for n in range(3)]
    chains = Chains(dict.fromkeys(urls, pki().chain()))
    keys = SigningKeys(trusted_test_roots(), chains, max_keys=2)
    for url in urls:
        keys.key_for(url)
    assert keys.cached_urls() == urls[1:]
    keys.key_for(urls[0])
    assert chains.asked.count(urls[0]) == 2


def test_a_url_that_just_failed_is_not_fetched_again_for_a_few_seconds() -> None:
    chains = Chains({})
    clock = Clock(NOW)
    keys = SigningKeys(trusted_test_roots(), chains, now=clock, retry_after=timedelta(seconds=10))
    for _ in range(3):
        with pytest.raises(Refusal) as refused:
            keys.key_for(URL)
        assert refused.value.reason == "cert-fetch-status"
    assert len(chains.asked) == 1
    chains.chains[URL] = pki().chain()
    clock.now = NOW + timedelta(seconds=11)
    keys.key_for(URL)
    assert len(chains.asked) == 2


# ----- the verifiers ----------------------------------------------------------------------


def envelope(event: dict[str, Any]) -> RequestEnvelope:
    parsed = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    assert isinstance(parsed, RequestEnvelope)
    return parsed


def signature_verifier() -> SignatureVerifier:
    return SignatureVerifier(SigningKeys(trusted_test_roots(), Chains({URL: pki().chain()})))


def test_a_correct_signature_over_the_raw_body_passes() -> None:
    sent = signed(launch_event())
    body = sent.body.decode()
    signature_verifier().verify(sent.headers, body, envelope(json.loads(body)))


def test_signature_headers_are_found_in_any_case() -> None:
    sent = signed(launch_event())
    headers = {name.lower(): value for name, value in sent.headers.items()}
    body = sent.body.decode()
    signature_verifier().verify(headers, body, envelope(json.loads(body)))


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda s: s.body.replace(b"en-US", b"en-GB"), "signature-mismatch"),
        (lambda s: s.body + b" ", "signature-mismatch"),
    ],
    ids=["locale-changed", "space-added"],
)
def test_a_tampered_body_fails_the_signature(forge: Callable[[Sent], bytes], reason: str) -> None:
    sent = signed(launch_event())
    body = forge(sent).decode()
    with pytest.raises(Refusal) as refused:
        signature_verifier().verify(sent.headers, body, envelope(json.loads(body)))
    assert refused.value.reason == reason


def test_a_signature_by_another_key_fails() -> None:
    sent = signed(launch_event(), key=rsa_key("someone-else"))
    body = sent.body.decode()
    with pytest.raises(Refusal) as refused:
        signature_verifier().verify(sent.headers, body, envelope(json.loads(body)))
    assert refused.value.reason == "signature-mismatch"


def test_refusals_are_the_sdks_verification_exception() -> None:
    assert issubclass(Refusal, VerificationException)


def test_an_unexpected_error_inside_a_check_is_a_refusal_not_a_crash() -> None:
    def broken(url: str) -> bytes:
        raise RuntimeError("bug")

    verifier = SignatureVerifier(SigningKeys(trusted_test_roots(), broken))
    sent = signed(launch_event())
    body = sent.body.decode()
    with pytest.raises(Refusal) as refused:
        verifier.verify(sent.headers, body, envelope(json.loads(body)))
    assert refused.value.reason == "verifier-error"


@pytest.mark.parametrize(
    ("seconds", "accepted"),
    [(0, True), (149, True), (-149, True), (151, False), (-151, False), (3600, False)],
)
def test_the_timestamp_must_be_within_150_seconds_either_way(seconds: int, accepted: bool) -> None:
    verifier = TimestampVerifier(now=lambda: NOW + timedelta(seconds=seconds))
    parsed = envelope(launch_event(moment=NOW))
    if accepted:
        verifier.verify({}, "", parsed)
    else:
        with pytest.raises(Refusal) as refused:
            verifier.verify({}, "", parsed)
        assert refused.value.reason == "timestamp-stale"


def test_a_timestamp_without_a_zone_or_none_at_all_is_refused() -> None:
    event = launch_event()
    event["request"]["timestamp"] = event["request"]["timestamp"].rstrip("Z")
    with pytest.raises(Refusal) as no_zone:
        TimestampVerifier().verify({}, "", envelope(event))
    assert no_zone.value.reason == "timestamp-no-zone"
    del event["request"]["timestamp"]
    with pytest.raises(Refusal) as missing:
        TimestampVerifier().verify({}, "", envelope(event))
    assert missing.value.reason == "timestamp-missing"


def test_the_tolerance_cannot_be_widened_past_amazons_rule() -> None:
    verifier = TimestampVerifier(tolerance=timedelta(hours=1), now=lambda: NOW + timedelta(seconds=200))
    with pytest.raises(Refusal):
        verifier.verify({}, "", envelope(launch_event(moment=NOW)))


def test_the_skill_id_must_match_in_context_and_session() -> None:
    verifier = SkillIdVerifier("amzn1.ask.skill.mine")
    verifier.verify({}, "", envelope(launch_event(skill_id="amzn1.ask.skill.mine")))
    with pytest.raises(Refusal) as other:
        verifier.verify({}, "", envelope(launch_event(skill_id="amzn1.ask.skill.other")))
    assert other.value.reason == "skill-id"
    mixed = launch_event(skill_id="amzn1.ask.skill.mine")
    mixed["session"]["application"]["applicationId"] = "amzn1.ask.skill.other"
    with pytest.raises(Refusal):
        verifier.verify({}, "", envelope(mixed))
    no_context = launch_event(skill_id="amzn1.ask.skill.mine")
    del no_context["context"]
    with pytest.raises(Refusal):
        verifier.verify({}, "", envelope(no_context))


def test_the_fixture_signature_is_plain_pkcs1_v15_sha256_by_the_certificate_key() -> None:
    body = b'{"hello": "world"}'
    public = pki().signer.cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(sign(body)), body, padding.PKCS1v15(), hashes.SHA256())
