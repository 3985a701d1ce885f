"""Users: passwords hashed with scrypt, a signed cookie for the session, safe redirects."""

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import math
import os
import secrets
import sys
import time
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.ioloop import IOLoop
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
LIMITS = {"username": 40, "password": 200}
SESSION_DAYS = 7
LOGIN_WINDOW = 60  # seconds; in any such window, at most:
LOGIN_ATTEMPTS = 5  # password checks by one client (an IPv4 address, an IPv6 /64) ...
ATTEMPTS_PER_56 = 20  # ... by all the /64s of one IPv6 /56 together ...
ATTEMPTS_PER_48 = 50  # ... and by all those of one /48
MAX_CLIENTS = 10_000  # keys each limit remembers; the least recently seen is forgotten
# ANCHOR: pool
# scrypt runs here, two hashes at a time (2 x 128 MiB), not on the default executor.
HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")
MAX_PENDING = 8  # password checks running or queued, from all clients together ...
MAX_PENDING_PER_CLIENT = 2  # ... from one client ...
MAX_PENDING_PER_NETWORK = 4  # ... and from one IPv6 /48 (for IPv4: from one address)
BUSY_RETRY = 5  # seconds a client is asked to wait when all of them are taken
# ANCHOR_END: pool

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

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


# ANCHOR: limit
class RateLimit:
    """At most `attempts` per `window` seconds for each key, for at most `max_keys` keys."""

    def __init__(self, attempts, window, clock=time.monotonic, max_keys=MAX_CLIENTS):
        self.attempts, self.window, self.clock, self.max_keys = attempts, window, clock, max_keys
        self.recent = OrderedDict()  # key -> its attempts in the window; least recent key first

    def wait(self, key):
        """0 if `key` may try now, else the seconds until it may. Counts nothing."""
        now = self.clock()
        times = [t for t in self.recent.get(key, []) if t > now - self.window]
        return math.ceil(times[0] + self.window - now) if len(times) >= self.attempts else 0

    def count(self, key):
        """Count a try by `key`, now."""
        now = self.clock()
        times = [t for t in self.recent.pop(key, []) if t > now - self.window]
        self.recent[key] = [*times, now]  # now the most recent key
        if len(self.recent) > self.max_keys:
            self.recent.popitem(last=False)  # memory stays bounded, and so does each call


