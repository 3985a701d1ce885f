"""A tiny OAuth 2 provider for trying sign-in offline: consent page, codes, tokens, user info."""

import asyncio
import hmac
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
    expires: float


class ProviderHandler(tornado.web.RequestHandler):
    def initialize(self, clients, users, codes, tokens, code_seconds):
        self.clients = clients
        self.users = users
        self.codes = codes
        self.tokens = tokens
        self.code_seconds = code_seconds

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = responses.get(status_code, "Unknown error")
        if isinstance(error, tornado.web.HTTPError) and error.get_message():
            message = error.get_message()
        self.render("provider_error.html", status=status_code, message=message)


class AuthorizeHandler(ProviderHandler):
    def get(self):
        client_id, redirect_uri = self.checked_client(self.get_query_argument)
        if self.get_query_argument("response_type", "") != "code":
            raise tornado.web.HTTPError(400, "Only response_type=code is supported.")
        self.render(
            "provider_consent.html",
            client=self.clients[client_id],
            users=self.users,
            fields={
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": self.get_query_argument("scope", ""),
                "state": self.get_query_argument("state", ""),
            },
        )

    def post(self):
        client_id, redirect_uri = self.checked_client(self.get_body_argument)
        state = self.get_body_argument("state", "")
        user = self.get_body_argument("user", "")
        if self.get_body_argument("decision", "") != "allow":
            self.redirect(
                url_concat(redirect_uri, {"error": "access_denied", "state": state}), status=303
            )
            return
        if user not in self.users:
            raise tornado.web.HTTPError(400, "Please choose one of the accounts.")
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(
            client_id=client_id,
            redirect_uri=redirect_uri,
            user=user,
            scope=self.get_body_argument("scope", ""),
            expires=time.monotonic() + self.code_seconds,
        )
        self.redirect(url_concat(redirect_uri, {"code": code, "state": state}), status=303)

    def checked_client(self, get_argument):
        """Never send anyone to a redirect URI that was not registered, not even with an error."""
        client_id = get_argument("client_id", "")
        redirect_uri = get_argument("redirect_uri", "")
        client = self.clients.get(client_id)
        if client is None or redirect_uri != client.redirect_uri:
            raise tornado.web.HTTPError(400, "Unknown client_id, or a redirect_uri not registered.")
        return client_id, redirect_uri


class TokenHandler(ProviderHandler):
    def check_xsrf_cookie(self):
        """Applications call this endpoint directly; the client secret authenticates them."""

    def post(self):
        self.set_header("Cache-Control", "no-store")
        client_id = self.get_body_argument("client_id", "")
        client = self.clients.get(client_id)
        secret = self.get_body_argument("client_secret", "").encode("utf-8")
        if client is None or not hmac.compare_digest(secret, client.secret.encode("utf-8")):
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
        token = secrets.token_urlsafe(32)
        self.tokens[token] = grant.user
        self.write({"access_token": token, "token_type": "Bearer", "scope": grant.scope})

    def oauth_error(self, status, error, description):
        self.set_status(status)
        self.write({"error": error, "error_description": description})


class UserInfoHandler(ProviderHandler):
    def get(self):
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = self.get_query_argument("access_token", "")
        user = self.tokens.get(token)
        if user is None:
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            self.write({"error": "invalid_token", "error_description": "missing or unknown token"})
            return
        self.write({"sub": user, **self.users[user]})


def make_app(
    client_secret=None,
    redirect_uri=DEFAULT_REDIRECT_URI,
    users=DEMO_USERS,
    code_seconds=CODE_SECONDS,
):
    clients = {
        DEMO_CLIENT_ID: Client(
            name="Tea Notes",
            secret=client_secret or secrets.token_urlsafe(24),
            redirect_uri=redirect_uri,
        )
    }
    shared = dict(clients=clients, users=users, codes={}, tokens={}, code_seconds=code_seconds)
    return tornado.web.Application(
        [
            (r"/authorize", AuthorizeHandler, shared),
            (r"/token", TokenHandler, shared),
            (r"/userinfo", UserInfoHandler, shared),
        ],
        template_path=BASE / "templates",
        cookie_secret=secrets.token_urlsafe(32),
        xsrf_cookies=True,
    )


async def main(port, redirect_uri):
    client_secret = secrets.token_urlsafe(24)
    print(f"Registered client {DEMO_CLIENT_ID} with redirect URI {redirect_uri}")
    print(f"Its client secret (export it as OAUTH_CLIENT_SECRET): {client_secret}", flush=True)
    app = make_app(client_secret, redirect_uri)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("redirect_uri", default=DEFAULT_REDIRECT_URI, help="the client's registered callback")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.redirect_uri.startswith(("http://", "https://")):
            raise ValueError(f"redirect_uri must be an http(s) URL, not {options.redirect_uri}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.redirect_uri))
