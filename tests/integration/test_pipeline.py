"""The walking skeleton end to end, against real Dovecot and Postfix on 127.0.0.1:
complaints sent through Postfix become cases, and every customer gets exactly one
acknowledgement per complaint; machines get none; running again changes nothing."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
USERS = {
    COMPLAINTS: "complaints-pw",
    "alice@example.test": "alice-pw",
    "bob@example.test": "bob-pw",
    "carol@example.test": "carol-pw",
    "other@example.test": "other-pw",
}


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


class Complaintd:
    """A config in a temporary directory and helpers to run the binary against it."""

    def __init__(self, servers: harness.MailServers, extra_mailbox: str = "", smtp_port: int | None = None,
                 mailbox_options: str = "", poll_interval: str = "1s"):
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-it-"))
        shutil.copytree(harness.REPO_ROOT / "examples" / "solihull-council" / "letters", self.dir / "letters")
        (self.dir / "imap.password").write_text(USERS[COMPLAINTS] + "\n")
        self.db = self.dir / "complaintd.db"
        self.config = self.dir / "complaintd.toml"
        self.write_config(servers, extra_mailbox, smtp_port or servers.smtp_port, mailbox_options, poll_interval)

    def write_config(self, servers, extra_mailbox, smtp_port, mailbox_options, poll_interval):
        self.config.write_text(textwrap.dedent(f"""\
            [service]
            name = "Test Council Complaints"
            database = "complaintd.db"
            timezone = "Europe/London"

            [[mailbox]]
            name = "complaints"
            url = "imap://127.0.0.1:{servers.imap_port}"
            username = "{COMPLAINTS}"
            password_file = "imap.password"
            address = "{COMPLAINTS}"
            poll_interval = "{poll_interval}"
            {mailbox_options}
            {extra_mailbox}
            [smtp]
            url = "smtp://127.0.0.1:{smtp_port}"
            from = "{COMPLAINTS}"

            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"
            """))

    def run(self, *args: str, stdin: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([harness.complaintd_binary(), *args, "--config", str(self.config)], input=stdin,
                              capture_output=True, timeout=timeout)

    def run_once(self) -> subprocess.CompletedProcess:
        return self.run("run", "--once")

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, params).fetchall()

    def cleanup(self) -> None:
        if not harness.keep_test_dir():
            shutil.rmtree(self.dir, ignore_errors=True)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def complaint(sender: str, subject: str, body: str, message_id: str) -> bytes:
    return harness.make_message(sender, COMPLAINTS, subject, body, message_id=message_id)


class Pipeline(harness.MailTestCase):
    users = USERS

    def setUp(self) -> None:
        self.c = Complaintd(self.servers)
        self.addCleanup(self.c.cleanup)

    def clear_mailboxes(self) -> None:
        for user in USERS:
            self.servers.clear_folder(user)

    def tearDown(self) -> None:
        self.clear_mailboxes()

    def send_complaints(self) -> dict[str, str]:
        mails = {
            "<a1@example.test>": ("alice@example.test", "Bins not collected", "Third week running."),
            "<a2@example.test>": ("alice@example.test", "Library staff were rude", "Told me to go away."),
            "<b1@example.test>": ("bob@example.test", "Parking fine \u2014 meter broken", "Please cancel it."),
        }
        for mid, (sender, subject, body) in mails.items():
            self.servers.send(sender, COMPLAINTS, complaint(sender, subject, body, mid))
        # Machines: an out-of-office reply and a bounce (null sender, multipart/report).
        ooo = harness.make_message("carol@example.test", COMPLAINTS, "Automatic reply: hello", "I am away.",
                                   headers={"Auto-Submitted": "auto-replied"}, message_id="<ooo@example.test>")
        self.servers.send("carol@example.test", COMPLAINTS, ooo)
        bounce = (
            "From: Mail Delivery System <MAILER-DAEMON@example.test>\r\n"
            f"To: {COMPLAINTS}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <bounce@example.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; example.test\r\n\r\n"
            "Final-Recipient: rfc822; nobody@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
        ).encode()
        self.servers.send("", COMPLAINTS, bounce)
        self.servers.wait_for_messages(COMPLAINTS, count=5)
        return {mid.strip("<>"): sender for mid, (sender, _, _) in mails.items()}

    def acknowledgements(self, user: str) -> list[email.message.EmailMessage]:
        return [parse(m.raw) for m in self.servers.messages(user)]

    def test_each_complaint_gets_one_acknowledgement_and_machines_none(self) -> None:
        sent = self.send_complaints()
        r = self.c.run_once()
        self.assertEqual(r.returncode, 0, r.stderr.decode())

        alice = self.servers.wait_for_messages("alice@example.test", count=2)
        bob = self.servers.wait_for_messages("bob@example.test", count=1)
        time.sleep(1)  # anything extra would have arrived by now
        self.assertEqual(len(self.servers.messages("alice@example.test")), 2)
        self.assertEqual(len(self.servers.messages("bob@example.test")), 1)
        self.assertEqual(len(self.servers.messages("carol@example.test")), 0, "an auto-reply was answered")

        cases = {ref: (customer, subject) for ref, customer, subject in
                 self.c.query("SELECT reference, customer_address, subject FROM cases")}
        self.assertEqual(len(cases), 3)
        refs_seen = set()
        for m in [parse(x.raw) for x in alice + bob]:
            subject = str(m["Subject"])
            self.assertRegex(subject, r"^\[CMP-\d{4}-\d{6}\] ")
            ref = subject[1:subject.index("]")]
            self.assertIn(ref, cases)
            refs_seen.add(ref)
            self.assertEqual(m["Auto-Submitted"], "auto-replied")
            original = m["In-Reply-To"].strip("<>")
            self.assertIn(original, sent)
            self.assertEqual(sent[original], cases[ref][0], "acknowledgement went to the wrong customer")
            self.assertEqual(str(m["To"]).split("<")[-1].rstrip(">"), sent[original])
            self.assertIn(f"<{original}>", m["References"])
            self.assertTrue(m["Message-ID"])
            body = m.get_content()
            self.assertIn(ref, body)
            self.assertIn("respon", body)
        self.assertEqual(refs_seen, set(cases), "references must be distinct and match the cases")

        # The machines' messages are stored with the reason, not answered.
        rows = dict(self.c.query("SELECT message_id, disposition FROM messages"))
        self.assertEqual(rows["ooo@example.test"], "machine-mail")
        self.assertEqual(rows["bounce@example.test"], "machine-mail")
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"), [(3,)])

        # Every processed message is \Seen on the server.
        for m in self.servers.messages(COMPLAINTS):
            self.assertIn("\\Seen", m.flags)

        # A second run changes nothing.
        r = self.c.run_once()
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        time.sleep(1)
        self.assertEqual(len(self.servers.messages("alice@example.test")), 2)
        self.assertEqual(len(self.servers.messages("bob@example.test")), 1)
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM cases"), [(3,)])
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM messages"), [(5,)])

    def test_a_crash_between_commit_and_seen_repeats_nothing(self) -> None:
        self.servers.send("alice@example.test", COMPLAINTS,
                          complaint("alice@example.test", "Potholes", "Huge ones.", "<p1@example.test>"))
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        self.assertEqual(self.c.run_once().returncode, 0)
        self.servers.wait_for_messages("alice@example.test", count=1)
        # Undo what happened after the commit, as if complaintd died right after it:
        # the message is unseen again and complaintd forgot how far it had read.
        with self.servers.imap(COMPLAINTS) as conn:
            conn.select("INBOX")
            conn.store("1:*", "-FLAGS.SILENT", r"(\Seen)")
        with sqlite3.connect(self.c.db) as db:
            db.execute("UPDATE mailbox_state SET last_uid = 0")
            db.execute("UPDATE messages SET server_action = 'pending'")
        r = self.c.run_once()
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        time.sleep(1)
        self.assertEqual(len(self.servers.messages("alice@example.test")), 1, "acknowledged twice")
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM cases"), [(1,)])
        self.assertIn("\\Seen", self.servers.messages(COMPLAINTS)[0].flags)

    def test_a_reply_with_the_reference_joins_its_case(self) -> None:
        self.servers.send("bob@example.test", COMPLAINTS,
                          complaint("bob@example.test", "Noise", "Every night.", "<n1@example.test>"))
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        self.assertEqual(self.c.run_once().returncode, 0)
        ack = parse(self.servers.wait_for_messages("bob@example.test", count=1)[0].raw)
        reply = harness.make_message("bob@example.test", COMPLAINTS, "Re: " + str(ack["Subject"]),
                                     "It happened again last night.", message_id="<n2@example.test>")
        self.servers.send("bob@example.test", COMPLAINTS, reply)
        self.servers.wait_for_messages(COMPLAINTS, count=2)
        self.assertEqual(self.c.run_once().returncode, 0)
        time.sleep(1)
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM cases"), [(1,)])
        self.assertEqual(len(self.servers.messages("bob@example.test")), 1, "a follow-up was acknowledged as new")
        kinds = [k for (k,) in self.c.query("SELECT kind FROM events ORDER BY id")]
        self.assertIn("customer-message", kinds)

    def test_processed_folder_moves_mail_after_commit(self) -> None:
        self.c.write_config(self.servers, "", self.servers.smtp_port, 'processed_folder = "Processed"', "1s")
        self.servers.send("alice@example.test", COMPLAINTS,
                          complaint("alice@example.test", "Street lights", "Out for a week.", "<s1@example.test>"))
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        r = self.c.run_once()
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(len(self.servers.messages(COMPLAINTS)), 0)
        self.assertEqual(len(self.servers.messages(COMPLAINTS, folder="Processed")), 1)
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM cases"), [(1,)])
        self.servers.clear_folder(COMPLAINTS, folder="Processed")

    def test_unreachable_servers_are_named_and_nothing_is_lost(self) -> None:
        dead = closed_port()
        broken = textwrap.dedent(f"""\
            [[mailbox]]
            name = "broken"
            url = "imap://127.0.0.1:{dead}"
            username = "x@example.test"
            password = "x"
            address = "other@example.test"
            """)
        self.c.write_config(self.servers, broken, dead, "", "1s")
        self.servers.send("alice@example.test", COMPLAINTS,
                          complaint("alice@example.test", "Graffiti", "On the bridge.", "<g1@example.test>"))
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        r = self.c.run_once()
        log = r.stderr.decode()
        self.assertEqual(r.returncode, 75, log)
        self.assertIn(f"imap://127.0.0.1:{dead}", log)          # the dead IMAP server is named
        self.assertIn(f"smtp://127.0.0.1:{dead}", log)          # and so is the dead SMTP server
        self.assertNotIn("complaints-pw", log)
        # The good mailbox was still processed; the acknowledgement waits in the outbox.
        self.assertEqual(self.c.query("SELECT COUNT(*) FROM cases"), [(1,)])
        self.assertEqual(self.c.query("SELECT status FROM outbox"), [("pending",)])
        # With SMTP back, the letter goes out (the retry is due after the backoff).
        self.c.write_config(self.servers, "", self.servers.smtp_port, "", "1s")
        with sqlite3.connect(self.c.db) as db:
            db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00Z'")
        r = self.c.run_once()
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.servers.wait_for_messages("alice@example.test", count=1)
        self.assertEqual(self.c.query("SELECT status, attempts FROM outbox"), [("sent", 2)])

    def test_daemon_acknowledges_and_stops_on_sigterm(self) -> None:
        proc = subprocess.Popen([harness.complaintd_binary(), "run", "--config", str(self.c.config)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(0.5)
            self.servers.send("carol@example.test", COMPLAINTS,
                              complaint("carol@example.test", "Overgrown hedge", "Blocks the path.", "<h1@example.test>"))
            ack = self.servers.wait_for_messages("carol@example.test", count=1, timeout=30)
            self.assertRegex(str(parse(ack[0].raw)["Subject"]), r"^\[CMP-\d{4}-\d{6}\] Overgrown hedge$")
        finally:
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
        elapsed = time.monotonic() - start
        self.assertEqual(proc.returncode, 0, err.decode())
        self.assertLess(elapsed, 2.0, "SIGTERM must stop the daemon within 2 s")
        self.assertIn("event=stopped", err.decode())


class ConfigErrors(unittest.TestCase):
    def test_bad_config_exits_78_naming_key_and_line(self) -> None:
        d = Path(tempfile.mkdtemp(prefix="complaintd-it-"))
        try:
            cfg = d / "bad.toml"
            cfg.write_text('[service]\nname = "x"\ndatabase = "x.db"\ntimezone = "Mars/Base"\n')
            r = subprocess.run([harness.complaintd_binary(), "check-config", "--config", str(cfg)],
                               capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 78)
            err = r.stderr.decode()
            self.assertIn(f"{cfg}:4:", err)
            self.assertIn("service.timezone", err)
            self.assertIn("[[mailbox]]", err)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
