#pragma once
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace complaintd::config {

/// A span of time as procedures write it: "20 working days", "28 days", "4 hours".
/// Working days are counted on the organisation's calendar (triage/calendar.hpp).
struct Duration {
  enum class Unit { kWorkingDays, kDays, kHours };
  int count = 0;
  Unit unit = Unit::kWorkingDays;

  bool operator==(const Duration&) const = default;
};

/// Parses "N working days" / "N working day" / "N days" / "N weeks" (as 7N days) /
/// "N hours". Case-insensitive, extra spaces allowed, N from 0 to 3650.
Result<Duration> parse_duration(std::string_view text);

/// The canonical spelling, e.g. "20 working days".
std::string to_string(const Duration& d);

}  // namespace complaintd::config
