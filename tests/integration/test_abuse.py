"""Abuse (issue 8), against real Dovecot and Postfix on 127.0.0.1:

- ping-pong: an auto-responder without RFC 3834 headers answers every letter it gets with a
  new message, so each of its answers opens a case and gets an acknowledgement. complaintd
  cuts it off at [auto_replies] max_per_address (10 a day by default); every message is
  still stored and every case opened, and the handler still gets every referral.
- flood: one sender, 1,000 complaints in the INBOX, `run --once`: 1,000 messages stored,
  1,000 cases, at most 10 letters back to the sender, and the rest withheld on each case's
  timeline.
- injection: complaints whose Subject and From display name carry CR/LF (raw, encoded,
  double-encoded) and header-like text: the acknowledgement in the customer's mailbox and
  the referral in the handler's have only the header fields complaintd writes.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
BOT = "robot@example.test"        # the auto-responder
FLOOD = "flood@example.test"      # the sender of 1,000 messages
EVE = "eve@example.test"          # writes hostile subjects and names
IVY = "ivy@example.test"          # the investigator: every referral
USERS = {COMPLAINTS: "complaints-pw", BOT: "bot-pw", FLOOD: "flood-pw", EVE: "eve-pw", IVY: "ivy-pw"}
LIMIT = 10            # the default of [auto_replies] max_per_address
FLOOD_COUNT = 1000
MAX_ROUNDS = 25       # the ping-pong stops by itself well before

# The header fields complaintd writes, and those Postfix and Dovecot add on delivery.
OUR_FIELDS = {"from", "to", "reply-to", "subject", "date", "message-id", "in-reply-to", "references",
              "auto-submitted", "x-auto-response-suppress", "mime-version", "content-type",
              "content-transfer-encoding"}
DELIVERY_FIELDS = {"return-path", "delivered-to", "received"}


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    """(name, raw value) of each field of the header block, unfolded, as bytes on the wire."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # an 8-bit byte fails the test here
    out: list[tuple[str, str]] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line)
        else:
            name, _, value = line.partition(":")
            out.append((name, value))
    return out


