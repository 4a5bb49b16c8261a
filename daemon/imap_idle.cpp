// IMAP IDLE (RFC 2177) beside the polling.
//
// libcurl has no IDLE command, so the connection is made by curl with CURLOPT_CONNECT_ONLY
// (for IMAP curl's connect phase is the greeting, CAPABILITY, STARTTLS or TLS, and the
// login: the TLS and authentication settings are exactly those of the fetch connection),
// and the few commands IDLE needs (CAPABILITY, EXAMINE, IDLE, DONE) go over it with
// curl_easy_send/curl_easy_recv, waiting for its socket with Asio.
//
// Why the connect runs as a blocking curl_easy_perform on a thread of its own rather than
// on the shared multi handle (net/curl_multi.cpp):
//  - a CONNECT_ONLY handle can send over its connection only while it stays in the multi
//    handle that made it: after curl_multi_remove_handle, curl_easy_send fails with
//    CURLE_UNSUPPORTED_PROTOCOL (measured with curl 7.88), and the shared CurlMulti removes
//    every handle when its transfer completes;
//  - that CurlMulti registers every socket it opens with the io_context's reactor, and the
//    IDLE socket must be waited on by us: the same descriptor twice in one epoll set fails.
//  - on its own easy handle curl keeps the connection (its private multi) for
//    curl_easy_send/recv, and the thread keeps the event loop free even when the server is
//    slow to greet or to log in. curl is told NOSIGNAL (signals belong to the daemon) and
//    its progress callback aborts the connect within about a second of stop().
// After the connect the handle is used on the io_context's thread only.

#include "daemon/imap_idle.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>

