"""Sign in with Google: the same flow, with tornado.auth.GoogleOAuth2Mixin doing the requests."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
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
DEFAULT_REDIRECT_URI = "http://localhost:8000/auth/callback"
STATE_SECONDS = 600
SESSION_DAYS = 7
MAX_CODE = 512
MAX_ID = 255  # the id goes into the session cookie, and browsers drop cookies over 4 KB
MAX_NAME = 100
MAX_TOKEN = 4096
TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750's b64token
EXPIRED = "This sign-in link has expired or was already used."
TIMEOUTS = {"connect_timeout": 5, "request_timeout": 10}


class BaseHandler(tornado.web.RequestHandler):
    def get_current_user(self):
        name, _ = self.session_cookie()
        session = self.get_signed_cookie(name, max_age_days=SESSION_DAYS, min_version=2)
        return json.loads(session) if session else None

    def session_cookie(self):
        """Like the state cookie, the session cookie must be one no sibling host can plant."""
        if self.request.protocol == "https":
            return "__Host-session", {"path": "/", "secure": True}
        return "session", {"path": "/"}

    def state_cookie(self):
        """The state cookie's name and attributes: a __Host- cookie whenever we are on HTTPS."""
        if self.request.protocol == "https":
            return "__Host-oauth_state", {"path": "/", "secure": True}
        return "oauth_state", {"path": "/auth"}  # plain HTTP: only on localhost, for learning

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = responses.get(status_code, "Unknown error")
        if isinstance(error, tornado.web.HTTPError) and error.get_message():
            message = error.get_message()
        self.render("signin_error.html", status=status_code, message=message)


class HomeHandler(BaseHandler):
    def get(self):
        self.render("home.html", provider="Google", sign_in_url="/auth/login", profile_url=None)


class GoogleHandler(BaseHandler, tornado.auth.GoogleOAuth2Mixin):
    """URLs come from the mixin's class attributes, the client from get_google_oauth_settings()."""


