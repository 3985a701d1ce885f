"""HTTPS from Tornado itself: an ssl.SSLContext with our certificate, passed as ssl_options."""

import asyncio
import ssl
import sys

import tornado.options
import tornado.web
from tornado.options import define, options


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"hello over {self.request.protocol}\n")


def make_app():
    return tornado.web.Application([(r"/", HelloHandler)])


def make_ssl_context(certfile, keyfile):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for path in (certfile, keyfile):
        open(path, "rb").close()  # load_cert_chain's errors do not say which file
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        raise ValueError(f"cannot use {certfile} with the key in {keyfile}: {exc}") from None
    return context


async def main(port, context):
    app = make_app()
    app.listen(port, address="127.0.0.1", ssl_options=context)
    print(f"Listening on https://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("certfile", default="", help="PEM file with the certificate (and its chain)")
    define("keyfile", default="", help="PEM file with the private key")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not (options.certfile and options.keyfile):
            raise ValueError("--certfile and --keyfile are both required")
        context = make_ssl_context(options.certfile, options.keyfile)
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, context))
