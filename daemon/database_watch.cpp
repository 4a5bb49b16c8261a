#include "daemon/database_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace complaintd::daemon {

namespace asio = boost::asio;

bool is_database_file(std::string_view name, const std::filesystem::path& database) {
  const std::string base = database.filename().string();
  if (base.empty() || name.substr(0, base.size()) != base) return false;
  const std::string_view rest = name.substr(base.size());
  return rest.empty() || rest == "-wal" || rest == "-journal";
}

bool touches_database(std::string_view events, const std::filesystem::path& database) {
  // inotify hands whole events to a read (inotify(7)); a name is NUL-padded to `len`.
  for (std::size_t at = 0; at + sizeof(inotify_event) <= events.size();) {
    inotify_event e;
    std::memcpy(&e, events.data() + at, sizeof e);
    const std::size_t size = sizeof(inotify_event) + e.len;
    if (at + size > events.size()) break;
    if (e.len > 0) {
      const std::string_view name = events.substr(at + sizeof(inotify_event), e.len);
      if (is_database_file(name.substr(0, name.find('\0')), database)) return true;
    }
    at += size;
  }
  return false;
}

DatabaseWatch::DatabaseWatch(asio::io_context& io, std::filesystem::path database, std::function<void()> changed)
    : database_(std::move(database)), changed_(std::move(changed)), stream_(io), buffer_(16 * 1024) {}

DatabaseWatch::~DatabaseWatch() { stop(); }

bool DatabaseWatch::start(std::string& why) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  std::filesystem::path dir = database_.parent_path();
  if (dir.empty()) dir = ".";
  // Writes to the WAL (a commit), and a rollback journal's close (a commit without WAL).
  if (inotify_add_watch(fd, dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    why = std::string(std::strerror(errno)) + " (" + dir.string() + ")";
    ::close(fd);
    return false;
  }
  stream_.assign(fd);
  return true;
}

asio::awaitable<void> DatabaseWatch::run() {
  while (stream_.is_open()) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await stream_.async_read_some(asio::buffer(buffer_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // stopped, or the descriptor failed: the timers still run
    if (touches_database(std::string_view(buffer_.data(), n), database_)) changed_();
  }
}

void DatabaseWatch::stop() {
  boost::system::error_code ignored;
  if (stream_.is_open()) stream_.close(ignored);
}

}  // namespace complaintd::daemon
