#!/usr/bin/env python3
"""Acknowledgement latency in daemon mode (issue 8): from the SMTP submission of a complaint to
its acknowledgement being in the customer's mailbox, over N complaints, with IMAP IDLE on and
with it off (polling only).

A private Dovecot and Postfix on 127.0.0.1 (as bench/ingest_bench.py); `complaintd run` (the
daemon) on them; complaints are submitted one at a time over one SMTP connection, one every
50-100 ms (uniformly at random, seeded). Each acknowledgement's path is every hop a real one
takes: Postfix -> LMTP -> Dovecot -> complaintd (IDLE push or poll, fetch, commit) -> SMTP ->
Postfix -> LMTP -> Dovecot.

"In the mailbox" is when Dovecot's LMTP delivery has put the message file into the
customer's Maildir (new/ or cur/), which this script watches every 10 ms, rather than asking
IMAP: a frequent SEARCH on 20 mailboxes would load Dovecot and the 2 cores it shares with the
daemon; an IMAP session sees such a file on its next command. The acknowledgement is matched
to its complaint by In-Reply-To. At the end every customer's INBOX is counted over IMAP.

    bench/ack_latency.py build/dev/daemon/complaintd [--count 200] [--poll-interval 5]
                         [--mode both|idle|poll] [--seed 2026]

Needs root (Postfix) and the packages from scripts/setup.sh. Numbers go in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import harness  # noqa: E402

COMPLAINTS = harness.COMPLAINTS
CUSTOMERS = [f"ack{i}@example.test" for i in range(20)]
IN_REPLY_TO = re.compile(rb"^In-Reply-To:\s*<([^>]+)>", re.I | re.M)
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class MaildirWatcher(threading.Thread):
    """Records, for each message that appears in the customers' Maildirs, when it appeared and
    which complaint it answers (In-Reply-To)."""

    def __init__(self, maildirs: list[Path]) -> None:
        super().__init__(daemon=True)
        self.maildirs = maildirs
        self.seen: set[str] = set()
        self.arrived: dict[str, float] = {}  # complaint Message-ID -> time.monotonic()
        self.stop_flag = threading.Event()

    def scan(self) -> None:
        now = time.monotonic()
        for d in self.maildirs:
            for sub in ("new", "cur"):
                try:
                    names = os.listdir(d / sub)
                except FileNotFoundError:
                    continue
                for name in names:
                    key = name.split(":", 1)[0]  # Dovecot renames new/X to cur/X:2,S
                    if key in self.seen:
                        continue
                    try:
                        head = (d / sub / name).read_bytes()[:8192]
                    except FileNotFoundError:
                        continue  # moved to cur/ meanwhile: found there next time
                    self.seen.add(key)
                    m = IN_REPLY_TO.search(head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
                    if m:
                        self.arrived.setdefault(m.group(1).decode(), now)

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.scan()
            time.sleep(0.01)


class Daemon:
    def __init__(self, binary: str, config: Path) -> None:
        self.proc = subprocess.Popen([binary, "run", "--config", str(config)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, line) for line in list(self.lines)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"no {pattern!r} in the daemon's log:\n" + "".join(self.lines[-30:]))
            time.sleep(0.05)

    def stop(self) -> int:
        self.proc.terminate()
        code = self.proc.wait(timeout=20)
        self.reader.join(timeout=10)
        return code


def message(i: int, mode: str) -> tuple[str, str, bytes]:
    sender = CUSTOMERS[i % len(CUSTOMERS)]
    mid = f"ack-{mode}-{i}@example.test"
    raw = (f"From: Customer {i} <{sender}>\r\nTo: {COMPLAINTS}\r\nSubject: Streetlight out at number {i}\r\n"
           f"Message-ID: <{mid}>\r\nDate: {email_date()}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n"
           f"The streetlight outside number {i} has been out for a fortnight.\r\n").encode()
    return sender, mid, raw


def email_date() -> str:
    import email.utils
    return email.utils.formatdate(localtime=False)


def run_mode(binary: str, servers: harness.MailServers, mode: str, count: int, poll_interval: int,
             rng: random.Random) -> dict:
    for user in [COMPLAINTS, *CUSTOMERS]:
        servers.clear_folder(user)
    work = Path(tempfile.mkdtemp(prefix=f"complaintd-ack-{mode}-"))
    config = harness.write_config(
        work / "complaintd.toml", servers, name="Benchmark Council", database=work / "complaintd.db",
        poll_interval=f"{poll_interval}s", mailbox_extra=f"idle = {'true' if mode == 'idle' else 'false'}",
        extra=f"""
            [calendar]
            holidays_file = "{ROOT / 'examples' / 'calendars' / 'england-and-wales.txt'}"

            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"

            # 20 addresses stand for 200 customers: acknowledge every complaint.
            [auto_replies]
            max_per_address = 0
            """)
    maildirs = [Path(servers.dir) / "mail" / "example.test" / c.split("@")[0] for c in CUSTOMERS]
    watcher = MaildirWatcher(maildirs)
    watcher.scan()  # whatever is there already is not ours
    watcher.arrived.clear()
    watcher.start()
    daemon = Daemon(binary, config)
    try:
        daemon.wait_for(r"event=started")
        if mode == "idle":
            daemon.wait_for(r"event=idle-started")
        time.sleep(1)
        load_before = os.getloadavg()
        submitted: dict[str, float] = {}
        with smtplib.SMTP(harness.HOST, servers.smtp_port, timeout=60) as smtp:
            for i in range(count):
                sender, mid, raw = message(i, mode)
                submitted[mid] = time.monotonic()
                smtp.sendmail(sender, [COMPLAINTS], raw)
                time.sleep(rng.uniform(0.05, 0.10))
        deadline = time.monotonic() + poll_interval + 60
        while len(watcher.arrived) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        load_after = os.getloadavg()
    finally:
        watcher.stop_flag.set()
        watcher.join(timeout=5)
        code = daemon.stop()
    in_imap = sum(servers.count(c) for c in CUSTOMERS)
    shutil.rmtree(work, True)
    latencies = [watcher.arrived[mid] - t for mid, t in submitted.items() if mid in watcher.arrived]
    polls = sum(1 for line in daemon.lines if "event=polled" in line)
    return {"mode": mode, "latencies": latencies, "missing": count - len(latencies), "in_imap": in_imap,
            "load": (load_before, load_after), "exit": code, "polls_with_mail": polls}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--poll-interval", type=int, default=5, help="seconds (both modes)")
    ap.add_argument("--mode", choices=["both", "idle", "poll"], default="both")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    binary = str(Path(args.binary).resolve())
    os.environ["COMPLAINTD_BINARY"] = binary
    modes = ["idle", "poll"] if args.mode == "both" else [args.mode]
    users = {COMPLAINTS: "pw", **{c: "pw" for c in CUSTOMERS}}
    results = []
    with harness.MailServers(users=users) as servers:
        for mode in modes:
            results.append(run_mode(binary, servers, mode, args.count, args.poll_interval, random.Random(args.seed)))
    ok = True
    print(f"{args.count} complaints, one every 50-100 ms over SMTP; poll_interval = {args.poll_interval} s; "
          f"{os.cpu_count()} CPUs")
    for r in results:
        lat = r["latencies"]
        label = "IDLE on " if r["mode"] == "idle" else "IDLE off"
        if lat:
            print(f"{label}: p50 {percentile(lat, 50):.2f} s  p95 {percentile(lat, 95):.2f} s  "
                  f"p99 {percentile(lat, 99):.2f} s  max {max(lat):.2f} s  mean {sum(lat) / len(lat):.2f} s  "
                  f"(n={len(lat)}, missing {r['missing']}, in the customers' IMAP INBOXes {r['in_imap']}, "
                  f"polls that fetched mail {r['polls_with_mail']}, load average "
                  f"{r['load'][0][0]:.1f} -> {r['load'][1][0]:.1f}, exit {r['exit']})")
        else:
            print(f"{label}: no acknowledgement arrived")
        ok = ok and r["missing"] == 0 and r["exit"] == 0 and r["in_imap"] == args.count
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
