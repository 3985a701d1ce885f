"""Fixtures for the club's tests: a fresh database, a fake clock, a stand-in weather service,
the app on a free port, and a client that keeps cookies like a browser."""

import asyncio
import contextlib
import http.cookies
import urllib.parse

import pytest
import pytest_asyncio
import tornado.httpclient
import tornado.httpserver
import tornado.testing

from examples.ch09 import club

WEATHER = b'{"city": "Hangzhou", "sky": "light rain", "temp_c": 24}'


# ANCHOR: database
@pytest.fixture
def database_url(tmp_path):
    """A new SQLite file for every test, in a directory pytest deletes later."""
    return f"sqlite:///{tmp_path / 'club.db'}"


@pytest_asyncio.fixture
async def engine(database_url):
    """The database with the club's tables, empty; dropped again after the test."""
    engine = club.create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(club.metadata.drop_all)  # left over from a test run that crashed
    await club.create_schema(engine)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(club.metadata.drop_all)
    await engine.dispose()


# ANCHOR_END: database
# ANCHOR: clock
class FakeClock:
    """Time that stands still until a test moves it on: call it like time.time."""

    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


# ANCHOR_END: clock
# ANCHOR: weather
class FakeWeatherService:
    """A real server on a free port that plays the weather service, well or badly.

    behaviour: "ok" answers at once; "slow" answers once `release` is set; "garbage" sends
    bytes that are not HTTP. stop() takes it down: connections are then refused.
    """

    def __init__(self):
        self.behaviour = "ok"
        self.asked = asyncio.Event()  # set when a request comes in
        self.release = asyncio.Event()
        self.answering = set()  # tasks answering a request now

    async def start(self):
        self.server = await asyncio.start_server(self.answer, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def answer(self, reader, writer):
        self.answering.add(asyncio.current_task())
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")  # the request's head
            self.asked.set()
            if self.behaviour == "slow":
                await self.release.wait()
            if self.behaviour == "garbage":
                writer.write(b"this is not HTTP\r\n\r\n")
            else:
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(WEATHER)}\r\n\r\n"
                writer.write(head.encode() + WEATHER)
            await writer.drain()
        writer.close()
        self.answering.discard(asyncio.current_task())

    async def stop(self):
        self.release.set()  # nothing may wait past the end of the test
        self.server.close()
        await self.server.wait_closed()
        await asyncio.gather(*self.answering)


@pytest_asyncio.fixture
async def weather():
    service = FakeWeatherService()
    await service.start()
    yield service
    await service.stop()


# ANCHOR_END: weather
# ANCHOR: app
@pytest.fixture
def weather_timeout():
    return 5.0  # seconds; a test can override it with @pytest.mark.parametrize


@pytest.fixture
def app(engine, clock, weather, weather_timeout):
    return club.make_app(
        engine,
        cookie_secret="a secret for tests only",
        clock=clock,
        upstream=weather.url,
        timeout=weather_timeout,
    )


@pytest_asyncio.fixture
async def base_url(app):
    """The app served on a free port, as long as the test runs: "http://127.0.0.1:PORT"."""
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(app, max_body_size=club.MAX_BODY_SIZE)
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{port}"
    server.stop()
    await server.close_all_connections()


@pytest_asyncio.fixture
async def http_client():
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    yield client
    client.close()


# ANCHOR_END: app
# ANCHOR: browser
class Browser:
    """Fetches as a browser does: sends back the cookies the app set, puts the XSRF token
    (the _xsrf cookie) into every form it posts, and does not follow redirects."""

    def __init__(self, client, base_url):
        self.client, self.base_url, self.cookies = client, base_url, {}

    async def fetch(self, path, form=None, xsrf=True):
        body = None
        if form is not None:
            token = {"_xsrf": self.cookies.get("_xsrf", "")} if xsrf else {}
            body = urllib.parse.urlencode({**token, **form})
        cookies = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = await self.client.fetch(
            self.base_url + path,
            method="GET" if form is None else "POST",
            body=body,
            headers={"Cookie": cookies} if cookies else {},
            follow_redirects=False,
            raise_error=False,  # a 4xx or 5xx is a response to look at, not an exception
        )
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response


@pytest.fixture
def browser(http_client, base_url):
    return Browser(http_client, base_url)


@pytest_asyncio.fixture
async def mei(browser):
    """A browser in which the member mei has signed in."""
    await browser.fetch("/login")  # the form, and with it the _xsrf cookie
    signed_in = await browser.fetch("/login", {"name": "mei", "password": club.MEMBERS["mei"]})
    assert signed_in.code == 303
    return browser


# ANCHOR_END: browser
