"""IMAP IDLE (RFC 2177) against the real Dovecot: with a poll interval of a minute, a complaint
submitted over SMTP is acknowledged within seconds because Dovecot pushes "* n EXISTS" on the
daemon's IDLE connection; after a reload (SIGHUP) and after Dovecot was restarted it still
is; SIGTERM ends the IDLE connection cleanly. With `idle = false` the complaint waits for the
next poll."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = harness.COMPLAINTS
CUSTOMER = "idle-customer@example.test"
SECRET = "idle-s3cret-Pw"  # the complaints mailbox's password: must never reach the log
# Far longer than any wait below: a fast acknowledgement can only have come through IDLE.
LONG_POLL = "60s"
# The push path's budget: Postfix -> Dovecot -> IDLE -> fetch and commit -> SMTP -> Postfix ->
# Dovecot, on a loaded shared machine (a sanitizer build included). Typically under a second.
IDLE_BUDGET = 8.0
STAGE = """
    [[stage]]
    name = "Stage 1"
    respond_within = "20 working days"
    """


class Idle(harness.MailTestCase):
    users = {COMPLAINTS: SECRET, CUSTOMER: "pw"}

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-idle-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sent = 0

    def tearDown(self) -> None:
        for user in self.users:
            self.servers.clear_folder(user)

    def start(self, **kwargs) -> harness.RunningDaemon:
        config = harness.write_config(self.dir / "complaintd.toml", self.servers, name="Idle Test",
                                      password=SECRET, extra=STAGE, **kwargs)
        daemon = harness.RunningDaemon(config)
        self.addCleanup(daemon.kill)
        daemon.wait_for_log(r"event=started")
        return daemon

    def complain(self) -> float:
        """Submits one complaint over SMTP; returns the time just before the submission."""
        self.sent += 1
        n = self.sent
        started = time.monotonic()
        self.servers.send(CUSTOMER, COMPLAINTS, harness.make_message(
            CUSTOMER, COMPLAINTS, f"Streetlight out {n}", f"The streetlight outside number {n} is out."))
        return started

    def wait_for_ack(self, n: int, started: float, timeout: float, daemon: harness.RunningDaemon | None = None) -> float:
        """Seconds from `started` until the customer's INBOX holds `n` acknowledgements."""
        try:
            messages = self.servers.wait_for_messages(CUSTOMER, count=n, timeout=timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- the daemon's log ---\n{daemon.log if daemon else ''}") from None
        elapsed = time.monotonic() - started
        subjects = [str(email.message_from_bytes(m.raw, policy=email.policy.default)["Subject"]) for m in messages]
        self.assertEqual(len(messages), n, subjects)
        self.assertTrue(all(re.search(r"\[CMP-\d{4}-\d+\]", s) for s in subjects), subjects)
        return elapsed

    def test_idle_acknowledges_within_seconds(self) -> None:
        daemon = self.start(poll_interval=LONG_POLL)
        daemon.wait_for_log(r"mailbox=complaints server=imap://127\.0\.0\.1:\d+ event=idle-started")
        # The start-up poll (and the one IDLE asks for when it starts) are done with: from here
        # on only the push can bring the complaint in before a minute has passed.
        time.sleep(1)

        elapsed = self.wait_for_ack(1, self.complain(), timeout=IDLE_BUDGET, daemon=daemon)
        print(f"{self.id()}: acknowledged {elapsed:.2f} s after submission (IDLE)", file=sys.stderr)

        # A reload leaves the IDLE connection alone (mailbox settings need a restart).
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log(r"event=reloaded")
        elapsed = self.wait_for_ack(2, self.complain(), timeout=IDLE_BUDGET, daemon=daemon)
        print(f"{self.id()}: after SIGHUP {elapsed:.2f} s", file=sys.stderr)

        # Dovecot goes away: the IDLE connection is lost, reconnects with backoff once Dovecot
        # is back, and pushes again.
        lost = daemon.mark()
        self.servers.stop_server("dovecot")
        daemon.wait_for_log(r"event=idle-lost reason=.* retry_in_seconds=\d+ action=polling-continues")
        self.servers.start_server("dovecot")
        daemon.wait_for_log(r"event=idle-started", timeout=30, after=lost)
        time.sleep(0.5)
        elapsed = self.wait_for_ack(3, self.complain(), timeout=IDLE_BUDGET, daemon=daemon)
        print(f"{self.id()}: after Dovecot's restart {elapsed:.2f} s", file=sys.stderr)

        code, stop_seconds = daemon.terminate()
        self.assertEqual(code, 0, daemon.log)
        self.assertLess(stop_seconds, 3, daemon.log)
        self.assertNotIn("event=stop-timeout", daemon.log)
        self.assertIn("event=stopped", daemon.log)
        self.assertNotIn(SECRET, daemon.log)
        self.assertEqual(daemon.count(r"event=idle-unavailable"), 0, daemon.log)

    def test_without_idle_the_complaint_waits_for_the_poll(self) -> None:
        interval = 6
        daemon = self.start(poll_interval=f"{interval}s", mailbox_extra="idle = false")
        time.sleep(1)  # after the start-up poll
        started = self.complain()
        # Nothing comes before the next poll ...
        with self.assertRaises(AssertionError):
            self.servers.wait_for_messages(CUSTOMER, count=1, timeout=2.5)
        # ... and it comes with it.
        elapsed = self.wait_for_ack(1, started, timeout=interval + IDLE_BUDGET)
        print(f"{self.id()}: acknowledged {elapsed:.2f} s after submission (polling every {interval} s)",
              file=sys.stderr)
        self.assertGreater(elapsed, 2.5)
        self.assertEqual(daemon.count(r"event=idle-"), 0, daemon.log)
        code, _ = daemon.terminate()
        self.assertEqual(code, 0, daemon.log)


if __name__ == "__main__":
    unittest.main()
