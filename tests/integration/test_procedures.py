"""The shipped procedures, run for real: each example config passes check-config, and a
complaint sent through Postfix is followed through time with `complaintd tick --at`; every
letter of the procedure must arrive in the right real mailbox on the right working day,
and not a minute before. The working-day arithmetic here is written independently of the
C++ calendar (Python's zoneinfo and the shipped bank-holiday file)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

EXAMPLES = harness.REPO_ROOT / "examples"
HOLIDAYS = EXAMPLES / "calendars" / "england-and-wales.txt"
LONDON = ZoneInfo("Europe/London")


def example_configs() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*/complaintd.toml"))


def addresses_in(text: str) -> set[str]:
    return {a.lower() for a in re.findall(r"[\w.+-]+@example\.org", text)}


def localise(text: str, servers: harness.MailServers, workdir: Path, example_dir: Path) -> str:
    """The example as it would run here: its own addresses on the test domain, the test
    servers, a database in `workdir`, and absolute paths to the example's files."""
    text = text.replace("@example.org", "@example.test")
    text = re.sub(r'url = "imaps?://[^"]*"', f'url = "imap://127.0.0.1:{servers.imap_port}"', text)
    text = re.sub(r'url = "smtps?://[^"]*"', f'url = "smtp://127.0.0.1:{servers.smtp_port}"', text)
    text = re.sub(r'password_file = "[^"]*"', 'password = "pw"', text)
    text = re.sub(r'database = "[^"]*"', f'database = "{workdir / "complaintd.db"}"', text)
    text = re.sub(r'poll_interval = "[^"]*"', 'poll_interval = "1s"', text)
    text = re.sub(r'letters = "letters"', f'letters = "{example_dir / "letters"}"', text)
    text = re.sub(r'holidays_file = "([^"]*)"',
                  lambda m: f'holidays_file = "{(example_dir / m.group(1)).resolve()}"', text)
    return text


