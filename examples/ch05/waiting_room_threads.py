"""The same waiting room on the standard library's thread-per-connection server, to compare."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import tornado.options
from tornado.options import define, options


class Room:
    def __init__(self):
        self.lock = threading.Lock()
        self.event = threading.Event()
        self.waiting = 0
        self.released = 0


class WaitingRoomHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        room = self.server.room
        if self.path == "/wait":
            with room.lock:
                room.waiting += 1
                event = room.event
            event.wait()  # this thread sleeps until the release, whatever the client does
            with room.lock:
                room.waiting -= 1
                room.released += 1
            self.reply(200, "text/plain; charset=UTF-8", b"released\n")
        elif self.path == "/stats":
            with room.lock:
                stats = {"waiting": room.waiting, "released": room.released}
            self.reply(200, "application/json", json.dumps(stats).encode())
        else:
            self.reply(404, "text/plain; charset=UTF-8", b"not found\n")

    def do_POST(self):
        room = self.server.room
        if self.path != "/release":
            self.reply(404, "text/plain; charset=UTF-8", b"not found\n")
            return
        with room.lock:
            event, room.event = room.event, threading.Event()
            count = room.waiting
        event.set()
        self.reply(200, "application/json", json.dumps({"released": count}).encode())

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # ten thousand access-log lines would only slow the comparison down


class WaitingRoomServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), WaitingRoomHandler)
        self.room = Room()


def main(port):
    with WaitingRoomServer(port) as server:
        print(f"Listening on http://localhost:{port}/", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    main(options.port)
