"""Local servers on 127.0.0.1 that capture what the notification channels send: an HTTP server (webhook and
Slack posts; some paths fail with 500 a given number of times) and a minimal SMTP responder (EHLO, AUTH PLAIN,
MAIL, RCPT, DATA, QUIT) that keeps each message and the credentials it was given."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Captured:
    posts: list[dict[str, Any]] = field(default_factory=list)
    """One per request: path, headers (lower-case names), JSON body, status answered."""
    failures_left: dict[str, int] = field(default_factory=dict)
    """Path -> how many more requests to answer with 500 (then 200)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def http_capture(failures: dict[str, int] | None = None) -> Iterator[tuple[str, Captured]]:
    captured = Captured(failures_left=dict(failures or {}))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with captured.lock:
                left = captured.failures_left.get(self.path, 0)
                status = 500 if left else 200
                if left:
                    captured.failures_left[self.path] = left - 1
                captured.posts.append({"path": self.path, "status": status, "json": json.loads(body or b"null"),
                                       "headers": {k.lower(): v for k, v in self.headers.items()}})
            answer = b"internal error" if status == 500 else b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", captured
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    tls_used: bool = False


class _SMTPHandler(socketserver.StreamRequestHandler):
    mailbox: Mailbox
    tls: ssl.SSLContext | None = None

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        envelope: dict[str, Any] = {"from": None, "to": []}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                starttls = b"250-STARTTLS\r\n" if self.tls and not self.mailbox.tls_used else b""
                self.wfile.write(b"250-localhost\r\n" + starttls + b"250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "STARTTLS" and self.tls is not None:
                self.reply("220 Ready to start TLS")
                self.connection = self.tls.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb", buffering=0)
                self.mailbox.tls_used = True
            elif verb == "AUTH":
                parts = line.split(" ")
                decoded = base64.b64decode(parts[2]).split(b"\0")
                self.mailbox.logins.append((decoded[1].decode(), decoded[2].decode()))
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                envelope["from"] = line.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.mailbox.messages.append(message_from_bytes(data, policy=policy.default))  # type: ignore[arg-type]
                self.mailbox.envelopes.append(dict(envelope))
                envelope = {"from": None, "to": []}
                self.reply("250 OK queued")
            elif verb == "RSET" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@contextmanager
def smtp_capture(tls: ssl.SSLContext | None = None) -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1; with ``tls`` it offers STARTTLS (see ``self_signed``)."""
    mailbox = Mailbox()
    handler = type("Handler", (_SMTPHandler,), {"mailbox": mailbox, "tls": tls})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], mailbox
    finally:
        server.shutdown()
        server.server_close()


def refused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1, and the certificate's file (the CA
    file a client trusts)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
