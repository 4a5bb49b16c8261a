// The IDLE connection against the real Dovecot: new mail is reported, also after IDLE was
// re-issued and over TLS; a server "without" IDLE ends in polling only; stop() ends it all
// promptly and leaves no socket behind.

#include "daemon/imap_idle.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>

#include "net/curl_multi.hpp"
#include "tests/net/mail_servers.hpp"
#include "tests/net/support.hpp"

namespace complaintd {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

daemon::ImapEndpoint endpoint(const test::MailServers& s, bool tls, const std::string& folder) {
  daemon::ImapEndpoint e;
  e.url = tls ? s.imaps_url() : s.imap_url();
  e.username = test::MailServers::kUser;
  e.password = test::MailServers::kPassword;
  e.folder = folder;
  e.ca_file = s.cert;
  return e;
}

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

/// Waits until `done()` or the timeout; whether it became true. (Predicates are named
/// objects, never temporaries in a co_await's arguments: GCC 12 mishandles those.)
asio::awaitable<bool> wait_until(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await sleep_for(20ms);
  }
  co_return true;
}

void reports_new_mail(bool tls) {
  const auto& s = test::mail_servers();
  const std::string folder = test::unique_folder() + (tls ? "_tls" : "");
  asio::io_context io;
  net::CurlMulti multi(io);
  test::run(io, test::create_folder(multi, s, folder));
  const int fds_before = test::open_fd_count();

  int news = 0;
  bool finished = false;
  {
    daemon::ImapIdle idle(io, "net", endpoint(s, tls, folder), [&news] { ++news; });
    idle.set_reidle_interval(1s);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await idle.run();
      finished = true;
    }, asio::detached);
    test::run(io, [&]() -> asio::awaitable<void> {
      // The wake-up when IDLE starts (for what came while there was none).
      const std::function<bool()> started = [&] { return news >= 1; };
      EXPECT_TRUE(co_await wait_until(started, 20s));
      // IDLE is re-issued (DONE, IDLE) twice meanwhile: the push must survive it.
      co_await sleep_for(2500ms);
      const int before = news;
      const std::string mail = test::message("idle", "A new complaint.\r\n");
      const CURLcode appended_code = co_await test::append(multi, s, folder, mail);
      EXPECT_EQ(appended_code, CURLE_OK);
      const auto appended = std::chrono::steady_clock::now();
      const std::function<bool()> reported = [&] { return news > before; };
      EXPECT_TRUE(co_await wait_until(reported, 10s));
      EXPECT_LT(std::chrono::steady_clock::now() - appended, 5s);
      const auto stop_at = std::chrono::steady_clock::now();
      idle.stop();
      const std::function<bool()> ended = [&] { return finished; };
      EXPECT_TRUE(co_await wait_until(ended, 3s));
      EXPECT_LT(std::chrono::steady_clock::now() - stop_at, 1500ms);
    }());
  }
  EXPECT_TRUE(finished);
  EXPECT_LE(test::open_fd_count(), fds_before) << "the IDLE connection's socket was left open";
}

TEST(ImapIdle, ReportsNewMailAlsoAfterReissuingIdle) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  (void)s;
  reports_new_mail(false);
}

TEST(ImapIdle, ReportsNewMailOverTls) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  (void)s;
  reports_new_mail(true);
}

TEST(ImapIdle, WithoutTheCapabilityItGivesUpAndStopsCleanly) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  asio::io_context io;
  auto e = endpoint(s, false, "INBOX");
  e.ignore_capabilities = {"idle"};
  int news = 0;
  bool finished = false;
  daemon::ImapIdle idle(io, "net", e, [&news] { ++news; });
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await idle.run();
    finished = true;
  }, asio::detached);
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(1500ms);  // connected, asked, gave up: now waiting an hour to ask again
    idle.stop();
    const std::function<bool()> ended = [&] { return finished; };
    EXPECT_TRUE(co_await wait_until(ended, 2s));
  }());
  EXPECT_EQ(news, 0);
}

TEST(ImapIdle, StopWhileTheServerCannotBeReached) {
  asio::io_context io;
  daemon::ImapEndpoint e;
  e.url = "imap://127.0.0.1:" + std::to_string(test::closed_port());
  e.username = "nobody@example.test";
  e.password = "x";
  bool finished = false;
  daemon::ImapIdle idle(io, "net", e, [] {});
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await idle.run();
    finished = true;
  }, asio::detached);
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(300ms);  // refused, backing off
    idle.stop();
    const std::function<bool()> ended = [&] { return finished; };
    EXPECT_TRUE(co_await wait_until(ended, 2s));
  }());
}

}  // namespace
}  // namespace complaintd
