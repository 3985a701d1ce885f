"""A tiny OAuth 2 provider for trying sign-in offline: consent page, codes, tokens, user info.

A teaching provider: nobody signs in to it (anyone may pick any account), everything lives in
memory and it signs no ID tokens. Never deploy it.
"""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.httputil import responses, url_concat
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
CODE_SECONDS = 60
TOKEN_SECONDS = 3600
MAX_CODES = 1000  # codes and tokens waiting in memory at once: teaching-sized limits
MAX_TOKENS = 1000
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest, unpadded
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636, section 4.1
DEMO_CLIENT_ID = "tea-notes"
DEFAULT_REDIRECT_URI = "http://localhost:8000/auth/callback"
# People who "have an account" here. A display name is whatever its owner typed.
DEMO_USERS = {
    "mei": {"name": "Mei Lin", "email": "mei@example.com"},
    "ravi": {"name": "Ravi Rao", "email": "ravi@example.com"},
    "mallory": {"name": '<script>alert("hi")</script> Mallory', "email": "mallory@example.com"},
}


@dataclass
class Client:
    """An application registered with the provider."""

    name: str
    secret: str
    redirect_uri: str


@dataclass
class Grant:
    """What an authorization code stands for until it is redeemed or expires."""

    client_id: str
    redirect_uri: str
    user: str
    scope: str
    code_challenge: str
    expires: float


@dataclass
class Token:
    """An access token: whom it speaks for, which client holds it, until when."""

    user: str
    client_id: str
    expires: float


def s256(verifier):
    """The PKCE code challenge for a code verifier (RFC 7636, method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ProviderHandler(tornado.web.RequestHandler):
    def initialize(self, clients, users, codes, tokens, code_seconds, token_seconds):
        self.clients = clients
        self.users = users
        self.codes = codes
        self.tokens = tokens
        self.code_seconds = code_seconds
        self.token_seconds = token_seconds

    def prepare(self):
        if self.repeated():
            raise tornado.web.HTTPError(400, "A parameter appears more than once.")

    def repeated(self):
        """RFC 6749, section 3.1: no parameter twice, or which redirect_uri would count?"""
        return any(len(values) > 1 for values in self.request.arguments.values())

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = responses.get(status_code, "Unknown error")
        if isinstance(error, tornado.web.HTTPError) and error.get_message():
            message = error.get_message()
        self.render("provider_error.html", status=status_code, message=message)


class JSONErrorHandler(ProviderHandler):
    """For the endpoints applications call: every error is RFC 6749's JSON, never a page."""

    def write_error(self, status_code, **kwargs):
        error = "invalid_request" if status_code < 500 else "server_error"
        description = responses.get(status_code, "Unknown error").lower()
        self.finish({"error": error, "error_description": description})


def purge(store, limit):
    """Forget what has expired; False if the store is still full."""
    now = time.monotonic()
    for key in [key for key, value in store.items() if now > value.expires]:
        del store[key]
    return len(store) < limit


class AuthorizeHandler(ProviderHandler):
    def set_default_headers(self):
        # No other site may show this page in a frame and trick a click on "Allow" through it.
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Content-Security-Policy", "frame-ancestors 'none'")

    def get(self):
        client_id, redirect_uri = self.checked_client(self.get_query_argument)
        if self.get_query_argument("response_type", "") != "code":
            raise tornado.web.HTTPError(400, "Only response_type=code is supported.")
        challenge = self.checked_challenge(self.get_query_argument)
        self.render(
            "provider_consent.html",
            client=self.clients[client_id],
            users=self.users,
            fields={
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": self.get_query_argument("scope", ""),
                "state": self.get_query_argument("state", ""),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )

    def post(self):
        client_id, redirect_uri = self.checked_client(self.get_body_argument)
        challenge = self.checked_challenge(self.get_body_argument)
        state = self.get_body_argument("state", "")
        echo = {"state": state} if state else {}  # RFC 6749, section 4.1.2: only if it came
        user = self.get_body_argument("user", "")
        if self.get_body_argument("decision", "") != "allow":
            self.redirect(url_concat(redirect_uri, {"error": "access_denied", **echo}), status=303)
            return
        if user not in self.users:  # anyone may pick any account: a teaching simplification
            raise tornado.web.HTTPError(400, "Please choose one of the accounts.")
        if not purge(self.codes, MAX_CODES):
            raise tornado.web.HTTPError(503, "Too many sign-ins at once. Please try again later.")
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(
            client_id=client_id,
            redirect_uri=redirect_uri,
            user=user,
            scope=self.get_body_argument("scope", ""),
            code_challenge=challenge,
            expires=time.monotonic() + self.code_seconds,
        )
        self.redirect(url_concat(redirect_uri, {"code": code, **echo}), status=303)

    def checked_client(self, get_argument):
        """Never send anyone to a redirect URI that was not registered, not even with an error."""
        client_id = get_argument("client_id", "")
        redirect_uri = get_argument("redirect_uri", "")
        client = self.clients.get(client_id)
        if client is None or redirect_uri != client.redirect_uri:
            raise tornado.web.HTTPError(400, "Unknown client_id, or a redirect_uri not registered.")
        return client_id, redirect_uri

    def checked_challenge(self, get_argument):
        """PKCE is required, and only S256: "plain" would put the verifier in the front channel."""
        if get_argument("code_challenge_method", "") != "S256":
            raise tornado.web.HTTPError(400, "PKCE is required: code_challenge_method=S256.")
        challenge = get_argument("code_challenge", "")
        if not CHALLENGE.fullmatch(challenge):
            raise tornado.web.HTTPError(400, "code_challenge must be 43 base64url characters.")
        return challenge


class TokenHandler(JSONErrorHandler):
    def check_xsrf_cookie(self):
        """Applications call this endpoint directly; the client secret authenticates them."""

    def set_default_headers(self):  # on every answer, errors included
        self.set_header("Cache-Control", "no-store")  # RFC 6749, section 5.1: both headers
        self.set_header("Pragma", "no-cache")

    def prepare(self):
        if self.repeated():
            self.oauth_error(400, "invalid_request", "a parameter appears more than once")
            self.finish()

    def post(self):
        client_id = self.get_body_argument("client_id", "")
        if not self.client_authenticated(client_id):
            return self.oauth_error(401, "invalid_client", "unknown client or wrong secret")
        if self.get_body_argument("grant_type", "") != "authorization_code":
            return self.oauth_error(400, "unsupported_grant_type", "use authorization_code")
        # pop(): a code works once, even when the exchange fails.
        grant = self.codes.pop(self.get_body_argument("code", ""), None)
        if grant is None or grant.client_id != client_id:
            return self.oauth_error(400, "invalid_grant", "unknown or already used code")
        if time.monotonic() > grant.expires:
            return self.oauth_error(400, "invalid_grant", "the code has expired")
        if self.get_body_argument("redirect_uri", "") != grant.redirect_uri:
            return self.oauth_error(400, "invalid_grant", "redirect_uri does not match")
        verifier = self.get_body_argument("code_verifier", "")
        if not VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
            s256(verifier), grant.code_challenge
        ):
            return self.oauth_error(400, "invalid_grant", "code_verifier is missing or wrong")
        if not purge(self.tokens, MAX_TOKENS):
            return self.oauth_error(503, "temporarily_unavailable", "too many tokens")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = Token(grant.user, client_id, time.monotonic() + self.token_seconds)
        self.write(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_seconds,
                "scope": grant.scope,
            }
        )

    def client_authenticated(self, client_id):
        client = self.clients.get(client_id)
        secret = self.get_body_argument("client_secret", "").encode("utf-8")
        return client is not None and hmac.compare_digest(secret, client.secret.encode("utf-8"))

    def oauth_error(self, status, error, description):
        self.set_status(status)
        self.write({"error": error, "error_description": description})


