#pragma once
// One poll of one IMAP mailbox (RFC 3501/9051), UID-based: new messages are those above
// the last UID stored for the mailbox's current UIDVALIDITY. Each fetched batch is
// committed (one transaction, one fsync) before the server is told (\Seen or MOVE), so a
// crash in between repeats only the flagging, never the processing, and a crash before it
// repeats the batch, which nothing has seen yet. The database work runs on the
// StoreWorker's thread while the next batch is fetched: at most one batch is being
// committed and one fetched at any time.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/imap_client.hpp"
#include "daemon/ingest.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store_worker.hpp"

namespace complaintd::daemon {

struct PollStats {
  int fetched = 0;
  int new_cases = 0;
  int follow_ups = 0;
  int not_answered = 0;
  int duplicates = 0;
  int quarantined = 0;  ///< could not be processed: kept whole for a person
  std::vector<double> ingest_seconds;  ///< per message: from the start of its batch's fetch to its commit
};

/// The IMAP server, credentials and TLS settings of a configured mailbox.
ImapEndpoint imap_endpoint(const config::MailboxConfig& mailbox);

class MailboxPoller {
 public:
  MailboxPoller(net::CurlMulti& multi, StoreWorker& worker, std::shared_ptr<const Runtime> rt,
                const config::MailboxConfig& mailbox);

  /// Polls once: fetch, ingest, flag. An error names the server and what failed.
  boost::asio::awaitable<Result<PollStats>> poll_once();

  /// SIGTERM: the poll in progress takes no further message; those already committed are
  /// still flagged on the server before it returns.
  void request_stop() { stop_requested_ = true; }

  [[nodiscard]] const std::string& name() const { return name_; }
  /// A reloaded configuration: the next message is ingested under it.
  void set_runtime(std::shared_ptr<const Runtime> rt) { rt_ = std::move(rt); }
  [[nodiscard]] const std::string& server() const { return imap_.server(); }
  /// Whether the last poll failed because of the database (disk full, read-only), not the
  /// server: the log and the status then say so.
  [[nodiscard]] bool store_failed() const { return store_failed_; }

 private:
  struct InFlight;  // a fetched batch the worker is committing (mailbox_poller.cpp)
  void start_ingest(InFlight& f, std::uint32_t uidvalidity, PollStats& stats);
  void log_entry(const BatchEntry& e, long long latency_ms, PollStats& stats) const;
  boost::asio::awaitable<Result<void>> flag_on_server(const std::vector<std::uint32_t>& uids);
  std::shared_ptr<StoreJob<Result<void>>> record_flagged(std::uint32_t uidvalidity, std::vector<std::uint32_t> uids);
  boost::asio::awaitable<Result<void>> finish_server_actions(std::uint32_t uidvalidity,
                                                             const std::vector<std::uint32_t>& uids);

  StoreWorker& worker_;
  std::shared_ptr<const Runtime> rt_;
  std::string name_;
  std::optional<std::string> processed_folder_;
  ImapClient imap_;
  bool stop_requested_ = false;
  bool store_failed_ = false;
};

}  // namespace complaintd::daemon
