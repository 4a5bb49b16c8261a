// Table-driven tests over the small .eml files in tests/fixtures/parser/, one per case.

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "parser/parse.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using testing::fixture;
using testing::has_defect;
using testing::join;

struct FixtureCase {
  const char* file;
  const char* subject = nullptr;       // exact, when set
  const char* from_address = nullptr;  // exact, when set
  const char* from_name = nullptr;     // exact, when set
  const char* text = nullptr;          // exact, when set
  std::vector<const char*> text_contains = {};
  std::vector<const char*> text_lacks = {};
  std::vector<const char*> defects = {};  // substrings that must each match a defect
  bool clean = false;                     // no defects at all
  const char* content_type = nullptr;
};

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

class FixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureTest, ParsesAsExpected) {
  const FixtureCase& c = GetParam();
  const InboundMessage m = parse(fixture(c.file));
  SCOPED_TRACE("defects: " + join(m.defects));
  if (c.subject) {
    EXPECT_EQ(m.subject, c.subject);
  }
  if (c.from_address) {
    ASSERT_TRUE(m.from.has_value());
    EXPECT_EQ(m.from->address, c.from_address);
  }
  if (c.from_name) {
    ASSERT_TRUE(m.from.has_value());
    EXPECT_EQ(m.from->name, c.from_name);
  }
  if (c.text) {
    EXPECT_EQ(m.text, c.text);
  }
  for (const char* s : c.text_contains) EXPECT_NE(m.text.find(s), std::string::npos) << "missing: " << s << "\nin: " << m.text;
  for (const char* s : c.text_lacks) EXPECT_EQ(m.text.find(s), std::string::npos) << "unexpected: " << s << "\nin: " << m.text;
  for (const char* d : c.defects) EXPECT_TRUE(has_defect(m.defects, d)) << "expected defect: " << d;
  if (c.clean) {
    EXPECT_TRUE(m.defects.empty());
  }
  if (c.content_type) {
    EXPECT_EQ(m.content_type, c.content_type);
  }
  EXPECT_EQ(m.text.find('\r'), std::string::npos) << "text must use LF line endings";
}

