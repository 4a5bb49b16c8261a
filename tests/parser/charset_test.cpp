// Charset → UTF-8 through ICU, with the label mapping mail needs.

#include "parser/charset.hpp"

#include <unicode/unistr.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

struct CharsetCase {
  const char* label;
  std::string bytes;
  std::string expected;
  const char* defect = nullptr;
};

void PrintTo(const CharsetCase& c, std::ostream* os) { *os << c.label; }

class CharsetTest : public ::testing::TestWithParam<CharsetCase> {};

TEST_P(CharsetTest, DecodesToUtf8) {
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(charset_to_utf8(GetParam().bytes, GetParam().label, defects), GetParam().expected);
  if (GetParam().defect) {
    EXPECT_TRUE(testing::has_defect(sink, GetParam().defect)) << testing::join(sink);
  } else {
    EXPECT_TRUE(sink.empty()) << testing::join(sink);
  }
}

const CharsetCase kCases[] = {
    {"utf-8", "caf\xC3\xA9", "café"},
    {"UTF8", "caf\xC3\xA9", "café"},
    {"\"utf-8\"", "caf\xC3\xA9", "café"},
    {"utf-8", "caf\xE9", "caf\xEF\xBF\xBD", "replaced with U+FFFD"},
    {"iso-8859-1", "caf\xE9 \x80", "café €"},  // read as windows-1252 (WHATWG)
    {"latin1", "\x93x\x94", "“x”"},
    {"us-ascii", "caf\xC3\xA9", "café"},       // mislabelled UTF-8 is kept
    {"us-ascii", "caf\xE9", "café"},           // else windows-1252
    {"windows-1252", "\x80\x81", "€\xC2\x81"},  // a hole maps to its C1 control
    {"iso-8859-15", "\xA4", "€"},
    {"iso-8859-2", "\xB1", "ą"},
    {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4", "Привет"},
    {"windows-1251", "\xCF\xF0\xE8\xE2\xE5\xF2", "Привет"},
    {"gb2312", "\xD6\xD0\xCE\xC4", "中文"},
    {"big5", "\xA4\xA4\xA4\xE5", "中文"},
    {"shift_jis", "\x82\xA0", "あ"},
    {"euc-kr", "\xC7\xD1", "한"},
    {"utf-16le", std::string("h\0i\0", 4), "hi"},
    {"utf-8*en", "ok", "ok"},
    {"", "Gr\xC3\xBC\xC3\x9F" "e", "Grüße"},
    {"", "Gr\xFC\xDF" "e", "Grüße", "undeclared 8-bit text decoded as windows-1252"},
    {"unknown-8bit", "caf\xC3\xA9", "café"},
    {"x-foo", "caf\xE9", "café", "unknown charset 'x-foo', decoded as windows-1252"},
    {"x-foo", "caf\xC3\xA9", "café", "unknown charset 'x-foo', decoded as UTF-8"},
    // Labels that could make ICU load a file or parse options never reach it.
    {"../../etc/passwd", "abc", "abc", "unknown charset"},
    {"utf-8,swaplfnl", "abc", "abc", "unknown charset"},
    {"charset=us-ascii", "abc", "abc"},
};

INSTANTIATE_TEST_SUITE_P(Labels, CharsetTest, ::testing::ValuesIn(kCases));

TEST(Charset, Windows1252CoversEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string out = windows1252_to_utf8(all);
  EXPECT_EQ(guess_to_utf8(out), out);  // the result is valid UTF-8
}

// `utf8` written in `charset`, as a mail client without a charset label would send it.
std::string encoded(const std::string& utf8, const char* charset) {
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(utf8);
  std::string out(utf8.size() * 4 + 16, '\0');
  out.resize(static_cast<std::size_t>(
      u.extract(0, u.length(), out.data(), static_cast<uint32_t>(out.size()), charset)));
  return out;
}

TEST(Charset, DetectsUndeclaredCharsetsOnlyWhenSure) {
  const std::string russian = "Здравствуйте, мусор не вывозили уже три недели.";
  EXPECT_EQ(detect_charset("plain ASCII text"), "");
  EXPECT_EQ(detect_charset("Grüße aus Köln"), "");                // UTF-8 is not guessed at
  EXPECT_EQ(detect_charset(encoded("café", "windows-1252")), "");  // too little to go on
  EXPECT_EQ(detect_charset(encoded("Bonjour, je suis très déçu : le service n'a pas été rendu à temps.",
                                   "windows-1252")),
            "");  // Western text stays windows-1252
  // A few accents and a euro sign look Romanian to letter statistics (windows-1250, 94%).
  EXPECT_EQ(detect_charset(encoded("Ça coûte 5 €, c'est trop", "windows-1252")), "");
  EXPECT_EQ(detect_charset(encoded(russian, "koi8-r")), "koi8-r");
  EXPECT_EQ(detect_charset(encoded(russian, "windows-1251")), "windows-1251");
  EXPECT_EQ(detect_charset(encoded("Καλησπέρα, τα σκουπίδια δεν έχουν μαζευτεί εδώ και τρεις εβδομάδες.",
                                   "iso-8859-7")),
            "iso-8859-7");
  EXPECT_EQ(detect_charset(encoded("垃圾已经三个星期没有收了。请尽快处理。", "gb18030")), "gb18030");
  EXPECT_EQ(detect_charset(encoded("Иван", "koi8-r")), "");  // a name is not enough for letter statistics
  // What it detects, charset_to_utf8 decodes, and says so.
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(charset_to_utf8(encoded(russian, "koi8-r"), "", defects, "a text/plain part"), russian);
  EXPECT_TRUE(testing::has_defect(sink, "undeclared charset in a text/plain part detected as koi8-r"))
      << testing::join(sink);
}

TEST(Charset, DefectTextIsPrintable) {
  std::vector<std::string> sink;
  Defects defects(sink);
  (void)charset_to_utf8("x", "bad\r\nInjected: yes", defects);
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink[0].find('\n'), std::string::npos);
  EXPECT_EQ(sink[0].find('\r'), std::string::npos);
}

}  // namespace
}  // namespace complaintd::parser
