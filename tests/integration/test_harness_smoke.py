"""Smoke test of the integration harness: real Postfix delivers into real Dovecot on loopback."""

import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ALICE = "alice@example.test"
BOB = "bob@example.test"


class HarnessSmokeTest(unittest.TestCase):
    def test_delivery_tags_rejects_and_clean_stop(self):
        servers = harness.MailServers()
        self.addCleanup(servers.stop)  # also when an assertion fails
        servers.start()
        self.assertTrue(os.path.isfile(os.path.join(servers.dir, "servers.env")))
        self.assertTrue(harness.pid_alive(servers.dovecot_pid))
        self.assertTrue(harness.pid_alive(servers.postfix_pid))

        servers.add_user(ALICE, "alice-pw")
        servers.add_user(BOB, "bob-pw")
        servers.add_user(BOB, "bob-pw")  # idempotent

        # alice -> bob through Postfix and LMTP.
        msg = harness.make_message(ALICE, BOB, "Smoke test", "Hello Bob,\nit works.\n",
                                   message_id="<smoke-1@example.test>")
        self.assertIn(b"\r\n", msg)
        self.assertNotIn(b"\n", msg.replace(b"\r\n", b""))
        self.assertEqual(servers.send(ALICE, BOB, msg), {})
        [delivered] = servers.wait_for_messages(BOB, "bob-pw", 1, timeout=30)
        uid, flags, raw = delivered
        self.assertGreater(uid, 0)
        self.assertNotIn("\\Seen", flags)
        self.assertIn(b"Message-ID: <smoke-1@example.test>\r\n", raw)
        self.assertIn(b"Delivered-To: bob@example.test\r\n", raw)
        self.assertTrue(raw.endswith(msg.split(b"\r\n\r\n", 1)[1]))
        # Postfix must not have added header fields of its own making.
        self.assertEqual(raw.count(b"\r\nDate: "), 1)

        # A +tag address lands in the same INBOX.
        tagged = harness.make_message(ALICE, "bob+complaints@example.test", "Tagged", "tag\n",
                                      message_id="<smoke-2@example.test>")
        servers.send(ALICE, "bob+complaints@example.test", tagged)
        got = servers.wait_for_messages(BOB, "bob-pw", 2, timeout=30)
        self.assertEqual(len(got), 2)
        self.assertIn(b"<smoke-2@example.test>", got[1].raw)
        self.assertIn(b"Delivered-To: bob+complaints@example.test\r\n", got[1].raw)
        self.assertEqual(servers.messages(ALICE, "alice-pw"), [])

        # Any sender may write to a listed user.
        servers.send("citizen@outside.invalid", ALICE,
                     harness.make_message("citizen@outside.invalid", ALICE, "From outside", "x\n"))
        servers.wait_for_messages(ALICE, "alice-pw", 1, timeout=30)

        # Unknown users and other domains are refused at RCPT time.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            servers.send(ALICE, "nobody@example.test",
                         harness.make_message(ALICE, "nobody@example.test", "No", "no\n"))
        self.assertEqual(cm.exception.recipients["nobody@example.test"][0], 550)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            servers.send(ALICE, "someone@example.org",
                         harness.make_message(ALICE, "someone@example.org", "No", "no\n"))
        self.assertEqual(cm.exception.recipients["someone@example.org"][0], 554)

        # APPEND places bytes exactly; special-use folders exist.
        raw = b"From: a@example.test\r\nSubject: appended\r\n\r\nbody \xe9\r\n"
        new_uid = servers.append(BOB, "bob-pw", raw, folder="Archive")
        [(a_uid, _, a_raw)] = servers.messages(BOB, "bob-pw", folder="Archive")
        self.assertEqual(a_raw, raw)
        self.assertEqual(new_uid, a_uid)
        self.assertTrue({"INBOX", "Sent", "Trash", "Junk", "Drafts", "Archive"}
                        <= set(servers.folders(BOB, "bob-pw")))

        # clear_folder empties a folder and is fine with an empty one.
        self.assertEqual(servers.clear_folder(BOB, folder="Archive"), 1)
        self.assertEqual(servers.clear_folder(BOB, folder="Archive"), 0)
        self.assertEqual(servers.count(BOB, folder="Archive"), 0)

        # IMAPS with the instance's certificate.
        with servers.imap(BOB, "bob-pw", tls=True) as conn:
            self.assertEqual(conn.select("INBOX", readonly=True)[0], "OK")

        # stop() leaves nothing of this instance running.
        pids = (servers.dovecot_pid, servers.postfix_pid)
        self.assertTrue(servers.live_processes())
        servers.stop()
        for pid in pids:
            self.assertFalse(harness.pid_alive(pid), f"master {pid} still alive")
        self.assertEqual(servers.live_processes(), [])
        self.assertEqual(os.path.isdir(servers.dir), servers.keep_dir)
        servers.stop()  # idempotent


class HarnessPreseededUsersTest(harness.MailTestCase):
    users = {"carol@example.test": "carol-pw"}

    def test_preseeded_user_receives_mail(self):
        s = self.servers
        s.send("x@example.org", "carol@example.test",
               harness.make_message("x@example.org", "carol@example.test", "Pr\u00e9-seeded",
                                    "Bonjour \u00e0 tous\n"))
        [(_, _, raw)] = s.wait_for_messages("carol@example.test", count=1, timeout=30)
        self.assertIn(b"Subject: =?utf-8?q?Pr=C3=A9-seeded?=\r\n", raw)
        self.assertIn("Bonjour \u00e0 tous\r\n".encode("utf-8"), raw)


if __name__ == "__main__":
    unittest.main()