const FixtureCase kCases[] = {
    {.file = "plain_ascii.eml",
     .subject = "Bin not collected",
     .from_address = "alice@example.test",  // domain lower-cased, local part kept
     .from_name = "Alice Example",
     .text = "Dear council,\n\nMy bin was not collected on Monday.\n\nAlice",
     .clean = true,
     .content_type = "text/plain"},
    {.file = "encoded_subject_mixed.eml",
     // B and Q words in three charsets, whitespace between adjacent words dropped, a malformed
     // word left as written, and a UTF-8 character split across two words joined up.
     .subject = "Élève café Привет and =?utf-8?x?bad?= price €5",
     .defects = {"malformed encoded word left as written"}},
    {.file = "qp_body.eml",
     .text = "Café au lait. This line is soft wrapped.\nTrailing spaces\nEquals = sign, and a bare = sign.",
     .defects = {"malformed quoted-printable"}},
    {.file = "base64_body.eml", .text = "Grüße aus Köln.\nZweite Zeile: 10 € bitte.", .clean = true},
    {.file = "base64_malformed.eml",
     .text = "Grüße aus Köln.\nZweite Zeile: 10 € bitte.",
     .defects = {"malformed base64 in a text/plain part"}},
    // iso-8859-1 is read as windows-1252: 0x93/0x94 are curly quotes, 0x80 the euro sign.
    {.file = "latin1_body.eml", .text = "Café “quoted” costs € 10.", .clean = true},
    {.file = "windows1252_body.eml", .text = "‘single’ and more… naïve", .clean = true},
    {.file = "koi8r_body.eml", .text = "Привет, мир! Жалоба.", .clean = true},
    {.file = "undeclared_8bit_utf8.eml", .text = "Grüße aus Köln.", .clean = true},
    {.file = "undeclared_8bit_latin.eml",
     .text = "Grüße aus Köln.",
     .defects = {"undeclared 8-bit text in a text/plain part decoded as windows-1252"}},
    // Undeclared and not UTF-8: ICU's detector names the charset when it is sure ...
    {.file = "undeclared_koi8r.eml",
     .text = "Здравствуйте, мусор не вывозили уже три недели. Прошу разобраться.",
     .defects = {"undeclared charset in a text/plain part detected as koi8-r"}},
    {.file = "undeclared_shift_jis.eml",
     .text = "ごみが三週間回収されていません。至急対応してください。",
     .defects = {"undeclared charset in a text/plain part detected as shift_jis"}},
    {.file = "undeclared_iso2022jp.eml",  // 7-bit, but its escapes give it away
     .text = "ごみが三週間回収されていません。至急対応してください。",
     .defects = {"undeclared charset in a text/plain part detected as iso-2022-jp"}},
    {.file = "undeclared_latin2.eml",
     .text = "Szanowni Państwo, śmieci nie zostały odebrane od trzech tygodni. Proszę o pilną interwencję. "
             "Z poważaniem, Łukasz Wiśniewski",
     .defects = {"undeclared charset in a text/plain part detected as iso-8859-2"}},
    // ... and Western text stays windows-1252.
    {.file = "undeclared_german_1252.eml",
     .text = "Sehr geehrte Damen und Herren, die Müllabfuhr hat meine Tonne seit drei Wochen nicht geleert. "
             "Ich bin sehr enttäuscht – schon wieder.",
     .defects = {"undeclared 8-bit text in a text/plain part decoded as windows-1252"}},
    {.file = "unknown_charset.eml",
     .text = "naïve",
     .defects = {"unknown charset 'x-foo' in a text/plain part, decoded as windows-1252"}},
    {.file = "html_only.eml",
     .text = "Hello council,\n\nThe bin was not collected.\nSecond line.\n\n- One\n- Two\n\n"
             "See the photo (https://example.test/photo) and https://example.test/.\n\nRef 42",
     .text_lacks = {"Ignore me", "alert", "color"},
     .clean = true,
     .content_type = "text/html"},
    {.file = "alternative.eml",
     .text = "Plain version of the complaint.",
     .text_lacks = {"HTML version", "multi-part message"},
     .clean = true,
     .content_type = "multipart/alternative"},
    {.file = "alternative_html_preferred_when_plain_empty.eml", .text = "Only the HTML has words.", .clean = true},
    {.file = "missing_closing_boundary.eml",
     .text = "The message ends without a closing boundary.",
     .defects = {"missing closing MIME boundary"}},
    {.file = "no_start_boundary.eml",
     .text = "The boundary never appears, so this is just text.",
     .defects = {"no MIME boundary found in multipart/mixed body"},
     .content_type = "multipart/mixed"},
    {.file = "multipart_no_boundary_param.eml",
     .text = "Text of a multipart without a boundary.",
     .defects = {"multipart/alternative without a boundary parameter"}},
    {.file = "multipart_boundary_guessed.eml",  // the boundary parameter was lost in transit
     .text = "The original message could not be delivered.",
     .defects = {"took the boundary from the body"},
     .content_type = "multipart/report"},
    {.file = "flowed.eml",
     .text = "This paragraph was wrapped by the sender's client into several lines.\n"
             "> Quoted text that was wrapped too.\nFrom a space-stuffed line.\n-- \nAlice",
     .clean = true},
    {.file = "forwarded.eml",
     .text = "See my earlier complaint below.\n\nThe earlier complaint text.",
     .text_lacks = {"Attached message body"},
     .clean = true},
    {.file = "digest.eml", .text = "First digest message.\n\nSecond digest message.", .clean = true},
    {.file = "dsn.eml",
     .text_contains = {"could not\nbe delivered"},
     .text_lacks = {"ORIGINAL ACKNOWLEDGEMENT BODY", "Reporting-MTA"},
     .clean = true,
     .content_type = "multipart/report"},
    {.file = "headers_8bit.eml",
     .subject = "Beschwerde über Müll",  // raw UTF-8 is kept (RFC 6532)
     .from_address = "jose@example.test",
     .from_name = "José",  // raw Latin-1 is read as windows-1252
     .defects = {"8-bit bytes in the From header are not UTF-8; decoded as windows-1252"}},
    {.file = "line_endings_lf.eml",
     .subject = "line endings",
     .text = "First line of a long line that is soft broken.\nCafé",
     .clean = true},
    {.file = "line_endings_crlf.eml",
     .subject = "line endings",
     .text = "First line of a long line that is soft broken.\nCafé",
     .clean = true},
    {.file = "empty.eml", .text = "", .defects = {"empty message"}, .content_type = "text/plain"},
    {.file = "garbage.eml", .defects = {"no header fields found"}},
};

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<FixtureCase>& param_info) {
                           std::string name = param_info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(Fixtures, AttachmentsWithRfc2231AndEncodedWordNames) {
  const InboundMessage m = parse(fixture("attachments_rfc2231.eml"));
  EXPECT_EQ(m.text, "Please see the attached files.");
  ASSERT_EQ(m.attachments.size(), 4u) << join(m.defects);
  EXPECT_EQ(m.attachments[0].filename, "Beschwerde über Müll.pdf");  // filename*=UTF-8''...
  EXPECT_EQ(m.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(m.attachments[0].size, 13u);  // "%PDF-1.4 test", base64-decoded
  EXPECT_EQ(m.attachments[1].filename, "photo of bin.png");  // filename*0*= / filename*1=
  EXPECT_EQ(m.attachments[1].content_type, "image/png");
  EXPECT_EQ(m.attachments[1].size, 8u);
  EXPECT_EQ(m.attachments[2].filename, "élève.txt");  // name="=?utf-8?B?...?="
  EXPECT_EQ(m.attachments[2].content_type, "application/octet-stream");
  EXPECT_EQ(m.attachments[2].size, 5u);
  EXPECT_EQ(m.attachments[3].filename, "notes.txt");  // text/plain, but disposition attachment
  EXPECT_EQ(m.attachments[3].content_type, "text/plain");
  EXPECT_EQ(m.attachments[3].size, 5u);  // "café" in Latin-1 after quoted-printable
  EXPECT_TRUE(m.defects.empty()) << join(m.defects);
}

TEST(Fixtures, GroupsAndUnquotedCommaNames) {
  const InboundMessage m = parse(fixture("groups.eml"));
  ASSERT_TRUE(m.from.has_value());
  EXPECT_EQ(*m.from, (Address{"Smith, John", "John.Smith@example.com"}));
  EXPECT_TRUE(m.to.empty());  // "undisclosed-recipients:;" names nobody
  const std::vector<Address> cc = {{"Bob B.", "bob@example.test"},
                                   {"Carol C", "carol@example.test"},
                                   {"", "dave@example.test"}};
  EXPECT_EQ(m.cc, cc);
}

TEST(Fixtures, ReplyToSenderAndThreading) {
  const InboundMessage m = parse(fixture("reply_to.eml"));
  ASSERT_TRUE(m.from.has_value());
  EXPECT_EQ(*m.from, (Address{"Jörg", "jorg@example.test"}));
  ASSERT_TRUE(m.sender.has_value());
  EXPECT_EQ(*m.sender, (Address{"Help Desk", "helpdesk@example.test"}));
  const std::vector<Address> reply_to = {{"Jörg (home)", "jorg@home.example"},
                                         {"Office", "office@example.test"}};
  EXPECT_EQ(m.reply_to, reply_to);
  const std::vector<Address> to = {{"Complaints", "complaints@example.test"}, {"", "second@example.test"}};
  EXPECT_EQ(m.to, to);
  EXPECT_EQ(m.message_id, "rt@example.test");
  EXPECT_EQ(m.in_reply_to, "CMP-2026-000042.abc@council.example");
  const std::vector<std::string> refs = {"first@example.test", "CMP-2026-000042.abc@council.example"};
  EXPECT_EQ(m.references, refs);
  EXPECT_EQ(m.subject, "Re: [CMP-2026-000042] Your complaint");
}

TEST(Fixtures, MachineHeaders) {
  const InboundMessage m = parse(fixture("auto_reply.eml"));
  EXPECT_EQ(m.auto_submitted, "auto-replied");
  EXPECT_EQ(m.precedence, "bulk");
  EXPECT_EQ(m.list_id, "Complaints list <complaints.example.test>");
  ASSERT_TRUE(m.return_path.has_value());
  EXPECT_EQ(*m.return_path, "<>");
  using Header = std::pair<std::string, std::string>;
  const std::vector<Header> other = {{"X-Autoreply", "yes"}, {"X-Auto-Response-Suppress", "All"}};
  EXPECT_EQ(m.other_auto_headers, other);

  const InboundMessage plain = parse(fixture("plain_ascii.eml"));
  ASSERT_TRUE(plain.return_path.has_value());
  EXPECT_EQ(*plain.return_path, "<alice@example.test>");
  EXPECT_TRUE(plain.auto_submitted.empty());
  EXPECT_TRUE(plain.other_auto_headers.empty());
  EXPECT_FALSE(parse(fixture("groups.eml")).return_path.has_value());  // absent, not "<>"
}

TEST(Fixtures, BounceKeepsHumanPartOnly) {
  const InboundMessage m = parse(fixture("dsn.eml"));
  EXPECT_EQ(m.content_type, "multipart/report");
  ASSERT_TRUE(m.from.has_value());
  EXPECT_EQ(m.from->address, "MAILER-DAEMON@mx.example.test");
  EXPECT_EQ(m.auto_submitted, "auto-replied");
  EXPECT_EQ(m.return_path.value_or(""), "<>");
  EXPECT_TRUE(m.attachments.empty());  // delivery-status and the returned message are not files
}

TEST(Fixtures, ForwardedInlineIsReadAttachedIsListed) {
  const InboundMessage m = parse(fixture("forwarded.eml"));
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].filename, "old.eml");
  EXPECT_EQ(m.attachments[0].content_type, "message/rfc822");
}

