#include <gtest/gtest.h>

#include "config/duration.hpp"

namespace complaintd::config {
namespace {

using Unit = Duration::Unit;

struct Good {
  const char* text;
  Duration expected;
};

class DurationGood : public ::testing::TestWithParam<Good> {};

TEST_P(DurationGood, Parses) {
  auto d = parse_duration(GetParam().text);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(All, DurationGood,
                         ::testing::Values(Good{"20 working days", {20, Unit::kWorkingDays}},
                                           Good{"1 working day", {1, Unit::kWorkingDays}},
                                           Good{"  5   Working   Days ", {5, Unit::kWorkingDays}},
                                           Good{"28 days", {28, Unit::kDays}}, Good{"1 day", {1, Unit::kDays}},
                                           Good{"2 weeks", {14, Unit::kDays}}, Good{"4 hours", {4, Unit::kHours}},
                                           Good{"0 working days", {0, Unit::kWorkingDays}},
                                           Good{"3650 days", {3650, Unit::kDays}}));

class DurationBad : public ::testing::TestWithParam<const char*> {};

TEST_P(DurationBad, IsRejectedWithAHint) {
  auto d = parse_duration(GetParam());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("expected"), std::string::npos) << d.error().message;
}

INSTANTIATE_TEST_SUITE_P(All, DurationBad,
                         ::testing::Values("", "20", "twenty days", "20 working", "20 working hours", "-1 days",
                                           "3651 days", "20 days extra words", "20 fortnights", "1e3 days",
                                           "20days"));

TEST(Duration, CanonicalSpelling) {
  EXPECT_EQ(to_string({20, Unit::kWorkingDays}), "20 working days");
  EXPECT_EQ(to_string({1, Unit::kWorkingDays}), "1 working day");
  EXPECT_EQ(to_string({28, Unit::kDays}), "28 days");
  EXPECT_EQ(to_string({1, Unit::kHours}), "1 hour");
}

}  // namespace
}  // namespace complaintd::config
