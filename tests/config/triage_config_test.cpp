// [triage]: the rules a coordinator writes, and every mistake check-config names with its line.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/config/minimal_config.hpp"

namespace complaintd::config {
namespace {

const std::string kRoles = std::string(testing::kMinimal) + R"(
[roles]
coordinator = "Complaints Team <team@example.test>"
senior = "Duty Manager <duty@example.test>"
ceo = "Jane Doe <jane.doe@example.test>"
chair = "Chair of Trustees <chair@example.test>"
hr = "HR <hr@example.test>"

[procedure]
coordinator = "coordinator"
)";

LoadResult load(const std::string& extra) { return parse_config(kRoles + extra, "/etc/complaintd/complaintd.toml"); }

std::string errors_of(const LoadResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += format_error(e) + "\n";
  return s;
}

TEST(TriageConfig, AbsentMeansBuiltInRulesOnly) {
  const auto r = load("");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_TRUE(r.config->triage.builtin);
  EXPECT_TRUE(r.config->triage.categories.empty());
  EXPECT_EQ(r.config->triage.persistent.cases, 3);
}

TEST(TriageConfig, ReadsEveryKind) {
  const auto r = load(R"(
[triage]
complex_categories = 2
complex_words = 500

[triage.complexity]
keywords = ["Judicial Review"]

[[triage.category]]
name = "highways"
label = "Roads and pavements"
keywords = ["pothole*", "pavement"]
patterns = ['(?i)\bA\d{2,4}\b']

[[triage.out_of_scope]]
name = "schools"
keywords = ["head teacher", "school admission*"]
where = "Write to the school's governing body."

[[triage.complainant_type]]
name = "apprentice"
domains = ["learners.example.test"]
keywords = ["my apprenticeship"]

[[triage.route]]
name = "roads"
department = "Highways"
manager = "Hugh Ways <hugh@example.test>"
keywords = ["pothole*"]
mailboxes = ["complaints"]

[[triage.reviewer]]
role = "ceo"
names = ["the chief executive", "CEO"]
alternate = "chair"

[triage.flags.fast_track]
notify = "senior"

[triage.flags.staff_conduct]
notify = "hr"
department = "Human Resources"

[triage.flags.persistent]
cases = 4
messages = 12
within = "60 days"

[triage.intent.withdrawal]
keywords = ["call it a day"]
replace = true
)");
  ASSERT_TRUE(r.config) << errors_of(r);
  const auto& t = r.config->triage;
  EXPECT_EQ(t.complex_categories, 2);
  EXPECT_EQ(t.complex_words, 500);
  EXPECT_EQ(t.complexity.keywords, std::vector<std::string>{"judicial review"});
  ASSERT_EQ(t.categories.size(), 1u);
  EXPECT_EQ(t.categories[0].label, "Roads and pavements");
  EXPECT_EQ(t.categories[0].match.patterns.size(), 1u);
  ASSERT_EQ(t.out_of_scope.size(), 1u);
  EXPECT_EQ(t.out_of_scope[0].where, "Write to the school's governing body.");
  ASSERT_EQ(t.complainant_types.size(), 1u);
  EXPECT_EQ(t.complainant_types[0].match.domains, std::vector<std::string>{"learners.example.test"});
  ASSERT_EQ(t.routes.size(), 1u);
  ASSERT_TRUE(t.routes[0].manager.person);
  EXPECT_EQ(t.routes[0].manager.person->address, "hugh@example.test");
  ASSERT_EQ(t.reviewers.size(), 1u);
  EXPECT_EQ(t.reviewers[0].alternate.role, "chair");
  // The role holder's own name counts as naming them.
  EXPECT_NE(std::find(t.reviewers[0].names.begin(), t.reviewers[0].names.end(), "jane doe"), t.reviewers[0].names.end());
  EXPECT_EQ(t.fast_track.notify.role, "senior");
  EXPECT_EQ(t.staff_conduct.department, "Human Resources");
  EXPECT_EQ(t.persistent.cases, 4);
  EXPECT_EQ(t.persistent.within.count, 60);
  EXPECT_TRUE(t.withdrawal.replace);
}

struct BadCase {
  const char* name;
  const char* toml;
  int line;  ///< line within the snippet (1 = first line after the roles)
  const char* key;
  const char* message_part;
};

class BadTriage : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTriage, IsAnErrorWithItsLine) {
  const auto& c = GetParam();
  const auto r = load(c.toml);
  ASSERT_FALSE(r.config) << c.name;
  bool found = false;
  const int base = static_cast<int>(std::count(kRoles.begin(), kRoles.end(), '\n'));
  for (const auto& e : r.errors) {
    if (e.key == c.key && e.message.find(c.message_part) != std::string::npos) {
      EXPECT_EQ(e.line, base + c.line) << format_error(e);
      found = true;
    }
  }
  EXPECT_TRUE(found) << errors_of(r);
}

INSTANTIATE_TEST_SUITE_P(
    All, BadTriage,
    ::testing::Values(
        BadCase{"bad_pattern", "[triage]\n[[triage.category]]\nname = \"x\"\npatterns = ['(unclosed']\n", 4,
                "triage.category[1].patterns", "not an RE2 pattern"},
        BadCase{"keyword_with_regex", "[[triage.category]]\nname = \"x\"\nkeywords = [\"a|b\"]\n", 3,
                "triage.category[1].keywords", "not a keyword"},
        BadCase{"typo", "[triage]\ncomplex_word = 3\n", 2, "triage.complex_word", "did you mean \"complex_words\""},
        BadCase{"match_typo", "[[triage.category]]\nname = \"x\"\nkeyword = [\"a\"]\n", 3, "triage.category[1].keyword",
                "did you mean \"keywords\""},
        BadCase{"unknown_role", "[triage.flags.fast_track]\nnotify = \"duty_officer\"\n", 2,
                "triage.flags.fast_track.notify", "is not defined in [roles]"},
        BadCase{"bad_person", "[[triage.route]]\nname = \"r\"\ndepartment = \"D\"\nmanager = \"Bob <bob@>\"\nkeywords = [\"x\"]\n",
                4, "triage.route[1].manager", "not \"Name <address>\""},
        BadCase{"duplicate_category", "[[triage.category]]\nname = \"x\"\n[[triage.category]]\nname = \"x\"\n", 4,
                "triage.category[2].name", "duplicate category"},
        BadCase{"out_of_scope_needs_where", "[[triage.out_of_scope]]\nname = \"schools\"\nkeywords = [\"school\"]\n", 1,
                "triage.out_of_scope[1].where", "missing"},
        BadCase{"persistent_in_hours", "[triage.flags.persistent]\nwithin = \"5 hours\"\n", 2,
                "triage.flags.persistent.within", "days"},
        BadCase{"reviewer_without_alternate", "[[triage.reviewer]]\nrole = \"ceo\"\n", 1, "triage.reviewer[1].alternate",
                "missing"},
        BadCase{"bad_address", "[[triage.complainant_type]]\nname = \"client\"\naddresses = [\"not an address\"]\n", 3,
                "triage.complainant_type[1].addresses", "not an address"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace complaintd::config
