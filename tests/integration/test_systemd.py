"""complaintd under systemd, checked with systemd's own tools and a notify socket this test
owns: the unit passes `systemd-analyze verify` and scores 2.0 or lower on `systemd-analyze
security`; the daemon says READY, STATUS and WATCHDOG; SIGHUP reloads a good configuration
and keeps the running one when the new file is broken; SIGTERM says STOPPING and exits 0."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

UNIT = harness.REPO_ROOT / "systemd" / "complaintd.service"
COMPLAINTS = "complaints@example.test"
CUSTOMER = "erin@example.test"


def unit_for_this_build(directory: Path) -> Path:
    """The shipped unit with the installed binary's path replaced by the build's."""
    path = directory / "complaintd.service"
    path.write_text(UNIT.read_text().replace("/usr/sbin/complaintd", harness.complaintd_binary()))
    return path


class UnitFile(unittest.TestCase):
    def setUp(self) -> None:
        if shutil.which("systemd-analyze") is None:
            harness._skip_or_fail("systemd-analyze is not installed (scripts/setup.sh installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-unit-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_verify_is_clean(self) -> None:
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit_for_this_build(self.dir))],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", r.stderr)

    def test_exposure_is_two_or_lower(self) -> None:
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                            str(unit_for_this_build(self.dir))], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for complaintd\.service: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's (sd_notify(3))."""

    def __init__(self, directory: Path) -> None:
        self.path = str(directory / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: list[str] = []

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        """The first message, from now on, that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.messages.append(data)
            if re.search(pattern, data):
                return data
        raise AssertionError(f"no notification matching {pattern!r} in {timeout} s; got {self.messages}")

    def close(self) -> None:
        self.sock.close()


class UnderSystemd(harness.MailTestCase):
    users = {COMPLAINTS: "pw", CUSTOMER: "pw"}

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-notify-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        shutil.copytree(harness.REPO_ROOT / "examples" / "solihull-council" / "letters", self.dir / "letters")
        self.config = self.dir / "complaintd.toml"
        self.write_config(respond_within="20 working days")
        self.notify = NotifySocket(self.dir)
        self.addCleanup(self.notify.close)

    def tearDown(self) -> None:
        # Each test has its own database: mail left by another would be new to it.
        for user in self.users:
            self.servers.clear_folder(user)

    def write_config(self, respond_within: str, stage_extra: str = "") -> None:
        harness.write_config(self.config, self.servers, name="Notify Test Service", letters=None, extra=f"""
            [[stage]]
            name = "Stage 1"
            respond_within = "{respond_within}"
            {stage_extra}
            """)

    def start(self) -> subprocess.Popen:
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path, WATCHDOG_USEC="1000000")
        env.pop("WATCHDOG_PID", None)
        daemon = subprocess.Popen([harness.complaintd_binary(), "run", "--config", str(self.config)],
                                  stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        return daemon

    def send_complaint(self, n: int) -> None:
        self.servers.send(CUSTOMER, COMPLAINTS, harness.make_message(
            CUSTOMER, COMPLAINTS, f"Noise complaint {n}", "The bar next door plays music until 3am.",
            message_id=f"<noise-{n}@example.test>"))

    def test_ready_watchdog_reload_and_stop(self) -> None:
        daemon = self.start()
        self.notify.wait_for(r"^READY=1")
        self.notify.wait_for(r"^WATCHDOG=1$", timeout=5)  # every half of WatchdogSec

        # A complaint: the STATUS line says what happened.
        self.send_complaint(1)
        self.notify.wait_for(r"STATUS=complaints: 1 message\(s\) at .*1 new case")
        self.servers.wait_for_messages(CUSTOMER, count=1)

        # A good new configuration is taken on SIGHUP.
        self.write_config(respond_within="10 working days")
        daemon.send_signal(signal.SIGHUP)
        self.notify.wait_for(r"^RELOADING=1\nMONOTONIC_USEC=\d+")
        self.notify.wait_for(r"^READY=1\nSTATUS=configuration reloaded")

        # A broken one is refused, and the running configuration keeps working.
        self.write_config(respond_within="10 workdays")
        daemon.send_signal(signal.SIGHUP)
        self.notify.wait_for(r"^READY=1\nSTATUS=reload failed")
        self.send_complaint(2)
        self.servers.wait_for_messages(CUSTOMER, count=2)
        self.assertIsNone(daemon.poll(), "the daemon must survive a broken reload")
        self.notify.wait_for(r"^WATCHDOG=1$", timeout=5)

        daemon.send_signal(signal.SIGTERM)
        self.notify.wait_for(r"^STOPPING=1")
        _, err = daemon.communicate(timeout=10)
        self.assertEqual(daemon.returncode, 0, err)
        self.assertIn("event=reloaded", err)
        # The refusal names the file, the line and the key.
        self.assertRegex(err, r"event=reload-failed error=\".*complaintd\.toml:\d+:\d+: stage\[1\]\.respond_within")
        # The second complaint was dated under the reloaded configuration: 10 working days.
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            rows = db.execute("SELECT received_at, respond_by_date FROM cases ORDER BY id").fetchall()
        self.assertEqual(len(rows), 2)
        self.assertLess(rows[1][1], rows[0][1])

    def respond_by_dates(self) -> list[str]:
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            return [d for (d,) in db.execute("SELECT respond_by_date FROM cases ORDER BY id")]

    def test_a_partly_broken_reload_changes_nothing(self) -> None:
        daemon = self.start()
        self.notify.wait_for(r"^READY=1")
        self.send_complaint(1)
        self.servers.wait_for_messages(CUSTOMER, count=1)

        # A shorter deadline, valid, beside a misspelt key: nothing of the file may be taken,
        # not even its valid part.
        self.write_config(respond_within="5 working days", stage_extra='acknowledge_witin = "2 working days"')
        daemon.send_signal(signal.SIGHUP)
        self.notify.wait_for(r"^READY=1\nSTATUS=reload failed")
        self.send_complaint(2)
        self.servers.wait_for_messages(CUSTOMER, count=2)
        first, second = self.respond_by_dates()
        self.assertEqual(second, first, "the second complaint must be dated by the running configuration")

        # Put right, the same change is taken: the failed reload left reloading working.
        self.write_config(respond_within="5 working days")
        daemon.send_signal(signal.SIGHUP)
        self.notify.wait_for(r"^READY=1\nSTATUS=configuration reloaded")
        self.send_complaint(3)
        self.servers.wait_for_messages(CUSTOMER, count=3)
        self.assertLess(self.respond_by_dates()[2], first)

        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=10)
        self.assertEqual(daemon.returncode, 0, err)
        # Why, where and what to do, then what happened.
        failed = [line for line in err.splitlines() if "event=reload-failed" in line]
        self.assertEqual(len(failed), 2, err)
        self.assertRegex(failed[0], r'error=".*complaintd\.toml:\d+:\d+: stage\[1\]\.acknowledge_witin: '
                                    r'unknown key; did you mean .*acknowledge_within')
        self.assertIn("action=kept-running-configuration errors=1", failed[1])
        self.assertEqual(err.count("event=reloaded "), 1, err)


if __name__ == "__main__":
    unittest.main()
