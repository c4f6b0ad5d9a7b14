"""Signed WACZ exports (the WACZ signing spec, with an authsign server on
127.0.0.1): a signed package validates and its signature verifies; import
refuses a tampered copy, and one whose signature is not trusted."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from crawler.demo import demo_site, demo_sources_yaml
from tests.commands import run as cli
from tests.indexdb import query
from tests.signing import DOMAIN, signing_authority


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    root = tmp_path_factory.mktemp("signing")
    with demo_site() as base:
        (root / "sources.yaml").write_text(demo_sources_yaml(base))
        assert cli("crawl", "--config", root / "sources.yaml", "--data", root / "data").returncode == 0
    with signing_authority(root / "authority") as authority:
        run = cli("export", "--wacz", root / "signed.wacz", "--sign", authority.sign_url, "--sign-token", authority.token,
                  "--data", root / "data")
        assert run.returncode == 0, run.stdout + run.stderr
        wrong = cli("export", "--wacz", root / "unsigned.wacz", "--sign", authority.sign_url, "--sign-token", "wrong",
                    "--data", root / "data")
    return root, authority, run, wrong


def rezip(source, target, change) -> None:
    """A copy of a package with ``change(name, bytes) -> bytes`` applied to its members."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            copy.writestr(item, change(item.filename, original.read(item)))


def test_a_signed_export_validates_and_its_signature_verifies(signed):
    root, authority, run, _ = signed
    assert "wacz validate: Validation succeeded" in run.stdout and "signed by" in run.stdout
    with zipfile.ZipFile(root / "signed.wacz") as package:
        signature = json.loads(package.read("datapackage-digest.json"))["signedData"]
    assert signature["domain"] == DOMAIN and signature["timeSignature"]
    from archive.warc.signing import verify_signature

    verified = verify_signature(root / "signed.wacz", authority.trusted_roots)
    assert verified.domain == DOMAIN and verified.timestamp
    imported = cli("import", root / "signed.wacz", "--trusted-roots", authority.trusted_roots, "--data", root / "copy")
    assert imported.returncode == 0, imported.stderr
    assert len(query(root / "copy", "SELECT url FROM pages")) == 4


def test_a_refused_signature_fails_the_export_not_silently(signed):
    root, _, _, wrong = signed
    assert wrong.returncode == 1 and "did not sign the package" in wrong.stderr
    assert not (root / "unsigned.wacz").exists() and "Traceback" not in wrong.stderr


@pytest.mark.parametrize("tamper", ["a WARC byte", "datapackage.json", "the signature"])
def test_a_tampered_copy_is_refused_on_import(signed, tamper, tmp_path):
    root, authority, _, _ = signed

    def change(name: str, body: bytes) -> bytes:
        if tamper == "a WARC byte" and name.startswith("archive/"):
            return body[:200] + bytes([body[200] ^ 0x01]) + body[201:]
        if tamper == "datapackage.json" and name == "datapackage.json":
            return body.replace(b"mediarchive export", b"mediarchive exporT")
        if tamper == "datapackage.json" and name == "datapackage-digest.json":  # its digest made to match, the signature kept
            import hashlib

            package = zipfile.ZipFile(root / "signed.wacz").read("datapackage.json").replace(b"mediarchive export", b"mediarchive exporT")
            digest = json.loads(body)
            digest["hash"] = "sha256:" + hashlib.sha256(package).hexdigest()
            return json.dumps(digest).encode()
        if tamper == "the signature" and name == "datapackage-digest.json":
            digest = json.loads(body)
            signature = digest["signedData"]["signature"]
            digest["signedData"]["signature"] = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
            return json.dumps(digest).encode()
        return body

    copy = tmp_path / "tampered.wacz"
    rezip(root / "signed.wacz", copy, change)
    run = cli("import", copy, "--trusted-roots", authority.trusted_roots, "--data", tmp_path / "data")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "imported 0 of 1" in run.stdout
    assert not list((tmp_path / "data" / "warcs").rglob("*.warc*")) if (tmp_path / "data" / "warcs").exists() else True


def test_a_signature_from_an_untrusted_authority_is_refused(signed, tmp_path):
    """Without the test root among the trusted ones (authsign's defaults:
    Let's Encrypt), the same package's signature does not verify."""
    root, _, _, _ = signed
    run = cli("import", root / "signed.wacz", "--data", tmp_path / "data")
    assert run.returncode == 1 and "the signature does not verify" in run.stderr, run.stderr
    assert "Trusted Domain Root Cert" in run.stderr


def test_verify_checks_a_packages_signature_against_the_trusted_roots(signed):
    import os

    root, authority, _, _ = signed
    env = {**os.environ, "MEDIARCHIVE_TRUSTED_ROOTS": str(authority.trusted_roots)}
    trusted = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--wacz", str(root / "signed.wacz"),
                              "--data", str(root / "data")], capture_output=True, text=True, env=env, check=False)
    assert trusted.returncode == 0, trusted.stderr
    untrusted = cli("verify", "--wacz", root / "signed.wacz", "--data", root / "data")
    assert untrusted.returncode == 1 and "the signature does not verify" in untrusted.stderr
