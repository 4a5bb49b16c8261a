#pragma once
// Working days and due dates. Pure: `now` and the calendar are arguments, so thirty
// working days across Christmas are tested in microseconds.

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/duration.hpp"

namespace complaintd::triage {

using Instant = std::chrono::sys_seconds;  ///< a moment, UTC
using Date = std::chrono::sys_days;        ///< a calendar date (no zone attached)

/// The organisation's time zone (IANA, via ICU so that DST rules come from tzdata).
class Zone {
 public:
  static Result<Zone> load(const std::string& iana_name);
  static Zone utc();

  /// The local calendar date at instant `t`.
  [[nodiscard]] Date local_date(Instant t) const;
  /// Seconds since local midnight at instant `t`.
  [[nodiscard]] std::chrono::seconds local_time_of_day(Instant t) const;
  /// The instant local midnight begins on `d` (the first valid local time if midnight
  /// falls in a DST gap).
  [[nodiscard]] Instant start_of_day(Date d) const;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  struct Impl;
  explicit Zone(std::shared_ptr<const Impl> impl, std::string name);
  std::shared_ptr<const Impl> impl_;
  std::string name_;
};

class WorkingCalendar {
 public:
  explicit WorkingCalendar(const config::CalendarConfig& cfg);
  WorkingCalendar();  ///< Monday to Friday, no holidays

  [[nodiscard]] bool is_working_day(Date d) const;
  /// The n-th working day strictly after `from` (n = 0 gives `from` itself).
  [[nodiscard]] Date add_working_days(Date from, int n) const;
  /// The n-th working day strictly before `from` (n = 0 gives `from` itself).
  [[nodiscard]] Date subtract_working_days(Date from, int n) const;
  /// Mail received at or after this local time of day counts from the next day.
  [[nodiscard]] std::optional<std::chrono::minutes> cutoff() const { return cutoff_; }

 private:
  std::array<bool, 7> working_;  // ISO order, Monday first
  std::vector<Date> holidays_;   // sorted
  std::optional<std::chrono::minutes> cutoff_;
};

/// When something received at `received` falls due after `d`:
/// working days and days end at local midnight at the end of the due date; hours are
/// exact. The day of receipt is day 0 (so "5 working days" from a Monday is the
/// following Monday, end of day).
struct Due {
  Instant at;  ///< the deadline instant (UTC)
  Date date;   ///< the local date a person is told
};
/// With a cut-off (mail after 15:00 counts from the next day) day 0 is the day after. For
/// working days, mail received on a day that is not one counts from the next working day
/// ("processed on the next available working day").
Due due_after(Instant received, const config::Duration& d, const WorkingCalendar& cal, const Zone& zone);

/// `d` after a deadline: working days and days move its date on (the end of that day);
/// hours move the instant. "Overdue by 0 working days" is the deadline itself.
Due later_than(const Due& base, const config::Duration& d, const WorkingCalendar& cal, const Zone& zone);
/// `d` before a deadline, the same way back.
Due earlier_than(const Due& base, const config::Duration& d, const WorkingCalendar& cal, const Zone& zone);
/// A deadline that ends with local date `date`.
Due end_of(Date date, const Zone& zone);

/// "Monday 7 December 2026" — how letters write dates.
std::string long_date(Date d);
/// "2026-12-07"
std::string iso_date(Date d);
/// "2026-12-07T09:30:00Z"
std::string iso_instant(Instant t);
/// Parses "2026-12-07T09:30:00Z", "…+01:00", "2026-12-07T09:30:00" (taken as UTC) or "2026-12-07".
Result<Instant> parse_iso_instant(const std::string& text);

}  // namespace complaintd::triage
