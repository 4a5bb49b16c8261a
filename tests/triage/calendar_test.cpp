#include <gtest/gtest.h>

#include "triage/calendar.hpp"

namespace complaintd::triage {
namespace {

using namespace std::chrono;
using config::Duration;

Date date(int y, unsigned m, unsigned d) { return sys_days{year{y} / month{m} / day{d}}; }
Instant at(const std::string& iso) { return parse_iso_instant(iso).value(); }

config::CalendarConfig england_2026() {
  config::CalendarConfig c;
  for (auto d : {year{2026} / 12 / 25, year{2026} / 12 / 28, year{2027} / 1 / 1, year{2026} / 4 / 3,
                 year{2026} / 4 / 6})
    c.holidays.push_back(d);
  return c;
}

TEST(WorkingCalendar, WeekendsAreNotWorkingDays) {
  WorkingCalendar cal;
  EXPECT_TRUE(cal.is_working_day(date(2026, 11, 23)));   // Monday
  EXPECT_TRUE(cal.is_working_day(date(2026, 11, 27)));   // Friday
  EXPECT_FALSE(cal.is_working_day(date(2026, 11, 28)));  // Saturday
  EXPECT_FALSE(cal.is_working_day(date(2026, 11, 29)));  // Sunday
}

struct AddCase {
  Date from;
  int n;
  Date expected;
};

class AddWorkingDays : public ::testing::TestWithParam<AddCase> {};

TEST_P(AddWorkingDays, CountsOnlyWorkingDays) {
  const WorkingCalendar cal(england_2026());
  EXPECT_EQ(cal.add_working_days(GetParam().from, GetParam().n), GetParam().expected)
      << iso_date(GetParam().from) << " + " << GetParam().n;
}

INSTANTIATE_TEST_SUITE_P(
    All, AddWorkingDays,
    ::testing::Values(AddCase{date(2026, 11, 23), 0, date(2026, 11, 23)},   // zero: the same day
                      AddCase{date(2026, 11, 23), 1, date(2026, 11, 24)},   // Mon → Tue
                      AddCase{date(2026, 11, 27), 1, date(2026, 11, 30)},   // Fri → Mon
                      AddCase{date(2026, 11, 28), 1, date(2026, 11, 30)},   // Sat → Mon
                      AddCase{date(2026, 11, 29), 1, date(2026, 11, 30)},   // Sun → Mon
                      AddCase{date(2026, 11, 23), 5, date(2026, 11, 30)},   // a week
                      AddCase{date(2026, 11, 23), 20, date(2026, 12, 21)},  // four weeks
                      // Across Christmas and New Year: 25, 28 Dec and 1 Jan are holidays.
                      AddCase{date(2026, 12, 21), 5, date(2026, 12, 30)},
                      AddCase{date(2026, 12, 24), 1, date(2026, 12, 29)},
                      AddCase{date(2026, 12, 24), 20, date(2027, 1, 26)},
                      AddCase{date(2026, 12, 31), 1, date(2027, 1, 4)},
                      // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
                      AddCase{date(2026, 4, 2), 1, date(2026, 4, 7)},
                      // Leap day 2028 is an ordinary Tuesday.
                      AddCase{date(2028, 2, 28), 1, date(2028, 2, 29)}));

TEST(WorkingCalendar, SixDayWeek) {
  config::CalendarConfig c;
  c.working_days = {true, true, true, true, true, true, false};
  const WorkingCalendar cal(c);
  EXPECT_EQ(cal.add_working_days(date(2026, 11, 27), 1), date(2026, 11, 28));  // Fri → Sat
  EXPECT_EQ(cal.add_working_days(date(2026, 11, 28), 1), date(2026, 11, 30));  // Sat → Mon
}

TEST(WorkingCalendar, ExhaustiveAgainstANaiveCount) {
  // Every start day over two years, every n up to 30: the result is a working day and
  // exactly n working days lie in (from, result].
  const WorkingCalendar cal(england_2026());
  for (Date from = date(2026, 1, 1); from < date(2028, 1, 1); from += days{1}) {
    for (int n = 1; n <= 30; ++n) {
      const Date due = cal.add_working_days(from, n);
      ASSERT_TRUE(cal.is_working_day(due));
      int count = 0;
      for (Date d = from + days{1}; d <= due; d += days{1}) count += cal.is_working_day(d) ? 1 : 0;
      ASSERT_EQ(count, n) << iso_date(from) << " + " << n;
    }
  }
}

TEST(Zone, LondonLocalDatesAcrossDst) {
  const auto london = Zone::load("Europe/London").value();
  // 23:30 UTC on 28 June is 00:30 BST on 29 June.
  EXPECT_EQ(london.local_date(at("2026-06-28T23:30:00Z")), date(2026, 6, 29));
  // In winter London is UTC.
  EXPECT_EQ(london.local_date(at("2026-12-28T23:30:00Z")), date(2026, 12, 28));
  EXPECT_EQ(london.start_of_day(date(2026, 6, 29)), at("2026-06-28T23:00:00Z"));
  EXPECT_EQ(london.start_of_day(date(2026, 12, 29)), at("2026-12-29T00:00:00Z"));
  // The clocks change on 29 March and 25 October 2026, at 01:00 UTC.
  EXPECT_EQ(london.start_of_day(date(2026, 3, 29)), at("2026-03-29T00:00:00Z"));
  EXPECT_EQ(london.start_of_day(date(2026, 3, 30)), at("2026-03-29T23:00:00Z"));
  EXPECT_EQ(london.start_of_day(date(2026, 10, 25)), at("2026-10-24T23:00:00Z"));
  EXPECT_EQ(london.start_of_day(date(2026, 10, 26)), at("2026-10-26T00:00:00Z"));
}

TEST(Zone, MidnightInADstGapStartsTheDayAtTheTransition) {
  // Santiago skips from 00:00 to 01:00 on the first Sunday of September 2026.
  const auto santiago = Zone::load("America/Santiago").value();
  const Instant start = santiago.start_of_day(date(2026, 9, 6));
  EXPECT_EQ(santiago.local_date(start), date(2026, 9, 6));
  EXPECT_EQ(santiago.local_date(start - seconds{1}), date(2026, 9, 5));
}

TEST(Zone, UnknownNameIsAnError) {
  EXPECT_FALSE(Zone::load("Mars/Olympus_Mons"));
}

TEST(DueAfter, WorkingDaysEndAtLocalMidnight) {
  const WorkingCalendar cal(england_2026());
  const auto london = Zone::load("Europe/London").value();
  // Monday 23 November 2026, 10:00: 20 working days → Monday 21 December, end of day.
  const auto due = due_after(at("2026-11-23T10:00:00Z"), Duration{20, Duration::Unit::kWorkingDays}, cal, london);
  EXPECT_EQ(due.date, date(2026, 12, 21));
  EXPECT_EQ(due.at, at("2026-12-22T00:00:00Z"));
}

TEST(DueAfter, ReceiptIsDatedInTheOrganisationsZone) {
  const WorkingCalendar cal;
  const auto london = Zone::load("Europe/London").value();
  // Sunday 23:30 UTC in June is already Monday in London: 1 working day → Tuesday.
  const auto due = due_after(at("2026-06-28T23:30:00Z"), Duration{1, Duration::Unit::kWorkingDays}, cal, london);
  EXPECT_EQ(due.date, date(2026, 6, 30));
  EXPECT_EQ(due.at, at("2026-06-30T23:00:00Z"));  // midnight BST
}

TEST(DueAfter, MailOnADayOffCountsFromTheNextWorkingDay) {
  const WorkingCalendar cal(england_2026());
  const auto utc = Zone::utc();
  const Duration five{5, Duration::Unit::kWorkingDays};
  const auto monday = due_after(at("2026-11-30T09:00:00Z"), five, cal, utc);
  EXPECT_EQ(monday.date, date(2026, 12, 7));
  EXPECT_EQ(due_after(at("2026-11-28T09:00:00Z"), five, cal, utc).date, monday.date);  // Saturday
  EXPECT_EQ(due_after(at("2026-11-29T23:59:59Z"), five, cal, utc).date, monday.date);  // Sunday
  // Christmas Day 2026 (a Friday) and Boxing Day's substitute Monday: day 0 is Tuesday 29th.
  EXPECT_EQ(due_after(at("2026-12-25T12:00:00Z"), five, cal, utc).date, date(2027, 1, 6));
  // Calendar days are literal: Saturday + 28 days.
  EXPECT_EQ(due_after(at("2026-11-28T09:00:00Z"), Duration{28, Duration::Unit::kDays}, cal, utc).date,
            date(2026, 12, 26));
}

TEST(DueAfter, CalendarDaysAndHours) {
  const WorkingCalendar cal;
  const auto utc = Zone::utc();
  const auto days28 = due_after(at("2026-11-23T10:00:00Z"), Duration{28, Duration::Unit::kDays}, cal, utc);
  EXPECT_EQ(days28.date, date(2026, 12, 21));
  const auto hours4 = due_after(at("2026-11-28T22:00:00Z"), Duration{4, Duration::Unit::kHours}, cal, utc);
  EXPECT_EQ(hours4.at, at("2026-11-29T02:00:00Z"));  // hours ignore weekends
}

TEST(Formatting, Dates) {
  EXPECT_EQ(long_date(date(2026, 12, 21)), "Monday 21 December 2026");
  EXPECT_EQ(iso_date(date(2027, 1, 4)), "2027-01-04");
  EXPECT_EQ(iso_instant(at("2026-11-23T09:05:07Z")), "2026-11-23T09:05:07Z");
}

TEST(ParseIsoInstant, Forms) {
  EXPECT_EQ(iso_instant(at("2026-11-23T10:00:00+01:00")), "2026-11-23T09:00:00Z");
  EXPECT_EQ(iso_instant(at("2026-11-23T10:00:00-05:30")), "2026-11-23T15:30:00Z");
  EXPECT_EQ(iso_instant(at("2026-11-23")), "2026-11-23T00:00:00Z");
  EXPECT_EQ(iso_instant(at("2026-11-23T10:00:00")), "2026-11-23T10:00:00Z");
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-23T25:00:00Z", "2026-11-23T10:00:00 CET"}) {
    EXPECT_FALSE(parse_iso_instant(bad)) << bad;
  }
}

}  // namespace
}  // namespace complaintd::triage
