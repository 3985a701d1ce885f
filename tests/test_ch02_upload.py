import asyncio
import contextlib
import os
import re
import socket
import stat
import subprocess
import sys
import threading

import pytest

from examples.ch02 import upload
from tests.support import ROOT, body_limit, free_port, run_example, serve_in_thread, wait_for_port

EXAMPLE = upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
STORED = re.compile(r"[0-9a-f]{32}\.(png|jpg|gif)")


@pytest.fixture
def site(mode, tmp_path):
    """The example keeping its photos in tmp_path/photos: imported, or run as a reader runs it."""
    photos = tmp_path / "photos"
    if mode == "in-process":
        with serve_in_thread(upload.make_app(photos), **body_limit(upload)) as srv:
            srv.photos = photos
            yield srv
    else:
        with run_example("ch02/upload.py", f"--uploads={photos}") as srv:
            srv.photos = photos
            yield srv


def multipart(*parts, boundary="b0undary"):
    """A multipart/form-data body: each part (name, filename or None, content type, data)."""
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        body += f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def send(server, *files, headers=None):
    """POST /upload with `files`, each (filename, data) as a `photo` part labelled image/png."""
    body, content_type = multipart(*[("photo", name, "image/png", data) for name, data in files])
    return server.fetch("/upload", "POST", body, {**content_type, **(headers or {})})


def kept(server):
    return sorted(path.name for path in server.photos.iterdir())


def errors(resp):
    return [li.text for li in resp.html.find("ul", role="alert")("li")]


def test_sniff_reads_the_first_bytes():
    assert upload.sniff(PNG) == (".png", "image/png")
    assert upload.sniff(JPEG) == (".jpg", "image/jpeg")
    assert upload.sniff(b"GIF87a...") == upload.sniff(GIF) == (".gif", "image/gif")
    for data in [b"", b"\x89PNG", SVG, b"<html>", b"%PDF-1.7"]:
        assert upload.sniff(data) is None


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("cat.png", "cat.png"),
        ("../../etc/passwd", "../../etc/passwd"),
        ("photo\u202egnp.exe", "photognp.exe"),  # a right-to-left override, dropped
        ("a\u200bb\u2028c\u3000d.gif", "ab c d.gif"),  # zero-width, line separator, wide space
        ("cafe\u0301.jpg", "caf\u00e9.jpg"),  # one é, not e and an accent
        ("\x07\x1b[31m", "[31m"),
        ("\u200b\u200e", "(no name)"),
        ("x" * 70, "x" * 60 + "…"),
    ],
)
def test_display_name(filename, shown):
    assert upload.display_name(filename) == shown


@pytest.mark.reader
def test_form(site):
    resp = site.fetch("/")
    assert resp.status == 200
    form = resp.html.find("form")
    assert (form["method"], form["action"]) == ("post", "/upload")
    assert form["enctype"] == "multipart/form-data"
    field = form.find("input", id="photo")
    assert (field["name"], field["type"]) == ("photo", "file")
    assert field.has_attr("multiple")
    assert "up to 4 files of 2 MiB each" in form.find("label").text
    assert resp.html.find("ul", role="alert") is None


@pytest.mark.reader
def test_a_photo_is_kept_under_a_name_of_our_own(site):
    resp = send(site, ("../../etc/passwd", PNG))
    assert resp.status == 200
    (name,) = kept(site)
    assert STORED.fullmatch(name) and name.endswith(".png")
    assert (site.photos / name).read_bytes() == PNG
    assert stat.S_IMODE(site.photos.stat().st_mode) == 0o700
    item = resp.html.find("img").find_parent("li")
    assert item.find("img")["src"] == f"/photos/{name}"
    assert item.text.strip() == "../../etc/passwd"
    photo = site.fetch(f"/photos/{name}")
    assert photo.status == 200
    assert photo.body == PNG
    assert photo.headers["Content-Type"] == "image/png"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Disposition"] == "attachment"
    assert photo.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(("data", "extension"), [(PNG, ".png"), (JPEG, ".jpg"), (GIF, ".gif")])
def test_the_bytes_choose_the_extension(site, data, extension):
    # Every file claims to be cat.png and image/png; what is kept follows the bytes.
    assert send(site, ("cat.png", data)).status == 200
    (name,) = kept(site)
    assert name.endswith(extension)
    assert site.fetch(f"/photos/{name}").headers["Content-Type"] == upload.CONTENT_TYPES[extension]


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../tmp/owned.png",
        "..\\..\\windows\\win.ini",
        "/etc/cron.d/evil",
        "photo\u202egnp.exe",
        "<script>alert(1)</script>.png",
        "x" * 5000,
        "\u00e9t\u00e9 \u590f\u5929.png",
    ],
)
def test_hostile_names_never_reach_the_disk(site, tmp_path, filename):
    resp = send(site, (filename, PNG))
    assert resp.status == 200
    assert resp.html.find("script") is None
    assert resp.html.find("img").find_parent("li").text.strip() == upload.display_name(filename)
    (name,) = kept(site)
    assert STORED.fullmatch(name)
    assert [path.name for path in tmp_path.iterdir()] == ["photos"]


