"""complaintd's log under systemd, read back from a real journald: each event arrives through
the journal's native protocol with the PRIORITY of its level (so `journalctl -p warning`
shows what needs attention), without a second copy on stderr, and without the password.

CI has no systemd as PID 1, so the test runs the distribution's systemd-journald itself in a
private mount namespace, with /run and /var/log on tmpfs there: the machine's own journal (if
it has one) is never touched and everything disappears with the namespace. complaintd is then
connected to it as systemd connects a service: stdout and stderr on a journald stream socket
(systemd-cat) and JOURNAL_STREAM naming that socket's device and inode. Needs root."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
PASSWORD = "journal-test-s3cret"  # must never reach the journal
# sd_journal_send(3) and syslog(3) priorities.
ERR, WARNING, INFO = 3, 4, 6


class PrivateJournal:
    """A systemd-journald of our own in a private mount namespace; commands run inside it."""

    def __init__(self, directory: Path) -> None:
        for tool in ("unshare", "nsenter", "systemd-cat", "journalctl"):
            if shutil.which(tool) is None:
                harness._skip_or_fail(f"{tool} is not installed (scripts/setup.sh installs it)")
        if not os.access(JOURNALD, os.X_OK):
            harness._skip_or_fail(f"{JOURNALD} is not installed (package systemd)")
        if os.geteuid() != 0:
            harness._skip_or_fail("a private journald needs root (mount namespace)")
        self.log = directory / "journald.log"
        with open(self.log, "wb") as out:
            # journald's own messages to its stderr, not to the machine's kernel log.
            env = dict(os.environ, SYSTEMD_LOG_TARGET="console")
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-euc",
                 "mount -t tmpfs -o mode=0755 tmpfs /run; mount -t tmpfs -o mode=0755 tmpfs /var/log;"
                 " mkdir -p /run/systemd/journal; exec " + JOURNALD],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
        self.root = Path(f"/proc/{self.proc.pid}/root")
        deadline = time.monotonic() + 20
        while not all((self.root / "run/systemd/journal" / s).exists() for s in ("socket", "stdout")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"journald did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.05)

    def inside(self, argv: list[str]) -> list[str]:
        return ["nsenter", f"--mount=/proc/{self.proc.pid}/ns/mnt", "--", *argv]

    def start_service(self, argv: list[str], identifier: str) -> subprocess.Popen:
        """argv with stdout and stderr on a journal stream, as systemd starts a service. One
        PID throughout (nsenter, systemd-cat and sh exec), so signals reach the program."""
        wrapper = 'export JOURNAL_STREAM="$(stat -L -c %d:%i /proc/self/fd/2)"; exec "$@"'
        return subprocess.Popen(self.inside(["systemd-cat", f"--identifier={identifier}", "--",
                                             "sh", "-c", wrapper, "sh", *argv]),
                                stdin=subprocess.DEVNULL)

    def entries(self, *matches: str) -> list[dict]:
        r = subprocess.run(self.inside(["journalctl", "--no-pager", "-o", "json", *matches]),
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 and "No entries" not in r.stdout + r.stderr:
            raise RuntimeError(f"journalctl: {r.stderr}")
        return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]

    def wait_for(self, pattern: str, *matches: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.entries(*matches):
                if re.search(pattern, str(e.get("MESSAGE", ""))):
                    return e
            if time.monotonic() > deadline:
                raise AssertionError(f"no journal entry matching {pattern!r}: {self.entries(*matches)}")
            time.sleep(0.2)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class JournalPriorities(unittest.TestCase):
    def setUp(self) -> None:
        self.binary = harness.complaintd_binary()
        self.dir = Path(tempfile.mkdtemp(prefix="complaintd-journal-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.journal = PrivateJournal(self.dir)
        self.addCleanup(self.journal.close)
        self.config = self.dir / "complaintd.toml"

    def write_config(self, smtp_port: int) -> None:
        # Nothing listens on port 1: every poll fails, which complaintd logs as an error.
        harness.write_config(self.config, name="Journal Test", password=PASSWORD, smtp_port=smtp_port)

    def test_levels_arrive_with_their_priority(self) -> None:
        self.write_config(smtp_port=1)
        daemon = self.journal.start_service([self.binary, "run", "--config", str(self.config)], "complaintd")
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        me = "SYSLOG_IDENTIFIER=complaintd"
        self.journal.wait_for(r"event=started ", me)
        self.journal.wait_for(r"event=poll-failed ", me)
        # The IDLE connection (beside the polling) cannot connect either: a warning.
        self.journal.wait_for(r"event=idle-lost ", me)

        # A changed SMTP server cannot be taken without a restart: a warning.
        self.write_config(smtp_port=2)
        daemon.send_signal(signal.SIGHUP)
        self.journal.wait_for(r"event=reloaded ", me)
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=20), 0, self.journal.entries(me))
        self.journal.wait_for(r"event=stopped", me)

        entries = self.journal.entries(me)
        events: dict[str, dict] = {}
        for e in entries:
            m = re.search(r"\bevent=([a-z-]+)", str(e.get("MESSAGE", "")))
            if m:
                events.setdefault(m.group(1), e)
        expected = {"started": INFO, "poll-failed": ERR, "idle-lost": WARNING, "reloading": INFO,
                    "reload-partial": WARNING, "reloaded": INFO, "stopping": INFO, "stopped": INFO}
        self.assertEqual({k: int(events[k]["PRIORITY"]) for k in expected if k in events}, expected,
                         entries)
        # Sent by sd_journal_send, not printed: no stderr copy, no timestamp of our own.
        for e in entries:
            message = str(e.get("MESSAGE", ""))
            if "event=" in message:
                self.assertEqual(e["_TRANSPORT"], "journal", e)
                self.assertNotRegex(message, r"^\d{4}-\d\d-\d\d", e)
        self.assertIn("section=smtp", str(events["reload-partial"]["MESSAGE"]))
        self.assertNotIn(PASSWORD, json.dumps(entries))

        # What `journalctl -u complaintd -p warning` would show an administrator.
        attention = {re.search(r"event=([a-z-]+)", str(e["MESSAGE"])).group(1)
                     for e in self.journal.entries("-p", "warning", me)}
        self.assertEqual(attention, {"poll-failed", "idle-lost", "reload-partial"})

    def test_stderr_that_is_not_the_journal_gets_plain_lines(self) -> None:
        # A child of a service inherits JOURNAL_STREAM even when its stderr is redirected
        # (systemd.exec(5)): it must write lines there, not to the journal.
        self.write_config(smtp_port=1)
        env = dict(os.environ, JOURNAL_STREAM="1:1")
        daemon = subprocess.Popen(self.journal.inside([self.binary, "run", "--config", str(self.config)]),
                                  stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        assert daemon.stderr is not None
        head = ""
        while "event=started" not in head and daemon.poll() is None:
            head += daemon.stderr.readline()
        daemon.send_signal(signal.SIGTERM)
        _, rest = daemon.communicate(timeout=20)
        err = head + rest
        self.assertEqual(daemon.returncode, 0, err)
        self.assertRegex(err, r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:?\d\d info event=started ")
        self.assertEqual(self.journal.entries("SYSLOG_IDENTIFIER=complaintd"), [])


if __name__ == "__main__":
    unittest.main()
