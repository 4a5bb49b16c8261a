// [roles], [procedure] and [[stage]]: what a procedure author writes, and every mistake
// check-config must name with its line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "config/procedure.hpp"
#include "tests/config/minimal_config.hpp"

namespace complaintd::config {
namespace {

namespace fs = std::filesystem;

const std::string kBase = testing::kMinimal;

const std::string kCouncil = kBase + R"(
[calendar]
cutoff = "15:00"

[roles]
coordinator = "Complaints Team <team@example.test>"
investigator = "Ivy Investigator <ivy@example.test>"
head_of_service = ["Ann Head <ann@example.test>", "\"Bee, Bob\" <bob@example.test>"]
director = "dir@example.test"

[procedure]
name = "Corporate complaints"
coordinator = "coordinator"
referral_manager = "investigator"
learning_required = true
compliment = { forward_to = "coordinator" }
comment = { forward_to = "coordinator" }
withdrawal = { continue_serious = true }
survey = { after = "6 weeks", rate = 0.25 }

[[stage]]
name = "Stage 1"
acknowledge_within = "5 working days"
respond_within = "20 working days"
respond_within_complex = "30 working days"
next_stage_within = "20 working days"
extension = { max = "10 working days" }
reminders = { first_after = "15 working days", every = "2 working days", at_most = 2, copy_to = "coordinator" }
holding_letter = { before_due = "2 working days", new_date_after = "10 working days" }
letters = { acknowledgement = "stage1-acknowledgement" }

[[stage.escalation]]
overdue_by = "0 working days"
to = "head_of_service"

[[stage.escalation]]
overdue_by = "5 working days"
to = "director"

[[stage]]
name = "Stage 2"
handler = "head_of_service"
distinct_handler = true
respond_within = "10 working days"
final_text = "You may ask the Local Government and Social Care Ombudsman to look at it."
)";

LoadResult parse(const std::string& text) { return parse_config(text, "/etc/complaintd/test.toml"); }

std::string errors_of(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += format_error(e) + "\n";
  return out;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(Procedure, CouncilReadsCompletely) {
  const auto r = parse(kCouncil);
  ASSERT_TRUE(r.config) << errors_of(r);
  const auto& c = *r.config;
  EXPECT_EQ(c.calendar.cutoff, std::chrono::minutes(15 * 60));
  ASSERT_EQ(c.roles.size(), 4u);
  const auto* hos = c.role("head_of_service");
  ASSERT_NE(hos, nullptr);
  ASSERT_EQ(hos->people.size(), 2u);
  EXPECT_EQ(hos->people[1], (Person{"Bee, Bob", "bob@example.test"}));
  EXPECT_EQ(c.role("director")->people[0], (Person{"", "dir@example.test"}));
  EXPECT_EQ(c.procedure.name, "Corporate complaints");
  EXPECT_EQ(c.procedure.referral_manager, "investigator");
  EXPECT_TRUE(c.procedure.learning_required);
  EXPECT_EQ(c.procedure.compliment.forward_to, "coordinator");
  EXPECT_TRUE(c.procedure.withdrawal.continue_serious);
  ASSERT_TRUE(c.procedure.survey);
  EXPECT_DOUBLE_EQ(c.procedure.survey->rate, 0.25);
  EXPECT_EQ(c.procedure.survey->after, (Duration{42, Duration::Unit::kDays}));

  ASSERT_EQ(c.stages.size(), 2u);
  const auto& s1 = c.stages[0];
  EXPECT_EQ(s1.handler, "referral_manager");
  EXPECT_EQ(s1.respond_within_complex, (Duration{30, Duration::Unit::kWorkingDays}));
  ASSERT_TRUE(s1.extension);
  EXPECT_TRUE(s1.extension->reason_required);
  ASSERT_TRUE(s1.reminders);
  EXPECT_EQ(s1.reminders->at_most, 2);
  EXPECT_EQ(s1.reminders->copy_to, "coordinator");
  ASSERT_EQ(s1.escalation.size(), 2u);
  EXPECT_EQ(s1.escalation[1].role, "director");
  ASSERT_TRUE(s1.holding_letter);
  EXPECT_TRUE(s1.holding_letter->before_due);
  EXPECT_EQ(s1.letter("acknowledgement"), "stage1-acknowledgement");
  EXPECT_EQ(s1.letter("referral"), "referral");
  const auto& s2 = c.stages[1];
  EXPECT_EQ(s2.handler, "head_of_service");
  EXPECT_TRUE(s2.distinct_handler);
  EXPECT_FALSE(s2.next_stage_within);
  EXPECT_NE(s2.final_text.find("Ombudsman"), std::string::npos);
}

struct BadCase {
  const char* from;
  const char* to;
  const char* key;
  const char* message;
};

// ctest lists each case by name; without this gtest prints the struct's bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.key; }

class ProcedureErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ProcedureErrors, NamesKeyLineAndReason) {
  const auto& p = GetParam();
  const auto r = parse(replaced(kCouncil, p.from, p.to));
  ASSERT_FALSE(r.config) << p.to;
  const auto text = errors_of(r);
  EXPECT_NE(text.find(p.key), std::string::npos) << text;
  EXPECT_NE(text.find(p.message), std::string::npos) << text;
  for (const auto& e : r.errors) EXPECT_GT(e.line, 0) << format_error(e);
}

INSTANTIATE_TEST_SUITE_P(
    All, ProcedureErrors,
    ::testing::Values(
        BadCase{"to = \"director\"", "to = \"directr\"", "stage[1].escalation[2].to", "role \"directr\" is not defined"},
        BadCase{"handler = \"head_of_service\"", "handler = \"heads\"", "stage[2].handler", "not defined in [roles]"},
        BadCase{"referral_manager = \"investigator\"", "referral_manager = \"nobody\"", "procedure.referral_manager",
                "not defined"},
        BadCase{"director = \"dir@example.test\"", "director = \"Dir <not an address>\"", "roles.director",
                "not \"Name <address>\""},
        BadCase{"director = \"dir@example.test\"", "director = []", "roles.director", "names nobody"},
        BadCase{"director = \"dir@example.test\"", "Director = \"dir@example.test\"", "roles.Director",
                "lower case"},
        BadCase{"rate = 0.25", "rate = 1.5", "procedure.survey.rate", "from 0 to 1"},
        BadCase{"after = \"6 weeks\"", "after = \"6 fortnights\"", "procedure.survey.after", ""},
        BadCase{"at_most = 2", "at_most = 0", "stage[1].reminders.at_most", "from 1 to 100"},
        BadCase{"first_after = \"15 working days\", ", "", "stage[1].reminders.first_after", "missing"},
        BadCase{"before_due = \"2 working days\"", "before_due = \"2 working days\", after_due = \"1 day\"",
                "stage[1].holding_letter", "exactly one"},
        BadCase{"extension = { max = \"10 working days\" }", "extension = { mx = \"10 working days\" }",
                "stage[1].extension.mx", "did you mean \"max\""},
        BadCase{"cutoff = \"15:00\"", "cutoff = \"3pm\"", "calendar.cutoff", "like \"15:00\""},
        BadCase{"respond_within = \"10 working days\"",
                "respond_within = \"10 working days\"\nnext_stage_within = \"5 days\"", "stage[2].next_stage_within",
                "the last stage has no next stage"},
        BadCase{"name = \"Stage 2\"", "name = \"Stage 1\"", "stage[2].name", "duplicate stage name"},
        BadCase{"letters = { acknowledgement", "letters = { acknowledgment", "stage[1].letters.acknowledgment",
                "did you mean \"acknowledgement\""},
        BadCase{"learning_required = true", "learning_required = \"yes\"", "procedure.learning_required",
                "true or false"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return "Case" + std::to_string(i.index); });

TEST(Procedure, AnonymousMustBeCommentOrComplaint) {
  const auto r = parse(replaced(kCouncil, "learning_required = true", "learning_required = true\nanonymous = \"ignore\""));
  ASSERT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find("procedure.anonymous"), std::string::npos);
}

TEST(Procedure, ReferralStageNeedsSomeoneToFallBackOn) {
  auto text = replaced(kCouncil, "coordinator = \"coordinator\"\n", "");
  text = replaced(text, "referral_manager = \"investigator\"\n", "");
  text = replaced(text, "copy_to = \"coordinator\"", "copy_to = \"director\"");
  text = replaced(text, "compliment = { forward_to = \"coordinator\" }\n", "");
  text = replaced(text, "comment = { forward_to = \"coordinator\" }\n", "");
  const auto r = parse(text);
  ASSERT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find("stage[1].handler: a referral_manager stage needs"), std::string::npos) << errors_of(r);
}

