// The streaming HTML reader against gumbo: wherever the fast reader answers, its text must
// be gumbo's text, byte for byte. Checked on a catalogue of the constructs the HTML Standard
// treats specially, on generated tag soup, and on every HTML part of the fixtures and of the
// shared corpus. The fast reader must also really answer for the HTML mail is made of, or
// the speed-up is lost without any test failing.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "parser/charset.hpp"
#include "parser/html_render.hpp"
#include "parser/mime_params.hpp"
#include "parser/mime_tree.hpp"
#include "parser/text_util.hpp"
#include "parser/transfer_encoding.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

namespace fs = std::filesystem;

// nullopt when the fast reader declined; otherwise its text, which must equal gumbo's.
std::optional<std::string> agreed(const std::string& html) {
  const auto fast = html::fast_text(html);
  if (fast) {
    EXPECT_EQ(*fast, html::gumbo_text(html)) << "HTML: " << html;
  }
  return fast;
}

// Plain mail HTML: the fast reader must answer (and agree).
const char* const kHandled[] = {
    "<p>one</p><p>two</p>",
    "line<br>break<br/>again",
    "<div>a</div><div>b</div>",
    "  lots   of\n\n  space  ",
    "<script>var x = '</p>';</script><style>b{}</style>shown",
    "<head><title>t &amp; t</title><meta charset=\"utf-8\"></head><body>body</body>",
    "<html><head><style>p{margin:0}</style></head><body><div><p>text <a href=\"https://example.test/1\">link</a><br>"
    "more.</p></div>\n<table><tr><td>Ref</td><td>4</td></tr></table></body></html>\n",
    "<a href=\"https://x.test/a\">link</a>",
    "<a href='https://x.test/?a=1&amp;b=2&c=3'>query</a>",
    "<a href=https://x.test/u>unquoted</a> after",
    "<a HREF=\"mailto:a@x.test\">a@x.test</a>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a name=\"top\">anchor</a> <a href=\"https://x.test/\" href=\"https://y.test/\">first wins</a>",
    "<a href href=\"https://y.test/\">a valueless href is the first</a> <a href= >empty</a>",  // found by html_fuzz
    "<ul><li>one<li>two</ul><ol><li><p>para in item</p><li>next</li></ol>",
    "<ul><li>one<div>in a div<li>two</ul>",
    "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
    "<table>\n  <tbody>\n    <tr>\n      <th>h</th>\n      <td>x<td>y\n    <tr><td>z\n  </tbody>\n</table>after",
    "<table><td>implied row</td></table>",
    "<table><tr><td><table><tr><td>nested</td></tr></table>outer</td></tr></table>",
    "<table><tr><td><p>cell para<div>and div</td></tr></table>",
    "<table><tr><td><b>bold in a cell</td><td>next</td></tr></table>",
    "&lt;tag&gt; &amp; &quot;q&quot; &euro;5 caf&eacute; &#39;x&#39; &#x2019; &copy;&nbsp;2024",
    "a&nbsp;b &nbsp;&nbsp; c",
    "a & b && c &; &",
    "&xyz is not an entity",
    "<p>unclosed <b>bold <i>both</i></b></p>after",
    "<p>one<p>two<div>three</div>four</p>",
    "</p>stray end tags</div></span></b>",
    "<h1>title</h1><h2>sub<h3>implied</h3>",
    "<h1>heading</h2> closed by another",
    "<blockquote><p>quoted</p></blockquote><hr><center>centred</center>",
    "<!DOCTYPE html><!-- comment --><p>after <!-- another --> comments</p>",
    "<!--[if mso]><p>outlook only</p><![endif]--><p>for everyone</p>",
    "<![if !mso]><p>downlevel revealed</p><![endif]>",
    "<?xml version=\"1.0\"?><p>xml prolog</p>",
    "<p class=MsoNormal>Outlook<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>",
    "<span style=\"font-size:11pt\">a <font color=red>red</font> word</span>",
    "<p>x < y and y > z</p><p>a <3 b</p>",
    "<div/>self-closing div<br/>",
    "<body><p>first</p></body></html>\n<p>after the end</p>",
    "text before <html><head></head><body>and inside</body>",
    "<p title='a > b'>gt in attribute</p>",
    "<img src=\"x.png\" alt=\"alt text\">image<wbr>break",
    "<p>caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80</p>",
    "",
};

TEST(HtmlFast, AnswersForPlainMailHtmlAndAgreesWithGumbo) {
  for (const char* html : kHandled) {
    EXPECT_TRUE(agreed(html).has_value()) << "declined: " << html;
  }
}

