"""A message over the configured limits is still stored whole, becomes a case, and the case
is flagged for a person with the reason (issue 3), through `complaintd ingest` as an MTA
pipe would deliver it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


class OverTheLimit(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-limits-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.config = self.dir / "complaintd.toml"
        harness.write_config(self.config, name="Limits Test", timezone=None, poll_interval=None, extra="""
            [parser]
            max_message_size = "64 KB"
            """)

    def test_a_big_message_is_stored_whole_and_flagged(self) -> None:
        body = ("My complaint, with the whole correspondence pasted below.\r\n" + "x" * 76 + "\r\n") * 2000
        raw = harness.make_message("ivy@example.test", "complaints@example.test", "Huge complaint", body,
                                   message_id="<huge@example.test>")
        self.assertGreater(len(raw), 64 * 1024)
        r = subprocess.run([harness.complaintd_binary(), "ingest", "--config", str(self.config)], input=raw,
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"event=needs-person", r.stderr)
        with sqlite3.connect(self.dir / "complaintd.db") as db:
            flags, case_id = db.execute("SELECT flags, id FROM cases").fetchone()
            stored = db.execute("SELECT raw FROM message_bodies").fetchone()[0]
            events = [d for (k, d) in db.execute("SELECT kind, detail FROM events WHERE case_id = ?", (case_id,))
                      if k == "needs-person"]
        self.assertIn("needs-person", flags)
        self.assertEqual(bytes(stored), raw)  # every byte kept
        self.assertEqual(len(events), 1)
        self.assertIn("over the limit of 65536", events[0])

    def test_parse_with_the_config_sees_what_the_daemon_saw(self) -> None:
        import json
        raw = harness.make_message("ivy@example.test", "complaints@example.test", "Big", "y" * 100000)
        with_limits = subprocess.run([harness.complaintd_binary(), "parse", "--config", str(self.config)],
                                     input=raw, capture_output=True)
        self.assertEqual(with_limits.returncode, 0, with_limits.stderr.decode())
        self.assertTrue(json.loads(with_limits.stdout)["limit_exceeded"])
        default = subprocess.run([harness.complaintd_binary(), "parse"], input=raw, capture_output=True)
        self.assertFalse(json.loads(default.stdout)["limit_exceeded"])  # 25 MB by default


if __name__ == "__main__":
    unittest.main()