def test_a_name_with_a_carriage_return_is_a_bad_body(site):
    resp = send(site, ("two\rlines.png", PNG))
    assert resp.status == 400
    assert resp.text.startswith("400: Invalid body: ")
    assert kept(site) == []


@pytest.mark.parametrize(
    ("data", "label"),
    [(SVG, "image/svg+xml"), (b"<html><script>alert(1)</script>", "image/png"), (b"", "image/gif")],
)
def test_the_declared_type_is_not_believed(site, data, label):
    body, content_type = multipart(("photo", "cat.png", label, data))
    resp = site.fetch("/upload", "POST", body, content_type)
    assert resp.status == 415
    assert errors(resp) == ["cat.png: this is not a PNG, JPEG or GIF image."]
    assert kept(site) == []


@pytest.mark.reader
def test_a_file_over_the_limit_gets_a_413_that_says_so(site):
    resp = send(site, ("big.png", PNG + b"\x00" * upload.MAX_FILE_SIZE))
    assert (resp.status, resp.reason) == (413, "Content Too Large")  # on every Python
    assert errors(resp) == [
        f"big.png: {len(PNG) + upload.MAX_FILE_SIZE:,} bytes is too big; the limit is 2,097,152."
    ]
    assert kept(site) == []


def test_a_file_of_exactly_the_limit_is_kept(site):
    assert send(site, ("edge.png", PNG.ljust(upload.MAX_FILE_SIZE, b"\x00"))).status == 200
    assert len(kept(site)) == 1


@pytest.mark.reader
def test_a_body_over_max_body_size_is_cut_off_at_the_door(site):
    answer = site.post_head("/upload", upload.MAX_BODY_SIZE + 1)
    assert answer == b"HTTP/1.1 400 Bad Request\r\n\r\n"


def test_the_door_says_continue_before_it_refuses(site):
    # What a client that asks first (curl does, for a big body) hears: go on, then no.
    head = (
        f"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        f"Content-Length: {upload.MAX_BODY_SIZE + 1}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(100):
            answer += chunk
    assert answer == b"HTTP/1.1 100 (Continue)\r\n\r\nHTTP/1.1 400 Bad Request\r\n\r\n"


def test_the_largest_honest_form_passes_the_door():
    parts = [("photo", "x" * 200, "image/png", b"\x00" * upload.MAX_FILE_SIZE)] * upload.MAX_FILES
    assert len(multipart(*parts)[0]) < upload.MAX_BODY_SIZE


def test_a_phone_photo_well_over_the_limit_still_gets_the_page(site):
    resp = send(site, ("IMG_0001.jpg", JPEG + b"\x00" * 12_000_000))
    assert resp.status == 413
    assert errors(resp)[0].startswith("IMG_0001.jpg: 12,000,044 bytes is too big")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/x-www-form-urlencoded"),
        (b"note=hello", "application/x-www-form-urlencoded"),
        *[
            (multipart(*parts)[0], "multipart/form-data; boundary=b0undary")
            for parts in [
                [("note", None, "text/plain", b"hello")],
                [("photo", None, "text/plain", b"not a file")],
                [("photo", "", "application/octet-stream", b"")],  # no file chosen
                [("picture", "cat.png", "image/png", PNG)],
            ]
        ],
    ],
)
def test_no_file_is_a_400(site, body, content_type):
    resp = site.fetch("/upload", "POST", body, {"Content-Type": content_type})
    assert resp.status == 400
    assert errors(resp) == ["Please choose a file to upload."]


def test_several_files_are_kept_together(site):
    resp = send(site, ("a.png", PNG), ("b.jpg", JPEG), ("c.gif", GIF), ("d.png", PNG))
    assert resp.status == 200
    shown = [li.text.strip() for li in resp.html.find_all("li")]
    assert shown == ["a.png", "b.jpg", "c.gif", "d.png"]
    assert len(kept(site)) == 4


def test_too_many_files_are_refused(site):
    resp = send(site, *[(f"{n}.png", PNG) for n in range(upload.MAX_FILES + 1)])
    assert resp.status == 400
    assert errors(resp) == ["Please send at most 4 files at a time."]
    assert kept(site) == []


def test_one_bad_file_keeps_none_and_each_problem_is_named(site):
    big = PNG + b"\x00" * upload.MAX_FILE_SIZE
    resp = send(site, ("ok.png", PNG), ("big.png", big), ("<b>notes</b>.png", b"hello"))
    assert resp.status == 413  # the first problem's status
    assert errors(resp) == [
        f"big.png: {len(big):,} bytes is too big; the limit is 2,097,152.",
        "<b>notes</b>.png: this is not a PNG, JPEG or GIF image.",
    ]
    assert resp.html.find("b") is None
    assert kept(site) == []


def test_a_broken_body_gets_a_plain_400(site):
    headers = {"Content-Type": "multipart/form-data; boundary=b0undary"}
    resp = site.fetch("/upload", "POST", b"--b0undary\r\nno end", headers)
    assert resp.status == 400
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert resp.text.startswith("400: Invalid body: ")


