// ParseLimits and hostile structure: deep nesting, many parts, oversize input. Each of
// these must end with a best-effort message and a defect, never a crash or a hang.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "parser/parse.hpp"
#include "parser/text_util.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using testing::has_defect;
using testing::join;

// `levels` multiparts, each holding the next, with a text part at the bottom.
std::string nested_multipart(int levels) {
  std::string head = "From: alice@example.test\nMessage-ID: <deep@example.test>\nSubject: deep\n";
  std::string tail;
  for (int i = 0; i < levels; ++i) {
    const std::string b = "b" + std::to_string(i);
    head += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b + "\n";
    tail = "\n--" + b + "--\n" + tail;
  }
  return head + "Content-Type: text/plain\n\nbottom text" + tail;
}

TEST(Limits, HundredLevelsOfNestingUnderTheDefaultLimit) {
  const InboundMessage m = parse(nested_multipart(100));
  EXPECT_EQ(m.subject, "deep");
  EXPECT_EQ(m.message_id, "deep@example.test");
  EXPECT_TRUE(has_defect(m.defects, "MIME nesting deeper than 32 levels")) << join(m.defects);
  EXPECT_EQ(m.text, "");  // the text sits below the limit
}

TEST(Limits, HundredLevelsOfNestingWithARaisedLimit) {
  ParseLimits limits;
  limits.max_depth = 150;
  const InboundMessage m = parse(nested_multipart(100), limits);
  EXPECT_EQ(m.text, "bottom text");
  EXPECT_FALSE(has_defect(m.defects, "nesting")) << join(m.defects);
}

TEST(Limits, HardDepthCapHoldsWhateverTheLimitSays) {
  ParseLimits limits;
  limits.max_depth = 1'000'000;
  const InboundMessage m = parse(nested_multipart(1000), limits);
  EXPECT_TRUE(has_defect(m.defects, "MIME nesting deeper than")) << join(m.defects);
}

