"""examples/ch08/nginx.conf, run by nginx in front of four whoami.py processes."""

import http.client
import http.server
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from examples.ch08 import whoami
from tests.ch08_support import CH08, get, nginx, processes, render, start
from tests.support import free_port, require_binary, stop, wait_for_port, wait_until

CSS = whoami.BASE / "static" / "deploy.css"


@pytest.fixture
def site(tmp_path):
    """Four whoami.py processes and nginx in front of them: (nginx port, the processes)."""
    ports = [free_port() for _ in range(4)]
    with processes("whoami.py", ports, directory=tmp_path) as running:
        listen = free_port()
        values = {f"PORT_{i}": port for i, port in enumerate(ports, 1)}
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        with nginx("nginx.conf", prefix, LISTEN_PORT=listen, APP_DIR=CH08, **values):
            yield listen, running


def fetch(port, path, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    return get(conn, path, headers)


def test_requests_are_spread_over_every_process(site):
    port, running = site
    pids = {str(process.pid) for process, _, _ in running}
    seen = [fetch(port, "/")[1]["X-Worker-Pid"] for _ in range(12)]
    assert set(seen) == pids  # round robin: each process answers in turn


def test_static_files_come_from_nginx_not_tornado(site):
    port, running = site
    status, headers, body = fetch(port, "/")
    assert status == 200
    href = re.search(rb'href="(/static/deploy\.css\?v=\w+)"', body)[1].decode()
    status, headers, body = fetch(port, href)
    assert status == 200
    assert body == CSS.read_bytes()
    assert headers["Server"].startswith("nginx")
    assert headers["Content-Type"] == "text/css"
    assert headers["Cache-Control"] == "max-age=604800"
    assert headers["X-Served-By"] == "nginx"  # added only by the static location

    def logs():
        return "".join(log.read_text() for _, _, log in running)

    assert wait_until(lambda: "200 GET / (127.0.0.1)" in logs())  # the page was logged
    assert "/static/" not in logs()


def test_the_client_address_reaches_tornado(site):
    """nginx sees 127.0.0.2 and says so in X-Real-IP; Tornado itself is talking to nginx."""
    port, _ = site
    status, _, body = fetch(port, "/whoami", source="127.0.0.2")
    assert body == b"client 127.0.0.2, protocol http\n"


def test_a_client_cannot_forge_its_address_through_nginx(site):
    port, _ = site
    forged = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"}
    status, _, body = fetch(port, "/whoami", headers=forged, source="127.0.0.3")
    assert body == b"client 127.0.0.3, protocol http\n"


def test_no_forged_proxy_header_gets_past_nginx(site):
    """Every header xheaders=True trusts is set by nginx, whatever the client sent."""
    port, _ = site
    forged = {
        "X-Real-IP": "203.0.113.9",
        "X-Forwarded-For": "203.0.113.9",
        "X-Scheme": "https",
        "X-Forwarded-Proto": "https",
    }
    for name, value in forged.items():
        status, _, body = fetch(port, "/whoami", headers={name: value}, source="127.0.0.3")
        assert (status, body) == (200, b"client 127.0.0.3, protocol http\n"), name


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_site_answers_to_its_own_names(site, host):
    port, _ = site
    status, _, body = fetch(port, "/whoami", headers={"Host": f"{host}:{port}"})
    assert (status, body) == (200, b"client 127.0.0.1, protocol http\n")


@pytest.mark.parametrize("host", ["evil.example", "203.0.113.9", "localhost.evil.example"])
def test_an_unknown_host_gets_no_answer(site, host):
    port, running = site
    with pytest.raises(http.client.RemoteDisconnected):
        fetch(port, "/whoami", headers={"Host": host})
    assert all("/whoami" not in log.read_text() for _, _, log in running)


def test_a_process_that_stops_is_skipped(site):
    port, running = site
    process, _, _ = running[0]
    process.terminate()
    process.wait(15)
    alive = {str(p.pid) for p, _, _ in running[1:]}
    answers = [fetch(port, "/whoami") for _ in range(8)]
    assert all(status == 200 for status, _, _ in answers)
    assert {headers["X-Worker-Pid"] for _, headers, _ in answers} == alive


def test_long_polls_may_outlive_nginx_default_timeout():
    text = (CH08 / "nginx.conf").read_text()
    timeout = re.search(r"proxy_read_timeout (\d+)s;", text)
    assert int(timeout[1]) > 60


def test_only_static_files_carry_the_nginx_mark(site):
    port, _ = site
    for path in ("/", "/whoami", "/no/such/page"):
        status, headers, _ = fetch(port, path)
        assert "X-Served-By" not in headers, path
        assert headers["X-Worker-Pid"].isdigit(), path  # Tornado answered, 404 included


def test_dot_dot_leaves_the_static_location_and_tornado_refuses_it(site):
    """nginx resolves `..` to pick a location, then passes the URI on as the client sent it."""
    port, running = site
    status, headers, body = fetch(port, "/static/../whoami.py")
    assert status == 403  # Tornado's static handler: outside its folder
    assert "X-Served-By" not in headers
    assert b"import" not in body
    assert wait_until(
        lambda: any("/static/../whoami.py" in log.read_text() for _, _, log in running)
    )


def raw(port, request):
    """Send bytes as they are; whatever comes back before the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize(
    "request_line, host",
    [
        ("GET http://localhost/whoami HTTP/1.1", "evil.example"),
        ("GET http://localhost:{port}/whoami HTTP/1.1", "evil.example"),
        ("GET /whoami HTTP/1.1", "localhost:evil.example"),
        ("GET /whoami HTTP/1.1", "localhost:1"),
    ],
)
def test_a_foreign_host_header_cannot_ride_on_our_name(site, request_line, host):
    port, running = site
    line = request_line.format(port=port)
    assert raw(port, f"{line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()) == b""
    assert all("/whoami" not in log.read_text() for _, _, log in running)


def test_our_name_in_the_request_line_with_our_host_is_served(site):
    port, _ = site
    request = f"GET http://localhost:{port}/whoami HTTP/1.1\r\nHost: localhost:{port}\r\n"
    answer = raw(port, (request + "Connection: close\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_body_over_the_apps_limit_gets_nginx_413(site):
    """live.py refuses bodies over MAX_BODY_SIZE; nginx says so first, with a status that fits."""
    from examples.ch08 import live

    port, running = site
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/whoami", body=b"x" * (live.MAX_BODY_SIZE + 1))
        resp = conn.getresponse()
        assert (resp.status, resp.headers["Server"][:5]) == (413, "nginx")
    finally:
        conn.close()
    assert re.search(r"client_max_body_size (\d+)k;", (CH08 / "nginx.conf").read_text())[1] == str(
        live.MAX_BODY_SIZE // 1024
    )


def test_an_app_dir_with_a_space_in_its_path(tmp_path):
    """`root "${APP_DIR}";` is quoted: unquoted, nginx -t refuses a path with a space."""
    app = tmp_path / "my app"
    (app / "static").mkdir(parents=True)
    (app / "static" / "deploy.css").write_bytes(CSS.read_bytes())
    ports = {f"PORT_{i}": free_port() for i in range(1, 5)}  # nothing listens: static only
    listen = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    with nginx("nginx.conf", prefix, LISTEN_PORT=listen, APP_DIR=app, **ports):
        status, headers, body = fetch(listen, "/static/deploy.css")
    assert (status, headers["X-Served-By"], body) == (200, "nginx", CSS.read_bytes())


@pytest.mark.skipif(os.geteuid() != 0, reason="only an nginx started by root changes its user")
def test_started_by_root_its_workers_cannot_read_a_private_folder(tmp_path):
    """As root, with no `user` line, nginx runs its workers as nobody: a 0700 folder is 403."""
    app = tmp_path / "app"  # pytest's tmp_path lies in a 0700 folder, like /root
    (app / "static").mkdir(parents=True)
    (app / "static" / "deploy.css").write_bytes(CSS.read_bytes())
    assert (tmp_path.parent.parent.stat().st_mode & 0o077) == 0
    ports = {f"PORT_{i}": free_port() for i in range(1, 5)}  # nothing listens: static only
    listen = free_port()
    conf = render("nginx.conf", tmp_path / "nginx.conf", LISTEN_PORT=listen, APP_DIR=app, **ports)
    command = [require_binary("nginx"), "-p", f"{tmp_path}/", "-c", conf, "-e", "stderr"]
    process = start([*command, "-g", "daemon off;"], tmp_path / "nginx.out")
    try:
        wait_for_port(listen, process, tmp_path / "nginx.out")
        status, _, _ = fetch(listen, "/static/deploy.css")
    finally:
        stop(process)
    assert status == 403
    assert "Permission denied" in (tmp_path / "error.log").read_text()


class Big(http.server.BaseHTTPRequestHandler):
    """An upstream whose answer is larger than nginx's proxy buffers: it goes to proxy_temp."""

    body = b"x" * (5 * 1024 * 1024)

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def slowly(port, path):
    """The length of a body read by a slow client: nginx must hold the rest in proxy_temp."""
    with socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.settimeout(30)
        client.connect(("127.0.0.1", port))
        request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        client.sendall(request.encode())
        time.sleep(1)  # meanwhile the upstream's answer fills nginx's buffers, then proxy_temp
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    return len(received.partition(b"\r\n\r\n")[2])


@pytest.mark.skipif(os.geteuid() != 0, reason="only an nginx started by root changes its user")
@pytest.mark.parametrize("prefix_mode", [0o700, 0o711])
def test_started_by_root_its_workers_must_enter_the_prefix(prefix_mode):
    """`mktemp -d` makes a 0700 folder: as root, nginx's nobody workers cannot reach proxy_temp
    inside it, and a large proxied answer arrives cut short. The page's `chmod 711` fixes it."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    prefix = Path(tempfile.mkdtemp())  # as `mktemp -d` does: 0700, owned by root
    try:
        prefix.chmod(prefix_mode)
        ports = {f"PORT_{i}": upstream.server_port for i in range(1, 5)}
        listen = free_port()
        values = {"LISTEN_PORT": listen, "APP_DIR": CH08, **ports}
        conf = render("nginx.conf", prefix / "nginx.conf", **values)
        command = [require_binary("nginx"), "-p", f"{prefix}/", "-c", conf, "-e", "stderr"]
        process = start([*command, "-g", "daemon off;"], prefix / "nginx.out")
        try:
            wait_for_port(listen, process, prefix / "nginx.out")
            received = slowly(listen, "/big")
        finally:
            stop(process)
        log = (prefix / "error.log").read_text()
    finally:
        upstream.shutdown()
        upstream.server_close()
        shutil.rmtree(prefix)
    if prefix_mode == 0o700:
        assert received < len(Big.body)
        assert "Permission denied" in log
    else:
        assert received == len(Big.body)
        assert "Permission denied" not in log