class RevokeHandler(TokenHandler):
    def post(self):
        """RFC 7009: a client gives up one of its own tokens; an unknown token is no error."""
        client_id = self.get_body_argument("client_id", "")
        if not self.client_authenticated(client_id):
            return self.oauth_error(401, "invalid_client", "unknown client or wrong secret")
        value = self.get_body_argument("token", "")
        if value in self.tokens and self.tokens[value].client_id != client_id:
            return self.oauth_error(400, "invalid_grant", "the token was issued to another client")
        self.tokens.pop(value, None)


class UserInfoHandler(JSONErrorHandler):
    def get(self):
        scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            value = self.get_query_argument("access_token", "")
        if not value:  # RFC 6750, section 3.1: no credentials, so no error information
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer realm="Mini ID"')
            self.clear_header("Content-Type")  # and no body
            return
        token = self.tokens.get(value)
        if token is None or time.monotonic() > token.expires:
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            description = "unknown, expired or revoked token"
            self.write({"error": "invalid_token", "error_description": description})
            return
        self.write({"sub": token.user, **self.users[token.user]})


def make_app(
    client_secret=None,
    redirect_uri=DEFAULT_REDIRECT_URI,
    users=DEMO_USERS,
    code_seconds=CODE_SECONDS,
    token_seconds=TOKEN_SECONDS,
):
    clients = {
        DEMO_CLIENT_ID: Client(
            name="Tea Notes",
            secret=client_secret or secrets.token_urlsafe(24),
            redirect_uri=redirect_uri,
        )
    }
    shared = dict(
        clients=clients,
        users=users,
        codes={},
        tokens={},
        code_seconds=code_seconds,
        token_seconds=token_seconds,
    )
    return tornado.web.Application(
        [
            (r"/authorize", AuthorizeHandler, shared),
            (r"/token", TokenHandler, shared),
            (r"/revoke", RevokeHandler, shared),
            (r"/userinfo", UserInfoHandler, shared),
        ],
        template_path=BASE / "templates",
        cookie_secret=secrets.token_urlsafe(32),
        xsrf_cookies=True,
    )


def save_secret(path, secret):
    """Write the client secret to a file only its owner can read, like a console's download."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that already existed keeps its old mode otherwise
    with open(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")


async def main(port, redirect_uri, client_secret, secret_file=None):
    print(f"Registered client {DEMO_CLIENT_ID} with redirect URI {redirect_uri}")
    if secret_file:
        print(f"Wrote its client secret to {secret_file} (readable by you alone)")
    else:
        print("Its client secret is random and not shown: use --client-secret-file=FILE")
    app = make_app(client_secret, redirect_uri)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("redirect_uri", default=DEFAULT_REDIRECT_URI, help="the client's registered callback")
    define("client_secret_file", type=str, help="file to write the client's new secret to")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.redirect_uri.startswith(("http://", "https://")):
            raise ValueError(f"redirect_uri must be an http(s) URL, not {options.redirect_uri}")
        client_secret = secrets.token_urlsafe(24)
        if options.client_secret_file:
            save_secret(options.client_secret_file, client_secret)
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.redirect_uri, client_secret, options.client_secret_file))