class Abuse(harness.MailTestCase):
    users = USERS

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-abuse-"))
        self.addCleanup(lambda: harness.keep_test_dir() or shutil.rmtree(self.dir, ignore_errors=True))
        self.db = self.dir / "complaintd.db"
        # No [auto_replies]: the defaults are what is tested.
        self.config = harness.write_config(self.dir / "complaintd.toml", self.servers, name="Test Council",
                                           password=USERS[COMPLAINTS], poll_interval=None, extra=f"""
            [roles]
            investigator = "Ivy Investigator <{IVY}>"

            [procedure]
            referral_manager = "investigator"

            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"
            """)
        for user in USERS:
            self.servers.clear_folder(user)
        self.logs: list[str] = []

    # -- helpers ---------------------------------------------------------------------------

    def run_once(self, timeout: float = 120) -> float:
        started = time.monotonic()
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(self.config)],
                           capture_output=True, timeout=timeout)
        elapsed = time.monotonic() - started
        log = r.stderr.decode(errors="replace")
        self.logs.append(log)
        self.assertEqual(r.returncode, 0, log[-3000:])
        return elapsed

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params):
        return self.query(sql, *params)[0][0]

    def withheld_log_lines(self) -> list[str]:
        return [line for log in self.logs for line in log.splitlines() if "event=letter-withheld" in line]

    # -- ping-pong -------------------------------------------------------------------------

    def test_an_auto_responder_without_rfc3834_headers_is_cut_off_at_the_limit(self) -> None:
        # The responder writes back to every letter with a fresh message: no "Re:", no
        # reference, no In-Reply-To, no Auto-Submitted or Precedence. (One that kept the
        # reference would join its case and reach only the handler: no loop.)
        first = harness.make_message(BOT, COMPLAINTS, "Bins not collected",
                                     "My bins have not been collected for three weeks.\n")
        self.servers.send(BOT, COMPLAINTS, first)
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        seen: set[int] = set()
        answered = 0
        rounds = 0
        started = time.monotonic()
        for rounds in range(1, MAX_ROUNDS + 1):
            self.run_once()
            self.servers.wait_for_queue_empty()
            new = [m for m in self.servers.messages(BOT) if m.uid not in seen]
            if not new:
                break  # complaintd stopped answering: the loop is over
            for m in new:
                seen.add(m.uid)
                letter = parse(m.raw)
                reply = harness.make_message(
                    BOT, COMPLAINTS, "Your message has been received",
                    f"We have received your message. It will be answered within 5 days. Ticket {m.uid}.\n")
                to = email.utils.parseaddr(str(letter["Reply-To"] or letter["From"]))[1]
                self.servers.send(BOT, to, reply)
                answered += 1
            # Wait for the answers to land, so the next run sees all of them.
            self.servers.wait_for_queue_empty()
        elapsed = time.monotonic() - started

        letters = self.servers.messages(BOT)
        print(f"\nping-pong: {rounds} rounds, {answered} answers from the responder, "
              f"{len(letters)} letters to it, {elapsed:.1f} s", flush=True)
        self.assertLess(rounds, MAX_ROUNDS, "the loop was never cut off")
        self.assertEqual(len(letters), LIMIT)
        self.assertEqual(answered, LIMIT)
        self.assertTrue(all("Auto-Submitted" in parse(m.raw) for m in letters))
        # Every message stored and triaged, every one a case; the one over the limit too.
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM messages WHERE from_address = ?", BOT), LIMIT + 1)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM cases WHERE customer_address = ?", BOT), LIMIT + 1)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE rcpt = ?", BOT), LIMIT)
        withheld = self.query("SELECT c.reference, e.detail FROM events e JOIN cases c ON c.id = e.case_id "
                              "WHERE e.kind = 'letter-withheld'")
        self.assertEqual(len(withheld), 1, withheld)
        self.assertRegex(withheld[0][1], rf"^acknowledgement to {re.escape(BOT)} not sent: 10 automatic letters")
        self.assertIn("limit 10", withheld[0][1])
        # Logged once, key=value.
        lines = self.withheld_log_lines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rf"case={re.escape(withheld[0][0])} event=letter-withheld kind=acknowledgement "
                                   rf"to={re.escape(BOT)} in_window=10 limit=10 within=\"24 hours\" resumes_at=\S+Z")
        # Staff letters are not limited: the handler has a referral for every case.
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE rcpt = ? AND kind = 'referral'", IVY),
                         LIMIT + 1)
        # The persistent-complainant flag still marks the sender for a person.
        self.assertGreater(self.scalar("SELECT COUNT(*) FROM cases WHERE customer_address = ? "
                                       "AND flags LIKE '%persistent_complainant%'", BOT), 0)
        # Nothing more on another run: the cut-off holds.
        self.run_once()
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE rcpt = ?", BOT), LIMIT)

    # -- flood -----------------------------------------------------------------------------

    def test_one_sender_flooding_gets_every_case_but_bounded_letters(self) -> None:
        raws = [harness.make_message(FLOOD, COMPLAINTS, f"Complaint number {i}",
                                     f"This is complaint {i}. The bins in street {i % 37} were not collected.\n",
                                     message_id=f"<flood-{i}@example.test>")
                for i in range(FLOOD_COUNT)]
        started = time.monotonic()
        self.servers.append_all(COMPLAINTS, None, raws)
        appended = time.monotonic() - started
        ran = self.run_once(timeout=240)
        letters_to_sender = self.scalar("SELECT COUNT(*) FROM outbox WHERE rcpt = ?", FLOOD)
        print(f"\nflood: {FLOOD_COUNT} messages appended in {appended:.1f} s, run --once {ran:.1f} s, "
              f"{letters_to_sender} letters to the sender", flush=True)

        self.assertEqual(self.scalar("SELECT COUNT(*) FROM messages WHERE from_address = ?", FLOOD), FLOOD_COUNT)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM messages WHERE disposition = 'new-case'"), FLOOD_COUNT)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM cases WHERE customer_address = ?", FLOOD), FLOOD_COUNT)
        self.assertEqual(letters_to_sender, LIMIT)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM outbox WHERE rcpt = ? AND status = 'sent'", FLOOD), LIMIT)
        # The first ten complaints were acknowledged, the rest say why not on their timeline.
        acked = [r for (r,) in self.query("SELECT c.reference FROM outbox o JOIN cases c ON c.id = o.case_id "
                                          "WHERE o.rcpt = ? ORDER BY c.id", FLOOD)]
        first = [r for (r,) in self.query("SELECT reference FROM cases ORDER BY id LIMIT ?", LIMIT)]
        self.assertEqual(acked, first)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE kind = 'letter-withheld'"),
                         FLOOD_COUNT - LIMIT)
        self.assertEqual(len(self.withheld_log_lines()), FLOOD_COUNT - LIMIT)
        # Every message is on the server still, flagged only after its commit.
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM messages WHERE server_action = 'pending'"), 0)
        self.servers.wait_for_queue_empty()
        self.assertEqual(len(self.servers.messages(FLOOD)), LIMIT)

    # -- header injection --------------------------------------------------------------------

    HOSTILE = [
        # (From header, Subject header) as raw bytes on the wire
        (b"=?utf-8?q?Eve=0D=0ABcc:_victim@example.test?= <eve@example.test>",
         b"=?utf-8?q?Bins=0D=0ABcc:_victim@example.test=0D=0AX-Injected:_1?="),
        (b"=?utf-8?b?RXZlDQpUbzogdmljdGltQGV4YW1wbGUudGVzdA0KDQo=?= <eve@example.test>",
         b"=?utf-8?b?aGkNCkJjYzogdmljdGltQGV4YW1wbGUudGVzdA0KDQpib2R5?="),
        (b"\"Eve Bcc: victim@example.test\" <eve@example.test>",
         b"Bins Bcc: victim@example.test To: victim@example.test X-Injected: 1"),
        # Double-encoded: after one decoding the text is itself an encoded word with CR/LF.
        (b"=?utf-8?q?=3D=3Futf-8=3Fq=3FEve=3D0D=3D0ABcc=3A_victim=40example.test=3F=3D?= <eve@example.test>",
         b"=?utf-8?q?=3D=3Futf-8=3Fq=3Fa=3D0D=3D0ABcc=3A_victim=40example.test=3F=3D?="),
        (b"\"=?utf-8?q?Eve=0D=0ABcc:_victim@example.test?=\" <eve@example.test>",
         b"Pothole " + b"x" * 3000 + b" =?utf-8?q?=E2=80=A8Bcc:_victim@example.test?="),
    ]

    def test_crlf_and_header_text_in_subjects_and_names_never_reach_a_header(self) -> None:
        raws = []
        for i, (from_, subject) in enumerate(self.HOSTILE):
            raws.append(b"From: " + from_ + b"\r\nTo: " + COMPLAINTS.encode() + b"\r\nSubject: " + subject +
                        f"\r\nMessage-ID: <hostile-{i}@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                        f"The pavement outside number {i} is broken.\r\n".encode())
        self.servers.append_all(COMPLAINTS, None, raws)
        self.run_once()
        self.servers.wait_for_queue_empty()
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM cases"), len(self.HOSTILE))

        acks = self.servers.messages(EVE)
        referrals = self.servers.messages(IVY)
        self.assertEqual(len(acks), len(self.HOSTILE))
        self.assertEqual(len(referrals), len(self.HOSTILE))
        for who, letters in ((EVE, acks), (IVY, referrals)):
            for m in letters:
                fields = header_fields(m.raw)
                names = [n.lower() for n, _ in fields]
                extra = set(names) - OUR_FIELDS - DELIVERY_FIELDS
                self.assertFalse(extra, f"fields from the customer's text: {extra}\n{m.raw[:1500]!r}")
                for name in OUR_FIELDS:
                    self.assertLessEqual(names.count(name), 1, f"{name} twice\n{m.raw[:1500]!r}")
                self.assertNotIn("bcc", names)
                self.assertNotIn("cc", names)
                self.assertEqual(names.count("to"), 1)
                # Only bare CRLF line ends, no control characters, lines of at most 78.
                head = m.raw.split(b"\r\n\r\n", 1)[0]
                self.assertNotRegex(head, rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
                self.assertNotRegex(head, rb"\r(?!\n)|(?<!\r)\n")
                field = b""
                for line in head.split(b"\r\n"):
                    if line[:1] not in (b" ", b"\t"):
                        field = line.split(b":", 1)[0].lower()
                    if field.decode() not in DELIVERY_FIELDS:  # Postfix's own are longer
                        self.assertLessEqual(len(line), 78, line)
                parsed = parse(m.raw)
                self.assertEqual(parsed["To"].addresses[0].addr_spec, who)
                subject = str(parsed["Subject"])
                self.assertNotRegex(subject, r"[\r\n\x00]")
                self.assertRegex(subject, r"\[CMP-\d{4}-\d{6}\]")
                # A name or subject that decodes to an encoded word is shown as written.
                display = str(parsed["To"])
                self.assertNotRegex(display, r"[\r\n\x00]")
        # The double-encoded subject reaches the customer literally, not decoded again.
        self.assertTrue(any("=?utf-8?q?a=0D=0ABcc:" in str(parse(m.raw)["Subject"]) for m in acks),
                        [str(parse(m.raw)["Subject"]) for m in acks])


if __name__ == "__main__":
    unittest.main(verbosity=2)
