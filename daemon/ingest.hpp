#pragma once
// One inbound message, from raw bytes to committed state: stored raw, triaged, and for
// a new complaint a case with its reference, deadline and acknowledgement in the outbox,
// all in one transaction (shared with the rest of its batch when it came by IMAP). The
// same code serves IMAP polling and `complaintd ingest`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

struct IngestOutcome {
  enum class Kind { kAlreadyStored, kNewCase, kFollowUp, kDuplicate, kNotAnswered };
  Kind kind = Kind::kNotAnswered;
  std::string reference;  ///< the case it created or joined, if any
  std::string reason;     ///< triage's reason, for the log
  std::string message_id;
};

const char* to_string(IngestOutcome::Kind k);

/// Ingests `raw` in a transaction of its own (`complaintd ingest`, a replay). For IMAP
/// messages `location.mailbox` is set and the mailbox's last seen UID advances in the same
/// transaction. `now` is when complaintd received it.
Result<IngestOutcome> ingest_message(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now);

/// One message of a batch fetched from a mailbox.
struct BatchMessage {
  std::uint32_t uid = 0;
  const std::string* raw = nullptr;
};

/// What became of one message of a committed batch.
struct BatchEntry {
  std::uint32_t uid = 0;
  IngestOutcome outcome;         ///< when it was processed
  std::int64_t quarantined = 0;  ///< its row, when it could not be processed and was kept whole
  std::string error;             ///< why it could not be processed
  std::chrono::steady_clock::time_point committed_at;
};

struct BatchResult {
  std::vector<BatchEntry> committed;  ///< durable, in the order given
  /// The database or the disk failed: the messages after `committed` were not stored, and
  /// are to be fetched again (they stay unflagged on the server).
  std::optional<Error> failure;
  // Set by the poller, for the log: how long the batch took on the worker, and the whole
  // process's CPU time meanwhile.
  long long busy_ms = 0;
  long long cpu_ms = 0;
};

/// Ingests a batch of one mailbox's messages with one commit (one fsync) for many: each
/// transaction holds up to 8 MB of mail. Inside it every message has a savepoint, so a
/// message that cannot be processed is undone alone and quarantined in the same
/// transaction, as ingest_message and quarantine_message would have done one by one.
BatchResult ingest_batch(store::Store& store, const Runtime& rt, const std::string& mailbox, std::uint32_t uidvalidity,
                         const std::vector<BatchMessage>& messages, triage::Instant now);


}  // namespace complaintd::daemon
