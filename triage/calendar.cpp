#include "triage/calendar.hpp"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace complaintd::triage {

namespace chr = std::chrono;

struct Zone::Impl {
  std::unique_ptr<icu::TimeZone> tz;

  // Offset of local time from UTC at instant t, in seconds.
  [[nodiscard]] chr::seconds offset_at(Instant t) const {
    int32_t raw = 0, dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    tz->getOffset(static_cast<UDate>(t.time_since_epoch().count()) * 1000.0, false, raw, dst, status);
    if (U_FAILURE(status)) return chr::seconds{0};
    return chr::seconds{(raw + dst) / 1000};
  }
};

Zone::Zone(std::shared_ptr<const Impl> impl, std::string name) : impl_(std::move(impl)), name_(std::move(name)) {}

Result<Zone> Zone::load(const std::string& iana_name) {
  auto impl = std::make_shared<Impl>();
  impl->tz.reset(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(iana_name)));
  icu::UnicodeString id;
  if (impl->tz) impl->tz->getID(id);
  if (!impl->tz || id == icu::UnicodeString("Etc/Unknown")) return Error{"unknown time zone \"" + iana_name + "\""};
  return Zone(std::move(impl), iana_name);
}

Zone Zone::utc() { return std::move(load("UTC").value()); }

Date Zone::local_date(Instant t) const { return chr::floor<chr::days>(t + impl_->offset_at(t)); }

chr::seconds Zone::local_time_of_day(Instant t) const {
  const auto local = t + impl_->offset_at(t);
  return local - chr::floor<chr::days>(local);
}

Instant Zone::start_of_day(Date d) const {
  // Local midnight = UTC midnight minus the offset in force then. The offset may differ
  // on either side of a transition, so try both candidates and keep one that maps back
  // to local midnight; in a gap (no local midnight) take the transition instant.
  const Instant utc_midnight{chr::duration_cast<chr::seconds>(d.time_since_epoch())};
  for (auto probe : {utc_midnight - chr::hours(14), utc_midnight, utc_midnight + chr::hours(14)}) {
    const Instant candidate = utc_midnight - impl_->offset_at(probe);
    if (local_date(candidate) == d && local_time_of_day(candidate) == chr::seconds{0}) return candidate;
  }
  // Gap: the first instant whose local date is d.
  Instant lo = utc_midnight - chr::hours(15), hi = utc_midnight + chr::hours(15);
  while (hi - lo > chr::seconds{1}) {
    const Instant mid = lo + (hi - lo) / 2;
    if (local_date(mid) < d) lo = mid;
    else hi = mid;
  }
  return hi;
}

WorkingCalendar::WorkingCalendar() : working_{true, true, true, true, true, false, false} {}

WorkingCalendar::WorkingCalendar(const config::CalendarConfig& cfg) : working_(cfg.working_days), cutoff_(cfg.cutoff) {
  for (const auto& h : cfg.holidays) holidays_.push_back(Date{h});
  std::sort(holidays_.begin(), holidays_.end());
}

bool WorkingCalendar::is_working_day(Date d) const {
  const unsigned iso = chr::weekday{d}.iso_encoding();  // 1 = Monday … 7 = Sunday
  if (!working_[iso - 1]) return false;
  return !std::binary_search(holidays_.begin(), holidays_.end(), d);
}

Date WorkingCalendar::add_working_days(Date from, int n) const {
  Date d = from;
  // Config validation guarantees at least one working weekday, so this terminates; the
  // bound guards a calendar whose holidays cover every working day for years.
  for (int found = 0, guard = 0; found < n && guard < 40000; ++guard) {
    d += chr::days{1};
    if (is_working_day(d)) ++found;
  }
  return d;
}

Date WorkingCalendar::subtract_working_days(Date from, int n) const {
  Date d = from;
  for (int found = 0, guard = 0; found < n && guard < 40000; ++guard) {
    d -= chr::days{1};
    if (is_working_day(d)) ++found;
  }
  return d;
}

Due end_of(Date date, const Zone& zone) { return Due{zone.start_of_day(date + chr::days{1}), date}; }

