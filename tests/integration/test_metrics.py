"""The metrics endpoint of a running daemon, scraped over HTTP on 127.0.0.1 as Prometheus
would: counters move with the mail, gauges come from the database, other paths are 404."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COMPLAINTS = "complaints@example.test"
CUSTOMER = "jo@example.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetricsEndpoint(harness.MailTestCase):
    users = {COMPLAINTS: "pw", CUSTOMER: "pw"}

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-metrics-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()
        self.config = self.dir / "complaintd.toml"
        self.write_config()

    def tearDown(self) -> None:
        # Each test has its own database: mail left by another would be new to it.
        for user in self.users:
            self.servers.clear_folder(user)

    def write_config(self, mailbox_extra: str = "") -> None:
        harness.write_config(self.config, self.servers, name="Metrics Test", timezone=None,
                             mailbox_extra=mailbox_extra, extra=f"""
            [metrics]
            listen = "127.0.0.1:{self.port}"
            """)

    def start(self) -> subprocess.Popen:
        daemon = subprocess.Popen([harness.complaintd_binary(), "run", "--config", str(self.config)],
                                  stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        return daemon

    def stop(self, daemon: subprocess.Popen) -> str:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=10)
        self.assertEqual(daemon.returncode, 0, err)
        return err

    def gauge(self, text: str, name: str) -> float:
        m = re.search(rf"(?m)^{re.escape(name)} (\S+)$", text)
        self.assertIsNotNone(m, f"no {name} in:\n{text}")
        return float(m.group(1))

    def scrape(self, path: str = "/metrics") -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
            self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
            return r.read().decode()

    def wait_for(self, line: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            try:
                text = self.scrape()
                if line in text.splitlines():
                    return text
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.3)
        self.fail(f"{line!r} never appeared; last scrape:\n{text}")

    def test_counters_and_gauges(self) -> None:
        daemon = subprocess.Popen([harness.complaintd_binary(), "run", "--config", str(self.config)],
                                  stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for("complaintd_database_up 1")
            self.servers.send(CUSTOMER, COMPLAINTS, harness.make_message(
                CUSTOMER, COMPLAINTS, "Library closed early", "It closed at 3pm with no notice."))
            text = self.wait_for('complaintd_messages_processed_total{mailbox="complaints",outcome="new_case"} 1')
            self.assertIn('complaintd_cases_open{stage="Stage 1"} 1', text)
            self.assertIn('complaintd_cases_overdue{stage="Stage 1"} 0', text)
            self.assertIn("complaintd_ingest_seconds_count 1", text)
            self.wait_for('complaintd_letters_total{result="sent"} 1')
            with self.assertRaises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5)
            self.assertEqual(missing.exception.code, 404)
        finally:
            daemon.send_signal(signal.SIGTERM)
            _, err = daemon.communicate(timeout=10)
        self.assertEqual(daemon.returncode, 0, err)
        self.assertIn(f"event=metrics-listening address=127.0.0.1 port={self.port}", err)

    def test_age_of_a_message_waiting_for_its_server(self) -> None:
        # Dovecot's hierarchy separator is ".", and it refuses to create a folder named with
        # "/": the message is stored and its case opened, but it cannot be moved, so it waits
        # on the server, and the gauge must say for how long.
        self.write_config(mailbox_extra='processed_folder = "Archive/Complaints"')
        daemon = self.start()
        text = self.wait_for("complaintd_database_up 1")
        self.assertEqual(self.gauge(text, "complaintd_oldest_unflagged_message_age_seconds"), 0)
        self.servers.send(CUSTOMER, COMPLAINTS, harness.make_message(
            CUSTOMER, COMPLAINTS, "Swimming pool closed", "Closed again without notice."))
        self.wait_for('complaintd_poll_failures_total{mailbox="complaints"} 1')
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            [(received, action)] = db.execute("SELECT received_at, server_action FROM messages").fetchall()
        self.assertEqual(action, "pending")
        stored = dt.datetime.fromisoformat(received.replace("Z", "+00:00"))

        time.sleep(2.5)
        text = self.scrape()
        now = dt.datetime.now(dt.timezone.utc)
        age = self.gauge(text, "complaintd_oldest_unflagged_message_age_seconds")
        self.assertGreaterEqual(age, 2)
        self.assertAlmostEqual(age, (now - stored).total_seconds(), delta=1.5)
        # It grows while the message waits.
        time.sleep(1.5)
        self.assertGreater(self.gauge(self.scrape(), "complaintd_oldest_unflagged_message_age_seconds"), age)
        err = self.stop(daemon)
        self.assertRegex(err, r"event=poll-failed .*Archive/Complaints.*Invalid mailbox name")

        # With a name the server takes, the next start moves the message, and nothing waits.
        self.write_config(mailbox_extra='processed_folder = "Processed"')
        daemon = self.start()
        self.wait_for("complaintd_oldest_unflagged_message_age_seconds 0")
        self.stop(daemon)
        self.assertEqual(self.servers.count(COMPLAINTS, folder="Processed"), 1)
        self.assertEqual(self.servers.count(COMPLAINTS), 0)
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            self.assertEqual(db.execute("SELECT COUNT(*) FROM cases").fetchone()[0], 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
