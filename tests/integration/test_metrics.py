"""The metrics endpoint of a running daemon, scraped over HTTP on 127.0.0.1 as Prometheus
would: counters move with the mail, gauges come from the database, other paths are 404."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
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
        self.config.write_text(textwrap.dedent(f"""\
            [service]
            name = "Metrics Test"
            database = "complaintd.db"
            letters = "{harness.REPO_ROOT / 'examples' / 'solihull-council' / 'letters'}"

            [[mailbox]]
            name = "complaints"
            url = "imap://127.0.0.1:{self.servers.imap_port}"
            username = "{COMPLAINTS}"
            password = "pw"
            address = "{COMPLAINTS}"
            poll_interval = "1s"

            [smtp]
            url = "smtp://127.0.0.1:{self.servers.smtp_port}"
            from = "{COMPLAINTS}"

            [metrics]
            listen = "127.0.0.1:{self.port}"
            """))

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


if __name__ == "__main__":
    import unittest
    unittest.main()
