// [parser]: the limits on one inbound message, and byte sizes as people write them.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config/parser_limits.hpp"
#include "tests/config/minimal_config.hpp"

namespace complaintd::config {
namespace {

const char* const kBase = testing::kMinimal;

LoadResult parse_with(const std::string& extra) {
  return parse_config(std::string(kBase) + extra, "/etc/complaintd/test.toml");
}

std::string errors_of(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += format_error(e) + "\n";
  return out;
}

TEST(ByteSize, UnitsAreBinaryMultiples) {
  EXPECT_EQ(*parse_byte_size("25MB"), 25u * 1024u * 1024u);
  EXPECT_EQ(*parse_byte_size("25 MB"), 25u * 1024u * 1024u);
  EXPECT_EQ(*parse_byte_size(" 25 mib "), 25u * 1024u * 1024u);
  EXPECT_EQ(*parse_byte_size("512KB"), 512u * 1024u);
  EXPECT_EQ(*parse_byte_size("512k"), 512u * 1024u);
  EXPECT_EQ(*parse_byte_size("1GB"), 1024u * 1024u * 1024u);
  EXPECT_EQ(*parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_byte_size("100 bytes"), 100u);
}

TEST(ByteSize, NonsenseIsRefusedWithAHint) {
  for (const char* bad : {"", "MB", "25 parsecs", "-5MB", "2.5MB", "25 M B", "99999999999999999999"}) {
    auto r = parse_byte_size(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(parse_byte_size("25 parsecs").error().message.find("unknown unit \"parsecs\""), std::string::npos);
  EXPECT_NE(parse_byte_size("5000 GB").error().message.find("too large"), std::string::npos);
}

TEST(ParserConfig, DefaultsWithoutTheTable) {
  const auto r = parse_with("");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->parser.max_message_size, 25u * 1024u * 1024u);
  EXPECT_EQ(r.config->parser.max_depth, 32u);
  EXPECT_EQ(r.config->parser.max_parts, 1000u);
}

TEST(ParserConfig, AllKeys) {
  const auto r = parse_with("[parser]\nmax_message_size = \"50MB\"\nmax_depth = 10\nmax_parts = 200\n");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->parser.max_message_size, 50u * 1024u * 1024u);
  EXPECT_EQ(r.config->parser.max_depth, 10u);
  EXPECT_EQ(r.config->parser.max_parts, 200u);
  const auto bytes = parse_with("[parser]\nmax_message_size = 1048576\n");
  ASSERT_TRUE(bytes.config) << errors_of(bytes);
  EXPECT_EQ(bytes.config->parser.max_message_size, 1048576u);
}

struct BadCase {
  const char* toml;
  const char* error;  // substring of the formatted error, with the line
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.toml; }

class ParserConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParserConfigErrors, AreReportedWithTheirLine) {
  const auto r = parse_with(GetParam().toml);
  EXPECT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find(GetParam().error), std::string::npos) << errors_of(r);
}

// kBase ends on line 16, so "[parser]" is line 16 and its first key line 17.
INSTANTIATE_TEST_SUITE_P(Validation, ParserConfigErrors, ::testing::Values(
    BadCase{"[parser]\nmax_message_size = \"25 parsecs\"\n", "test.toml:17:20: parser.max_message_size: unknown unit"},
    BadCase{"[parser]\nmax_message_size = \"10KB\"\n", "parser.max_message_size: must be between 64 KB and 1024 MB"},
    BadCase{"[parser]\nmax_message_size = \"2GB\"\n", "must be between 64 KB and 1024 MB"},
    BadCase{"[parser]\nmax_message_size = -1\n", "parser.max_message_size: must not be negative"},
    BadCase{"[parser]\nmax_message_size = 2.5\n", "parser.max_message_size: must be a size"},
    BadCase{"[parser]\nmax_depth = 0\n", "parser.max_depth: must be between 1 and 200"},
    BadCase{"[parser]\nmax_depth = 201\n", "parser.max_depth: must be between 1 and 200"},
    BadCase{"[parser]\nmax_depth = \"32\"\n", "parser.max_depth: must be a whole number"},
    BadCase{"[parser]\nmax_parts = 0\n", "parser.max_parts: must be between 1 and 100000"},
    BadCase{"[parser]\nmax_part = 10\n", "parser.max_part: unknown key; did you mean \"max_parts\"?"}));

TEST(ParserConfig, NotATable) {
  const auto r = parse_config("parser = 5\n" + std::string(kBase), "/etc/complaintd/test.toml");
  EXPECT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find("test.toml:1:10: parser: must be a table"), std::string::npos) << errors_of(r);
}

}  // namespace
}  // namespace complaintd::config
