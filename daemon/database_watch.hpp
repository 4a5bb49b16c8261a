#pragma once
// Another process wrote to the database: `complaintd ingest` from the mail server's pipe,
// `quarantine replay`, `outbox retry`. The letters it queued should leave now, not at the
// sender's next minute. inotify on the database's directory tells the daemon when the
// database or its WAL changes; the daemon then looks at its outbox and deadlines at once.
// Its own writes wake it too, which costs one query (and is bounded by the caller's
// debounce).

#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace complaintd::daemon {

/// Whether a change to the file `name` in the database's directory is a change to the
/// database `database` (its main file, or its WAL or rollback journal). Pure.
bool is_database_file(std::string_view name, const std::filesystem::path& database);

/// Whether a read of inotify events (struct inotify_event records, each followed by its
/// NUL-padded name) names the database `database`. Pure.
bool touches_database(std::string_view events, const std::filesystem::path& database);

class DatabaseWatch {
 public:
  /// `changed` runs on the io_context's thread for each batch of changes seen.
  DatabaseWatch(boost::asio::io_context& io, std::filesystem::path database, std::function<void()> changed);
  ~DatabaseWatch();
  DatabaseWatch(const DatabaseWatch&) = delete;
  DatabaseWatch& operator=(const DatabaseWatch&) = delete;

  /// Starts watching; false (and the reason) when inotify is not available, in which case
  /// the daemon keeps its timers only.
  bool start(std::string& why);
  boost::asio::awaitable<void> run();
  void stop();

 private:
  std::filesystem::path database_;
  std::function<void()> changed_;
  boost::asio::posix::stream_descriptor stream_;
  std::vector<char> buffer_;
};

}  // namespace complaintd::daemon
