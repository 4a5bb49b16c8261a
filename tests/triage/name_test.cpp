#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "triage/name.hpp"

namespace complaintd::triage {
namespace {

TEST(Name, LiteralIsItsText) {
  constexpr Name n = "category.service_delivery";
  static_assert(n.size() == 25);
  EXPECT_EQ(n.view(), "category.service_delivery");
  EXPECT_TRUE(Name().empty());
  EXPECT_EQ(Name(), "");
}

TEST(Name, SameTextInternedTwiceIsOneName) {
  const Name a = Name::intern(std::string("route.") + "waste_collection");
  const Name b = Name::intern("route.waste_collection");
  EXPECT_EQ(a.view().data(), b.view().data());
  EXPECT_NE(Name::intern("route.other").view().data(), a.view().data());
  EXPECT_TRUE(Name::intern("").empty());
}

TEST(Name, OutlivesTheStringItWasInternedFrom) {
  Name n;
  {
    auto text = std::make_unique<std::string>("a name longer than any small-string buffer");
    n = Name::intern(*text);
    text->assign(text->size(), 'x');
  }
  // Many more, so that the pool grows past its first allocations.
  std::vector<Name> more;
  for (int i = 0; i < 1000; ++i) more.push_back(Name::intern("n" + std::to_string(i)));
  EXPECT_EQ(n, "a name longer than any small-string buffer");
  EXPECT_EQ(more[7], "n7");
}

TEST(Name, ComparesByText) {
  const Name a = "alpha", b = Name::intern(std::string("alp") + "ha"), c = "beta";
  EXPECT_EQ(a, b);  // a literal and an interned copy of its text
  EXPECT_NE(a, c);
  EXPECT_LT(a, c);
  EXPECT_GT(c, b);
  EXPECT_EQ(a, std::string("alpha"));
  EXPECT_EQ(std::string_view("alpha"), a);
  EXPECT_TRUE(a == "alpha");
  EXPECT_TRUE("alpha" == a);
  EXPECT_FALSE(a == "alph");
  std::ostringstream o;
  o << a << "/" << c;
  EXPECT_EQ(o.str(), "alpha/beta");
}

TEST(Text, FixedOrMade) {
  Text t;
  EXPECT_TRUE(t.empty());
  t = "a person wrote, no known case reference";
  EXPECT_EQ(t, "a person wrote, no known case reference");
  std::string made = "subject names case [CMP-1]";
  t = made;
  made.clear();
  EXPECT_EQ(t, "subject names case [CMP-1]");
  const Text copy = t;
  t = Name("fixed again");
  EXPECT_EQ(t, "fixed again");
  EXPECT_EQ(copy, "subject names case [CMP-1]");
}

}  // namespace
}  // namespace complaintd::triage
