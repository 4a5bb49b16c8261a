// The pure half of the IDLE connection: lines split across reads, and what each means.

#include "daemon/imap_idle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace complaintd::daemon {
namespace {

std::vector<std::string> lines_of(ImapLineReader& r) {
  std::vector<std::string> out;
  while (auto l = r.next_line()) out.push_back(*l);
  return out;
}

TEST(ImapLineReader, JoinsLinesSplitAcrossReads) {
  ImapLineReader r;
  r.feed("+ idl");
  EXPECT_TRUE(lines_of(r).empty());
  r.feed("ing\r\n* 4 EXI");
  EXPECT_EQ(lines_of(r), std::vector<std::string>{"+ idling"});
  r.feed("STS\r");
  EXPECT_TRUE(lines_of(r).empty());  // the CR alone does not end the line
  r.feed("\n* 1 RECENT\r\n* 3 EXPUNGE\r\n");
  EXPECT_EQ(lines_of(r), (std::vector<std::string>{"* 4 EXISTS", "* 1 RECENT", "* 3 EXPUNGE"}));
}

TEST(ImapLineReader, EveryByteSeparately) {
  const std::string stream = "* 12 EXISTS\r\nI3 OK Idle completed\r\n";
  ImapLineReader r;
  std::vector<std::string> got;
  for (char c : stream) {
    r.feed(std::string_view(&c, 1));
    for (auto& l : lines_of(r)) got.push_back(l);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"* 12 EXISTS", "I3 OK Idle completed"}));
}

TEST(ImapLineReader, BareLineFeedAndEmptyLines) {
  ImapLineReader r;
  r.feed("* 1 EXISTS\n\r\n");
  EXPECT_EQ(lines_of(r), (std::vector<std::string>{"* 1 EXISTS", ""}));
}

TEST(ImapLineReader, AnEndlessLineIsCutNotHoarded) {
  ImapLineReader r;
  r.feed(std::string(200 * 1024, 'x'));
  auto first = r.next_line();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 64U * 1024U);
}

TEST(ClassifyIdleLine, NewMail) {
  using K = IdleLine::Kind;
  EXPECT_EQ(classify_idle_line("* 5 EXISTS").kind, K::kNewMail);
  EXPECT_EQ(classify_idle_line("* 5 exists").kind, K::kNewMail);
  EXPECT_EQ(classify_idle_line("* 1 RECENT").kind, K::kNewMail);
  EXPECT_EQ(classify_idle_line("* 5 EXPUNGE").kind, K::kOther);
  EXPECT_EQ(classify_idle_line("* 5 FETCH (FLAGS (\\Seen))").kind, K::kOther);
  EXPECT_EQ(classify_idle_line("* OK Still here").kind, K::kOther);
  EXPECT_EQ(classify_idle_line("* x EXISTS").kind, K::kOther);
  EXPECT_EQ(classify_idle_line("* EXISTS").kind, K::kOther);
  EXPECT_EQ(classify_idle_line("").kind, K::kOther);
}

TEST(ClassifyIdleLine, ContinuationTaggedByeCapability) {
  using K = IdleLine::Kind;
  EXPECT_EQ(classify_idle_line("+ idling").kind, K::kContinuation);
  EXPECT_EQ(classify_idle_line("+").kind, K::kContinuation);
  auto ok = classify_idle_line("I3 OK Idle completed (0.001 secs).");
  EXPECT_EQ(ok.kind, K::kTagged);
  EXPECT_EQ(ok.tag, "I3");
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.text, "Idle completed (0.001 secs).");
  auto bad = classify_idle_line("I4 bad Unknown command");
  EXPECT_EQ(bad.kind, K::kTagged);
  EXPECT_FALSE(bad.ok);
  auto bye = classify_idle_line("* BYE Server shutting down.");
  EXPECT_EQ(bye.kind, K::kBye);
  EXPECT_EQ(bye.text, "Server shutting down.");
  auto caps = classify_idle_line("* CAPABILITY IMAP4rev1 SASL-IR IDLE MOVE");
  EXPECT_EQ(caps.kind, K::kCapability);
  EXPECT_TRUE(has_capability_atom(caps.text, "IDLE"));
  EXPECT_TRUE(has_capability_atom(caps.text, "idle"));
  EXPECT_FALSE(has_capability_atom("IMAP4rev1 IDLEX NOTIDLE", "IDLE"));
  EXPECT_FALSE(has_capability_atom("", "IDLE"));
}

}  // namespace
}  // namespace complaintd::daemon
