"""Follow a bulletin's feed: print each post. When the connection fails or is closed with a code
worth retrying, wait (exponential backoff with full jitter) and reconnect after the last post
seen; give up cleanly after a number of fruitless attempts, or at once when retrying cannot help."""

import asyncio
import json
import random
import sys

import tornado.httpclient
import tornado.options
from tornado.options import define, options
from tornado.websocket import WebSocketError, websocket_connect

ATTEMPTS = 8
FIRST_DELAY = 0.5
MAX_DELAY = 30.0
CONNECT_TIMEOUT = 10
PING_INTERVAL = 20  # a connection that stops answering pings is dropped, then retried
# Close codes after which a new connection may well work: going away, server error, service
# restart, try again later. A connection lost without any close frame is retried as well.
RETRY = {1001, 1011, 1012, 1013}


def say(line):
    print(line, flush=True)


def shown(text):
    """The server's text as one line: a newline or a control character sent by anyone who can
    post would otherwise start a line of its own that looks like ours."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def post_in(message):
    """The post a feed's message carries, or None: a server that is not a bulletin may send
    anything, and a client that trusted it would stop with a traceback."""
    try:
        post = json.loads(message)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if isinstance(post, dict) and type(post.get("id")) is int and post["id"] >= 0:
        return post if isinstance(post.get("text"), str) else None
    return None


# ANCHOR: backoff
def backoff(failures, first=FIRST_DELAY, cap=MAX_DELAY, rng=random.random):
    """Seconds to wait after the n-th failure in a row: anywhere from 0 up to first * 2**(n-1),
    at most `cap`. Spread out like this, clients cut off together do not return together."""
    return rng() * min(cap, first * 2 ** (failures - 1))


# ANCHOR_END: backoff


# ANCHOR: follow
async def follow(url, attempts=ATTEMPTS, posts=0, first=FIRST_DELAY, say=say):
    """Print posts until `posts` have been read (0: forever) or we give up; the exit status."""
    last, read, failures = 0, 0, 0
    while True:
        try:
            conn = await websocket_connect(
                f"{url}?after={last}", connect_timeout=CONNECT_TIMEOUT, ping_interval=PING_INTERVAL
            )
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code < 500:  # the server refused this request: it will refuse it again
                say(f"refused: {exc}")
                return 1
            say(f"cannot connect: {exc}")
        except WebSocketError as exc:  # an answer, but not a WebSocket
            say(f"refused: {exc}")
            return 1
        except OSError as exc:
            say(f"cannot connect: {exc.strerror or exc}")
        else:
            say("connected")
            while (message := await conn.read_message()) is not None:
                if (post := post_in(message)) is None:
                    conn.close(1003, "not a post")
                    say("refused: the server sent something that is not a post")
                    return 1
                last, read, failures = post["id"], read + 1, 0
                say(f"#{post['id']} {shown(post['text'])}")
                if read == posts:
                    conn.close(1000, "read enough")
                    while await conn.read_message() is not None:
                        pass  # until the server answers our close
                    say(f"done after {read} post(s)")
                    return 0
            conn.close()  # the server has closed it: this only releases our side
            if conn.close_code is None:
                say("connection lost")
            else:
                say(f"closed by the server: {conn.close_code} {conn.close_reason or ''}")
                if conn.close_code not in RETRY:
                    return 0 if conn.close_code == 1000 else 1
        failures += 1
        if failures >= attempts:
            say(f"giving up after {failures} attempts")
            return 1
        await asyncio.sleep(backoff(failures, first))


# ANCHOR_END: follow


if __name__ == "__main__":
    define("url", default="ws://localhost:8000/feed", help="the feed to follow")
    define("attempts", default=ATTEMPTS, type=int, help="fruitless attempts before giving up")
    define("posts", default=0, type=int, help="stop after this many posts (0: never)")
    try:
        tornado.options.parse_command_line()
        if not options.url.startswith(("ws://", "wss://")) or "?" in options.url:
            raise ValueError(
                f"url must be a ws:// or wss:// address without a query, not {options.url!r}"
            )
        if not 1 <= options.attempts <= 100 or not 0 <= options.posts <= 1_000_000:
            raise ValueError("attempts must be from 1 to 100 and posts from 0 to 1000000")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        sys.exit(asyncio.run(follow(options.url, options.attempts, options.posts)))
    except KeyboardInterrupt:
        sys.exit(130)  # Ctrl+C: stop quietly, as a shell expects
