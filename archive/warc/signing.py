"""Signed WACZ packages (the WACZ signing spec), as Browsertrix signs them.

A signed package's ``datapackage-digest.json`` holds the SHA-256 of its
``datapackage.json`` (which holds every file's SHA-256) and ``signedData``:
that hash signed by an authsign server's domain key, with the domain's
certificate and an RFC 3161 timestamp. :func:`verify_signature` checks, in
the package itself, offline:

- ``datapackage.json`` has the digest's hash, and ``signedData`` signs that
  same hash (py-wacz's own validation does not compare the two: a package
  with a rewritten datapackage.json and an old signature passes it);
- ``created`` is the one signed;
- the signature, the domain certificate and the timestamp verify to trusted
  roots (authsign's ``Verifier``: Let's Encrypt and its timestamp
  authorities by default, or a roots file such as a test authority's).

The per-file digests are checked by :func:`archive.warc.wacz.extract_warcs`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from archive.errors import MediarchiveError

__all__ = ["ROOTS_ENV", "Signature", "SignatureError", "signature_of", "verify_signature"]

#: A YAML file of trusted root fingerprints (authsign's format), instead of authsign's built-in roots.
ROOTS_ENV = "MEDIARCHIVE_TRUSTED_ROOTS"


class SignatureError(MediarchiveError):
    exit_code = 1


@dataclass(frozen=True)
class Signature:
    """Who signed a package, and when (the timestamp authority's time)."""

    domain: str | None
    timestamp: str | None


def _digest_file(package: zipfile.ZipFile) -> dict | None:
    try:
        return json.loads(package.read("datapackage-digest.json"))
    except KeyError:
        return None


def signature_of(path: Path) -> dict | None:
    """The package's ``signedData``, or None for an unsigned package."""
    with zipfile.ZipFile(path) as package:
        digest = _digest_file(package) or {}
    signed = digest.get("signedData")
    return signed if isinstance(signed, dict) else None


def verify_signature(path: Path, trusted_roots: str | os.PathLike | None = None) -> Signature | None:
    """Verify a package's signature (see the module's description); None for
    an unsigned package; :class:`SignatureError` naming what fails."""
    try:
        with zipfile.ZipFile(path) as package:
            digest = _digest_file(package)
            if not digest or not isinstance(digest.get("signedData"), dict):
                return None
            datapackage = package.read("datapackage.json")
    except (OSError, zipfile.BadZipFile, KeyError):
        return None  # not a package at all: the digest check that follows says so
    except ValueError as exc:
        raise SignatureError(f"{path}: its signature cannot be read: {exc}") from None
    signed = digest["signedData"]
    actual = "sha256:" + hashlib.sha256(datapackage).hexdigest()
    if digest.get("hash") != actual:
        raise SignatureError(f"{path}: datapackage.json does not match datapackage-digest.json: the package was changed")
    if signed.get("hash") != actual:
        raise SignatureError(f"{path}: the signature is for another datapackage.json: the package was changed")
    try:
        created = json.loads(datapackage).get("created")
    except ValueError:
        created = None
    if signed.get("created") != created:
        raise SignatureError(f"{path}: the signed creation time is not the package's: the package was changed")
    from authsign.verifier import Verifier

    roots = trusted_roots or os.environ.get(ROOTS_ENV) or None
    failed = _LastFailure()
    log = logging.getLogger("authsign")
    log.addHandler(failed)
    propagated, level = log.propagate, log.level
    log.propagate = False  # its colourful lines are not ours to print
    log.setLevel(logging.INFO)
    try:
        result = Verifier(str(roots) if roots else None)(signed)
    except (AssertionError, ValueError, KeyError, TypeError) as exc:
        detail = failed.check or " ".join(str(exc).split())
        raise SignatureError(f"{path}: the signature does not verify{': ' + detail if detail else ''}") from None
    finally:
        log.removeHandler(failed)
        log.propagate = propagated
        log.setLevel(level)
    return Signature(result.observer or signed.get("domain"), result.timestamp)


class _LastFailure(logging.Handler):
    """The check authsign's verifier logs as failed (it raises a bare AssertionError)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.check: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()).strip()
        if text.startswith("\u2717") and "Traceback" not in text:
            self.check = text.lstrip("\u2717 ").strip()
