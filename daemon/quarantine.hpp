#pragma once
// Messages that could not be processed (a bug, a letter that cannot be rendered) are kept
// whole with the reason, so that they neither block the mailbox nor get lost; a person
// replays them after the fix (`complaintd quarantine list|show|replay`). Storage failures
// are not quarantined: those are transient and the message is simply tried again.

#include <string>

#include "common/result.hpp"
#include "daemon/ingest.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

/// True for errors of the database itself (Store reports them as "database: …") and of the
/// attachment store beside it ("storing attachment(s): …"): a full or read-only disk, not
/// the message, so the message must be tried again, not quarantined (`ingest` exits 75).
bool is_storage_failure(const Error& e);

/// ingest_message, with any exception turned into an error: one message must never stop
/// the daemon.
Result<IngestOutcome> ingest_guarded(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now);

/// Keeps `raw` in quarantine with `reason`; returns its row. Logs the event.
Result<std::int64_t> quarantine_message(store::Store& store, const store::MessageLocation& location,
                                        const std::string& raw, const std::string& reason, triage::Instant now);

/// Ingests a quarantined message again (after a fix). A message replayed twice, or after a
/// crash between its ingest and its mark, is found as a duplicate: it never opens a second case.
Result<IngestOutcome> replay_quarantined(store::Store& store, const Runtime& rt, std::int64_t id, triage::Instant now);

}  // namespace complaintd::daemon
