// RFC 3676 format=flowed.

#include "parser/flowed.hpp"

#include <gtest/gtest.h>

namespace complaintd::parser {
namespace {

TEST(Flowed, JoinsSoftBreaks) {
  EXPECT_EQ(unflow("one \ntwo \nthree\nfour\n", false), "one two three\nfour\n");
}

TEST(Flowed, DelSpRemovesTheBreakSpace) {
  EXPECT_EQ(unflow("abc \ndef\n", true), "abcdef\n");
}

TEST(Flowed, QuoteDepthChangeIsAHardBreak) {
  EXPECT_EQ(unflow("> quoted \n> more\nnot quoted\n", false), "> quoted more\nnot quoted\n");
  EXPECT_EQ(unflow("> a \n>> b\n", false), "> a \n>> b\n");
}

TEST(Flowed, SpaceStuffingAndSignature) {
  EXPECT_EQ(unflow(" From here\n-- \nsig\n", false), "From here\n-- \nsig\n");
}

TEST(Flowed, LastLineWithoutNewline) {
  EXPECT_EQ(unflow("a \nb", false), "a b\n");
  EXPECT_EQ(unflow("", false), "");
}

}  // namespace
}  // namespace complaintd::parser
