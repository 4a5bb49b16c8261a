"""Outages against the real Dovecot and Postfix on 127.0.0.1 (issue 8), with `complaintd run`
(the daemon, not --once) running throughout and never restarted:

- Dovecot stopped in the middle of a mailbox full of complaints, and started again;
- Postfix stopped while acknowledgements are due, and started again;
- the database's disk full (a small tmpfs), for the database and for attachment files;
- the database read-only (an ext4 loop filesystem, `chattr +i`) while letters are in flight.

Each time: nothing lost (one case per complaint, each stored once), nothing done twice (each
acknowledgement reaches its customer once), the messages not stored stay unseen on the
server, the daemon says what is wrong and what it will do, retries no faster than its
backoff (its CPU time during the outage is measured), and carries on by itself once the
server or the disk is back. The measured numbers are printed (docs/PERFORMANCE.md, "Outages").

The first retry after a failure comes 30 s later (docs/OPERATIONS.md, "Retries"), so each
test takes 40-60 s. COMPLAINTD_OUTAGE_SECONDS (default 5) is how long a server stays down;
set it above 30 to see the second retry come 60 s after the first.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import email.utils
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = harness.COMPLAINTS
CUSTOMERS = [f"outage-customer{i}@example.test" for i in range(5)]
USERS = {COMPLAINTS: "pw", **{c: "pw" for c in CUSTOMERS}}
DOWN_SECONDS = float(os.environ.get("COMPLAINTD_OUTAGE_SECONDS", "5"))
# The daemon's first retry after a failure (docs/OPERATIONS.md, "Retries").
FIRST_RETRY_SECONDS = 30
# CPU the daemon may use while it waits out an outage: a busy loop would use all of it.
MAX_IDLE_CPU_FRACTION = 0.05
# The shortest window that fraction is judged over.
MIN_IDLE_SECONDS = 3.0


def complaint(tag: str, i: int, body_bytes: int = 600, attachment: bytes | None = None) -> bytes:
    customer = CUSTOMERS[i % len(CUSTOMERS)]
    text = ("My bins at number %d have not been collected for three weeks and nobody answers "
            "the phone.\r\n" % i)
    text += "Details follow.\r\n" + ("The street is full of rubbish again. " * (body_bytes // 37 + 1)
                                     )[:body_bytes] + "\r\n"
    mid = f"<outage-{tag}-{i}@example.test>"
    if attachment is None:
        return harness.make_message(customer, COMPLAINTS, f"Bins not collected ({tag} {i})", text,
                                    message_id=mid)
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = customer
    msg["To"] = COMPLAINTS
    msg["Subject"] = f"Bins not collected ({tag} {i})"
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = mid
    msg.set_content(text)
    msg.add_attachment(attachment, maintype="image", subtype="jpeg", filename=f"street-{tag}-{i}.jpg")
    return msg.as_bytes()


class OutageTest(harness.MailTestCase):
    """What every outage test shares: a daemon on the servers, a database wherever the test
    puts it, and the checks that nothing was lost or done twice."""

    users = USERS
    db_dir: Path

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-outage-"))
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db_dir = self.prepare_db_dir()
        self.db = self.db_dir / "complaintd.db"
        self.config = harness.write_config(self.dir / "complaintd.toml", self.servers, name="Outage Test",
                                           database=self.db, extra="""
            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"

            # Five customers stand for 300: every complaint must be acknowledged.
            [auto_replies]
            max_per_address = 0
            """)
        self.sent: list[str] = []  # Message-IDs of the complaints, in the order appended
        self.daemon: harness.RunningDaemon | None = None
        # Run last (cleanups are LIFO): servers back, mailboxes empty for the next test.
        self.addCleanup(self.clear_mailboxes)

    def prepare_db_dir(self) -> Path:
        path = self.dir / "db"
        path.mkdir()
        return path

    def clear_mailboxes(self) -> None:
        self.servers.start_server("dovecot")
        self.servers.start_server("postfix")
        for user in USERS:
            self.servers.clear_folder(user)

    def start_daemon(self) -> harness.RunningDaemon:
        self.daemon = harness.RunningDaemon(self.config)
        self.addCleanup(self.daemon.stop)
        return self.daemon

    def append(self, tag: str, n: int, **kwargs) -> None:
        raws = [complaint(tag, i, **kwargs) for i in range(n)]
        self.servers.append_all(COMPLAINTS, None, raws)
        self.sent += [f"outage-{tag}-{i}@example.test" for i in range(n)]

    def scalar(self, sql: str, *params) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute(sql, params).fetchone()[0]

    def settled(self) -> bool:
        """Every complaint a case, every letter sent, every message flagged on the server."""
        try:
            return (self.scalar("SELECT COUNT(*) FROM cases") >= len(self.sent)
                    and self.scalar("SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
                    and self.scalar("SELECT COUNT(*) FROM messages WHERE server_action = 'pending'") == 0)
        except sqlite3.Error:
            return False

    def wait_until(self, what: str, done, timeout: float) -> float:
        """Seconds until done() held; fails with the daemon's log after `timeout`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if done():
                return time.monotonic() - started
            time.sleep(0.2)
        log = self.daemon.log if self.daemon else ""
        self.fail(f"{what} after {timeout:.0f} s\n--- daemon log ---\n{log[-6000:]}")

    def wait_settled(self, timeout: float = 60) -> float:
        return self.wait_until("not every complaint a case with its letter sent", self.settled, timeout)

    def unseen(self) -> set[str]:
        """Message-IDs of the complaints without \\Seen on the server."""
        out = set()
        for m in self.servers.messages(COMPLAINTS):
            if "\\Seen" not in m.flags:
                msg = email.message_from_bytes(m.raw, policy=email.policy.default)
                out.add(msg["Message-ID"].strip("<>"))
        return out

    def assert_idle(self, cpu_before: float, seconds: float) -> float:
        """The daemon used less than MAX_IDLE_CPU_FRACTION of a core while it waited."""
        used = self.daemon.cpu_seconds() - cpu_before
        self.assertLess(used, MAX_IDLE_CPU_FRACTION * seconds,
                        f"{used:.2f} s of CPU in {seconds:.1f} s of outage: a busy loop?\n{self.daemon.log}")
        return used

    def assert_backed_off(self, failure: str, wait_field: str, after: int) -> list[int]:
        """The waits announced after each failure double from 30 s (at most 15 minutes), and
        the next failure came no sooner than announced. Returns the waits."""
        failures = self.daemon.times(failure, after)
        waits = [int(re.search(wait_field + r"=(\d+)", line).group(1))
                 for _, line in self.daemon.times(wait_field + r"=\d+", after)]
        self.assertEqual(waits, [min(FIRST_RETRY_SECONDS << i, 900) for i in range(len(waits))], self.daemon.log)
        for (t0, _), (t1, _), wait in zip(failures, failures[1:], waits):
            self.assertGreaterEqual(t1 - t0, wait - 1, f"retried after {t1 - t0:.1f} s, announced {wait} s")
        return waits

    def assert_nothing_lost_nothing_twice(self) -> None:
        """One case per complaint, each stored once; every complaint \\Seen on the server;
        one acknowledgement per complaint in the outbox, and in its customer's mailbox once."""
        n = len(self.sent)
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)) as db:
            stored = db.execute(
                "SELECT message_id, COUNT(*), disposition FROM messages GROUP BY message_id").fetchall()
            cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
            ack_of = dict(db.execute(
                "SELECT m.message_id, o.message_id FROM outbox o JOIN cases c ON c.id = o.case_id "
                "JOIN messages m ON m.id = c.opened_by WHERE o.kind = 'acknowledgement' AND o.status = 'sent'"
            ).fetchall())
        self.assertEqual(cases, n, "one case per complaint")
        self.assertEqual(sorted(m.strip("<>") for m, _, _ in stored), sorted(self.sent))
        self.assertEqual([(m, c, d) for m, c, d in stored if c != 1 or d != "new-case"], [],
                         "each complaint stored once, as a new case (none quarantined)")
        self.assertEqual(self.unseen(), set(), "every complaint flagged \\Seen on the server")
        self.assertEqual(len(ack_of), n)

        # What reached the customers over Postfix and Dovecot (mail deferred during an
        # outage is flushed; then wait for the count to stop changing).
        self.servers.flush_queue()
        self.wait_until("acknowledgements missing from the customers' mailboxes",
                        lambda: sum(self.servers.count(c) for c in CUSTOMERS) >= n, timeout=60)
        self.servers.wait_for_queue_empty(timeout=60)
        received: Counter = Counter()
        for customer in CUSTOMERS:
            for m in self.servers.messages(customer):
                msg = email.message_from_bytes(m.raw, policy=email.policy.default)
                received[(msg["In-Reply-To"].strip("<>"), msg["Message-ID"].strip("<>"))] += 1
        expected = {(m.strip("<>"), a.strip("<>")) for m, a in ack_of.items()}
        twice = {k: v for k, v in received.items() if v > 1}
        self.assertEqual(twice, {}, "acknowledgements received more than once")
        self.assertEqual(set(received), expected, "each complaint acknowledged once, by its stored letter")


