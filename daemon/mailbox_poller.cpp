#include "daemon/mailbox_poller.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <ctime>

#include "daemon/ingest.hpp"

namespace complaintd::daemon {
namespace {

// Bounded batches keep memory flat however full the mailbox is.
constexpr std::size_t kFetchBatch = 50;

triage::Instant now_utc() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

ImapEndpoint imap_endpoint(const config::MailboxConfig& m) {
  ImapEndpoint e;
  e.url = m.url;
  e.username = m.username;
  e.password = m.password;
  e.folder = m.folder;
  e.ca_file = m.tls_ca_file;
  e.verify_tls = m.tls_verify;
  return e;
}

MailboxPoller::MailboxPoller(net::CurlMulti& multi, store::Store& store, std::shared_ptr<const Runtime> rt,
                             const config::MailboxConfig& mailbox)
    : store_(store),
      rt_(std::move(rt)),
      name_(mailbox.name),
      processed_folder_(mailbox.processed_folder),
      imap_(multi, imap_endpoint(mailbox)) {}

boost::asio::awaitable<Result<void>> MailboxPoller::finish_server_actions(std::uint32_t uidvalidity,
                                                                          const std::vector<std::uint32_t>& uids) {
  if (uids.empty()) co_return Result<void>();
  // if/else, not ?: — GCC 12 miscompiles co_await inside a conditional expression
  // (frees a temporary it never allocated).
  Result<void> done;
  if (processed_folder_) {
    done = co_await imap_.move(uids, *processed_folder_);
  } else {
    done = co_await imap_.mark_seen(uids);
  }
  if (!done) co_return done;
  auto recorded = store_.mark_server_actions_done(name_, uidvalidity, uids);
  if (!recorded) store_failed_ = true;
  co_return recorded;
}

boost::asio::awaitable<Result<PollStats>> MailboxPoller::poll_once() {
  PollStats stats;
  store_failed_ = false;
  auto status = co_await imap_.status();
  if (!status) co_return status.error();

  std::optional<store::MailboxState> known;
  auto read = store_.transaction([&](store::Tx& tx) -> Result<void> {
    known = tx.mailbox_state(name_);
    if (known && known->uidvalidity != status->uidvalidity) {
      // RFC 3501 §2.3.1.1: a new UIDVALIDITY means every UID may now name another
      // message. Start over; Message-ID deduplication keeps already-stored mail from
      // becoming second cases.
      spdlog::warn("mailbox={} event=uidvalidity-changed old={} new={} action=rescan", name_, known->uidvalidity,
                   status->uidvalidity);
      known = store::MailboxState{status->uidvalidity, 0};
      tx.set_mailbox_state(name_, *known);
    }
    return {};
  });
  if (!read) {
    store_failed_ = true;
    co_return read.error();
  }
  const std::uint32_t uidvalidity = status->uidvalidity;
  const std::uint32_t last_uid = known ? known->last_uid : 0;

  // Messages committed in an earlier run whose \Seen or MOVE never reached the server.
  auto pending = store_.pending_server_actions(name_, uidvalidity);
  if (!pending) {
    store_failed_ = true;
    co_return pending.error();
  }
  if (auto r = co_await finish_server_actions(uidvalidity, *pending); !r) co_return r.error();

  auto uids = co_await imap_.uids_from(last_uid + 1);
  if (!uids) co_return uids.error();
  const auto executor = co_await boost::asio::this_coro::executor;

  for (std::size_t i = 0; i < uids->size() && !stop_requested_; i += kFetchBatch) {
    // A batch is ingested synchronously in one transaction: a turn of the event loop
    // between batches lets SIGTERM (and the watchdog) in, and a batch not yet fetched
    // stays unseen on the server for next time.
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
    if (stop_requested_) break;
    const std::vector<std::uint32_t> batch(uids->begin() + static_cast<std::ptrdiff_t>(i),
                                           uids->begin() + static_cast<std::ptrdiff_t>(std::min(uids->size(), i + kFetchBatch)));
    const auto fetch_started = std::chrono::steady_clock::now();
    auto fetched = co_await imap_.fetch(batch);
    if (!fetched) co_return fetched.error();
    std::vector<BatchMessage> messages;
    messages.reserve(fetched->size());
    for (const auto& f : *fetched) messages.push_back({f.uid, &f.raw});
    stats.fetched += static_cast<int>(messages.size());

    // One commit for the batch; only then is the server told (\Seen or MOVE), so a crash
    // anywhere before loses nothing: the batch is fetched and ingested again.
    const auto fetched_at = std::chrono::steady_clock::now();
    const auto cpu_before = std::clock();
    auto done = ingest_batch(store_, *rt_, name_, uidvalidity, messages, now_utc());
    const auto ingested_at = std::chrono::steady_clock::now();
    const auto ingest_cpu_ms = (std::clock() - cpu_before) * 1000 / CLOCKS_PER_SEC;
    std::vector<std::uint32_t> committed;
    committed.reserve(done.committed.size());
    for (const auto& e : done.committed) {
      committed.push_back(e.uid);
      // From the start of its fetch to its commit: how long complaintd held it unsaved.
      const double seconds = std::chrono::duration<double>(e.committed_at - fetch_started).count();
      stats.ingest_seconds.push_back(seconds);
      const auto ms = static_cast<long long>(seconds * 1000);
      if (e.quarantined != 0) {
        ++stats.quarantined;
        spdlog::error(
            "mailbox={} uid={} event=quarantined message={} reason=\"{}\" action=\"complaintd quarantine show {}\"",
            name_, e.uid, e.quarantined, e.error, e.quarantined);
        continue;
      }
      const auto& outcome = e.outcome;
      switch (outcome.kind) {
        case IngestOutcome::Kind::kNewCase:
          ++stats.new_cases;
          spdlog::info("mailbox={} uid={} event=case-opened case={} message_id=<{}> latency_ms={}", name_, e.uid,
                       outcome.reference, outcome.message_id, ms);
          break;
        case IngestOutcome::Kind::kFollowUp:
          ++stats.follow_ups;
          spdlog::info("mailbox={} uid={} event=follow-up case={} latency_ms={}", name_, e.uid, outcome.reference, ms);
          break;
        case IngestOutcome::Kind::kDuplicate:
          ++stats.duplicates;
          spdlog::info("mailbox={} uid={} event=duplicate reason=\"{}\" latency_ms={}", name_, e.uid, outcome.reason,
                       ms);
          break;
        case IngestOutcome::Kind::kNotAnswered:
          ++stats.not_answered;
          spdlog::info("mailbox={} uid={} event=not-answered case={} reason=\"{}\" latency_ms={}", name_, e.uid,
                       outcome.reference.empty() ? "-" : outcome.reference, outcome.reason, ms);
          break;
        case IngestOutcome::Kind::kAlreadyStored:
          spdlog::debug("mailbox={} uid={} event=already-stored", name_, e.uid);
          break;
      }
    }
    if (done.failure) {
      // The database failed (full disk, read-only, locked): stop here. The rest stays
      // unseen on the server and is fetched again next time; nothing is skipped over.
      const auto first = done.committed.size() < messages.size() ? messages[done.committed.size()].uid : 0;
      spdlog::error("mailbox={} uid={} event=store-failed error=\"{}\" action=left-unseen-on-server", name_, first,
                    done.failure->message);
      if (auto r = co_await finish_server_actions(uidvalidity, committed); !r) co_return r.error();
      store_failed_ = true;
      co_return *done.failure;
    }
    if (auto r = co_await finish_server_actions(uidvalidity, committed); !r) co_return r.error();
    const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    spdlog::debug("mailbox={} event=batch messages={} fetch_ms={} ingest_ms={} flag_ms={} ingest_cpu_ms={}", name_,
                  messages.size(), ms(fetched_at - fetch_started), ms(ingested_at - fetched_at),
                  ms(std::chrono::steady_clock::now() - ingested_at), ingest_cpu_ms);
  }
  co_return stats;
}

}  // namespace complaintd::daemon
