import contextlib
import importlib.util
import os

import pytest

from examples.ch11 import caller, mtls
from tests.ch11_support import pki, tinyproxy
from tests.support import (
    SILENT,
    RawServer,
    Server,
    ctrl_c,
    free_port,
    require,
    run_example,
    run_program,
    serve_in_thread,
    start_error,
    wait_until,
)

EXAMPLE = caller


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def service(certs):
    """mtls.py, the service that the caller calls: its URL."""
    context = mtls.make_ssl_context(certs["server"], certs["server.key"], certs["client-ca"])
    with serve_in_thread(mtls.make_app(), ssl_options=context) as srv:
        yield f"https://localhost:{srv.port}/"


def needs_pycurl():
    require(importlib.util.find_spec("pycurl"), "pycurl is not installed (pip install pycurl)")


def tls_of(certs, ca=True, client=True, proxy=None):
    tls = {"ca_certs": str(certs["ca"]) if ca else None, "proxy": proxy}
    if client:
        tls.update(client_cert=str(certs["caller"]), client_key=str(certs["caller.key"]))
    return tls


@contextlib.contextmanager
def serve_caller(mode, upstream, **tls):
    if mode == "in-process":
        with serve_in_thread(caller.make_app(upstream, **tls)) as srv:
            yield srv
    else:
        args = [f"--upstream={upstream}"]
        args += [f"--{k.replace('_', '-')}={v}" for k, v in tls.items() if v]
        with run_example("ch11/caller.py", *args) as srv:
            yield srv


def answer(srv):
    resp = srv.fetch("/")
    return resp.status, resp.text


@pytest.mark.reader
def test_our_ca_and_our_certificate_get_through(mode, certs, service):
    with serve_caller(mode, service, **tls_of(certs)) as srv:
        assert answer(srv) == (200, "the service says: hello, caller\n")


HANDSHAKE_FAILED = (502, "the TLS handshake with the service failed\n")
# TLS 1.3: the service refuses a missing client certificate after the caller's handshake is
# over and its request sent; closing with that request unread, it resets the connection, and
# the reset may reach the caller before the alert does (the page says so).
CERTIFICATE_REFUSED = {
    HANDSHAKE_FAILED,
    (502, "the service is unreachable or broke the connection\n"),
}


@pytest.mark.reader
def test_without_our_ca_or_our_certificate_the_handshake_fails(mode, certs, service):
    with serve_caller(mode, service, **tls_of(certs, ca=False)) as srv:
        assert answer(srv) == HANDSHAKE_FAILED
    with serve_caller(mode, service, **tls_of(certs, client=False)) as srv:
        assert answer(srv) in CERTIFICATE_REFUSED


def test_a_silent_service_is_a_504(certs, monkeypatch):
    monkeypatch.setattr(caller, "TIMEOUT", 0.3)
    with RawServer(SILENT) as raw:
        upstream = raw.url.replace("http://", "https://") + "/"
        with serve_caller("in-process", upstream, **tls_of(certs)) as srv:
            assert answer(srv) == (504, "the service did not answer in time\n")


def test_a_refused_connection_a_redirect_and_garbage_are_502(certs):
    with serve_caller("in-process", f"https://127.0.0.1:{free_port()}/", **tls_of(certs)) as srv:
        assert answer(srv) == (502, "the service is unreachable or broke the connection\n")
    redirect = b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n"
    huge_header = b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n"
    for garbage, expected in [(redirect, "the service answered 302\n"), (huge_header, None)]:
        with (
            RawServer(garbage) as raw,
            serve_caller("in-process", raw.url + "/", **tls_of(certs)) as srv,
        ):
            status, text = answer(srv)
            assert status == 502
            assert expected is None or text == expected


def oversized():
    """A service answering one byte more than the caller holds: with a length, and chunked."""
    body = b"x" * (caller.ANSWER_LIMIT + 1)
    length = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    return length, chunked


def test_an_answer_over_the_limit_is_a_502(certs):
    """The default client would hold up to 100 MB of an answer of which 200 bytes are shown."""
    for big in oversized():
        with RawServer(big) as raw, serve_caller("in-process", raw.url + "/") as srv:
            assert answer(srv) == (502, "the service is unreachable or broke the connection\n")


