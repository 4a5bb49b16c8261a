// Content-Type / Content-Disposition parameters, RFC 2045 §5.1 and RFC 2231.

#include "parser/mime_params.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

TEST(MimeParams, TokenAndParameters) {
  const HeaderValue v = parse_header_value("Text/Plain; Charset=\"UTF-8\"; format=flowed");
  EXPECT_EQ(v.token, "text/plain");
  EXPECT_EQ(raw_param(v, "charset").value_or(""), "UTF-8");
  EXPECT_EQ(raw_param(v, "format").value_or(""), "flowed");
  EXPECT_FALSE(raw_param(v, "delsp").has_value());
}

TEST(MimeParams, ToleratesSloppySyntax) {
  EXPECT_EQ(raw_param(parse_header_value("text/plain charset=utf-8"), "charset").value_or(""), "utf-8");
  EXPECT_EQ(raw_param(parse_header_value("text/plain; charset = utf-8 "), "charset").value_or(""), "utf-8");
  EXPECT_EQ(raw_param(parse_header_value("text/plain; charset=us-ascii (Plain text)"), "charset").value_or(""),
            "us-ascii");
  EXPECT_EQ(raw_param(parse_header_value("attachment; filename=report (1).pdf"), "filename").value_or(""),
            "report (1).pdf");
  EXPECT_EQ(raw_param(parse_header_value("attachment; filename=\"unterminated.pdf"), "filename").value_or(""),
            "unterminated.pdf");
  EXPECT_EQ(raw_param(parse_header_value("multipart/mixed; boundary=\"a;b\\\"c\""), "boundary").value_or(""),
            "a;b\"c");
  EXPECT_EQ(parse_header_value("text / html").token, "text/html");
  EXPECT_EQ(parse_header_value("(comment) text/html").token, "text/html");
  EXPECT_EQ(parse_header_value("").token, "");
  const HeaderValue no_type = parse_header_value("charset=utf-8");
  EXPECT_EQ(no_type.token, "");
  EXPECT_EQ(raw_param(no_type, "charset").value_or(""), "utf-8");
}

struct FilenameCase {
  const char* disposition;
  const char* expected;
};

void PrintTo(const FilenameCase& c, std::ostream* os) { *os << c.disposition; }

class FilenameTest : public ::testing::TestWithParam<FilenameCase> {};

TEST_P(FilenameTest, Decodes) {
  std::vector<std::string> sink;
  Defects defects(sink);
  const auto name = text_param(parse_header_value(GetParam().disposition), "filename", defects);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, GetParam().expected);
}

const FilenameCase kFilenames[] = {
    {"attachment; filename=plain.pdf", "plain.pdf"},
    {"attachment; filename=\"quoted name.pdf\"", "quoted name.pdf"},
    {"attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"},
    {"attachment; filename*=iso-8859-1'en'caf%E9.txt", "café.txt"},
    {"attachment; filename*0=\"long \"; filename*1=\"name.txt\"", "long name.txt"},
    {"attachment; filename*1=\"name.txt\"; filename*0=\"long \"", "long name.txt"},  // any order
    {"attachment; filename*0*=utf-8''%C3%A9l%C3%A8ve; filename*1=\" list.txt\"", "élève list.txt"},
    {"attachment; filename=\"=?utf-8?B?w6lsw6h2ZS50eHQ=?=\"", "élève.txt"},
    {"attachment; filename=\"Gr\xC3\xBC\xC3\x9F" "e.txt\"", "Grüße.txt"},       // raw UTF-8
    {"attachment; filename=plain.pdf; filename*=utf-8''better.pdf", "better.pdf"},  // * wins
    {"attachment; filename*=%41.txt", "A.txt"},  // no charset quotes: still percent-decoded
};

INSTANTIATE_TEST_SUITE_P(Rfc2231, FilenameTest, ::testing::ValuesIn(kFilenames));

TEST(MimeParams, MediaType) {
  const auto t = parse_media_type("Multipart/Mixed");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->mime(), "multipart/mixed");
  EXPECT_FALSE(parse_media_type("text").has_value());
  EXPECT_FALSE(parse_media_type("/plain").has_value());
  EXPECT_FALSE(parse_media_type("<html>").has_value());
}

TEST(MimeParams, LinearOnNestedParentheses) {
  std::string v = "attachment; filename=";
  v += std::string(200'000, '(') + std::string(200'000, ')') + "x";
  EXPECT_NO_THROW(parse_header_value(v));
}

}  // namespace
}  // namespace complaintd::parser
