// Attachments keep their bytes and digest; inline images are flagged; attached messages are
// summarised; winmail.dat (TNEF) is opened and its files listed.

#include <gtest/gtest.h>

#include <string>

#include "parser/digest.hpp"
#include "parser/parse.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using testing::fixture;
using testing::has_defect;
using testing::join;

TEST(Digest, KnownSha256Vectors) {
  // FIPS 180-4 example "abc" and the empty string.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Attachments, KeepDecodedBytesAndDigest) {
  const InboundMessage m = parse(fixture("attachments_rfc2231.eml"));
  ASSERT_EQ(m.attachments.size(), 4u) << join(m.defects);
  const Attachment& pdf = m.attachments[0];
  EXPECT_EQ(pdf.content, "%PDF-1.4 test");
  EXPECT_EQ(pdf.size, pdf.content.size());
  EXPECT_EQ(pdf.sha256, "d663640088750cf16276d623c2588d7233f2b84b45f4b2e20832f47b16aa5618");
  EXPECT_FALSE(pdf.is_inline);
  EXPECT_TRUE(pdf.container.empty());
  // Text attachments keep their bytes as sent (Latin-1 here), not converted to UTF-8.
  EXPECT_EQ(m.attachments[3].content, "caf\xe9s");
  for (const auto& a : m.attachments) EXPECT_EQ(a.sha256, sha256_hex(a.content));
}

TEST(Attachments, InlineImageOfRelatedHtml) {
  const InboundMessage m = parse(fixture("inline_image.eml"));
  EXPECT_EQ(m.text, "See the rubbish:");
  ASSERT_EQ(m.attachments.size(), 1u) << join(m.defects);
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_TRUE(m.attachments[0].is_inline);
  EXPECT_EQ(m.attachments[0].content_id, "photo1@example.test");
  EXPECT_EQ(m.attachments[0].size, 8u);
}

TEST(Attachments, DispositionInlineIsInlineAndAttachmentIsNot) {
  const std::string raw =
      "From: a@example.test\nContent-Type: multipart/mixed; boundary=B\n\n"
      "--B\nContent-Type: text/plain\n\nhello\n"
      "--B\nContent-Type: image/jpeg\nContent-Disposition: inline; filename=a.jpg\n\nJPEG\n"
      "--B\nContent-Type: image/jpeg\nContent-Disposition: attachment; filename=b.jpg\nContent-ID: <b@x>\n\nJPEG\n"
      "--B--\n";
  const InboundMessage m = parse(raw);
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_TRUE(m.attachments[0].is_inline);
  EXPECT_FALSE(m.attachments[1].is_inline);  // a Content-ID alone does not make it inline
  EXPECT_EQ(m.attachments[1].content_id, "b@x");
  EXPECT_EQ(m.text, "hello");
}

TEST(Attachments, EightBitContentIdBecomesUtf8) {
  // Found by parse_fuzz (tests/fixtures/parser/fuzz/content_id_8bit.eml).
  const std::string raw =
      "From: a@example.test\nContent-Type: multipart/related; boundary=R\n\n--R\nContent-Type: text/plain\n\nx\n"
      "--R\nContent-Type: image/png\nContent-ID: <photo@ex\xe9mple.test>\n\nPNG\n--R--\n";
  const InboundMessage m = parse(raw);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].content_id, "photo@ex\xc3\xa9mple.test");
  EXPECT_TRUE(has_defect(m.defects, "Content-ID is not UTF-8")) << join(m.defects);
}

