#pragma once
// The I/O half of the lifecycle: a stored case becomes CaseFacts for triage::decide, and
// the Plan it returns is applied inside the caller's transaction — the case row, its
// deadlines, its letters (rendered into the outbox) and its timeline, all or nothing.

#include <chrono>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "triage/answer_limit.hpp"
#include "triage/lifecycle.hpp"

namespace complaintd::daemon {

/// The lifecycle's view of a stored case.
triage::CaseFacts facts_of(const store::CaseRow& row);

/// Applies `plan` to the case `case_id` inside `tx`. A refused plan changes nothing and
/// returns ok (the caller tells whoever asked). Fails only when a letter cannot be
/// rendered, which rolls the whole transaction back.
Result<void> apply_plan(store::Tx& tx, const Runtime& rt, std::int64_t case_id, const triage::Plan& plan,
                        triage::Instant now);
/// The same, for a caller that has just read the case in this transaction (`current` must
/// be the row as it stands): the scheduler, which would otherwise read every case twice.
Result<void> apply_plan(store::Tx& tx, const Runtime& rt, const store::CaseRow& current, const triage::Plan& plan,
                        triage::Instant now);

/// The context decide() runs in: the runtime's config, calendar and zone, `now`, and a
/// real random source for the survey sample.
triage::Context lifecycle_context(const Runtime& rt, triage::Instant now);

/// The letters queued to `to` in the `window` before `now` (any status), for the limits of
/// triage/answer_limit.hpp.
std::vector<triage::EarlierLetter> letters_within(store::Tx& tx, const std::string& to, std::chrono::seconds window,
                                                  triage::Instant now);

/// A Message-ID for a letter: "<ref>.<kind>.<random>@<our domain>".
std::string new_message_id(const std::string& reference, const std::string& kind, const std::string& from_address);

}  // namespace complaintd::daemon
