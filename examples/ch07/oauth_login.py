"""Sign in with any OAuth 2 provider: state and PKCE, a code exchanged for a token, a session."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
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
from tornado.log import access_log
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
SETTINGS = (
    "name",
    "authorize_url",
    "token_url",
    "userinfo_url",
    "scope",
    "client_id",
    "redirect_uri",
)
ENV_VARIABLE = "OAUTH_CLIENT_SECRET"  # holds the client secret
STATE_SECONDS = 600
SESSION_DAYS = 7
MAX_CODE = 512
MAX_ID = 255  # the id goes into the session cookie, and browsers drop cookies over 4 KB
MAX_NAME = 100
MAX_TOKEN = 4096
TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750's b64token: safe in a header
MAX_SESSIONS = 1000  # access tokens kept in memory: a teaching-sized limit
PLACEHOLDER = "YOUR-"
TIMEOUTS = {"connect_timeout": 5, "request_timeout": 10}
EXPIRED_CODE_ERRORS = {"invalid_grant", "bad_verification_code"}  # RFC 6749; GitHub's name
SIGNED_OUT = "Your sign-in has expired or was revoked, so you are signed out. Please sign in again."


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
    unfilled = [key for key in SETTINGS if PLACEHOLDER in config[key]]
    if unfilled:
        raise ValueError(f"{path}: replace the placeholder in: {', '.join(unfilled)}")
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

    async def get_authenticated_user(self, redirect_uri, code, code_verifier):
        """Exchange the code for an access token (the back channel), then ask who it is for."""
        oauth = self.settings["oauth"]
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": oauth["client_id"],
                "client_secret": oauth["client_secret"],
                "code_verifier": code_verifier,
            }
        )
        status, token = await self.provider_json(self._OAUTH_ACCESS_TOKEN_URL, "POST", body)
        error = token.get("error") if isinstance(token.get("error"), str) else str(status)
        if error in EXPIRED_CODE_ERRORS:
            raise tornado.web.HTTPError(400, "This sign-in link has expired or was already used.")
        if not isinstance(token.get("access_token"), str):
            raise tornado.web.HTTPError(
                502, "The provider refused to give a token (%s).", printable(error)
            )
        if not usable(token):
            raise tornado.web.HTTPError(502, "The provider sent a token this site cannot use.")
        user = await self.user_info(token["access_token"])
        if user is None:
            raise tornado.web.HTTPError(502, "The provider would not say who you are (401).")
        return user, token["access_token"]

    async def user_info(self, access_token):
        """Call the provider's API with the token; None if it no longer accepts the token."""
        headers = {"Authorization": f"Bearer {access_token}"}  # in a header, never in the URL
        url = self.settings["oauth"]["userinfo_url"]
        status, user = await self.provider_json(url, headers=headers)
        if status == 401:  # RFC 6750: WWW-Authenticate: Bearer error="invalid_token"
            return None
        if status != 200:
            raise tornado.web.HTTPError(502, "The provider would not say who you are (%s).", status)
        return user

    async def provider_json(self, url, method="GET", body=None, headers=None):
        """(status, JSON object) of one request to the provider; 503 or 502 if that fails."""
        client = self.get_auth_http_client()
        headers = {"Accept": "application/json", **(headers or {})}
        try:
            response = await client.fetch(
                url,
                method=method,
                body=body,
                headers=headers,
                raise_error=False,
                follow_redirects=False,  # a redirect would take the body, secret and all, along
                **TIMEOUTS,
            )
        except (OSError, tornado.httpclient.HTTPClientError):
            raise tornado.web.HTTPError(503, "The sign-in provider cannot be reached.") from None
        if 300 <= response.code < 400:
            raise tornado.web.HTTPError(
                502, "The sign-in provider answered with a redirect (%s).", response.code
            )
        try:
            data = json.loads(response.body)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            data = None
        if not isinstance(data, dict):
            if response.code >= 400:  # an error's status is enough; many send no JSON with it
                return response.code, {}
            raise tornado.web.HTTPError(502, "The sign-in provider sent an unreadable answer.")
        return response.code, data


