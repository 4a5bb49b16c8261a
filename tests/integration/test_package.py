"""The .deb that CPack builds (cmake/Install.cmake) installs cleanly: its contents and control
files are checked as lintian would for what matters here, then it is installed for real with
`dpkg -i` on a copy-on-write view of this very machine, configured the way docs/OPERATIONS.md
says, checked with `complaintd check-config` as the service's user, and removed and purged.

Why this way: a real `dpkg -i` on the machine would race other dpkg runs and leave a system
user behind, and `dpkg --root` into an empty directory has no shell or systemd-sysusers for
the postinst. Here a private mount namespace holds an overlay of / whose writable layer is a
tmpfs; dpkg, its database, postinst, sysusers and tmpfiles all run against the real installed
system in a chroot of it, and every change vanishes with the namespace (even on SIGKILL).
Needs root. CPack first builds the build's `preinstall` target, that is everything: a no-op
after scripts/test.sh's full build, a long wait after building only the daemon."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

DOC = "/usr/share/doc/complaintd"
# Where each installed thing must land (docs/OPERATIONS.md) and its mode.
EXPECTED = {
    "/usr/sbin/complaintd": 0o755,
    "/usr/lib/systemd/system/complaintd.service": 0o644,
    "/usr/lib/sysusers.d/complaintd.conf": 0o644,
    "/usr/lib/tmpfiles.d/complaintd.conf": 0o644,
    "/usr/share/man/man8/complaintd.8": 0o644,
    f"{DOC}/README.md": 0o644,
    f"{DOC}/OPERATIONS.md": 0o644,
    f"{DOC}/CONFIG.md": 0o644,
    f"{DOC}/examples/solihull-council/complaintd.toml": 0o644,
    f"{DOC}/examples/calendars/england-and-wales.txt": 0o644,
}
PROCEDURES = ["3sc-supply-chain", "a4e-incidents", "interlearn-training", "solihull-council",
              "works-for-us-charity"]


def build_dir() -> Path:
    path = os.environ.get("COMPLAINTD_BUILD_DIR", "")
    if not path or not (Path(path) / "CPackConfig.cmake").is_file():
        harness._skip_or_fail("COMPLAINTD_BUILD_DIR does not name a configured build (run through ctest)")
    return Path(path)


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


class Package(unittest.TestCase):
    deb: Path
    dir: Path

    @classmethod
    def setUpClass(cls) -> None:
        build = build_dir()
        harness.complaintd_binary()  # CPack installs the built binary: it must exist
        cls.dir = Path(tempfile.mkdtemp(prefix="complaintd-deb-"))
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        started = time.monotonic()
        # -B keeps CPack's staging tree and the .deb out of the build directory.
        r = run([os.environ.get("COMPLAINTD_CPACK", "cpack"), "--config", str(build / "CPackConfig.cmake"), "-B", str(cls.dir / "out")])
        assert r.returncode == 0, r.stdout + r.stderr
        debs = list((cls.dir / "out").glob("complaintd_*.deb"))
        assert len(debs) == 1, (debs, r.stdout)
        cls.deb = debs[0]
        print(f"cpack: {cls.deb.name} in {time.monotonic() - started:.1f} s", file=sys.stderr)

    def field(self, name: str) -> str:
        r = run(["dpkg-deb", "--field", str(self.deb), name])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_control_fields(self) -> None:
        self.assertEqual(self.field("Package"), "complaintd")
        self.assertRegex(self.field("Version"), r"^\d+\.\d+\.\d+")
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.assertEqual(self.field("Architecture"), arch)
        self.assertEqual(self.field("Section"), "mail")
        self.assertTrue(self.field("Maintainer"))
        self.assertTrue(self.field("Description"))
        depends = self.field("Depends")
        # dpkg-shlibdeps found the libraries the binary links...
        for lib in ("libc6", "libcurl4", "libsqlite3-0", "libsystemd0", "libicu"):
            self.assertIn(lib, depends)
        # ...and the postinst's tools are declared, not assumed.
        self.assertRegex(depends, r"(^|, )systemd \| systemd-standalone-sysusers")

    def test_contents_modes_and_owners(self) -> None:
        r = run(["dpkg-deb", "--contents", str(self.deb)])
        self.assertEqual(r.returncode, 0, r.stderr)
        entries = {}
        for line in r.stdout.splitlines():
            # drwxr-xr-x root/root 0 2026-12-01 12:00 ./usr/sbin/
            perms, owner, _size, _date, _time, name = line.split(None, 5)
            entries[name.removeprefix(".").rstrip("/") or "/"] = (perms, owner)
        for path, mode in EXPECTED.items():
            self.assertIn(path, entries, f"{path} is not in the package")
            self.assertEqual(entries[path][0], stat.filemode(stat.S_IFREG | mode), path)
        for name in PROCEDURES:
            self.assertIn(f"{DOC}/examples/{name}/complaintd.toml", entries)
        letters = [p for p in entries if p.startswith(f"{DOC}/examples/solihull-council/letters/")]
        self.assertGreater(len(letters), 3, "the council's letter templates are missing")
        self.assertEqual({owner for _, owner in entries.values()}, {"root/root"})
        self.assertEqual([p for p in entries if p.startswith("/usr/local") or "/demo" in p], [])
        # Only regular files and directories: no stray links or devices.
        self.assertEqual({perms[0] for perms, _ in entries.values()}, {"-", "d"})

    def test_maintainer_scripts_and_man_page(self) -> None:
        control = self.dir / "control"
        extract = self.dir / "files"
        self.assertEqual(run(["dpkg-deb", "--control", str(self.deb), str(control)]).returncode, 0)
        self.assertEqual(run(["dpkg-deb", "--extract", str(self.deb), str(extract)]).returncode, 0)
        postinst = control / "postinst"
        self.assertEqual(stat.S_IMODE(postinst.stat().st_mode), 0o755)
        self.assertTrue(postinst.read_text().startswith("#!/bin/sh\n"))
        self.assertIn("\nset -e\n", postinst.read_text())
        r = run(["sh", "-n", str(postinst)])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue((control / "md5sums").is_file())
        # The man page renders without groff warnings (lintian's groff-message).
        r = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                 str(extract / "usr/share/man/man8/complaintd.8")],
                env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.strip(), "")
        # The unit and the examples name installed paths, never the build's.
        for path in [extract / "usr/lib/systemd/system/complaintd.service",
                     *sorted((extract / DOC.lstrip("/") / "examples").rglob("*.toml"))]:
            self.assertNotIn(str(harness.REPO_ROOT), path.read_text(), path)

    def test_installs_configures_and_purges_cleanly(self) -> None:
        host_before = host_state()
        with Overlay(self.dir / "root") as root:
            shutil.copy(self.deb, root.path("/tmp/complaintd.deb"))
            root.ok("dpkg", "-i", "/tmp/complaintd.deb")
            self.assertIn("Status: install ok installed", root.ok("dpkg", "-s", "complaintd"))
            for path, mode in EXPECTED.items():
                st = os.stat(root.path(path))
                self.assertEqual(stat.S_IMODE(st.st_mode), mode, path)

            # postinst: the service's user (sysusers) and its state directory (tmpfiles).
            user = root.ok("getent", "passwd", "complaintd").strip().split(":")
            self.assertEqual(user[5], "/var/lib/complaintd")
            self.assertRegex(user[6], r"/nologin$")
            self.assertLess(int(user[2]), 1000, "not a system user")
            self.assertEqual(root.ok("stat", "-c", "%U:%G %a", "/var/lib/complaintd").strip(),
                             "complaintd:complaintd 750")
            # The unit's binary, user and directories exist on the installed system.
            root.ok("systemd-analyze", "verify", "--man=no", "/usr/lib/systemd/system/complaintd.service")

            # docs/OPERATIONS.md, "Install and run as a service", as written.
            root.ok("install", "-d", "-m", "0750", "-g", "complaintd", "/etc/complaintd")
            root.ok("sh", "-c", f"cp -r {DOC}/examples/solihull-council/* /etc/complaintd/")
            root.ok("cp", f"{DOC}/examples/calendars/england-and-wales.txt", "/etc/complaintd/")
            root.ok("sed", "-i", 's|^holidays_file = .*|holidays_file = "england-and-wales.txt"|',
                    "/etc/complaintd/complaintd.toml")
            root.ok("sh", "-c", "printf '%s\\n' the-password |"
                                " install -m 0640 -g complaintd /dev/stdin /etc/complaintd/imap.password")
            # As ExecStartPre runs it: the service's user, who must be able to read it all.
            out = root.ok("setpriv", "--reuid=complaintd", "--regid=complaintd", "--init-groups",
                          "complaintd", "check-config", "--config", "/etc/complaintd/complaintd.toml")
            self.assertNotIn("the-password", out)

            root.ok("dpkg", "-r", "complaintd")
            for path in EXPECTED:
                self.assertFalse(os.path.lexists(root.path(path)), f"{path} left after dpkg -r")
            root.ok("dpkg", "--purge", "complaintd")
            status = root.run("dpkg-query", "-W", "-f=${db:Status-Status}", "complaintd")
            self.assertTrue(status.returncode != 0 or status.stdout == "not-installed", status.stdout)
            self.assertFalse(os.path.exists(root.path(DOC)))
            # The complaints database is the organisation's record: never deleted with the package.
            self.assertTrue(os.path.isdir(root.path("/var/lib/complaintd")))
        # And the machine itself saw none of it.
        self.assertEqual(host_state(), host_before)


def host_state() -> tuple:
    """What an install on this machine (rather than in the overlay) would have changed."""
    user = subprocess.run(["getent", "passwd", "complaintd"], capture_output=True, text=True).stdout
    status = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "complaintd"],
                            capture_output=True, text=True).stdout
    return user, status, os.path.exists("/usr/sbin/complaintd"), os.path.exists("/etc/complaintd")


class Overlay:
    """A chroot onto an overlay of / in a private mount namespace, its upper layer on tmpfs."""

    def __init__(self, directory: Path) -> None:
        if os.geteuid() != 0:
            harness._skip_or_fail("installing the package in an overlay needs root")
        for tool in ("unshare", "nsenter", "chroot"):
            if shutil.which(tool) is None:
                harness._skip_or_fail(f"{tool} is not installed")
        self.dir = directory
        self.merged = directory / "merged"
        self.holder: subprocess.Popen | None = None

    def __enter__(self) -> "Overlay":
        self.dir.mkdir(parents=True)
        d = str(self.dir)
        script = f"""
            mount -t tmpfs -o mode=0755 tmpfs {d}
            mkdir {d}/upper {d}/work {d}/merged
            mount -t overlay overlay -o lowerdir=/,upperdir={d}/upper,workdir={d}/work {d}/merged
            for fs in proc sys dev; do mount --rbind /$fs {d}/merged/$fs; done
            mount -t tmpfs -o mode=0755 tmpfs {d}/merged/run
            mount -t tmpfs -o mode=1777 tmpfs {d}/merged/tmp
            echo ready
            exec sleep infinity
            """
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-euc", script],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
        assert self.holder.stdout is not None
        if self.holder.stdout.readline().strip() != "ready":
            self.holder.kill()
            raise RuntimeError(f"overlay: {self.holder.communicate()[1]}")
        return self

    def __exit__(self, *exc) -> None:
        if self.holder is not None:
            self.holder.kill()
            self.holder.communicate()

    def path(self, inside: str) -> str:
        """A path inside the chroot as this process can reach it (through /proc)."""
        assert self.holder is not None
        return f"/proc/{self.holder.pid}/root{self.merged}{inside}"

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        assert self.holder is not None
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if var in os.environ:
                env[var] = os.environ[var]
        return run(["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt", "--", "chroot", str(self.merged), *argv],
                   env=env)

    def ok(self, *argv: str) -> str:
        r = self.run(*argv)
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r.stdout + r.stderr


if __name__ == "__main__":
    unittest.main()
