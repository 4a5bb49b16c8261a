// Nothing a customer writes reaches a header of ours as anything but the value it was put
// in: CR, LF, NUL, header-like text and encoded words that decode to them, in the subject
// and the From display name, from the customer's message (parsed by our parser, as the
// daemon does) through a letter (to_mime) and back through our parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "outbound/letter.hpp"
#include "parser/parse.hpp"

namespace complaintd::outbound {
namespace {

const std::vector<std::string> kOurHeaders{"From",        "To",         "Reply-To",       "Subject",
                                           "Date",        "Message-ID", "In-Reply-To",    "References",
                                           "Auto-Submitted", "X-Auto-Response-Suppress", "MIME-Version",
                                           "Content-Type", "Content-Transfer-Encoding"};

std::string header_block(const std::string& mime) { return mime.substr(0, mime.find("\r\n\r\n") + 2); }

// Header fields (unfolded) of a message: name → value.
std::vector<std::pair<std::string, std::string>> fields(const std::string& mime) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string head = header_block(mime);
  std::size_t pos = 0;
  while (pos < head.size()) {
    const auto end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, end - pos);
    pos = end + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += line;
    } else {
      const auto colon = line.find(':');
      out.emplace_back(line.substr(0, colon), colon == std::string::npos ? "" : line.substr(colon + 1));
    }
  }
  return out;
}

// What a letter to the customer of `msg` looks like, built as daemon/case_actions.cpp does.
Letter letter_for(const parser::InboundMessage& msg) {
  Letter l;
  l.from_name = "Council Complaints";
  l.from_address = "complaints@example.test";
  l.to_name = msg.from ? msg.from->name : "";
  l.to_address = "eve@example.test";
  l.subject = tagged_subject("CMP-2026-000001", msg.subject);
  l.message_id = "cmp-2026-000001.acknowledgement.1@example.test";
  l.in_reply_to = msg.message_id;
  l.references = {msg.message_id};
  l.date_unix = 1795428000;
  l.body = "Subject: " + msg.subject + "\nFrom: " + (msg.from ? msg.from->name : "") + "\n";
  return l;
}

