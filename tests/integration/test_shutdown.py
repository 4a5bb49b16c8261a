"""SIGTERM while complaintd is busy, as `systemctl stop` sends it: the daemon exits 0 inside
the unit's TimeoutStopSec, and once it is started again every message has become exactly one
case and every acknowledgement has reached the customer exactly once. Stopped once while it
is storing a mailbox full of complaints, and once while it is sending their acknowledgements."""

from __future__ import annotations

import collections
import email
import email.policy
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = harness.COMPLAINTS
CUSTOMER = "kim@example.test"
# Enough that a stop lands in the middle of the work on a loaded sanitizer build too
# (ingest is ~80 messages/s unsanitized, docs/PERFORMANCE.md), few enough to stay quick.
MESSAGES = 120


def unit_stop_timeout() -> float:
    """TimeoutStopSec of the shipped unit: the time systemd gives before SIGKILL."""
    unit = (harness.REPO_ROOT / "systemd" / "complaintd.service").read_text()
    m = re.search(r"^TimeoutStopSec=(\d+)s$", unit, re.M)
    assert m, "the unit has no TimeoutStopSec=Ns"
    return float(m.group(1))


class StopWhileWorking(harness.MailTestCase):
    users = {COMPLAINTS: "pw", CUSTOMER: "pw"}

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-stop-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = self.dir / "complaintd.db"
        self.config = harness.write_config(self.dir / "complaintd.toml", self.servers, name="Stop Test", extra="""
            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"

            # One customer stands for 120: every message is acknowledged, so letters are in
            # flight when the stop comes.
            [auto_replies]
            max_per_address = 0
            """)
        self.sent_ids = self.fill_mailbox()

    def tearDown(self) -> None:
        for user in self.users:
            self.servers.clear_folder(user)

    def fill_mailbox(self) -> list[str]:
        ids = [f"<stop-{self.id().rsplit('.', 1)[-1]}-{n}@example.test>" for n in range(MESSAGES)]
        # APPEND, not SMTP: the whole batch must be waiting before the daemon starts.
        self.servers.append_all(COMPLAINTS, None, [harness.make_message(
            CUSTOMER, COMPLAINTS, f"Missed bin collection {n}",
            f"The bins at number {n} were not emptied this week.", message_id=mid) for n, mid in enumerate(ids)])
        self.assertEqual(self.servers.count(COMPLAINTS), MESSAGES)
        return ids

    def start(self) -> harness.RunningDaemon:
        daemon = harness.RunningDaemon(self.config)
        self.addCleanup(daemon.kill)
        return daemon

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(sql).fetchall()

    def stop_and_check(self, daemon: harness.RunningDaemon) -> None:
        code, elapsed = daemon.terminate(timeout=2 * unit_stop_timeout())
        timeout = unit_stop_timeout()
        self.assertEqual(code, 0, daemon.log)
        self.assertLess(elapsed, timeout, f"took {elapsed:.1f} s, TimeoutStopSec={timeout:.0f}s\n{daemon.log}")
        self.assertIn("event=stopping signal=TERM", daemon.log)
        self.assertIn("event=stopped", daemon.log)
        # What was in flight finished; nothing had to be abandoned at the hard stop.
        self.assertNotIn("event=stop-timeout", daemon.log)
        print(f"{self.id()}: stopped in {elapsed:.2f} s", file=sys.stderr)

    def restart_and_finish(self) -> None:
        daemon = self.start()
        deadline = time.monotonic() + 120
        while True:
            [(cases,)] = self.query("SELECT COUNT(*) FROM cases")
            [(pending,)] = self.query("SELECT COUNT(*) FROM outbox WHERE status != 'sent'")
            if cases == MESSAGES and pending == 0:
                break
            self.assertLess(time.monotonic(), deadline, f"{cases} cases, {pending} letters unsent\n{daemon.log}")
            time.sleep(0.2)
        self.stop_and_check(daemon)

    def assert_exactly_once(self) -> None:
        # One stored message and one case per message on the server, and nothing else.
        rows = self.query("SELECT m.message_id, m.case_id, m.server_action FROM messages m ORDER BY m.uid")
        self.assertEqual(sorted(f"<{mid}>" for mid, _, _ in rows), sorted(self.sent_ids))
        self.assertEqual(len({case for _, case, _ in rows}), MESSAGES)
        self.assertEqual({action for _, _, action in rows}, {"done"})
        [(cases,)] = self.query("SELECT COUNT(*) FROM cases")
        self.assertEqual(cases, MESSAGES)
        refs = self.query("SELECT reference FROM cases ORDER BY id")
        self.assertEqual(len(set(refs)), MESSAGES)
        # Every message is flagged \Seen on the server (none left for a second run to take).
        flags = [m.flags for m in self.servers.messages(COMPLAINTS)]
        self.assertEqual(len(flags), MESSAGES)
        self.assertTrue(all("\\Seen" in f for f in flags), flags)

        # One acknowledgement each, as the customer's mailbox shows it: letters accepted twice by
        # Postfix would both be there once its queue is empty.
        self.assertEqual(self.query("SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status"),
                         [("acknowledgement", "sent", MESSAGES)])
        self.servers.wait_for_queue_empty()
        acks = self.servers.wait_for_messages(CUSTOMER, count=MESSAGES, timeout=60)
        replies_to = collections.Counter(
            str(email.message_from_bytes(m.raw, policy=email.policy.default)["In-Reply-To"]) for m in acks)
        self.assertEqual(set(replies_to), set(self.sent_ids))
        self.assertEqual([mid for mid, n in replies_to.items() if n != 1], [])
        self.assertEqual(len(acks), MESSAGES)

    def test_stop_while_storing_messages(self) -> None:
        daemon = self.start()
        daemon.wait_for_log(r"event=case-opened")
        self.stop_and_check(daemon)
        [(stored,)] = self.query("SELECT COUNT(*) FROM cases")
        # It stopped taking messages when told, rather than working through the mailbox.
        self.assertLess(stored, MESSAGES, daemon.log)
        print(f"{self.id()}: {stored} of {MESSAGES} stored before the stop", file=sys.stderr)
        self.restart_and_finish()
        self.assert_exactly_once()

    def test_stop_while_sending_acknowledgements(self) -> None:
        daemon = self.start()
        daemon.wait_for_log(r"event=letter-sent")
        self.stop_and_check(daemon)
        [(sent,)] = self.query("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
        self.assertLess(sent, MESSAGES, daemon.log)
        print(f"{self.id()}: {sent} of {MESSAGES} acknowledgements sent before the stop", file=sys.stderr)
        self.restart_and_finish()
        self.assert_exactly_once()


if __name__ == "__main__":
    unittest.main()
