// RFC 5322 §3.3 dates and the obsolete forms of §4.3 that real mail still carries.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "parser/date.hpp"
#include "parser/parse.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using namespace std::chrono;

struct DateCase {
  const char* value;
  std::optional<std::int64_t> unix;  // nullopt: not a date
};

void PrintTo(const DateCase& c, std::ostream* os) { *os << '"' << c.value << '"'; }

class DateTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(DateTest, ParsesToUtc) {
  const auto got = parse_date_utc(GetParam().value);
  if (!GetParam().unix) {
    EXPECT_FALSE(got.has_value()) << got->time_since_epoch().count();
    return;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->time_since_epoch().count(), *GetParam().unix);
}

// 1717408800 = 2024-06-03T10:00:00Z.
INSTANTIATE_TEST_SUITE_P(Rfc5322, DateTest, ::testing::Values(
    DateCase{"Mon, 3 Jun 2024 10:00:00 +0000", 1717408800},
    DateCase{"Mon, 03 Jun 2024 12:00:00 +0200", 1717408800},
    DateCase{"Mon, 3 Jun 2024 05:30:00 -0430", 1717408800},
    DateCase{"3 Jun 2024 10:00:00 +0000", 1717408800},               // no weekday
    DateCase{"Mon, 3 Jun 2024 10:00 +0000", 1717408800},             // no seconds
    DateCase{"Mon, 3 Jun 24 10:00:00 GMT", 1717408800},              // 2-digit year, GMT
    DateCase{"Mon, 3 Jun 124 10:00:00 UT", 1717408800},              // 3-digit year + 1900
    DateCase{"Mon, 3 Jun 2024 06:00:00 EDT", 1717408800},            // named US zones
    DateCase{"Mon, 3 Jun 2024 05:00:00 EST", 1717408800},
    DateCase{"Mon, 3 Jun 2024 03:00:00 PDT", 1717408800},
    DateCase{"Mon, 3 Jun 2024 10:00:00 Z", 1717408800},              // military: -0000
    DateCase{"Mon, 3 Jun 2024 10:00:00 A", 1717408800},
    DateCase{"Mon, 3 Jun 2024 12:00:00 +0200 (CEST)", 1717408800},   // comment
    DateCase{"Mon (Monday), 3 (third) Jun 2024 10:00:00 +0000", 1717408800},
    DateCase{"Monday, 03-Jun-24 10:00:00 GMT", 1717408800},          // RFC 850
    DateCase{"Mon Jun  3 10:00:00 2024", 1717408800},                // asctime
    DateCase{"Mon, 3 Jun 2024 12:00:00+0200", 1717408800},           // zone glued to time
    DateCase{"Mon, 3 Jun 2024 10:00:00", 1717408800},                // no zone: UTC
    DateCase{"Mon, 3 Jun 2024 10:00:00 MEZ", 1717408800},            // unknown zone: UTC
    DateCase{"mon, 3 JUN 2024 10:00:00 +0000", 1717408800},          // case
    DateCase{"Sun, 31 Dec 1950 23:59:60 +0000", -599616001},         // leap second, 19xx
    DateCase{"Thu, 1 Jan 1970 00:00:00 +0000", 0},
    DateCase{"Thu, 1 Jan 70 00:00:00 +0000", 0},                     // 70 is 1970
    DateCase{"Sat, 1 Jan 49 00:00:00 +0000", 2493072000},            // 49 is 2049
    DateCase{"Mon, 31 Feb 2024 10:00:00 +0000", std::nullopt},       // no such day
    DateCase{"Mon, 3 Jun 2024 25:00:00 +0000", std::nullopt},
    DateCase{"Mon, 3 Jun 2024", std::nullopt},                       // no time
    DateCase{"yesterday", std::nullopt},
    DateCase{"", std::nullopt},
    DateCase{"Mon, 3 Jun 2024 10:00:00:00 +0000", std::nullopt},
    DateCase{"Mon, 3 Jun 123456 10:00:00 +0000", std::nullopt}));

TEST(Date, ParseFillsDateUtcAndKeepsTheText) {
  const InboundMessage m = parse("From: a@example.test\nDate: 3 Jun 24 06:00 EDT\n\nhi\n");
  EXPECT_EQ(m.date, "3 Jun 24 06:00 EDT");
  ASSERT_TRUE(m.date_utc.has_value());
  EXPECT_EQ(m.date_utc->time_since_epoch().count(), 1717408800);
}

TEST(Date, UnreadableDateIsADefect) {
  const InboundMessage m = parse("From: a@example.test\nDate: soon\n\nhi\n");
  EXPECT_FALSE(m.date_utc.has_value());
  EXPECT_TRUE(testing::has_defect(m.defects, "Date 'soon' is not a date")) << testing::join(m.defects);
}

}  // namespace
}  // namespace complaintd::parser
