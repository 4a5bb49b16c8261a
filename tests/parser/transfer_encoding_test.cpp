// Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8).

#include "parser/transfer_encoding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace complaintd::parser {
namespace {

struct DecodeCase {
  std::string input;
  std::string expected;
  bool malformed = false;
};

void PrintTo(const DecodeCase& c, std::ostream* os) { *os << c.input; }

class Base64Test : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(Base64Test, Decodes) {
  bool malformed = false;
  EXPECT_EQ(decode_base64(GetParam().input, &malformed), GetParam().expected);
  EXPECT_EQ(malformed, GetParam().malformed);
}

const DecodeCase kBase64[] = {
    {"aGVsbG8gd29ybGQ=", "hello world"},
    {"aGVsbG8g\r\nd29y\nbGQ=", "hello world"},
    {"aGVsbG8gd29ybGQ", "hello world"},         // padding missing
    {"aGk=aGk=", "hihi"},                       // concatenated encodings
    {"aGVs*bG8=", "hello", true},               // junk skipped, reported
    {"aGVsbG8=a", "hello", true},               // a lone trailing sextet
    {"", ""},
    {"====", ""},
    {"\x80\xFF", "", true},
};

INSTANTIATE_TEST_SUITE_P(Rfc2045, Base64Test, ::testing::ValuesIn(kBase64));

class QuotedPrintableTest : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(QuotedPrintableTest, Decodes) {
  bool malformed = false;
  EXPECT_EQ(decode_quoted_printable(GetParam().input, &malformed), GetParam().expected);
  EXPECT_EQ(malformed, GetParam().malformed);
}

const DecodeCase kQuotedPrintable[] = {
    {"caf=C3=A9", "caf\xC3\xA9"},
    {"caf=c3=a9", "caf\xC3\xA9"},              // lower-case hex is tolerated
    {"soft=\nbreak", "softbreak"},
    {"soft=\r\nbreak", "softbreak"},
    {"soft= \t\nbreak", "softbreak"},          // whitespace after the '=' (transport padding)
    {"trailing   \nline", "trailing\nline"},   // rule 3: trailing whitespace removed
    {"crlf\r\nkept", "crlf\r\nkept"},
    {"a = b", "a = b", true},
    {"end=", "end"},
    {"=4", "=4", true},
    {"=ZZ", "=ZZ", true},
    {"a=3D=3Db", "a==b"},
};

INSTANTIATE_TEST_SUITE_P(Rfc2045, QuotedPrintableTest, ::testing::ValuesIn(kQuotedPrintable));

TEST(TransferEncoding, Names) {
  EXPECT_EQ(transfer_encoding_from("Base64"), TransferEncoding::kBase64);
  EXPECT_EQ(transfer_encoding_from(" quoted-printable "), TransferEncoding::kQuotedPrintable);
  EXPECT_EQ(transfer_encoding_from("7BIT"), TransferEncoding::kIdentity);
  EXPECT_EQ(transfer_encoding_from("binary"), TransferEncoding::kIdentity);
  EXPECT_EQ(transfer_encoding_from(""), TransferEncoding::kIdentity);
  EXPECT_EQ(transfer_encoding_from("x-uuencode"), TransferEncoding::kUnknown);
}

TEST(TransferEncoding, QEncoding) {
  EXPECT_EQ(decode_q_encoding("a_b=3Dc=E9"), "a b=c\xE9");
  EXPECT_EQ(decode_q_encoding("=Z"), "=Z");
}

}  // namespace
}  // namespace complaintd::parser
