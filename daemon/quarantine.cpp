#include "daemon/quarantine.hpp"

#include <spdlog/spdlog.h>

#include "parser/parse.hpp"

namespace complaintd::daemon {

bool is_storage_failure(const Error& e) {
  return e.message.rfind("database", 0) == 0 || e.message.rfind("storing attachment", 0) == 0;
}

Result<IngestOutcome> ingest_guarded(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now) {
  try {
    return ingest_message(store, rt, location, raw, now);
  } catch (const std::exception& e) {
    return Error{std::string("internal error: ") + e.what()};
  }
}

Result<std::int64_t> quarantine_message(store::Store& store, const store::MessageLocation& location,
                                        const std::string& raw, const std::string& reason, triage::Instant now) {
  // The headers as far as the parser reads them, for the list; the raw bytes are what count.
  store::NewMessage m{location, "", "", "", triage::iso_instant(now), raw};
  const auto parsed = parser::parse(raw);
  m.message_id = parsed.message_id;
  m.from_address = parsed.from ? parsed.from->address : "";
  m.subject = parsed.subject;
  auto row = store.quarantine(m, reason);
  if (!row) return row.error();
  spdlog::error("mailbox={} uid={} event=quarantined message={} reason=\"{}\" action=\"complaintd quarantine show {}\"",
                location.mailbox.empty() ? "-" : location.mailbox, location.uid, *row, reason, *row);
  return row;
}

Result<IngestOutcome> replay_quarantined(store::Store& store, const Runtime& rt, std::int64_t id, triage::Instant now) {
  auto q = store.quarantined(id);
  if (!q) return q.error();
  if (!*q) return Error{"no quarantined message #" + std::to_string(id)};
  if ((*q)->disposition == "replayed") return Error{"message #" + std::to_string(id) + " was replayed already"};
  // Without its mailbox location: that UID is taken by the quarantined row, which stays as
  // the record of what happened.
  auto outcome = ingest_guarded(store, rt, store::MessageLocation{}, (*q)->raw, now);
  if (!outcome) return outcome.error();
  std::string what = to_string(outcome->kind);
  if (!outcome->reference.empty()) what += " " + outcome->reference;
  if (auto marked = store.mark_replayed(id, what); !marked) return marked.error();
  spdlog::info("event=replayed message={} outcome={} case={}", id, to_string(outcome->kind),
               outcome->reference.empty() ? "-" : outcome->reference);
  return outcome;
}

}  // namespace complaintd::daemon
