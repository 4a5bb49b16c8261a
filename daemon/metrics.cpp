#include "daemon/metrics.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <sstream>

namespace complaintd::daemon {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

/// A label value escaped for the exposition format.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void help(std::ostringstream& o, const char* name, const char* type, const char* text) {
  o << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

void Metrics::polled(const std::string& mailbox, const Result<PollStats>& r, triage::Instant now) {
  auto& m = mailboxes_[mailbox];
  if (!r) {
    ++m.failures;
    return;
  }
  m.last_success = now;
  m.outcomes["new_case"] += static_cast<std::uint64_t>(r->new_cases);
  m.outcomes["follow_up"] += static_cast<std::uint64_t>(r->follow_ups);
  m.outcomes["not_answered"] += static_cast<std::uint64_t>(r->not_answered);
  m.outcomes["duplicate"] += static_cast<std::uint64_t>(r->duplicates);
  m.outcomes["quarantined"] += static_cast<std::uint64_t>(r->quarantined);
  for (const double s : r->ingest_seconds) {
    ++ingest_count_;
    ingest_sum_ += s;
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      if (s <= kBuckets[i]) ++buckets_[i];
  }
}

void Metrics::drained(const Result<DrainStats>& d) {
  if (!d) return;
  sent_ += static_cast<std::uint64_t>(d->sent);
  deferred_ += static_cast<std::uint64_t>(d->deferred);
  send_failed_ += static_cast<std::uint64_t>(d->failed);
}

void Metrics::deadlines(int processed, int letters, int failed) {
  deadlines_ += static_cast<std::uint64_t>(processed);
  deadline_letters_ += static_cast<std::uint64_t>(letters);
  deadline_failures_ += static_cast<std::uint64_t>(failed);
}

std::string Metrics::render(store::Store& store, triage::Instant now) const {
  std::ostringstream o;
  help(o, "complaintd_messages_processed_total", "counter", "Messages taken from each mailbox, by outcome.");
  for (const auto& [name, m] : mailboxes_)
    for (const auto& [outcome, n] : m.outcomes)
      o << "complaintd_messages_processed_total{mailbox=\"" << label(name) << "\",outcome=\"" << outcome << "\"} " << n
        << "\n";
  help(o, "complaintd_poll_failures_total", "counter", "Polls that could not reach or read the mailbox.");
  for (const auto& [name, m] : mailboxes_)
    o << "complaintd_poll_failures_total{mailbox=\"" << label(name) << "\"} " << m.failures << "\n";
  help(o, "complaintd_mailbox_lag_seconds", "gauge", "Seconds since the mailbox was last polled successfully.");
  for (const auto& [name, m] : mailboxes_)
    if (m.last_success)
      o << "complaintd_mailbox_lag_seconds{mailbox=\"" << label(name) << "\"} " << (now - *m.last_success).count()
        << "\n";
  help(o, "complaintd_ingest_seconds", "histogram", "Time from the start of a message's fetch to its commit.");
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    o << "complaintd_ingest_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << buckets_[i] << "\n";
  o << "complaintd_ingest_seconds_bucket{le=\"+Inf\"} " << ingest_count_ << "\n"
    << "complaintd_ingest_seconds_sum " << ingest_sum_ << "\ncomplaintd_ingest_seconds_count " << ingest_count_ << "\n";
  help(o, "complaintd_letters_total", "counter", "Letters handed to the SMTP server, deferred or refused.");
  o << "complaintd_letters_total{result=\"sent\"} " << sent_ << "\ncomplaintd_letters_total{result=\"deferred\"} "
    << deferred_ << "\ncomplaintd_letters_total{result=\"failed\"} " << send_failed_ << "\n";
  help(o, "complaintd_deadlines_total", "counter", "Deadlines processed, the letters they queued, and failures.");
  o << "complaintd_deadlines_total{result=\"processed\"} " << deadlines_
    << "\ncomplaintd_deadlines_total{result=\"letters\"} " << deadline_letters_
    << "\ncomplaintd_deadlines_total{result=\"failed\"} " << deadline_failures_ << "\n";

  const auto g = store.gauges(triage::iso_instant(now));
  help(o, "complaintd_database_up", "gauge", "1 when the database answered this scrape.");
  o << "complaintd_database_up " << (g ? 1 : 0) << "\n";
  if (!g) return o.str();
  help(o, "complaintd_cases_open", "gauge", "Cases not yet closed or withdrawn, by stage.");
  for (const auto& [stage, n] : g->open_by_stage)
    o << "complaintd_cases_open{stage=\"" << label(stage) << "\"} " << n << "\n";
  help(o, "complaintd_cases_overdue", "gauge", "Open cases past their response deadline, by stage.");
  for (const auto& [stage, n] : g->overdue_by_stage)
    o << "complaintd_cases_overdue{stage=\"" << label(stage) << "\"} " << n << "\n";
  help(o, "complaintd_outbox_letters", "gauge", "Letters waiting to be sent, and letters that failed for good.");
  o << "complaintd_outbox_letters{status=\"pending\"} " << g->outbox_pending
    << "\ncomplaintd_outbox_letters{status=\"failed\"} " << g->outbox_failed << "\n";
  help(o, "complaintd_quarantined_messages", "gauge", "Messages kept in quarantine for a person.");
  o << "complaintd_quarantined_messages " << g->quarantined << "\n";
  help(o, "complaintd_oldest_unflagged_message_age_seconds", "gauge",
       "Age of the oldest stored message not yet flagged or moved on its server (0: none).");
  long long age = 0;
  if (!g->oldest_unflagged.empty())
    if (auto t = triage::parse_iso_instant(g->oldest_unflagged)) age = (now - *t).count();
  o << "complaintd_oldest_unflagged_message_age_seconds " << age << "\n";
  return o.str();
}

MetricsServer::MetricsServer(asio::io_context& io, const Metrics& metrics, store::Store& store)
    : metrics_(metrics), store_(store), acceptor_(io) {}

Result<void> MetricsServer::listen(const std::string& address, unsigned short port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return Error{"metrics: bad address " + address + ": " + ec.message()};
  const asio::ip::tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"metrics: cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message()};
  return {};
}

asio::awaitable<void> MetricsServer::serve() {
  for (;;) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // stopped
    co_await answer(std::move(socket));
  }
}

asio::awaitable<void> MetricsServer::answer(asio::ip::tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> req;
  boost::system::error_code ec;
  co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(false);
  res.set(http::field::server, "complaintd");
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.body() = "GET /metrics\n";
  } else if (req.target() != "/metrics") {
    res.result(http::status::not_found);
    res.body() = "complaintd serves /metrics only\n";
  } else {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics_.render(store_, std::chrono::time_point_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now()));
  }
  res.prepare_payload();
  co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

void MetricsServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

}  // namespace complaintd::daemon
