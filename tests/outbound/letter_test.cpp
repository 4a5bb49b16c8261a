#include <gtest/gtest.h>

#include <algorithm>

#include "outbound/letter.hpp"

namespace complaintd::outbound {
namespace {

// Header lines of a message (until the blank line), unfolded.
std::vector<std::string> header_lines(const std::string& mime) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < mime.size()) {
    const auto end = mime.find("\r\n", pos);
    const std::string line = mime.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !lines.empty()) lines.back() += line;
    else lines.push_back(line);
  }
  return lines;
}

Letter sample() {
  Letter l;
  l.from_name = "Council Complaints";
  l.from_address = "complaints@example.test";
  l.to_name = "Alice Example";
  l.to_address = "alice@example.test";
  l.subject = "[CMP-2026-000001] Bins";
  l.message_id = "cmp-2026-000001.ack.1234@example.test";
  l.in_reply_to = "orig@example.test";
  l.references = {"older@example.test", "orig@example.test"};
  l.date_unix = 1795428000;  // 2026-11-23T10:00:00Z
  l.body = "Dear Alice,\n\nThank you.\n";
  return l;
}

TEST(Sanitize, RemovesLineBreaksAndControls) {
  EXPECT_EQ(sanitize_header_text("Bins\r\nBcc: victim@example.test"), "Bins Bcc: victim@example.test");
  EXPECT_EQ(sanitize_header_text("a\rb\nc\td\x01" "e\x7f" "f"), "a b c d e f");
  EXPECT_EQ(sanitize_header_text("  lots   of\n\n  space  "), "lots of space");
  EXPECT_EQ(sanitize_header_text("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(sanitize_header_text("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(sanitize_header_text("c1\xC2\x85next"), "c1 next");              // NEL, a C1 control
  EXPECT_EQ(sanitize_header_text("ls\xE2\x80\xA8sep"), "ls sep");  // U+2028 never passes
}

TEST(Sanitize, CutsLongTextOnACharacterBoundary) {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "\xC3\xA9";  // é
  const auto out = sanitize_header_text(long_text, 10);
  EXPECT_EQ(out.size(), 9u * 2 + 3);  // 9 × é and "…"
  EXPECT_EQ(out.substr(out.size() - 3), "\xE2\x80\xA6");
}

TEST(Sanitize, CutsOnlyWhatIsLongerAndTrimsTheSpaceBeforeTheEllipsis) {
  EXPECT_EQ(sanitize_header_text("abcde", 5), "abcde");
  EXPECT_EQ(sanitize_header_text("abcdef", 5), "abcd\xE2\x80\xA6");
  EXPECT_EQ(sanitize_header_text("ab \r\n cdef", 4), "ab\xE2\x80\xA6");
  EXPECT_EQ(sanitize_header_text("abcdef", 1), "\xE2\x80\xA6");
  EXPECT_EQ(sanitize_header_text("\xFF\xFF\xFF", 2), "\xEF\xBF\xBD\xE2\x80\xA6");
}

TEST(TaggedSubject, AddsTheReferenceOnce) {
  EXPECT_EQ(tagged_subject("CMP-2026-000001", "Bins"), "[CMP-2026-000001] Bins");
  EXPECT_EQ(tagged_subject("CMP-2026-000001", "Re: [CMP-2026-000001] Bins"), "Re: [CMP-2026-000001] Bins");
  EXPECT_EQ(tagged_subject("CMP-2026-000001", ""), "[CMP-2026-000001] Your complaint");
  EXPECT_EQ(tagged_subject("CMP-2026-000001", "x\r\nBcc: y@z.test"), "[CMP-2026-000001] x Bcc: y@z.test");
}

TEST(Mime, HasTheHeadersAnAcknowledgementNeeds) {
  const auto mime = to_mime(sample());
  const auto h = header_lines(mime);
  auto has = [&](const std::string& line) { return std::find(h.begin(), h.end(), line) != h.end(); };
  EXPECT_TRUE(has("From: \"Council Complaints\" <complaints@example.test>"));
  EXPECT_TRUE(has("To: \"Alice Example\" <alice@example.test>"));
  EXPECT_TRUE(has("Subject: [CMP-2026-000001] Bins"));
  EXPECT_TRUE(has("Date: Mon, 23 Nov 2026 10:00:00 +0000"));
  EXPECT_TRUE(has("Message-ID: <cmp-2026-000001.ack.1234@example.test>"));
  EXPECT_TRUE(has("In-Reply-To: <orig@example.test>"));
  EXPECT_TRUE(has("References: <older@example.test> <orig@example.test>"));
  EXPECT_TRUE(has("Auto-Submitted: auto-replied"));
  EXPECT_TRUE(has("MIME-Version: 1.0"));
  EXPECT_TRUE(has("Content-Type: text/plain; charset=UTF-8; format=fixed"));
  EXPECT_NE(mime.find("\r\n\r\nDear Alice,\r\n\r\nThank you.\r\n"), std::string::npos);
}

TEST(Mime, NoBareLineFeeds) {
  auto l = sample();
  l.body = "line one\nline two\r\nline three";
  const auto mime = to_mime(l);
  for (std::size_t i = 0; i < mime.size(); ++i) {
    if (mime[i] == '\n') {
      ASSERT_TRUE(i > 0 && mime[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(Mime, HostileSubjectAndNameCannotInjectHeaders) {
  auto l = sample();
  l.subject = "[CMP-2026-000001] hi\r\nBcc: victim@example.test\r\n\r\nbody";
  l.to_name = "Eve\r\nBcc: victim@example.test";
  const auto h = header_lines(to_mime(l));
  for (const auto& line : h) EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
  EXPECT_EQ(h.size(), 12u);  // exactly the headers we wrote, nothing more
}

TEST(Mime, ReplyToIsWrittenOnlyWhenSet) {
  auto l = sample();
  auto h = header_lines(to_mime(l));
  EXPECT_TRUE(std::none_of(h.begin(), h.end(), [](const std::string& x) { return x.rfind("Reply-To:", 0) == 0; }));
  l.reply_to_address = "complaints+1-habcdefghijklmnop@example.test";
  h = header_lines(to_mime(l));
  const auto r = std::find_if(h.begin(), h.end(), [](const std::string& x) { return x.rfind("Reply-To:", 0) == 0; });
  ASSERT_NE(r, h.end());
  EXPECT_NE(r->find("<complaints+1-habcdefghijklmnop@example.test>"), std::string::npos) << *r;
}

TEST(Mime, AttachmentsMakeAMultipartWithBase64Files) {
  auto l = sample();
  l.attachments = {{"photo of the bins.jpg", "image/jpeg", std::string("\xff\xd8\xff\x00" "abc", 7)},
                   {"Bescheid \xc3\xbc" "ber \"Kosten\".pdf\r\nBcc: x@y.z", "application/pdf", "%PDF"},
                   {"", "text/html; charset=\"evil\"\r\nX: y", "hi"}};
  const auto mime = to_mime(l);
  const auto h = header_lines(mime);
  const auto ct = std::find_if(h.begin(), h.end(), [](const std::string& x) { return x.rfind("Content-Type:", 0) == 0; });
  ASSERT_NE(ct, h.end());
  EXPECT_EQ(ct->rfind("Content-Type: multipart/mixed; boundary=\"=_complaintd_", 0), 0U) << *ct;
  const std::string boundary = ct->substr(ct->find('"') + 1, ct->rfind('"') - ct->find('"') - 1);
  EXPECT_NE(mime.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
  EXPECT_NE(mime.find("Content-Disposition: attachment; filename=\"photo of the bins.jpg\"\r\n"), std::string::npos);
  EXPECT_NE(mime.find("/9j/AGFiYw==\r\n"), std::string::npos);  // base64 of the JPEG's bytes
  // Non-ASCII and quotes go RFC 2231; CR/LF never survive into a header.
  EXPECT_NE(mime.find("filename*=UTF-8''Bescheid%20%C3%BCber%20%22Kosten%22.pdf%20Bcc%3A%20x%40y.z"), std::string::npos)
      << mime;
  EXPECT_EQ(mime.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(mime.find("\r\nX: y"), std::string::npos);
  EXPECT_NE(mime.find("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"attachment\""),
            std::string::npos);
  EXPECT_NE(mime.find("Content-Type: text/plain; charset=UTF-8; format=fixed\r\n"), std::string::npos);
}

TEST(Mime, NonAsciiSubjectIsEncodedAndFolded) {
  auto l = sample();
  l.subject = "[CMP-2026-000001] Ñandú tráfico " + std::string(100, 'x') + " 日本語";
  const auto mime = to_mime(l);
  const auto start = mime.find("Subject: ");
  const auto end = mime.find("\r\nDate:");
  const std::string subject = mime.substr(start, end - start);
  EXPECT_NE(subject.find("=?UTF-8?B?"), std::string::npos);
  std::size_t line_start = 0;
  while (line_start < subject.size()) {
    auto line_end = subject.find("\r\n", line_start);
    if (line_end == std::string::npos) line_end = subject.size();
    EXPECT_LE(line_end - line_start, 78u);
    for (std::size_t i = line_start; i < line_end; ++i) EXPECT_LT(static_cast<unsigned char>(subject[i]), 0x80);
    line_start = line_end + 2;
  }
}

TEST(Mime, AddressNamesAreQuotedOrEncoded) {
  EXPECT_EQ(format_mailbox("", "a@example.test"), "<a@example.test>");
  EXPECT_EQ(format_mailbox("O\"Brien, Pat\\", "a@example.test"), "\"O\\\"Brien, Pat\\\\\" <a@example.test>");
  EXPECT_EQ(format_mailbox("Zoë", "a@example.test"), "=?UTF-8?B?Wm/Dqw==?= <a@example.test>");
}

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
  EXPECT_EQ(quoted_printable("plain text\n"), "plain text\r\n");
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db\r\n");
  EXPECT_EQ(quoted_printable("caf\xC3\xA9"), "caf=C3=A9\r\n");
  EXPECT_EQ(quoted_printable("trailing space \nx"), "trailing space=20\r\nx\r\n");
  EXPECT_EQ(quoted_printable(".\nFrom here\nFrank"), "=2E\r\n=46rom here\r\nFrank\r\n");
  const auto long_line = quoted_printable(std::string(200, 'a'));
  std::size_t pos = 0;
  while (pos < long_line.size()) {
    const auto end = long_line.find("\r\n", pos);
    EXPECT_LE(end - pos, 76u);
    pos = end + 2;
  }
}

// Decodes quoted-printable as a receiving client does, to check that encoding round-trips.
std::string qp_decode(std::string_view qp) {
  std::string out;
  for (std::size_t i = 0; i < qp.size(); ++i) {
    if (qp.substr(i, 3) == "=\r\n") {
      i += 2;
    } else if (qp[i] == '=') {
      out.push_back(static_cast<char>(std::stoi(std::string(qp.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (qp.substr(i, 2) == "\r\n") {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(qp[i]);
    }
  }
  return out;
}

TEST(QuotedPrintable, EveryLineFitsAndNoneStartsWithADotOrFromEvenAfterASoftBreak) {
  // The 76th character of a long line lands at the start of the continuation line.
  for (const std::string tail : {".", "From x", " ", "\t", "=", "\xC3\xA9"}) {
    for (std::size_t lead = 70; lead <= 80; ++lead) {
      const std::string text = std::string(lead, 'a') + tail + " end  \n" + std::string(lead, ' ') + "\n";
      const auto qp = quoted_printable(text);
      EXPECT_EQ(qp_decode(qp), text) << text;
      std::size_t pos = 0;
      while (pos < qp.size()) {
        const auto end = qp.find("\r\n", pos);
        ASSERT_NE(end, std::string::npos);
        const auto line = std::string_view(qp).substr(pos, end - pos);
        EXPECT_LE(line.size(), 76u) << text;
        EXPECT_FALSE(line.starts_with(".") || line.starts_with("From ")) << text;
        EXPECT_FALSE(line.ends_with(" ") || line.ends_with("\t")) << text;
        pos = end + 2;
      }
    }
  }
}

TEST(Template, RendersPlainTextWithoutHtmlEscaping) {
  auto r = render_template("t", "Dear {{name}}, ref {{ref}} {{missing}}.", {{"name", "Tom & <Jerry>"}, {"ref", "R1"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "Dear Tom & <Jerry>, ref R1 .");
}

TEST(Template, EmptyFieldsAreFalseInSections) {
  const std::string t = "{{#final}}final: {{text}}{{/final}}{{^final}}next: {{next}}{{/final}} [{{final}}]";
  auto r = render_template("t", t, {{"final", ""}, {"text", "Ombudsman"}, {"next", "Stage 2"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "next: Stage 2 []");
  r = render_template("t", t, {{"final", "yes"}, {"text", "Ombudsman"}, {"next", "Stage 2"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "final: Ombudsman [yes]");
  r = render_template("t", t, {{"text", "Ombudsman"}, {"next", "Stage 2"}});  // missing: false too
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "next: Stage 2 []");
}

TEST(Template, SkippedSectionsLeaveAtMostOneBlankLine) {
  const std::string t = "Dear Ann,\n\n{{#final}}\nThe end.\n{{/final}}\n{{^final}}\nAsk for {{next}}.\n{{/final}}\n\nYours";
  auto r = render_template("t", t, {{"final", ""}, {"next", "Stage 2"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find("\n\n\n"), std::string::npos) << *r;
  EXPECT_NE(r->find("Ask for Stage 2."), std::string::npos);
  EXPECT_EQ(r->find("The end."), std::string::npos);
}

TEST(Template, SyntaxErrorsAreReported) {
  auto r = render_template("acknowledgement", "Dear {{#name}}", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("acknowledgement"), std::string::npos);
}

TEST(Template, FieldsCannotInjectTemplateSyntax) {
  auto r = render_template("t", "Subject: {{s}}", {{"s", "{{#x}}boom{{/x}}"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "Subject: {{#x}}boom{{/x}}");
}

TEST(Template, PartialsAreRefusedSoNoFieldIsRunAsATemplate) {
  // kainjow renders a string field named by a partial as a template: the customer's subject
  // "{{> subject}}" would then recurse until the stack ran out.
  for (const char* text : {"Re: {{> subject}}", "Re: {{>subject}}", "{{ > subject }}", "{{=<% %>=}}<%> subject%>"}) {
    auto r = render_template("acknowledgement", text, {{"subject", "{{> subject}}"}});
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find("acknowledgement"), std::string::npos);
    EXPECT_NE(r.error().message.find("not allowed"), std::string::npos) << r.error().message;
  }
  // A ">" elsewhere is text.
  auto r = render_template("t", "{{a}} > {{b}}", {{"a", "1"}, {"b", "0"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "1 > 0");
}

TEST(Date, Rfc5322) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1795428000), "Mon, 23 Nov 2026 10:00:00 +0000");
}

}  // namespace
}  // namespace complaintd::outbound
