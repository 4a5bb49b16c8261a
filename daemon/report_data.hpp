#pragma once
// Reads what a report needs from the database, read-only (a report never writes, and may
// run while the daemon does).

#include <string>
#include <vector>

#include "common/result.hpp"
#include "reports/report.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

/// The cases received between the two instants [from, to).
Result<std::vector<reports::ReportCase>> load_report_cases(const std::string& database, triage::Instant from,
                                                           triage::Instant to);

}  // namespace complaintd::daemon
