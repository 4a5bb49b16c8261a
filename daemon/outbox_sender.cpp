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

std::chrono::seconds unreachable_delay(int outages) {
  return std::min(std::chrono::seconds(30L << std::clamp(outages - 1, 0, 5)), std::chrono::seconds(900));
}

OutboxSender::OutboxSender(net::CurlMulti& multi, store::Store& store, const config::SmtpConfig& smtp)
    : store_(store), smtp_(multi, endpoint_of(smtp)) {}

boost::asio::awaitable<Result<DrainStats>> OutboxSender::drain_once() {
  DrainStats stats;
  // Letters the server took while the database could not record it: recorded before
  // anything else goes out, and nothing goes out while that still fails.
  while (!unrecorded_.empty()) {
    const auto& u = unrecorded_.front();
    if (auto r = store_.mark_sent(u.id, u.sent_at); !r) co_return r.error();
    spdlog::info("event=letter-sent-recorded outbox={} sent_at={}", u.id, u.sent_at);
    unrecorded_.erase(unrecorded_.begin());
  }
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
      const bool reachable = outcome.accepted || outcome.reply_code != 0;
      if (reachable && outages_ > 0) {
        const auto down = std::chrono::steady_clock::now() - unreachable_since_;
        spdlog::info("event=smtp-reachable server={} failed_attempts={} down_seconds={}", smtp_.server(), outages_,
                     std::chrono::duration_cast<std::chrono::seconds>(down).count());
        outages_ = 0;
      }
      if (outcome.accepted) {
        if (auto r = store_.mark_sent(row.id, triage::iso_instant(now)); !r) {
          // The server has the letter (its 250) but the database cannot say so (disk full,
          // read-only). Sent again at every retry, the customer would get it every time:
          // keep it here, record it first thing next time, and send nothing else until then.
          unrecorded_.push_back({row.id, triage::iso_instant(now)});
          spdlog::error("event=letter-sent-unrecorded outbox={} kind={} to={} message_id=<{}> error=\"{}\" "
                        "action=no-more-letters-until-recorded",
                        row.id, row.kind, row.rcpt, row.message_id, r.error().message);
          co_return r.error();
        }
        ++stats.sent;
        spdlog::info("event=letter-sent outbox={} kind={} to={} message_id=<{}>", row.id, row.kind, row.rcpt,
                     row.message_id);
        continue;
      }
      const int attempts = row.attempts + 1;
      auto next = now + retry_delay(attempts);
      if (!reachable && !outcome.permanent) {
        // No server to talk to: not this letter's fault. It keeps its place at the head of
        // the queue, and the server (for every letter) is tried again after 30 s, doubling.
        if (outages_++ == 0) unreachable_since_ = std::chrono::steady_clock::now();
        stats.retry_in = unreachable_delay(outages_);
        next = now + stats.retry_in;
      }
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
        if (!reachable) {
          // Every other row would fail the same way now: they wait for the server.
          stats.unreachable = true;
          spdlog::warn("event=smtp-unreachable server={} failed_attempts={} retry_in_seconds={} "
                       "action=letters-stay-queued",
                       smtp_.server(), outages_, stats.retry_in.count());
          co_return stats;
        }
      }
    }
  }
  co_return stats;
}

}  // namespace complaintd::daemon
