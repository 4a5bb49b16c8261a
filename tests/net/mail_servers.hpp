#pragma once
// The real Dovecot + Postfix of scripts/mail-servers.sh, on 127.0.0.1, for the net tests.
//
// Started lazily by the first test that asks (tests that need no server start none) and
// stopped when the test program ends. With COMPLAINTD_MAIL_SERVERS_DIR pointing at a
// directory where the script already runs servers, those are used and left running (handy
// when iterating: one start instead of one per test process).
// Port choice follows tests/integration/harness.py: a base port that is a multiple of 100 in
// 20000..31900, locked with flock(2) in /tmp/complaintd-test-ports so that parallel test
// processes never race for it, and probed before use.

#include <string>

namespace complaintd::test {

struct MailServers {
  std::string dir;
  int imap_port = 0;
  int imaps_port = 0;
  int smtp_port = 0;
  std::string cert;  ///< the servers' self-signed certificate (PEM)

  /// The user every net test uses; its INBOX also receives user+tag@ mail.
  static constexpr const char* kUser = "net@example.test";
  static constexpr const char* kPassword = "net-test-Passw0rd";

  [[nodiscard]] std::string imap_url() const { return "imap://127.0.0.1:" + std::to_string(imap_port); }
  [[nodiscard]] std::string imaps_url() const { return "imaps://127.0.0.1:" + std::to_string(imaps_port); }
  [[nodiscard]] std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port); }
};

/// Empty when this machine can run the servers, else why not (not root, packages missing).
std::string mail_servers_unavailable();

/// The servers, started on first use; throws std::runtime_error when they do not start.
const MailServers& mail_servers();

/// Skips the test where the servers cannot run at all, then binds `name` to them.
#define COMPLAINTD_REQUIRE_MAIL_SERVERS(name)                                                   \
  if (const auto why = ::complaintd::test::mail_servers_unavailable(); !why.empty()) {         \
    GTEST_SKIP() << why;                                                                      \
  }                                                                                           \
  const ::complaintd::test::MailServers& name = ::complaintd::test::mail_servers()

/// A TCP port on 127.0.0.1 with nothing listening (bound once, then closed).
int closed_port();

/// Open file descriptors of this process (to catch leaked sockets).
int open_fd_count();

}  // namespace complaintd::test