TEST(Fixtures, CrlfAndLfParseTheSame) {
  const InboundMessage lf = parse(fixture("line_endings_lf.eml"));
  const InboundMessage crlf = parse(fixture("line_endings_crlf.eml"));
  EXPECT_EQ(lf.subject, crlf.subject);
  EXPECT_EQ(lf.subject, "line endings");  // folded header unfolded, CRLF gone
  EXPECT_EQ(lf.from, crlf.from);
  EXPECT_EQ(lf.to, crlf.to);
  EXPECT_EQ(lf.text, crlf.text);
  ASSERT_EQ(lf.attachments.size(), 1u);
  ASSERT_EQ(crlf.attachments.size(), 1u);
  EXPECT_EQ(lf.attachments[0].filename, "a.pdf");
  EXPECT_EQ(lf.attachments[0].size, 13u);
  EXPECT_EQ(crlf.attachments[0].size, 13u);
}

TEST(Fixtures, GarbageNeverThrowsAndYieldsSomething) {
  const std::string raw = fixture("garbage.eml");
  InboundMessage m;
  EXPECT_NO_THROW(m = parse(raw));
  EXPECT_FALSE(m.defects.empty());
  EXPECT_FALSE(m.from.has_value());
}

}  // namespace
}  // namespace complaintd::parser
