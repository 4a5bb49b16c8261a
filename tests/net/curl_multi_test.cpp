// CurlMulti: concurrency, timers, cancellation and socket lifetime, against real servers and
// against a loopback listener that never answers.

#include "net/curl_multi.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "daemon/imap_client.hpp"
#include "outbound/smtp_client.hpp"
#include "tests/net/mail_servers.hpp"
#include "tests/net/support.hpp"

namespace complaintd::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::MailServers;

/// A listening socket on 127.0.0.1 that never accepts: the kernel completes the TCP
/// handshake, then the client waits forever for a greeting.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    ::listen(fd_, 128);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  [[nodiscard]] std::string url() const { return "imap://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// The file descriptors of `io`'s reactor exist before we count (Asio creates epoll, eventfd
/// and timerfd with the first I/O object), so that only sockets are compared.
int settled_fd_count(asio::io_context& io) {
  asio::steady_timer warm_up(io);
  { CurlMulti warm(io); }
  return test::open_fd_count();
}

daemon::ImapEndpoint imap_endpoint(const std::string& url, const std::string& user, const std::string& password) {
  daemon::ImapEndpoint ep;
  ep.url = url;
  ep.username = user;
  ep.password = password;
  return ep;
}

CurlEasy silent_transfer(const SilentServer& server) {
  CurlEasy easy(curl_easy_init());
  const std::string url = server.url() + "/";
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, "NOOP");
  curl_easy_setopt(easy.get(), CURLOPT_USERNAME, "nobody");
  curl_easy_setopt(easy.get(), CURLOPT_PASSWORD, "nothing");
  return easy;
}

TEST(CurlMultiTest, FiftyConcurrentTransfersOnOneMultiAllComplete) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  asio::io_context io;
  CurlMulti multi(io);
  const auto ep = imap_endpoint(s.imap_url(), MailServers::kUser, MailServers::kPassword);
  std::vector<std::unique_ptr<daemon::ImapClient>> clients;
  int ok = 0;
  int failed = 0;
  std::string last_error;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<daemon::ImapClient>(multi, ep));
    asio::co_spawn(
        io,
        [&, client = clients.back().get()]() -> asio::awaitable<void> {
          auto st = co_await client->status();
          if (st.ok()) {
            ++ok;
          } else {
            ++failed;
            last_error = st.error().message;
          }
        },
        asio::detached);
  }
  // SMTP on the same multi at the same time.
  outbound::SmtpEndpoint smtp_ep;
  smtp_ep.url = s.smtp_url();
  outbound::SmtpClient smtp(multi, smtp_ep);
  const std::vector<std::string> recipients{"net+concurrent@example.test"};
  int sent = 0;
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          const std::string raw = "Subject: concurrent " + std::to_string(i) + "\r\n\r\nx\r\n";
          auto out = co_await smtp.send("complaints@example.test", recipients, raw);
          if (out.accepted) ++sent;
          else last_error = out.error;
        },
        asio::detached);
  }
  const auto started = std::chrono::steady_clock::now();
  io.run();
  EXPECT_EQ(ok, 50) << last_error;
  EXPECT_EQ(failed, 0) << last_error;
  EXPECT_EQ(sent, 10) << last_error;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST(CurlMultiTest, TheEventLoopKeepsTurningDuringBigTransfers) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  asio::io_context io;
  CurlMulti multi(io);
  // A 4 MB message placed by APPEND, fetched back, and sent through Postfix, while a 10 ms
  // ticker measures how long the loop ever stood still.
  std::string big = "Subject: loop\r\n\r\n";
  while (big.size() < 4 * 1024 * 1024) big += std::string(76, 'z') + "\r\n";
  const std::string folder = test::unique_folder();
  test::run(io, test::create_folder(multi, s, folder));
  ASSERT_EQ(test::run(io, test::append(multi, s, folder, big)), CURLE_OK);

  daemon::ImapEndpoint ep = imap_endpoint(s.imap_url(), MailServers::kUser, MailServers::kPassword);
  ep.folder = folder;
  daemon::ImapClient imap(multi, ep);
  outbound::SmtpEndpoint smtp_ep;
  smtp_ep.url = s.smtp_url();
  outbound::SmtpClient smtp(multi, smtp_ep);
  const std::vector<std::uint32_t> uids{1};
  const std::vector<std::string> to{"net+loop@example.test"};

  bool done = false;
  auto longest = std::chrono::steady_clock::duration::zero();
  asio::steady_timer ticker(io);
  auto last = std::chrono::steady_clock::now();
  std::function<void()> tick = [&] {
    ticker.expires_after(10ms);
    ticker.async_wait([&](const boost::system::error_code&) {
      const auto now = std::chrono::steady_clock::now();
      longest = std::max(longest, now - last);
      last = now;
      if (!done) tick();
    });
  };
  tick();
  std::size_t fetched = 0;
  bool sent = false;
  std::string why;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto got = co_await imap.fetch(uids);
        if (got.ok() && got->size() == 1) fetched = got->front().raw.size();
        if (!got.ok()) why = got.error().message;
        auto out = co_await smtp.send("complaints@example.test", to, big);
        sent = out.accepted;
        why += out.error;
        done = true;
      },
      asio::detached);
  io.restart();  // test::run above left it stopped
  io.run();
  EXPECT_EQ(fetched, big.size()) << why;
  EXPECT_TRUE(sent) << why;
  // Generous for sanitizer builds; a blocking transfer would stall it for the whole run.
  EXPECT_LT(longest, 500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms";
  std::printf("longest stall of the event loop: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()));
}

TEST(CurlMultiTest, CurlTimeoutsFireThroughTheTimer) {
  SilentServer server;
  asio::io_context io;
  CurlMulti multi(io);
  CurlEasy easy = silent_transfer(server);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 300L);
  const auto started = std::chrono::steady_clock::now();
  const CURLcode code = test::run(io, multi.perform(easy.get()));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
}