def test_a_post_from_another_site_is_refused(site):
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}
    resp = send(site, ("cat.png", PNG), headers=cross)
    assert resp.status == 403
    reason = "Sec-Fetch-Site cross-site & origin 'http://evil.example' not allowed"
    assert resp.text == f"403: {reason}\n"
    assert kept(site) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/photos/{'0' * 32}.png", 404),
        ("/photos/../upload.py", 404),
        ("/photos/cat.png", 404),
        (f"/photos/{'0' * 32}.svg", 404),
        ("/upload", 405),
    ],
)
def test_only_our_names_are_served(site, path, status):
    resp = site.fetch(path)
    assert resp.status == status
    if path.startswith(f"/photos/{'0' * 32}."):
        assert resp.text == "404: there is no such photo\n"


def test_pages_refuse_to_be_framed(site):
    for path in ["/", f"/photos/{'0' * 32}.png"]:
        resp = site.fetch(path)
        assert resp.headers["X-Frame-Options"] == "DENY"
    assert site.fetch("/").headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_symlink_planted_in_the_folder_is_not_followed(site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n the password")
    (site.photos).mkdir(mode=0o700, exist_ok=True)
    (site.photos / f"{'0' * 32}.png").symlink_to(secret)
    resp = site.fetch(f"/photos/{'0' * 32}.png")
    assert resp.status == 404
    assert b"password" not in resp.body


@pytest.mark.parametrize("permissions", [0o777, 0o750, 0o701])
def test_a_folder_others_can_use_is_refused(tmp_path, permissions):
    folder = tmp_path / "photos"
    folder.mkdir()
    folder.chmod(permissions)
    with pytest.raises(ValueError, match="must be a folder of yours that only you can use"):
        upload.make_app(folder)


def test_a_symlink_to_a_folder_is_refused(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "photos").symlink_to(tmp_path / "real")
    with pytest.raises(ValueError, match="must be a folder of yours"):
        upload.make_app(tmp_path / "photos")


def test_a_folder_of_another_user_is_refused(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir(mode=0o700)
    os.chown(folder, os.getuid() + 1, -1)  # the tests run as root in CI; skip otherwise
    with pytest.raises(ValueError, match="must be a folder of yours"):
        upload.make_app(folder)


def test_without_a_folder_make_app_makes_a_new_private_one():
    app = upload.make_app()
    (rule,) = [rule for rule in app.wildcard_router.rules if rule.name is None][:1]
    folder = rule.target_kwargs["upload_dir"]
    assert folder.name.startswith(upload.DEFAULT_UPLOADS_PREFIX)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.rmdir()


def test_our_own_private_folder_is_used_again(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir(mode=0o700)
    upload.make_app(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_shared_folder_stops_the_program_with_one_line(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    command = [sys.executable, "examples/ch02/upload.py", f"--uploads={folder}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr == f"error: {folder} must be a folder of yours that only you can use\n"


def test_by_default_each_run_gets_a_new_private_folder():
    port = free_port()
    command = [sys.executable, "examples/ch02/upload.py", f"--port={port}"]
    before = set(os.listdir(upload.tempfile.gettempdir()))
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
    finally:
        process.terminate()
        process.wait(10)
    new = [
        name
        for name in set(os.listdir(upload.tempfile.gettempdir())) - before
        if name.startswith(upload.DEFAULT_UPLOADS_PREFIX)
    ]
    assert len(new) == 1
    folder = os.lstat(os.path.join(upload.tempfile.gettempdir(), new[0]))
    assert stat.S_ISDIR(folder.st_mode) and stat.S_IMODE(folder.st_mode) == 0o700
    os.rmdir(os.path.join(upload.tempfile.gettempdir(), new[0]))


def test_a_full_folder_gets_a_507_that_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(upload, "MAX_TOTAL", len(PNG) * 2)
    with serve_in_thread(upload.make_app(tmp_path / "photos"), **body_limit(upload)) as srv:
        srv.photos = tmp_path / "photos"
        assert send(srv, ("a.png", PNG), ("b.png", PNG)).status == 200
        resp = send(srv, ("c.png", PNG))
        assert resp.status == 507
        assert errors(resp) == ["The photo folder is full; no more photos are taken."]
        assert len(kept(srv)) == 2


def test_a_failed_save_gets_a_503_not_a_500(site):
    site.photos.rmdir()  # the folder is gone: open() fails as on a full or broken disk
    resp = send(site, ("cat.png", PNG))
    assert resp.status == 503
    assert errors(resp) == ["The photos could not be saved just now; try again later."]


def test_a_client_that_stops_sending_is_cut_off(tmp_path, monkeypatch):
    # main() listens with a body timeout: a client that never finishes its body holds nothing.
    monkeypatch.setattr(upload, "BODY_TIMEOUT", 0.5)
    port = free_port()
    loop = asyncio.new_event_loop()
    task = loop.create_task(upload.main(port, upload.private_folder(tmp_path / "photos")))

    def run():
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head.encode() + b"only a little")
            assert sock.recv(100) == b""  # closed by the server, not by our 30 s timeout
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(10)
