"""Without any plugin: a plain test function runs the asynchronous part with asyncio.run()."""

import asyncio

from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from examples.ch09 import club


# ANCHOR: plain
def test_home_page_without_a_plugin(tmp_path):
    asyncio.run(check_home_page(f"sqlite:///{tmp_path / 'club.db'}"))


async def check_home_page(database_url):
    engine = club.create_engine(database_url)
    await club.create_schema(engine)
    sock, port = bind_unused_port()
    server = HTTPServer(club.make_app(engine))
    server.add_sockets([sock])
    client = AsyncHTTPClient()
    try:
        response = await client.fetch(f"http://127.0.0.1:{port}/")
        assert b"Sign in</a> to post." in response.body
    finally:  # every fixture's teardown, by hand
        client.close()
        server.stop()
        await server.close_all_connections()
        await engine.dispose()


# ANCHOR_END: plain