TEST(Procedure, NoStagesMeansOneDefaultStage) {
  const auto r = parse(kBase);
  ASSERT_TRUE(r.config) << errors_of(r);
  ASSERT_EQ(r.config->stages.size(), 1u);
  EXPECT_EQ(r.config->stages[0].name, "Stage 1");
  EXPECT_TRUE(r.config->roles.empty());
}

TEST(Procedure, HolidaysFileIsMergedSortedAndChecked) {
  const fs::path dir = fs::temp_directory_path() / "complaintd-holidays-test";
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "holidays.txt");
    f << "# England and Wales\n2026-12-28   # Boxing Day (substitute)\n\n2026-12-25\n";
  }
  const auto text = kBase + "\n[calendar]\nholidays = [\"2026-12-25\", \"2027-01-01\"]\nholidays_file = \"holidays.txt\"\n";
  auto r = parse_config(text, dir / "c.toml");
  ASSERT_TRUE(r.config) << errors_of(r);
  using namespace std::chrono;
  const std::vector<year_month_day> want{2026y / December / 25, 2026y / December / 28, 2027y / January / 1};
  EXPECT_EQ(r.config->calendar.holidays, want);

  {
    std::ofstream f(dir / "holidays.txt");
    f << "2026-12-25\nChristmas\n";
  }
  r = parse_config(text, dir / "c.toml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find("line 2: not a date: \"Christmas\""), std::string::npos) << errors_of(r);
  r = parse_config(kBase + "\n[calendar]\nholidays_file = \"missing.txt\"\n", dir / "c.toml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(errors_of(r).find("cannot read"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Procedure, ShippedBankHolidaysFileReads) {
  const fs::path file = fs::path(COMPLAINTD_SOURCE_DIR) / "examples/calendars/england-and-wales.txt";
  const auto r = parse_config(kBase + "\n[calendar]\nholidays_file = \"" + file.string() + "\"\n", "/tmp/c.toml");
  ASSERT_TRUE(r.config) << errors_of(r);
  // Eight a year, 2025 to 2028.
  EXPECT_EQ(r.config->calendar.holidays.size(), 32u);
}

