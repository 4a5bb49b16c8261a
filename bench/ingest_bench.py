#!/usr/bin/env python3
"""End-to-end ingest benchmark against the real servers (issue 8): N generated complaints
(mixed sizes, some with attachments) are appended to the complaints INBOX of a private
Dovecot on 127.0.0.1; one `complaintd run --once` then fetches, stores, parses, triages and
opens a case for each, and sends every acknowledgement through Postfix. Prints messages per
second for the ingest phase and for the whole run, per-message processing time percentiles
(from the daemon's own millisecond log timestamps), and the peak resident memory.

    bench/ingest_bench.py build/release/daemon/complaintd [--count 10000] [--keep]

Needs root (Postfix) and the packages from scripts/setup.sh. Numbers go in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
CUSTOMERS = [f"customer{i}@example.test" for i in range(50)]
TOPICS = ["Bins not collected", "Pothole on the high street", "Rude reply from the library",
          "Parking fine issued in error", "Council tax bill wrong", "Streetlight out for weeks",
          "Noise from the depot at night", "Planning letter never arrived"]


def complaint(i: int, rng: random.Random) -> bytes:
    sender = CUSTOMERS[i % len(CUSTOMERS)]
    subject = f"{rng.choice(TOPICS)} ({i})"
    paragraph = ("I am writing to complain because this has now happened several times and "
                 "nobody has answered my calls. ") * rng.randint(4, 20)
    kind = rng.random()
    head = (f"From: Customer {i % len(CUSTOMERS)} <{sender}>\r\nTo: {COMPLAINTS}\r\nSubject: {subject}\r\n"
            f"Message-ID: <bench-{i}@example.test>\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n")
    if kind < 0.7:  # plain text, 1-3 KB
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + paragraph + "\r\n").encode()
    if kind < 0.9:  # HTML with a text alternative, as mail clients send it
        html = "<html><body>" + "".join(f"<p>{paragraph}</p>" for _ in range(6)) + "</body></html>"
        return (head + 'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
                "--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + paragraph + "\r\n"
                "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--ALT--\r\n").encode()
    # A photo or a scanned letter: 100-400 KB base64.
    blob = base64.encodebytes(rng.randbytes(rng.randint(100, 400) * 1024)).decode().replace("\n", "\r\n")
    return (head + 'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n'
            "--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + paragraph + "\r\n"
            '--MIX\r\nContent-Type: image/jpeg; name="photo.jpg"\r\nContent-Transfer-Encoding: base64\r\n'
            'Content-Disposition: attachment; filename="photo.jpg"\r\n\r\n' + blob + "--MIX--\r\n").encode()


def append_all(servers: harness.MailServers, messages: list[bytes]) -> float:
    start = time.monotonic()
    with servers.imap(COMPLAINTS, "pw") as conn:
        for raw in messages:
            conn.literal = raw
            typ, data = conn._simple_command("APPEND", "INBOX")
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data}")
    return time.monotonic() - start


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})")


def stamps(log: str, event: str) -> list[float]:
    out = []
    for line in log.splitlines():
        if f"event={event}" in line:
            m = LOG_TIME.match(line)
            if m:
                out.append(dt.datetime.fromisoformat(m.group(1)).timestamp())
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    os.environ["COMPLAINTD_BINARY"] = str(Path(args.binary).resolve())

    rng = random.Random(2026)
    messages = [complaint(i, rng) for i in range(args.count)]
    total_bytes = sum(len(m) for m in messages)
    work = Path(tempfile.mkdtemp(prefix="complaintd-ingest-bench-"))
    users = {COMPLAINTS: "pw", **{c: "pw" for c in CUSTOMERS}}
    with harness.MailServers(users=users) as servers:
        appended = append_all(servers, messages)
        config = work / "complaintd.toml"
        config.write_text(textwrap.dedent(f"""\
            [service]
            name = "Benchmark Council"
            database = "{work / 'complaintd.db'}"
            timezone = "Europe/London"
            letters = "{ROOT / 'examples' / 'solihull-council' / 'letters'}"

            [[mailbox]]
            name = "complaints"
            url = "imap://127.0.0.1:{servers.imap_port}"
            username = "{COMPLAINTS}"
            password = "pw"
            address = "{COMPLAINTS}"

            [smtp]
            url = "smtp://127.0.0.1:{servers.smtp_port}"
            from = "{COMPLAINTS}"

            [calendar]
            holidays_file = "{ROOT / 'examples' / 'calendars' / 'england-and-wales.txt'}"
            """))
        start = time.monotonic()
        run = subprocess.run([args.binary, "run", "--once", "--config", str(config)], capture_output=True, text=True)
        elapsed = time.monotonic() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        with sqlite3.connect(work / "complaintd.db") as db:
            cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
            sent = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0]

    opened = stamps(run.stderr, "case-opened")
    letters = stamps(run.stderr, "letter-sent")
    ingest_s = (opened[-1] - opened[0]) if len(opened) > 1 else float("nan")
    gaps_ms = [(b - a) * 1000 for a, b in zip(opened, opened[1:])]
    print(f"messages:            {args.count} ({total_bytes / 1e6:.1f} MB; appended in {appended:.1f} s)")
    print(f"cases opened:        {cases}; acknowledgements sent: {sent}")
    print(f"whole run --once:    {elapsed:.1f} s = {args.count / elapsed:.0f} messages/s (fetch, ingest, send)")
    print(f"ingest phase:        {ingest_s:.1f} s = {len(opened) / ingest_s:.0f} messages/s (first to last case opened)")
    if len(letters) > 1:
        print(f"sending phase:       {letters[-1] - letters[0]:.1f} s = {len(letters) / (letters[-1] - letters[0]):.0f} letters/s")
    if gaps_ms:
        print(f"per message (ms):    p50 {percentile(gaps_ms, 50):.2f}  p90 {percentile(gaps_ms, 90):.2f}  "
              f"p99 {percentile(gaps_ms, 99):.2f}  max {max(gaps_ms):.1f}  mean {statistics.mean(gaps_ms):.2f}")
    print(f"peak resident:       {peak_kb / 1024:.1f} MB")
    if args.keep:
        print(f"kept: {work}")
    else:
        import shutil
        shutil.rmtree(work, True)
    return 0 if cases == args.count and sent == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
