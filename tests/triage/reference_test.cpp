#include <gtest/gtest.h>

#include "triage/reference.hpp"

namespace complaintd::triage {
namespace {

TEST(ReferenceFormat, DefaultFormat) {
  const ReferenceFormat f("CMP-{year}-{seq:06}");
  EXPECT_EQ(f.format(2026, 11, 42), "CMP-2026-000042");
  EXPECT_EQ(f.format(2026, 11, 1234567), "CMP-2026-1234567");  // grows, never wraps
  EXPECT_EQ(f.counter_key(2026), 2026);
}

TEST(ReferenceFormat, OtherPlaceholders) {
  EXPECT_EQ(ReferenceFormat("{yy}{month}/{seq:04}").format(2027, 3, 7), "2703/0007");
  EXPECT_EQ(ReferenceFormat("FB{seq}").format(2027, 3, 7), "FB7");
  EXPECT_EQ(ReferenceFormat("FB{seq}").counter_key(2027), 0);  // one counter for ever
}

TEST(ReferenceFormat, Matches) {
  const ReferenceFormat f("CMP-{year}-{seq:06}");
  EXPECT_TRUE(f.matches("CMP-2026-000042"));
  EXPECT_TRUE(f.matches("cmp-2026-000042"));
  EXPECT_TRUE(f.matches("CMP-2026-1234567"));
  for (const char* bad : {"", "CMP-2026-42", "CMP-26-000042", "CMP-2026-000042x", "XCMP-2026-000042", "CMP-2026-",
                          "CMP2026000042"}) {
    EXPECT_FALSE(f.matches(bad)) << bad;
  }
}

TEST(ReferenceFormat, FindsTagsInSubjects) {
  const ReferenceFormat f("CMP-{year}-{seq:06}");
  using V = std::vector<std::string>;
  EXPECT_EQ(f.find_tagged("Re: [CMP-2026-000042] Bins not collected"), V{"CMP-2026-000042"});
  EXPECT_EQ(f.find_tagged("AW: Re: [ CMP-2026-000042 ] x [CMP-2026-000043]"), (V{"CMP-2026-000042", "CMP-2026-000043"}));
  EXPECT_EQ(f.find_tagged("[CMP-2026-000042 k7f3a] reply"), V{"CMP-2026-000042"});
  EXPECT_EQ(f.find_tagged("CMP-2026-000042 without brackets"), V{});
  EXPECT_EQ(f.find_tagged("[SPAM] [CMP-2026-00004] [unclosed"), V{});
}

}  // namespace
}  // namespace complaintd::triage
