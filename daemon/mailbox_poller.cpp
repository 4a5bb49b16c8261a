#include "daemon/mailbox_poller.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <ctime>
#include <functional>


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

MailboxPoller::MailboxPoller(net::CurlMulti& multi, StoreWorker& worker, std::shared_ptr<const Runtime> rt,
                             const config::MailboxConfig& mailbox)
    : worker_(worker),
      rt_(std::move(rt)),
      name_(mailbox.name),
      processed_folder_(mailbox.processed_folder),
      imap_(multi, imap_endpoint(mailbox)) {}

boost::asio::awaitable<Result<void>> MailboxPoller::flag_on_server(const std::vector<std::uint32_t>& uids) {
  if (uids.empty()) co_return Result<void>();
  // if/else, not ?: — GCC 12 miscompiles co_await inside a conditional expression
  // (frees a temporary it never allocated).
  Result<void> done;
  if (processed_folder_) {
    done = co_await imap_.move(uids, *processed_folder_);
  } else {
    done = co_await imap_.mark_seen(uids);
  }
  co_return done;
}

std::shared_ptr<StoreJob<Result<void>>> MailboxPoller::record_flagged(std::uint32_t uidvalidity,
                                                                      std::vector<std::uint32_t> uids) {
  return worker_.start<Result<void>>([name = name_, uidvalidity, uids = std::move(uids)](store::Store& s) {
    return s.mark_server_actions_done(name, uidvalidity, uids);
  });
}

boost::asio::awaitable<Result<void>> MailboxPoller::finish_server_actions(std::uint32_t uidvalidity,
                                                                          const std::vector<std::uint32_t>& uids) {
  if (uids.empty()) co_return Result<void>();
  auto done = co_await flag_on_server(uids);
  if (!done) co_return done;
  auto recorded = co_await record_flagged(uidvalidity, uids)->result();
  if (!recorded) store_failed_ = true;
  co_return recorded;
}

/// A fetched batch handed to the worker: the bytes live here until its commit is known.
struct MailboxPoller::InFlight {
  std::shared_ptr<const std::vector<FetchedMessage>> fetched;
  std::shared_ptr<StoreJob<BatchResult>> job;
  std::chrono::steady_clock::time_point fetch_started, fetched_at;
  long long fetch_ms = 0;
};