TEST(AttachedMessages, ForwardedInlineAndAttachedAreSummarised) {
  const InboundMessage m = parse(fixture("forwarded.eml"));
  ASSERT_EQ(m.attached_messages.size(), 2u);
  const AttachedMessage& inline_fwd = m.attached_messages[0];
  EXPECT_EQ(inline_fwd.subject, "earlier complaint");
  EXPECT_EQ(inline_fwd.message_id, "earlier@example.test");
  ASSERT_TRUE(inline_fwd.from.has_value());
  EXPECT_EQ(inline_fwd.from->address, "alice@example.test");
  EXPECT_EQ(inline_fwd.text, "The earlier complaint text.");
  EXPECT_EQ(inline_fwd.depth, 1u);
  EXPECT_TRUE(inline_fwd.filename.empty());
  const AttachedMessage& file = m.attached_messages[1];
  EXPECT_EQ(file.subject, "attached");
  EXPECT_EQ(file.text, "Attached message body.");
  EXPECT_EQ(file.filename, "old.eml");
  // The attached .eml is a file with its raw bytes, and its text stays out of ours.
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_NE(m.attachments[0].content.find("Subject: attached"), std::string::npos);
  EXPECT_EQ(m.text.find("Attached message body"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("The earlier complaint text."), std::string::npos) << m.text;
}

TEST(AttachedMessages, NestedMessagesCarryTheirDepthAndStopAtTheLimit) {
  std::string raw = "From: a@example.test\nSubject: outer\nContent-Type: message/rfc822\n\n";
  for (int i = 1; i <= 5; ++i) {
    raw += "From: level" + std::to_string(i) + "@example.test\nSubject: level " + std::to_string(i) + "\n";
    raw += i < 5 ? "Content-Type: message/rfc822\n\n" : "\ninnermost text\n";
  }
  const InboundMessage m = parse(raw);
  ASSERT_EQ(m.attached_messages.size(), 5u) << join(m.defects);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(m.attached_messages[i].depth, i + 1);
    EXPECT_EQ(m.attached_messages[i].subject, "level " + std::to_string(i + 1));
  }
  EXPECT_EQ(m.attached_messages[4].text, "innermost text");

  ParseLimits limits;
  limits.max_depth = 3;
  const InboundMessage shallow = parse(raw, limits);
  EXPECT_EQ(shallow.attached_messages.size(), 3u);
  EXPECT_TRUE(shallow.limit_exceeded);
  EXPECT_TRUE(has_defect(shallow.defects, "deeper than 3")) << join(shallow.defects);
}

TEST(Tnef, WinmailDatFilesAreListed) {
  const InboundMessage m = parse(fixture("winmail_tnef.eml"));
  EXPECT_EQ(m.text, "Please see the attached report.");
  ASSERT_EQ(m.attachments.size(), 3u) << join(m.defects);
  EXPECT_EQ(m.attachments[0].filename, "winmail.dat");
  EXPECT_EQ(m.attachments[0].content_type, "application/ms-tnef");
  // The long name from the MAPI properties wins over the 8.3 title.
  EXPECT_EQ(m.attachments[1].filename, "Report on missed collections.pdf");
  EXPECT_EQ(m.attachments[1].content_type, "application/pdf");
  EXPECT_EQ(m.attachments[1].content, "%PDF-1.4 complaint");
  EXPECT_EQ(m.attachments[1].sha256, "1d66286edf4a12a0cde5f19d771ee28d5584b5be5f51cbfb7fd29ba7a9c45c42");
  EXPECT_EQ(m.attachments[1].container, "winmail.dat");
  EXPECT_EQ(m.attachments[2].filename, "notes.txt");
  EXPECT_EQ(m.attachments[2].content, "bin notes\n");
  EXPECT_EQ(m.attachments[2].content_type, "text/plain");
  EXPECT_TRUE(m.defects.empty()) << join(m.defects);
}

TEST(Tnef, MislabelledWinmailDatIsKeptWithADefect) {
  const std::string raw =
      "From: a@example.test\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\nhi\n"
      "--B\nContent-Type: application/ms-tnef\nContent-Disposition: attachment; filename=winmail.dat\n\n"
      "not tnef at all\n--B--\n";
  const InboundMessage m = parse(raw);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_TRUE(has_defect(m.defects, "labelled TNEF but is not")) << join(m.defects);
}

}  // namespace
}  // namespace complaintd::parser
