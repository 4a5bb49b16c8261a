#pragma once
// Drains the outbox over SMTP. A row is marked sent only after the server accepted it
// (RFC 5321 §4.2.5: the 250 after DATA is the hand-over of responsibility), so a crash
// can at worst send one letter twice, never lose one. Failures back off exponentially.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "common/result.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "outbound/smtp_client.hpp"

namespace complaintd::daemon {

struct DrainStats {
  int sent = 0;
  int deferred = 0;  ///< temporary failure: retried later
  int failed = 0;    ///< permanent failure: needs a person
  bool unreachable = false;  ///< the server could not be reached; the drain stopped early
};

/// Backoff after `attempts` failures: 1 min, 2, 4, … capped at 1 hour.
std::chrono::seconds retry_delay(int attempts);

class OutboxSender {
 public:
  OutboxSender(net::CurlMulti& multi, store::Store& store, const config::SmtpConfig& smtp);

  /// Sends every row due now. Returns the stats; an Error only for database failures.
  boost::asio::awaitable<Result<DrainStats>> drain_once();

  [[nodiscard]] const std::string& server() const { return smtp_.server(); }

  /// `tick --at`: letters queued as of `at` are due, even when `at` is in the future.
  void send_as_of(triage::Instant at) { as_of_ = at; }

  /// SIGTERM: the letter being sent is finished (and marked sent); no other is started.
  void request_stop() { stop_requested_ = true; }

 private:
  std::optional<triage::Instant> as_of_;
  store::Store& store_;
  outbound::SmtpClient smtp_;
  bool stop_requested_ = false;
};

}  // namespace complaintd::daemon
