"""Mutual TLS: the server asks every client for a certificate signed by our own CA."""

import asyncio
import ssl
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BODY_SIZE = 64 * 1024  # none of these handlers reads a body: refuse big ones unread


# ANCHOR: handler
def client_certificate(request):
    """The client's verified certificate as a dict, or None."""
    try:
        return request.get_ssl_certificate()
    except AttributeError:  # plain HTTP: Tornado 6.6 asks a socket that has no certificate
        return None


class WhoAmIHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        cert = client_certificate(self.request)
        if not cert:  # plain HTTP, or a TLS port that does not ask for certificates
            self.set_status(403)
            return self.write("a client certificate is required\n")
        names = [value for rdn in cert["subject"] for key, value in rdn if key == "commonName"]
        if len(names) != 1:  # /CN=admin/CN=caller: which of the two is it?
            self.set_status(403)
            return self.write("the certificate must carry exactly one common name (CN)\n")
        self.write(f"hello, {names[0]}\n")
        # ANCHOR_END: handler


def make_app():
    return tornado.web.Application([(r"/", WhoAmIHandler)])


# ANCHOR: context
def make_ssl_context(certfile, keyfile, client_ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for path in (certfile, keyfile, client_ca):
        open(path, "rb").close()  # the ssl module's errors do not say which file
    try:
        context.load_cert_chain(certfile, keyfile)
        context.load_verify_locations(cafile=client_ca)
    except ssl.SSLError as exc:
        raise ValueError(f"cannot use {certfile}, {keyfile} and {client_ca}: {exc}") from None
    context.verify_mode = ssl.CERT_REQUIRED
    return context
    # ANCHOR_END: context


async def main(port, context):
    app = make_app()
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE, ssl_options=context)
    print(f"Listening on https://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("certfile", default="", help="PEM file with the server's certificate (and chain)")
    define("keyfile", default="", help="PEM file with the server's private key")
    define("client_ca", default="", help="PEM file with the CA that signs client certificates")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not (options.certfile and options.keyfile and options.client_ca):
            raise ValueError("--certfile, --keyfile and --client-ca are all required")
        context = make_ssl_context(options.certfile, options.keyfile, options.client_ca)
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, context))
    except KeyboardInterrupt:  # Ctrl+C: stop without a traceback
        print("Stopped", flush=True)