// What the tree builder does that a stack cannot, and input gumbo decodes its own way: the
// fast reader must decline (or, where it answers, agree).
const char* const kDeclined[] = {
    "<p><b>bold</p>continues bold",                      // formatting element reconstructed
    "<b>1<p>2</b>3</p>",                                  // adoption agency
    "<a href=\"https://a.test/\">one<a href=\"https://b.test/\">two</a>",  // nested links
    "<table>text outside cells<tr><td>x</td></tr></table>",  // foster parenting
    "<table><tr>&nbsp;<td>x</td></tr></table>",           // non-space text in a row
    "<p><table><tr><td>quirks</td></tr></table>",         // doctype decides
    "<pre>\nfirst newline</pre>",                         // <pre> drops it
    "<form><input></form>",                               // forms
    "<svg><title>t</title></svg>after",                   // foreign content
    "<math><mi>x</mi></math>",
    "<select><option>a</select>",
    "<textarea>x</textarea>",
    "<noscript><p>x</p></noscript>",
    "<dl><dt>term<dd>definition</dl>",
    "&hellip &unknownentity; &#0; &#x80; &#xD800;",
    "&notit; &amp &copyright",                             // legacy prefix decoding
    "&xyz;",                                               // not in the reader's table
    "<a href=\"https://x.test/?a&copy=1&reg\">legacy in attributes</a>",
    "<script><!-- document.write('</script>') --></script>after",
    "<!-->abrupt comment<p>x",
    "<!--unterminated comment",
    "<p unterminated=\"attribute",
    "</ not a tag>",
    "a\rb",
    "\xEF\xBB\xBF<p>BOM</p>",
    "caf\xE9 latin-1",
    "nul\x01control",
    "\x0c" "form feed before the body",  // found by html_fuzz
    // gumbo loses the attribute after a duplicate; found by html_fuzz
    "<a en en href=\"https://x.test/\">first</a>",
    "<a href=\"https:/`/x/\" en en href=\"https://y.test/\">first</a>",
};

TEST(HtmlFast, DeclinesOrAgreesOnWhatATreeIsNeededFor) {
  for (const char* html : kDeclined) agreed(html);
  EXPECT_FALSE(html::fast_text("<p><b>bold</p>continues bold").has_value());
  EXPECT_FALSE(html::fast_text("<a id=1 id=2 href=\"https://x.test/\">x</a>").has_value());
  EXPECT_FALSE(html::fast_text("<table>text<tr><td>x</td></tr></table>").has_value());
  EXPECT_FALSE(html::fast_text("&unknownentity;").has_value());
}

// Tag soup from the pieces above, deterministic: every document the fast reader accepts
// must read as gumbo reads it.
TEST(HtmlFast, AgreesWithGumboOnGeneratedTagSoup) {
  const char* const pieces[] = {
      "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<i>", "</i>", "<font size=2>", "</font>", "<span>",
      "</span>", "<a href=\"https://x.test/\">", "<a href=\"mailto:m@x.test\">", "</a>", "<br>", "<hr>",
      "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>", "<h1>", "</h1>", "<h2>", "</h2>", "<blockquote>",
      "</blockquote>", "<table>", "</table>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>",
      "</th>", "<o:p>", "</o:p>", "<center>", "</center>", "<style>s{}</style>", "<title>t</title>",
      "<!-- c -->", "<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<meta x=y>", "<img src=i>",
      "word ", "other words", " ", "\n", "\t", "  ", "&amp;", "&nbsp;", "&lt;b&gt;", "&#8217;", "x&y", "https://x.test/",
      "m@x.test", "caf\xC3\xA9", "- ", "<p/>", "<sup>", "</sup>", "<strong>", "</strong>", "<u>", "</u>"};
  constexpr std::size_t kCount = sizeof pieces / sizeof pieces[0];
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  int answered = 0;
  constexpr int kDocs = 4000;
  for (int d = 0; d < kDocs; ++d) {
    std::string html;
    const std::size_t n = 1 + next() % 24;
    for (std::size_t k = 0; k < n; ++k) html += pieces[next() % kCount];
    if (agreed(html)) ++answered;
    if (::testing::Test::HasFailure()) return;  // one document to look at is enough
  }
  // Most soup is misnested somewhere; a good share must still be read without gumbo.
  EXPECT_GT(answered, kDocs / 10);
}

std::vector<std::string> html_parts(const fs::path& file) {
  const std::string raw = testing::read_file(file);
  std::vector<std::string> sink;
  Defects defects(sink);
  const MimeTree tree = build_mime_tree(raw, ParseLimits{}, defects, false);
  std::vector<std::string> out;
  for (const Entity& e : tree.entities) {
    if (e.type.type != "text" || e.type.subtype != "html") continue;
    const HeaderField* cte = e.headers.find("Content-Transfer-Encoding");
    const std::string bytes =
        cte == nullptr ? std::string(e.body) : decode_transfer(e.body, transfer_encoding_from(cte->value));
    const std::string charset = param_value(e.content_type, "charset").value_or("");
    out.push_back(normalize_newlines(charset_to_utf8(bytes, charset, defects, "html")));
  }
  return out;
}

std::vector<fs::path> eml_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".eml") files.push_back(e.path());
  }
  return files;
}

TEST(HtmlFast, AgreesWithGumboOnEveryHtmlPartOfTheFixturesAndTheCorpus) {
  std::vector<fs::path> files = eml_files(fs::path(COMPLAINTD_FIXTURES));
  const char* env = std::getenv("COMPLAINTD_CORPUS_DIR");
  const fs::path corpus = env != nullptr && *env != '\0' ? fs::path(env) : fs::path(COMPLAINTD_CORPUS);
  const auto third_party = eml_files(corpus);
  files.insert(files.end(), third_party.begin(), third_party.end());
  int parts = 0;
  int answered = 0;
  for (const auto& f : files) {
    for (const auto& html : html_parts(f)) {
      ++parts;
      SCOPED_TRACE(f.string());
      if (agreed(html)) ++answered;
    }
  }
  std::cout << "HTML parts: " << parts << ", read without gumbo: " << answered << "\n";
  EXPECT_GT(parts, 0);
}

}  // namespace
}  // namespace complaintd::parser
