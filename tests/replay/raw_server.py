"""Misbehaving servers on loopback, below HTTP: they accept and then never answer, trickle one byte
at a time, or answer whatever bytes they are given. Plain TCP, so `http://127.0.0.1:<port>`."""

from __future__ import annotations

import socket
import threading


class RawServer:
    """Accepts connections on 127.0.0.1 and treats each with `behave(connection)` in a thread."""

    def __init__(self, behave):
        self.behave = behave
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.behave(self, connection)
            except OSError:
                pass  # the client gave up and closed: what these servers wait for

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


def read_request(connection: socket.socket) -> None:
    """The whole request (head and Content-Length body), so closing after answering sends no RST."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        body += chunk


def silent(server: RawServer, connection: socket.socket) -> None:
    """Read the request, never answer."""
    read_request(connection)
    server.stopped.wait()


def trickle(every: float):
    """A valid status line and headers, one byte at a time, `every` seconds apart, never ending."""
    def behave(server: RawServer, connection: socket.socket) -> None:
        read_request(connection)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 10**6:
            if server.stopped.wait(every):
                return
            connection.sendall(bytes([byte]))
    return behave


def answer(body: bytes, status: str = "200 OK", content_type: str = "application/json"):
    """Every request gets the same answer: `body` with a correct Content-Length."""
    def behave(server: RawServer, connection: socket.socket) -> None:
        connection.settimeout(5)
        read_request(connection)
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        connection.sendall(head + body)
    return behave
