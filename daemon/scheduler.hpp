#pragma once
// Deadlines fall due here: reminders, escalations, holding letters, closing windows,
// surveys. `complaintd tick --at`, `run --once` and the daemon's timer all call
// run_due_deadlines, so what a test moves time through is what production runs.

#include "common/result.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

struct TickStats {
  int processed = 0;  ///< deadlines that acted (or were found stale or superseded)
  int letters = 0;    ///< letters queued
  int failed = 0;     ///< deadlines that could not be processed (logged, marked failed)
};

/// Processes every open deadline due by `now`, earliest first. Each deadline's plan commits
/// together with its "done" mark, so a crash repeats nothing and skips nothing; after
/// downtime the overdue ones are caught up once, in order (a reminder overtaken by a later
/// one is logged, not sent).
Result<TickStats> run_due_deadlines(store::Store& store, const Runtime& rt, triage::Instant now);

}  // namespace complaintd::daemon
