"""Integration-test harness for complaintd: real Dovecot and Postfix on 127.0.0.1.

Python 3 standard library only. Tests import it as ``import harness`` (the CMake registration
puts this folder on PYTHONPATH; a test run directly should insert its own folder into sys.path).

    class MyTest(harness.MailTestCase):          # one private server pair per test class
        def test_something(self):
            s = self.servers
            s.add_user("complaints@example.test", "secret")
            s.send("citizen@example.org", "complaints@example.test",
                   harness.make_message("citizen@example.org", "complaints@example.test",
                                        "Bins not collected", "Third week running."))
            [(uid, flags, raw)] = s.wait_for_messages("complaints@example.test", "secret", 1)

A configuration for the daemon on those servers: ``harness.write_config(path, self.servers,
extra="[[stage]] ...")`` (see config_text for the other keys).

What the servers do (scripts/mail-servers.sh): mail from any sender to a listed
``user@example.test`` (or ``user+tag@``) submitted on the SMTP port is delivered into that
user's INBOX through Postfix -> LMTP -> Dovecot; unknown users are rejected with 550, other
domains with 554; nothing leaves the machine. Postfix adds Return-Path, Delivered-To and two
Received fields. To place a message byte for byte use ``append`` (IMAP APPEND) instead.
``add_pipe_transport(address, argv)`` routes one address to a command through Postfix's
pipe(8) instead (``complaintd ingest``, as a site without an IMAP mailbox delivers);
``postfix_queue()`` and ``postfix_log()`` show what Postfix did with it.

Environment:
    COMPLAINTD_BINARY            path of the built daemon (set by CTest); see complaintd_binary()
    COMPLAINTD_TEST_BASE_PORT    first base port to try (else a random multiple of 100 in
                                 20000..31900); ports are base+24 LMTP, +25 SMTP, +43 IMAP,
                                 +93 IMAPS
    COMPLAINTD_KEEP_TEST_DIR=1   keep the servers' directory (config, logs, Maildirs) after stop
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime
import email.message
import email.policy
import email.utils
import errno
import fcntl
import imaplib
import json
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
MAIL_SERVERS_SCRIPT = REPO_ROOT / "scripts" / "mail-servers.sh"
HOST = "127.0.0.1"
DOMAIN = "example.test"

_PORT_OFFSETS = (24, 25, 43, 93)  # LMTP, SMTP, IMAP, IMAPS
_EX_PORT_IN_USE = 75  # mail-servers.sh: a port is taken, try another base
_PORT_LOCK_DIR = Path(tempfile.gettempdir()) / "complaintd-test-ports"


# --------------------------------------------------------------------------------------------
# Paths and environment


def _skip_or_fail(reason: str) -> None:
    """Skips a test whose prerequisites are missing, unless COMPLAINTD_REQUIRE_MAIL_SERVERS=1
    (set by scripts/test.sh, so CI can never pass by skipping every integration test)."""
    if os.environ.get("COMPLAINTD_REQUIRE_MAIL_SERVERS") == "1":
        raise RuntimeError(reason + " (COMPLAINTD_REQUIRE_MAIL_SERVERS=1)")
    raise unittest.SkipTest(reason)


def complaintd_binary() -> str:
    """Path of the complaintd executable under test, from env COMPLAINTD_BINARY.

    CTest sets it (tests/integration/CMakeLists.txt) when the `complaintd` target exists.
    Raises unittest.SkipTest when it is unset (e.g. a test run by hand without a build), and
    FileNotFoundError when it is set but does not name an executable file.
    """
    path = os.environ.get("COMPLAINTD_BINARY", "").strip()
    if not path:
        _skip_or_fail("COMPLAINTD_BINARY is not set (run through ctest, or export "
                                "COMPLAINTD_BINARY=build/daemon/complaintd)")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"COMPLAINTD_BINARY={path} is not an executable file "
                                "(build the complaintd target first)")
    return path


def keep_test_dir() -> bool:
    return os.environ.get("COMPLAINTD_KEEP_TEST_DIR", "") not in ("", "0")


# --------------------------------------------------------------------------------------------
# Configuration

COMPLAINTS = "complaints@example.test"
EXAMPLE_LETTERS = REPO_ROOT / "examples" / "solihull-council" / "letters"


def config_text(servers: "MailServers | None" = None, *, name: str = "complaintd test",
                database: str | os.PathLike = "complaintd.db", timezone: str | None = "Europe/London",
                letters: str | os.PathLike | None = EXAMPLE_LETTERS, address: str = COMPLAINTS,
                password: str = "pw", poll_interval: str | None = "1s", mailbox_extra: str = "",
                service_extra: str = "", extra: str = "", imap_port: int | None = None,
                smtp_port: int | None = None) -> str:
    """A complaintd configuration with one mailbox and SMTP on `servers`, then `extra` (more
    TOML, dedented); `mailbox_extra` and `service_extra` add keys to the [[mailbox]] and
    [service] tables.

    Without servers (or with imap_port/smtp_port) the URLs name those ports, by default port 1
    where nothing listens: enough for commands that never reach a server (ingest,
    check-config), or to make every poll fail. The password is inline because the servers are
    private test instances."""
    if imap_port is None:
        imap_port = servers.imap_port if servers else 1
    if smtp_port is None:
        smtp_port = servers.smtp_port if servers else 1
    service = [f'name = "{name}"', f'database = "{database}"']
    if timezone is not None:
        service.append(f'timezone = "{timezone}"')
    if letters is not None:
        service.append(f'letters = "{letters}"')
    service += textwrap.dedent(service_extra).strip("\n").splitlines()
    mailbox = [
        'name = "complaints"',
        f'url = "imap://{HOST}:{imap_port}"',
        f'username = "{address}"',
        f'password = "{password}"',
        f'address = "{address}"',
    ]
    if poll_interval is not None:
        mailbox.append(f'poll_interval = "{poll_interval}"')
    mailbox += textwrap.dedent(mailbox_extra).strip("\n").splitlines()
    text = ("[service]\n" + "\n".join(service) + "\n\n[[mailbox]]\n" + "\n".join(mailbox) +
            f'\n\n[smtp]\nurl = "smtp://{HOST}:{smtp_port}"\nfrom = "{address}"\n')
    extra = textwrap.dedent(extra).strip("\n")
    return text + ("\n" + extra + "\n" if extra else "")


def write_config(path: str | os.PathLike, servers: "MailServers | None" = None, **kwargs) -> Path:
    """Writes config_text(servers, **kwargs) to `path`; returns the path."""
    path = Path(path)
    path.write_text(config_text(servers, **kwargs), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Messages


def make_message(from_addr: str, to_addr: str | Sequence[str], subject: str, body: str | bytes,
                 headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
                 message_id: str | None = None) -> bytes:
    """A simple RFC 5322 message as bytes with CRLF line endings.

    From, To, Subject, Date, Message-ID, MIME-Version and a text/plain; charset=utf-8 body.
    ``headers`` (a dict or (name, value) pairs) are added after those; a name that is already
    present replaces it (e.g. {"Date": ...}); a value of None removes it. ``message_id``
    defaults to a fresh ``<...@example.test>``; pass "" for a message without one. A str body is
    encoded as UTF-8 (8bit if non-ASCII); a bytes body is used as is after the blank line.
    Non-ASCII header values are RFC 2047-encoded.
    """
    if not isinstance(to_addr, str):
        to_addr = ", ".join(to_addr)
    if message_id is None:
        message_id = email.utils.make_msgid(domain=DOMAIN)
    fields: list[tuple[str, str | None]] = [
        ("From", from_addr),
        ("To", to_addr),
        ("Subject", subject),
        ("Date", email.utils.formatdate(localtime=True)),
    ]
    if message_id:
        fields.append(("Message-ID", message_id))
    fields += [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8")]
    if isinstance(body, str):
        raw_body = body.encode("utf-8")
    else:
        raw_body = bytes(body)
    fields.append(("Content-Transfer-Encoding", "7bit" if raw_body.isascii() else "8bit"))

    extra = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    for name, value in extra:
        for i, (have, _) in enumerate(fields):
            if have.lower() == name.lower():
                fields[i] = (name, value)
                break
        else:
            fields.append((name, value))

    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    for name, value in fields:
        if value is not None:
            msg[name] = value
    head = msg.as_bytes()  # header block + the blank line, CRLF, RFC 2047 where needed
    if isinstance(body, str):
        raw_body = re.sub(rb"\r?\n", b"\r\n", raw_body)
        if raw_body and not raw_body.endswith(b"\r\n"):
            raw_body += b"\r\n"
    return head + raw_body


def message_bytes(message: bytes | bytearray | str | email.message.Message) -> bytes:
    """Bytes of a message given as bytes, str (UTF-8) or an email.message.Message (CRLF)."""
    if isinstance(message, (bytes, bytearray)):
        return bytes(message)
    if isinstance(message, str):
        return message.encode("utf-8")
    if isinstance(message, email.message.Message):
        return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    raise TypeError(f"not a message: {type(message).__name__}")


# --------------------------------------------------------------------------------------------
# IMAP helpers


class FetchedMessage(NamedTuple):
    uid: int
    flags: tuple[str, ...]
    raw: bytes


def imap_utf7_encode(name: str) -> str:
    """RFC 3501 5.1.3 modified UTF-7 for mailbox names."""
    out, buf = [], []

    def flush() -> None:
        if buf:
            b = base64.b64encode("".join(buf).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b.replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def imap_utf7_decode(name: str) -> str:
    def repl(m: re.Match) -> str:
        s = m.group(1)
        if not s:
            return "&"
        s = s.replace(",", "/")
        s += "=" * (-len(s) % 4)
        return base64.b64decode(s).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, name)


def imap_quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib does not quote arguments)."""
    enc = imap_utf7_encode(name)
    return '"' + enc.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse_fetch(data: list) -> list[FetchedMessage]:
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, tuple):
            continue  # b')' closers and unsolicited FETCH responses without a literal
        meta, body = item[0], item[1]
        tail = data[i + 1] if i + 1 < len(data) and isinstance(data[i + 1], bytes) else b""
        text = meta + b" " + tail
        uid = re.search(rb"\bUID (\d+)", text)
        if uid is None:
            continue
        flags = re.search(rb"\bFLAGS \(([^)]*)\)", text)
        out.append(FetchedMessage(int(uid.group(1)),
                                  tuple(flags.group(1).decode().split()) if flags else (),
                                  bytes(body)))
    out.sort(key=lambda m: m.uid)
    return out


