"""Big files sent with PUT, written to disk as they arrive, and served back from there."""

import asyncio
import hashlib
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

# ANCHOR: settings
MAX_BODY_SIZE = 64 * 1024  # every request but an upload
MAX_UPLOAD = 200 * 1024 * 1024  # one file
MAX_TOTAL = 1024 * 1024 * 1024  # the whole depot, uploads under way included
MAX_FILES = 10_000  # files in the depot, uploads under way included
MAX_UPLOADS = 8  # uploads under way at once; each holds a socket and an open file
BODY_TIMEOUT = 600  # seconds to send a whole body: 200 MiB at about 340 KiB/s
IDLE_TIMEOUT = 60  # seconds to send a request's headers; Tornado's default is an hour
NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"  # never a path, never a dot file
LENGTH = re.compile(r"[0-9]{1,19}")
DIGEST = re.compile(r"[0-9a-f]{64}")
PART = ".part-"  # unfinished uploads; NAME cannot reach them
# RFC 9110's name for 413; the default comes from Python and differs by version.
REASONS = {413: "Content Too Large"}
# ANCHOR_END: settings


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


# ANCHOR: upload
class Ledger:
    """What the depot holds and has promised, kept in memory: no upload scans the folder."""

    def __init__(self, folder):
        self.folder = folder
        entries = list(os.scandir(folder))  # once, at start: what an earlier run left
        self.files = len(entries)
        self.used = sum(entry.stat().st_size for entry in entries)
        self.uploads = 0  # under way
        self.promised = 0  # bytes the uploads under way have declared


@tornado.web.stream_request_body
class UploadHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("PUT",)

    def initialize(self, ledger):
        self.ledger, self.folder = ledger, ledger.folder
        self.part = self.file = None

    def refuse(self, status, message, retry_after=None):
        self.discard()
        self.set_status(status, REASONS.get(status))
        if retry_after:
            self.set_header("Retry-After", str(retry_after))
        self.finish({"error": message})

    def prepare(self):
        # Teaching simplification: anyone may upload, and the limits below are everyone's at
        # once. A real depot checks who is asking here, before a byte of the body is read
        # (chapter 6), and keeps an account for each user.
        length = self.request.headers.get("Content-Length")
        if length is None:
            return self.refuse(411, "send the file with a Content-Length (curl -T FILE does)")
        if not LENGTH.fullmatch(length):
            return self.refuse(400, "Content-Length must be a number of bytes")
        if int(length) > MAX_UPLOAD:
            return self.refuse(
                413, f"{int(length):,} bytes is too big; the limit is {MAX_UPLOAD:,}"
            )
        if int(length) == 0:
            return self.refuse(400, "the file is empty; send at least one byte")
        self.expected = self.get_query_argument("sha256", None)
        if self.expected is not None and not DIGEST.fullmatch(self.expected):
            return self.refuse(400, "sha256 must be 64 lowercase hex digits")
        if (self.folder / self.path_args[0]).exists():
            return self.refuse(409, f"{self.path_args[0]} exists already; pick another name")
        ledger = self.ledger
        if ledger.uploads >= MAX_UPLOADS:
            return self.refuse(503, f"busy: {ledger.uploads} uploads under way; try again", 10)
        if ledger.files + ledger.uploads >= MAX_FILES:
            return self.refuse(507, f"the depot holds {MAX_FILES:,} files, its limit")
        if ledger.used + ledger.promised + int(length) > MAX_TOTAL:
            return self.refuse(507, "the depot is full")
        try:
            handle, path = tempfile.mkstemp(prefix=PART, dir=self.folder)
        except OSError:  # out of file descriptors, or the folder is gone
            return self.refuse(503, "the file cannot be stored now; try again later", 10)
        self.part, self.file = Path(path), os.fdopen(handle, "wb")
        self.reserved = int(length)  # counted as used from now until put or discard
        ledger.uploads += 1
        ledger.promised += self.reserved
        self.request.connection.set_max_body_size(int(length))
        self.digest = hashlib.sha256()
        self.failed = False

    def data_received(self, chunk):
        if self.failed:
            return
        try:
            self.file.write(chunk)
        except OSError:  # a full disk: the rest of the body is read and dropped
            self.failed = True
        self.digest.update(chunk)

    # ANCHOR_END: upload
    # ANCHOR: put
    def put(self, name):
        try:
            self.file.close()  # the last bytes reach the disk here
        except OSError:
            self.failed = True
        if self.failed:
            return self.refuse(507, "the file could not be stored; try again later")
        if self.expected not in (None, self.digest.hexdigest()):
            return self.refuse(422, "the file that arrived does not have that sha256")
        try:
            os.link(self.part, self.folder / name)  # never replaces a file already there
        except FileExistsError:
            return self.refuse(409, f"{name} exists already; pick another name")
        self.discard()  # the name is the file's only link now
        size = (self.folder / name).stat().st_size
        self.ledger.files += 1
        self.ledger.used += size
        self.set_status(201)
        self.set_header("Location", self.reverse_url("file", name))
        self.finish({"name": name, "bytes": size, "sha256": self.digest.hexdigest()})

    def on_connection_close(self):
        self.discard()  # the client went away in the middle: no half file is kept

    def discard(self):
        if self.part is not None:
            self.file.close()
            self.part.unlink()
            self.part = None
            self.ledger.uploads -= 1
            self.ledger.promised -= self.reserved


# ANCHOR_END: put


class DownloadHandler(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path):
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", "attachment")
        self.set_header("X-Content-Type-Options", "nosniff")


# ANCHOR: app
def make_app(upload_dir=None):
    # Teaching default: a new private folder in /tmp for each run. A real depot names its own.
    folder = private_folder(upload_dir or tempfile.mkdtemp(prefix="tornado-book-depot-"))
    ledger = Ledger(folder)
    return tornado.web.Application(
        [
            (rf"/upload/({NAME})", UploadHandler, dict(ledger=ledger)),
            tornado.web.url(rf"/files/({NAME})", DownloadHandler, dict(path=folder), name="file"),
        ],
        depot=folder,
        ledger=ledger,
    )


async def main(port, upload_dir):
    app = make_app(upload_dir)
    print(f"Keeping the files in {app.settings['depot']}", flush=True)
    # Teaching simplification: eight clients sending a byte a second hold every upload for
    # BODY_TIMEOUT, and Tornado accepts connections until the process runs out of file
    # descriptors. A real depot demands a minimum rate and caps connections (nginx can do both).
    app.listen(
        port,
        address="127.0.0.1",
        max_body_size=MAX_BODY_SIZE,
        body_timeout=BODY_TIMEOUT,
        idle_connection_timeout=IDLE_TIMEOUT,  # a silent or dawdling connection is closed
    )
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


# ANCHOR_END: app


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("depot", default="", help="folder that keeps the files (default: a new private one)")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        depot = private_folder(options.depot) if options.depot else None
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, depot))
    except KeyboardInterrupt:  # Ctrl+C: asyncio.run has cancelled main and waited for it
        print("Stopped", flush=True)