boost::asio::awaitable<Result<PollStats>> MailboxPoller::poll_once() {
  PollStats stats;
  store_failed_ = false;
  auto status = co_await imap_.status();
  if (!status) co_return status.error();

  struct Known {
    std::optional<store::MailboxState> state;
    std::vector<std::uint32_t> pending;  // committed in an earlier run, never flagged
  };
  std::function<Result<Known>(store::Store&)> read_state = [name = name_,
                                                            uidvalidity = status->uidvalidity](store::Store& s) {
    Known k;
    auto r = s.transaction([&](store::Tx& tx) -> Result<void> {
      k.state = tx.mailbox_state(name);
      if (k.state && k.state->uidvalidity != uidvalidity) {
        // RFC 3501 §2.3.1.1: a new UIDVALIDITY means every UID may now name another
        // message. Start over; Message-ID deduplication keeps already-stored mail from
        // becoming second cases.
        spdlog::warn("mailbox={} event=uidvalidity-changed old={} new={} action=rescan", name, k.state->uidvalidity,
                     uidvalidity);
        k.state = store::MailboxState{uidvalidity, 0};
        tx.set_mailbox_state(name, *k.state);
      }
      return {};
    });
    if (!r) return Result<Known>(r.error());
    auto pending = s.pending_server_actions(name, uidvalidity);
    if (!pending) return Result<Known>(pending.error());
    k.pending = std::move(*pending);
    return Result<Known>(std::move(k));
  };
  auto read = co_await worker_.run<Result<Known>>(std::move(read_state));
  if (!read) {
    store_failed_ = true;
    co_return read.error();
  }
  const std::uint32_t uidvalidity = status->uidvalidity;
  const std::uint32_t last_uid = read->state ? read->state->last_uid : 0;

  // Messages committed in an earlier run whose \Seen or MOVE never reached the server.
  if (auto r = co_await finish_server_actions(uidvalidity, read->pending); !r) co_return r.error();

  auto uids = co_await imap_.uids_from(last_uid + 1);
  if (!uids) co_return uids.error();
  const auto executor = co_await boost::asio::this_coro::executor;
  const auto poll_started = std::chrono::steady_clock::now();
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };

  // The pipeline: batch k commits on the worker while batch k+1 is fetched here; k is
  // flagged once its commit is known, and k+1 goes to the worker before that flagging so
  // that the worker is never idle waiting for the IMAP server.
  std::optional<InFlight> in_flight;
  std::shared_ptr<StoreJob<Result<void>>> recording;  // the record of the last flagging
  std::optional<Error> fetch_failed;
  for (std::size_t i = 0;; i += kFetchBatch) {
    std::optional<InFlight> next;
    if (i < uids->size() && !stop_requested_) {
      // A turn of the event loop between batches lets SIGTERM (and the watchdog) in; a
      // batch not yet fetched stays unseen on the server for next time.
      co_await boost::asio::post(executor, boost::asio::use_awaitable);
    }
    if (i < uids->size() && !stop_requested_) {
      const std::vector<std::uint32_t> batch(
          uids->begin() + static_cast<std::ptrdiff_t>(i),
          uids->begin() + static_cast<std::ptrdiff_t>(std::min(uids->size(), i + kFetchBatch)));
      InFlight f;
      f.fetch_started = std::chrono::steady_clock::now();
      auto fetched = co_await imap_.fetch(batch);
      f.fetched_at = std::chrono::steady_clock::now();
      f.fetch_ms = ms(f.fetched_at - f.fetch_started);
      if (fetched) {
        f.fetched = std::make_shared<const std::vector<FetchedMessage>>(std::move(*fetched));
        next = std::move(f);
      } else {
        // The batch in flight still commits and is flagged; then the poll fails.
        fetch_failed = fetched.error();
      }
    }

    if (in_flight) {
      auto done = co_await in_flight->job->result();
      if (recording) {
        // The previous batch's record of flagging, queued behind this batch: done by now or
        // nearly (a relaxed commit), and its failure fails the poll as before.
        auto recorded = co_await recording->result();
        recording.reset();
        if (!recorded) {
          store_failed_ = true;
          co_return recorded.error();
        }
      }
      const auto& messages = *in_flight->fetched;
      std::vector<std::uint32_t> committed;
      committed.reserve(done.committed.size());
      for (const auto& e : done.committed) {
        committed.push_back(e.uid);
        // From the start of its fetch to its commit: how long complaintd held it unsaved.
        const double seconds = std::chrono::duration<double>(e.committed_at - in_flight->fetch_started).count();
        stats.ingest_seconds.push_back(seconds);
        log_entry(e, static_cast<long long>(seconds * 1000), stats);
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
      // The next batch goes to the worker before this one is flagged (its commit is already
      // durable), so the two overlap.
      const auto flag_started = std::chrono::steady_clock::now();
      if (next && !stop_requested_) start_ingest(*next, uidvalidity, stats);
      if (auto r = co_await flag_on_server(committed); !r) co_return r.error();
      if (!committed.empty()) recording = record_flagged(uidvalidity, std::move(committed));
      spdlog::debug("mailbox={} event=batch messages={} fetch_ms={} ingest_ms={} flag_ms={} ingest_cpu_ms={}", name_,
                    messages.size(), in_flight->fetch_ms, done.busy_ms,
                    ms(std::chrono::steady_clock::now() - flag_started), done.cpu_ms);
      in_flight.reset();
      if (next && next->job) in_flight = std::move(next);
    } else if (next && !stop_requested_) {
      start_ingest(*next, uidvalidity, stats);
      in_flight = std::move(next);
    }
    if (fetch_failed) co_return *fetch_failed;
    if (!in_flight) break;
  }
  if (recording) {
    // The poll ends with its bookkeeping written, so that what runs next (the deadlines,
    // the outbox, the next poll) finds it.
    auto recorded = co_await recording->result();
    if (!recorded) {
      store_failed_ = true;
      co_return recorded.error();
    }
  }
  if (stats.fetched > 0) {
    spdlog::debug("mailbox={} event=ingested messages={} wall_ms={}", name_, stats.fetched,
                  ms(std::chrono::steady_clock::now() - poll_started));
  }
  co_return stats;
}

void MailboxPoller::start_ingest(InFlight& f, std::uint32_t uidvalidity, PollStats& stats) {
  stats.fetched += static_cast<int>(f.fetched->size());
  // The runtime in force when the batch was fetched: a reload meanwhile applies to the next.
  f.job = worker_.start<BatchResult>([rt = rt_, name = name_, uidvalidity, fetched = f.fetched](store::Store& s) {
    std::vector<BatchMessage> messages;
    messages.reserve(fetched->size());
    for (const auto& m : *fetched) messages.push_back({m.uid, &m.raw});
    const auto cpu_before = std::clock();
    const auto started = std::chrono::steady_clock::now();
    auto r = ingest_batch(s, *rt, name, uidvalidity, messages, now_utc());
    r.busy_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    r.cpu_ms = static_cast<long long>((std::clock() - cpu_before) * 1000 / CLOCKS_PER_SEC);
    return r;
  });
}

void MailboxPoller::log_entry(const BatchEntry& e, long long ms, PollStats& stats) const {
  if (e.quarantined != 0) {
    ++stats.quarantined;
    spdlog::error("mailbox={} uid={} event=quarantined message={} reason=\"{}\" action=\"complaintd quarantine show {}\"",
                  name_, e.uid, e.quarantined, e.error, e.quarantined);
    return;
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
      spdlog::info("mailbox={} uid={} event=duplicate reason=\"{}\" latency_ms={}", name_, e.uid, outcome.reason, ms);
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

}  // namespace complaintd::daemon
