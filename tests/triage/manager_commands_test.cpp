// What a member of staff's reply asks for: commands in its first lines, then text.
#include "triage/manager_commands.hpp"

#include <gtest/gtest.h>

namespace complaintd::triage {
namespace {

using Final = ManagerCommands::Final;

TEST(ManagerCommands, RespondSendsTheTextBelowIt) {
  const auto c = parse_manager_commands("Respond\n\nDear Mrs Smith,\n\nWe are sorry.\n");
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(c.final, Final::kRespond);
  EXPECT_EQ(c.text, "Dear Mrs Smith,\n\nWe are sorry.");
  EXPECT_EQ(c.commands, (std::vector<std::string>{"respond"}));
}

TEST(ManagerCommands, EverythingAfterRespondIsTextEvenWhatLooksLikeACommand) {
  const auto c = parse_manager_commands("resolve:\nNote that your bin day changes in May.\nextend 5 days: no\n");
  EXPECT_EQ(c.final, Final::kResolve);
  EXPECT_EQ(c.text, "Note that your bin day changes in May.\nextend 5 days: no");
  EXPECT_FALSE(c.extend_by);
}

TEST(ManagerCommands, AWordThatStartsASentenceIsText) {
  auto c = parse_manager_commands("Resolve the matter by Friday please.\nThanks");
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.final, Final::kNone);
  EXPECT_EQ(c.text, "Resolve the matter by Friday please.\nThanks");
  c = parse_manager_commands("Setting up a meeting with the crew.");
  EXPECT_TRUE(c.empty());
}

TEST(ManagerCommands, SeveralCommandsThenTheResponse) {
  const auto c = parse_manager_commands(
      "  CATEGORY service delivery, Policy\n"
      "set complexity high\n"
      "Extend 10 working days: waiting for the contractor's report\n"
      "record learning service delivery: crews photograph every missed bin\n"
      "reassign to Zed Other <zed@example.test>\n"
      "advocate Carol Helper <carol@example.net>\n"
      "respond\n"
      "Dear customer,\r\n"
      "we will collect on Tuesday.\r\n");
  ASSERT_TRUE(c.errors.empty()) << c.errors[0];
  EXPECT_EQ(c.categories, (std::vector<std::string>{"service delivery", "Policy"}));
  EXPECT_EQ(c.complex, true);
  ASSERT_TRUE(c.extend_by);
  EXPECT_EQ(*c.extend_by, (config::Duration{10, config::Duration::Unit::kWorkingDays}));
  EXPECT_EQ(c.extend_reason, "waiting for the contractor's report");
  ASSERT_EQ(c.learning.size(), 1U);
  EXPECT_EQ(c.learning[0].category, "service delivery");
  EXPECT_EQ(c.learning[0].text, "crews photograph every missed bin");
  EXPECT_EQ(c.reassign_to, (config::Person{"Zed Other", "zed@example.test"}));
  EXPECT_EQ(c.advocate, (config::Person{"Carol Helper", "carol@example.net"}));
  EXPECT_EQ(c.final, Final::kRespond);
  EXPECT_EQ(c.text, "Dear customer,\nwe will collect on Tuesday.");
  EXPECT_EQ(c.commands.size(), 7U);
}

TEST(ManagerCommands, ExtensionsAcceptTheUsualWaysOfGivingAReason) {
  for (const char* line : {"extend 5 working days because the officer is away", "extend 5 working days - the officer is away",
                           "extend 5 working days, the officer is away", "EXTEND 5 WORKING DAYS: the officer is away"}) {
    const auto c = parse_manager_commands(line);
    ASSERT_TRUE(c.errors.empty()) << line;
    EXPECT_EQ(c.extend_by, (config::Duration{5, config::Duration::Unit::kWorkingDays})) << line;
    EXPECT_EQ(c.extend_reason, "the officer is away") << line;
  }
  const auto c = parse_manager_commands("extend 2 weeks");
  EXPECT_EQ(c.extend_by, (config::Duration{14, config::Duration::Unit::kDays}));
  EXPECT_EQ(c.extend_reason, "");  // the procedure decides whether a reason is required
}

TEST(ManagerCommands, AMistypedCommandIsAnErrorNotText) {
  for (const char* reply : {"extend soon: busy", "reassign to Bob", "complexity medium", "category",
                            "learning service delivery:", "advocate my neighbour", "respond\n\n", "note"}) {
    const auto c = parse_manager_commands(reply);
    EXPECT_FALSE(c.errors.empty()) << reply;
  }
  // A header injection in a name is no address.
  EXPECT_FALSE(parse_manager_commands("reassign to Bob\r <bob@example.test>").reassign_to);
}

TEST(ManagerCommands, NoteKeepsTheTextOnTheLineAndBelow) {
  auto c = parse_manager_commands("note: rang the customer, she is happy\nwith the new date");
  EXPECT_EQ(c.final, Final::kNote);
  EXPECT_EQ(c.text, "rang the customer, she is happy\nwith the new date");
  c = parse_manager_commands("\n\nNote\nrang the customer");
  EXPECT_EQ(c.final, Final::kNote);
  EXPECT_EQ(c.text, "rang the customer");
}

TEST(ManagerCommands, TextWithoutAFinalCommandIsANote) {
  const auto c = parse_manager_commands("complexity low\nI will look at this tomorrow.");
  EXPECT_EQ(c.complex, false);
  EXPECT_EQ(c.final, Final::kNone);
  EXPECT_EQ(c.text, "I will look at this tomorrow.");
  EXPECT_TRUE(parse_manager_commands("").empty());
}

TEST(ManagerCommands, TheHelpNamesEveryCommand) {
  const auto help = command_help();
  for (const char* word : {"respond", "resolve", "note", "extend", "reassign", "category", "complexity", "learning"})
    EXPECT_NE(help.find(word), std::string::npos) << word;
}

}  // namespace
}  // namespace complaintd::triage
