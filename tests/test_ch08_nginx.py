"""examples/ch08/nginx.conf, run by nginx in front of four whoami.py processes."""

import http.client
import re

import pytest

from conftest import free_port
from examples.ch08 import whoami
from tests.ch08_fixtures import CH08, nginx, processes, wait_until

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
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


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
    assert "X-Worker-Pid" not in headers

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