namespace complaintd::daemon {

namespace asio = boost::asio;

namespace {

// RFC 2177: "clients using IDLE are advised to terminate the IDLE and re-issue it at least
// every 29 minutes to avoid being logged off" (servers may drop idle clients after 30).
constexpr auto kReidle = std::chrono::minutes(29);
constexpr auto kResponseTimeout = std::chrono::seconds(60);
constexpr long kConnectTimeoutSeconds = 10;
constexpr long kLoginTimeoutSeconds = 30;
// A session that lasted this long was healthy: the backoff starts again from the bottom.
constexpr auto kHealthySession = std::chrono::seconds(60);
// A server without IDLE is asked again this often, so an upgrade needs no restart.
constexpr auto kUnavailableRetry = std::chrono::hours(1);

std::chrono::seconds backoff(int failures) {
  return std::min(std::chrono::seconds(1L << std::clamp(failures - 1, 0, 9)), std::chrono::seconds(300));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

/// The first space-separated word of `s`, and `s` advanced past it and the spaces after.
std::string_view take_word(std::string_view& s) {
  const auto end = s.find(' ');
  const auto word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return word;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Pure parsing

std::optional<std::string> ImapLineReader::next_line() {
  const auto lf = buffer_.find('\n');
  if (lf == std::string::npos) {
    if (buffer_.size() <= kMaxLine) return std::nullopt;
    // No line is this long on an IDLE connection; cut it rather than grow without bound.
    std::string line = buffer_.substr(0, kMaxLine);
    buffer_.erase(0, kMaxLine);
    return line;
  }
  std::string line = buffer_.substr(0, lf);
  buffer_.erase(0, lf + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

IdleLine classify_idle_line(std::string_view line) {
  IdleLine out;
  std::string_view rest = line;
  const auto first = take_word(rest);
  if (first == "+") {
    out.kind = IdleLine::Kind::kContinuation;
    return out;
  }
  if (first == "*") {
    const auto second = take_word(rest);
    if (all_digits(second)) {
      // RFC 3501 §7.3.1/7.3.2: "* n EXISTS", "* n RECENT".
      const auto what = take_word(rest);
      if (iequals(what, "EXISTS") || iequals(what, "RECENT")) out.kind = IdleLine::Kind::kNewMail;
      return out;
    }
    if (iequals(second, "BYE")) {
      out.kind = IdleLine::Kind::kBye;
      out.text = std::string(rest);
    } else if (iequals(second, "CAPABILITY")) {
      out.kind = IdleLine::Kind::kCapability;
      out.text = std::string(rest);
    }
    return out;
  }
  if (!first.empty()) {
    const auto status = take_word(rest);
    if (iequals(status, "OK") || iequals(status, "NO") || iequals(status, "BAD")) {
      out.kind = IdleLine::Kind::kTagged;
      out.tag = std::string(first);
      out.ok = iequals(status, "OK");
      out.text = std::string(rest);
    }
  }
  return out;
}

bool has_capability_atom(std::string_view list, std::string_view capability) {
  while (!list.empty()) {
    if (iequals(take_word(list), capability)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The connection

struct ImapIdle::Connect {
  CURL* easy = nullptr;
  std::atomic<bool> abort{false};
  std::atomic<bool> finished{false};
  CURLcode code = CURLE_OK;  ///< written by the thread before `finished`
  std::array<char, CURL_ERROR_SIZE> error{};
};

namespace {
// curl calls it at least once a second while connecting: non-zero aborts the connect.
int on_progress(void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(abort)->load() ? 1 : 0;
}
}  // namespace

ImapIdle::ImapIdle(asio::io_context& io, std::string mailbox, ImapEndpoint endpoint, std::function<void()> on_new_mail)
    : io_(io),
      mailbox_(std::move(mailbox)),
      endpoint_(std::move(endpoint)),
      on_new_mail_(std::move(on_new_mail)),
      timer_(io),
      reidle_after_(kReidle) {}

ImapIdle::~ImapIdle() {
  stop();
  if (connect_thread_.joinable()) connect_thread_.join();
  disconnect();
  alive_.reset();
}

void ImapIdle::stop() {
  stopping_ = true;
  if (connect_) connect_->abort = true;
  timer_.cancel();
  if (socket_) {
    boost::system::error_code ignored;
    socket_->cancel(ignored);
  }
}

std::string ImapIdle::next_tag() { return "I" + std::to_string(++tags_); }

void ImapIdle::disconnect() {
  if (easy_ == nullptr) return;
  CURL* easy = static_cast<CURL*>(easy_);
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK) fd = CURL_SOCKET_BAD;
  if (idling_ && fd != CURL_SOCKET_BAD) {
    // Polite, best effort, never waited for: the server ends the IDLE before it sees EOF.
    std::size_t sent = 0;
    curl_easy_send(easy, "DONE\r\n", 6, &sent);
  }
  idling_ = false;
  if (socket_) {
    // Out of the reactor before curl closes the descriptor (see net/curl_multi.cpp).
    boost::system::error_code ignored;
    socket_->cancel(ignored);
    socket_->release();
    socket_.reset();
  }
  // curl_easy_cleanup says LOGOUT and waits for the answer, blocking, and in IDLE the
  // answer may never come: shut the socket down first so that it fails at once.
  if (fd != CURL_SOCKET_BAD) ::shutdown(fd, SHUT_RDWR);
  curl_easy_cleanup(easy);
  easy_ = nullptr;
  reader_ = ImapLineReader();
}

asio::awaitable<bool> ImapIdle::connect(std::string& error) {
  if (stopping_) {
    error = "stopped";
    co_return false;
  }
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    error = "curl_easy_init failed";
    co_return false;
  }
  easy_ = easy;
  connect_ = std::make_shared<Connect>();
  connect_->easy = easy;
  // The same server, credentials and TLS settings as ImapClient's transfers.
  const std::string url = endpoint_.url + "/";
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  if (!endpoint_.username.empty()) curl_easy_setopt(easy, CURLOPT_USERNAME, endpoint_.username.c_str());
  if (!endpoint_.password.empty()) curl_easy_setopt(easy, CURLOPT_PASSWORD, endpoint_.password.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, kLoginTimeoutSeconds);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, connect_->error.data());
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &connect_->abort);
  // A server that vanishes without a FIN (a NAT timeout) is noticed within minutes, not at
  // the next re-IDLE.
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 120L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 30L);
  curl_easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!endpoint_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, endpoint_.ca_file.c_str());
  if (!endpoint_.verify_tls) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  std::weak_ptr<int> alive = alive_;
  std::shared_ptr<Connect> job = connect_;
  connect_thread_ = std::thread([job, alive, this, &io = io_] {
    job->code = curl_easy_perform(job->easy);
    job->finished = true;
    // Wakes the coroutine below; `alive` says whether this ImapIdle still exists when the
    // handler runs (both on the io_context's thread).
    asio::post(io, [alive, this] {
      if (alive.lock()) timer_.cancel();
    });
  });
  while (!job->finished) {
    timer_.expires_after(std::chrono::hours(1));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  connect_thread_.join();
  connect_.reset();
  if (job->code != CURLE_OK) {
    error = job->error[0] != '\0' ? std::string(job->error.data()) : std::string(curl_easy_strerror(job->code));
    if (stopping_) error = "stopped";
    co_return false;
  }
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
    error = "no socket after connecting";
    co_return false;
  }
  socket_.emplace(io_, fd);
  co_return true;
}

asio::awaitable<bool> ImapIdle::wait_socket(bool for_write, Clock::time_point deadline) {
  for (;;) {
    if (stopping_ || !socket_) co_return false;
    // Asio's epoll reactor is edge-triggered: readiness that arrived before this wait (curl
    // reads at most a buffer at a time) would raise no new edge. Ask the kernel first.
    pollfd p{socket_->native_handle(), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    if (::poll(&p, 1, 0) > 0) co_return true;  // readable, or an error/hang-up recv reports
    if (Clock::now() >= deadline) co_return false;
    timer_.expires_at(deadline);
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
      if (ec || !alive.lock() || !socket_) return;
      boost::system::error_code ignored;
      socket_->cancel(ignored);
    });
    boost::system::error_code ec;
    co_await socket_->async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                           : asio::posix::descriptor_base::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
    timer_.cancel();
    if (!ec) co_return true;
    // Cancelled: by the deadline or stop() (checked above), or by a deadline handler of an
    // earlier wait that was already queued: then simply wait again.
  }
}

asio::awaitable<bool> ImapIdle::send(std::string_view command, std::string& error) {
  CURL* easy = static_cast<CURL*>(easy_);
  const auto deadline = Clock::now() + kResponseTimeout;
  while (!command.empty()) {
    std::size_t sent = 0;
    const CURLcode rc = curl_easy_send(easy, command.data(), command.size(), &sent);
    if (rc == CURLE_AGAIN) {
      if (!co_await wait_socket(true, deadline)) {
        error = stopping_ ? "stopped" : "timed out sending";
        co_return false;
      }
      continue;
    }
    if (rc != CURLE_OK) {
      error = curl_easy_strerror(rc);
      co_return false;
    }
    command.remove_prefix(sent);
  }
  co_return true;
}

asio::awaitable<std::optional<std::string>> ImapIdle::read_line(Clock::time_point deadline, std::string& error) {
  CURL* easy = static_cast<CURL*>(easy_);
  std::array<char, 4096> buffer{};
  for (;;) {
    if (auto line = reader_.next_line()) co_return line;
    std::size_t n = 0;
    const CURLcode rc = curl_easy_recv(easy, buffer.data(), buffer.size(), &n);
    if (rc == CURLE_OK) {
      if (n == 0) {
        error = "connection closed by the server";
        co_return std::nullopt;
      }
      reader_.feed(std::string_view(buffer.data(), n));
      continue;
    }
    if (rc != CURLE_AGAIN) {
      error = curl_easy_strerror(rc);
      co_return std::nullopt;
    }
    if (!co_await wait_socket(false, deadline)) {
      error = stopping_ ? "stopped" : "timeout";
      co_return std::nullopt;
    }
  }
}

asio::awaitable<std::optional<IdleLine>> ImapIdle::await_tagged(const std::string& tag, std::string& error,
                                                                std::string* capabilities) {
  const auto deadline = Clock::now() + kResponseTimeout;
  for (;;) {
    auto line = co_await read_line(deadline, error);
    if (!line) co_return std::nullopt;
    auto l = classify_idle_line(*line);
    switch (l.kind) {
      case IdleLine::Kind::kTagged:
        if (l.tag == tag) co_return l;
        break;
      case IdleLine::Kind::kNewMail:
        // Only while idling: EXAMINE's own "* n EXISTS" is the mailbox's size, not news.
        if (idling_) on_new_mail_();
        break;
      case IdleLine::Kind::kCapability:
        if (capabilities != nullptr) *capabilities = l.text;
        break;
      case IdleLine::Kind::kBye:
        error = "the server said BYE: " + l.text;
        co_return std::nullopt;
      default:
        break;
    }
  }
}

asio::awaitable<ImapIdle::Ended> ImapIdle::session() {
  Ended end;
  auto lost = [&](std::string reason) {
    end.outcome = stopping_ ? Outcome::kStopped : Outcome::kLost;
    end.reason = std::move(reason);
    return end;
  };
  std::string error;
  if (!co_await connect(error)) co_return lost("connect: " + error);

  std::string capabilities;
  std::string tag = next_tag();
  if (!co_await send(tag + " CAPABILITY\r\n", error)) co_return lost("CAPABILITY: " + error);
  auto reply = co_await await_tagged(tag, error, &capabilities);
  if (!reply) co_return lost("CAPABILITY: " + error);
  const auto& ignored = endpoint_.ignore_capabilities;
  if (!has_capability_atom(capabilities, "IDLE") ||
      std::any_of(ignored.begin(), ignored.end(), [](const std::string& c) { return iequals(c, "IDLE"); })) {
    end.outcome = Outcome::kUnavailable;
    end.reason = "the server does not advertise IDLE";
    co_return end;
  }

  // EXAMINE, not SELECT: read-only, so this connection never changes a flag (RFC 3501
  // §6.3.2), and the poller's connection keeps the \Recent flags.
  tag = next_tag();
  if (!co_await send(tag + " EXAMINE " + imap_mailbox_argument(endpoint_.folder) + "\r\n", error))
    co_return lost("EXAMINE: " + error);
  reply = co_await await_tagged(tag, error);
  if (!reply) co_return lost("EXAMINE: " + error);
  if (!reply->ok) co_return lost("EXAMINE: " + reply->text);

  while (!stopping_) {
    tag = next_tag();
    if (!co_await send(tag + " IDLE\r\n", error)) co_return lost("IDLE: " + error);
    // Until "+ idling": a refusal is the tagged reply instead.
    for (bool waiting = true; waiting;) {
      auto line = co_await read_line(Clock::now() + kResponseTimeout, error);
      if (!line) co_return lost("IDLE: " + error);
      const auto l = classify_idle_line(*line);
      if (l.kind == IdleLine::Kind::kContinuation) {
        waiting = false;
      } else if (l.kind == IdleLine::Kind::kTagged && l.tag == tag) {
        end.outcome = Outcome::kUnavailable;
        end.reason = "IDLE refused: " + l.text;
        co_return end;
      } else if (l.kind == IdleLine::Kind::kBye) {
        co_return lost("the server said BYE: " + l.text);
      }
    }
    idling_ = true;
    if (!end.was_idling) {
      end.was_idling = true;
      spdlog::info("mailbox={} server={} event=idle-started folder=\"{}\"", mailbox_, endpoint_.url, endpoint_.folder);
      // What arrived while there was no IDLE connection (since the last poll) is fetched now.
      on_new_mail_();
    }
    const auto reidle_at = Clock::now() + reidle_after_;
    for (;;) {
      auto line = co_await read_line(reidle_at, error);
      if (!line) {
        if (stopping_) co_return lost("stopped");
        if (error == "timeout") break;  // time to re-issue IDLE
        co_return lost(error);
      }
      const auto l = classify_idle_line(*line);
      if (l.kind == IdleLine::Kind::kNewMail) on_new_mail_();
      else if (l.kind == IdleLine::Kind::kBye) co_return lost("the server said BYE: " + l.text);
    }
    if (!co_await send("DONE\r\n", error)) co_return lost("DONE: " + error);
    reply = co_await await_tagged(tag, error);
    idling_ = false;
    if (!reply) co_return lost("DONE: " + error);
    if (!reply->ok) co_return lost("IDLE ended with: " + reply->text);
  }
  co_return lost("stopped");
}

asio::awaitable<void> ImapIdle::sleep(std::chrono::seconds d) {
  if (stopping_) co_return;
  timer_.expires_after(d);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> ImapIdle::run() {
  int failures = 0;
  bool unavailable_logged = false;
  while (!stopping_) {
    const auto started = Clock::now();
    const Ended end = co_await session();
    disconnect();
    if (stopping_ || end.outcome == Outcome::kStopped) break;
    if (end.outcome == Outcome::kUnavailable) {
      if (!unavailable_logged)
        spdlog::warn("mailbox={} server={} event=idle-unavailable reason=\"{}\" action=polling-only", mailbox_,
                     endpoint_.url, end.reason);
      unavailable_logged = true;
      failures = 0;
      co_await sleep(std::chrono::duration_cast<std::chrono::seconds>(kUnavailableRetry));
      continue;
    }
    if (end.was_idling && Clock::now() - started >= kHealthySession) failures = 0;
    ++failures;
    const auto wait = backoff(failures);
    // Once per outage: a server that stays down is already reported by the poller.
    if (end.was_idling || failures == 1) {
      spdlog::warn("mailbox={} server={} event=idle-lost reason=\"{}\" retry_in_seconds={} action=polling-continues",
                   mailbox_, endpoint_.url, end.reason, wait.count());
    } else {
      spdlog::debug("mailbox={} event=idle-retry reason=\"{}\" retry_in_seconds={}", mailbox_, end.reason,
                    wait.count());
    }
    co_await sleep(wait);
  }
  disconnect();
}

}  // namespace complaintd::daemon