def s256(verifier):
    """The PKCE code challenge for a code verifier (RFC 7636, method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LoginHandler(GoogleHandler):
    def get(self):
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        name, attributes = self.state_cookie()
        self.set_signed_cookie(
            name,
            json.dumps({"state": state, "verifier": verifier}),
            expires_days=None,
            httponly=True,
            samesite="Lax",
            **attributes,
        )
        self.authorize_redirect(
            redirect_uri=self.settings["redirect_uri"],
            client_id=self.get_google_oauth_settings()["key"],
            scope=["openid", "profile", "email"],
            extra_params={
                "state": state,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
                "prompt": "select_account",
            },
        )


class CallbackHandler(GoogleHandler):
    async def get(self):
        name, attributes = self.state_cookie()
        saved = self.get_signed_cookie(name, max_age_days=STATE_SECONDS / 86400, min_version=2)
        self.clear_cookie(name, **attributes)
        flow = json.loads(saved) if saved else {"state": ""}
        state = self.get_query_argument("state", "")
        if not flow["state"] or not hmac.compare_digest(state.encode(), flow["state"].encode()):
            raise tornado.web.HTTPError(403, "This sign-in did not start here, or took too long.")
        error = self.get_query_argument("error", None)
        if error == "access_denied":
            raise tornado.web.HTTPError(403, "Google did not sign you in: you are not signed in.")
        if error is not None:  # shown and logged: printable() makes it short, no line breaks
            raise tornado.web.HTTPError(502, "Google reported an error (%s).", printable(error))
        code = self.get_query_argument("code", "")
        if not code or len(code) > MAX_CODE:
            raise tornado.web.HTTPError(400, "Google sent no usable code.")
        subject, name = await self.google_user(code, flow["verifier"])
        cookie, attributes = self.session_cookie()
        self.set_signed_cookie(
            cookie,
            json.dumps({"id": subject, "name": name}),  # the id says who; the name is for show
            expires_days=SESSION_DAYS,
            httponly=True,
            samesite="Lax",
            **attributes,
        )
        self.redirect("/")

    async def google_user(self, code, verifier):
        """(Google's id, name) for a code and its PKCE verifier; HTTP errors for failures."""
        google = self.get_google_oauth_settings()
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": self.settings["redirect_uri"],
                "client_id": google["key"],
                "client_secret": google["secret"],
            }
        )
        # get_authenticated_user() would build this request without code_verifier. No redirects:
        # Tornado would follow one with this body, client secret and all, to wherever it points.
        try:
            response = await self.get_auth_http_client().fetch(
                self._OAUTH_ACCESS_TOKEN_URL,
                method="POST",
                body=body,
                raise_error=False,
                follow_redirects=False,
                **TIMEOUTS,
            )
        except (OSError, tornado.httpclient.HTTPClientError):  # no answer, or none in time
            raise tornado.web.HTTPError(503, "Google cannot be reached.") from None
        access = json_object(response.body)
        error = access.get("error") if isinstance(access.get("error"), str) else None
        if response.code == 400 and error == "invalid_grant":  # an expired or reused code
            raise tornado.web.HTTPError(400, EXPIRED)
        if response.code != 200:
            reason = printable(error) if error else response.code
            raise tornado.web.HTTPError(502, "Google could not sign you in (%s).", reason)
        if not usable(access):
            raise tornado.web.HTTPError(502, "Google sent an answer this site cannot read.")
        try:
            user = await self.oauth2_request(
                self._OAUTH_USERINFO_URL, access_token=access["access_token"]
            )
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code == 599:
                raise tornado.web.HTTPError(503, "Google cannot be reached.") from None
            raise tornado.web.HTTPError(
                502, "Google could not sign you in (%s).", exc.code
            ) from None
        except OSError:
            raise tornado.web.HTTPError(503, "Google cannot be reached.") from None
        except (ValueError, RecursionError):  # not JSON, or nested too deeply
            user = {}
        # This userinfo URL calls Google's stable account id "id"; OpenID Connect calls it "sub".
        subject = user.get("id", user.get("sub")) if isinstance(user, dict) else None
        name = user.get("name") if isinstance(user, dict) else None
        name = name.strip() if isinstance(name, str) else ""
        if not isinstance(subject, str) or not 0 < len(subject) <= MAX_ID or not name:
            raise tornado.web.HTTPError(502, "Google sent an answer this site cannot read.")
        return subject, name[:MAX_NAME]


def json_object(body):
    """The JSON object in a response body, or {} for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return {}
    return data if isinstance(data, dict) else {}


def usable(access):
    """A bearer token (RFC 6749, section 7.1) that fits in a URL or an Authorization header."""
    token_type, value = access.get("token_type"), access.get("access_token")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        return False
    return isinstance(value, str) and len(value) <= MAX_TOKEN and bool(TOKEN.fullmatch(value))


def printable(text):
    """Text from Google, safe to show and to log: short, without line breaks."""
    return re.sub(r"[^\x20-\x7e]", "?", text[:100])


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


class LogoutHandler(BaseHandler):
    def post(self):
        name, attributes = self.session_cookie()
        self.clear_cookie(name, **attributes)
        self.redirect("/", status=303)


def make_app(google_oauth, redirect_uri=DEFAULT_REDIRECT_URI, cookie_secret=None):
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
        log_function=log_request,
        google_oauth=google_oauth,
        redirect_uri=redirect_uri,
    )


async def main(port, google_oauth, redirect_uri):
    # The mixin's own requests take no timeouts: set the defaults of every AsyncHTTPClient.
    tornado.httpclient.AsyncHTTPClient.configure(None, defaults=TIMEOUTS)
    app = make_app(google_oauth, redirect_uri)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("redirect_uri", default=DEFAULT_REDIRECT_URI, help="as registered with Google")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        google_oauth = {
            "key": os.environ.get("GOOGLE_CLIENT_ID", ""),
            "secret": os.environ.get("GOOGLE_CLIENT_SECRET", ""),
        }
        if not google_oauth["key"] or not google_oauth["secret"]:
            raise ValueError("set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET in the environment")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, google_oauth, options.redirect_uri))
