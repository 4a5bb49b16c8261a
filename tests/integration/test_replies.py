"""Staff and customers act by email, and nobody can forge it (issue 6), against real Dovecot
and Postfix on 127.0.0.1: a referral manager answers from their own mailbox through the reply
address of the referral; the customer gets the response with the next steps, asks for the
next stage, and stage 2 opens with a Head of Service who was not involved. Every attack
leaves the case as it was and is logged."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
CUSTOMER = "alice@example.test"
IVY = "ivy@example.test"        # the investigator: stage 1
ANN = "ann@example.test"        # a Head of Service: stage 2
TEAM = "team@example.test"      # the coordinator
MALLORY = "mallory@example.test"
USERS = {COMPLAINTS: "complaints-pw", CUSTOMER: "alice-pw", IVY: "ivy-pw", ANN: "ann-pw", TEAM: "team-pw",
         MALLORY: "mallory-pw"}


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def body_of(m: email.message.EmailMessage) -> str:
    return m.get_body(("plain",)).get_content()


def quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())


class Replies(harness.MailTestCase):
    users = USERS

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-replies-"))
        self.addCleanup(lambda: harness.keep_test_dir() or shutil.rmtree(self.dir, ignore_errors=True))
        self.db = self.dir / "complaintd.db"
        self.extra = f"""
            [roles]
            coordinator = "Complaints Team <{TEAM}>"
            investigator = "Ivy Investigator <{IVY}>"
            head_of_service = "Ann Head <{ANN}>"

            [procedure]
            coordinator = "coordinator"
            referral_manager = "investigator"
            learning_required = true

            [[stage]]
            name = "Stage 1"
            respond_within = "20 working days"
            next_stage_within = "20 working days"
            extension = {{ max = "10 working days", reason_required = true }}

            [[stage]]
            name = "Stage 2"
            handler = "head_of_service"
            distinct_handler = true
            respond_within = "10 working days"
            final_text = "You may now ask the Local Government and Social Care Ombudsman to look at it."
            letters = {{ acknowledgement = "stage2-acknowledgement", referral = "stage2-referral" }}
            """
        self.write_config()
        for user in USERS:
            self.servers.clear_folder(user)
        self.logs: list[str] = []  # the daemon's log of every run in this test

    # -- helpers ---------------------------------------------------------------------------

    def write_config(self, more: str = "") -> None:
        self.config = harness.write_config(self.dir / "complaintd.toml", self.servers, name="Test Council Complaints",
                                           password=USERS[COMPLAINTS], poll_interval=None, extra=self.extra + more)

    def run_once(self) -> None:
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(self.config)],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.log = r.stderr.decode(errors="replace")
        self.logs.append(self.log)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, params).fetchall()

    def case(self, ref: str) -> tuple:
        """What an attack must not change: state, stage, handler, deadline, categories."""
        return self.query("SELECT state, stage_index, handler_address, respond_by, categories, closed_at "
                          "FROM cases WHERE reference = ?", ref)[0]

    def events(self, ref: str, kind: str) -> list[str]:
        return [d for (d,) in self.query("SELECT e.detail FROM events e JOIN cases c ON c.id = e.case_id "
                                         "WHERE c.reference = ? AND e.kind = ? ORDER BY e.id", ref, kind)]

    def inbox(self, user: str) -> list[email.message.EmailMessage]:
        return [parse(m.raw) for m in self.servers.messages(user)]

    def letters_to(self, user: str, subject_has: str) -> list[email.message.EmailMessage]:
        return [m for m in self.inbox(user) if subject_has in str(m["Subject"])]

    def reply(self, sender: str, to: str, letter: email.message.EmailMessage, text: str,
              message_id: str | None = None, subject: str | None = None, headers: dict | None = None) -> str:
        """`sender` answers `letter` as a mail client does: to its Reply-To, quoting it."""
        mid = message_id or email.utils.make_msgid(domain="example.test")
        raw = harness.make_message(
            sender, to, subject or "Re: " + str(letter["Subject"]),
            text + "\n\nOn Tue, someone wrote:\n" + quoted(body_of(letter)) + "\n",
            headers={"In-Reply-To": letter["Message-ID"], "References": letter["Message-ID"], **(headers or {})},
            message_id=mid)
        self.servers.send(sender, to, raw)
        return mid

    def complaint(self, subject: str, body: str, attachment: tuple[str, bytes] | None = None) -> str:
        if attachment:
            m = email.message.EmailMessage()
            m["From"], m["To"], m["Subject"] = CUSTOMER, COMPLAINTS, subject
            m["Message-ID"] = email.utils.make_msgid(domain="example.test")
            m.set_content(body)
            m.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
            raw = m.as_bytes()
        else:
            raw = harness.make_message(CUSTOMER, COMPLAINTS, subject, body)
        self.servers.send(CUSTOMER, COMPLAINTS, raw)
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        self.run_once()
        ref = self.query("SELECT reference FROM cases ORDER BY id DESC LIMIT 1")[0][0]
        self.servers.clear_folder(COMPLAINTS)
        return ref

    def assert_no_reply_token_logged(self) -> None:
        """A reply token is a credential (docs/REPLIES.md): whoever reads the log, or the journal
        it is shipped to, must not be able to act on a case as its manager. Every token of every
        letter sent in the test (its MAC) is looked for in every line the daemon logged."""
        macs = set()
        for (raw,) in self.query("SELECT raw FROM outbox"):
            reply_to = email.utils.parseaddr(str(parse(bytes(raw))["Reply-To"] or ""))[1]
            token = re.fullmatch(r"complaints\+\d+-[hs]([a-z2-7]{16})@example\.test", reply_to)
            if token:
                macs.add(token.group(1))
        self.assertTrue(macs)  # the check is not vacuous
        log = "".join(self.logs).lower()
        self.assertIn("event=staff-reply", log)  # replies with tokens were processed and logged
        for mac in macs:
            self.assertNotIn(mac, log)

    def ask_for_stage_two(self, ref: str, subject: str, text: str) -> None:
        """The customer replies to their case asking for the next stage (every mailbox emptied first)."""
        for user in USERS:
            self.servers.clear_folder(user)
        raw = harness.make_message(CUSTOMER, COMPLAINTS, f"Re: [{ref}] {subject}", text)
        self.servers.send(CUSTOMER, COMPLAINTS, raw)
        self.deliver_and_run()

    def deliver_and_run(self) -> None:
        self.servers.wait_for_messages(COMPLAINTS, count=1)
        self.run_once()
        self.servers.clear_folder(COMPLAINTS)

    # -- the story -------------------------------------------------------------------------

    def test_staff_and_customer_act_by_email_and_forgeries_do_nothing(self) -> None:
        ref = self.complaint("Bins not collected", "My bins were not collected for three weeks.")
        referral = self.letters_to(IVY, "New case for you")[0]
        reply_to = email.utils.parseaddr(str(referral["Reply-To"]))[1]
        self.assertRegex(reply_to, r"^complaints\+\d+-h[a-z2-7]{16}@example\.test$")
        self.assertIn("respond", body_of(referral))  # the referral itself says how to act
        before = self.case(ref)
        self.assertEqual(before[0], "open")
        ref2 = self.complaint("Street light out", "The street light outside number 4 has been out for a month.")
        referral2 = self.letters_to(IVY, ref2)[0]
        reply_to2 = email.utils.parseaddr(str(referral2["Reply-To"]))[1]
        self.assertNotEqual(reply_to, reply_to2)
        before2 = self.case(ref2)
        for user in USERS:
            self.servers.clear_folder(user)

        with self.subTest("a forged From without a token"):
            raw = harness.make_message(IVY, COMPLAINTS, f"Re: [{ref}] Bins not collected",
                                       "resolve\n\nAll sorted, case closed.")
            self.servers.send(MALLORY, COMPLAINTS, raw)
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertEqual(len(self.events(ref, "staff-message")), 1)
            self.assertRegex(self.log, rf"case={ref} event=staff-message-without-token from={IVY}")
            self.assertEqual(self.letters_to(CUSTOMER, ref), [])
            # The real Ivy is told that somebody wrote in her name and nothing changed.
            told = self.letters_to(IVY, "Your reply")
            self.assertEqual(len(told), 1)
            self.assertIn("changed nothing", body_of(told[0]))

        with self.subTest("a valid token from a different sender"):
            self.reply(MALLORY, reply_to, referral, "resolve\n\nClosed.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            rejected = self.events(ref, "reply-rejected")
            self.assertEqual(len(rejected), 1)
            self.assertIn("not issued to mallory@example.test", rejected[0])
            self.assertEqual(self.inbox(MALLORY), [])  # nothing goes back to a forger
            self.assertIn("event=reply-rejected", self.log)

        with self.subTest("a token of another case"):
            self.reply(IVY, reply_to2, referral, "respond\n\nDear Alice, sorted.",
                       subject=f"Re: [{ref}] New case for you")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertEqual(self.case(ref2), before2)
            self.assertTrue(any(f"but it is about {ref}" in e for e in self.events(ref2, "reply-rejected")))
            self.assertRegex(self.log,
                             rf"case={ref2} event=reply-rejected from=\"{IVY}\" reason=\".*but it is about {ref}")

        with self.subTest("a token forwarded to the customer and used by them"):
            self.reply(CUSTOMER, reply_to, referral, "resolve\n\nI consider this resolved.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertTrue(any(CUSTOMER in e for e in self.events(ref, "reply-rejected")))
            self.assertRegex(self.log, rf"case={ref} event=reply-rejected from=\"{CUSTOMER}\"")

        with self.subTest("a command inside quoted text is not a command"):
            self.servers.clear_folder(IVY)
            self.reply(IVY, reply_to, referral, "Thanks, I am looking into it.\n\n> resolve\n> Closed.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertTrue(any("looking into it" in n for n in self.events(ref, "note")))
            confirmation = self.letters_to(IVY, "Your reply")
            self.assertEqual(len(confirmation), 1)
            self.assertIn("nothing was sent to the customer", body_of(confirmation[0]))
        self.assertEqual(self.letters_to(CUSTOMER, ref), [])

        with self.subTest("a customer who writes resolve gets no power from it"):
            self.servers.clear_folder(IVY)
            raw = harness.make_message(CUSTOMER, COMPLAINTS, f"Re: [{ref}] Bins not collected",
                                       "resolve\n\nStill no collection this week.")
            self.servers.send(CUSTOMER, COMPLAINTS, raw)
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            forwarded = self.letters_to(IVY, "The customer wrote again")
            self.assertEqual(len(forwarded), 1)
            self.assertIn("Still no collection", body_of(forwarded[0]))

        with self.subTest("a mistyped command changes nothing and says why"):
            self.servers.clear_folder(IVY)
            self.reply(IVY, reply_to, referral, "extend soon: busy\nrespond\n\nDear Alice.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            answer = self.letters_to(IVY, "Your reply")
            self.assertEqual(len(answer), 1)
            self.assertIn("is not a duration", body_of(answer[0]))

        with self.subTest("an extension moves the deadline and the customer is told"):
            self.servers.clear_folder(IVY)
            self.reply(IVY, reply_to, referral, "extend 5 working days: waiting for the crew's report")
            self.deliver_and_run()
            after = self.case(ref)
            self.assertEqual(after[0], "open")
            self.assertGreater(after[3], before[3])  # respond_by moved on
            told = self.letters_to(CUSTOMER, ref)
            self.assertEqual(len(told), 1)
            self.assertIn("crew's report", body_of(told[0]))
            self.assertIn("deadline extended by 5 working days", body_of(self.letters_to(IVY, "Your reply")[0]))
            self.servers.clear_folder(CUSTOMER)

        with self.subTest("the manager responds; the customer gets it with the next steps"):
            self.servers.clear_folder(IVY)
            mid = self.reply(IVY, reply_to, referral,
                             "category service delivery\nrespond\n\nDear Alice,\n\nWe are sorry: the crew "
                             "missed your street. They will collect tomorrow.\n\nIvy")
            self.deliver_and_run()
            state, stage, *_ = self.case(ref)
            self.assertEqual((state, stage), ("responded", 0))
            response = self.letters_to(CUSTOMER, ref)
            self.assertEqual(len(response), 1)
            text = body_of(response[0])
            self.assertIn("the crew missed your street", text.replace("\n", " ").replace("  ", " "))
            self.assertIn("Stage 2", text)  # how to ask for the next stage, and by when
            self.assertRegex(text, r"by \w+ \d+ \w+ \d{4}")
            self.assertEqual(self.query("SELECT categories FROM cases WHERE reference = ?", ref)[0][0],
                             "service_delivery")
            confirmation = self.letters_to(IVY, "Your reply")
            self.assertEqual(len(confirmation), 1)
            self.assertIn("your response was sent to the customer", body_of(confirmation[0]))

        with self.subTest("a replayed reply acts once"):
            after_response = self.case(ref)
            self.servers.clear_folder(CUSTOMER)
            # The same message again, and again with another subject (same Message-ID).
            self.reply(IVY, reply_to, referral, "respond\n\nSecond copy.", message_id=mid)
            self.reply(IVY, reply_to, referral, "respond\n\nSecond copy.", message_id=mid, subject="Re: again")
            self.servers.wait_for_messages(COMPLAINTS, count=2)
            self.run_once()
            self.servers.clear_folder(COMPLAINTS)
            self.assertEqual(self.case(ref), after_response)
            self.assertEqual(self.letters_to(CUSTOMER, ref), [])
            self.assertTrue(any("replay" in e for e in self.events(ref, "reply-rejected")))
            self.assertRegex(self.log, rf"case={ref} event=reply-rejected from=\"{IVY}\" reason=\".*replay")

        with self.subTest("a reply without a Message-ID is refused, and the manager told why"):
            # Postfix adds a Message-ID to what it accepts from loopback, so this one comes in
            # by `complaintd ingest`, as from a pipe transport.
            self.servers.clear_folder(IVY)
            raw = harness.make_message(IVY, reply_to, "Re: " + str(referral["Subject"]), "respond\n\nThird copy.",
                                       headers={"In-Reply-To": referral["Message-ID"]}, message_id="")
            self.assertNotIn(b"Message-ID", raw)
            r = subprocess.run([harness.complaintd_binary(), "ingest", "--config", str(self.config)], input=raw,
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
            self.run_once()
            self.assertEqual(self.case(ref), after_response)
            self.assertEqual(self.letters_to(CUSTOMER, ref), [])
            answer = self.letters_to(IVY, "Your reply")
            self.assertEqual(len(answer), 1)
            self.assertIn("no Message-ID", body_of(answer[0]))

        with self.subTest("the customer asks for the next stage; stage 2 opens with someone new"):
            self.ask_for_stage_two(ref, "Bins not collected",
                                   "I am not satisfied with your response and would like a stage 2 review.")
            state, stage, handler, *_ = self.case(ref)
            self.assertEqual((state, stage, handler), ("open", 1, ANN))
            self.assertEqual(len(self.letters_to(CUSTOMER, ref)), 1)  # stage 2 acknowledged
            stage2 = self.inbox(ANN)
            self.assertEqual(len(stage2), 1)

        with self.subTest("no close without learning where the procedure requires it"):
            referral2 = stage2[0]
            ann_reply_to = email.utils.parseaddr(str(referral2["Reply-To"]))[1]
            self.reply(ANN, ann_reply_to, referral2, "resolve\n\nDear Alice, we uphold your complaint.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref)[0], "open")
            answer = self.letters_to(ANN, "Your reply")
            self.assertEqual(len(answer), 1)
            self.assertIn("learning", body_of(answer[0]))
            self.assertEqual(len(self.letters_to(CUSTOMER, ref)), 1)  # only the stage 2 acknowledgement

        with self.subTest("with learning recorded the final response closes the case"):
            self.reply(ANN, ann_reply_to, referral2,
                       "learning service delivery: crews now photograph every bin they cannot collect\n"
                       "resolve\n\nDear Alice,\n\nWe uphold your complaint and apologise.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref)[0], "closed")
            final = [m for m in self.letters_to(CUSTOMER, ref) if "uphold" in body_of(m)]
            self.assertEqual(len(final), 1)
            self.assertIn("Ombudsman", body_of(final[0]))
            self.assertEqual(self.query("SELECT category FROM learning"), [("service_delivery",)])

        # The second case never moved, whatever was tried on it.
        self.assertEqual(self.case(ref2), before2)
        self.assert_no_reply_token_logged()

        with self.subTest("the learning is in the report trustees read"):
            r = subprocess.run([harness.complaintd_binary(), "report", "--from", "2000-01-01", "--to", "2100-01-01",
                                "--format", "csv", "--config", str(self.config)], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
            self.assertRegex(r.stdout.decode(), r'(?m)^"Learning recorded, by category",service_delivery,1$')

    def test_a_responder_quoting_every_confirmation_is_answered_three_times_an_hour(self) -> None:
        # Something at Ivy's address (a forwarding rule, a broken auto-responder without RFC
        # 3834 headers) answers every letter through its Reply-To by quoting it, with nothing
        # above: each is refused, and each refusal is a confirmation it answers again.
        ref = self.complaint("Bins not collected", "My bins were not collected for three weeks.")
        letter = self.letters_to(IVY, "New case for you")[0]
        before = self.case(ref)
        confirmations = 0
        for _ in range(8):
            for user in USERS:
                self.servers.clear_folder(user)
            self.reply(IVY, email.utils.parseaddr(str(letter["Reply-To"]))[1], letter, "")
            self.deliver_and_run()
            self.servers.wait_for_queue_empty()
            told = self.letters_to(IVY, "Your reply")
            if not told:
                break  # complaintd stopped answering: the loop is over
            self.assertEqual(len(told), 1)
            self.assertIn("no text above the quoted letter", body_of(told[0]))
            confirmations += 1
            letter = told[0]
        # The refusal of the reply to the referral, then two answers to replies to confirmations.
        self.assertEqual(confirmations, 3)
        withheld = self.events(ref, "letter-withheld")
        self.assertEqual(len(withheld), 1)
        self.assertIn("staff_confirmation to ivy@example.test not sent", withheld[0])
        self.assertIn("event=letter-withheld kind=staff_confirmation to=ivy@example.test in_window=3", self.log)
        self.assertEqual(len(self.events(ref, "staff-commands-refused")), 4)  # every reply is on the timeline
        self.assertEqual(self.case(ref), before)

    def test_others_learn_nothing_an_advocate_may_write_and_a_withdrawal_is_confirmed(self) -> None:
        letter_pdf = b"%PDF-1.4 the council's refusal letter\n" + bytes(range(256)) * 40
        ref = self.complaint("Parking permit refused", "My parking permit renewal was refused without a reason.",
                             attachment=("refusal letter.pdf", letter_pdf))
        referral = self.letters_to(IVY, "New case for you")[0]
        with self.subTest("the referral carries the customer's attachment"):
            files = [(p.get_filename(), p.get_content()) for p in referral.iter_attachments()]
            self.assertEqual(files, [("refusal letter.pdf", letter_pdf)])
            self.assertIn("refusal letter.pdf", body_of(referral))
        reply_to = email.utils.parseaddr(str(referral["Reply-To"]))[1]
        before = self.case(ref)
        for user in USERS:
            self.servers.clear_folder(user)

        with self.subTest("somebody else writing about the case is told nothing"):
            raw = harness.make_message(MALLORY, COMPLAINTS, f"Re: [{ref}] Parking permit refused",
                                       "What is happening with this case? Who is dealing with it?")
            self.servers.send(MALLORY, COMPLAINTS, raw)
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertEqual(self.inbox(MALLORY), [])
            self.assertEqual(len(self.events(ref, "third-party-message")), 1)
            self.assertEqual(self.inbox(IVY), [])

        with self.subTest("once the case records an advocate, they may write for the customer"):
            self.reply(IVY, reply_to, referral, f"advocate Mallory Friend <{MALLORY}>")
            self.deliver_and_run()
            self.assertEqual(self.query("SELECT advocate_address FROM cases WHERE reference = ?", ref)[0][0], MALLORY)
            self.servers.clear_folder(IVY)
            raw = harness.make_message(MALLORY, COMPLAINTS, f"Re: [{ref}] Parking permit refused",
                                       "I write for my neighbour: she has now sent the documents you asked for.")
            self.servers.send(MALLORY, COMPLAINTS, raw)
            self.deliver_and_run()
            forwarded = self.letters_to(IVY, "The customer wrote again")
            self.assertEqual(len(forwarded), 1)
            self.assertIn("sent the documents", body_of(forwarded[0]))

        with self.subTest("a withdrawal is confirmed and stops the clock"):
            self.servers.clear_folder(IVY)
            raw = harness.make_message(CUSTOMER, COMPLAINTS, f"Re: [{ref}] Parking permit refused",
                                       "Please withdraw my complaint, the permit has now arrived.")
            self.servers.send(CUSTOMER, COMPLAINTS, raw)
            self.deliver_and_run()
            self.assertEqual(self.case(ref)[0], "withdrawn")
            self.assertEqual(len(self.letters_to(CUSTOMER, ref)), 1)
            self.assertEqual(len(self.letters_to(IVY, ref)), 1)  # the handler is told to stop
            self.assertEqual(self.query("SELECT COUNT(*) FROM deadlines d JOIN cases c ON c.id = d.case_id "
                                        "WHERE c.reference = ? AND d.done_at IS NULL", ref)[0][0], 0)
        self.assert_no_reply_token_logged()

    def test_resolve_at_stage_one_leaves_the_customer_their_stage_two(self) -> None:
        # The story: the manager closes the case by replying; the customer, not
        # satisfied, asks for the next stage within its window, and Stage 2 opens.
        ref = self.complaint("Fence damaged", "Your grass-cutting crew damaged my garden fence.")
        referral = self.letters_to(IVY, "New case for you")[0]
        reply_to = email.utils.parseaddr(str(referral["Reply-To"]))[1]
        for user in USERS:
            self.servers.clear_folder(user)

        with self.subTest("resolve with the learning recorded"):
            self.reply(IVY, reply_to, referral,
                       "learning service delivery: crews now check for fences before cutting\n"
                       "resolve\n\nDear Alice,\n\nWe will repair your fence this week.\n\nIvy")
            self.deliver_and_run()
            self.assertEqual(self.case(ref)[:2], ("responded", 0))
            response = self.letters_to(CUSTOMER, ref)
            self.assertEqual(len(response), 1)
            text = body_of(response[0])
            self.assertIn("repair your fence", text)
            self.assertIn("Stage 2", text)  # the right to ask for it is still there, with its date
            self.assertRegex(text, r"by \w+ \d+ \w+ \d{4}")
            confirmation = body_of(self.letters_to(IVY, "Your reply")[0])
            self.assertIn("your response was sent to the customer", confirmation)
            self.assertIn("the case closes then if they do not", confirmation.replace("\n", " "))
            self.assertTrue(any(f"resolved by {IVY}" in e for e in self.events(ref, "responded")))

        with self.subTest("the customer asks for Stage 2 in time and it opens"):
            self.ask_for_stage_two(ref, "Fence damaged",
                                   "I am not satisfied: the fence is still broken. I would like a stage 2 review.")
            state, stage, handler, *_ = self.case(ref)
            self.assertEqual((state, stage, handler), ("open", 1, ANN))
            self.assertEqual(self.events(ref, "next-stage-refused"), [])
            self.assertEqual(len(self.inbox(ANN)), 1)

        with self.subTest("the report counts the case under both stages, each by its own dates"):
            stages = self.query("SELECT s.stage_index, s.stage, s.responded_at != '', s.ended_at != '', "
                                "o.kind, o.status FROM case_stages s JOIN cases c ON c.id = s.case_id "
                                "JOIN outbox o ON o.id = s.acknowledgement_id WHERE c.reference = ? "
                                "ORDER BY s.stage_index", ref)
            self.assertEqual(stages, [(0, "Stage 1", 1, 1, "acknowledgement", "sent"),
                                      (1, "Stage 2", 0, 0, "acknowledgement", "sent")])
            self.assertEqual(self.query("SELECT responded_at FROM cases WHERE reference = ?", ref), [("",)])
            today = dt.date.today()
            r = subprocess.run([harness.complaintd_binary(), "report", "--config", str(self.config), "--format",
                                "json", "--from", (today - dt.timedelta(days=1)).isoformat(),
                                "--to", (today + dt.timedelta(days=1)).isoformat()], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            sla = {s["stage"]: s for s in json.loads(r.stdout)["sla"]}
            pick = ("cases", "acknowledgements_due", "acknowledged_on_time", "responses_due", "responded_on_time")
            self.assertEqual([sla["Stage 1"][k] for k in pick], [1, 1, 1, 1, 1])
            self.assertEqual([sla["Stage 2"][k] for k in pick], [1, 1, 1, 0, 0])
            shown = subprocess.run([harness.complaintd_binary(), "cases", "show", ref, "--config", str(self.config)],
                                   capture_output=True, text=True)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertRegex(shown.stdout, r"\n  1\. Stage 1: opened \S+; acknowledge by \S+ \(letter #\d+\); "
                                           r"respond by \S+; responded \S+; ended \S+\n")
            self.assertRegex(shown.stdout, r"\n  2\. Stage 2: opened \S+; acknowledge by \S+ \(letter #\d+\); "
                                           r"respond by \S+\n")

    def test_with_required_authentication_only_an_authenticated_reply_acts(self) -> None:
        # The receiving server (here, as if a milter in front of it) records SPF and DKIM in
        # Authentication-Results; only its own results are believed.
        self.write_config('\n[replies]\nrequire_authentication = true\nauthserv_id = "mx.example.test"\n')
        ref = self.complaint("Graffiti on the library", "The library wall has been covered in graffiti for weeks.")
        referral = self.letters_to(IVY, "New case for you")[0]
        reply_to = email.utils.parseaddr(str(referral["Reply-To"]))[1]
        before = self.case(ref)
        for user in USERS:
            self.servers.clear_folder(user)

        with self.subTest("no Authentication-Results: nothing happens"):
            self.reply(IVY, reply_to, referral, "respond\n\nDear Alice, it will be cleaned.")
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertTrue(any("not authenticated" in e for e in self.events(ref, "reply-rejected")))
            self.assertRegex(self.log, rf"case={ref} event=reply-rejected from=\"{IVY}\" reason=\"the sender is not "
                                       r"authenticated")
            self.assertEqual(self.letters_to(CUSTOMER, ref), [])

        with self.subTest("a pass from a server that is not trusted: nothing happens"):
            self.reply(IVY, reply_to, referral, "respond\n\nDear Alice, it will be cleaned.",
                       headers={"Authentication-Results": f"mx.attacker.test; spf=pass smtp.mailfrom={IVY}"})
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertEqual(len(self.events(ref, "reply-rejected")), 2)

        with self.subTest("a fail from the trusted server: nothing happens"):
            self.reply(IVY, reply_to, referral, "respond\n\nDear Alice, it will be cleaned.",
                       headers={"Authentication-Results": f"mx.example.test; spf=fail smtp.mailfrom={IVY}; "
                                                         "dkim=fail header.d=example.test"})
            self.deliver_and_run()
            self.assertEqual(self.case(ref), before)
            self.assertEqual(len(self.events(ref, "reply-rejected")), 3)

        with self.subTest("DKIM pass from the trusted server: the response goes out"):
            self.reply(IVY, reply_to, referral, "respond\n\nDear Alice, the wall will be cleaned on Monday.",
                       headers={"Authentication-Results": "mx.example.test; dkim=pass header.d=example.test; "
                                                         f"spf=none smtp.mailfrom={IVY}"})
            self.deliver_and_run()
            self.assertEqual(self.case(ref)[0], "responded")
            response = self.letters_to(CUSTOMER, ref)
            self.assertEqual(len(response), 1)
            self.assertIn("cleaned on Monday", body_of(response[0]))


if __name__ == "__main__":
    unittest.main()
