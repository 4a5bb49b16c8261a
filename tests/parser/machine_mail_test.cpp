// parse() gives the machine-mail verdict (RFC 3834) with its reason; triage uses the same.

#include <gtest/gtest.h>

#include <string>

#include "parser/machine_mail.hpp"
#include "parser/parse.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using testing::fixture;

struct MachineCase {
  const char* headers;  // added above "From: alice@example.test"
  const char* reason;   // "" when a person wrote it
};

void PrintTo(const MachineCase& c, std::ostream* os) { *os << c.headers; }

class MachineTest : public ::testing::TestWithParam<MachineCase> {};

TEST_P(MachineTest, Verdict) {
  const std::string raw = std::string(GetParam().headers) + "From: alice@example.test\nSubject: x\n\nbody\n";
  const InboundMessage m = parse(raw);
  EXPECT_EQ(m.machine.reason, GetParam().reason);
  EXPECT_EQ(m.machine.is_machine, std::string(GetParam().reason) != "");
  EXPECT_EQ(machine_verdict(m).reason, m.machine.reason);
}

INSTANTIATE_TEST_SUITE_P(Rfc3834, MachineTest, ::testing::Values(
    MachineCase{"", ""},
    MachineCase{"Auto-Submitted: no\n", ""},
    MachineCase{"Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"},
    MachineCase{"Auto-Submitted: auto-generated; owner-email=x@y\n", "Auto-Submitted: auto-generated; owner-email=x@y"},
    MachineCase{"Precedence: bulk\n", "Precedence: bulk"},
    MachineCase{"Precedence: first-class\n", ""},
    MachineCase{"List-Id: <residents.example.test>\n", "List-Id: <residents.example.test>"},
    MachineCase{"List-Unsubscribe: <mailto:u@example.test>\n", "List-Unsubscribe: <mailto:u@example.test>"},
    MachineCase{"List-Post: NO\n", ""},
    MachineCase{"X-Autoreply: yes\n", "X-Autoreply: yes"},
    MachineCase{"X-Autorespond: vacation\n", "X-Autorespond: vacation"},
    MachineCase{"X-Auto-Response-Suppress: OOF, AutoReply\n", "X-Auto-Response-Suppress: OOF, AutoReply"},
    MachineCase{"X-Auto-Response-Suppress: DR, RN\n", ""},  // a meeting request asks, it is not one
    MachineCase{"Return-Path: <>\n", "empty Return-Path (null sender)"},
    MachineCase{"Return-Path: <alice@example.test>\n", ""},
    MachineCase{"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n",
                "delivery or disposition report (multipart/report)"}));

TEST(MachineMail, MailerDaemonSender) {
  const InboundMessage m = parse("From: MAILER-DAEMON@mx.example.test\nSubject: failure\n\nbody\n");
  EXPECT_EQ(m.machine.reason, "sender is MAILER-DAEMON@mx.example.test");
}

TEST(MachineMail, Fixtures) {
  EXPECT_EQ(parse(fixture("auto_reply.eml")).machine.is_machine, true);
  EXPECT_EQ(parse(fixture("dsn.eml")).machine.is_machine, true);
  EXPECT_EQ(parse(fixture("list_unsubscribe.eml")).machine.reason,
            "List-Unsubscribe: <mailto:unsubscribe@shop.example>");
  EXPECT_FALSE(parse(fixture("plain_ascii.eml")).machine.is_machine);
}

}  // namespace
}  // namespace complaintd::parser
