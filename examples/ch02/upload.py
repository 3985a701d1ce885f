"""Receiving files: photos checked by their bytes, renamed, and kept out of the static folder."""

import asyncio
import os
import secrets
import stat
import sys
import tempfile
import unicodedata
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

# ANCHOR: settings
BASE = Path(__file__).parent
# Teaching default: a new private folder in /tmp for each run. A real site names its own.
DEFAULT_UPLOADS_PREFIX = "tornado-book-uploads-"
MAX_FILES = 4
MAX_FILE_SIZE = 2 * 1024 * 1024
# Room for a phone's photo or two over the limit: their senders get a page that says so.
MAX_BODY_SIZE = 16 * 1024 * 1024
BODY_TIMEOUT = 60  # seconds a client may take to send its whole body
IDLE_TIMEOUT = 30  # seconds a kept-alive connection may sit doing nothing
MAX_TOTAL = 256 * 1024 * 1024  # all the photos together: anyone may upload, the disk is ours
IMAGE_TYPES = {  # the first bytes of each kind of image we keep: (extension, Content-Type)
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
    b"GIF87a": (".gif", "image/gif"),
    b"GIF89a": (".gif", "image/gif"),
}
CONTENT_TYPES = dict(IMAGE_TYPES.values())
# RFC 9110's name for 413; the default comes from Python and differs by version.
REASONS = {413: "Content Too Large"}
MAX_NAME = 60
# ANCHOR_END: settings


def sniff(data):
    """(extension, Content-Type) of the image kind that `data` starts like, or None."""
    for magic, kind in IMAGE_TYPES.items():
        if data.startswith(magic):
            return kind
    return None


def display_name(filename):
    """The client's file name as text to show, never as a path: no invisible characters."""
    shown = ""
    for char in unicodedata.normalize("NFC", filename):
        kind = unicodedata.category(char)
        if kind.startswith("Z"):
            shown += " "  # line and paragraph separators, odd spaces
        elif not kind.startswith("C"):  # controls, bidi overrides, zero-width marks
            shown += char
    shown = " ".join(shown.split())
    return shown[:MAX_NAME] + ("…" if len(shown) > MAX_NAME else "") or "(no name)"


def private_folder(path):
    """`path` as a folder only this user can use: created so, or refused if it is not."""
    path = Path(path)
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        found = os.lstat(path)  # lstat: a symlink to a folder is not our folder
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
            raise ValueError(f"{path} must be a folder of yours that only you can use") from None
    return path


def used_space(folder):
    return sum(entry.stat().st_size for entry in os.scandir(folder))


def problem(upload):
    """(status, message) if this file will not be kept, else None."""
    name = display_name(upload.filename)
    if len(upload.body) > MAX_FILE_SIZE:
        size = len(upload.body)
        return 413, f"{name}: {size:,} bytes is too big; the limit is {MAX_FILE_SIZE:,}."
    if sniff(upload.body) is None:
        return 415, f"{name}: this is not a PNG, JPEG or GIF image."
    return None


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, upload_dir):
        self.upload_dir = upload_dir

    def set_default_headers(self):
        # Our pages are never shown inside another site's frame (clickjacking).
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Content-Security-Policy", "frame-ancestors 'none'")

    def render_page(self, saved=(), errors=()):
        self.render(
            "upload.html",
            saved=saved,
            errors=errors,
            max_files=MAX_FILES,
            max_mib=MAX_FILE_SIZE // (1024 * 1024),
        )

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: a cross-site POST, a body Tornado could not parse.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {error.get_message()}\n")
        else:
            super().write_error(status_code, **kwargs)


class FormHandler(BaseHandler):
    def get(self):
        self.render_page()


class UploadHandler(BaseHandler):
    def post(self):
        uploads = self.request.files.get("photo", [])
        if not uploads:
            self.set_status(400)
            self.render_page(errors=["Please choose a file to upload."])
            return
        if len(uploads) > MAX_FILES:
            self.set_status(400)
            self.render_page(errors=[f"Please send at most {MAX_FILES} files at a time."])
            return
        problems = [found for found in map(problem, uploads) if found]
        if problems:
            status = problems[0][0]
            self.set_status(status, REASONS.get(status))
            self.render_page(errors=[message for _, message in problems])
            return
        try:
            if used_space(self.upload_dir) + sum(len(u.body) for u in uploads) > MAX_TOTAL:
                self.set_status(507)
                self.render_page(errors=["The photo folder is full; no more photos are taken."])
                return
            saved = [(display_name(upload.filename), self.save(upload)) for upload in uploads]
        except OSError:  # a full disk, a folder gone: say so, not a 500
            self.set_status(503)
            self.render_page(errors=["The photos could not be saved just now; try again later."])
            return
        self.render_page(saved=saved)

    def save(self, upload):
        extension, _ = sniff(upload.body)
        name = secrets.token_hex(16) + extension
        with open(self.upload_dir / name, "xb") as file:
            file.write(upload.body)
        return name


class PhotoHandler(BaseHandler):
    def get(self, name):
        try:
            content_type = CONTENT_TYPES[Path(name).suffix]
            # O_NOFOLLOW: a symlink planted in the folder is not followed to another file.
            file = os.open(self.upload_dir / name, os.O_RDONLY | os.O_NOFOLLOW)
        except (KeyError, OSError):
            raise tornado.web.HTTPError(404, "there is no such photo") from None
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Disposition", "attachment")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        with open(file, "rb") as opened:
            self.write(opened.read())


def make_app(upload_dir=None):
    folder = upload_dir or tempfile.mkdtemp(prefix=DEFAULT_UPLOADS_PREFIX)
    where = {"upload_dir": private_folder(folder)}
    return tornado.web.Application(
        [
            (r"/", FormHandler, where),
            (r"/upload", UploadHandler, where),
            (r"/photos/([0-9a-f]{32}\.[a-z]+)", PhotoHandler, where),
        ],
        template_path=BASE / "templates",
        cross_origin_protection=True,
    )


async def main(port, upload_dir):
    app = make_app(upload_dir)
    app.listen(
        port,
        address="127.0.0.1",
        max_body_size=MAX_BODY_SIZE,
        body_timeout=BODY_TIMEOUT,
        idle_connection_timeout=IDLE_TIMEOUT,
    )
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("uploads", default="", help="folder that keeps the photos (default: a new private one)")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        uploads = private_folder(options.uploads) if options.uploads else None
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, uploads))
