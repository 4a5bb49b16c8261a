#pragma once
// IMAP IDLE (RFC 2177) on a connection of its own, beside the polling: when the server says
// a message arrived ("* n EXISTS"), the mailbox is polled at once instead of at its next
// interval. Polling never stops, so a server without IDLE, or an IDLE connection that is
// down, only costs latency.

#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/imap_client.hpp"

namespace complaintd::daemon {

/// Splits the bytes of an IMAP connection into CRLF-terminated lines, whatever the reads'
/// boundaries. Pure. A line longer than the limit is cut there (an IDLE connection only
/// expects short status lines; nothing it acts on is long).
class ImapLineReader {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  /// The next whole line without its CRLF (a bare LF also ends one), if one is complete.
  std::optional<std::string> next_line();

 private:
  static constexpr std::size_t kMaxLine = 64 * 1024;
  std::string buffer_;
};

/// What one line from the server means to an IDLE connection (RFC 3501 §7, RFC 2177).
struct IdleLine {
  enum class Kind {
    kNewMail,       ///< "* n EXISTS" or "* n RECENT": poll now
    kContinuation,  ///< "+ idling": the server is in IDLE
    kTagged,        ///< "<tag> OK|NO|BAD ...": the end of one of our commands
    kBye,           ///< "* BYE": the server is closing the connection
    kCapability,    ///< "* CAPABILITY ..."
    kOther,         ///< anything else (FETCH, EXPUNGE, OK [...]): ignored
  };
  Kind kind = Kind::kOther;
  std::string tag;     ///< kTagged
  bool ok = false;     ///< kTagged: the status was OK
  std::string text;    ///< kTagged, kBye: the rest of the line; kCapability: the capabilities
};

IdleLine classify_idle_line(std::string_view line);

/// Whether a "* CAPABILITY" list (space-separated atoms) names `capability`, any case.
bool has_capability_atom(std::string_view list, std::string_view capability);

/// One mailbox's IDLE connection. Runs on the io_context's thread; the only blocking step,
/// curl's connect and login, runs on a thread of its own (see imap_idle.cpp).
class ImapIdle {
 public:
  /// `on_new_mail` is called on the io_context's thread whenever the server reports new
  /// mail, and once each time IDLE (re)starts, for what arrived while it was not running.
  ImapIdle(boost::asio::io_context& io, std::string mailbox, ImapEndpoint endpoint, std::function<void()> on_new_mail);
  ~ImapIdle();
  ImapIdle(const ImapIdle&) = delete;
  ImapIdle& operator=(const ImapIdle&) = delete;

  /// Connects, IDLEs, reconnects with backoff; returns after stop().
  boost::asio::awaitable<void> run();
  /// Ends run() soon (a connect in progress is aborted within about a second).
  void stop();
  /// How long one IDLE command lasts before DONE and a new IDLE (29 minutes; tests shorten it).
  void set_reidle_interval(std::chrono::steady_clock::duration d) { reidle_after_ = d; }

 private:
  struct Connect;  // the connect-and-login job handed to a thread
  enum class Outcome { kStopped, kLost, kUnavailable };
  struct Ended {
    Outcome outcome = Outcome::kLost;
    std::string reason;
    bool was_idling = false;
  };
  using Clock = std::chrono::steady_clock;

  boost::asio::awaitable<Ended> session();
  boost::asio::awaitable<bool> connect(std::string& error);
  boost::asio::awaitable<bool> send(std::string_view command, std::string& error);
  /// The next line, or nullopt with `error` set (timeout, connection closed, stop).
  boost::asio::awaitable<std::optional<std::string>> read_line(Clock::time_point deadline, std::string& error);
  /// Reads until the tagged reply to `tag`; new-mail lines in between are acted on.
  boost::asio::awaitable<std::optional<IdleLine>> await_tagged(const std::string& tag, std::string& error,
                                                               std::string* capabilities = nullptr);
  boost::asio::awaitable<bool> wait_socket(bool for_write, Clock::time_point deadline);
  boost::asio::awaitable<void> sleep(std::chrono::seconds d);
  void disconnect();
  std::string next_tag();

  boost::asio::io_context& io_;
  std::string mailbox_;
  ImapEndpoint endpoint_;
  std::function<void()> on_new_mail_;
  boost::asio::steady_timer timer_;     ///< deadlines, backoff and the wait for the connect thread
  std::optional<boost::asio::posix::stream_descriptor> socket_;  ///< curl's socket, never closed by us
  std::shared_ptr<Connect> connect_;
  std::thread connect_thread_;
  void* easy_ = nullptr;  ///< CURL*: the logged-in connection (curl owns its socket)
  ImapLineReader reader_;
  std::chrono::steady_clock::duration reidle_after_;
  unsigned tags_ = 0;
  bool idling_ = false;  ///< an IDLE command is in progress
  bool stopping_ = false;
  /// Handlers that may run after this object is gone (the connect thread's wake-up, a
  /// deadline) hold a weak_ptr to it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace complaintd::daemon
