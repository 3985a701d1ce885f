"""examples/ch08/nginx-tls.conf: nginx terminates TLS in front of four whoami.py processes."""

import contextlib
import http.client
import re
import socket
import ssl
import subprocess

import pytest

from examples.ch08 import whoami
from tests.ch08_support import CH08, get, nginx, processes, render, trusting
from tests.support import free_port, require_binary

CSS = whoami.BASE / "static" / "deploy.css"


@contextlib.contextmanager
def tls_nginx(tmp_path, app_dir, cert, key, upstreams):
    """nginx with nginx-tls.conf, in front of `upstreams` ({"PORT_1": port, ...}), serving
    app_dir's static files with this certificate: (its HTTP port, its HTTPS port)."""
    plain, secure = free_port(), free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    files = {"APP_DIR": app_dir, "CERT_FILE": cert, "KEY_FILE": key}
    with nginx("nginx-tls.conf", prefix, LISTEN_PORT=plain, TLS_PORT=secure, **files, **upstreams):
        yield plain, secure


@pytest.fixture
def site(tmp_path, certificate):
    """(HTTP port, HTTPS port, certificate file) of nginx in front of four processes."""
    cert, key = certificate
    ports = [free_port() for _ in range(4)]
    with processes("whoami.py", ports, directory=tmp_path) as running:
        values = {f"PORT_{i}": port for i, port in enumerate(ports, 1)}
        with tls_nginx(tmp_path, CH08, cert, key, values) as (plain, secure):
            yield plain, secure, cert, running


def test_plain_http_is_redirected_to_https_with_the_same_path(site):
    plain, secure, _, _ = site
    conn = http.client.HTTPConnection("localhost", plain, timeout=10)
    status, headers, _ = get(conn, "/whoami?x=1")
    assert status == 301
    assert headers["Location"] == f"https://localhost:{secure}/whoami?x=1"


def https(site, path, headers=None):
    _, secure, cert, _ = site
    conn = http.client.HTTPSConnection("localhost", secure, timeout=10, context=trusting(cert))
    return get(conn, path, headers)


def test_tornado_knows_the_client_came_over_https(site):
    status, headers, body = https(site, "/whoami")
    assert status == 200
    assert body == b"client 127.0.0.1, protocol https\n"
    assert headers["Strict-Transport-Security"] == "max-age=300"


def test_page_and_static_files_over_https(site):
    _, _, body = https(site, "/")
    assert b'<span id="protocol">https</span>' in body
    href = re.search(rb'href="(/static/deploy\.css\?v=\w+)"', body)[1].decode()
    status, headers, body = https(site, href)
    assert (status, body) == (200, CSS.read_bytes())
    assert headers["X-Served-By"] == "nginx"
    assert headers["Strict-Transport-Security"] == "max-age=300"


def test_requests_over_https_are_spread(site):
    pids = {str(process.pid) for process, _, _ in site[3]}
    assert {https(site, "/whoami")[1]["X-Worker-Pid"] for _ in range(8)} == pids


def test_a_forged_scheme_cannot_downgrade_https(site):
    for name in ("X-Scheme", "X-Forwarded-Proto"):
        status, _, body = https(site, "/whoami", {name: "http"})
        assert (status, body) == (200, b"client 127.0.0.1, protocol https\n"), name


def test_an_unknown_host_is_neither_redirected_nor_served(site):
    plain, _, _, running = site
    conn = http.client.HTTPConnection("localhost", plain, timeout=10)
    with pytest.raises(http.client.RemoteDisconnected):  # no redirect to https://evil.example
        get(conn, "/whoami", {"Host": "evil.example"})
    with pytest.raises(http.client.RemoteDisconnected):
        https(site, "/whoami", {"Host": "evil.example"})
    assert all("/whoami" not in log.read_text() for _, _, log in running)


def test_a_tls_client_that_names_no_known_host_gets_no_handshake(site):
    _, secure, cert, _ = site
    context = trusting(cert)
    context.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", secure), timeout=10) as sock,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(sock, server_hostname="evil.example")


def handshake(site, version, server_hostname="localhost"):
    """The TLS version nginx agrees to when the client offers only `version`."""
    _, secure, cert, _ = site
    context = trusting(cert)
    context.check_hostname = False
    context.minimum_version = context.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", secure), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=server_hostname) as tls,
    ):
        return tls.version()


def test_tls_1_3_and_1_2_are_both_spoken(site):
    assert handshake(site, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert handshake(site, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"


def test_protocols_are_set_where_they_count():
    """For one address and port, nginx takes ssl_protocols from the default server."""
    text = (CH08 / "nginx-tls.conf").read_text()
    http_block = text[text.index("http {") : text.index("server {")]
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in http_block
    assert text.count("ssl_protocols") == 1


def test_an_ip_address_gets_no_handshake(site):
    """Clients send no name (SNI) for an address, so the refusing default server answers."""
    _, secure, cert, _ = site
    context = trusting(cert)
    with (
        socket.create_connection(("127.0.0.1", secure), timeout=10) as sock,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(sock, server_hostname="127.0.0.1")


def test_a_foreign_host_header_is_refused_inside_tls_too(site):
    _, secure, cert, running = site
    with (
        socket.create_connection(("127.0.0.1", secure), timeout=10) as sock,
        trusting(cert).wrap_socket(sock, server_hostname="localhost") as tls,
    ):
        tls.sendall(
            f"GET https://localhost:{secure}/whoami HTTP/1.1\r\n"
            "Host: evil.example\r\nConnection: close\r\n\r\n".encode()
        )
        assert tls.recv(100) == b""
    assert all("/whoami" not in log.read_text() for _, _, log in running)


def test_paths_with_a_space_in_them(tmp_path, certificate):
    """Certificate, key and static folder in folders whose names have a space: all quoted."""
    folder = tmp_path / "my site"
    (folder / "static").mkdir(parents=True)
    (folder / "static" / "deploy.css").write_bytes(CSS.read_bytes())
    cert, key = (folder / name for name in ("cert.pem", "key.pem"))
    for source, target in zip(certificate, (cert, key), strict=True):
        target.write_bytes(source.read_bytes())
    ports = {f"PORT_{i}": free_port() for i in range(1, 5)}  # nothing listens: static only
    with tls_nginx(tmp_path, folder, cert, key, ports) as (_, secure):
        conn = http.client.HTTPSConnection("localhost", secure, timeout=10, context=trusting(cert))
        status, headers, body = get(conn, "/static/deploy.css")
    assert (status, headers["X-Served-By"], body) == (200, "nginx", CSS.read_bytes())


def test_relative_certificate_paths_are_looked_up_beside_the_config(tmp_path, certificate):
    """nginx reads `cert.pem` in its config's folder, not where you typed the command."""
    ports = {f"PORT_{i}": free_port() for i in range(1, 5)}
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = render(
        "nginx-tls.conf",
        prefix / "nginx.conf",
        LISTEN_PORT=free_port(),
        TLS_PORT=free_port(),
        APP_DIR=CH08,
        CERT_FILE="cert.pem",
        KEY_FILE="key.pem",
        **ports,
    )
    done = subprocess.run(
        [require_binary("nginx"), "-t", "-q", "-p", f"{prefix}/", "-c", conf, "-e", "stderr"],
        cwd=certificate[0].parent,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert f'cannot load certificate "{prefix}/cert.pem"' in done.stderr
