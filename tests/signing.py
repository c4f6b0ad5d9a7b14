"""A signing authority on 127.0.0.1 for the tests, with no ACME and no
internet: a throwaway PKI (a test root, authsign's domain certificate and a
timestamp authority's), an RFC 3161 timestamp server wrapping `openssl ts
-reply`, and authsign itself (uvicorn), which loads the ready certificate
instead of asking Let's Encrypt for one."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DOMAIN = "signer.mediarchive.test"
TOKEN = "test-token"
#: authsign's fixed passphrase for its private key file
PASSPHRASE = b"passphrase"


@dataclass(frozen=True)
class Authority:
    sign_url: str
    token: str
    trusted_roots: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(item) -> bytes:
    return item.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def make_pki(folder: Path, tsa_port: int) -> Path:
    """The test root, authsign's certificate and key, the timestamp
    authority's, the trusted-roots file and authsign's config; the config's path."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name("mediarchive test root")).issuer_name(_name("mediarchive test root"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256()))

    def leaf(common_name: str, timestamping: bool):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(root.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   # authsign: the certificate is at most cert_duration (7 days) older than what it signs
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=7))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        if timestamping:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        return key, builder.sign(root_key, hashes.SHA256())

    signer_key, signer = leaf(DOMAIN, timestamping=False)
    tsa_key, tsa = leaf("mediarchive test timestamps", timestamping=True)
    (folder / "ca.pem").write_bytes(_pem(root))
    (folder / "data" / "private-key.pem").write_bytes(_key_pem(signer_key, PASSPHRASE))
    (folder / "data" / "cert.pem").write_bytes(_pem(signer) + _pem(root))
    (folder / "tsa.pem").write_bytes(_pem(tsa))
    (folder / "tsa-key.pem").write_bytes(_key_pem(tsa_key))
    fingerprint = root.fingerprint(hashes.SHA256()).hex()
    roots = folder / "trusted-roots.yaml"
    roots.write_text(f"domain_cert_roots:\n  - {fingerprint}\ntimestamp_cert_roots:\n  - {fingerprint}\n")
    config = folder / "config.yaml"
    config.write_text(
        f"signing:\n  domain: {DOMAIN}\n  email: test@example.invalid\n  port: 1\n  output: {folder / 'data'}\n"
        f"  staging: true\n  timestamping:\n    - url: http://127.0.0.1:{tsa_port}/\ntrusted_roots: {roots}\n"
    )
    (folder / "tsa.cnf").write_text(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
        f"serial = {folder / 'serial'}\ncrypto_device = builtin\nsigner_cert = {folder / 'tsa.pem'}\n"
        f"certs = {folder / 'ca.pem'}\nsigner_key = {folder / 'tsa-key.pem'}\nsigner_digest = sha256\n"
        "default_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\n"
        "tsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n"
    )
    (folder / "serial").write_text("01\n")
    return config


def _timestamp_server(folder: Path) -> ThreadingHTTPServer:
    """RFC 3161 timestamps by `openssl ts -reply`, on 127.0.0.1 (a free port)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with tempfile.TemporaryDirectory(dir=folder) as tmp:
                request, reply = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
                request.write_bytes(query)
                run = subprocess.run(["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"), "-queryfile",
                                      str(request), "-out", str(reply)], capture_output=True, check=False)
                if run.returncode != 0:
                    self.send_error(500, run.stderr.decode(errors="replace")[:200])
                    return
                body = reply.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def signing_authority(folder: Path):
    """authsign and its timestamp authority on 127.0.0.1 while the block runs."""
    folder.mkdir(parents=True, exist_ok=True)
    tsa = _timestamp_server(folder)
    config = make_pki(folder, tsa.server_address[1])
    port = _free_port()
    env = {**os.environ, "CONFIG": str(config), "NO_RENEW": "1", "AUTH_TOKEN": TOKEN}
    log = open(folder / "authsign.log", "wb")  # noqa: SIM115 - closed when the server stops
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "authsign.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("authsign did not start: " + (folder / "authsign.log").read_text()[-2000:])
                time.sleep(0.2)
        yield Authority(f"http://127.0.0.1:{port}/sign", TOKEN, folder / "trusted-roots.yaml")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        tsa.shutdown()
        tsa.server_close()