TEST(CurlMultiTest, DestroyingTheMultiCancelsTransfersInFlight) {
  SilentServer server;
  asio::io_context io;
  const int fds_before = settled_fd_count(io);
  auto multi = std::make_unique<CurlMulti>(io);
  daemon::ImapClient client(*multi, imap_endpoint(server.url(), "nobody", "nothing"));
  std::optional<Result<daemon::MailboxStatus>> result;
  std::vector<CURLcode> raw_codes;
  std::vector<CurlEasy> raw;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { result.emplace(co_await client.status()); }, asio::detached);
  for (int i = 0; i < 5; ++i) {
    raw.push_back(silent_transfer(server));
    asio::co_spawn(
        io, [&, h = raw.back().get()]() -> asio::awaitable<void> { raw_codes.push_back(co_await multi->perform(h)); },
        asio::detached);
  }
  asio::steady_timer later(io, 300ms);
  later.async_wait([&](const boost::system::error_code&) { multi.reset(); });
  io.run();  // returns only once every awaiter has been resumed
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_NE(result->error().message.find("cancelled"), std::string::npos) << result->error().message;
  EXPECT_EQ(raw_codes, std::vector<CURLcode>(5, CURLE_ABORTED_BY_CALLBACK));
  EXPECT_EQ(test::open_fd_count(), fds_before) << "a socket leaked";
}

TEST(CurlMultiTest, StoppedIoContextWithTransfersInFlightTearsDownCleanly) {
  SilentServer server;
  bool resumed = false;
  int fds_before = 0;
  {
    asio::io_context io;
    fds_before = settled_fd_count(io);
    {
      CurlMulti multi(io);
      daemon::ImapClient client(multi, imap_endpoint(server.url(), "nobody", "nothing"));
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            auto st = co_await client.status();
            resumed = true;
          },
          asio::detached);
      io.run_for(300ms);  // the transfer is waiting for a greeting
      io.stop();
      EXPECT_FALSE(resumed);
    }  // the multi goes first, with the transfer in flight, while the io_context is stopped
    EXPECT_EQ(test::open_fd_count(), fds_before) << "a socket leaked";
  }  // destroying the io_context destroys the suspended coroutine (LeakSanitizer checks)
  EXPECT_FALSE(resumed);
}

TEST(CurlMultiTest, TheSameEasyHandleTwiceAtOnceIsRefused) {
  SilentServer server;
  asio::io_context io;
  auto multi = std::make_unique<CurlMulti>(io);
  CurlEasy easy = silent_transfer(server);
  std::vector<CURLcode> codes;
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { codes.push_back(co_await multi->perform(easy.get())); }, asio::detached);
  }
  asio::steady_timer later(io, 200ms);
  later.async_wait([&](const boost::system::error_code&) { multi.reset(); });
  io.run();
  ASSERT_EQ(codes.size(), 2U);
  EXPECT_EQ(codes[0], CURLE_BAD_FUNCTION_ARGUMENT);
  EXPECT_EQ(codes[1], CURLE_ABORTED_BY_CALLBACK);
}

TEST(CurlMultiTest, ConnectionsArePooledAndClosedWithoutLeaks) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  asio::io_context io;
  const int fds_before = settled_fd_count(io);
  {
    CurlMulti multi(io);
    daemon::ImapClient client(multi, imap_endpoint(s.imap_url(), MailServers::kUser, MailServers::kPassword));
    for (int i = 0; i < 20; ++i) {
      auto st = test::run(io, client.status());
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
    // One pooled connection (plus the multi's own wakeup pair): not one per command.
    EXPECT_LE(test::open_fd_count(), fds_before + 3);
  }
  EXPECT_EQ(test::open_fd_count(), fds_before);
}

TEST(CurlMultiTest, PerformFromAnotherThreadRunsOnTheIoContext) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  asio::io_context io;
  asio::io_context other;
  CurlMulti multi(io);
  CurlEasy easy(curl_easy_init());
  const std::string url = s.imap_url() + "/";
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_USERNAME, MailServers::kUser);
  curl_easy_setopt(easy.get(), CURLOPT_PASSWORD, MailServers::kPassword);
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, "NOOP");
  std::optional<CURLcode> code;
  // The coroutine runs on `other`'s thread; the transfer itself must run on `io`.
  asio::co_spawn(other, [&]() -> asio::awaitable<void> { code = co_await multi.perform(easy.get()); }, asio::detached);
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  other.run();
  guard.reset();
  io_thread.join();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, CURLE_OK);
}

}  // namespace
}  // namespace complaintd::net
