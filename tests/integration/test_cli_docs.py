"""complaintd(8) and docs/OPERATIONS.md keep up with the command line: every command and
option that `complaintd --help` lists is in the man page, and both documents list the same
exit codes. (No mail servers: only the binary's help.)"""

from __future__ import annotations

import re
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

MAN_PAGE = harness.REPO_ROOT / "man" / "complaintd.8"
OPERATIONS = harness.REPO_ROOT / "docs" / "OPERATIONS.md"


def help_of(*command: str) -> str:
    r = subprocess.run([harness.complaintd_binary(), *command, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def section(text: str, title: str) -> list[str]:
    """The first word of each line of a CLI11 help section ("Subcommands:", "Options:")."""
    lines = text.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0].splitlines() if f"\n{title}\n" in text else []
    return [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")]


class ManPageCoversTheCommandLine(unittest.TestCase):
    def setUp(self) -> None:
        # The roff source as a reader sees the words: \- is a hyphen, font escapes go.
        source = MAN_PAGE.read_text(encoding="utf-8")
        self.man = re.sub(r"\\f[BIRP]", "", source.replace("\\-", "-"))

    def commands(self) -> list[tuple[str, ...]]:
        found = []
        for top in section(help_of(), "Subcommands:"):
            subs = section(help_of(top), "Subcommands:")
            found += [(top, sub) for sub in subs] if subs else [(top,)]
        return found

    def test_every_command_and_option_is_in_the_man_page(self) -> None:
        commands = self.commands()
        self.assertIn(("quarantine", "replay"), commands)  # the help was read
        for command in [(), *commands]:  # () for the options of complaintd itself (--version)
            with self.subTest(command=" ".join(command)):
                # As a heading or in the synopsis: "cases list", or ".B cases list".
                if command:
                    self.assertRegex(self.man, r"\b" + r"\s+".join(map(re.escape, command)) + r"\b")
                options = [o for word in section(help_of(*command), "Options:") for o in word.split(",")]
                for option in options:
                    if option.startswith("--") and option != "--help":
                        self.assertIn(option, self.man)

    def test_man_page_and_operations_list_the_same_exit_codes(self) -> None:
        man_status = self.man.split(".SH EXIT STATUS", 1)[1].split(".SH", 1)[0]
        man_codes = set(re.findall(r"^\.(?:TP\n\.B|TP\n\.BR) (\d+)(?:\s*\\\(en\s*(\d+))?", man_status, re.M))
        man_codes = {f"{a}-{b}" if b else a for a, b in man_codes}
        ops = OPERATIONS.read_text(encoding="utf-8")
        table = ops.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
        ops_codes = set(re.findall(r"^\| (\d+(?:-\d+)?) \|", table, re.M))
        self.assertEqual(man_codes, ops_codes)
        self.assertIn("75", man_codes)


if __name__ == "__main__":
    unittest.main()