def test_an_answer_over_the_limit_through_a_proxy_is_a_502(tmp_path):
    needs_pycurl()
    with tinyproxy(tmp_path) as (port, _):
        for big in oversized():
            with (
                RawServer(big) as raw,
                serve_caller("in-process", raw.url + "/", proxy=f"127.0.0.1:{port}") as srv,
            ):
                assert answer(srv) == (502, "the service's answer is too large\n")


@pytest.mark.reader
def test_through_a_proxy_with_curl(mode, certs, service, tmp_path):
    needs_pycurl()
    with tinyproxy(tmp_path) as (port, log):
        proxy = f"127.0.0.1:{port}"
        with serve_caller(mode, service, **tls_of(certs, proxy=proxy)) as srv:
            assert answer(srv) == (200, "the service says: hello, caller\n")
        target = service.removeprefix("https://").rstrip("/")
        assert wait_until(lambda: f"CONNECT {target} HTTP/1.1" in log.read_text())
        with serve_caller(mode, service, **tls_of(certs, client=False, proxy=proxy)) as srv:
            assert answer(srv) in CERTIFICATE_REFUSED


def test_a_silent_service_behind_a_proxy_is_a_504(certs, tmp_path, monkeypatch):
    needs_pycurl()
    monkeypatch.setattr(caller, "TIMEOUT", 0.5)
    with tinyproxy(tmp_path) as (port, _), RawServer(SILENT) as raw:
        upstream = raw.url.replace("http://", "https://") + "/"
        tls = tls_of(certs, proxy=f"127.0.0.1:{port}")
        with serve_caller("in-process", upstream, **tls) as srv:
            assert answer(srv) == (504, "the service did not answer in time\n")


def test_unusable_files_are_errors_at_startup(certs, tmp_path):
    missing = tmp_path / "nope.pem"
    with pytest.raises(FileNotFoundError):
        caller.fetch_options(ca_certs=str(missing))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ValueError, match=f"cannot use {junk}"):
        caller.fetch_options(ca_certs=str(junk))
    line = start_error(
        caller, f"--ca-certs={certs['ca']}", f"--client-cert={junk}", f"--client-key={junk}"
    )
    assert line.startswith(f"error: cannot use {certs['ca']}, {junk}, {junk}: [")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream=http://localhost:8443/"], "--upstream must be an https:// URL"),
        (["--client-cert=caller.pem"], "--client-cert and --client-key go together"),
        (["--proxy=8889"], "--proxy is host:port, such as 127.0.0.1:8889, not '8889'"),
        (["--proxy=proxy:http"], "--proxy is host:port"),
        (["--port=0"], "port must be between 1 and 65535"),
    ],
)
def test_bad_options_are_one_line_errors(args, message):
    assert start_error(caller, *args).startswith(f"error: {message}")


def test_a_proxy_without_pycurl_says_what_to_install(tmp_path):
    (tmp_path / "pycurl.py").write_text("raise ImportError('no pycurl here')\n")
    done = run_example_to_end(tmp_path, "--proxy=127.0.0.1:8889")
    assert done.returncode == 1
    assert done.stderr == "error: --proxy needs pycurl (pip install pycurl)\n"


def run_example_to_end(path_first, *args):
    env = {**os.environ, "PYTHONPATH": str(path_first)}
    return run_program(caller, *args, env=env, timeout=30)


def test_ctrl_c_stops_it_and_closes_its_tunnel_through_the_proxy(certs, service, tmp_path):
    """The book stops caller.py before tinyproxy: the tunnel it kept open is closed by then,
    and stopping the proxy interrupts no relay (no `poll() error "Interrupted system call"`)."""
    needs_pycurl()
    with tinyproxy(tmp_path) as (port, log):
        tls = tls_of(certs, proxy=f"127.0.0.1:{port}")
        args = [f"--upstream={service}", *(f"--{k.replace('_', '-')}={v}" for k, v in tls.items())]

        def ask(port):
            assert answer(Server(port)) == (200, "the service says: hello, caller\n")

        status, out, err = ctrl_c("ch11/caller.py", *args, before=ask)
        assert (status, out) == (0, "Stopped\n")
        assert "Traceback" not in err
        assert wait_until(lambda: "Closed connection between local client" in log.read_text())


def test_a_body_over_the_limit_is_refused_unread(certs):
    with run_example("ch11/caller.py", f"--ca-certs={certs['ca']}") as srv:
        assert srv.post_head("/", caller.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 4")
