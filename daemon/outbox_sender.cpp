#include "daemon/outbox_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "triage/calendar.hpp"

namespace complaintd::daemon {
namespace {

triage::Instant now_utc() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

outbound::SmtpEndpoint endpoint_of(const config::SmtpConfig& c) {
  outbound::SmtpEndpoint e;
  e.url = c.url;
  e.username = c.username;
  e.password = c.password;
  e.ca_file = c.tls_ca_file;
  e.verify_tls = c.tls_verify;
  return e;
}

}  // namespace

std::chrono::seconds retry_delay(int attempts) {
  const int exponent = std::clamp(attempts - 1, 0, 6);
  return std::min(std::chrono::seconds(60 << exponent), std::chrono::seconds(3600));
}

OutboxSender::OutboxSender(net::CurlMulti& multi, store::Store& store, const config::SmtpConfig& smtp)
    : store_(store), smtp_(multi, endpoint_of(smtp)) {}

boost::asio::awaitable<Result<DrainStats>> OutboxSender::drain_once() {
  DrainStats stats;
  while (!stop_requested_) {
    // `tick --at` a future instant queues letters dated then; they are due as of that time.
    const auto as_of = as_of_ ? std::max(*as_of_, now_utc()) : now_utc();
    auto rows = store_.due_outbox(triage::iso_instant(as_of), 50);
    if (!rows) co_return rows.error();
    if (rows->empty()) break;
    for (const auto& row : *rows) {
      if (stop_requested_) co_return stats;
      // A named vector: GCC 12 miscompiles a braced list inside co_await ("array used as initializer").
      const std::vector<std::string> recipients{row.rcpt};
      const auto outcome = co_await smtp_.send(row.mail_from, recipients, row.raw);
      const auto now = as_of_ ? std::max(*as_of_, now_utc()) : now_utc();
      if (outcome.accepted) {
        if (auto r = store_.mark_sent(row.id, triage::iso_instant(now)); !r) co_return r.error();
        ++stats.sent;
        spdlog::info("event=letter-sent outbox={} kind={} to={} message_id=<{}>", row.id, row.kind, row.rcpt,
                     row.message_id);
        continue;
      }
      const int attempts = row.attempts + 1;
      const auto next = now + retry_delay(attempts);
      if (auto r = store_.mark_attempt_failed(row.id, outcome.error, triage::iso_instant(next), outcome.permanent); !r)
        co_return r.error();
      if (outcome.permanent) {
        ++stats.failed;
        spdlog::error("event=letter-failed outbox={} kind={} to={} server={} error=\"{}\" action=needs-a-person", row.id,
                      row.kind, row.rcpt, smtp_.server(), outcome.error);
      } else {
        ++stats.deferred;
        spdlog::warn("event=letter-deferred outbox={} kind={} to={} server={} attempt={} retry_at={} error=\"{}\"", row.id,
                     row.kind, row.rcpt, smtp_.server(), attempts, triage::iso_instant(next), outcome.error);
        if (outcome.reply_code == 0) {
          // The server is unreachable: every other row would fail the same way now.
          stats.unreachable = true;
          co_return stats;
        }
      }
    }
  }
  co_return stats;
}

}  // namespace complaintd::daemon
