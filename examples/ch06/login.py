"""Users: passwords hashed with scrypt, a signed cookie for the session, safe redirects."""

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.ioloop import IOLoop
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
LIMITS = {"username": 40, "password": 200}
SESSION_DAYS = 7

# Demo data, hashed at startup. Real passwords never appear in source code.
DEMO_PASSWORDS = {"mei": "plum rain on the harbour", "ravi": "seven lanterns and a kite"}


# ANCHOR: hashing
SCRYPT = {"n": 2**17, "r": 8, "p": 1}  # 128 MiB of memory, roughly 0.4 s per hash


def hash_password(password):
    """A self-describing scrypt hash: scrypt$n=...,r=...,p=...$salt$digest (base64)."""
    salt = os.urandom(16)
    digest = scrypt(password, salt, **SCRYPT)
    params = ",".join(f"{name}={value}" for name, value in SCRYPT.items())
    return f"scrypt${params}${b64(salt)}${b64(digest)}"


def verify_password(password, stored):
    """True if `password` matches a hash made by hash_password(), whatever its parameters."""
    _, params, salt, digest = stored.split("$")
    cost = {name: int(value) for name, value in (p.split("=") for p in params.split(","))}
    actual = scrypt(password, base64.b64decode(salt), **cost)
    return hmac.compare_digest(actual, base64.b64decode(digest))


def scrypt(password, salt, n, r, p):
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=32
    )


def b64(data):
    return base64.b64encode(data).decode("ascii")


# ANCHOR_END: hashing
class Accounts:
    """Usernames and password hashes, in memory."""

    def __init__(self, passwords):
        self.hashes = {name: hash_password(password) for name, password in passwords.items()}
        self.decoy = hash_password(secrets.token_urlsafe(16))

    def __contains__(self, username):
        return username in self.hashes

    def check(self, username, password):
        # Unknown users cost one hash as well, so timing does not tell who has an account.
        stored = self.hashes.get(username)
        matches = verify_password(password, stored or self.decoy)
        return matches and stored is not None


def safe_next(url):
    """`url` if it is a path on this site, otherwise "/": logging in never leads elsewhere."""
    if url.startswith("/") and not url.startswith(("//", "/\\")) and url.isprintable():
        return url
    return "/"


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, accounts):
        self.accounts = accounts

    def get_current_user(self):
        name = self.get_signed_cookie("user", max_age_days=SESSION_DAYS, min_version=2)
        if name is None or name.decode("utf-8") not in self.accounts:
            return None
        return name.decode("utf-8")


class HomeHandler(BaseHandler):
    def get(self):
        self.render("home.html")


class DiaryHandler(BaseHandler):
    @tornado.web.authenticated
    def get(self):
        self.render("diary.html")


class LoginHandler(BaseHandler):
    def get(self):
        next_url = safe_next(self.get_argument("next", "/"))
        self.render("login.html", next_url=next_url, username="", errors={}, failed=False)

    async def post(self):
        form = {field: self.get_body_argument(field, "") for field in LIMITS}
        next_url = safe_next(self.get_body_argument("next", "/"))
        errors = {}
        for field, limit in LIMITS.items():
            if not form[field]:
                errors[field] = "Please fill this in."
            elif len(form[field]) > limit:
                errors[field] = f"Please use at most {limit} characters."
        if not errors:
            # scrypt takes a moment: run it on a thread so other requests carry on meanwhile.
            matches = await IOLoop.current().run_in_executor(
                None, self.accounts.check, form["username"], form["password"]
            )
            if matches:
                self.set_signed_cookie(
                    "user",
                    form["username"],
                    expires_days=SESSION_DAYS,
                    httponly=True,
                    secure=self.request.protocol == "https",
                    samesite="Lax",
                )
                self.redirect(next_url, status=303)
                return
        self.set_status(400)
        self.render(
            "login.html",
            next_url=next_url,
            username=form["username"],
            errors=errors,
            failed=not errors,
        )


class LogoutHandler(BaseHandler):
    def post(self):
        self.clear_cookie("user", httponly=True, samesite="Lax")
        self.redirect("/", status=303)


def make_app(cookie_secret=None, passwords=DEMO_PASSWORDS):
    accounts = Accounts(passwords)
    handlers = [
        (r"/", HomeHandler),
        (r"/diary", DiaryHandler),
        (r"/login", LoginHandler),
        (r"/logout", LogoutHandler),
    ]
    return tornado.web.Application(
        [(path, handler, {"accounts": accounts}) for path, handler in handlers],
        template_path=BASE / "templates",
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        login_url="/login",
        xsrf_cookies=True,
        cross_origin_protection=True,
    )


async def main(port, cookie_secret=None):
    if cookie_secret is None:
        print("No --cookie-secret-file: using a random secret; a restart logs everyone out.")
    app = make_app(cookie_secret)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("cookie_secret_file", type=str, help="file holding the cookie secret")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        # ANCHOR: secret_file
        secret = None
        if options.cookie_secret_file:
            secret = Path(options.cookie_secret_file).read_text(encoding="utf-8").strip()
            if len(secret) < 32:
                raise ValueError(f"{options.cookie_secret_file}: use a secret of 32+ characters")
        # ANCHOR_END: secret_file
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, secret))