Due due_after(Instant received, const config::Duration& dur, const WorkingCalendar& cal, const Zone& zone) {
  using Unit = config::Duration::Unit;
  if (dur.unit == Unit::kHours) {
    // Hours are exact: fast-track incidents run outside working hours too.
    const Instant at = received + chr::hours(dur.count);
    return Due{at, zone.local_date(at)};
  }
  Date start = zone.local_date(received);
  if (const auto cut = cal.cutoff(); cut && zone.local_time_of_day(received) >= *cut) start += chr::days{1};
  if (dur.unit == Unit::kWorkingDays && !cal.is_working_day(start)) {
    // Received on a weekend or holiday (or after the cut-off on the last working day
    // before one): it counts as received on the next working day, day 0.
    start = cal.add_working_days(start, 1);
  }
  const Date date = dur.unit == Unit::kWorkingDays ? cal.add_working_days(start, dur.count)
                                                   : start + chr::days{dur.count};
  return end_of(date, zone);
}

Due later_than(const Due& base, const config::Duration& dur, const WorkingCalendar& cal, const Zone& zone) {
  using Unit = config::Duration::Unit;
  switch (dur.unit) {
    case Unit::kHours: {
      const Instant at = base.at + chr::hours(dur.count);
      return Due{at, zone.local_date(at)};
    }
    case Unit::kDays: return end_of(base.date + chr::days{dur.count}, zone);
    case Unit::kWorkingDays: return end_of(cal.add_working_days(base.date, dur.count), zone);
  }
  return base;
}

Due earlier_than(const Due& base, const config::Duration& dur, const WorkingCalendar& cal, const Zone& zone) {
  using Unit = config::Duration::Unit;
  switch (dur.unit) {
    case Unit::kHours: {
      const Instant at = base.at - chr::hours(dur.count);
      return Due{at, zone.local_date(at)};
    }
    case Unit::kDays: return end_of(base.date - chr::days{dur.count}, zone);
    case Unit::kWorkingDays: return end_of(cal.subtract_working_days(base.date, dur.count), zone);
  }
  return base;
}

std::string long_date(Date d) {
  static constexpr std::array<const char*, 7> kDays{"Sunday", "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
  static constexpr std::array<const char*, 12> kMonths{"January", "February", "March",     "April",
                                                       "May",     "June",     "July",      "August",
                                                       "September", "October", "November", "December"};
  const chr::year_month_day ymd{d};
  return std::string(kDays[chr::weekday{d}.c_encoding()]) + " " + std::to_string(unsigned(ymd.day())) + " " +
         kMonths[unsigned(ymd.month()) - 1] + " " + std::to_string(int(ymd.year()));
}

std::string iso_date(Date d) {
  const chr::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

std::string iso_instant(Instant t) {
  const auto day = chr::floor<chr::days>(t);
  const chr::hh_mm_ss hms{t - day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", int(hms.hours().count()), int(hms.minutes().count()),
                int(hms.seconds().count()));
  return iso_date(day) + buf;
}

Result<Instant> parse_iso_instant(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
  const char* p = text.c_str();
  if (std::sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3) {
    return Error{"bad time \"" + text + "\": expected ISO 8601 like 2026-12-07T09:30:00Z"};
  }
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)}, chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Error{"bad time \"" + text + "\": no such date"};
  std::string rest = text.substr(static_cast<std::size_t>(consumed));
  chr::seconds offset{0};
  if (!rest.empty()) {
    int n = 0;
    if (std::sscanf(rest.c_str(), "T%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3 &&
        std::sscanf(rest.c_str(), " %2d:%2d:%2d%n", &h, &mi, &s, &n) != 3) {
      return Error{"bad time \"" + text + "\": expected ISO 8601 like 2026-12-07T09:30:00Z"};
    }
    rest = rest.substr(static_cast<std::size_t>(n));
    if (h > 23 || mi > 59 || s > 60) return Error{"bad time \"" + text + "\": no such time of day"};
    if (rest == "Z" || rest.empty()) {
    } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
      const int oh = std::atoi(rest.substr(1, 2).c_str()), om = std::atoi(rest.substr(4, 2).c_str());
      offset = chr::hours(oh) + chr::minutes(om);
      if (rest[0] == '-') offset = -offset;
    } else {
      return Error{"bad time \"" + text + "\": unknown zone suffix \"" + rest + "\""};
    }
  }
  return Instant{chr::sys_days{ymd}} + chr::hours(h) + chr::minutes(mi) + chr::seconds(s) - offset;
}

}  // namespace complaintd::triage
