"""Deadlines against real servers: the daemon's own timer sends what falls due while it
runs, and after downtime everything overdue is caught up once, in order — a reminder
overtaken by a later one is not sent, nothing is sent twice, nothing is skipped."""

from __future__ import annotations

import email
import email.policy
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
CUSTOMER = "dana@example.test"
MANAGER = "manager@example.test"
TEAM = "team@example.test"
HEAD = "head@example.test"
USERS = {a: "pw" for a in (COMPLAINTS, CUSTOMER, MANAGER, TEAM, HEAD)}


def config_text(servers: harness.MailServers, db: Path, stage: str) -> str:
    return harness.config_text(servers, name="Scheduler Test Service", database=db, extra=f"""
        [roles]
        manager = "Morgan Manager <{MANAGER}>"
        team = "Complaints Team <{TEAM}>"
        head = "Harper Head <{HEAD}>"

        [procedure]
        coordinator = "team"
        referral_manager = "manager"
        """) + textwrap.dedent(stage)


class Scheduler(harness.MailTestCase):
    users = USERS

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-scheduler-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = self.dir / "complaintd.db"
        self.config = self.dir / "complaintd.toml"
        self.binary = harness.complaintd_binary()

    def tearDown(self) -> None:
        for user in USERS:
            self.servers.clear_folder(user)

    def write(self, stage: str) -> None:
        self.config.write_text(config_text(self.servers, self.db, stage))

    def complaintd(self, *args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([self.binary, *args, "--config", str(self.config)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, f"complaintd {' '.join(args)}: {r.stderr}")
        return r

    def send_complaint(self, mid: str) -> None:
        self.servers.send(CUSTOMER, COMPLAINTS,
                          harness.make_message(CUSTOMER, COMPLAINTS, "Broken street light",
                                               "The light outside number 4 has been out for a month.",
                                               message_id=mid))

    def subjects(self, user: str) -> list[str]:
        return [str(email.message_from_bytes(m.raw, policy=email.policy.default)["Subject"])
                for m in self.servers.messages(user)]

    def test_after_downtime_overdue_deadlines_are_caught_up_once_in_order(self) -> None:
        self.write("""\
            [[stage]]
            name = "Stage 1"
            respond_within = "10 working days"
            reminders = { first_after = "5 working days", every = "1 working day", at_most = 3, copy_to = "team" }
            holding_letter = { before_due = "1 working day", new_date_after = "5 working days" }

            [[stage.escalation]]
            overdue_by = "0 working days"
            to = "head"

            [[stage.escalation]]
            overdue_by = "2 working days"
            to = "team"
            """)
        self.send_complaint("<light-1@example.test>")
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        self.complaintd("run", "--once")
        self.servers.wait_for_messages(CUSTOMER, count=1)   # acknowledgement
        self.servers.wait_for_messages(MANAGER, count=1)    # referral

        # complaintd was down for two months: one tick must do everything, once.
        with sqlite3.connect(self.db) as db:
            received = db.execute("SELECT received_at FROM cases").fetchone()[0]
        far = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                            time.gmtime(time.mktime(time.strptime(received, "%Y-%m-%dT%H:%M:%SZ")) + 60 * 86400))
        self.complaintd("tick", "--at", far)
        self.complaintd("tick", "--at", far)  # and again: nothing more

        # Reminders 1 and 2 were overtaken by reminder 3: only that one is sent.
        self.servers.wait_for_messages(MANAGER, count=2)
        self.servers.wait_for_messages(TEAM, count=2)      # the reminder's copy, escalation step 2
        self.servers.wait_for_messages(HEAD, count=1)      # escalation step 1
        self.servers.wait_for_messages(CUSTOMER, count=2)  # acknowledgement, holding letter
        time.sleep(1)
        self.assertEqual(self.servers.count(MANAGER), 2, self.subjects(MANAGER))
        self.assertIn("Reminder", self.subjects(MANAGER)[1])
        self.assertEqual(self.servers.count(TEAM), 2, self.subjects(TEAM))
        self.assertEqual(self.servers.count(HEAD), 1)
        self.assertEqual(self.servers.count(CUSTOMER), 2)
        with sqlite3.connect(self.db) as db:
            outcomes = db.execute(
                "SELECT kind, ordinal, outcome FROM deadlines ORDER BY due_at, id").fetchall()
            events = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY id")]
        self.assertEqual([o for o in outcomes if o[0] == "remind"],
                         [("remind", 0, "superseded"), ("remind", 1, "superseded"), ("remind", 2, "done")])
        self.assertTrue(all(o[2] != "" for o in outcomes), outcomes)  # every row was dealt with
        # The timeline is in the order things fell due.
        order = [k for k in events if k in ("reminded", "holding-letter", "overdue", "escalated")]
        self.assertEqual(order, ["reminded", "holding-letter", "overdue", "escalated", "escalated"])

    def test_the_daemons_timer_sends_what_falls_due_while_it_runs(self) -> None:
        # A reminder due the moment the case opens, and again an hour on: the daemon must send
        # the first by itself (no tick), and be stopped long before the second.
        self.write("""\
            [[stage]]
            name = "Stage 1"
            respond_within = "10 working days"
            reminders = { first_after = "0 hours", every = "1 hours", at_most = 2 }
            """)
        daemon = subprocess.Popen([self.binary, "run", "--config", str(self.config)], stderr=subprocess.PIPE,
                                  text=True)
        try:
            self.send_complaint("<light-2@example.test>")
            self.servers.wait_for_messages(CUSTOMER, count=1, timeout=30)
            self.servers.wait_for_messages(MANAGER, count=2, timeout=30)  # referral, then reminder 1
            self.assertTrue(any("Reminder" in s for s in self.subjects(MANAGER)), self.subjects(MANAGER))
        finally:
            daemon.send_signal(signal.SIGTERM)
            _, err = daemon.communicate(timeout=10)
        self.assertEqual(daemon.returncode, 0, err)
        self.assertIn("event=deadlines-run", err)
        with sqlite3.connect(self.db) as db:
            open_rows = db.execute("SELECT kind, ordinal FROM deadlines WHERE done_at IS NULL ORDER BY due_at").fetchall()
        self.assertIn(("remind", 1), open_rows)  # the next one waits for its hour


if __name__ == "__main__":
    import unittest
    unittest.main()
