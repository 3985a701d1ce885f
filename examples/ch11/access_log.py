"""Access logs as JSON lines: one object per request, with the client's address and a query
string whose values are kept only for parameters known to be harmless."""

import asyncio
import datetime
import hmac
import json
import logging
import logging.config
import re
import sys
import urllib.parse

import tornado.options
import tornado.web
from tornado.log import access_log, app_log
from tornado.options import define, options

# Teaching simplification: a real token is read from a file only the service account can read.
TOKEN = "demo-token"  # noqa: S105
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
KEPT = {"day"}  # query parameters whose values may be logged; every other value is hidden
LIMIT = 200  # characters kept of the method, path, query and User-Agent: a line stays short
MAX_BODY_SIZE = 64 * 1024  # none of these handlers reads a body: refuse big ones unread


# ANCHOR: formatter
class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's fields."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "http", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)  # ensure_ascii: only ASCII, every line break escaped


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,  # tornado.access and friends exist already
    "formatters": {"json": {"()": JsonLines}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"tornado.access": {"level": "INFO"}},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
}
# ANCHOR_END: formatter


# ANCHOR: log_request
def redacted(query):
    """The query string with the value of every parameter not in KEPT replaced by ***."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return urllib.parse.urlencode(
        [(name, value if name in KEPT else "***") for name, value in pairs], safe="*"
    )


def readable(value):
    """Tornado decodes the request line and headers as latin-1; clients mostly send UTF-8."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def log_request(handler):
    """The Application's log_function: the level follows the status, as Tornado's own does."""
    status = handler.get_status()
    if status < 400:
        level = logging.INFO
    elif status < 500:
        level = logging.WARNING
    else:
        level = logging.ERROR
    request = handler.request
    method, path = request.method[:LIMIT], readable(request.path)[:LIMIT]
    fields = {
        "status": status,
        "method": method,
        "path": path,
        "query": redacted(readable(request.query))[:LIMIT],
        "client": request.remote_ip,
        "ms": round(request.request_time() * 1000, 1),
        "agent": readable(request.headers.get("User-Agent", ""))[:LIMIT],
    }
    access_log.log(level, "%s %s %d", method, path, status, extra={"http": fields})


# ANCHOR_END: log_request


# ANCHOR: handler
class ReportHandler(tornado.web.RequestHandler):
    def initialize(self, token):
        self.token = token

    def get(self):
        day = self.get_query_argument("day", "")
        given = self.get_query_argument("token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            self.set_status(403)
            self.write({"error": "the link's token is missing or wrong"})
        elif not DAY.fullmatch(day):
            self.set_status(400)
            self.write({"error": "day must look like 2026-12-01"})
        else:
            self.write({"day": day, "orders": sum(map(int, day.split("-"))) % 50})

    def log_exception(self, typ, value, tb):
        """Tornado's version logs the whole URI, token and all; this one logs the path only."""
        if isinstance(value, tornado.web.HTTPError):
            return  # answered with its status, which the access log records
        app_log.error(
            "uncaught exception in %s %s",
            self.request.method,
            self.request.path,
            exc_info=(typ, value, tb),
        )


# ANCHOR_END: handler


def make_app(token=TOKEN):
    return tornado.web.Application(
        [(r"/report", ReportHandler, dict(token=token))],
        log_function=log_request,
    )


# ANCHOR: main
async def main(port, xheaders=False):
    logging.config.dictConfig(LOGGING)
    app = make_app()
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE, xheaders=xheaders)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("xheaders", default=False, type=bool, help="trust X-Real-IP from the proxy in front")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, options.xheaders))
    except KeyboardInterrupt:  # Ctrl+C: stop without a traceback
        print("Stopped", flush=True)
# ANCHOR_END: main
