#!/usr/bin/env python3
"""End-to-end ingest benchmark against the real servers (issue 8): N generated complaints
(mixed sizes, some with attachments) are appended to the complaints INBOX of a private
Dovecot on 127.0.0.1; one `complaintd run --once` then fetches, stores, parses, triages and
opens a case for each, and sends every acknowledgement through Postfix. Prints messages per
second for the ingest phase (the daemon's own per-batch timings) and for the whole run,
per-message latency percentiles (from the start of a message's fetch to the commit that made
it durable, as the daemon logs it), the daemon's CPU time and its peak resident memory.

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
import sqlite3
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


def vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_daemon(argv: list[str]) -> tuple[subprocess.CompletedProcess, int, float]:
    """Runs the daemon; its output, its peak resident memory (kB) and its CPU seconds.
    The peak is the daemon's own high-water mark (VmHWM), read while it runs: getrusage's
    maxrss of a child also counts this script's pages shared between fork and exec, and
    this script holds every generated message."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n=n, f=f: out.__setitem__(n, f.read()))
               for n, f in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for r in readers:
        r.start()
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, vm_hwm_kb(proc.pid))
        time.sleep(0.05)
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = subprocess.CompletedProcess(argv, proc.returncode, out["stdout"], out["stderr"])
    return run, peak, usage.ru_utime + usage.ru_stime


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
        config = harness.write_config(
            work / "complaintd.toml", servers, name="Benchmark Council", database=work / "complaintd.db",
            poll_interval=None, service_extra='log_level = "debug"',
            extra=f"""
                [calendar]
                holidays_file = "{ROOT / 'examples' / 'calendars' / 'england-and-wales.txt'}"

                # 50 addresses stand for 10,000 customers: acknowledge every complaint.
                [auto_replies]
                max_per_address = 0
                """)
        start = time.monotonic()
        run, peak_kb, cpu_s = run_daemon([args.binary, "run", "--once", "--config", str(config)])
        elapsed = time.monotonic() - start
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        with sqlite3.connect(work / "complaintd.db") as db:
            cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
            sent = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0]

    letters = stamps(run.stderr, "letter-sent")
    latency_ms = [int(m.group(1)) for m in re.finditer(r"event=case-opened .*latency_ms=(\d+)", run.stderr)]
    batches = [tuple(int(x) for x in m.groups()) for m in re.finditer(
        r"event=batch messages=(\d+) fetch_ms=(\d+) ingest_ms=(\d+) flag_ms=(\d+) ingest_cpu_ms=(\d+)", run.stderr)]
    fetch_ms = sum(b[1] for b in batches)
    ingest_ms = sum(b[2] for b in batches)
    flag_ms = sum(b[3] for b in batches)
    ingest_cpu_ms = sum(b[4] for b in batches)
    # The stages overlap (a batch is fetched while the one before commits): the phase is
    # the poll's own wall time from its first fetch to its last record of flagging.
    walls = [int(m.group(1)) for m in re.finditer(r"event=ingested messages=\d+ wall_ms=(\d+)", run.stderr)]
    ingest_s = sum(walls) / 1000 if walls else (fetch_ms + ingest_ms + flag_ms) / 1000
    print(f"messages:            {args.count} ({total_bytes / 1e6:.1f} MB; appended in {appended:.1f} s)")
    print(f"cases opened:        {cases}; acknowledgements sent: {sent}")
    print(f"whole run --once:    {elapsed:.1f} s = {args.count / elapsed:.0f} messages/s (fetch, ingest, send); "
          f"CPU {cpu_s:.1f} s")
    if batches:
        print(f"ingest phase:        {ingest_s:.1f} s = {len(latency_ms) / ingest_s:.0f} messages/s in {len(batches)} "
              f"batches (summed per stage, overlapping: IMAP fetch {fetch_ms / 1000:.1f} s, parse+triage+commit "
              f"{ingest_ms / 1000:.1f} s of which CPU {ingest_cpu_ms / 1000:.1f} s, \\Seen {flag_ms / 1000:.1f} s)")
    if len(letters) > 1:
        print(f"sending phase:       {letters[-1] - letters[0]:.1f} s = {len(letters) / (letters[-1] - letters[0]):.0f} letters/s")
    if latency_ms:
        print(f"latency (ms):        p50 {percentile(latency_ms, 50)}  p95 {percentile(latency_ms, 95)}  "
              f"p99 {percentile(latency_ms, 99)}  max {max(latency_ms)}  (from the start of a message's fetch "
              f"to its commit)")
    print(f"peak resident:       {peak_kb / 1024:.1f} MB")
    if args.keep:
        print(f"kept: {work}")
    else:
        import shutil
        shutil.rmtree(work, True)
    return 0 if cases == args.count and sent == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