def s256(verifier):
    """The PKCE code challenge for a code verifier (RFC 7636, method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def usable(token):
    """A bearer token (RFC 6749, section 7.1) that fits in an Authorization header."""
    token_type, value = token.get("token_type"), token["access_token"]
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        return False
    return len(value) <= MAX_TOKEN and TOKEN.fullmatch(value) is not None


def printable(text):
    """Text from the provider, safe to show and to log: short, without line breaks."""
    return re.sub(r"[^\x20-\x7e]", "?", text[:100])


def who(user):
    """(stable id, display name) from user info shaped like OpenID Connect, GitHub or Google."""
    subject = user.get("sub", user.get("id"))
    if type(subject) is int:  # GitHub's ids are numbers (and True is no id)
        subject = str(subject)
    names = [user.get(key) for key in ("name", "login", "email")]
    name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), None)
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_ID or name is None:
        raise tornado.web.HTTPError(502, "The provider did not say who you are.")
    return subject, name[:MAX_NAME]


def log_request(handler):
    """Tornado's access log line without the query string: a callback's holds code and state."""
    status, request = handler.get_status(), handler.request
    if status < 400:
        log = access_log.info
    elif status < 500:
        log = access_log.warning
    else:
        log = access_log.error
    millis = 1000 * request.request_time()
    log("%d %s %s (%s) %.2fms", status, request.method, request.path, request.remote_ip, millis)


class BaseHandler(tornado.web.RequestHandler):
    def get_current_user(self):
        name, _ = self.session_cookie()
        session = self.get_signed_cookie(name, max_age_days=SESSION_DAYS, min_version=2)
        return json.loads(session) if session else None

    def state_cookie(self):
        """The state cookie's name and attributes: a __Host- cookie whenever we are on HTTPS."""
        if self.request.protocol == "https":
            # The browser keeps a __Host- cookie only if it is Secure, has Path=/ and no Domain,
            # so a sibling subdomain can no longer plant one for us (cookie tossing).
            return "__Host-oauth_state", {"path": "/", "secure": True}
        return "oauth_state", {"path": "/auth"}  # plain HTTP: only on localhost, for learning

    def session_cookie(self):
        """The session cookie's name and attributes: tossing it works as well as tossing state."""
        if self.request.protocol == "https":
            return "__Host-session", {"path": "/", "secure": True}
        return "session", {"path": "/"}

    def end_session(self):
        name, attributes = self.session_cookie()
        self.clear_cookie(name, **attributes)

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = responses.get(status_code, "Unknown error")
        if isinstance(error, tornado.web.HTTPError) and error.get_message():
            message = error.get_message()
        self.render("signin_error.html", status=status_code, message=message)


class HomeHandler(BaseHandler):
    def get(self):
        provider = self.settings["oauth"]["name"]
        self.render(
            "home.html", provider=provider, sign_in_url="/auth/login", profile_url="/profile"
        )


class LoginHandler(BaseHandler, SettingsOAuth2Mixin):
    def get(self):
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters; RFC 7636 wants 43 to 128
        name, attributes = self.state_cookie()
        self.set_signed_cookie(
            name,
            json.dumps({"state": state, "verifier": verifier}),  # one cookie: bound together
            expires_days=None,
            httponly=True,
            samesite="Lax",  # Strict would not be sent back on the provider's redirect
            **attributes,
        )
        oauth = self.settings["oauth"]
        self.authorize_redirect(
            redirect_uri=oauth["redirect_uri"],
            client_id=oauth["client_id"],
            scope=oauth["scope"].split(),
            extra_params={
                "state": state,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            },
        )