def client_keys(address):
    """What the limits count, narrowest first: [IPv4 address], or an IPv6 [/64, /56, /48]."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # "127.1" or "2130706433": Tornado's xheaders accept these spellings
        return [address]
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
        ip = ip.ipv4_mapped
    if ip.version == 4:
        return [str(ip)]
    # A phone on a mobile network has a /64 of its own; a home usually a /56 or a /48.
    return [str(ipaddress.IPv6Network((int(ip) >> 128 - n << 128 - n, n))) for n in (64, 56, 48)]


class Limits:
    """One RateLimit for each key of client_keys(): a try is allowed if all of them allow it."""

    def __init__(self, window=LOGIN_WINDOW, clock=time.monotonic):
        attempts = [LOGIN_ATTEMPTS, ATTEMPTS_PER_56, ATTEMPTS_PER_48]
        self.tiers = [RateLimit(n, window, clock) for n in attempts]

    # strict=False: an IPv4 client has one key, and only the first RateLimit counts it.
    def wait(self, keys):
        return max(tier.wait(key) for tier, key in zip(self.tiers, keys, strict=False))

    def count(self, keys):
        for tier, key in zip(self.tiers, keys, strict=False):
            tier.count(key)


class Pending:
    """Password checks running or waiting for HASHING: in all, per client, per network."""

    def __init__(self, limit, per_client, per_network):
        self.limit, self.per_client, self.per_network = limit, per_client, per_network
        self.count, self.clients, self.networks = 0, Counter(), Counter()

    def full_for(self, keys):
        """True if the client (keys[0]) or its widest network (keys[-1]) has its share."""
        return (
            self.clients[keys[0]] >= self.per_client or self.networks[keys[-1]] >= self.per_network
        )

    @contextmanager
    def hold(self, keys):
        self.count += 1
        self.clients[keys[0]] += 1
        self.networks[keys[-1]] += 1
        try:
            yield
        finally:
            self.count -= 1
            for counter, key in (self.clients, keys[0]), (self.networks, keys[-1]):
                counter[key] -= 1
                if not counter[key]:
                    del counter[key]  # only keys with checks in line are remembered


# ANCHOR_END: limit
def safe_next(url):
    """`url` if it is a path on this site, otherwise "/": logging in never leads elsewhere."""
    if url.startswith("/") and not url.startswith(("//", "/\\")) and url.isprintable():
        return url
    return "/"


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, accounts):
        self.accounts = accounts

    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        # Every page depends on who asks (and carries their XSRF token): store none of them.
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code, **kwargs):
        # Say why a request was refused (a missing XSRF token, a password not in UTF-8...).
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = f"{status_code} {responses.get(status_code, 'Unknown Error')}"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            message += f": {error.get_message()}"
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(message + "\n")

    def get_current_user(self):
        cookie = self.settings["session_cookie"]
        name = self.get_signed_cookie(cookie, max_age_days=SESSION_DAYS, min_version=2)
        if name is None or name.decode("utf-8") not in self.accounts:
            return None
        return name.decode("utf-8")


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)

    # As in Tornado's own ErrorHandler: a POST to no page is a 404, not a 403 for its token.
    def check_xsrf_cookie(self):
        pass

    def check_trusted_origin(self, origin):
        return True


class HomeHandler(BaseHandler):
    def get(self):
        self.render("home.html")


class DiaryHandler(BaseHandler):
    @tornado.web.authenticated
    def get(self):
        self.render("diary.html")


class LoginHandler(BaseHandler):
    def initialize(self, accounts, limits, pending):
        super().initialize(accounts)
        self.limits, self.pending = limits, pending

    def get(self):
        next_url = safe_next(self.get_argument("next", "/"))
        self.render(
            "login.html",
            next_url=next_url,
            username="",
            errors={},
            failed=False,
            busy=False,
            wait=0,
        )

    def exact_body_argument(self, name):
        """A form field exactly as sent. get_body_argument() would strip the value and turn
        control characters into spaces: right for a username, wrong for a password."""
        values = self.request.body_arguments.get(name)
        try:
            return values[-1].decode("utf-8") if values else ""
        except UnicodeDecodeError:
            # Not decode_argument(): its error, which Tornado logs, quotes the value.
            raise tornado.web.HTTPError(400, f"{name} is not UTF-8") from None

    async def post(self):
        form = {"username": self.get_body_argument("username", "")}
        form["password"] = self.exact_body_argument("password")
        next_url = safe_next(self.get_body_argument("next", "/"))
        errors = {}
        for field, limit in LIMITS.items():
            if not form[field]:
                errors[field] = "Please fill this in."
            elif len(form[field]) > limit:
                errors[field] = f"Please use at most {limit} characters."
        keys = client_keys(self.request.remote_ip)
        wait = busy = 0
        if not errors:
            # The client's own limits first (its allowance, its network's, their shares of
            # the queue), then the whole site's. Only a check that runs is counted.
            wait = self.limits.wait(keys)
            if not wait and self.pending.full_for(keys):
                wait = BUSY_RETRY
            busy = not wait and self.pending.count >= self.pending.limit
        if not errors and not busy and not wait:
            self.limits.count(keys)
            # scrypt takes a moment: run it on a thread so other requests carry on meanwhile.
            with self.pending.hold(keys):
                matches = await IOLoop.current().run_in_executor(
                    HASHING, self.accounts.check, form["username"], form["password"]
                )
            if matches:
                self.set_signed_cookie(
                    self.settings["session_cookie"],
                    form["username"],
                    expires_days=SESSION_DAYS,
                    httponly=True,
                    secure=self.settings["secure_cookies"],
                    samesite="Lax",
                )
                self.redirect(next_url, status=303)
                return
        if busy or wait:
            self.set_status(503 if busy else 429)
            self.set_header("Retry-After", str(BUSY_RETRY if busy else wait))
        else:
            self.set_status(400)
        self.render(
            "login.html",
            next_url=next_url,
            username=form["username"],
            errors=errors,
            failed=not errors and not busy and not wait,
            busy=busy,
            wait=wait,
        )


class LogoutHandler(BaseHandler):
    def post(self):
        self.clear_cookie(
            self.settings["session_cookie"],
            httponly=True,
            secure=self.settings["secure_cookies"],
            samesite="Lax",
        )
        self.redirect("/", status=303)


# ANCHOR: cookies
def cookie_settings(production):
    """Cookie names and the Secure flag: fixed by the mode, never by what a request claims."""
    if production:
        # Served over HTTPS only: Secure always, and __Host- names, which browsers accept
        # only with Secure, Path=/ and no Domain, so no subdomain can plant or widen them.
        return {
            "session_cookie": "__Host-user",
            "secure_cookies": True,
            "xsrf_cookie_name": "__Host-xsrf",
            "xsrf_cookie_kwargs": {"secure": True, "samesite": "Lax", "httponly": True},
        }
    # Teaching simplification for plain http://localhost: no Secure, no prefix.
    return {
        "session_cookie": "user",
        "secure_cookies": False,
        "xsrf_cookie_kwargs": {"samesite": "Lax", "httponly": True},
    }


# ANCHOR_END: cookies
def make_app(cookie_secret=None, passwords=DEMO_PASSWORDS, production=False):
    accounts = Accounts(passwords)
    pending = Pending(MAX_PENDING, MAX_PENDING_PER_CLIENT, MAX_PENDING_PER_NETWORK)
    login = {"accounts": accounts, "limits": Limits(), "pending": pending}
    return tornado.web.Application(
        [
            (r"/", HomeHandler, {"accounts": accounts}),
            (r"/diary", DiaryHandler, {"accounts": accounts}),
            (r"/login", LoginHandler, login),
            (r"/logout", LogoutHandler, {"accounts": accounts}),
        ],
        template_path=BASE / "templates",
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        login_url="/login",
        xsrf_cookies=True,
        cross_origin_protection=True,
        default_handler_class=NotFoundHandler,
        default_handler_args={"accounts": accounts},
        **cookie_settings(production),
    )


async def main(port, cookie_secret=None, production=False, xheaders=False):
    if cookie_secret is None:
        print("No --cookie-secret-file: using a random secret; a restart signs everyone out.")
    if not production:
        print("Development mode: cookies without Secure. Use --production behind HTTPS.")
    if xheaders:
        # Only safe when the proxy is the one way in, and it sets X-Real-IP and X-Scheme itself:
        # Tornado believes those two before X-Forwarded-For and X-Forwarded-Proto.
        print("--xheaders: client addresses come from the proxy's X-Real-IP / X-Forwarded-For.")
    app = make_app(cookie_secret, production=production)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE, xheaders=xheaders)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("cookie_secret_file", type=str, help="file holding the cookie secret")
    define("production", default=False, type=bool, help="served over HTTPS: Secure cookies")
    define("xheaders", default=False, type=bool, help="behind a reverse proxy: trust X-Real-IP")
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
        if options.production and secret is None:
            raise ValueError("--production needs --cookie-secret-file, a secret that lasts")
        if options.production and not options.xheaders:
            # Behind the proxy, every client would be 127.0.0.1 and share one allowance.
            raise ValueError("--production needs --xheaders: it runs behind a reverse proxy")
        # ANCHOR_END: secret_file
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, secret, options.production, options.xheaders))
