#!/usr/bin/env python3
"""Loopback HTTP/HTTPS server for the CurlTransport tests and the leak driver.

Generates a throwaway PKI with the openssl CLI into a temp dir, listens on free ports on 127.0.0.1 and
prints one JSON line on stdout once every listener accepts connections:
  {"http": P, "https": P, "mtls": P, "mtls13": P, "named": P, "dir": "/tmp/..."}
  http   plain HTTP
  https  server cert for localhost / 127.0.0.1, signed by dir/ca.crt
  mtls   like https, but the client must present a certificate signed by dir/ca.crt; TLS 1.2 at most,
         so a missing certificate fails the handshake itself (deterministic for the tests)
  mtls13 the same with TLS 1.3: the server rejects a missing certificate only after the client has
         finished its side of the handshake, so the client sees the alert or just a closed connection
  named  server cert valid only for apiserver.fro.test (for the TLS server name override)
Files in dir: ca.crt, other-ca.crt (an unrelated CA), client.crt, client.key.
Exits (removing the dir) when stdin reaches EOF or on SIGTERM, so it never outlives its parent.

Endpoints (any method):
  /echo[?status=N]      JSON with method, path, headers, body, client_port, sni, client_cn
  /status/N             status N, body "status N"
  /chunks  (POST)       body {"status":200,"chunks":[...],"delay_ms":0,"hang_after":false}: a chunked
                        response writing each string as its own HTTP chunk, delay_ms apart; with
                        hang_after the response is never finished (the connection stays open)
  /watch?n=N&delay_ms=D N watch-like JSON lines, each split across two chunks (as the cpprest probe)
  /hang                 reads the request and never answers
  /sleep?ms=N           answers 200 after N ms
  /big?bytes=N[&length=0][&status=S]  N bytes of 'x'; length=0: no Content-Length, ends at close
"""
import http.server
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2",
                "-subj", f"/CN=fro-test-{ca}", cwd=d)

    def leaf(name, subj, ext):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subj, cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d)

    leaf("server", "/CN=localhost",
         "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    leaf("named", "/CN=apiserver.fro.test",
         "subjectAltName=DNS:apiserver.fro.test\nextendedKeyUsage=serverAuth\n")
    leaf("client", "/CN=fro-test-client", "extendedKeyUsage=clientAuth\n")


def wait_closed(sock, seconds):
    """Blocks until the peer closes the connection (or `seconds` pass)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            r, _, _ = select.select([sock], [], [], 0.2)
            if r:
                if isinstance(sock, ssl.SSLSocket):
                    data = sock.recv(1)
                else:
                    data = sock.recv(1, socket.MSG_PEEK)
                if not data:
                    return
                if not isinstance(sock, ssl.SSLSocket):
                    sock.recv(len(data))
        except (OSError, ssl.SSLError, ValueError):
            return


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes

    def log_message(self, *args):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _start_chunked(self, status):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = self._body()
        if url.path == "/echo":
            cn = None
            if isinstance(self.connection, ssl.SSLSocket):
                cert = self.connection.getpeercert()
                if cert:
                    cn = dict(x[0] for x in cert.get("subject", ())).get("commonName")
            out = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "client_port": self.client_address[1],
                "sni": getattr(self.connection, "fro_sni", None),
                "client_cn": cn,
            }
            self._send(int(q.get("status", 200)), json.dumps(out).encode(), "application/json",
                       [("X-Test", "yes"), ("X-Mixed-Case-Header", "Value With Spaces")])
        elif url.path.startswith("/status/"):
            code = int(url.path.split("/")[2])
            self._send(code, f"status {code}".encode())
        elif url.path == "/chunks":
            spec = json.loads(body or b"{}")
            status = int(spec.get("status", 200))
            self._start_chunked(status)
            delay = float(spec.get("delay_ms", 0)) / 1000.0
            for i, c in enumerate(spec.get("chunks", [])):
                if i and delay:
                    time.sleep(delay)
                self._chunk(c)
            if spec.get("hang_after"):
                wait_closed(self.connection, 30)
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif url.path == "/watch":
            n = int(q.get("n", 20))
            delay = float(q.get("delay_ms", 0)) / 1000.0
            self._start_chunked(200)
            for i in range(n):
                line = json.dumps({"type": "ADDED", "object": {"metadata": {"name": f"o{i}", "resourceVersion": str(i)}}}) + "\n"
                self._chunk(line[:10])
                self._chunk(line[10:])
                if delay:
                    time.sleep(delay)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif url.path == "/big":
            # bytes=N of 'x'; length=0 sends no Content-Length (the body ends when the connection
            # closes), so the client can only stop by counting. A client that hangs up ends it.
            n = int(q.get("bytes", 0))
            status = int(q.get("status", 200))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if q.get("length", "1") == "1":
                self.send_header("Content-Length", str(n))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            piece = b"x" * 65536
            try:
                while n > 0:
                    self.wfile.write(piece[:min(n, len(piece))])
                    n -= min(n, len(piece))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                self.close_connection = True
        elif url.path == "/hang":
            wait_closed(self.connection, 30)
            self.close_connection = True
        elif url.path == "/sleep":
            time.sleep(float(q.get("ms", 0)) / 1000.0)
            self._send(200, b"slept")
        else:
            self._send(404, b"not found")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # TLS failures (missing client cert, wrong CA on the client) are expected in the tests


def listener(ctx=None):
    srv = Server(("127.0.0.1", 0), Handler)
    if ctx is not None:
        # The handshake runs in the handler thread (Handler.setup), not in accept().
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def tls_context(d, cert, client_ca=None, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if max_version is not None:
        ctx.maximum_version = max_version
    ctx.load_cert_chain(os.path.join(d, f"{cert}.crt"), os.path.join(d, f"{cert}.key"))
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(d, client_ca))

    def remember_sni(sslobj, name, _ctx):
        try:
            sslobj.fro_sni = name
        except AttributeError:
            pass

    ctx.sni_callback = remember_sni
    return ctx


def main():
    d = tempfile.mkdtemp(prefix="fro-http-test-")

    def bye(*_):
        shutil.rmtree(d, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    try:
        make_pki(d)
        servers = {
            "http": listener(),
            "https": listener(tls_context(d, "server")),
            "mtls": listener(tls_context(d, "server", client_ca="ca.crt", max_version=ssl.TLSVersion.TLSv1_2)),
            "mtls13": listener(tls_context(d, "server", client_ca="ca.crt")),
            "named": listener(tls_context(d, "named")),
        }
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": str(e)}), flush=True)
        bye()
    info = {k: s.server_address[1] for k, s in servers.items()}
    info["dir"] = d
    print(json.dumps(info), flush=True)
    # Live as long as the parent holds our stdin open.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:  # noqa: BLE001
        pass
    bye()


if __name__ == "__main__":
    main()
