"""Sign in with Google: the same flow, with tornado.auth.GoogleOAuth2Mixin doing the requests."""

import asyncio
import hmac
import json
import os
import secrets
import sys
from pathlib import Path

import tornado.auth
import tornado.httpclient
import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
DEFAULT_REDIRECT_URI = "http://localhost:8000/auth/callback"
STATE_COOKIE = "oauth_state"
STATE_SECONDS = 600
SESSION_DAYS = 7
MAX_CODE = 512
MAX_NAME = 100
EXPIRED = "This sign-in link has expired or was already used."
TIMEOUTS = {"connect_timeout": 5, "request_timeout": 10}


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
        self.render("home.html", provider="Google", sign_in_url="/auth/login")


class GoogleHandler(BaseHandler, tornado.auth.GoogleOAuth2Mixin):
    """URLs come from the mixin's class attributes, the client from get_google_oauth_settings()."""


class LoginHandler(GoogleHandler):
    def get(self):
        state = secrets.token_urlsafe(24)
        self.set_signed_cookie(
            STATE_COOKIE,
            state,
            expires_days=None,
            path="/auth",
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
        )
        self.authorize_redirect(
            redirect_uri=self.settings["redirect_uri"],
            client_id=self.get_google_oauth_settings()["key"],
            scope=["openid", "profile", "email"],
            extra_params={"state": state, "prompt": "select_account"},
        )


class CallbackHandler(GoogleHandler):
    async def get(self):
        expected = self.get_signed_cookie(
            STATE_COOKIE, max_age_days=STATE_SECONDS / 86400, min_version=2
        )
        self.clear_cookie(STATE_COOKIE, path="/auth")
        state = self.get_query_argument("state", "").encode("utf-8")
        if not expected or not hmac.compare_digest(state, expected):
            raise tornado.web.HTTPError(403, "This sign-in did not start here, or took too long.")
        if self.get_query_argument("error", None) is not None:
            raise tornado.web.HTTPError(403, "Google did not sign you in: you are not signed in.")
        code = self.get_query_argument("code", "")
        if not code or len(code) > MAX_CODE:
            raise tornado.web.HTTPError(400, "Google sent no usable code.")
        user = await self.google_user(code)
        self.set_signed_cookie(
            "session",
            json.dumps({"name": user["name"][:MAX_NAME]}),
            expires_days=SESSION_DAYS,
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
        )
        self.redirect("/")

    async def google_user(self, code):
        """The token from the code, then the profile from the token; HTTP errors for failures."""
        try:
            access = await self.get_authenticated_user(
                redirect_uri=self.settings["redirect_uri"], code=code
            )
            user = await self.oauth2_request(
                self._OAUTH_USERINFO_URL, access_token=access["access_token"]
            )
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code == 400:  # how Google answers an expired or reused code
                raise tornado.web.HTTPError(400, EXPIRED) from None
            raise tornado.web.HTTPError(
                502, "Google could not sign you in (%s).", exc.code
            ) from None
        except OSError:
            raise tornado.web.HTTPError(503, "Google cannot be reached.") from None
        except (ValueError, KeyError, TypeError):
            user = None
        if not isinstance(user, dict) or not isinstance(user.get("name"), str):
            raise tornado.web.HTTPError(502, "Google sent an answer this site cannot read.")
        return user


class LogoutHandler(BaseHandler):
    def post(self):
        self.clear_cookie("session")
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
