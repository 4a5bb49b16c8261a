#include "daemon/mailbox_poller.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "daemon/ingest.hpp"
#include "daemon/quarantine.hpp"

namespace complaintd::daemon {
namespace {

// Bounded batches keep memory flat however full the mailbox is.
constexpr std::size_t kFetchBatch = 50;

triage::Instant now_utc() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

ImapEndpoint endpoint_of(const config::MailboxConfig& m) {
  ImapEndpoint e;
  e.url = m.url;
  e.username = m.username;
  e.password = m.password;
  e.folder = m.folder;
  e.ca_file = m.tls_ca_file;
  e.verify_tls = m.tls_verify;
  return e;
}

}  // namespace

MailboxPoller::MailboxPoller(net::CurlMulti& multi, store::Store& store, std::shared_ptr<const Runtime> rt,
                             const config::MailboxConfig& mailbox)
    : store_(store),
      rt_(std::move(rt)),
      name_(mailbox.name),
      processed_folder_(mailbox.processed_folder),
      imap_(multi, endpoint_of(mailbox)) {}

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
  co_return store_.mark_server_actions_done(name_, uidvalidity, uids);
}

boost::asio::awaitable<Result<PollStats>> MailboxPoller::poll_once() {
  PollStats stats;
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
  if (!read) co_return read.error();
  const std::uint32_t uidvalidity = status->uidvalidity;
  const std::uint32_t last_uid = known ? known->last_uid : 0;

  // Messages committed in an earlier run whose \Seen or MOVE never reached the server.
  auto pending = store_.pending_server_actions(name_, uidvalidity);
  if (!pending) co_return pending.error();
  if (auto r = co_await finish_server_actions(uidvalidity, *pending); !r) co_return r.error();

  auto uids = co_await imap_.uids_from(last_uid + 1);
  if (!uids) co_return uids.error();
  const auto executor = co_await boost::asio::this_coro::executor;

  for (std::size_t i = 0; i < uids->size() && !stop_requested_; i += kFetchBatch) {
    const std::vector<std::uint32_t> batch(uids->begin() + static_cast<std::ptrdiff_t>(i),
                                           uids->begin() + static_cast<std::ptrdiff_t>(std::min(uids->size(), i + kFetchBatch)));
    auto fetched = co_await imap_.fetch(batch);
    if (!fetched) co_return fetched.error();
    std::vector<std::uint32_t> committed;
    for (const auto& f : *fetched) {
      // Ingesting is synchronous: without a turn of the event loop between messages a
      // batch would hold off SIGTERM (and the watchdog) until it was all done. A message
      // fetched but not taken stays unseen on the server and is fetched again next time.
      co_await boost::asio::post(executor, boost::asio::use_awaitable);
      if (stop_requested_) break;
      ++stats.fetched;
      const store::MessageLocation location{name_, uidvalidity, f.uid};
      const auto started = std::chrono::steady_clock::now();
      auto outcome = ingest_guarded(store_, *rt_, location, f.raw, now_utc());
      stats.ingest_seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!outcome && !is_database_failure(outcome.error())) {
        // The message itself cannot be processed (a bug, a letter that cannot be
        // rendered): keep it whole in quarantine for a person, and go on with the rest.
        if (auto q = quarantine_message(store_, location, f.raw, outcome.error().message, now_utc()); q) {
          ++stats.quarantined;
          committed.push_back(f.uid);
          continue;
        }
      }
      if (!outcome) {
        // The database failed (full disk, read-only, locked): stop here. The message stays
        // unseen on the server and is fetched again next time; nothing after it is
        // skipped over.
        spdlog::error("mailbox={} uid={} event=store-failed error=\"{}\"", name_, f.uid, outcome.error().message);
        if (auto r = co_await finish_server_actions(uidvalidity, committed); !r) co_return r.error();
        co_return outcome.error();
      }
      committed.push_back(f.uid);
      switch (outcome->kind) {
        case IngestOutcome::Kind::kNewCase:
          ++stats.new_cases;
          spdlog::info("mailbox={} uid={} event=case-opened case={} message_id=<{}>", name_, f.uid, outcome->reference,
                       outcome->message_id);
          break;
        case IngestOutcome::Kind::kFollowUp:
          ++stats.follow_ups;
          spdlog::info("mailbox={} uid={} event=follow-up case={}", name_, f.uid, outcome->reference);
          break;
        case IngestOutcome::Kind::kDuplicate:
          ++stats.duplicates;
          spdlog::info("mailbox={} uid={} event=duplicate reason=\"{}\"", name_, f.uid, outcome->reason);
          break;
        case IngestOutcome::Kind::kNotAnswered:
          ++stats.not_answered;
          spdlog::info("mailbox={} uid={} event=not-answered case={} reason=\"{}\"", name_, f.uid,
                       outcome->reference.empty() ? "-" : outcome->reference, outcome->reason);
          break;
        case IngestOutcome::Kind::kAlreadyStored:
          spdlog::debug("mailbox={} uid={} event=already-stored", name_, f.uid);
          break;
      }
    }
    if (auto r = co_await finish_server_actions(uidvalidity, committed); !r) co_return r.error();
  }
  co_return stats;
}

}  // namespace complaintd::daemon