TEST(Person, ParsesTheUsualForms) {
  using detail::parse_person;
  EXPECT_EQ(parse_person("Ann <ann@example.test>"), (Person{"Ann", "ann@example.test"}));
  EXPECT_EQ(parse_person("  \"Smith, Ann\"   <ann@example.test> "), (Person{"Smith, Ann", "ann@example.test"}));
  EXPECT_EQ(parse_person("ann@example.test"), (Person{"", "ann@example.test"}));
  EXPECT_FALSE(parse_person("Ann"));
  EXPECT_FALSE(parse_person("Ann <ann@example.test"));
  EXPECT_FALSE(parse_person("Ann <>"));
  EXPECT_FALSE(parse_person("Ann\r\nBcc: x@y.z <ann@example.test>"));
}

}  // namespace
}  // namespace complaintd::config

namespace complaintd::config {
namespace {

TEST(Metrics, ListenIsAnAddressAndAPort) {
  auto ok = parse_config(kBase + "\n[metrics]\nlisten = \"127.0.0.1:9187\"\n", "/etc/complaintd/c.toml");
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->metrics.address, "127.0.0.1");
  EXPECT_EQ(ok.config->metrics.port, 9187);
  auto v6 = parse_config(kBase + "\n[metrics]\nlisten = \"[::1]:9187\"\n", "/etc/complaintd/c.toml");
  ASSERT_TRUE(v6.config);
  EXPECT_EQ(v6.config->metrics.address, "::1");
  for (const char* bad : {"localhost:9187", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x"}) {
    auto r = parse_config(kBase + "\n[metrics]\nlisten = \"" + bad + "\"\n", "/etc/complaintd/c.toml");
    ASSERT_FALSE(r.config) << bad;
    EXPECT_EQ(r.errors[0].key, "metrics.listen");
    EXPECT_GT(r.errors[0].line, 0);
  }
  EXPECT_TRUE(parse_config(kBase, "/etc/complaintd/c.toml").config->metrics.address.empty());  // off by default
}

}  // namespace
}  // namespace complaintd::config

namespace complaintd::config {
namespace {

TEST(Files, AWrongFileIsAnErrorNotAHang) {
  auto r = parse_config(kBase + "\n[calendar]\nholidays_file = \"/dev/zero\"\n", "/etc/complaintd/c.toml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.errors[0].message.find("not a list of dates"), std::string::npos) << r.errors[0].message;
  std::string text = kBase;
  text.replace(text.find("password = \"secret\""), std::string("password = \"secret\"").size(),
               "password_file = \"/dev/zero\"");
  r = parse_config(text, "/etc/complaintd/c.toml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.errors[0].message.find("not a password file"), std::string::npos) << r.errors[0].message;
}

}  // namespace
}  // namespace complaintd::config