// Every rule a header block of ours keeps, whatever went in.
void expect_clean(const std::string& mime, const std::string& what) {
  SCOPED_TRACE(what);
  const std::string head = header_block(mime);
  for (std::size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    ASSERT_NE(c, 0) << "NUL at " << i;
    ASSERT_LT(c, 0x80) << "8-bit byte in a header at " << i;
    if (c == '\n') {
      ASSERT_TRUE(i > 0 && head[i - 1] == '\r') << "bare LF at " << i;
    }
    if (c == '\r') {
      ASSERT_TRUE(i + 1 < head.size() && head[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  // Lines of at most 78 characters (RFC 5322 §2.1.1), so no relay folds or cuts them.
  std::size_t start = 0;
  while (start < head.size()) {
    const auto end = head.find("\r\n", start);
    EXPECT_LE(end - start, 78u) << head.substr(start, end - start);
    start = end + 2;
  }
  // Only our fields, each once.
  const auto f = fields(mime);
  std::vector<std::string> names;
  for (const auto& [name, value] : f) {
    EXPECT_NE(std::find(kOurHeaders.begin(), kOurHeaders.end(), name), kOurHeaders.end()) << "extra field: " << name;
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << "repeated field: " << name;
    names.push_back(name);
  }
  // And our parser reads it back with one recipient and no Bcc or Cc.
  const auto back = parser::parse(mime);
  EXPECT_EQ(back.to.size(), 1u);
  if (!back.to.empty()) {
    EXPECT_EQ(back.to[0].address, "eve@example.test");
  }
  EXPECT_TRUE(back.cc.empty());
  for (const auto& [name, value] : back.headers) {
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(lower, "bcc") << value;
    EXPECT_NE(lower, "x-injected") << value;
  }
  EXPECT_EQ(back.subject.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << back.subject;
  if (back.from) {
    EXPECT_EQ(back.from->address, "complaints@example.test");
  }
}

std::string inbound(const std::string& from_header, const std::string& subject_header,
                    const std::string& message_id_header = "Message-ID: <m1@example.test>\r\n") {
  return "From: " + from_header + "\r\nTo: complaints@example.test\r\nSubject: " + subject_header + "\r\n" +
         message_id_header + "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nBins.\r\n";
}

struct Hostile {
  const char* what;
  std::string from;
  std::string subject;
};

TEST(HeaderInjection, HostileSubjectsAndNamesFromParsedMailNeverReachAHeader) {
  const std::string bcc = "Bcc: victim@example.test";
  const std::vector<Hostile> cases{
      {"plain", "Eve <eve@example.test>", "Bins not collected"},
      {"encoded CRLF in subject", "Eve <eve@example.test>", "=?utf-8?q?a=0D=0ABcc:_victim@example.test?="},
      {"encoded CRLF in name", "=?utf-8?q?Eve=0D=0ABcc:_victim@example.test?= <eve@example.test>", "Bins"},
      {"encoded bare CR", "=?utf-8?q?Eve=0DBcc:_v@example.test?= <eve@example.test>", "=?utf-8?q?a=0DBcc:_v@x.test?="},
      {"encoded bare LF", "=?utf-8?q?Eve=0ABcc:_v@example.test?= <eve@example.test>", "=?utf-8?q?a=0ABcc:_v@x.test?="},
      {"encoded NUL", "=?utf-8?q?Eve=00Bcc:_v@example.test?= <eve@example.test>", "=?utf-8?q?a=00b?="},
      {"base64 CRLF CRLF", "=?utf-8?b?RXZlDQpCY2M6IHZAZXhhbXBsZS50ZXN0DQoNCg==?= <eve@example.test>",
       "=?utf-8?b?aGkNCkJjYzogdkBleGFtcGxlLnRlc3QNCg0KYm9keQ==?="},
      {"header-like text", "\"To: x@y.test, Bcc: v@example.test\" <eve@example.test>",
       "Bins Bcc: victim@example.test To: x@y.test X-Injected: 1"},
      {"double-encoded word, literal after decoding", "=?utf-8?q?=3D=3Futf-8=3Fq=3FEve=3D0D=3D0ABcc=3A_v=40x.test=3F=3D?= "
       "<eve@example.test>",
       "=?utf-8?q?=3D=3Futf-8=3Fq=3Fa=3D0D=3D0A" + std::string("Bcc=3A_v=40x.test=3F=3D?=")},
      {"quoted name with an encoded word", "\"=?utf-8?q?Eve=0D=0ABcc:_v@example.test?=\" <eve@example.test>",
       "\"=?utf-8?q?x=0D=0AX-Injected:_1?=\""},
      {"C1 and line separators", "=?utf-8?q?Eve=C2=85Bcc:_v@x.test=E2=80=A8To:_w@x.test?= <eve@example.test>",
       "=?utf-8?q?a=E2=80=A9Bcc:_v@x.test?="},
      {"very long subject", "Eve <eve@example.test>", std::string(5000, 'A')},
      {"very long words", "=?utf-8?q?" + std::string(300, 'E') + "?= <eve@example.test>",
       std::string(300, 'x') + " " + std::string(300, 'y')},
      {"long encoded subject", "Eve <eve@example.test>", "=?utf-8?b?" + std::string(4000, 'Q') + "?="},
  };
  for (const auto& c : cases) {
    const auto msg = parser::parse(inbound(c.from, c.subject));
    const auto mime = to_mime(letter_for(msg));
    expect_clean(mime, c.what);
    // The subject keeps the reference, in one header, however long the customer's was.
    const auto f = fields(mime);
    const auto subject = std::find_if(f.begin(), f.end(), [](const auto& p) { return p.first == "Subject"; });
    ASSERT_NE(subject, f.end());
    const auto back = parser::parse(mime);
    EXPECT_EQ(back.subject.rfind("[CMP-2026-000001] ", 0), 0u) << c.what << ": " << back.subject;
    EXPECT_LE(back.subject.size(), 800u) << c.what;
  }
}

TEST(HeaderInjection, RawCrLfAndNulInTheLetterFieldsThemselves) {
  // What a caller might hand to_mime directly, unsanitised.
  for (const std::string& evil : {std::string("x\r\nBcc: v@example.test"), std::string("x\rBcc: v@example.test"),
                                   std::string("x\nBcc: v@example.test"), std::string("x\0Bcc: v@example.test", sizeof("x\0Bcc: v@example.test") - 1),
                                   std::string("x\r\n\r\nBcc: v@example.test"), std::string("\r\nBcc: x@y"),
                                   std::string("=?utf-8?q?a=0D=0ABcc:x@y?="), std::string(3000, 'z')}) {
    Letter l;
    l.from_name = evil;
    l.from_address = "complaints@example.test";
    l.to_name = evil;
    l.to_address = "eve@example.test";
    l.reply_to_address = "complaints@example.test";
    l.subject = evil;
    l.message_id = "m@example.test";
    l.in_reply_to = evil;
    l.references = {evil, "ok@example.test"};
    l.body = evil;
    expect_clean(to_mime(l), "raw: " + evil.substr(0, 40));
  }
}

TEST(HeaderInjection, AnEncodedWordTheCustomerWroteIsShownAsWritten) {
  // The customer's subject, once decoded, reads "=?utf-8?q?a=0D=0ABcc:x@y?=": a recipient's
  // mail client must show that text, not decode it a second time into a line break.
  Letter l;
  l.from_address = "complaints@example.test";
  l.to_name = "=?utf-8?q?Eve=0D=0ABcc:x@y?=";
  l.to_address = "eve@example.test";
  l.subject = "[CMP-1] =?utf-8?q?a=0D=0ABcc:x@y?=";
  l.message_id = "m@example.test";
  const auto mime = to_mime(l);
  EXPECT_EQ(mime.find("Subject: [CMP-1] =?utf-8"), std::string::npos) << mime;
  const auto back = parser::parse(mime);
  EXPECT_EQ(back.subject, "[CMP-1] =?utf-8?q?a=0D=0ABcc:x@y?=");
  ASSERT_EQ(back.to.size(), 1u);
  EXPECT_EQ(back.to[0].name, "=?utf-8?q?Eve=0D=0ABcc:x@y?=");
}

TEST(HeaderInjection, AMessageIdThatIsNotOneIsLeftOut) {
  Letter l;
  l.from_address = "complaints@example.test";
  l.to_address = "eve@example.test";
  l.subject = "s";
  l.message_id = "m@example.test";
  l.in_reply_to = "a b@example.test";
  l.references = {"x>\r\nBcc: v@example.test", "<y@example.test", "good@example.test"};
  const auto f = fields(to_mime(l));
  for (const auto& [name, value] : f) EXPECT_NE(name, "In-Reply-To") << value;
  const auto refs = std::find_if(f.begin(), f.end(), [](const auto& p) { return p.first == "References"; });
  ASSERT_NE(refs, f.end());
  EXPECT_EQ(refs->second, " <good@example.test>");
}

TEST(HeaderInjection, ParsedMessageIdsWithControlsAreNotEchoed) {
  // Folding inside an id is removed by the parser; a NUL or bare CR is not whitespace.
  const auto msg = parser::parse(inbound("Eve <eve@example.test>", "Bins",
                                         std::string("Message-ID: <a\rBcc: v@example.test>\r\n")));
  expect_clean(to_mime(letter_for(msg)), "bare CR in Message-ID");
  const auto nul = parser::parse(inbound("Eve <eve@example.test>", "Bins", std::string("Message-ID: <a\0b@x.test>\r\n", sizeof("Message-ID: <a\0b@x.test>\r\n") - 1)));
  expect_clean(to_mime(letter_for(nul)), "NUL in Message-ID");
}

}  // namespace
}  // namespace complaintd::outbound
