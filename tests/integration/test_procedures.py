"""The shipped procedures, run for real: each example config passes check-config, and for
each example a complaint sent through Postfix is followed through time with `complaintd
tick --at`; every letter of the procedure must arrive in the right real mailbox at the
right instant, and not a minute before. The expected timelines are written out per
procedure from its rules, and the date arithmetic here (working days, plain days, the 3pm
cut-off, hours) is independent of the C++ calendar: Python's zoneinfo and the shipped
bank-holiday file."""

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
    def start(received: dt.datetime, cutoff: dt.time | None = None) -> dt.date:
        """Day 0 of a count: the local day the complaint arrived, or the day after when it
        arrived at or after the daily cut-off (docs/CONFIG.md: "counts from the next day")."""
        local = received.astimezone(LONDON)
        if cutoff is not None and local.time() >= cutoff:
            return local.date() + dt.timedelta(days=1)
        return local.date()

    def working_start(self, d: dt.date) -> dt.date:
        """Day 0 of a count in working days: mail that arrives on a weekend or holiday
        counts from the next working day (docs/CONFIG.md)."""
        while not self.working(d):
            d += dt.timedelta(days=1)
        return d

    @staticmethod
    def end_of(d: dt.date) -> dt.datetime:
        """The instant the local day `d` ends, in UTC."""
        nxt = d + dt.timedelta(days=1)
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=LONDON).astimezone(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def long_date(d: dt.date) -> str:
    """How letters write a date: "Monday 7 December 2026"."""
    return f"{d.strftime('%A')} {d.day} {d.strftime('%B %Y')}"


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


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


CUSTOMER = "customer@example.test"


class Letter:
    """One letter expected in `user`'s mailbox: words in its subject and in its text."""

    def __init__(self, user: str, subject: str, body: tuple[str, ...] = ()) -> None:
        self.user, self.subject, self.body = user, subject, body

    def __repr__(self) -> str:
        return f"{self.user}: {self.subject}"


class Expected:
    """What one procedure promises for a complaint that nobody answers: the response date,
    the letters sent at once, and the letters that fall due later, by instant."""

    def __init__(self, respond_by: dt.date, at_once: list[Letter],
                 later: list[tuple[dt.datetime, list[Letter]]]) -> None:
        self.respond_by = respond_by
        self.at_once = at_once
        merged: dict[dt.datetime, list[Letter]] = {}
        for when, letters in later:  # letters due at the same instant go out in the same tick
            merged.setdefault(when, []).extend(letters)
        self.later = sorted(merged.items())


def example_users(example: Path) -> dict[str, str]:
    text = (example / "complaintd.toml").read_text()
    users = {a.replace("@example.org", "@example.test"): "pw" for a in addresses_in(text)}
    users[CUSTOMER] = "pw"
    return users


class TimelineTest:
    """Mixed into one MailTestCase per example (so each gets its own mail servers). A
    subclass names its example, its mailbox and complaint, and `expected()`."""

    example: Path
    mailbox = "complaints@example.test"
    subject = "A complaint"
    text = "I am not happy with the service I received."
    servers: harness.MailServers

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        raise NotImplementedError

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-procedure-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.config = self.dir / "complaintd.toml"
        self.config.write_text(localise((self.example / "complaintd.toml").read_text(), self.servers, self.dir,
                                        self.example))
        self.binary = harness.complaintd_binary()

    def complaintd(self, *args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([self.binary, *args, "--config", str(self.config)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, f"complaintd {' '.join(args)}: {r.stderr}")
        return r

    def outbox_count(self) -> int:
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def letters_of(self, user: str) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(m.raw, policy=email.policy.default) for m in self.servers.messages(user)]

    def check(self, letter: Letter, message: email.message.EmailMessage, reference: str) -> None:
        self.assertIn(letter.subject, str(message["Subject"]))
        self.assertIn(f"[{reference}]", str(message["Subject"]))
        text = message.get_content()
        for words in (reference, *letter.body):
            self.assertIn(words, text, f"{letter}: {words!r} missing from\n{text}")
        self.assertNotIn("Dear ,", text)
        self.assertNotIn("{{", text)
        if letter.user == CUSTOMER:
            # Customer letters thread under the complaint and are never answered by machines.
            self.assertEqual(message["In-Reply-To"], f"<{self.example.name}-1@example.test>")
            self.assertEqual(message["Auto-Submitted"], "auto-replied")
        else:
            self.assertEqual(message["Auto-Submitted"], "auto-generated")

    def test_each_letter_arrives_at_its_instant_and_not_before(self) -> None:
        msg = harness.make_message(CUSTOMER, self.mailbox, self.subject, self.text,
                                   message_id=f"<{self.example.name}-1@example.test>")
        self.servers.send(CUSTOMER, self.mailbox, msg)
        self.servers.wait_for_messages(self.mailbox, count=1)
        self.complaintd("run", "--once")

        with sqlite3.connect(self.dir / "complaintd.db") as db:
            reference, received_at, respond_by_date = db.execute(
                "SELECT reference, received_at, respond_by_date FROM cases").fetchone()
        received = dt.datetime.fromisoformat(received_at.replace("Z", "+00:00"))
        plan = self.expected(received, reference)
        self.assertEqual(respond_by_date, plan.respond_by.isoformat(), "the response date the procedure gives")

        counts = {user: 0 for user in self.users}
        counts[self.mailbox] = 1  # the complaint itself
        for letter in plan.at_once:
            counts[letter.user] += 1
            self.servers.wait_for_messages(letter.user, count=counts[letter.user])
            self.check(letter, self.letters_of(letter.user)[-1], reference)

        for when, letters in plan.later:
            with self.subTest(at=iso(when), to=letters):
                before = self.outbox_count()
                self.complaintd("tick", "--at", iso(when - dt.timedelta(minutes=1)))
                self.assertEqual(self.outbox_count(), before, f"a letter went out before {iso(when)}")
                self.complaintd("tick", "--at", iso(when))
                self.assertEqual(self.outbox_count(), before + len(letters), f"letters due at {iso(when)}")
                for letter in letters:
                    counts[letter.user] += 1
                    self.servers.wait_for_messages(letter.user, count=counts[letter.user])
                    self.check(letter, self.letters_of(letter.user)[-1], reference)

        # Ticking again long after sends nothing twice, and nobody got a letter not listed.
        before = self.outbox_count()
        self.complaintd("tick", "--at", iso(plan.later[-1][0] + days(60)))
        self.assertEqual(self.outbox_count(), before)
        self.assertEqual(before, sum(counts.values()) - 1)
        for user, count in counts.items():
            self.assertEqual(self.servers.count(user), count, user)

        shown = self.complaintd("cases", "show", reference).stdout
        for kind in ("stage-opened", "reminded", "holding-letter", "overdue", "escalated"):
            self.assertIn(kind, shown)


COUNCIL = EXAMPLES / "solihull-council"


class CouncilTimeline(TimelineTest, harness.MailTestCase):
    """Stage 1 unanswered: acknowledgement and referral at once, reminders on working days
    15 and 17, a holding letter the working day before the deadline (20 working days), the
    Head of Service on the day it is missed and the Director 5 working days later."""

    example = COUNCIL
    users = example_users(COUNCIL)
    subject = "Potholes on Elm Road"
    text = "The potholes on Elm Road have damaged my car twice this month."

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        cal = Calendar()
        day0 = cal.working_start(cal.start(received))
        due = cal.add(day0, 20)
        # Triage routes potholes to the Highways department's investigator (the example's
        # [[triage.route]] "highways").
        investigator, team = "highways.investigations@example.test", "complaints-team@example.test"
        reminder = [Letter(investigator, "Reminder", (long_date(due),)), Letter(team, "Reminder")]
        return Expected(due, [
            Letter(CUSTOMER, reference, ("Highways Investigator", long_date(due))),
            Letter(investigator, "New case for you", ("damaged my car twice", long_date(due))),
        ], [
            (cal.end_of(cal.add(day0, 15)), reminder),
            (cal.end_of(cal.add(day0, 17)), reminder),
            (cal.end_of(cal.add(due, -1)), [Letter(CUSTOMER, reference, (long_date(cal.add(due, 10)),))]),
            (cal.end_of(due), [Letter("alex.morgan@example.test", "Overdue case", ("damaged my car twice",))]),
            (cal.end_of(cal.add(due, 5)), [Letter("director.resources@example.test", "Overdue case")]),
        ])


CHARITY = EXAMPLES / "works-for-us-charity"


class CharityTimeline(TimelineTest, harness.MailTestCase):
    """The first review unanswered, in plain days: registration number by return, the Chief
    Executive reminded on day 21, the Operational Manager's explanation 2 days before the
    28th day, the Operational Manager told on day 28 and the Chair of Trustees a week later."""

    example = CHARITY
    users = example_users(CHARITY)
    subject = "Volunteer placement cancelled"
    text = "My volunteer placement was cancelled without notice and nobody has explained why."

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        cal = Calendar()
        day0 = cal.start(received)
        due = day0 + days(28)  # "within 28 days of the receipt of the original complaint"
        ceo, om, chair = "chief.executive@example.test", "operations@example.test", "chair@example.test"
        return Expected(due, [
            Letter(CUSTOMER, reference, ("Helen Carter, Chief Executive", long_date(due))),
            Letter(ceo, "New case for you", ("cancelled without notice", long_date(due))),
        ], [
            (cal.end_of(day0 + days(21)), [Letter(ceo, "Reminder"), Letter(om, "Reminder")]),
            (cal.end_of(due - days(2)), [Letter(CUSTOMER, reference, (long_date(due + days(14)),))]),
            (cal.end_of(due), [Letter(om, "Overdue case", ("cancelled without notice",))]),
            (cal.end_of(due + days(7)), [Letter(chair, "Overdue case")]),
        ])


SUPPLY_CHAIN = EXAMPLES / "3sc-supply-chain"


class SupplyChainTimeline(TimelineTest, harness.MailTestCase):
    """The formal complaint unanswered: 10 working days counted from the next day when the
    mail arrives at or after 3pm; the manager and the RQM reminded 3 working days before, a
    holding letter the working day before, the RQM on the day and the EMT 5 working days on."""

    example = SUPPLY_CHAIN
    users = example_users(SUPPLY_CHAIN)
    mailbox = "customer.care@example.test"
    subject = "Late payment of our invoice"
    text = "Our invoice for the March delivery is six weeks overdue despite three reminders."

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        cal = Calendar()
        day0 = cal.working_start(cal.start(received, cutoff=dt.time(15, 0)))
        due = cal.add(day0, 10)
        manager, rqm = "investigations@example.test", "risk.quality@example.test"
        return Expected(due, [
            Letter(CUSTOMER, reference, ("Investigating Managers", long_date(due), "within 10 days")),
            Letter(manager, "New case for you", ("six weeks overdue", long_date(due))),
        ], [
            (cal.end_of(cal.add(day0, 7)), [Letter(manager, "Reminder"), Letter(rqm, "Reminder")]),
            (cal.end_of(cal.add(due, -1)), [Letter(CUSTOMER, reference, (long_date(cal.add(due, 5)),))]),
            (cal.end_of(due), [Letter(rqm, "Overdue case", ("six weeks overdue",))]),
            (cal.end_of(cal.add(due, 5)), [Letter("emt@example.test", "Overdue case")]),
        ])


INTERLEARN = EXAMPLES / "interlearn-training"


class InterlearnTimeline(TimelineTest, harness.MailTestCase):
    """A written complaint never closed: the referral manager and the Customer Services Team
    chased after 5 working days and every 5 after (while inside the 28 days), a holding letter
    2 working days before the 28th day, the administrator told on the 28th day."""

    example = INTERLEARN
    users = example_users(INTERLEARN)
    mailbox = "customerservices@example.test"
    subject = "Assessment results not received"
    text = "I finished my apprenticeship end-point assessment two months ago and have no results."

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        cal = Calendar()
        day0 = cal.start(received)
        due = day0 + days(28)  # "Investigations into written complaints are held within 28 days"
        manager, team = "referral.managers@example.test", "customer.services.team@example.test"
        later = []
        chase = cal.add(cal.working_start(day0), 5)
        for n in range(3):
            if n > 0 and chase > due:
                break
            later.append((cal.end_of(chase), [Letter(manager, "Reminder"), Letter(team, "Reminder")]))
            chase = cal.add(chase, 5)
        later += [
            (cal.end_of(cal.add(due, -2)), [Letter(CUSTOMER, reference, (long_date(cal.add(due, 10)),))]),
            (cal.end_of(due), [Letter("complaints.admin@example.test", "Overdue case", ("end-point assessment",))]),
        ]
        return Expected(due, [
            Letter(CUSTOMER, reference, ("Referral Managers", long_date(due), "5 working days")),
            Letter(manager, "New case for you", ("end-point assessment", long_date(due))),
        ], later)


A4E = EXAMPLES / "a4e-incidents"


class A4eTimeline(TimelineTest, harness.MailTestCase):
    """No resolution letter: the team and the Performance Manager reminded after 5 and 8
    working days; at the deadline (10 working days) the case is escalated to the Performance
    Manager and the customer gets the holding letter; 48 hours later (round the clock) the
    senior manager."""

    example = A4E
    users = example_users(A4E)
    subject = "Adviser missed three appointments"
    text = "My adviser has missed three appointments in a row and I have had no support."

    def expected(self, received: dt.datetime, reference: str) -> Expected:
        cal = Calendar()
        day0 = cal.working_start(cal.start(received))
        due = cal.add(day0, 10)
        team, pm = "customer.service.team@example.test", "performance.manager@example.test"
        reminder = [Letter(team, "Reminder"), Letter(pm, "Reminder")]
        return Expected(due, [
            Letter(CUSTOMER, reference, ("Customer Service Team", long_date(due))),
            Letter(team, "New case for you", ("missed three appointments", long_date(due))),
        ], [
            (cal.end_of(cal.add(day0, 5)), reminder),
            (cal.end_of(cal.add(day0, 8)), reminder),
            (cal.end_of(due), [Letter(CUSTOMER, reference, (long_date(cal.add(due, 10)),)),
                               Letter(pm, "Overdue case", ("missed three appointments",))]),
            (cal.end_of(due) + dt.timedelta(hours=48), [Letter("operations.manager@example.test", "Overdue case")]),
        ])


if __name__ == "__main__":
    unittest.main()
