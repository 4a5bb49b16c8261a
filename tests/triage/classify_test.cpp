#include <gtest/gtest.h>

#include "triage/classify.hpp"

#include "parser/machine_mail.hpp"

namespace complaintd::triage {
namespace {

using parser::Address;
using parser::InboundMessage;

InboundMessage person(const std::string& from = "alice@example.test") {
  InboundMessage m;
  m.from = Address{"Alice Example", from};
  m.subject = "My bins were not collected";
  m.message_id = "abc@example.test";
  m.text = "Third week running.";
  return m;
}

TriageContext ctx() { return TriageContext{{"complaints@example.test"}, {}}; }

TEST(Classify, APersonWritingIsANewComplaint) {
  const auto t = classify(person(), ctx());
  EXPECT_EQ(t.intent, Intent::kNewComplaint);
  ASSERT_TRUE(t.reply_to);
  EXPECT_EQ(t.reply_to->address, "alice@example.test");
}

TEST(Classify, ReplyToWinsOverFrom) {
  auto m = person();
  m.reply_to = {Address{"", "not valid"}, Address{"Alice at home", "alice@home.example"}};
  const auto t = classify(m, ctx());
  ASSERT_TRUE(t.reply_to);
  EXPECT_EQ(t.reply_to->address, "alice@home.example");
}

struct MachineCase {
  const char* name;
  std::function<void(InboundMessage&)> mutate;
  const char* reason_part;
};

class MachineMail : public ::testing::TestWithParam<MachineCase> {};

TEST_P(MachineMail, IsNeverAnswered) {
  auto m = person();
  GetParam().mutate(m);
  m.machine = parser::machine_verdict(m);  // as parse() does: triage reads the parser's verdict
  const auto t = classify(m, ctx());
  EXPECT_EQ(t.intent, Intent::kMachineMail);
  EXPECT_NE(t.reason.view().find(GetParam().reason_part), std::string::npos) << t.reason;
}

INSTANTIATE_TEST_SUITE_P(
    All, MachineMail,
    ::testing::Values(
        MachineCase{"auto_replied", [](InboundMessage& m) { m.auto_submitted = "auto-replied"; }, "Auto-Submitted"},
        MachineCase{"auto_generated", [](InboundMessage& m) { m.auto_submitted = " Auto-Generated "; }, "Auto-Submitted"},
        MachineCase{"auto_notified", [](InboundMessage& m) { m.auto_submitted = "auto-notified; owner-email=x@y.z"; }, "Auto-Submitted"},
        MachineCase{"precedence_bulk", [](InboundMessage& m) { m.precedence = "bulk"; }, "Precedence"},
        MachineCase{"precedence_junk", [](InboundMessage& m) { m.precedence = "JUNK"; }, "Precedence"},
        MachineCase{"precedence_list", [](InboundMessage& m) { m.precedence = "list"; }, "Precedence"},
        MachineCase{"list_id", [](InboundMessage& m) { m.list_id = "<news.example.test>"; }, "List-Id"},
        MachineCase{"x_autoreply", [](InboundMessage& m) { m.other_auto_headers = {{"X-Autoreply", "yes"}}; }, "X-Autoreply"},
        MachineCase{"x_autorespond", [](InboundMessage& m) { m.other_auto_headers = {{"X-Autorespond", "vacation"}}; }, "X-Autorespond"},
        MachineCase{"exchange_oof", [](InboundMessage& m) { m.other_auto_headers = {{"X-Auto-Response-Suppress", "All"}}; }, "X-Auto-Response-Suppress"},
        MachineCase{"dsn", [](InboundMessage& m) { m.content_type = "multipart/report"; }, "multipart/report"},
        MachineCase{"null_return_path", [](InboundMessage& m) { m.return_path = "<>"; }, "Return-Path"},
        MachineCase{"mailer_daemon", [](InboundMessage& m) { m.from = Address{"Mail Delivery System", "MAILER-DAEMON@mx.example.test"}; }, "MAILER-DAEMON"},
        MachineCase{"postmaster", [](InboundMessage& m) { m.from = Address{"", "postmaster@example.test"}; }, "postmaster"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(Classify, PeopleWhoLookLikeMachinesAreStillPeople) {
  auto m = person();
  m.auto_submitted = "no";
  m.precedence = "first-class";
  m.other_auto_headers = {{"X-Auto-Response-Suppress", "DR, RN, NRN"}, {"X-Autoreply", "no"}};
  m.return_path = "<alice@example.test>";
  m.machine = parser::machine_verdict(m);
  EXPECT_EQ(classify(m, ctx()).intent, Intent::kNewComplaint);
}

TEST(Classify, OurOwnLettersComingBackAreNotAnswered) {
  EXPECT_EQ(classify(person("Complaints@Example.test"), ctx()).intent, Intent::kFromOurselves);
  EXPECT_EQ(classify(person("complaints+abc@example.test"), ctx()).intent, Intent::kFromOurselves);
  auto m = person();
  m.reply_to = {Address{"", "complaints@example.test"}};
  EXPECT_EQ(classify(m, ctx()).intent, Intent::kFromOurselves);
}

TEST(Classify, OwnAddressesIgnoreCaseAndAPlusTagBeforeTheAt) {
  const std::vector<std::string> own = {"complaints@example.test", "a+b"};
  EXPECT_TRUE(is_own_address("complaints@example.test", own));
  EXPECT_TRUE(is_own_address("COMPLAINTS+Case-42@Example.TEST", own));
  EXPECT_TRUE(is_own_address("complaints+@example.test", own));
  EXPECT_FALSE(is_own_address("complaints@example.test.evil", own));
  EXPECT_FALSE(is_own_address("complaint@example.test", own));
  EXPECT_FALSE(is_own_address("complaints@other.test+x", own));
  EXPECT_FALSE(is_own_address("", own));
  // No '@': the '+' is kept and the whole address compared.
  EXPECT_TRUE(is_own_address("A+B", own));
  EXPECT_FALSE(is_own_address("a+c", own));
  EXPECT_FALSE(is_own_address("complaints@example.test", {}));
}

TEST(Classify, NoSenderMeansNobodyToAnswer) {
  InboundMessage m;
  m.subject = "hello";
  EXPECT_EQ(classify(m, ctx()).intent, Intent::kNoSender);
  m.from = Address{"Alice", "alice"};
  EXPECT_EQ(classify(m, ctx()).intent, Intent::kNoSender);
}

TEST(Classify, AKnownReferenceMakesAFollowUp) {
  auto c = ctx();
  c.known_references = {"CMP-2026-000001"};
  const auto t = classify(person(), c);
  EXPECT_EQ(t.intent, Intent::kFollowUp);
  EXPECT_EQ(t.case_reference, "CMP-2026-000001");
}

TEST(Classify, AnAutoReplyToOurLetterIsMachineMailNotAFollowUp) {
  auto m = person();
  m.auto_submitted = "auto-replied";
  m.machine = parser::machine_verdict(m);
  auto c = ctx();
  c.known_references = {"CMP-2026-000001"};
  EXPECT_EQ(classify(m, c).intent, Intent::kMachineMail);
}

}  // namespace
}  // namespace complaintd::triage
