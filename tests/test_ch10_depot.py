import asyncio
import builtins
import contextlib
import hashlib
import json
import os
import signal
import socket
import threading

import pytest
import tornado.web

from examples.ch10 import depot
from tests.support import (
    body_limit,
    free_port,
    run_example,
    serve_in_thread,
    stop,
    wait_until,
)

EXAMPLE = depot
BIG = os.urandom(3 * 1024 * 1024 + 7)  # far over MAX_BODY_SIZE, the limit of other requests


@pytest.fixture
def site(mode, tmp_path):
    """The depot keeping its files in tmp_path/depot: imported, or run as a reader runs it."""
    folder = tmp_path / "depot"
    if mode == "in-process":
        with serve_in_thread(depot.make_app(folder), **body_limit(depot)) as srv:
            srv.folder = folder
            yield srv
    else:
        with run_example("ch10/depot.py", f"--depot={folder}") as srv:
            srv.folder = folder
            yield srv


def put(server, name, data, query=""):
    resp = server.fetch(f"/upload/{name}{query}", "PUT", data)
    return resp, json.loads(resp.body)


def raw(server, head, body=b""):
    """Send a request head (and maybe the start of a body) as bytes; all the server answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def kept(site):
    return sorted(path.name for path in site.folder.iterdir())


@pytest.mark.reader
def test_a_big_file_is_stored_whole_and_served_back(site):
    resp, answer = put(site, "readings.bin", BIG)
    assert resp.status == 201
    assert resp.headers["Location"] == "/files/readings.bin"
    assert answer == {
        "name": "readings.bin",
        "bytes": len(BIG),
        "sha256": hashlib.sha256(BIG).hexdigest(),
    }
    assert kept(site) == ["readings.bin"]
    back = site.fetch("/files/readings.bin")
    assert back.status == 200
    assert back.body == BIG
    assert back.headers["Content-Type"] == "application/octet-stream"
    assert back.headers["Content-Disposition"] == "attachment"
    assert back.headers["X-Content-Type-Options"] == "nosniff"
    assert site.fetch("/files/readings.bin", headers={"Range": "bytes=0-9"}).body == BIG[:10]


@pytest.mark.reader
def test_too_big_is_a_413_with_a_message_before_the_body_is_read(site):
    length = depot.MAX_UPLOAD + 1
    answer = raw(site, f"PUT /upload/x.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert json.loads(body) == {"error": f"{length:,} bytes is too big; the limit is 209,715,200"}
    assert kept(site) == []


def test_curl_asking_first_is_told_413_and_never_sends_the_body(site):
    head = (
        "PUT /upload/x.bin HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        f"Content-Length: {depot.MAX_UPLOAD + 1}\r\n\r\n"
    )
    answer = raw(site, head)
    assert answer.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert b"100 (Continue)" not in answer


def test_with_a_sha256_the_file_must_match(site, tmp_path):
    good = hashlib.sha256(b"abc").hexdigest()
    resp, answer = put(site, "a.txt", b"abc", f"?sha256={good}")
    assert (resp.status, answer["sha256"]) == (201, good)
    resp, answer = put(site, "b.txt", b"abd", f"?sha256={good}")
    assert (resp.status, answer) == (
        422,
        {"error": "the file that arrived does not have that sha256"},
    )
    assert site.fetch("/files/b.txt").status == 404


@pytest.mark.parametrize("digest", ["abc", "A" * 64, "g" * 64, "%00"])
def test_a_malformed_sha256_is_400(site, digest):
    resp, answer = put(site, "a.txt", b"abc", f"?sha256={digest}")
    assert (resp.status, answer) == (400, {"error": "sha256 must be 64 lowercase hex digits"})


def test_a_name_taken_is_409_and_the_first_file_stays(site):
    assert put(site, "a.txt", b"first")[0].status == 201
    resp, answer = put(site, "a.txt", b"second")
    assert (resp.status, answer) == (409, {"error": "a.txt exists already; pick another name"})
    assert site.fetch("/files/a.txt").body == b"first"


def test_a_name_taken_while_the_body_arrived_is_409(site):
    class Racer(depot.UploadHandler):
        def put(self, name):
            (self.folder / name).write_bytes(b"the other upload")
            return super().put(name)

    folder = site.folder.parent / "raced"
    app = depot.make_app(folder)
    app.wildcard_router.rules[0].target = Racer
    with serve_in_thread(app) as srv:
        resp = srv.fetch("/upload/a.txt", "PUT", b"mine")
        assert (resp.status, json.loads(resp.body)["error"]) == (
            409,
            "a.txt exists already; pick another name",
        )
        assert (folder / "a.txt").read_bytes() == b"the other upload"
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_a_chunked_upload_is_411(site):
    head = "PUT /upload/x.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw(site, head, b"3\r\nabc\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 Length Required\r\n")
    assert b'{"error": "send the file with a Content-Length (curl -T FILE does)"}' in answer


@pytest.mark.parametrize("length", ["abc", "-1", "1.5", "9" * 20])
def test_a_bad_content_length_is_400(site, length):
    answer = raw(site, f"PUT /upload/x.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b'{"error": "Content-Length must be a number of bytes"}')


def test_a_full_depot_is_507(site, monkeypatch):
    monkeypatch.setattr(depot, "MAX_TOTAL", 10)
    assert put(site, "a.txt", b"0123456789")[0].status == 201
    resp, answer = put(site, "b.txt", b"x")
    assert (resp.status, answer) == (507, {"error": "the depot is full"})


def slow_upload(server, name, length):
    """A connection that declares `length` bytes and sends one: an upload under way."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = f"PUT /upload/{name} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    sock.sendall(head.encode() + b"x")
    return sock