class CallbackHandler(BaseHandler, SettingsOAuth2Mixin):
    async def get(self):
        name, attributes = self.state_cookie()
        saved = self.get_signed_cookie(name, max_age_days=STATE_SECONDS / 86400, min_version=2)
        self.clear_cookie(name, **attributes)  # one state, one use
        flow = json.loads(saved) if saved else {"state": ""}
        state = self.get_query_argument("state", "")
        if not flow["state"] or not hmac.compare_digest(state.encode(), flow["state"].encode()):
            raise tornado.web.HTTPError(403, "This sign-in did not start here, or took too long.")
        error = self.get_query_argument("error", None)
        if error == "access_denied":
            raise tornado.web.HTTPError(403, "You chose not to share your account: not signed in.")
        if error is not None:  # printable(): it is logged, too
            raise tornado.web.HTTPError(
                502, "The provider reported an error (%s).", printable(error)
            )
        code = self.get_query_argument("code", "")
        if not code or len(code) > MAX_CODE:
            raise tornado.web.HTTPError(400, "The provider sent no usable code.")
        user, access_token = await self.get_authenticated_user(
            self.settings["oauth"]["redirect_uri"], code, flow["verifier"]
        )
        subject, name = who(user)
        tokens = self.settings["access_tokens"]
        tokens.pop((self.current_user or {}).get("sid"), None)  # signing in again
        while len(tokens) >= MAX_SESSIONS:
            del tokens[next(iter(tokens))]  # the oldest session must sign in again
        session_id = secrets.token_urlsafe(24)
        tokens[session_id] = access_token  # on the server, not in a cookie
        name_of_cookie, attributes = self.session_cookie()
        self.set_signed_cookie(
            name_of_cookie,
            json.dumps({"id": subject, "name": name, "sid": session_id}),
            expires_days=SESSION_DAYS,
            httponly=True,
            samesite="Lax",
            **attributes,
        )
        self.redirect("/")


class ProfileHandler(BaseHandler, SettingsOAuth2Mixin):
    async def get(self):
        """Use the token: ask the provider's API now; a refused token ends the session."""
        tokens = self.settings["access_tokens"]
        session_id = self.current_user["sid"] if self.current_user else None
        if session_id not in tokens:
            raise tornado.web.HTTPError(403, "Please sign in first.")
        user = await self.user_info(tokens[session_id])
        if user is None:  # expired or revoked: forget the token and the session
            tokens.pop(session_id, None)  # another request may have done so while we waited
            self.end_session()
            raise tornado.web.HTTPError(403, SIGNED_OUT)
        _, name = who(user)
        email = user.get("email") if isinstance(user.get("email"), str) else "(not shared)"
        self.render("profile.html", provider=self.settings["oauth"]["name"], name=name, email=email)


class LogoutHandler(BaseHandler):
    def post(self):
        session = self.current_user or {}
        self.settings["access_tokens"].pop(session.get("sid"), None)
        self.end_session()
        self.redirect("/", status=303)


def make_app(oauth, cookie_secret=None):
    return tornado.web.Application(
        [
            (r"/", HomeHandler),
            (r"/auth/login", LoginHandler),
            (r"/auth/callback", CallbackHandler),
            (r"/auth/logout", LogoutHandler),
            (r"/profile", ProfileHandler),
        ],
        template_path=BASE / "templates",
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        xsrf_cookies=True,
        log_function=log_request,
        oauth=oauth,
        access_tokens={},  # session id -> access token; in memory only, for learning
    )


async def main(port, oauth, xheaders=False):
    app = make_app(oauth)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE, xheaders=xheaders)
    print(f"Signing in with {oauth['name']} as client {oauth['client_id']}")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


# ANCHOR: command_line
if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("config", type=str, help="TOML file with the provider's endpoints and client id")
    define(
        "xheaders",
        default=False,
        type=bool,
        help="behind a TLS proxy: trust X-Scheme / X-Forwarded-Proto",
    )
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.config:
            raise ValueError("--config is required, e.g. --config=examples/ch07/local.toml")
        oauth = load_config(options.config)
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, oauth, options.xheaders))
# ANCHOR_END: command_line