def _check(typ: str, data, what: str) -> None:
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{what}: {typ} {data!r}")


# --------------------------------------------------------------------------------------------
# Process helpers


def pid_alive(pid: int | None) -> bool:
    """True if pid is a live process (a zombie, exited but not reaped, counts as dead)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2:][:1]
    return state not in (b"Z", b"X")


def _port_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# Started in its own session, it outlives a test process killed by SIGKILL (e.g. a CTest
# timeout) and then stops that process's servers, so nothing is left running.
_REAPER = r"""
import os, select, shutil, subprocess, sys, time
parent, script, d, keep = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
try:
    fd = os.pidfd_open(parent)
    select.select([fd], [], [])
except (AttributeError, OSError):
    while True:
        try:
            with open("/proc/%d/stat" % parent) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    break
        except OSError:
            break
        time.sleep(0.5)
subprocess.run(["bash", script, "stop", d], stdin=subprocess.DEVNULL,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
if not keep:
    shutil.rmtree(d, ignore_errors=True)
"""

_live: set["MailServers"] = set()
_live_lock = threading.Lock()


def _stop_all() -> None:
    with _live_lock:
        live = list(_live)
    for servers in live:
        try:
            servers.stop()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            print(f"harness: stopping {servers.dir} failed: {e}", file=sys.stderr)


atexit.register(_stop_all)


def _install_sigterm_handler() -> None:
    """Turn SIGTERM into SystemExit so atexit stops the servers (only if nobody handles it)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def on_term(signum, frame):  # noqa: ARG001
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, on_term)


