#pragma once
// One inbound message, from raw bytes to committed state: stored raw, triaged, and for
// a new complaint a case with its reference, deadline and acknowledgement in the outbox,
// all in one transaction. The same function serves IMAP polling and `complaintd ingest`.

#include <cstdint>
#include <optional>
#include <string>

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

/// Ingests `raw`. For IMAP messages `location.mailbox` is set and the mailbox's last
/// seen UID advances in the same transaction. `now` is when complaintd received it.
Result<IngestOutcome> ingest_message(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now);


}  // namespace complaintd::daemon
