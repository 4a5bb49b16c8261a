"""Delivery by pipe (issue 7): the private Postfix hands mail for the complaints address to
`complaintd ingest` through a pipe(8) transport in master.cf, as a site without an IMAP
mailbox would (docs/OPERATIONS.md, "Delivery by pipe"). Stored means exit 0 and Postfix
forgets the message; not stored means exit 75 and Postfix keeps it in its queue and tries
again, so nothing is lost and nothing becomes a case twice.

The pipe runs as `nobody` (pipe(8) refuses root), so the files are laid out as on a real
site, for a user that is neither their owner's nor root: the configuration readable through
the group, the database directory owned by that user, mode 0750. The mailbox is a pipe one
(delivery = "pipe"): no IMAP account, and the daemon fetches nothing. Every
complaintd command here runs as that user too, so that no file in the database directory
is ever created by root."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = harness.COMPLAINTS
CUSTOMER = "rhian@example.test"
PIPE_USER = "nobody"


class PipeDelivery(harness.MailTestCase):
    users = {COMPLAINTS: "pw", CUSTOMER: "pw"}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.uid = pwd.getpwnam(PIPE_USER).pw_uid
        cls.gid = pwd.getpwnam(PIPE_USER).pw_gid
        cls.binary = harness.complaintd_binary()
        base = Path(tempfile.mkdtemp(prefix="complaintd-pipe-", dir="/tmp"))
        cls.addClassCleanup(shutil.rmtree, base, True)
        os.chmod(base, 0o755)
        # /etc/complaintd: root's, readable by the service's group.
        cls.etc = base / "etc"
        cls.etc.mkdir(mode=0o750)
        os.chown(cls.etc, 0, cls.gid)
        # /var/lib/complaintd: the service user's own (StateDirectory=, mode 0750).
        cls.state = base / "lib"
        cls.state.mkdir(mode=0o750)
        os.chown(cls.state, cls.uid, cls.gid)
        cls.config = cls.etc / "complaintd.toml"
        harness.write_config(cls.config, cls.servers, name="Pipe Test Council", poll_interval=None,
                             database=cls.state / "complaintd.db")
        # A pipe-only site, as docs/OPERATIONS.md has it: the mailbox is delivered by the mail
        # server, so it has a name and an address and no IMAP account.
        text = cls.config.read_text(encoding="utf-8")
        imap = re.search(r'url = "imap://[^"]*"\nusername = "[^"]*"\npassword = "[^"]*"\n', text)
        assert imap, text
        cls.config.write_text(text.replace(imap.group(0), 'delivery = "pipe"\n'), encoding="utf-8")
        os.chown(cls.config, 0, cls.gid)
        os.chmod(cls.config, 0o640)
        probe = cls.as_pipe_user("check-config")
        if probe.returncode != 0:
            raise AssertionError(f"{PIPE_USER} cannot run {cls.binary} on {cls.config} (every directory "
                                 f"above the binary must be searchable by others):\n{probe.stdout}{probe.stderr}")
        cls.servers.add_pipe_transport(COMPLAINTS, [cls.binary, "ingest", "--config", str(cls.config)],
                                       user=PIPE_USER)

    @classmethod
    def as_pipe_user(cls, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([cls.binary, *args, "--config", str(cls.config)], capture_output=True, text=True,
                              user=cls.uid, group=cls.gid, extra_groups=[], timeout=120)

    def complaintd(self, *args: str) -> str:
        r = self.as_pipe_user(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def cases(self) -> list[dict]:
        return json.loads(self.complaintd("cases", "list", "--json"))

    def cases_about(self, subject: str) -> list[dict]:
        return [c for c in self.cases() if c["subject"] == subject]

    def send(self, subject: str, attachment: bytes | None = None, to: str = COMPLAINTS) -> str:
        """Submits a complaint over SMTP; returns Postfix's queue ID for it, once known."""
        message_id = f"<pipe-{time.time_ns()}@example.test>"
        if attachment is None:
            raw = harness.make_message(CUSTOMER, to, subject, "The lights have been out for a week.",
                                       message_id=message_id)
        else:
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = CUSTOMER, to, subject
            m["Message-ID"] = message_id
            m.set_content("The photograph shows the broken light.")
            m.add_attachment(attachment, maintype="image", subtype="jpeg", filename="light.jpg")
            raw = harness.message_bytes(m)
        self.servers.send(CUSTOMER, to, raw)
        # cleanup(8) logs the queue ID with the Message-ID; postlogd writes it a moment later.
        pattern = rf"(\w+): message-id={re.escape(message_id)}"
        deadline = time.monotonic() + 30
        while not (found := re.search(pattern, self.servers.postfix_log())):
            if time.monotonic() > deadline:
                self.fail(f"no queue ID logged for {message_id}\n{self.servers.log_tail()}")
            time.sleep(0.05)
        return found.group(1)

    def wait_deferred(self, queue_id: str, timeout: float = 60) -> dict:
        """The message `queue_id` in Postfix's queue once pipe(8) has deferred it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            [queued] = [q for q in self.servers.postfix_queue() if q["queue_id"] == queue_id] or [None]
            if queued is None and f"{queue_id}: removed" in self.servers.postfix_log():
                self.fail(f"{queue_id} left the queue instead of being deferred:\n{self.servers.log_tail()}")
            if queued and queued["queue_name"] == "deferred" and queued["recipients"][0].get("delay_reason"):
                return queued
            time.sleep(0.1)
        self.fail(f"{queue_id} not deferred after {timeout} s\n{self.servers.log_tail()}")

    def deliver_again(self) -> None:
        self.servers.flush_queue()
        self.servers.wait_for_queue_empty()

    def assert_deferred_with_tempfail(self, queue_id: str) -> None:
        queued = self.wait_deferred(queue_id)
        reason = queued["recipients"][0]["delay_reason"]
        # pipe(8) reports exit 75 (EX_TEMPFAIL) as "temporary failure" and keeps the message.
        self.assertIn("temporary failure", reason)
        self.assertRegex(self.servers.postfix_log(),
                         rf"{queued['queue_id']}: to=<{COMPLAINTS}>, relay=complaintd, .*status=deferred "
                         r"\(temporary failure")

    def test_a_piped_complaint_becomes_a_case_and_is_acknowledged(self) -> None:
        subject = "Street light out on Elm Road"
        queue_id = self.send(subject)
        self.servers.wait_for_queue_empty()
        self.assertRegex(self.servers.postfix_log(),
                         rf"{queue_id}: to=<{COMPLAINTS}>, relay=complaintd, .*status=sent \(delivered via complaintd service")
        [case] = self.cases_about(subject)
        self.assertEqual(case["customer"], CUSTOMER)
        self.assertEqual(self.servers.count(COMPLAINTS), 0)  # it went to the pipe, not to Dovecot
        # The acknowledgement waits in the outbox for the daemon (here one run) to send it.
        self.complaintd("run", "--once")
        self.servers.wait_for_queue_empty()  # Postfix has delivered what the daemon handed it
        letters = self.servers.messages(CUSTOMER)
        acks = [m for m in letters if case["reference"].encode() in m.raw]
        self.assertEqual(len(acks), 1, [m.raw[:400] for m in letters])
        # complaints+anything@ (reply tokens are such addresses) takes the same route.
        tagged = "Street light out on Oak Road"
        queue_id = self.send(tagged, to=COMPLAINTS.replace("@", "+web@"))
        self.servers.wait_for_queue_empty()
        self.assertRegex(self.servers.postfix_log(), rf"{queue_id}: to=<complaints\+web@example\.test>, "
                                                     r"orig_to=<[^>]*>, relay=complaintd, .*status=sent|"
                                                     rf"{queue_id}: to=<complaints\+web@example\.test>, "
                                                     r"relay=complaintd, .*status=sent")
        self.assertEqual(len(self.cases_about(tagged)), 1)
        self.assertEqual(self.servers.count(COMPLAINTS), 0)
        # Everything in the database directory belongs to the pipe's user, or it could no
        # longer write there.
        for path in self.state.rglob("*"):
            self.assertEqual(path.stat().st_uid, self.uid, path)

    def test_the_running_daemon_sends_a_piped_complaints_acknowledgement_at_once(self) -> None:
        # The daemon's outbox timer runs once a minute; what `ingest` queued must not wait
        # for it. The daemon watches the database and sends as soon as another process commits.
        daemon = harness.RunningDaemon(self.config, user=self.uid, group=self.gid, extra_groups=[])
        self.addCleanup(daemon.stop)
        daemon.wait_for_log(r"event=started mailboxes=0 ")  # nothing to fetch: the pipe delivers
        time.sleep(1)  # past the start-up drain of the outbox
        subject = "Pothole on Mill Lane"
        self.send(subject)
        self.servers.wait_for_queue_empty()
        [case] = self.cases_about(subject)
        # Well inside the minute the outbox timer would take (the delivery itself is ~1 s).
        deadline = time.monotonic() + 30
        while not (acks := [m for m in self.servers.messages(CUSTOMER) if case["reference"].encode() in m.raw]):
            if time.monotonic() > deadline:
                self.fail(f"no acknowledgement for {case['reference']} within 30 s:\n{daemon.log}")
            time.sleep(0.2)
        self.assertEqual(len(acks), 1)
        self.assertNotIn("database-watch-unavailable", daemon.log)
        self.assertNotIn("mailbox=complaints ", daemon.log)  # no poll, no IDLE: nothing logged of one
        self.assertEqual(daemon.stop(), 0, daemon.log)

    def test_an_unwritable_database_defers_and_nothing_is_lost(self) -> None:
        subject = "Bins left open after collection"
        os.chmod(self.state, 0)
        try:
            self.assert_deferred_with_tempfail(self.send(subject))
        finally:
            os.chmod(self.state, 0o750)
        self.deliver_again()
        self.assertEqual(len(self.cases_about(subject)), 1)

    def test_an_unwritable_attachment_store_defers_instead_of_quarantining(self) -> None:
        # A full or read-only disk under the attachments is the disk's fault, not the message's:
        # quarantining the message would tell Postfix it was delivered when it was not processed.
        subject = "Photo of the broken light"
        self.complaintd("cases", "list")  # the database exists before its attachment store is broken
        store = self.state / "complaintd.db.attachments"
        store.mkdir(mode=0o750, exist_ok=True)
        os.chown(store, self.uid, self.gid)
        os.chmod(store, 0o500)
        try:
            self.assert_deferred_with_tempfail(self.send(subject, attachment=os.urandom(2048)))
        finally:
            os.chmod(store, 0o750)
        self.deliver_again()
        self.assertEqual(len(self.cases_about(subject)), 1)
        self.assertNotIn("attachment", self.complaintd("quarantine", "list", "--all"))  # never quarantined
        # The photograph, once, in the content-addressed store (and owned by the pipe's user).
        files = [f for f in store.rglob("*") if f.is_file()]
        self.assertEqual(len(files), 1, files)
        self.assertEqual(files[0].stat().st_uid, self.uid)

    def test_a_broken_configuration_defers_instead_of_bouncing(self) -> None:
        # An administrator's typo must not send customers' complaints back to them: pipe(8)
        # bounces on EX_CONFIG (78), so ingest says EX_TEMPFAIL for a configuration it cannot load.
        subject = "Noise from the depot at night"
        good = self.config.read_text(encoding="utf-8")
        self.config.write_text(good.replace("[smtp]", "[smtp]\nport_typo = 25"), encoding="utf-8")
        try:
            self.assertEqual(self.as_pipe_user("check-config").returncode, 78)
            self.assert_deferred_with_tempfail(self.send(subject))
        finally:
            self.config.write_text(good, encoding="utf-8")
        self.deliver_again()
        self.assertEqual(len(self.cases_about(subject)), 1)

    def test_a_message_the_database_always_refuses_is_quarantined_not_deferred(self) -> None:
        # Deferring a message that fails the same way every time only postpones a bounce (after
        # Postfix's queue lifetime, days later): it is stored in quarantine instead, exit 0.
        subject = "Graffiti on the underpass"
        self.complaintd("cases", "list")  # the database exists before the site's trigger
        db_path = self.state / "complaintd.db"
        with sqlite3.connect(db_path) as db:
            db.execute("CREATE TRIGGER local_rule BEFORE INSERT ON cases WHEN NEW.subject LIKE 'Graffiti%' "
                       "BEGIN SELECT RAISE(ABORT, 'local rule: graffiti goes to the police'); END")
        try:
            queue_id = self.send(subject)
            self.servers.wait_for_queue_empty()
            self.assertRegex(self.servers.postfix_log(), rf"{queue_id}: to=<{COMPLAINTS}>, relay=complaintd, "
                                                         r".*status=sent")
            self.assertEqual(self.cases_about(subject), [])
            listed = self.complaintd("quarantine", "list")
            self.assertRegex(listed, r"the database refused it: .*local rule: graffiti goes to the police")
        finally:
            with sqlite3.connect(db_path) as db:
                db.execute("DROP TRIGGER IF EXISTS local_rule")
        [row] = [line for line in listed.splitlines() if "graffiti" in line]
        self.complaintd("quarantine", "replay", row.split()[0])
        self.assertEqual(len(self.cases_about(subject)), 1)

    def test_ingest_never_exits_with_a_code_that_bounces(self) -> None:
        raw = harness.make_message(CUSTOMER, COMPLAINTS, "Exit codes", "Only 0 and 75.")

        def ingest(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([self.binary, "ingest", *args], input=raw, capture_output=True,
                                  user=self.uid, group=self.gid, extra_groups=[], timeout=60)
        self.assertEqual(ingest("--help").returncode, 0)
        for args in (["--confg", str(self.config)],                 # a mistyped argv= in master.cf
                     ["--config", str(self.etc / "missing.toml")],  # a file that is not there
                     ["--config", str(self.config), "extra"]):
            r = ingest(*args)
            self.assertEqual(r.returncode, 75, (args, r.stderr))

if __name__ == "__main__":
    unittest.main()
