"""Calling a service over TLS: our own CA, a client certificate, and (with pycurl) a proxy."""

import asyncio
import logging
import ssl
import sys
import urllib.parse

import tornado.httpclient
import tornado.iostream
import tornado.options
import tornado.simple_httpclient
import tornado.web
from tornado.options import define, options

log = logging.getLogger("tornado.application")
CURLE_OPERATION_TIMEDOUT = 28
TIMEOUT = 5.0
ANSWER_LIMIT = 64 * 1024  # bytes of the service's answer we hold; we show 200 of them
CURLE_FILESIZE_EXCEEDED = 63
MAX_BODY_SIZE = 64 * 1024  # none of these handlers reads a body: refuse big ones unread


# ANCHOR: tls
def fetch_options(ca_certs=None, client_cert=None, client_key=None, proxy=None):
    """The TLS (and proxy) arguments of every fetch() that calls the service."""
    for path in filter(None, (ca_certs, client_cert, client_key)):
        open(path, "rb").close()  # the ssl module's errors do not say which file
    if proxy is None:
        try:
            context = ssl.create_default_context(cafile=ca_certs)  # verifies, as browsers do
            if client_cert:
                context.load_cert_chain(client_cert, client_key)
        except ssl.SSLError as exc:
            files = ", ".join(filter(None, (ca_certs, client_cert, client_key)))
            raise ValueError(f"cannot use {files}: {exc}") from None
        return {"ssl_options": context}
    import pycurl  # noqa: F401  (curl_httpclient needs it: fail at startup, not at a request)

    host, _, port = proxy.rpartition(":")
    return {
        "ca_certs": ca_certs,
        "client_cert": client_cert,
        "client_key": client_key,
        "proxy_host": host,
        "proxy_port": int(port),
    }
    # ANCHOR_END: tls


# ANCHOR: failure
def failure(exc):
    """The status and message for a call that failed: 504 for a timeout, 502 otherwise."""
    if isinstance(exc, tornado.simple_httpclient.HTTPTimeoutError):
        return 504, "the service did not answer in time"
    if getattr(exc, "errno", None) == CURLE_OPERATION_TIMEDOUT:  # curl's own timeout
        return 504, "the service did not answer in time"
    if getattr(exc, "errno", None) == CURLE_FILESIZE_EXCEEDED:  # simple_httpclient just hangs up
        return 502, "the service's answer is too large"
    if isinstance(exc, ssl.SSLError) or "SSL" in str(exc):  # curl says "SSL ..."
        return 502, "the TLS handshake with the service failed"
    if isinstance(exc, tornado.httpclient.HTTPClientError) and exc.code != 599:
        return 502, f"the service answered {exc.code}"
    return 502, "the service is unreachable or broke the connection"
    # ANCHOR_END: failure


def limit_answer(curl):
    """curl_httpclient has no max_body_size: libcurl stops at ANSWER_LIMIT bytes itself."""
    import pycurl

    curl.setopt(pycurl.MAXFILESIZE_LARGE, ANSWER_LIMIT)


class CallHandler(tornado.web.RequestHandler):
    # Teaching simplification: anyone who reaches / gets answers made with our client
    # certificate. A real service checks who is asking (ch06, ch07) before calling for them.
    def initialize(self, upstream, fetch_options):
        self.upstream = upstream
        self.fetch_options = fetch_options

    async def call(self):
        arguments = dict(request_timeout=TIMEOUT, follow_redirects=False, **self.fetch_options)
        if "proxy_host" in self.fetch_options:  # only curl_httpclient speaks to proxies
            from tornado.curl_httpclient import CurlAsyncHTTPClient  # needs pycurl

            arguments["prepare_curl_callback"] = limit_answer
            return await CurlAsyncHTTPClient().fetch(self.upstream, **arguments)
        client = tornado.simple_httpclient.SimpleAsyncHTTPClient(
            force_instance=True,
            max_body_size=ANSWER_LIMIT,  # the default is 100 MB
        )
        try:
            return await client.fetch(self.upstream, **arguments)
        finally:
            client.close()

    async def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        try:
            response = await self.call()
        except (
            tornado.httpclient.HTTPClientError,
            tornado.iostream.UnsatisfiableReadError,
            OSError,  # ssl.SSLError and a refused connection among them
        ) as exc:
            log.warning("calling %s failed: %s", self.upstream, exc)  # the details stay here
            status, message = failure(exc)
            self.set_status(status)
            return self.write(message + "\n")
        answer = response.body[:200].decode("utf-8", "replace")
        self.write(f"the service says: {answer}")


def make_app(
    upstream="https://localhost:8443/", ca_certs=None, client_cert=None, client_key=None, proxy=None
):
    arguments = fetch_options(ca_certs, client_cert, client_key, proxy)
    return tornado.web.Application(
        [(r"/", CallHandler, dict(upstream=upstream, fetch_options=arguments))]
    )


async def main(port, upstream, tls):
    app = make_app(upstream, **tls)
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


def proxy_address(value):
    """host:port, or ValueError."""
    host, _, port = value.rpartition(":")
    if not (host and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"--proxy is host:port, such as 127.0.0.1:8889, not {value!r}")
    return value


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="https://localhost:8443/", help="URL of the service to call")
    define("ca_certs", default="", help="PEM file with the CA that signed the service's cert")
    define("client_cert", default="", help="PEM file with our client certificate")
    define("client_key", default="", help="PEM file with our client certificate's key")
    define("proxy", default="", help="HTTP proxy as host:port (needs pycurl)")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if urllib.parse.urlsplit(options.upstream).scheme != "https":
            raise ValueError(f"--upstream must be an https:// URL, not {options.upstream}")
        if bool(options.client_cert) != bool(options.client_key):
            raise ValueError("--client-cert and --client-key go together")
        tls = dict(
            ca_certs=options.ca_certs or None,
            client_cert=options.client_cert or None,
            client_key=options.client_key or None,
            proxy=proxy_address(options.proxy) if options.proxy else None,
        )
        fetch_options(**tls)  # a missing file, a bad key or no pycurl: an error now, not later
    except ImportError:
        sys.exit("error: --proxy needs pycurl (pip install pycurl)")
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, options.upstream, tls))
    except KeyboardInterrupt:  # Ctrl+C: stop without a traceback
        print("Stopped", flush=True)
