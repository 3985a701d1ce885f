import http.client
import ssl

import pytest

from examples.ch08 import tls
from tests.ch08_support import printed_url, processes, trusting
from tests.support import free_port, run_program, serve_in_thread, wait_until

EXAMPLE = tls


def get(port, cert, path="/"):
    conn = http.client.HTTPSConnection("localhost", port, timeout=10, context=trusting(cert))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_https_in_process(certificate):
    context = tls.make_ssl_context(*certificate)
    with serve_in_thread(tls.make_app(), ssl_options=context) as srv:
        assert get(srv.port, certificate[0]) == (200, b"hello over https\n")


def test_https_as_run_from_a_terminal(certificate, tmp_path):
    cert, key = certificate
    args = [f"--certfile={cert}", f"--keyfile={key}"]
    with processes("tls.py", [free_port()], *args, directory=tmp_path) as running:
        process, port, log = running[0]
        assert wait_until(lambda: "Listening on" in log.read_text())
        url = printed_url(log)  # the address it tells the reader to open
        assert url.startswith(f"https://localhost:{port}/")
        assert get(port, cert, url.removeprefix(f"https://localhost:{port}")) == (
            200,
            b"hello over https\n",
        )


def test_a_client_that_does_not_trust_the_certificate_is_refused(certificate):
    context = tls.make_ssl_context(*certificate)
    with serve_in_thread(tls.make_app(), ssl_options=context) as srv:
        conn = http.client.HTTPSConnection("localhost", srv.port, timeout=10)
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/")
        conn.close()


def run(*args):
    return run_program("ch08/tls.py", *args, timeout=30)


def test_certificate_and_key_are_required(certificate):
    done = run(f"--certfile={certificate[0]}")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: --certfile and --keyfile are both required"


def test_a_missing_file_is_a_one_line_error_that_names_it(certificate, tmp_path):
    cert, key = certificate
    for args, missing in [
        ([f"--certfile={tmp_path}/nope.pem", f"--keyfile={key}"], f"{tmp_path}/nope.pem"),
        ([f"--certfile={cert}", f"--keyfile={tmp_path}/nope.key"], f"{tmp_path}/nope.key"),
    ]:
        done = run(*args)
        assert done.returncode == 1
        assert done.stderr == f"error: [Errno 2] No such file or directory: '{missing}'\n"


def test_a_file_that_is_not_a_certificate_is_a_one_line_error_that_names_it(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    done = run(f"--certfile={junk}", f"--keyfile={junk}")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot use {junk} with the key in {junk}: [SSL]")
    assert done.stderr.count("\n") == 1
