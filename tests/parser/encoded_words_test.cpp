// RFC 2047 encoded words and raw 8-bit header bytes, table-driven.

#include "parser/encoded_words.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

struct EncodedWordCase {
  std::string input;
  std::string expected;
  const char* defect = nullptr;  // substring of an expected defect
};

void PrintTo(const EncodedWordCase& c, std::ostream* os) { *os << c.input; }

class EncodedWordTest : public ::testing::TestWithParam<EncodedWordCase> {};

TEST_P(EncodedWordTest, Decodes) {
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(decode_header_text(GetParam().input, defects, "Subject"), GetParam().expected);
  if (GetParam().defect) {
    EXPECT_TRUE(testing::has_defect(sink, GetParam().defect)) << testing::join(sink);
  } else {
    EXPECT_TRUE(sink.empty()) << testing::join(sink);
  }
}

const EncodedWordCase kCases[] = {
    {"plain text", "plain text"},
    {"=?utf-8?q?caf=C3=A9?=", "café"},
    {"=?UTF-8?Q?caf=c3=a9_cr=C3=A8me?=", "café crème"},  // lower-case hex, '_' is a space
    {"=?utf-8?b?Y2Fmw6k=?=", "café"},
    {"=?utf-8?B?Y2Fmw6k?=", "café"},  // missing padding is tolerated
    {"=?iso-8859-1?q?caf=E9?=", "café"},
    {"=?windows-1252?q?=93hi=94?=", "“hi”"},
    {"=?koi8-r?b?8NLJ18XU?=", "Привет"},
    {"=?iso-2022-jp?B?GyRCJEYkOSRIGyhC?=", "てすと"},
    {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},                 // RFC 2047 §6.2: space dropped
    {"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},             // even across a fold
    {"=?utf-8?q?a_?= =?iso-8859-1?q?=E9?=", "a é"},        // different charsets, still adjacent
    {"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},            // text between: spaces kept
    {"=?utf-8?q?=E2=82?= =?utf-8?q?=AC?=", "€"},           // a character split across words
    {"Re: =?utf-8?q?caf=C3=A9?=!", "Re: café!"},
    {"x=?utf-8?q?caf=C3=A9?=y", "xcaféy"},                 // glued to text: decoded anyway
    {"=?utf-8*en?q?hello?=", "hello"},                     // RFC 2231 language suffix
    {"=?utf-8?x?bad?=", "=?utf-8?x?bad?=", "malformed encoded word"},
    {"=?utf-8?b?!!!!?=", "=?utf-8?b?!!!!?=", "malformed encoded word"},
    {"=?utf-8?q?no end", "=?utf-8?q?no end"},
    {"=??q?empty charset?=", "=??q?empty charset?=", "malformed encoded word"},
    {"=?utf-8?q?" "?=", ""},  // (split: "??=" is a trigraph)
    {"What =? is this", "What =? is this"},
    {"=?x-unknown-cs?q?caf=E9?=", "café", "unknown charset 'x-unknown-cs'"},
    {"=?utf-8?q?bad=FF?=", "bad\xEF\xBF\xBD", "replaced with U+FFFD"},
    {"Beschwerde \xC3\xBC" "ber M\xC3\xBCll", "Beschwerde über Müll"},  // raw UTF-8 kept
    {"Beschwerde \xFC" "ber M\xFC" "ll", "Beschwerde über Müll", "decoded as windows-1252"},
};

INSTANTIATE_TEST_SUITE_P(Rfc2047, EncodedWordTest, ::testing::ValuesIn(kCases));

TEST(EncodedWords, RawBytesUseTheMessageCharsetWhenGiven) {
  std::vector<std::string> sink;
  Defects defects(sink);
  // "Жалоба" in koi8-r, sent raw in a header of a message declared koi8-r.
  EXPECT_EQ(header_bytes_to_utf8("\xF6\xC1\xCC\xCF\xC2\xC1", defects, "Subject", "koi8-r"), "Жалоба");
  EXPECT_TRUE(testing::has_defect(sink, "decoded as koi8-r"));
}

TEST(EncodedWords, LinearOnHostileInput) {
  std::vector<std::string> sink;
  Defects defects(sink);
  std::string s;
  for (int i = 0; i < 200'000; ++i) s += "=?";
  s += "?=";
  EXPECT_NO_THROW(decode_header_text(s, defects, "Subject"));
  std::string words;
  for (int i = 0; i < 100'000; ++i) words += "=?utf-8?q?a?= ";
  EXPECT_EQ(decode_header_text(words, defects, "Subject"), std::string(100'000, 'a') + " ");
}

}  // namespace
}  // namespace complaintd::parser