TEST(Limits, HundredThousandNestedMessagesDoNotOverflowTheStack) {
  // ~3 MB of "Content-Type: message/rfc822": mimetic's recursive parser crashes on this.
  std::string raw = "From: alice@example.test\nSubject: rfc822 tower\n";
  for (int i = 0; i < 100'000; ++i) raw += "Content-Type: message/rfc822\n\n";
  raw += "hello\n";
  ParseLimits limits;
  limits.max_depth = 1'000'000;
  limits.max_parts = 1'000'000;
  const InboundMessage m = parse(raw, limits);
  EXPECT_EQ(m.subject, "rfc822 tower");
  EXPECT_TRUE(has_defect(m.defects, "MIME nesting deeper than")) << join(m.defects);
}

TEST(Limits, PartCountIsCapped) {
  std::string raw =
      "From: alice@example.test\nSubject: parts\nContent-Type: multipart/mixed; boundary=X\n\n";
  for (int i = 0; i < 5000; ++i) raw += "--X\nContent-Type: application/octet-stream\n\nAAAA\n";
  raw += "--X--\n";
  const InboundMessage m = parse(raw);  // default max_parts = 1000
  EXPECT_TRUE(has_defect(m.defects, "more than 1000 MIME parts")) << join(m.defects);
  EXPECT_TRUE(m.limit_exceeded);
  EXPECT_LT(m.attachments.size(), 1000u);
  EXPECT_GT(m.attachments.size(), 900u);
  EXPECT_FALSE(has_defect(m.defects, "missing closing"));
}

TEST(Limits, EmptyBoundaryLinesDoNotExplode) {
  // An empty boundary would make every "--" line a delimiter; it is refused instead.
  std::string raw = "From: a@example.test\nContent-Type: multipart/mixed; boundary=\"\"\n\n";
  for (int i = 0; i < 100'000; ++i) raw += "--\n";
  const InboundMessage m = parse(raw);
  EXPECT_TRUE(has_defect(m.defects, "without a boundary parameter")) << join(m.defects);
  EXPECT_TRUE(m.attachments.empty());
}

TEST(Limits, OversizeMessageKeepsHeadersOnly) {
  ParseLimits limits;
  limits.max_message_bytes = 1000;
  std::string raw =
      "From: Alice <alice@example.test>\nMessage-ID: <big@example.test>\nSubject: big\n"
      "Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\n";
  raw += std::string(5000, 'x');
  raw += "\n--X--\n";
  const InboundMessage m = parse(raw, limits);
  EXPECT_EQ(m.subject, "big");
  EXPECT_EQ(m.message_id, "big@example.test");
  ASSERT_TRUE(m.from.has_value());
  EXPECT_EQ(m.from->address, "alice@example.test");
  EXPECT_EQ(m.content_type, "multipart/mixed");
  EXPECT_EQ(m.text, "");
  EXPECT_TRUE(has_defect(m.defects, "over the limit of 1000")) << join(m.defects);
  EXPECT_TRUE(m.limit_exceeded);
  EXPECT_TRUE(m.needs_person);
  EXPECT_NE(m.needs_person_reason.find("over the limit of 1000"), std::string::npos) << m.needs_person_reason;
}

TEST(Limits, ExactlyMaxPartsIsNotOverTheLimit) {
  ParseLimits limits;
  limits.max_parts = 4;  // the message, the multipart's three children
  const std::string raw =
      "From: a@example.test\nContent-Type: multipart/mixed; boundary=X\n\n"
      "--X\n\none\n--X\n\ntwo\n--X\n\nthree\n--X--\n";
  const InboundMessage m = parse(raw, limits);
  EXPECT_FALSE(m.limit_exceeded) << join(m.defects);
  EXPECT_FALSE(m.needs_person);
  limits.max_parts = 3;
  const InboundMessage over = parse(raw, limits);
  EXPECT_TRUE(over.limit_exceeded);
  EXPECT_TRUE(over.needs_person);
  EXPECT_EQ(over.needs_person_reason, "more than 3 MIME parts; the rest ignored");
}

TEST(Limits, OrdinaryDefectsDoNotNeedAPerson) {
  const InboundMessage m = parse("From: a@example.test\nContent-Type: text/plain; charset=x-unknown\n\nhi\n");
  EXPECT_FALSE(m.defects.empty());
  EXPECT_FALSE(m.needs_person);
  EXPECT_FALSE(m.limit_exceeded);
  const InboundMessage empty = parse("");
  EXPECT_TRUE(empty.needs_person);
  EXPECT_EQ(empty.needs_person_reason, "empty message");
}

TEST(Limits, LargeAttachmentIsSizedNotRead) {
  // 30 MB of base64 over the default 25 MB limit: headers only, quickly.
  std::string raw = "From: a@example.test\nSubject: huge\n\n";
  raw.append(30u * 1024u * 1024u, 'A');
  const auto start = std::chrono::steady_clock::now();
  const InboundMessage m = parse(raw);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(m.subject, "huge");
  EXPECT_TRUE(has_defect(m.defects, "only the headers were read"));
}

TEST(Limits, ManyEncodedWordsAndLongHeadersStayFast) {
  std::string raw = "From: a@example.test\nSubject:";
  for (int i = 0; i < 100'000; ++i) raw += " =?utf-8?q?x?=\n";
  raw += "References:";
  for (int i = 0; i < 100'000; ++i) raw += " <" + std::to_string(i) + "@x>\n";
  raw += "\nbody\n";
  const auto start = std::chrono::steady_clock::now();
  const InboundMessage m = parse(raw);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(m.subject, std::string(100'000, 'x'));
  EXPECT_EQ(m.references.size(), 100'000u);
}

TEST(Limits, TruncatedInputNeverThrows) {
  // Every prefix of a structured message is a plausible broken delivery.
  const std::string raw = testing::fixture("attachments_rfc2231.eml");
  for (std::size_t n = 0; n <= raw.size(); ++n) {
    EXPECT_NO_THROW((void)parse(std::string_view(raw).substr(0, n))) << n;
  }
}

TEST(FuzzRegressions, EveryEarlierCrashParses) {
  // tests/fixtures/parser/fuzz/: inputs the fuzzer once broke us with (README.md there).
  const auto dir = std::filesystem::path(COMPLAINTD_FIXTURES) / "parser" / "fuzz";
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename() == "README.md") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string raw = testing::read_file(entry.path());
    ParseLimits small;  // the fuzzer's limits, then the defaults
    small.max_message_bytes = 1u << 20;
    small.max_depth = 16;
    small.max_parts = 64;
    for (const auto& limits : {small, ParseLimits{}}) {
      InboundMessage m;
      ASSERT_NO_THROW(m = parse(raw, limits));
      EXPECT_TRUE(is_valid_utf8(m.text));
      EXPECT_EQ(m.text.find('\r'), std::string::npos);
    }
    ++count;
  }
  RecordProperty("regressions", static_cast<int>(count));
}

}  // namespace
}  // namespace complaintd::parser
