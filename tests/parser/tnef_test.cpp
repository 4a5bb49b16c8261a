// The TNEF reader on streams built here byte by byte ([MS-OXTNEF] §2.1.3): well-formed,
// cut short, lying about lengths, and with more files than allowed.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "parser/tnef.hpp"

namespace complaintd::parser {
namespace {

void put16(std::string& s, std::uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string attribute(std::uint8_t level, std::uint32_t id, const std::string& data) {
  std::string s;
  s.push_back(static_cast<char>(level));
  put32(s, id);
  put32(s, static_cast<std::uint32_t>(data.size()));
  s += data;
  std::uint16_t sum = 0;
  for (const char c : data) sum = static_cast<std::uint16_t>(sum + static_cast<unsigned char>(c));
  put16(s, sum);
  return s;
}

std::string header() {
  std::string s;
  put32(s, 0x223E9F78);
  put16(s, 1);
  return s;
}

std::string file(const std::string& title, const std::string& data) {
  return attribute(2, 0x00069002, std::string(14, '\0')) + attribute(2, 0x00018010, title + '\0') +
         attribute(2, 0x0006800F, data);
}

TEST(Tnef, RecognisesTheSignatureOnly) {
  EXPECT_TRUE(is_tnef(header()));
  EXPECT_FALSE(is_tnef("x"));
  EXPECT_FALSE(is_tnef("PK\x03\x04 zip"));
  EXPECT_FALSE(read_tnef("hello world", 10).has_value());
}

TEST(Tnef, ReadsFilesInOrder) {
  const std::string stream = header() + attribute(1, 0x00089006, "\0\0\1\0") + file("A.TXT", "aaa") +
                             file("B.PDF", std::string("\0\1\2", 3));
  const auto t = read_tnef(stream, 10);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->problem.empty()) << t->problem;
  ASSERT_EQ(t->files.size(), 2u);
  EXPECT_EQ(t->files[0].name, "A.TXT");
  EXPECT_EQ(t->files[0].content, "aaa");
  EXPECT_EQ(t->files[1].name, "B.PDF");
  EXPECT_EQ(t->files[1].content, std::string("\0\1\2", 3));
}

TEST(Tnef, Latin1TitleBecomesUtf8) {
  const auto t = read_tnef(header() + file("caf\xe9.txt", "x"), 10);
  ASSERT_TRUE(t && t->files.size() == 1u);
  EXPECT_EQ(t->files[0].name, "caf\xc3\xa9.txt");
}

TEST(Tnef, LengthBeyondTheEndKeepsWhatWasRead) {
  std::string stream = header() + file("A.TXT", "aaa");
  std::string bad = attribute(2, 0x0006800F, "data");
  bad[8] = '\x7f';  // length 0x7f000004: far beyond the input
  stream += attribute(2, 0x00069002, std::string(14, '\0')) + bad;
  const auto t = read_tnef(stream, 10);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->problem, "TNEF attribute longer than the file");
  ASSERT_EQ(t->files.size(), 1u);
  EXPECT_EQ(t->files[0].content, "aaa");
}

TEST(Tnef, EveryPrefixIsSafe) {
  const std::string stream = header() + file("A.TXT", "aaa") + file("B.TXT", "bbb");
  for (std::size_t n = 0; n <= stream.size(); ++n) {
    const auto t = read_tnef(stream.substr(0, n), 10);
    if (n < 4) {
      EXPECT_FALSE(t.has_value());
    } else {
      ASSERT_TRUE(t.has_value());
      EXPECT_LE(t->files.size(), 2u);
    }
  }
}

TEST(Tnef, FileCountIsCapped) {
  std::string stream = header();
  for (int i = 0; i < 50; ++i) stream += file("F" + std::to_string(i), "x");
  const auto t = read_tnef(stream, 5);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->files.size(), 5u);
  EXPECT_EQ(t->problem, "more than 5 files in TNEF; the rest ignored");
}

}  // namespace
}  // namespace complaintd::parser