# --------------------------------------------------------------------------------------------
# The servers


class MailServers:
    """A private Dovecot + Postfix pair on 127.0.0.1 in a fresh temporary directory.

    Use as a context manager or call start()/stop(). stop() also runs from __exit__, at
    interpreter exit, on SIGTERM, and (from a watchdog process) if the test process is killed.
    After start(): dir, imap_port, imaps_port, smtp_port, lmtp_port, base_port, cert,
    dovecot_pid, postfix_pid and env (all of servers.env as strings).
    """

    def __init__(self, users: dict[str, str] | None = None, base_port: int | None = None,
                 keep_dir: bool | None = None, start_timeout: float = 60.0):
        """`users` ({address: password}) are added before start, which saves add_user's
        Postfix reload (~0.5 s each call)."""
        self._initial_users = dict(users or {})
        self._requested_base = base_port
        self.keep_dir = keep_test_dir() if keep_dir is None else keep_dir
        self.start_timeout = start_timeout
        self.dir: str | None = None
        self.env: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self._lock_fd: int | None = None
        self._reaper: subprocess.Popen | None = None
        self._running = False
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "MailServers":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "MailServers":
        if self._running:
            return self
        self._check_prerequisites()
        _install_sigterm_handler()
        self._stopped = False
        self.env = {}
        self.dir = tempfile.mkdtemp(prefix="complaintd-mail-", dir="/tmp")
        os.chmod(self.dir, 0o755)  # Dovecot's mail processes (uid 8) must reach DIR/mail
        self._start_reaper()  # from here on, even a SIGKILL of this process leaks nothing
        try:
            if self._initial_users:
                self.add_users(self._initial_users)
            self._start_servers()
        except BaseException:
            self._kill_reaper()
            # The script cleans up after its own failures; this covers a timeout or ^C.
            subprocess.run(["bash", str(MAIL_SERVERS_SCRIPT), "stop", self.dir],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
            self._release_port()
            # Keep the logs that explain the failure, if the script got that far.
            self._remove_dir(force_keep=os.path.isdir(os.path.join(self.dir, "log")))
            self._stopped = True
            raise
        with _live_lock:
            _live.add(self)
        self._running = True
        return self

    def stop(self) -> None:
        """Stops both servers (bounded), checks their masters are gone, removes the directory
        unless COMPLAINTD_KEEP_TEST_DIR=1. Safe to call more than once."""
        if self.dir is None or self._stopped:
            return
        with _live_lock:
            _live.discard(self)
        self._kill_reaper()
        error = None
        if self._running or os.path.isdir(self.dir):
            proc = subprocess.run(["bash", str(MAIL_SERVERS_SCRIPT), "stop", self.dir],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=120)
            if proc.returncode != 0:
                error = f"mail-servers.sh stop failed ({proc.returncode}): {proc.stderr.strip()}"
        self._running = False
        self._release_port()
        left = [p for p in (self.dovecot_pid, self.postfix_pid) if pid_alive(p)]
        if left:
            error = (error or "") + f" masters still alive after stop: {left}"
        self._remove_dir(force_keep=bool(error))
        self._stopped = True
        if error:
            raise RuntimeError(f"{error.strip()} (directory kept: {self.dir})")

    # -- start-up details --------------------------------------------------------------------

    @staticmethod
    def _check_prerequisites() -> None:
        missing = [c for c in ("dovecot", "postfix", "openssl") if shutil.which(c) is None
                   and not os.path.exists(f"/usr/sbin/{c}")]
        if missing:
            _skip_or_fail(f"mail servers not installed ({', '.join(missing)}): "
                                    "run scripts/setup.sh")
        if os.geteuid() != 0:
            _skip_or_fail("the private Dovecot/Postfix instances need root")
        if not MAIL_SERVERS_SCRIPT.is_file():
            raise FileNotFoundError(MAIL_SERVERS_SCRIPT)

    def _candidate_bases(self) -> Iterator[int]:
        first = self._requested_base
        if first is None and os.environ.get("COMPLAINTD_TEST_BASE_PORT"):
            first = int(os.environ["COMPLAINTD_TEST_BASE_PORT"])
        if first is not None:
            if not 1024 <= first <= 65535 - 93 - 1900:
                raise ValueError(f"base port {first} out of range 1024..63542")
            # An explicit base first, then the next hundreds (parallel runs share the override).
            for i in range(20):
                yield first + 100 * i
            return
        rng = random.SystemRandom()
        bases = list(range(20000, 32000, 100))  # below Linux's ephemeral range (32768+)
        rng.shuffle(bases)
        yield from bases

    def _claim_port(self, base: int) -> bool:
        """Holds a lock on `base` among harness users, then probes its four ports."""
        _PORT_LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
        fd = os.open(_PORT_LOCK_DIR / f"{base}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            raise
        if not all(_port_free(base + off) for off in _PORT_OFFSETS):
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _release_port(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _start_servers(self) -> None:
        last = ""
        for attempt, base in enumerate(self._candidate_bases()):
            if attempt >= 20:
                break
            if not self._claim_port(base):
                continue
            proc = subprocess.run(
                ["bash", str(MAIL_SERVERS_SCRIPT), "start", self.dir, "--base-port", str(base)],
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=self.start_timeout)
            if proc.returncode == 0:
                self._load_env()
                return
            self._release_port()
            last = (proc.stdout + proc.stderr).strip()
            if proc.returncode != _EX_PORT_IN_USE:
                raise RuntimeError(f"mail-servers.sh start failed ({proc.returncode}):\n{last}")
        raise RuntimeError(f"no free base port for the mail servers; last error:\n{last}")

    def _load_env(self) -> None:
        env = {}
        with open(os.path.join(self.dir, "servers.env"), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    env[k] = v
        self.env = env

    def _start_reaper(self) -> None:
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, str(os.getpid()), str(MAIL_SERVERS_SCRIPT),
             self.dir, "1" if self.keep_dir else "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True)

    def _kill_reaper(self) -> None:
        if self._reaper is not None:
            with contextlib.suppress(OSError):
                self._reaper.kill()
            with contextlib.suppress(Exception):
                self._reaper.wait(timeout=10)
            self._reaper = None

    def _remove_dir(self, force_keep: bool = False) -> None:
        if not self.dir or not os.path.isdir(self.dir):
            return
        if self.keep_dir or force_keep:
            print(f"harness: mail servers' directory kept: {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- properties --------------------------------------------------------------------------

    def _port(self, key: str) -> int:
        if key not in self.env:
            raise RuntimeError("mail servers not started")
        return int(self.env[key])

    imap_port = property(lambda self: self._port("IMAP_PORT"))
    imaps_port = property(lambda self: self._port("IMAPS_PORT"))
    smtp_port = property(lambda self: self._port("SMTP_PORT"))
    lmtp_port = property(lambda self: self._port("LMTP_PORT"))
    base_port = property(lambda self: self._port("BASE_PORT"))
    dovecot_pid = property(lambda self: int(self.env.get("DOVECOT_PID", 0)) or None)
    postfix_pid = property(lambda self: int(self.env.get("POSTFIX_PID", 0)) or None)
    cert = property(lambda self: self.env.get("CERT"))

    @property
    def running(self) -> bool:
        return self._running

    def live_processes(self) -> list[int]:
        """PIDs of live processes that belong to this instance (masters and children)."""
        if not self.dir:
            return []
        title = f"dovecot-complaintd-{self.env.get('BASE_PORT', '?')}/".encode()
        dir_b = self.dir.encode()
        mail_config = b"MAIL_CONFIG=" + dir_b + b"/"
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or not pid_alive(int(name)):
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmd = f.read()
                with open(f"/proc/{name}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                continue
            if (dir_b + b"/") in cmd or cmd.startswith(title) or mail_config in environ:
                out.append(int(name))
        return [p for p in out if p != os.getpid()]

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of Postfix's and Dovecot's logs, for assertion messages."""
        out = []
        for name in ("postfix.log", "dovecot.log"):
            path = os.path.join(self.dir or "", "log", name)
            try:
                with open(path, "r", encoding="utf-8", errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                continue
            out.append(f"--- {path} ---\n" + "".join(tail))
        return "\n".join(out)

    # -- one server down and up again (outage tests) ------------------------------------------

    def _server_pid(self, name: str) -> int | None:
        """The live master PID of this instance's "dovecot" or "postfix", from its PID file,
        checked against its config path (as mail-servers.sh does), so that no other test's
        servers are ever signalled."""
        if name == "dovecot":
            pid_file = os.path.join(self.dir or "", "run", "dovecot", "master.pid")
            proc_file, text = "cmdline", os.path.join(self.dir or "", "etc", "dovecot", "dovecot.conf")
        elif name == "postfix":
            pid_file = os.path.join(self.dir or "", "spool", "postfix", "pid", "master.pid")
            proc_file, text = "environ", "MAIL_CONFIG=" + os.path.join(self.dir or "", "etc", "postfix")
        else:
            raise ValueError(f"no such server: {name!r} (dovecot or postfix)")
        try:
            with open(pid_file, encoding="ascii") as f:
                pid = int(f.read().split()[0])
            with open(f"/proc/{pid}/{proc_file}", "rb") as f:
                fields = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) and text.encode() in fields else None

    def stop_server(self, name: str, timeout: float = 10) -> None:
        """Stops only this instance's Dovecot ("dovecot") or Postfix ("postfix"), as an outage
        would, and waits until its master is gone; start_server(name) brings it back on the
        same ports. Connections in progress are cut (Dovecot: shutdown_clients = yes)."""
        pid = self._server_pid(name)
        if pid is None:
            return
        # Dovecot's master is a session leader: TERM to its group stops it in ~40 ms, not ~1.2 s.
        group = name == "dovecot" and os.getpgid(pid) == pid
        signal_to = os.killpg if group else os.kill
        signal_to(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                signal_to(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)

    def start_server(self, name: str, timeout: float = 30) -> None:
        """Starts this instance's Dovecot or Postfix again after stop_server (same config, same
        ports, same mail) and waits until it greets on its port."""
        if self._server_pid(name) is not None:
            return
        etc = os.path.join(self.dir or "", "etc")
        if name == "dovecot":
            cmd, port, greeting = ["dovecot", "-c", os.path.join(etc, "dovecot", "dovecot.conf")], self.imap_port, b"* OK"
        elif name == "postfix":
            cmd, port, greeting = ["postfix", "-c", os.path.join(etc, "postfix"), "start"], self.smtp_port, b"220"
        else:
            raise ValueError(f"no such server: {name!r} (dovecot or postfix)")
        # Output to a file, never a pipe: a daemonizing master would keep a pipe open.
        with open(os.path.join(self.dir or "", "log", f"{name}-start.log"), "ab") as log:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True, timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                with socket.create_connection((HOST, port), timeout=5) as s:
                    if s.recv(64).startswith(greeting):
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout} s\n{self.log_tail()}")
            time.sleep(0.05)
        pid = self._server_pid(name)
        self.env["DOVECOT_PID" if name == "dovecot" else "POSTFIX_PID"] = str(pid or 0)

    def add_pipe_transport(self, address: str, argv: Sequence[str], user: str = "nobody",
                           service: str = "complaintd", flags: str = "DRX") -> None:
        """Delivers mail for `address` (and address+tag) by Postfix's pipe(8) to the command
        `argv` instead of into Dovecot, as a site does with `complaintd ingest`: a service in
        master.cf and a transport_maps entry. The command runs as `user` (pipe(8) refuses root
        and Postfix's own account), with the message on its standard input; exit 0 is
        delivered, 75 deferred (kept in the queue and retried), other codes bounce.

        Postfix is restarted, not reloaded: after a reload, processes that resolved
        destinations with the old tables may still take the next message."""
        if not self.dir:
            raise RuntimeError("mail servers not started")
        if any(c.isspace() or c in "${}" for a in argv for c in a):
            raise ValueError("argv words must not contain blanks, '$', '{' or '}' (master.cf syntax)")
        addr = address.lower()
        pfconf = os.path.join(self.dir, "etc", "postfix")
        transport = os.path.join(pfconf, "transport")
        vmailbox = os.path.join(pfconf, "vmailbox")
        entry = (f"{service} unix - n n - - pipe flags={flags} user={user} "
                 f"argv={' '.join(argv)}")

        def postconf(*args: str) -> None:
            subprocess.run(["postconf", "-c", pfconf, *args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30, check=True)

        postconf("-M", "-e", f"{service}/unix={entry}")
        # The whole address, so that mail to other users still goes to Dovecot.
        with open(transport, "a", encoding="ascii") as f:
            f.write(f"{addr} {service}:\n")
        postconf("-e", f"transport_maps = texthash:{transport}")
        # smtpd accepts only recipients listed for the virtual domain.
        with open(vmailbox, encoding="ascii") as f:
            listed = f"{addr} OK" in f.read().splitlines()
        if not listed:
            with open(vmailbox, "a", encoding="ascii") as f:
                f.write(f"{addr} OK\n")
        # Postfix re-reads a file younger than a second every 300 ms (mail-servers.sh: backdate).
        past = time.time() - 10
        for path in ("main.cf", "master.cf", "transport", "vmailbox"):
            os.utime(os.path.join(pfconf, path), (past, past))
        check = subprocess.run(["postfix", "-c", pfconf, "check"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise RuntimeError(f"postfix check failed after adding {service}: {check.stderr.strip()}")
        self.stop_server("postfix")
        self.start_server("postfix")

    def postfix_queue(self) -> list[dict]:
        """Postfix's queue as `postqueue -j` reports it: one dict per message (queue_name,
        queue_id, sender, recipients with their delay_reason, …)."""
        proc = subprocess.run(["postqueue", "-c", os.path.join(self.dir or "", "etc", "postfix"), "-j"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                              check=True)
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def postfix_log(self) -> str:
        """Postfix's whole log (maillog_file)."""
        try:
            with open(os.path.join(self.dir or "", "log", "postfix.log"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def flush_queue(self) -> None:
        """`postqueue -f`: Postfix retries its deferred mail now (e.g. after Dovecot is back)."""
        subprocess.run(["postqueue", "-c", os.path.join(self.dir or "", "etc", "postfix"), "-f"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=True)

    # -- users -------------------------------------------------------------------------------

    def add_user(self, addr: str, password: str) -> None:
        """Adds (or updates) a mailbox user; Postfix accepts mail for it when this returns.
        Idempotent. Addresses must be user@example.test with user in [a-z0-9._-]."""
        self.add_users({addr: password})

    def add_users(self, users: dict[str, str]) -> None:
        """Adds several users with a single Postfix reload."""
        if not self.dir:
            raise RuntimeError("mail servers not started")
        args = [x for pair in users.items() for x in pair]
        proc = subprocess.run(["bash", str(MAIL_SERVERS_SCRIPT), "add-user", self.dir, *args],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"add-user {', '.join(users)} failed: "
                               f"{(proc.stdout + proc.stderr).strip()}")
        for addr, password in users.items():
            self.passwords[addr.lower()] = password

    def _password(self, user: str, password: str | None) -> str:
        if password is not None:
            return password
        try:
            return self.passwords[user.lower()]
        except KeyError:
            raise ValueError(f"no password given for {user} and not added by add_user") from None

    # -- SMTP --------------------------------------------------------------------------------

    def send(self, from_addr: str, to_addrs: str | Sequence[str],
             message: bytes | str | email.message.Message,
             mail_options: Sequence[str] = (), timeout: float = 120) -> dict:
        """Submits a message over SMTP to Postfix on 127.0.0.1. Returns smtplib's dict of
        refused recipients (raises smtplib.SMTPRecipientsRefused if all are refused).

        Envelope addresses must be ASCII: Postfix would accept SMTPUTF8 mail but then bounce
        it, because Dovecot 2.3's LMTP does not offer SMTPUTF8. (UTF-8 in header fields is
        fine.) Use append() to place such messages."""
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        if not all(a.isascii() for a in [from_addr, *to_addrs]):
            raise ValueError("non-ASCII envelope address: Dovecot 2.3 LMTP cannot take SMTPUTF8 "
                             "mail from Postfix; use append() instead")
        options = list(mail_options)
        with smtplib.SMTP(HOST, self.smtp_port, timeout=timeout) as smtp:
            return smtp.sendmail(from_addr, list(to_addrs), message_bytes(message),
                                 mail_options=options)

    def wait_for_queue_empty(self, timeout: float = 60) -> None:
        """Waits until Postfix holds no mail (everything accepted has been delivered or
        bounced), so a mailbox's count is final. Raises AssertionError with the logs on timeout."""
        deadline = time.monotonic() + timeout
        queue = ""
        while time.monotonic() < deadline:
            proc = subprocess.run(["postqueue", "-c", os.path.join(self.dir or "", "etc", "postfix"), "-j"],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
            if proc.returncode != 0:
                raise RuntimeError(f"postqueue failed: {proc.stderr.strip()}")
            queue = proc.stdout.strip()
            if not queue:  # one JSON object per queued message
                return
            time.sleep(0.1)
        raise AssertionError(f"Postfix queue not empty after {timeout} s:\n{queue}\n{self.log_tail()}")

    # -- IMAP --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def imap(self, user: str, password: str | None = None, tls: bool = False
             ) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib connection (plain IMAP, or IMAPS verified against the
        instance's self-signed certificate); logs out on exit."""
        if tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=ctx,
                                                    timeout=60)
        else:
            conn = imaplib.IMAP4(HOST, self.imap_port, timeout=60)
        try:
            _check(*conn.login(user, self._password(user, password)), f"LOGIN {user}")
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def append(self, user: str, password: str | None, raw: bytes, folder: str = "INBOX",
               flags: str | Sequence[str] = (), date_time=None) -> int | None:
        """IMAP APPEND of `raw` exactly as given (imaplib's append() would rewrite line
        endings). Returns the new UID (UIDPLUS) or None. Dovecot keeps CRLF messages byte for
        byte; it stores bare LF as CRLF, and returns NUL as 0x80 in a non-BINARY FETCH."""
        return self.append_all(user, password, [raw], folder, flags, date_time)[0]

    def append_all(self, user: str, password: str | None, raws: Iterable[bytes], folder: str = "INBOX",
                   flags: str | Sequence[str] = (), date_time=None) -> list[int | None]:
        """append() of each message in turn over one connection (a login per message costs
        ~80 ms); returns their UIDs."""
        if isinstance(flags, str):
            flags = flags.split()
        args = [imap_quote(folder)]
        if flags:
            args.append("(" + " ".join(flags) + ")")
        if date_time is not None:
            args.append(imaplib.Time2Internaldate(date_time))
        uids: list[int | None] = []
        with self.imap(user, password) as conn:
            for raw in raws:
                conn.literal = message_bytes(raw)  # sent as a synchronizing literal, untouched
                typ, data = conn._simple_command("APPEND", *args)
                _check(typ, data, f"APPEND to {folder}")
                m = re.search(rb"\[APPENDUID \d+ (\d+)\]", b" ".join(d for d in data
                                                                      if isinstance(d, bytes)))
                uids.append(int(m.group(1)) if m else None)
        return uids

    def messages(self, user: str, password: str | None = None, folder: str = "INBOX"
                 ) -> list[FetchedMessage]:
        """All messages in `folder` as (uid, flags, raw bytes), UID order. Read-only
        (EXAMINE + BODY.PEEK[]): flags, including \\Seen, are left as they are."""
        with self.imap(user, password) as conn:
            return self._fetch_all(conn, folder)

    @staticmethod
    def _fetch_all(conn: imaplib.IMAP4, folder: str) -> list[FetchedMessage]:
        typ, data = conn.select(imap_quote(folder), readonly=True)
        _check(typ, data, f"EXAMINE {folder}")
        if int(data[0] or 0) == 0:
            return []
        typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
        _check(typ, data, f"UID FETCH in {folder}")
        return _parse_fetch(data)

    def count(self, user: str, password: str | None = None, folder: str = "INBOX") -> int:
        with self.imap(user, password) as conn:
            return self._status_messages(conn, folder)

    @staticmethod
    def _status_messages(conn: imaplib.IMAP4, folder: str) -> int:
        typ, data = conn.status(imap_quote(folder), "(MESSAGES)")
        _check(typ, data, f"STATUS {folder}")
        m = re.search(rb"MESSAGES (\d+)", data[0] if data and data[0] else b"")
        return int(m.group(1)) if m else 0

    def wait_for_messages(self, user: str, password: str | None = None, count: int = 1,
                          timeout: float = 30, folder: str = "INBOX"
                          ) -> list[FetchedMessage]:
        """Polls (every 0.1 s) until `folder` holds at least `count` messages, then returns
        them all like messages(). Raises AssertionError with the servers' logs on timeout."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.imap(user, password) as conn:
            while True:
                seen = self._status_messages(conn, folder)
                if seen >= count:
                    return self._fetch_all(conn, folder)
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
        raise AssertionError(f"{user} {folder}: {seen} message(s) after {timeout} s, wanted "
                             f"{count}\n{self.log_tail()}")

    def folders(self, user: str, password: str | None = None) -> list[str]:
        """All mailbox names (decoded from modified UTF-7; hierarchy separator '.')."""
        with self.imap(user, password) as conn:
            typ, data = conn.list('""', "*")
            _check(typ, data, "LIST")
        names = []
        for item in data:
            if item is None:
                continue
            if isinstance(item, tuple):  # name sent as a literal
                names.append(imap_utf7_decode(item[1].decode("utf-8", "replace")))
                continue
            m = re.match(rb'\([^)]*\) (?:"(?:[^"\\]|\\.)*"|NIL) (.*)$', item)
            if not m:
                continue
            name = m.group(1)
            if name.startswith(b'"') and name.endswith(b'"'):
                name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
            names.append(imap_utf7_decode(name.decode("utf-8", "replace")))
        return names

    def clear_folder(self, user: str, password: str | None = None, folder: str = "INBOX"
                     ) -> int:
        """Deletes every message in `folder` (STORE \\Deleted + EXPUNGE); returns how many.
        Safe on an empty folder (where `STORE 1:*` would be a BAD command)."""
        with self.imap(user, password) as conn:
            typ, data = conn.select(imap_quote(folder))
            _check(typ, data, f"SELECT {folder}")
            n = int(data[0] or 0)
            if n:
                _check(*conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
                _check(*conn.expunge(), "EXPUNGE")
            return n

    def create_folder(self, user: str, password: str | None, folder: str) -> None:
        with self.imap(user, password) as conn:
            typ, data = conn.create(imap_quote(folder))
            _check(typ, data, f"CREATE {folder}")


class RunningDaemon:
    """`complaintd run` with its log read as it is written, so a test can act on an event."""

    def __init__(self, config: str | os.PathLike, **popen) -> None:
        """`popen`: more arguments for subprocess.Popen (user=, group= to run as a service user)."""
        self.proc = subprocess.Popen([complaintd_binary(), "run", "--config", str(config)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, **popen)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for_log(self, pattern: str, timeout: float = 60, after: int = 0) -> str:
        """The first line from index `after` on that matches; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no log line matching {pattern!r} after {timeout} s:\n{self.log}")
                self._changed.wait(min(left, 0.5))

    def count(self, pattern: str, after: int = 0) -> int:
        with self._changed:
            return sum(1 for line in self.lines[after:] if re.search(pattern, line))

    def times(self, pattern: str, after: int = 0) -> list[tuple[float, str]]:
        """(time.time() of the log line's timestamp, line) for each matching line."""
        with self._changed:
            lines = self.lines[after:]
        return [(datetime.datetime.fromisoformat(line.split(" ", 1)[0]).timestamp(), line)
                for line in lines if re.search(pattern, line)]

    def mark(self) -> int:
        """Index of the next log line, for `after=`."""
        with self._changed:
            return len(self.lines)

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def terminate(self, timeout: float = 20) -> tuple[int, float]:
        """SIGTERM; the exit status and the seconds it took (killed after `timeout`)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elapsed = time.monotonic() - started
        self._reader.join(timeout=10)
        return self.proc.returncode, elapsed

    def stop(self) -> int:
        """SIGTERM and wait; the exit status (for addCleanup)."""
        code, _ = self.terminate()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    @property
    def log(self) -> str:
        with self._changed:
            return "".join(self.lines)


class MailTestCase(unittest.TestCase):
    """Base class: one MailServers per test class (setUpClass), stopped after the class.
    Set `users = {address: password}` on the subclass to have them from the start."""

    servers: MailServers
    users: dict[str, str] = {}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.servers = MailServers(users=cls.users)
        cls.servers.start()
        cls.addClassCleanup(cls.servers.stop)
