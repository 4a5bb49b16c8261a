// HTML → text with gumbo, and the linear fallback for hostile HTML.

#include "parser/html_text.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

struct HtmlCase {
  const char* html;
  const char* expected;
};

void PrintTo(const HtmlCase& c, std::ostream* os) { *os << c.html; }

class HtmlTextTest : public ::testing::TestWithParam<HtmlCase> {};

TEST_P(HtmlTextTest, Converts) {
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(html_to_text(GetParam().html, defects), GetParam().expected);
  EXPECT_TRUE(sink.empty()) << testing::join(sink);
}

const HtmlCase kCases[] = {
    {"<p>one</p><p>two</p>", "one\n\ntwo"},
    {"line<br>break<br/>again", "line\nbreak\nagain"},
    {"<div>a</div><div>b</div>", "a\nb"},
    {"  lots   of\n\n  space  ", "lots of space"},
    {"<pre>  keep\n    this</pre>", "  keep\n    this"},
    {"<script>var x = 1;</script><style>b{}</style>shown", "shown"},
    {"<head><title>t</title></head><body>body</body>", "body"},
    {"<a href=\"https://x.test/a\">link</a>", "link (https://x.test/a)"},
    {"<a href=\"https://x.test/\">https://x.test/</a>", "https://x.test/"},
    {"<a href=\"mailto:a@x.test\">a@x.test</a>", "a@x.test"},
    {"<a href=\"javascript:alert(1)\">click</a>", "click"},
    {"<a href=\"https://x.test/\"><img src=\"logo.png\"></a>", ""},
    {"<ul><li>one<li>two</ul>", "- one\n- two"},
    {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\nc d"},
    {"&lt;tag&gt; &amp; &quot;q&quot; &euro;5 caf&eacute;", "<tag> & \"q\" €5 café"},
    {"a&nbsp;b", "a b"},
    {"<p>unclosed <b>bold <i>both</p>after", "unclosed bold both\n\nafter"},
    {"", ""},
};

INSTANTIATE_TEST_SUITE_P(Gumbo, HtmlTextTest, ::testing::ValuesIn(kCases));

TEST(HtmlText, DeepNestingFallsBackToTheLinearStripper) {
  // gumbo needs ~20 s for 100 000 nested <div>s; the stripper takes milliseconds.
  std::string html;
  for (int i = 0; i < 100'000; ++i) html += "<div>";
  html += "deep text";
  std::vector<std::string> sink;
  Defects defects(sink);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(html_to_text(html, defects), "deep text");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(testing::has_defect(sink, "nested too deeply"));
}

TEST(HtmlText, HugeHtmlFallsBackToTheLinearStripper) {
  std::string html;
  while (html.size() < 5u * 1024u * 1024u) html += "<p>para<script>x()</script> &amp; more</p>";
  std::vector<std::string> sink;
  Defects defects(sink);
  const std::string text = html_to_text(html, defects);
  EXPECT_EQ(text.substr(0, 21), "para & more\n\npara & m");
  EXPECT_EQ(text.find("x()"), std::string::npos);
  EXPECT_TRUE(testing::has_defect(sink, "too large"));
}

TEST(HtmlText, StripperKeepsLoneAngleBrackets) {
  std::string html(5u * 1024u * 1024u, ' ');
  html += "a < b and c > d";
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(html_to_text(html, defects), "a < b and c > d");
}

TEST(HtmlText, SniffsMetaCharset) {
  EXPECT_EQ(sniff_html_charset("<html><head><meta charset=\"ISO-8859-2\"></head>"), "iso-8859-2");
  EXPECT_EQ(sniff_html_charset("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">"),
            "koi8-r");
  EXPECT_EQ(sniff_html_charset("<p>no meta</p>"), "");
}

}  // namespace
}  // namespace complaintd::parser
