"""Tea prices ported from gen.engine/gen.Task (3.1) and return_future (5.1) to async def."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

PRICES = {"green": "12.50", "oolong": "18.00"}
TEXT = "text/plain; charset=UTF-8"


async def fetch_price(tea):
    """The client library, ported too: an exception now travels with the await."""
    await asyncio.sleep(0.2)  # the price service takes its time
    return PRICES[tea]  # KeyError for a tea it does not know


class PriceHandler(tornado.web.RequestHandler):
    async def get(self, tea):
        self.set_header("Content-Type", TEXT)
        try:
            price = await fetch_price(tea)
        except KeyError:
            self.set_status(404)
            return self.write("no price for that tea\n")
        self.write(f"{tea}: {price} yuan a pot\n")


def make_app():
    return tornado.web.Application([(r"/price/([a-z]+)", PriceHandler)])


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port))
