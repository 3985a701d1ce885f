"""Sign in with any OAuth 2 provider: a state check, a code exchanged for a token, a session."""

import asyncio
import hmac
import json
import os
import secrets
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlencode

import tornado.auth
import tornado.httpclient
import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
SETTINGS = ("name", "authorize_url", "token_url", "userinfo_url", "scope", "client_id",
            "redirect_uri")  # fmt: skip
ENV_VARIABLE = "OAUTH_CLIENT_SECRET"  # holds the client secret
STATE_COOKIE = "oauth_state"
STATE_SECONDS = 600
SESSION_DAYS = 7
MAX_CODE = 512
MAX_NAME = 100
TIMEOUTS = {"connect_timeout": 5, "request_timeout": 10}
EXPIRED_CODE_ERRORS = {"invalid_grant", "bad_verification_code"}  # RFC 6749; GitHub's name


def load_config(path):
    """The provider's settings from a TOML file, and the client secret from the environment."""
    with open(path, "rb") as file:
        try:
            config = tomllib.load(file)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from None
    missing = [key for key in SETTINGS if not isinstance(config.get(key), str) or not config[key]]
    if missing:
        raise ValueError(f"{path}: missing settings: {', '.join(missing)}")
    secret = os.environ.get(ENV_VARIABLE, "")
    if not secret:
        raise ValueError(f"set the client secret in the environment variable {ENV_VARIABLE}")
    return {key: config[key] for key in SETTINGS} | {"client_secret": secret}


class SettingsOAuth2Mixin(tornado.auth.OAuth2Mixin):
    """OAuth2Mixin for a provider whose endpoints are in the "oauth" application setting."""

    @property
    def _OAUTH_AUTHORIZE_URL(self):  # the name OAuth2Mixin reads
        return self.settings["oauth"]["authorize_url"]

    @property
    def _OAUTH_ACCESS_TOKEN_URL(self):
        return self.settings["oauth"]["token_url"]

    async def get_authenticated_user(self, redirect_uri, code):
        """Exchange the code for an access token (the back channel), then ask who it is for."""
        oauth = self.settings["oauth"]
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": oauth["client_id"],
                "client_secret": oauth["client_secret"],
            }
        )
        status, token = await self.provider_json(self._OAUTH_ACCESS_TOKEN_URL, "POST", body)
        if token.get("error") in EXPIRED_CODE_ERRORS:
            raise tornado.web.HTTPError(400, "This sign-in link has expired or was already used.")
        if not isinstance(token.get("access_token"), str):
            error = str(token.get("error", status))[:100]
            raise tornado.web.HTTPError(502, "The provider refused to give a token (%s).", error)
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        status, user = await self.provider_json(oauth["userinfo_url"], headers=headers)
        if status != 200:
            raise tornado.web.HTTPError(502, "The provider would not say who you are (%s).", status)
        return user

    async def provider_json(self, url, method="GET", body=None, headers=None):
        """(status, JSON object) of one request to the provider; 503 or 502 if that fails."""
        client = self.get_auth_http_client()
        headers = {"Accept": "application/json", **(headers or {})}
        try:
            response = await client.fetch(
                url, method=method, body=body, headers=headers, raise_error=False, **TIMEOUTS
            )
        except (OSError, tornado.httpclient.HTTPClientError):
            raise tornado.web.HTTPError(503, "The sign-in provider cannot be reached.") from None
        try:
            data = json.loads(response.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(502, "The sign-in provider sent an unreadable answer.")
        return response.code, data


def who(user):
    """(stable id, display name) from user info shaped like OpenID Connect, GitHub or Google."""
    subject = user.get("sub", user.get("id"))
    names = [user.get(key) for key in ("name", "login", "email")]
    name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), None)
    if subject is None or name is None:
        raise tornado.web.HTTPError(502, "The provider did not say who you are.")
    return str(subject), name[:MAX_NAME]


class BaseHandler(tornado.web.RequestHandler):
    def get_current_user(self):
        session = self.get_signed_cookie("session", max_age_days=SESSION_DAYS, min_version=2)
        return json.loads(session) if session else None

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = responses.get(status_code, "Unknown error")
        if isinstance(error, tornado.web.HTTPError) and error.get_message():
            message = error.get_message()
        self.render("signin_error.html", status=status_code, message=message)


class HomeHandler(BaseHandler):
    def get(self):
        self.render("home.html", provider=self.settings["oauth"]["name"], sign_in_url="/auth/login")


class LoginHandler(BaseHandler, SettingsOAuth2Mixin):
    def get(self):
        state = secrets.token_urlsafe(24)
        self.set_signed_cookie(
            STATE_COOKIE,
            state,
            expires_days=None,
            path="/auth",
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",  # Strict would not be sent back on the provider's redirect
        )
        oauth = self.settings["oauth"]
        self.authorize_redirect(
            redirect_uri=oauth["redirect_uri"],
            client_id=oauth["client_id"],
            scope=oauth["scope"].split(),
            extra_params={"state": state},
        )


class CallbackHandler(BaseHandler, SettingsOAuth2Mixin):
    async def get(self):
        expected = self.get_signed_cookie(
            STATE_COOKIE, max_age_days=STATE_SECONDS / 86400, min_version=2
        )
        self.clear_cookie(STATE_COOKIE, path="/auth")  # one state, one use
        state = self.get_query_argument("state", "").encode("utf-8")
        if not expected or not hmac.compare_digest(state, expected):
            raise tornado.web.HTTPError(403, "This sign-in did not start here, or took too long.")
        error = self.get_query_argument("error", None)
        if error == "access_denied":
            raise tornado.web.HTTPError(403, "You chose not to share your account: not signed in.")
        if error is not None:
            raise tornado.web.HTTPError(502, "The provider reported an error (%s).", error[:100])
        code = self.get_query_argument("code", "")
        if not code or len(code) > MAX_CODE:
            raise tornado.web.HTTPError(400, "The provider sent no usable code.")
        user = await self.get_authenticated_user(self.settings["oauth"]["redirect_uri"], code)
        subject, name = who(user)
        self.set_signed_cookie(
            "session",
            json.dumps({"id": subject, "name": name}),
            expires_days=SESSION_DAYS,
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
        )
        self.redirect("/")


class LogoutHandler(BaseHandler):
    def post(self):
        self.clear_cookie("session")
        self.redirect("/", status=303)


def make_app(oauth, cookie_secret=None):
    return tornado.web.Application(
        [
            (r"/", HomeHandler),
            (r"/auth/login", LoginHandler),
            (r"/auth/callback", CallbackHandler),
            (r"/auth/logout", LogoutHandler),
        ],
        template_path=BASE / "templates",
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        xsrf_cookies=True,
        oauth=oauth,
    )


async def main(port, oauth):
    app = make_app(oauth)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Signing in with {oauth['name']} as client {oauth['client_id']}")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


# ANCHOR: command_line
if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("config", type=str, help="TOML file with the provider's endpoints and client id")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.config:
            raise ValueError("--config is required, e.g. --config=examples/ch07/local.toml")
        oauth = load_config(options.config)
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, oauth))
# ANCHOR_END: command_line