def test_uploads_under_way_count_against_the_total(tmp_path, monkeypatch):
    monkeypatch.setattr(depot, "MAX_TOTAL", 100)
    folder = tmp_path / "depot"
    app = depot.make_app(folder)
    with serve_in_thread(app, **body_limit(depot)) as srv:
        with slow_upload(srv, "a.bin", 60):
            assert wait_until(lambda: list(folder.iterdir()))  # the first upload is under way
            resp, answer = put(srv, "b.bin", b"x" * 60)
            assert (resp.status, answer) == (507, {"error": "the depot is full"})
            assert put(srv, "c.bin", b"x" * 40)[0].status == 201
        assert wait_until(lambda: app.settings["ledger"].uploads == 0)  # its promise is released
        assert app.settings["ledger"].promised == 0
        assert put(srv, "b.bin", b"x" * 60)[0].status == 201
    assert sorted(p.name for p in folder.iterdir()) == ["b.bin", "c.bin"]


def test_more_uploads_at_once_than_the_limit_is_503_with_retry_after(tmp_path):
    folder = tmp_path / "depot"
    with serve_in_thread(depot.make_app(folder), **body_limit(depot)) as srv:
        slow = [slow_upload(srv, f"{n}.bin", 1000) for n in range(depot.MAX_UPLOADS)]
        try:
            assert wait_until(lambda: len(list(folder.iterdir())) == depot.MAX_UPLOADS)
            resp, answer = put(srv, "one.bin", b"more")
            assert (resp.status, resp.headers["Retry-After"]) == (503, "10")
            assert answer == {"error": "busy: 8 uploads under way; try again"}
        finally:
            for sock in slow:
                sock.close()
        assert wait_until(lambda: not list(folder.iterdir()))
        assert put(srv, "one.bin", b"more")[0].status == 201


def test_no_file_descriptor_left_is_503_not_500(tmp_path, monkeypatch):
    def no_descriptors(**kwargs):
        raise OSError(24, "Too many open files")

    app = depot.make_app(tmp_path / "depot")
    monkeypatch.setattr(depot.tempfile, "mkstemp", no_descriptors)
    with serve_in_thread(app) as srv:
        resp, answer = put(srv, "a.bin", b"abc")
    assert (resp.status, resp.headers["Retry-After"]) == (503, "10")
    assert answer == {"error": "the file cannot be stored now; try again later"}
    assert app.settings["ledger"].uploads == 0


def test_an_empty_upload_is_400(site):
    resp, answer = put(site, "empty.txt", b"")
    assert (resp.status, answer) == (400, {"error": "the file is empty; send at least one byte"})
    assert kept(site) == []


def test_the_number_of_files_is_limited(site, monkeypatch):
    monkeypatch.setattr(depot, "MAX_FILES", 2)
    assert put(site, "a.txt", b"a")[0].status == 201
    assert put(site, "b.txt", b"b")[0].status == 201
    resp, answer = put(site, "c.txt", b"c")
    assert (resp.status, answer) == (507, {"error": "the depot holds 2 files, its limit"})


