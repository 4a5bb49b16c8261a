#pragma once
// Drains the outbox over SMTP. A row is marked sent only after the server accepted it
// (RFC 5321 §4.2.5: the 250 after DATA is the hand-over of responsibility), so a crash
// can at worst send one letter twice, never lose one. Failures back off exponentially.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  std::chrono::seconds retry_in{0};  ///< when unreachable: the server is tried again after this
};

/// Backoff after `attempts` failures: 1 min, 2, 4, … capped at 1 hour.
std::chrono::seconds retry_delay(int attempts);

/// Backoff while the server cannot be reached at all, after `outages` drains in a row found
/// it so: 30 s, doubling, at most 15 minutes (as for an IMAP server that is down).
std::chrono::seconds unreachable_delay(int outages);

class OutboxSender {
 public:
  OutboxSender(net::CurlMulti& multi, store::Store& store, const config::SmtpConfig& smtp);

  /// Sends every row due now. Returns the stats; an Error only for database failures.
  /// A letter the server accepted whose "sent" the database could not record is kept in
  /// memory, recorded first at the next drain, and nothing else is sent until it is: it is
  /// never handed over twice by this process, however long the database stays read-only.
  boost::asio::awaitable<Result<DrainStats>> drain_once();

  [[nodiscard]] const std::string& server() const { return smtp_.server(); }

  /// `tick --at`: letters queued as of `at` are due, even when `at` is in the future.
  void send_as_of(triage::Instant at) { as_of_ = at; }

  /// SIGTERM: the letter being sent is finished (and marked sent); no other is started.
  void request_stop() { stop_requested_ = true; }

 private:
  struct Unrecorded {
    std::int64_t id = 0;
    std::string sent_at;
  };

  std::optional<triage::Instant> as_of_;
  store::Store& store_;
  outbound::SmtpClient smtp_;
  std::vector<Unrecorded> unrecorded_;  ///< accepted by the server, not yet marked sent
  int outages_ = 0;                     ///< drains in a row that could not reach the server
  std::chrono::steady_clock::time_point unreachable_since_;
  bool stop_requested_ = false;
};

}  // namespace complaintd::daemon
