import contextlib
import http.client
import re
import socket
import ssl
import subprocess

import pytest

from examples.ch11 import mtls
from tests.ch11_support import pki
from tests.support import EXAMPLES, ROOT, ctrl_c, run_example, serve_in_thread, start_error

EXAMPLE = mtls


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return pki(tmp_path_factory.mktemp("pki"))


@contextlib.contextmanager
def serve_mtls(mode, certs):
    files = (certs["server"], certs["server.key"], certs["client-ca"])
    if mode == "in-process":
        with serve_in_thread(mtls.make_app(), ssl_options=mtls.make_ssl_context(*files)) as srv:
            yield srv
    else:
        args = [f"--certfile={files[0]}", f"--keyfile={files[1]}", f"--client-ca={files[2]}"]
        with run_example("ch11/mtls.py", *args) as srv:
            yield srv


def get(port, certs, client=None):
    """GET / over TLS, trusting our CA, showing `client`'s certificate if given."""
    context = ssl.create_default_context(cafile=certs["ca"])
    if client:
        context.load_cert_chain(certs[client], certs[f"{client}.key"])
    conn = http.client.HTTPSConnection("localhost", port, timeout=10, context=context)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


@pytest.mark.reader
def test_a_client_with_a_certificate_from_our_ca_is_named(mode, certs):
    with serve_mtls(mode, certs) as srv:
        assert get(srv.port, certs, "caller") == (200, "hello, caller\n")


@pytest.mark.reader
def test_a_certificate_without_exactly_one_common_name_is_refused(mode, certs):
    """Taking the first CN made /CN=admin/CN=caller an admin."""
    refused = (403, "the certificate must carry exactly one common name (CN)\n")
    with serve_mtls(mode, certs) as srv:
        assert get(srv.port, certs, "twonames") == refused
        assert get(srv.port, certs, "nameless") == refused


@pytest.mark.reader
def test_no_certificate_or_one_from_another_ca_is_refused_in_the_handshake(mode, certs):
    with serve_mtls(mode, certs) as srv:
        for client in (None, "stranger", "serverish"):  # serverish: from client-ca, for servers
            with pytest.raises((ssl.SSLError, ConnectionError)):  # hung up in the handshake
                get(srv.port, certs, client)


def test_without_tls_there_is_no_certificate_and_a_403(server):
    resp = server.fetch("/")
    assert (resp.status, resp.text) == (403, "a client certificate is required\n")


def test_every_file_is_required(certs):
    args = [f"--certfile={certs['server']}", f"--keyfile={certs['server.key']}"]
    message = "error: --certfile, --keyfile and --client-ca are all required"
    assert start_error(mtls, *args) == message


def test_a_missing_or_unusable_file_is_a_one_line_error(certs, tmp_path):
    good = [certs["server"], certs["server.key"], certs["client-ca"]]
    options = ["--certfile", "--keyfile", "--client-ca"]
    missing = tmp_path / "nope.pem"
    args = [f"{o}={p}" for o, p in zip(options, [*good[:2], missing], strict=True)]
    assert start_error(mtls, *args) == f"error: [Errno 2] No such file or directory: '{missing}'"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    args = [f"{o}={p}" for o, p in zip(options, [*good[:2], junk], strict=True)]
    line = start_error(mtls, *args)
    assert line.startswith(f"error: cannot use {good[0]}, {good[1]} and {junk}: [")


def test_ctrl_c_prints_stopped_without_a_traceback(certs):
    args = [f"--certfile={certs['server']}", f"--keyfile={certs['server.key']}"]
    args.append(f"--client-ca={certs['client-ca']}")

    def ask(port):
        assert get(port, certs, "caller") == (200, "hello, caller\n")

    status, out, err = ctrl_c("ch11/mtls.py", *args, before=ask)
    assert (status, out) == (0, "Stopped\n")
    assert "Traceback" not in err


def test_git_ignores_the_files_the_chapter_leaves_in_the_repository_root():
    """The keys and certificates certs.steps.console writes, and access.jsonl: `git add .`
    after the chapter must not commit a private key."""
    steps = (EXAMPLES / "ch11" / "certs.steps.console").read_text(encoding="utf-8")
    steps += (EXAMPLES / "ch11" / "access-log.steps.console").read_text(encoding="utf-8")
    written = re.findall(r"(?:-keyout|-out|2>) (\S+)", steps)
    assert {"ca.key", "server.key", "caller.key", "caller.pem", "access.jsonl"} <= set(written)
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True
    )
    assert sorted(done.stdout.split()) == sorted(set(written))


def test_a_body_over_the_limit_is_refused_unread(certs):
    context = ssl.create_default_context(cafile=certs["ca"])
    context.load_cert_chain(certs["caller"], certs["caller.key"])
    with serve_mtls("subprocess", certs) as srv:
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {mtls.MAX_BODY_SIZE + 1}\r\n\r\n"
        with (
            socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as sock,
        ):
            sock.sendall(head.encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 4")


def test_the_book_signs_client_certificates_with_a_ca_of_their_own():
    """A server certificate from the CA that --client-ca trusts would open the service too."""
    steps = (EXAMPLES / "ch11" / "certs.steps.console").read_text(encoding="utf-8")
    signer = {out: ca for ca, out in re.findall(r"-CA (\S+) .*-out (\S+)", steps)}
    serve = (EXAMPLES / "ch11" / "mtls.steps.console").read_text(encoding="utf-8")
    (client_ca,) = re.findall(r"--client-ca=(\S+)", serve)
    assert signer["caller.pem"] == client_ca != signer["server.pem"]