def test_no_upload_scans_the_folder_and_a_restart_counts_what_is_there(tmp_path, monkeypatch):
    folder = tmp_path / "depot"
    app = depot.make_app(folder)

    def no_scan(path):
        raise AssertionError("an upload scanned the folder")

    with monkeypatch.context() as patched:
        patched.setattr(depot.os, "scandir", no_scan)
        with serve_in_thread(app) as srv:
            assert put(srv, "a.txt", b"abc")[0].status == 201
            assert put(srv, "b.txt", b"de")[0].status == 201
    again = depot.make_app(folder).settings["ledger"]
    assert (again.files, again.used, again.uploads, again.promised) == (2, 5, 0, 0)


@pytest.mark.parametrize("size", [10, 200_000])
def test_a_disk_that_fills_up_is_507_and_nothing_is_kept(tmp_path, monkeypatch, size):
    def full_disk(handle, mode):
        os.close(handle)
        return builtins.open("/dev/full", mode)  # every write: ENOSPC, as on a full disk

    monkeypatch.setattr(depot.os, "fdopen", full_disk)
    with serve_in_thread(depot.make_app(tmp_path / "depot")) as srv:
        resp = srv.fetch("/upload/a.bin", "PUT", b"x" * size)
    assert (resp.status, json.loads(resp.body)) == (
        507,
        {"error": "the file could not be stored; try again later"},
    )
    assert list((tmp_path / "depot").iterdir()) == []


def test_a_client_that_leaves_halfway_leaves_no_file(tmp_path):
    folder = tmp_path / "depot"
    with serve_in_thread(depot.make_app(folder), **body_limit(depot)) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(
                b"PUT /upload/half.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
            )
            sock.sendall(b"x" * 300_000)
            assert wait_until(lambda: list(folder.iterdir()))  # the part file is being written
            assert next(folder.iterdir()).name.startswith(depot.PART)
        assert wait_until(lambda: not list(folder.iterdir()))


@contextlib.contextmanager
def main_in_thread(folder, monkeypatch):
    """depot.main() itself, listening on a free port from a loop in a thread; cancelled after."""
    port, loop, servers = free_port(), asyncio.new_event_loop(), []
    listen = tornado.web.Application.listen

    def listen_and_keep(app, *args, **kwargs):  # main's own listen(), its server kept to stop
        servers.append(listen(app, *args, **kwargs))
        return servers[-1]

    monkeypatch.setattr(tornado.web.Application, "listen", listen_and_keep)
    task = loop.create_task(depot.main(port, folder))
    thread = threading.Thread(target=loop.run_until_complete, args=(asyncio.wait([task]),))
    thread.start()
    try:
        assert wait_until(lambda: servers)
        yield port
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(15)
        servers[0].stop()
        loop.close()


@pytest.mark.parametrize("head", [b"", b"PUT /upload/a.bin HTTP/1.1\r\nHost: x\r\n"])
def test_a_connection_that_sends_no_whole_request_head_is_closed(tmp_path, monkeypatch, head):
    # Slowloris: without idle_connection_timeout, Tornado waits an hour for a request's headers
    monkeypatch.setattr(depot, "IDLE_TIMEOUT", 0.5)
    with (
        main_in_thread(tmp_path / "depot", monkeypatch) as port,
        socket.create_connection(("127.0.0.1", port), timeout=30) as sock,
    ):
        sock.sendall(head)
        assert sock.recv(1) == b""  # closed by the depot


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_only_put_uploads(site, method):
    assert site.fetch("/upload/a.txt", method).status == 405


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/files/missing.bin", 404),
        ("GET", "/files/.part-x", 404),
        ("GET", "/files/a%00b", 404),
        ("PUT", "/upload/..%2Fx", 404),
        ("POST", "/files/a.txt", 405),
    ],
)
def test_no_other_file_is_reachable(site, method, path, status):
    assert site.fetch(path, method, b"" if method != "GET" else None).status == status


def test_a_folder_others_can_use_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(ValueError, match="must be a folder of yours that only you can use"):
        depot.private_folder(shared)
    assert depot.private_folder(tmp_path / "new").stat().st_mode & 0o777 == 0o700


def test_it_says_where_it_keeps_the_files_and_stops_on_ctrl_c(tmp_path):
    folder = tmp_path / "depot"
    with run_example("ch10/depot.py", f"--depot={folder}") as srv:
        assert srv.output().startswith(f"Keeping the files in {folder}\n")
        assert stop(srv.process, signal.SIGINT) == 0
        assert srv.output().endswith("Stopped\n")
        assert "Traceback" not in srv.output()