class Calendar:
    """Monday to Friday less the bank holidays in the shipped file."""

    def __init__(self) -> None:
        self.holidays = set()
        for line in HOLIDAYS.read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                self.holidays.add(dt.date.fromisoformat(line))

    def working(self, d: dt.date) -> bool:
        return d.weekday() < 5 and d not in self.holidays

    def add(self, d: dt.date, n: int) -> dt.date:
        step = 1 if n >= 0 else -1
        while n != 0:
            d += dt.timedelta(days=step)
            if self.working(d):
                n -= step
        return d

    @staticmethod
    def end_of(d: dt.date) -> dt.datetime:
        """The instant the local day `d` ends, in UTC."""
        nxt = d + dt.timedelta(days=1)
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=LONDON).astimezone(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ExamplesPassCheckConfig(unittest.TestCase):
    def test_every_example_passes_check_config(self) -> None:
        binary = harness.complaintd_binary()
        configs = example_configs()
        self.assertGreaterEqual(len(configs), 1)
        for config in configs:
            with self.subTest(example=config.parent.name), tempfile.TemporaryDirectory() as tmp:
                # Only the secrets and the database move; everything else is the shipped file.
                text = config.read_text()
                text = re.sub(r'password_file = "[^"]*"', 'password = "pw"', text)
                text = re.sub(r'database = "[^"]*"', f'database = "{tmp}/complaintd.db"', text)
                text = text.replace('letters = "letters"', f'letters = "{config.parent / "letters"}"')
                text = re.sub(r'holidays_file = "([^"]*)"',
                              lambda m: f'holidays_file = "{(config.parent / m.group(1)).resolve()}"', text)
                path = Path(tmp) / "complaintd.toml"
                path.write_text(text)
                r = subprocess.run([binary, "check-config", "--config", str(path)], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


COUNCIL = EXAMPLES / "solihull-council"
CUSTOMER = "resident@example.test"


def council_users() -> dict[str, str]:
    text = (COUNCIL / "complaintd.toml").read_text()
    users = {a.replace("@example.org", "@example.test"): "pw" for a in addresses_in(text)}
    users[CUSTOMER] = "pw"
    return users


class CouncilTimeline(harness.MailTestCase):
    """The council's stage 1 with no response: acknowledgement and referral at once, two
    reminders, a holding letter, and the escalation ladder, each on its working day."""

    users = council_users()

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-procedure-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.config = self.dir / "complaintd.toml"
        self.config.write_text(localise((COUNCIL / "complaintd.toml").read_text(), self.servers, self.dir, COUNCIL))
        self.binary = harness.complaintd_binary()

    def complaintd(self, *args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([self.binary, *args, "--config", str(self.config)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, f"complaintd {' '.join(args)}: {r.stderr}")
        return r

    def outbox_count(self) -> int:
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def subjects(self, user: str) -> list[str]:
        return [str(email.message_from_bytes(m.raw, policy=email.policy.default)["Subject"])
                for m in self.servers.messages(user)]

    def test_each_letter_arrives_on_its_working_day_and_not_before(self) -> None:
        msg = harness.make_message(CUSTOMER, "complaints@example.test", "Potholes on Elm Road",
                                   "The potholes on Elm Road have damaged my car twice this month.",
                                   message_id="<pothole-1@example.test>")
        self.servers.send(CUSTOMER, "complaints@example.test", msg)
        self.servers.wait_for_messages("complaints@example.test", count=1)
        self.complaintd("run", "--once")

        with sqlite3.connect(self.dir / "complaintd.db") as db:
            reference, received_at, respond_by_date = db.execute(
                "SELECT reference, received_at, respond_by_date FROM cases").fetchone()
        received = dt.datetime.fromisoformat(received_at.replace("Z", "+00:00")).astimezone(LONDON).date()
        cal = Calendar()
        due = cal.add(received, 20)
        self.assertEqual(respond_by_date, due.isoformat(), "20 working days from the day it arrived")

        investigator = "investigations@example.test"
        team = "complaints-team@example.test"
        self.servers.wait_for_messages(CUSTOMER, count=1)
        self.servers.wait_for_messages(investigator, count=1)
        self.assertIn(f"[{reference}]", self.subjects(CUSTOMER)[0])
        self.assertIn("New case for you", self.subjects(investigator)[0])

        # (when, who gets a letter, words in its subject), in the order they fall due.
        timeline = [
            (cal.end_of(cal.add(received, 15)), [investigator, team], "Reminder"),
            (cal.end_of(cal.add(received, 17)), [investigator, team], "Reminder"),
            (cal.end_of(cal.add(due, -1)), [CUSTOMER], reference),
            (cal.end_of(due), ["alex.morgan@example.test"], "Overdue case"),
            (cal.end_of(cal.add(due, 5)), ["director.resources@example.test"], "Overdue case"),
        ]
        timeline.sort(key=lambda step: step[0])
        expected = {CUSTOMER: 1, investigator: 1, team: 0, "alex.morgan@example.test": 0,
                    "director.resources@example.test": 0}
        for when, recipients, words in timeline:
            with self.subTest(at=iso(when), to=recipients):
                before = self.outbox_count()
                self.complaintd("tick", "--at", iso(when - dt.timedelta(minutes=1)))
                self.assertEqual(self.outbox_count(), before, f"a letter went out before {iso(when)}")
                self.complaintd("tick", "--at", iso(when))
                for user in recipients:
                    expected[user] += 1
                    self.servers.wait_for_messages(user, count=expected[user])
                    self.assertIn(words, self.subjects(user)[-1])

        # Ticking again at the end sends nothing twice.
        before = self.outbox_count()
        self.complaintd("tick", "--at", iso(timeline[-1][0] + dt.timedelta(days=30)))
        self.assertEqual(self.outbox_count(), before)
        for user, count in expected.items():
            self.assertEqual(self.servers.count(user), count, user)
        holding = email.message_from_bytes(self.servers.messages(CUSTOMER)[-1].raw, policy=email.policy.default)
        self.assertEqual(holding["In-Reply-To"], "<pothole-1@example.test>")
        self.assertEqual(holding["Auto-Submitted"], "auto-replied")
        new_date = cal.add(due, 10)
        self.assertIn(f"{new_date.day} {new_date.strftime('%B %Y')}", holding.get_content())
        referral = email.message_from_bytes(self.servers.messages(investigator)[0].raw, policy=email.policy.default)
        self.assertEqual(referral["Auto-Submitted"], "auto-generated")
        self.assertIn("damaged my car twice", referral.get_content())

        shown = self.complaintd("cases", "show", reference).stdout
        for kind in ("stage-opened", "reminded", "holding-letter", "overdue", "escalated"):
            self.assertIn(kind, shown)


if __name__ == "__main__":
    unittest.main()
