"""The commands people run, on a database seeded through the real pipeline: `report` in
every format, `cases list` (table, JSON, every filter), `outbox list|retry`, and
`quarantine list|show|replay` on a message that really was quarantined."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
PEOPLE = ["fay@example.test", "gil@example.test", "hal@example.test"]
TEAM = "team@example.test"      # the coordinator: handles what no route claims
WENDY = "wendy@example.test"    # the waste manager: routed the bins
# `cases list` columns (daemon/cli.cpp): widths of all but the last, one space between.
TABLE_WIDTHS = (18, 20, 10, 9, 8, 28)


def table_rows(out: str) -> tuple[list[str], list[list[str]], str]:
    """A fixed-width table as printed: its header, its rows as lists of cells, its last line."""
    lines = out.rstrip("\n").split("\n")

    def cells(line: str) -> list[str]:
        out, at = [], 0
        for width in TABLE_WIDTHS:
            out.append(line[at:at + width].rstrip())
            at += width + 1
        return out + [line[at:]]
    return cells(lines[0]), [cells(line) for line in lines[1:-1]], lines[-1]


class Reports(harness.MailTestCase):
    users = {COMPLAINTS: "pw", TEAM: "pw", WENDY: "pw", **{p: "pw" for p in PEOPLE}}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.dir = Path(tempfile.mkdtemp(prefix="complaintd-reports-"))
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.config = cls.dir / "complaintd.toml"
        harness.write_config(cls.config, cls.servers, name="Report Test Council", poll_interval=None, extra="""
            [[stage]]
            name = "Stage 1"
            acknowledge_within = "5 working days"
            respond_within = "20 working days"

            [[stage]]
            name = "Stage 2"
            respond_within = "10 working days"

            [roles]
            coordinator = "Complaints Team <team@example.test>"
            waste = "Wendy Waste <wendy@example.test>"

            [procedure]
            coordinator = "coordinator"

            # Seeded so that --manager and --category always have something to find.
            [[triage.route]]
            name = "waste"
            department = "Waste"
            manager = "waste"
            keywords = ["bins"]

            [[triage.category]]
            name = "waste_collection"
            label = "Waste collection"
            keywords = ["bins"]
            """)
        subjects = ["Bins not collected", "Rude reply at the library", "Pothole outside number 9"]
        for n, (person, subject) in enumerate(zip(PEOPLE, subjects)):
            cls.servers.send(person, COMPLAINTS, harness.make_message(
                person, COMPLAINTS, subject, "Please look into this.", message_id=f"<report-{n}@example.test>"))
            # One at a time: Postfix may deliver mail in any order, and the cases' order
            # (fay's bins first) is what the tests below rely on.
            cls.servers.wait_for_messages(COMPLAINTS, count=n + 1)
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(cls.config)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        # One response on time, one late, written as apply_plan records them: the case row
        # and its stage's row (the report reads the latter).
        with sqlite3.connect(cls.dir / "complaintd.db") as db:
            rows = db.execute("SELECT id, received_at, respond_by FROM cases ORDER BY id").fetchall()
            db.execute("UPDATE cases SET state = 'responded', responded_at = ? WHERE id = ?", (rows[0][1], rows[0][0]))
            db.execute("UPDATE case_stages SET responded_at = ? WHERE case_id = ?", (rows[0][1], rows[0][0]))
            late = (dt.datetime.fromisoformat(rows[1][2].replace("Z", "+00:00")) + dt.timedelta(days=3))
            late_iso = late.strftime("%Y-%m-%dT%H:%M:%SZ")
            db.execute("UPDATE cases SET state = 'closed', responded_at = ?, closed_at = ? WHERE id = ?",
                       (late_iso, late_iso, rows[1][0]))
            db.execute("UPDATE case_stages SET responded_at = ?, ended_at = ? WHERE case_id = ?",
                       (late_iso, late_iso, rows[1][0]))
        cls.today = dt.datetime.now(dt.timezone.utc).astimezone().date()

    def complaintd(self, *args: str) -> str:
        r = subprocess.run([harness.complaintd_binary(), *args, "--config", str(self.config)], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def period(self) -> list[str]:
        start = self.today - dt.timedelta(days=1)
        return ["--from", start.isoformat(), "--to", (self.today + dt.timedelta(days=1)).isoformat()]

    def test_text_report(self) -> None:
        out = self.complaintd("report", *self.period())
        self.assertIn("Report Test Council", out)
        self.assertIn("Received: 3 (compliments: 0)", out)
        self.assertRegex(out, r"Stage 1\s+3\s+100%\s+50%\s+0")  # 3 cases; acks on time; 1 of 2 responses on time
        self.assertRegex(out, r"Stage 2\s+0\s+-\s+-\s+0")

    def test_json_and_csv_agree(self) -> None:
        data = json.loads(self.complaintd("report", *self.period(), "--format", "json"))
        self.assertEqual(data["received"], 3)
        stage1 = data["sla"][0]
        self.assertEqual((stage1["cases"], stage1["acknowledged"], stage1["acknowledged_on_time"]), (3, 3, 3))
        self.assertEqual((stage1["responded"], stage1["responded_on_time"]), (2, 1))
        rows = list(csv.reader(io.StringIO(self.complaintd("report", *self.period(), "--format", "csv"))))
        self.assertIn(["summary", "received", "3"], rows)
        self.assertIn(["sla", "Stage 1 responded on time", "1"], rows)

    def test_report_as_at_a_later_instant(self) -> None:
        # Two months on, the third complaint's response (never sent) is due too, and late.
        later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = json.loads(self.complaintd("report", *self.period(), "--format", "json", "--at", later))
        self.assertEqual(data["as_at"], later)
        self.assertNotEqual(data["generated_at"], later)
        stage1 = data["sla"][0]
        self.assertEqual((stage1["responses_due"], stage1["responded_on_time"], stage1["open_overdue"]), (3, 1, 1))
        now = json.loads(self.complaintd("report", *self.period(), "--format", "json"))
        self.assertEqual(now["sla"][0]["responses_due"], 2)
        self.assertEqual(now["as_at"], now["generated_at"])
        self.assertIn(f"As at {later}", self.complaintd("report", *self.period(), "--at", later))
        r = subprocess.run([harness.complaintd_binary(), "report", *self.period(), "--at", "next week",
                            "--config", str(self.config)], capture_output=True, text=True)
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--at", r.stderr)

    def test_html_is_one_self_contained_page(self) -> None:
        html = self.complaintd("report", *self.period(), "--format", "html")
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertIn("<svg", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("<link", html)

    def test_a_period_before_anything_is_empty(self) -> None:
        out = self.complaintd("report", "--from", "2020-01-01", "--to", "2020-01-31")
        self.assertIn("Received: 0", out)

    def test_bad_dates_are_usage_errors(self) -> None:
        r = subprocess.run([harness.complaintd_binary(), "report", "--from", "yesterday", "--to", "2026-01-01",
                            "--config", str(self.config)], capture_output=True, text=True)
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("dates like", r.stderr)

    def test_cases_list_filters(self) -> None:
        def refs(*args: str) -> list[str]:
            return [c["reference"] for c in json.loads(self.complaintd("cases", "list", "--json", *args))]
        every = refs()
        self.assertEqual(len(every), 3)
        self.assertEqual(refs("--open"), [every[0], every[2]])        # the second one is closed
        self.assertEqual(refs("--stage", "stage 1"), every)           # case-insensitive
        self.assertEqual(refs("--stage", "Stage 2"), [])
        self.assertEqual(refs("--kind", "compliment"), [])
        self.assertEqual(refs("--overdue"), [])                        # nothing is late yet
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            (kept,) = db.execute("SELECT respond_by FROM cases WHERE reference = ?", (every[2],)).fetchone()
            db.execute("UPDATE cases SET respond_by = '2020-01-01T00:00:00Z' WHERE reference = ?", (every[2],))
        try:
            self.assertEqual(refs("--overdue"), [every[2]])
        finally:
            with sqlite3.connect(self.dir / "complaintd.db") as db:
                db.execute("UPDATE cases SET respond_by = ? WHERE reference = ?", (kept, every[2]))
        # Two months on, the third complaint, open and never answered, is late; the first was
        # answered in time. What a coordinator asks on Monday of Friday's deadlines.
        later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(refs("--open"), [every[0], every[2]])
        self.assertEqual(refs("--overdue", "--at", later), [every[2]])
        self.assertEqual(refs("--overdue", "--at", "2020-01-01T00:00:00Z"), [])
        for args, says in ((["--at", later], "--at requires --overdue"), (["--overdue", "--at", "friday"], "--at")):
            r = subprocess.run([harness.complaintd_binary(), "cases", "list", *args, "--config", str(self.config)],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 64, r.stderr)   # usage errors, CLI11's own included
            self.assertIn(says, r.stderr)
        self.assertEqual(refs("--manager", WENDY.upper()), [every[0]])  # the bins were routed to Wendy
        self.assertEqual(refs("--manager", TEAM), every[1:])
        self.assertEqual(refs("--manager", "nobody@example.test"), [])
        self.assertEqual(refs("--open", "--manager", TEAM), [every[2]])  # filters combine

    def test_outbox_retry_sends_a_failed_letter_again(self) -> None:
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            letter = db.execute("SELECT id, rcpt FROM outbox ORDER BY id LIMIT 1").fetchone()
            db.execute("UPDATE outbox SET status = 'failed', last_error = '550 simulated' WHERE id = ?", (letter[0],))
        before = self.servers.count(letter[1])
        self.assertIn("1 letter(s)", self.complaintd("outbox", "retry"))
        self.assertIn("0 letter(s)", self.complaintd("outbox", "retry"))  # nothing failed any more
        self.complaintd("run", "--once")
        self.servers.wait_for_messages(letter[1], count=before + 1)
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            self.assertEqual(db.execute("SELECT status FROM outbox WHERE id = ?", (letter[0],)).fetchone()[0], "sent")

    def test_cases_list_by_category(self) -> None:
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            (cats, ref) = db.execute("SELECT categories, reference FROM cases ORDER BY id LIMIT 1").fetchone()
        self.assertIn("waste_collection", cats.splitlines())
        listed = [c["reference"] for c in json.loads(self.complaintd("cases", "list", "--json", "--category",
                                                                     "waste_collection"))]
        self.assertEqual(listed, [ref])  # only the bins
        self.assertEqual(json.loads(self.complaintd("cases", "list", "--json", "--category", "no_such_category")), [])

    def test_cases_list_table(self) -> None:
        cases = json.loads(self.complaintd("cases", "list", "--json"))
        header, rows, total = table_rows(self.complaintd("cases", "list"))
        self.assertEqual(header, ["REFERENCE", "RECEIVED", "RESPOND BY", "STATE", "STAGE", "CUSTOMER", "SUBJECT"])
        self.assertEqual(total, "3 case(s)")
        self.assertEqual(rows, [[c["reference"], c["received_at"], c["respond_by"], c["state"], c["stage"],
                                 c["customer"], c["subject"]] for c in cases])
        self.assertEqual([r[3] for r in rows], ["responded", "closed", "open"])
        self.assertEqual([r[5] for r in rows], PEOPLE)
        for r in rows:
            self.assertRegex(r[0], r"^CMP-\d{4}-\d{6}$")
            self.assertRegex(r[1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(r[2], r"^\d{4}-\d\d-\d\d$")
        _, rows, total = table_rows(self.complaintd("cases", "list", "--open", "--stage", "Stage 1"))
        self.assertEqual(([r[0] for r in rows], total), ([cases[0]["reference"], cases[2]["reference"]], "2 case(s)"))

    def test_outbox_list(self) -> None:
        out = self.complaintd("outbox", "list")
        lines = out.rstrip("\n").split("\n")
        self.assertRegex(lines[0], r"^ID +KIND +STATUS +ATTEMPTS +TO +LAST ERROR$")
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            letters = db.execute("SELECT id, kind, status, attempts, rcpt FROM outbox ORDER BY id").fetchall()
        self.assertEqual(len(lines) - 1, len(letters))
        # An acknowledgement to each customer, a referral to each case's manager.
        self.assertEqual(sorted((kind, rcpt) for _, kind, _, _, rcpt in letters),
                         sorted([("acknowledgement", p) for p in PEOPLE] +
                                [("referral", WENDY), ("referral", TEAM), ("referral", TEAM)]))
        for line, (id_, kind, status, attempts, rcpt) in zip(lines[1:], letters):
            self.assertEqual(line.split(), [str(id_), kind, status, str(attempts), rcpt])
        # --status picks, and a failed letter shows why.
        failed = letters[-1][0]
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            db.execute("UPDATE outbox SET status = 'failed', last_error = '550 5.1.1 mailbox unknown' WHERE id = ?",
                       (failed,))
        try:
            lines = self.complaintd("outbox", "list", "--status", "failed").rstrip("\n").split("\n")
            self.assertEqual(len(lines), 2, lines)
            self.assertRegex(lines[1], rf"^{failed} +referral +failed +\d+ +\S+ +550 5\.1\.1 mailbox unknown$")
            sent = self.complaintd("outbox", "list", "--status", "sent").rstrip("\n").split("\n")[1:]
            self.assertEqual(len(sent), len(letters) - 1)
            self.assertTrue(all(line.split()[2] == "sent" for line in sent))
        finally:
            with sqlite3.connect(self.dir / "complaintd.db") as db:
                db.execute("UPDATE outbox SET status = 'sent', last_error = '' WHERE id = ?", (failed,))

    def test_usage_errors_have_their_exit_codes(self) -> None:
        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([harness.complaintd_binary(), *args, "--config", str(self.config)],
                                  capture_output=True, text=True)
        r = run("tick", "--at", "next tuesday")
        self.assertEqual(r.returncode, 64, r.stderr)        # docs/OPERATIONS.md: a bad value
        # What the command-line parser itself refuses is a usage error too (man page, EXIT STATUS).
        for args in (["explain", "--format", "xml"], ["cases", "list", "--no-such-option"], ["report"]):
            r = run(*args)
            self.assertEqual(r.returncode, 64, (args, r.stderr))
        r = run("quarantine", "show", "999999")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no quarantined message #999999", r.stderr)
        r = run("outbox", "retry", "999999")
        self.assertEqual(r.returncode, 1, r.stderr)
        # A configuration that does not load is 78 for every command that reads the database,
        # as for run and check-config (not 75: retrying does not fix a file).
        broken = self.dir / "broken.toml"
        broken.write_text(self.config.read_text(encoding="utf-8") + "\n[service]\nname = \"twice\"\n",
                          encoding="utf-8")
        for args in (["cases", "list"], ["cases", "show", "CMP-2026-000001"], ["outbox", "list"], ["outbox", "retry"],
                     ["quarantine", "list"], ["quarantine", "show", "1"], ["check-config"], ["report", "--from",
                     "2026-01-01", "--to", "2026-01-31"]):
            r = subprocess.run([harness.complaintd_binary(), *args, "--config", str(broken)], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 78, (args, r.stderr))

    def test_quarantine_is_empty_after_a_healthy_run(self) -> None:
        out = self.complaintd("quarantine", "list")
        self.assertIn("0 message(s)", out)


class QuarantineCommands(harness.MailTestCase):
    """A message the daemon could not process, really quarantined by `run --once`: the
    database refuses it, every time (a constraint: here a trigger the site added, as a local
    rule might). Retrying cannot help, so it must not hold up the mailbox: it is kept, with
    the reason, for a person. The fix is to the database; the replay then opens the case that
    the message should have opened."""

    users = {COMPLAINTS: "pw", PEOPLE[0]: "pw"}
    SUBJECT = "Bins {{#not collected"
    TRIGGER = ("CREATE TRIGGER local_rule BEFORE INSERT ON cases WHEN NEW.subject LIKE 'Bins%' "
               "BEGIN SELECT RAISE(ABORT, 'local rule: bins go to the contractor'); END")

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.dir = Path(tempfile.mkdtemp(prefix="complaintd-quarantine-"))
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.config = harness.write_config(cls.dir / "complaintd.toml", cls.servers, name="Quarantine Council",
                                          poll_interval=None)
        cls.db = cls.dir / "complaintd.db"
        # The database as the daemon makes it (an empty mailbox), then the site's trigger.
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(cls.config)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        with sqlite3.connect(cls.db) as db:
            db.execute(cls.TRIGGER)
        cls.raw = harness.make_message(PEOPLE[0], COMPLAINTS, cls.SUBJECT, "Third week running.",
                                       message_id="<quarantined-1@example.test>")
        cls.servers.send(PEOPLE[0], COMPLAINTS, cls.raw)
        [cls.delivered] = cls.servers.wait_for_messages(COMPLAINTS, count=1)
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(cls.config)],
                           capture_output=True, text=True, timeout=120)
        # The mailbox went on (exit 0); the message is kept, not lost and not retried.
        assert r.returncode == 0, r.stderr
        cls.run_log = r.stderr

    def complaintd(self, *args: str, code: int = 0) -> subprocess.CompletedProcess:
        r = subprocess.run([harness.complaintd_binary(), *args, "--config", str(self.config)], capture_output=True,
                           timeout=120)
        self.assertEqual(r.returncode, code, r.stderr.decode(errors="replace"))
        return r

    def text(self, *args: str, code: int = 0) -> str:
        return self.complaintd(*args, code=code).stdout.decode()

    def test_list_show_fix_replay(self) -> None:
        self.assertRegex(self.run_log, r"event=quarantined message=1 reason=\"the database refused it: .*"
                                       r"local rule: bins go to the contractor")
        self.assertEqual(json.loads(self.text("cases", "list", "--json")), [])
        self.assertIn("\\Seen", self.servers.messages(COMPLAINTS)[0].flags)  # the mailbox moved on

        with self.subTest("quarantine list"):
            lines = self.text("quarantine", "list").rstrip("\n").split("\n")
            self.assertRegex(lines[0], r"^ID +RECEIVED +STATE +SIZE +FROM +REASON$")
            self.assertRegex(lines[1], rf"^1 +\d{{4}}-\d\d-\d\dT\S+Z +quarantined +{len(self.delivered.raw)} +"
                                       rf"{re.escape(PEOPLE[0])} +the database refused it: .*local rule")
            self.assertEqual(lines[2], "1 message(s)")

        with self.subTest("quarantine show"):
            out = self.text("quarantine", "show", "1")
            self.assertIn("Message #1 (quarantined)", out)
            self.assertRegex(out, r"Mailbox: +complaints UID \d+")
            self.assertRegex(out, rf"From: +{re.escape(PEOPLE[0])}\n")
            self.assertRegex(out, rf"Subject: +{re.escape(self.SUBJECT)}\n")
            self.assertRegex(out, r"Message-ID: +<?quarantined-1@example\.test>?\n")
            self.assertRegex(out, rf"Size: +{len(self.delivered.raw)} bytes")
            self.assertRegex(out, r"Reason: +the database refused it: .*local rule: bins go to the contractor")
            self.assertIn(f"complaintd quarantine replay 1 --config {self.config}", out)
            # --raw: the message exactly as the IMAP server held it, to replay by hand if need be.
            self.assertEqual(self.complaintd("quarantine", "show", "1", "--raw").stdout, self.delivered.raw)

        with self.subTest("a replay before the fix fails and keeps the message"):
            r = self.complaintd("quarantine", "replay", "1", code=1)
            self.assertIn(b"replay failed, the message stays in quarantine", r.stderr)
            self.assertIn("1 message(s)", self.text("quarantine", "list"))
            self.assertEqual(json.loads(self.text("cases", "list", "--json")), [])

        with self.subTest("after the fix the replay opens the case and the customer hears"):
            with sqlite3.connect(self.db) as db:
                db.execute("DROP TRIGGER local_rule")
            out = self.text("quarantine", "replay", "1")
            self.assertRegex(out, r"^message #1: new-case CMP-\d{4}-\d{6}\n$")
            reference = out.split()[-1]
            [case] = json.loads(self.text("cases", "list", "--json"))
            self.assertEqual((case["reference"], case["customer"], case["subject"]),
                             (reference, PEOPLE[0], self.SUBJECT))
            self.assertIn("0 message(s)", self.text("quarantine", "list"))  # nothing waits any more
            replayed = self.text("quarantine", "list", "--all").rstrip("\n").split("\n")
            self.assertRegex(replayed[1], r"^1 +\S+ +replayed ")
            self.assertIn("Message #1 (replayed)", self.text("quarantine", "show", "1"))
            self.text("run", "--once")  # sends the acknowledgement the replay queued
            [ack] = self.servers.wait_for_messages(PEOPLE[0], count=1)
            self.assertIn(reference.encode(), ack.raw)

        with self.subTest("a second replay opens nothing"):
            r = self.complaintd("quarantine", "replay", "1", code=1)
            self.assertIn(b"was replayed already", r.stderr)
            self.assertEqual(len(json.loads(self.text("cases", "list", "--json"))), 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
