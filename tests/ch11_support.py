"""Chapter 11's helpers: a small PKI made with openssl, and tinyproxy on loopback."""

import contextlib
import subprocess
from pathlib import Path

from tests.support import free_port, require_binary, stop, wait_for_port

DAYS = ["-days", "30"]
NEW_KEY = ["-x509", "-newkey", "rsa:2048", "-nodes", *DAYS]


def openssl(*args):
    done = subprocess.run(
        [require_binary("openssl"), *map(str, args)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def pki(directory):
    """As the book does, a CA for servers and one for clients: a certificate for localhost
    signed by the first, a client certificate `caller` signed by the second, one without a
    common name, one with two, one for servers, and one signed by another CA: {name: path}."""
    d = Path(directory)
    paths = {}
    for ca in ("ca", "client-ca", "other-ca"):
        openssl(
            "req",
            *NEW_KEY,
            "-subj",
            f"/CN={ca}",
            "-addext",  # Python 3.13 verifies strictly: a CA must say it signs certificates
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            d / f"{ca}.key",
            "-out",
            d / f"{ca}.pem",
        )
        paths[ca] = d / f"{ca}.pem"
    leaves = [
        ("server", "ca", "/CN=localhost", "serverAuth", "DNS:localhost,IP:127.0.0.1"),
        ("caller", "client-ca", "/CN=caller", "clientAuth", None),
        ("nameless", "client-ca", "/O=Tornado Book", "clientAuth", None),
        ("serverish", "client-ca", "/CN=serverish", "serverAuth", None),
        ("stranger", "other-ca", "/CN=stranger", "clientAuth", None),
        ("twonames", "client-ca", "/CN=admin/CN=caller", "clientAuth", None),
    ]
    for name, ca, subject, usage, alt in leaves:
        extensions = ["-addext", "basicConstraints=critical,CA:FALSE"]
        extensions += ["-addext", f"extendedKeyUsage={usage}"]
        if alt:
            extensions += ["-addext", f"subjectAltName={alt}"]
        signer = ["-CA", d / f"{ca}.pem", "-CAkey", d / f"{ca}.key"]
        files = ["-keyout", d / f"{name}.key", "-out", d / f"{name}.pem"]
        openssl("req", *NEW_KEY, *signer, "-subj", subject, *extensions, *files)
        paths[name] = d / f"{name}.pem"
        paths[f"{name}.key"] = d / f"{name}.key"
    return paths


@contextlib.contextmanager
def tinyproxy(directory):
    """tinyproxy in the foreground on a free loopback port: (port, its log file)."""
    binary = require_binary("tinyproxy")
    port = free_port()
    conf = Path(directory) / "tinyproxy.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nLogLevel Info\n")
    log = Path(directory) / "tinyproxy.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-d", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process, log)
        yield port, log
    finally:
        stop(process)
