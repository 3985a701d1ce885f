"""A visit counter in a signed cookie: forged or expired values are ignored; keys can rotate."""

import asyncio
import re
import secrets
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

MAX_AGE_DAYS = 30
MIN_KEY_LENGTH = 32

SECURITY_HEADERS = {
    # Plain text with nothing to load: the strictest policy fits.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def read_keys(path):
    """{version: key} from a file of "VERSION KEY" lines; the highest version signs."""
    keys = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        version, _, key = line.partition(" ")
        # [0-9]+, not str.isdigit(): that also accepts "²", which int() refuses.
        if not re.fullmatch("[0-9]+", version) or len(key.strip()) < MIN_KEY_LENGTH:
            raise ValueError(f"{path}: write each key as 'VERSION KEY', keys of 32+ characters")
        if int(version) in keys:  # "2" and "02" too: the later key would replace the earlier
            raise ValueError(f"{path}: key version {int(version)} appears twice")
        keys[int(version)] = key.strip()
    if not keys:
        raise ValueError(f"{path}: no keys found")
    return keys


class BaseHandler(tornado.web.RequestHandler):
    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


class VisitsHandler(BaseHandler):
    def get(self):
        # ANCHOR: read
        name = self.settings["visits_cookie"]  # "visits", or "__Host-visits" in production
        value = self.get_signed_cookie(name, max_age_days=MAX_AGE_DAYS, min_version=2)
        visits = int(value) + 1 if value is not None and value.isdigit() else 1
        # ANCHOR_END: read
        # ANCHOR: write
        self.set_signed_cookie(
            name,
            str(visits),
            expires_days=MAX_AGE_DAYS,
            httponly=True,
            secure=self.settings["secure_cookies"],
            samesite="Lax",
        )
        # ANCHOR_END: write
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"Visit number {visits}.\n")
        if value is not None:
            old = self.get_signed_cookie_key_version(name)
            self.write(f"Cookie received: signed with key {old}.\n")
        self.write(f"Cookie sent: signed with key {self.settings['key_version']}.\n")


def make_app(keys=None, production=False):
    if keys is None:
        keys = {1: secrets.token_urlsafe(32)}
    return tornado.web.Application(
        [(r"/", VisitsHandler)],
        default_handler_class=NotFoundHandler,
        cookie_secret=keys,
        key_version=max(keys),
        # ANCHOR: production
        # Production is served over HTTPS only: Secure always, and a __Host- name.
        # Plain http://localhost, a teaching simplification, gets neither.
        visits_cookie="__Host-visits" if production else "visits",
        secure_cookies=production,
        # ANCHOR_END: production
    )


async def main(port, keys=None, production=False):
    if keys is None:
        print("No --cookie-keys file: using a random key; cookies die with the server.")
    app = make_app(keys, production)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("cookie_keys", type=str, help="file of signing keys, one 'VERSION KEY' per line")
    define("production", default=False, type=bool, help="served over HTTPS: Secure cookies")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        keys = read_keys(options.cookie_keys) if options.cookie_keys else None
        if options.production and keys is None:
            raise ValueError("--production needs --cookie-keys, keys that last")
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, keys, options.production))
