#pragma once
// What triage decided about a message, for people (`explain`, `cases show`) and machines
// (`explain --format json`), and as rows for the store.

#include <string>
#include <vector>

#include "daemon/store/store.hpp"
#include "triage/assess.hpp"

namespace complaintd::daemon {

/// One row per rule that fired, under the decision it made.
std::vector<store::TriageRow> triage_rows(const triage::Assessment& a);

/// The assessment as one JSON object.
std::string assessment_json(const triage::Assessment& a);

/// The assessment as readable text, each decision followed by its reasons.
std::string assessment_text(const triage::Assessment& a);

/// Stored rows as readable text (what `cases show` prints under "Triage").
std::string triage_rows_text(const std::vector<store::TriageRow>& rows);

}  // namespace complaintd::daemon
