"""A small dictionary API that pages from a listed set of other origins may call (CORS)."""

import asyncio
import json
import re
import sys
import unicodedata
import urllib.parse

import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.options import define, options

MAX_BODY_SIZE = 16 * 1024
MAX_WORDS = 1000  # the words live in memory: a bound on how much clients can make it hold
LIMITS = {"word": 40, "definition": 500}  # JSON field -> most characters allowed
ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")  # as browsers write an Origin
ALLOWED_HEADERS = ("content-type",)  # request headers a page may add, lower case
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight's answer
SAMPLES = {
    "cookie": "A short text a server hands to the browser, which sends it back on later visits.",
    "latency": "The time one message needs to get from sender to receiver.",
    "origin": "A scheme, host and port together; pages of one origin may read each other.",
}
ESCAPES = str.maketrans({char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"})


LOCAL_HTTP = re.compile(r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?")
NOT_A_NAME = (".", "..")  # /words/. and /words/.. would lead a client somewhere else


def check_origins(origins, credentials=False):
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ValueError(
                f"not an origin: {origin!r} (write scheme://host[:port] in lower case,"
                " without a path; list each origin, never *)"
            )
        # Over plain http, anyone on the network can pose as that origin and read the answers.
        if credentials and origin.startswith("http:") and not LOCAL_HTTP.fullmatch(origin):
            raise ValueError(f"with --credentials, list https:// origins only, not {origin}")


class CORSHandler(tornado.web.RequestHandler):
    METHODS = ("GET",)  # what a page from a listed origin may do here

    def initialize(self, words):
        self.words = words

    def set_default_headers(self):
        # Called before initialize() and again by send_error(): use only the request here.
        self.set_header("Vary", "Origin")
        origin = self.request.headers.get("Origin")
        if origin in self.settings["trusted_origins"]:
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Expose-Headers", "Location")
            if self.settings["cors_credentials"]:
                self.set_header("Access-Control-Allow-Credentials", "true")

    def options(self, *args):
        self.set_status(204)
        self.set_header("Allow", ", ".join((*self.METHODS, "OPTIONS")))
        origin = self.request.headers.get("Origin")
        method = self.request.headers.get("Access-Control-Request-Method")
        if origin is None or method is None:
            return  # a plain OPTIONS, not a browser's preflight
        if origin not in self.settings["trusted_origins"]:
            raise tornado.web.HTTPError(403, "origin %s may not call this API", origin)
        if method not in self.METHODS:
            raise tornado.web.HTTPError(403, "method %s is not allowed here", method)
        asked = self.request.headers.get("Access-Control-Request-Headers", "")
        for name in filter(None, (name.strip().lower() for name in asked.split(","))):
            if name not in ALLOWED_HEADERS:
                raise tornado.web.HTTPError(403, "request header %s is not allowed", name)
        self.set_header("Access-Control-Allow-Methods", ", ".join(self.METHODS))
        self.set_header("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS))
        self.set_header("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE))

    def write_json(self, data):
        body = json.dumps(data, ensure_ascii=False)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write(body.translate(ESCAPES))  # < > & as \u003c \u003e \u0026: see the book

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = "something went wrong on our side"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500:
            message = error.get_message() or responses.get(status_code, "Unknown Error")
        self.write_json({"error": message})

    def read_json(self, *fields):
        """The values of the named fields of the JSON object in the body, each checked."""
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise tornado.web.HTTPError(415, "send JSON with Content-Type: application/json")
        try:
            data = json.loads(self.request.body)
        except (ValueError, RecursionError):
            raise tornado.web.HTTPError(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "the body must be a JSON object")
        for field in fields:
            value = data.get(field)
            if not isinstance(value, str) or not value.strip():
                raise tornado.web.HTTPError(400, "%s must be a string that is not empty", field)
            if len(value) > LIMITS[field]:
                raise tornado.web.HTTPError(
                    400, "%s is longer than %d characters", field, LIMITS[field]
                )
            if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
                raise tornado.web.HTTPError(400, "%s must not contain control characters", field)
        return [data[field] for field in fields]


class WordListHandler(CORSHandler):
    METHODS = ("GET", "POST")

    def get(self):
        self.write_json({"words": sorted(self.words)})

    def post(self):
        word, definition = self.read_json("word", "definition")
        if word in NOT_A_NAME:
            raise tornado.web.HTTPError(400, "%s cannot be a word here", word)
        if word in self.words:
            raise tornado.web.HTTPError(409, "%s is already in the dictionary", word)
        if len(self.words) >= MAX_WORDS:
            raise tornado.web.HTTPError(409, "the dictionary is full (%d words)", MAX_WORDS)
        self.words[word] = definition
        self.set_status(201)
        self.set_header("Location", "/words/" + urllib.parse.quote(word, safe=""))
        self.write_json({"word": word, "definition": definition})


class WordHandler(CORSHandler):
    METHODS = ("GET", "PUT")

    def get(self, word):
        if word not in self.words:
            raise tornado.web.HTTPError(404, "no such word: %s", word)
        self.write_json({"word": word, "definition": self.words[word]})

    def put(self, word):
        (definition,) = self.read_json("definition")
        if word not in self.words:
            raise tornado.web.HTTPError(404, "no such word: %s", word)
        self.words[word] = definition
        self.write_json({"word": word, "definition": definition})


class NotFoundHandler(CORSHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "no such resource: %s", self.request.path)


def make_app(origins=(), credentials=False):
    words = dict(SAMPLES)
    return tornado.web.Application(
        [
            (r"/words", WordListHandler, {"words": words}),
            (r"/words/([^/]+)", WordHandler, {"words": words}),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args={"words": words},
        cross_origin_protection=True,  # writes from other origins: only from trusted_origins
        trusted_origins=frozenset(origins),  # also the origins CORS lets read the answers
        cors_credentials=credentials,
    )


async def main(port, origins, credentials):
    app = make_app(origins, credentials)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("origins", default=[], multiple=True, help="origins whose pages may call the API")
    define("credentials", default=False, type=bool, help="let those pages send their cookies")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        check_origins(options.origins, options.credentials)
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.origins, options.credentials))
