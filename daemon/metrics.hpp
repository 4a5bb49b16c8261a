#pragma once
// Optional Prometheus metrics (text format 0.0.4) at http://<metrics.listen>/metrics: what
// the daemon did since it started (counters, a latency histogram) and what the database
// holds now (gauges, read at each scrape). Served from the daemon's own io_context.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "daemon/mailbox_poller.hpp"
#include "daemon/outbox_sender.hpp"
#include "daemon/store/store.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

class Metrics {
 public:
  void polled(const std::string& mailbox, const Result<PollStats>& r, triage::Instant now);
  void drained(const Result<DrainStats>& d);
  void deadlines(int processed, int letters, int failed);
  /// The exposition text; database gauges come from `store` (an error leaves them out and
  /// says so in complaintd_database_up).
  [[nodiscard]] std::string render(store::Store& store, triage::Instant now) const;

  static constexpr std::array<double, 10> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0};

 private:
  struct Mailbox {
    std::map<std::string, std::uint64_t> outcomes;  // new_case, follow_up, not_answered, duplicate, quarantined
    std::uint64_t failures = 0;
    std::optional<triage::Instant> last_success;
  };
  std::map<std::string, Mailbox> mailboxes_;
  std::uint64_t sent_ = 0, deferred_ = 0, send_failed_ = 0;
  std::uint64_t deadlines_ = 0, deadline_letters_ = 0, deadline_failures_ = 0;
  std::array<std::uint64_t, kBuckets.size()> buckets_{};
  std::uint64_t ingest_count_ = 0;
  double ingest_sum_ = 0.0;
};

/// Answers GET /metrics on `endpoint` until the io_context stops or stop() is called.
class MetricsServer {
 public:
  MetricsServer(boost::asio::io_context& io, const Metrics& metrics, store::Store& store);
  /// Binds; an error names the address (the daemon then runs without metrics, and says so).
  Result<void> listen(const std::string& address, unsigned short port);
  boost::asio::awaitable<void> serve();
  void stop();

 private:
  boost::asio::awaitable<void> answer(boost::asio::ip::tcp::socket socket);

  const Metrics& metrics_;
  store::Store& store_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace complaintd::daemon
