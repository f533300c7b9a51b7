#!/usr/bin/env python3
"""Workload: the standard library's ThreadingHTTPServer (a thread per
connection, HTTP/1.1 keep-alive) answering every GET with one fixed small
page. Run three ways by bench/servers.py: as is (native threads), with
gevent's monkey.patch_all() (--gevent, or GEVENT=1), and unchanged under
greenrun. Nagle is off so that the header and body writes of one answer are
not held back by delayed ACKs.

usage: gevent_http.py PORT [--gevent]"""
import os
import sys

if "--gevent" in sys.argv[2:] or os.environ.get("GEVENT") == "1":
    from gevent import monkey
    monkey.patch_all()

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

BODY = b"Hello, world\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 4096  # wrk opens its connections in one burst


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
