"""The commands people run, on a database seeded through the real pipeline: `report` in
every format, and `quarantine` listing nothing on a healthy run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
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


class Reports(harness.MailTestCase):
    users = {COMPLAINTS: "pw", **{p: "pw" for p in PEOPLE}}

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
            """)
        subjects = ["Bins not collected", "Rude reply at the library", "Pothole outside number 9"]
        for n, (person, subject) in enumerate(zip(PEOPLE, subjects)):
            cls.servers.send(person, COMPLAINTS, harness.make_message(
                person, COMPLAINTS, subject, "Please look into this.", message_id=f"<report-{n}@example.test>"))
        cls.servers.wait_for_messages(COMPLAINTS, count=3)
        r = subprocess.run([harness.complaintd_binary(), "run", "--once", "--config", str(cls.config)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        # One response on time, one late (recorded as issue 6's manager commands will).
        with sqlite3.connect(cls.dir / "complaintd.db") as db:
            rows = db.execute("SELECT id, received_at, respond_by FROM cases ORDER BY id").fetchall()
            db.execute("UPDATE cases SET state = 'responded', responded_at = ? WHERE id = ?", (rows[0][1], rows[0][0]))
            late = (dt.datetime.fromisoformat(rows[1][2].replace("Z", "+00:00")) + dt.timedelta(days=3))
            db.execute("UPDATE cases SET state = 'closed', responded_at = ?, closed_at = ? WHERE id = ?",
                       (late.strftime("%Y-%m-%dT%H:%M:%SZ"),) * 2 + (rows[1][0],))
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
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            handler = db.execute("SELECT handler_address FROM cases WHERE reference = ?", (every[0],)).fetchone()[0]
        if handler:
            self.assertIn(every[0], refs("--manager", handler.upper()))

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
        if cats:
            first = cats.splitlines()[0]
            listed = [c["reference"] for c in json.loads(self.complaintd("cases", "list", "--json", "--category", first))]
            self.assertIn(ref, listed)
        self.assertEqual(json.loads(self.complaintd("cases", "list", "--json", "--category", "no_such_category")), [])

    def test_usage_errors_have_their_exit_codes(self) -> None:
        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([harness.complaintd_binary(), *args, "--config", str(self.config)],
                                  capture_output=True, text=True)
        r = run("tick", "--at", "next tuesday")
        self.assertEqual(r.returncode, 64, r.stderr)        # docs/OPERATIONS.md: a bad value
        r = run("quarantine", "show", "999999")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no quarantined message #999999", r.stderr)
        r = run("outbox", "retry", "999999")
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_quarantine_is_empty_after_a_healthy_run(self) -> None:
        out = self.complaintd("quarantine", "list")
        self.assertIn("0 message(s)", out)


if __name__ == "__main__":
    import unittest
    unittest.main()