class DovecotOutage(OutageTest):
    """Dovecot stopped while the daemon is working through 300 complaints, started again."""

    COUNT = 300

    def test_dovecot_stopped_mid_batch_and_restarted(self) -> None:
        # ~6 KB each: a batch of 50 takes long enough to fetch that the stop cuts into one.
        self.append("imap", self.COUNT, body_bytes=6000)
        daemon = self.start_daemon()
        daemon.wait_for_log(r"event=case-opened", timeout=30)
        mark = daemon.mark()
        self.servers.stop_server("dovecot")
        stopped = time.monotonic()
        cases_at_stop = self.scalar("SELECT COUNT(*) FROM cases")
        failed = daemon.wait_for_log(r"event=poll-failed ", after=mark, timeout=15)
        self.assertIn(f"server=imap://127.0.0.1:{self.servers.imap_port}", failed)
        self.assertRegex(daemon.wait_for_log(r"event=retry-scheduled", after=mark, timeout=5),
                         rf"in_seconds={FIRST_RETRY_SECONDS}\b")
        # Postfix is up: the letters of the cases opened before the stop still go out, which
        # is work, not a busy loop (under ASan, on a loaded machine, about 0.3 s). The idle
        # window starts once nothing due is left to send.
        self.wait_until("letters due before the stop still unsent", lambda: self.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' "
            "AND next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now')") == 0, timeout=30)
        cpu, quiet_from = daemon.cpu_seconds(), time.monotonic()
        time.sleep(max(MIN_IDLE_SECONDS, stopped + DOWN_SECONDS - time.monotonic()))
        down = time.monotonic() - stopped
        quiet = time.monotonic() - quiet_from
        cpu_used = self.assert_idle(cpu, quiet)
        failures = daemon.count(r"event=poll-failed ", after=mark)
        # One failure, then the 30 s wait (a second one only if the outage outlasts it).
        self.assertLessEqual(failures, 1 + int(down // FIRST_RETRY_SECONDS), daemon.log)
        self.assertLess(self.scalar("SELECT COUNT(*) FROM cases"), self.COUNT, "the stop came too late")

        self.servers.start_server("dovecot")
        recovered = self.wait_settled(timeout=FIRST_RETRY_SECONDS + 40)
        waits = self.assert_backed_off(r"event=poll-failed ", r"event=retry-scheduled in_seconds", mark)
        self.assertRegex(daemon.wait_for_log(r"event=poll-recovered", after=mark, timeout=5),
                         r"failed_polls=\d+ down_seconds=\d+")
        self.assertEqual(daemon.count(r"event=(store-failed|quarantined|internal-error)"), 0, daemon.log)
        self.assert_nothing_lost_nothing_twice()
        print(f"\noutage imap: {self.COUNT} complaints, {cases_at_stop} cases when Dovecot stopped, "
              f"down {down:.1f} s, {failures} failed poll(s) (retries after {waits} s), "
              f"{cpu_used:.2f} s CPU in the {quiet:.1f} s it only waited, "
              f"every case and letter done {recovered:.1f} s after Dovecot was back", flush=True)


class PostfixOutage(OutageTest):
    """Postfix stopped while acknowledgements are due, started again."""

    COUNT = 20

    def test_postfix_stopped_letters_wait_and_go_once(self) -> None:
        self.servers.stop_server("postfix")
        self.append("smtp", self.COUNT)
        daemon = self.start_daemon()
        deferred = daemon.wait_for_log(r"event=letter-deferred ", timeout=30)
        failed_at = time.monotonic()
        self.assertRegex(deferred, rf"server=smtp://127.0.0.1:{self.servers.smtp_port} attempt=1 ")
        self.assertRegex(daemon.wait_for_log(r"event=smtp-unreachable", timeout=5),
                         rf"failed_attempts=1 retry_in_seconds={FIRST_RETRY_SECONDS} action=letters-stay-queued")
        # The complaints are cases meanwhile; their letters wait in the outbox.
        self.wait_until("complaints not cases while Postfix is down",
                        lambda: self.scalar("SELECT COUNT(*) FROM cases") == self.COUNT, timeout=30)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"), self.COUNT)
        cpu = daemon.cpu_seconds()
        time.sleep(max(0.0, failed_at + DOWN_SECONDS - time.monotonic()))
        down = time.monotonic() - failed_at
        cpu_used = self.assert_idle(cpu, down)
        # One attempt for the whole queue per retry: the first, and then one per backoff step.
        attempts = daemon.count(r"event=letter-deferred ")
        self.assertLessEqual(attempts, 1 + int(down // FIRST_RETRY_SECONDS), daemon.log)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"), 0)

        self.servers.start_server("postfix")
        back = time.monotonic()
        recovered = self.wait_settled(timeout=FIRST_RETRY_SECONDS + 40)
        waits = self.assert_backed_off(r"event=smtp-unreachable ", r"event=smtp-unreachable .*retry_in_seconds", 0)
        self.assertRegex(daemon.wait_for_log(r"event=smtp-reachable", timeout=5),
                         r"failed_attempts=\d+ down_seconds=\d+")
        since_failure = time.monotonic() - failed_at
        self.assertEqual(daemon.count(r"event=letter-sent "), self.COUNT)
        self.assertEqual(daemon.count(r"event=(letter-failed|outbox-failed|internal-error)"), 0, daemon.log)
        self.assert_nothing_lost_nothing_twice()
        print(f"\noutage smtp: {self.COUNT} letters queued, Postfix down {back - failed_at:.1f} s after "
              f"the first failure, {attempts} attempt(s) while down (retries after {waits} s), "
              f"{cpu_used:.2f} s CPU while down, "
              f"all sent {recovered:.1f} s after Postfix was back ({since_failure:.1f} s after the first "
              f"failure)", flush=True)


def _mount_or_skip(args: list[str], what: str) -> None:
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise unittest.SkipTest(f"cannot mount {what} here ({proc.stderr.strip()}): this outage "
                                "needs root and mount(8)")


def _unmount(path: Path) -> None:
    # Lazily if something still has it open (a failed test's daemon): detached now, freed
    # (with its loop device) when the last file closes.
    if subprocess.run(["umount", str(path)], capture_output=True, timeout=60).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=60)


class DiskFull(OutageTest):
    """The database's own small file system (tmpfs) fills up, then space comes back."""

    SIZE = "24m"

    def prepare_db_dir(self) -> Path:
        path = self.dir / "db"
        path.mkdir()
        _mount_or_skip(["mount", "-t", "tmpfs", "-o", f"size={self.SIZE},mode=0755", "tmpfs", str(path)],
                       "a tmpfs")
        self.addCleanup(_unmount, path)
        return path

    def fill(self) -> int:
        """Fills the file system to the last byte; returns the filler's size."""
        filler = self.db_dir / "filler"
        size = 0
        with open(filler, "wb", buffering=0) as f:
            for chunk in (1 << 20, 1 << 12, 1):
                try:
                    while True:
                        size += f.write(b"\0" * chunk)
                except OSError:
                    pass
        return size

    def run_disk_full(self, tag: str, checkpoint: str, expect_error: str, before_bytes: int,
                      **message) -> None:
        daemon = self.start_daemon()
        self.append(f"{tag}-before", 10, body_bytes=before_bytes)
        self.wait_settled()
        # How much room the WAL keeps: TRUNCATE leaves none, so the database itself hits the
        # full disk; RESTART leaves the WAL's pages to be written over, as after the daemon's
        # own checkpoint (every 4 MB), so the database still has room when the disk has none.
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as db:
            db.execute(f"PRAGMA wal_checkpoint({checkpoint})")
        filled = self.fill()
        mark = daemon.mark()
        before = len(self.sent)
        self.append(tag, 5, **message)
        failed = daemon.wait_for_log(r"event=store-failed ", after=mark, timeout=15)
        failed_at = time.monotonic()
        self.assertIn(expect_error, failed)
        self.assertIn("action=left-unseen-on-server", failed)
        self.assertRegex(daemon.wait_for_log(r"event=poll-failed ", after=mark, timeout=5),
                         r"cause=database .*action=left-unseen-on-server")
        self.assertNotRegex(daemon.log, r"event=quarantined")
        cpu = daemon.cpu_seconds()
        time.sleep(DOWN_SECONDS)
        cpu_used = self.assert_idle(cpu, DOWN_SECONDS)
        self.assertEqual(self.unseen(), set(self.sent[before:]),
                         "the messages not stored stay unseen on the server")
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM cases"), 10)

        (self.db_dir / "filler").unlink()
        freed = time.monotonic()
        recovered = self.wait_settled(timeout=FIRST_RETRY_SECONDS + 30)
        daemon.wait_for_log(r"event=poll-recovered", after=mark, timeout=5)
        failures = daemon.count(r"event=store-failed ", after=mark)
        self.assertEqual(daemon.count(r"event=(quarantined|internal-error|letter-sent-unrecorded)"), 0, daemon.log)
        self.assert_nothing_lost_nothing_twice()
        print(f"\ndisk full ({tag}): {filled >> 10} KiB filler, {failures} failed batch(es) in "
              f"{freed - failed_at:.1f} s, {cpu_used:.2f} s CPU while full, all 15 complaints cases "
              f"{recovered:.1f} s after space came back", flush=True)

    def test_database_cannot_grow(self) -> None:
        self.run_disk_full("db", "TRUNCATE", "database or disk is full", 600, body_bytes=200_000)

    def test_attachment_files_cannot_be_written(self) -> None:
        # The WAL has room for these messages (1 MB written before), the disk none for their
        # attachment files.
        self.run_disk_full("att", "RESTART", "No space left on device", 100_000, attachment=os.urandom(30_000))


class ReadOnlyDatabase(OutageTest):
    """The database becomes read-only (ext4, `chattr +i`: writes through the daemon's open
    files fail with EPERM, as after a file system turns read-only) while complaints arrive
    and while a letter is being handed to Postfix, then writable again."""

    def prepare_db_dir(self) -> Path:
        image = self.dir / "db.img"
        with open(image, "wb") as f:
            f.truncate(64 << 20)
        proc = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise unittest.SkipTest(f"mkfs.ext4 failed: {proc.stderr.strip()}")
        path = self.dir / "db"
        path.mkdir()
        _mount_or_skip(["mount", "-o", "loop", str(image), str(path)], "an ext4 loop file system")
        self.addCleanup(_unmount, path)
        self.addCleanup(self.set_read_only, False)
        os.chmod(path, 0o755)
        return path

    def set_read_only(self, on: bool) -> None:
        files = [self.db, Path(f"{self.db}-wal")]
        attachments = Path(f"{self.db}.attachments")
        if attachments.exists():
            files += [attachments, *[p for p in attachments.rglob("*") if p.is_dir()]]
        files = [str(f) for f in files if f.exists()]
        if files:
            subprocess.run(["chattr", "+i" if on else "-i", *files], check=True, timeout=30)

    def test_read_only_database_keeps_mail_unseen_and_sends_each_letter_once(self) -> None:
        daemon = self.start_daemon()
        self.append("ro-before", 3)
        self.wait_settled()
        # Settled is complaintd's side: Postfix may still be handing those letters to Dovecot,
        # and stopped in the middle it delivers them again when it comes back (its duplicate,
        # not ours).
        self.servers.wait_for_queue_empty()

        # Letters waiting for Postfix when the database turns read-only.
        self.servers.stop_server("postfix")
        mark = daemon.mark()
        self.append("ro-queued", 3)
        daemon.wait_for_log(r"event=smtp-unreachable", after=mark, timeout=30)
        smtp_failed_at = time.monotonic()
        self.set_read_only(True)
        # Complaints arriving now cannot be stored. (A few seconds later than the SMTP failure,
        # so that the outbox's retry comes before the mailbox's.)
        time.sleep(5)
        self.append("ro-new", 3)
        failed = daemon.wait_for_log(r"event=store-failed ", after=mark, timeout=15)
        self.assertRegex(failed, r"error=\"database: .*(disk I/O error|readonly|read-only)")
        self.assertRegex(daemon.wait_for_log(r"event=poll-failed ", after=mark, timeout=5), r"cause=database ")
        self.servers.start_server("postfix")

        # Postfix takes the first letter; the database cannot record it: that letter must not
        # go out again, and no other may go out, until it is recorded.
        unrecorded = daemon.wait_for_log(r"event=letter-sent-unrecorded", after=mark,
                                         timeout=FIRST_RETRY_SECONDS + 10)
        cpu = daemon.cpu_seconds()
        self.assertEqual(self.unseen(), {m for m in self.sent if "-ro-new-" in m})
        self.set_read_only(False)
        writable = time.monotonic()
        recovered = self.wait_settled(timeout=FIRST_RETRY_SECONDS + 40)
        cpu_used = self.daemon.cpu_seconds() - cpu
        outbox_id = re.search(r"outbox=(\d+)", unrecorded).group(1)
        daemon.wait_for_log(rf"event=letter-sent-recorded outbox={outbox_id} ", after=mark, timeout=5)
        self.assertEqual(daemon.count(rf"event=letter-sent outbox={outbox_id} "), 0, daemon.log)
        self.assertEqual(daemon.count(r"event=(quarantined|internal-error)"), 0, daemon.log)
        self.assert_nothing_lost_nothing_twice()
        print(f"\nread-only database: read-only for {writable - smtp_failed_at:.1f} s, "
              f"{daemon.count(r'event=store-failed ', after=mark)} failed batch(es), 1 letter accepted "
              f"by Postfix but not recorded (sent once), all 9 complaints cases {recovered:.1f} s after "
              f"the database was writable ({cpu_used:.2f} s CPU)", flush=True)

    def test_daemon_started_on_a_read_only_database_exits_for_a_restart(self) -> None:
        # SQLite would open it for reading only, and that connection would never write again
        # once the file is fixed: the daemon exits 75 and systemd's restart opens it afresh.
        once = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(self.config)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertEqual(once.returncode, 0, once.stderr)
        self.set_read_only(True)
        self.append("ro-start", 2)
        run = subprocess.run([harness.complaintd_binary(), "run", "--config", str(self.config)],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 75, run.stderr)
        self.assertRegex(run.stderr, r"event=database-unavailable .*can only be read.*action=exit-and-retry-on-restart")
        self.assertEqual(self.unseen(), set(self.sent))
        self.set_read_only(False)
        self.start_daemon()
        self.wait_settled()
        self.assert_nothing_lost_nothing_twice()


if __name__ == "__main__":
    unittest.main()
