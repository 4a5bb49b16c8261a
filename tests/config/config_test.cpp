#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "tests/config/minimal_config.hpp"

namespace complaintd::config {
namespace {

namespace fs = std::filesystem;

using testing::kMinimal;

LoadResult parse(const std::string& text) { return parse_config(text, "/etc/complaintd/test.toml"); }

std::string errors_of(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += format_error(e) + "\n";
  return out;
}

std::string with(const std::string& from, const std::string& to);

TEST(Config, MinimalConfigGetsDefaults) {
  auto r = parse(kMinimal);
  ASSERT_TRUE(r.config) << errors_of(r);
  const auto& c = *r.config;
  EXPECT_EQ(c.service.name, "Test Council");
  EXPECT_EQ(c.service.database, fs::path("/etc/complaintd/state/complaintd.db"));
  EXPECT_EQ(c.service.letters, fs::path("/etc/complaintd/letters"));
  EXPECT_EQ(c.service.timezone, "UTC");
  EXPECT_EQ(c.service.reference_format, "CMP-{year}-{seq:06}");
  ASSERT_EQ(c.mailboxes.size(), 1u);
  EXPECT_EQ(c.mailboxes[0].folder, "INBOX");
  EXPECT_EQ(c.mailboxes[0].poll_interval, std::chrono::seconds(60));
  EXPECT_FALSE(c.mailboxes[0].processed_folder);
  EXPECT_TRUE(c.mailboxes[0].idle);
  EXPECT_EQ(c.smtp.from_name, "Test Council");
  ASSERT_EQ(c.stages.size(), 1u);
  EXPECT_EQ(c.stages[0].respond_within, (Duration{20, Duration::Unit::kWorkingDays}));
  const std::array<bool, 7> weekdays{true, true, true, true, true, false, false};
  EXPECT_EQ(c.calendar.working_days, weekdays);
}

TEST(Config, IdleCanBeTurnedOff) {
  auto r = parse(with("address = \"complaints@example.test\"", "address = \"complaints@example.test\"\nidle = false"));
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_FALSE(r.config->mailboxes[0].idle);
}

TEST(Config, APipeMailboxNeedsOnlyANameAndAnAddress) {
  // A site whose Postfix runs `complaintd ingest`: nothing to fetch, no IMAP account.
  auto r = parse(with("url = \"imap://127.0.0.1:10143\"\nusername = \"complaints@example.test\"\n"
                      "password = \"secret\"\n",
                      "delivery = \"pipe\"\n"));
  ASSERT_TRUE(r.config) << errors_of(r);
  ASSERT_EQ(r.config->mailboxes.size(), 1u);
  EXPECT_TRUE(r.config->mailboxes[0].by_pipe);
  EXPECT_EQ(r.config->mailboxes[0].address, "complaints@example.test");
  EXPECT_FALSE(parse(kMinimal).config->mailboxes[0].by_pipe);
}

TEST(Config, FullConfig) {
  auto r = parse(std::string(kMinimal) + R"(
[calendar]
working_days = ["mon", "tue", "wed", "thu", "friday"]
holidays = ["2026-12-25", 2026-12-28]

[[stage]]
name = "Stage 1"
acknowledge_within = "2 working days"
respond_within = "10 working days"

[[stage]]
respond_within = "20 working days"
)");
  ASSERT_TRUE(r.config) << errors_of(r);
  ASSERT_EQ(r.config->calendar.holidays.size(), 2u);
  EXPECT_EQ(r.config->calendar.holidays[1], std::chrono::year{2026} / 12 / 28);
  ASSERT_EQ(r.config->stages.size(), 2u);
  EXPECT_EQ(r.config->stages[0].acknowledge_within.count, 2);
  EXPECT_EQ(r.config->stages[1].name, "Stage 2");
}

TEST(Config, OwnAddressesAreLowerCaseAndUnique) {
  auto r = parse(with("from = \"complaints@example.test\"", "from = \"Complaints@Example.test\""));
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->own_addresses(), std::vector<std::string>{"complaints@example.test"});
}

struct BadCase {
  const char* name;
  std::string text;
  int line;
  const char* key;
  const char* message_part;
};

// ctest lists each case by name; without this gtest prints the struct's bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.key; }

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameTheKeyAndLine) {
  const auto& p = GetParam();
  auto r = parse(p.text);
  EXPECT_FALSE(r.config);
  ASSERT_FALSE(r.errors.empty());
  bool found = false;
  for (const auto& e : r.errors) {
    if (e.key == p.key && e.message.find(p.message_part) != std::string::npos) {
      found = true;
      if (p.line > 0) {
        EXPECT_EQ(e.line, p.line) << format_error(e);
      }
      EXPECT_EQ(e.file, "/etc/complaintd/test.toml");
    }
  }
  EXPECT_TRUE(found) << "wanted " << p.key << ": ..." << p.message_part << "... got:\n" << errors_of(r);
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kMinimal;
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        BadCase{"syntax", "[service\nname = 1", 1, "", "expected"},
        BadCase{"missing_service", "[[mailbox]]\nname='x'", 0, "service", "missing [service]"},
        BadCase{"missing_name", with("name = \"Test Council\"\n", ""), 0, "service.name", "missing"},
        BadCase{"typo", with("database =", "databse = \"x\"\ndatabase ="), 4, "service.databse", "did you mean \"database\""},
        BadCase{"unknown_table", std::string(kMinimal) + "\n[smpt]\nurl='x'\n", 0, "smpt", "did you mean \"smtp\""},
        BadCase{"bad_url", with("imap://127.0.0.1:10143", "http://127.0.0.1"), 8, "mailbox[1].url", "imap://"},
        BadCase{"pipe_with_imap_settings", with("name = \"complaints\"", "name = \"complaints\"\ndelivery = \"pipe\""),
                9, "mailbox[1].url", "only for delivery = \"imap\""},
        BadCase{"pipe_without_address",
                with("url = \"imap://127.0.0.1:10143\"\nusername = \"complaints@example.test\"\npassword = "
                     "\"secret\"\naddress = \"complaints@example.test\"\n", "delivery = \"pipe\"\n"),
                0, "mailbox[1].address", "missing"},
        BadCase{"unknown_delivery", with("name = \"complaints\"", "name = \"complaints\"\ndelivery = \"lmtp\""), 8,
                "mailbox[1].delivery", "\"imap\" or \"pipe\""},
        BadCase{"bad_smtp_url", with("smtp://127.0.0.1:10125", "imap://x"), 0, "smtp.url", "smtp://"},
        BadCase{"bad_address", with("address = \"complaints@example.test\"", "address = \"not an address\""), 11,
                "mailbox[1].address", "not an email address"},
        BadCase{"no_password", with("password = \"secret\"\n", ""), 0, "mailbox[1].password", "password_file"},
        BadCase{"both_passwords", with("password = \"secret\"", "password = \"a\"\npassword_file = \"b\""), 0,
                "mailbox[1].password_file", "not both"},
        BadCase{"missing_password_file", with("password = \"secret\"", "password_file = \"/nonexistent/pw\""), 10,
                "mailbox[1].password_file", "cannot read /nonexistent/pw"},
        BadCase{"bad_interval", with("address = \"complaints@example.test\"", "address = \"complaints@example.test\"\npoll_interval = \"often\""), 12,
                "mailbox[1].poll_interval", "must be seconds"},
        BadCase{"bad_idle", with("address = \"complaints@example.test\"", "address = \"complaints@example.test\"\nidle = \"no\""), 12,
                "mailbox[1].idle", ""},
        BadCase{"idle_typo", with("address = \"complaints@example.test\"", "address = \"complaints@example.test\"\nidel = false"), 12,
                "mailbox[1].idel", "did you mean \"idle\""},
        BadCase{"bad_timezone", with("name = \"Test Council\"", "name = \"T\"\ntimezone = \"Europe/Londn\""), 4,
                "service.timezone", "unknown time zone"},
        BadCase{"bad_reference_no_seq", with("name = \"Test Council\"", "name = \"T\"\nreference_format = \"CMP-{year}\""), 4,
                "service.reference_format", "exactly one {seq}"},
        BadCase{"bad_reference_placeholder", with("name = \"Test Council\"", "name = \"T\"\nreference_format = \"{day}-{seq}\""), 4,
                "service.reference_format", "unknown placeholder {day}"},
        BadCase{"bad_reference_char", with("name = \"Test Council\"", "name = \"T\"\nreference_format = \"C [{seq}]\""), 4,
                "service.reference_format", "not allowed"},
        BadCase{"bad_duration", std::string(kMinimal) + "\n[[stage]]\nrespond_within = \"twenty days\"\n", 18,
                "stage[1].respond_within", "bad duration"},
        BadCase{"bad_day", std::string(kMinimal) + "\n[calendar]\nworking_days = [\"mon\", \"funday\"]\n", 18,
                "calendar.working_days", "unknown day"},
        BadCase{"bad_holiday", std::string(kMinimal) + "\n[calendar]\nholidays = [\"2026-02-30\"]\n", 18,
                "calendar.holidays", "not a date"},
        BadCase{"mailbox_not_array", with("[[mailbox]]", "[mailbox]"), 0, "mailbox", "[[mailbox]]"},
        BadCase{"duplicate_mailbox", std::string(kMinimal) + R"(
[[mailbox]]
name = "complaints"
url = "imap://127.0.0.1:1"
username = "u"
password = "p"
address = "b@example.test"
)", 18, "mailbox[2].name", "duplicate"},
        BadCase{"wrong_type", with("name = \"Test Council\"", "name = 42"), 3, "service.name", "must be a string"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(Config, ReportsEveryErrorNotJustTheFirst) {
  auto r = parse(with("name = \"Test Council\"", "name = 1\ntimezone = \"Nowhere/Land\"\nlog_level = \"loud\""));
  EXPECT_GE(r.errors.size(), 3u) << errors_of(r);
}

TEST(Config, PasswordFileIsReadAndTrailingNewlineDropped) {
  const auto dir = fs::temp_directory_path() / ("complaintd-config-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "pw") << "s3cret\n";
  auto r = parse_config(with("password = \"secret\"", "password_file = \"pw\""), dir / "c.toml");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->mailboxes[0].password, "s3cret");
  fs::remove_all(dir);
}

TEST(Config, ErrorsNeverContainThePassword) {
  auto r = parse(with("password = \"secret\"", "password = \"hunter2\"\npasword = \"hunter2\""));
  for (const auto& e : r.errors) EXPECT_EQ(format_error(e).find("hunter2"), std::string::npos);
}

TEST(Config, AutoRepliesDefaultToTenADayAndReadEveryKey) {
  auto d = parse(kMinimal);
  ASSERT_TRUE(d.config) << errors_of(d);
  EXPECT_EQ(d.config->auto_replies.max_per_address, 10);
  EXPECT_EQ(d.config->auto_replies.within, (Duration{24, Duration::Unit::kHours}));
  auto r = parse(std::string(kMinimal) + "[auto_replies]\nmax_per_address = 3\nwithin = \"2 days\"\n");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->auto_replies.max_per_address, 3);
  EXPECT_EQ(r.config->auto_replies.within, (Duration{2, Duration::Unit::kDays}));
  auto off = parse(std::string(kMinimal) + "[auto_replies]\nmax_per_address = 0\n");
  ASSERT_TRUE(off.config) << errors_of(off);
  EXPECT_EQ(off.config->auto_replies.max_per_address, 0);
}

TEST(Config, AutoRepliesRefuseWhatIsNoWindow) {
  struct Bad {
    std::string toml, key;
  };
  for (const auto& b : {Bad{"max_per_address = -1", "auto_replies.max_per_address"},
                        Bad{"max_per_address = \"ten\"", "auto_replies.max_per_address"},
                        Bad{"within = \"5 working days\"", "auto_replies.within"},
                        Bad{"within = \"0 hours\"", "auto_replies.within"},
                        Bad{"within = \"31 days\"", "auto_replies.within"},
                        Bad{"within = \"soon\"", "auto_replies.within"},
                        Bad{"max_per_adress = 3", "auto_replies.max_per_adress"}}) {
    auto r = parse(std::string(kMinimal) + "[auto_replies]\n" + b.toml + "\n");
    EXPECT_FALSE(r.config) << b.toml;
    EXPECT_NE(errors_of(r).find(b.key), std::string::npos) << b.toml << "\n" << errors_of(r);
  }
}

TEST(Config, RepliesDefaultToAKeyInTheDatabaseAndPlusAddressing) {
  auto r = parse(kMinimal);
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->replies.secret, "");
  EXPECT_EQ(r.config->replies.delimiter, '+');
  EXPECT_FALSE(r.config->replies.require_authentication);
}

TEST(Config, RepliesReadEveryKey) {
  const auto dir = fs::temp_directory_path() / ("complaintd-replies-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "reply.secret") << "0123456789abcdef0123456789abcdef\n";
  auto r = parse_config(std::string(kMinimal) +
                            "[replies]\nsecret_file = \"reply.secret\"\ndelimiter = \"-\"\n"
                            "require_authentication = true\nauthserv_id = \"mx.example.test\"\n",
                        dir / "c.toml");
  fs::remove_all(dir);
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->replies.secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(r.config->replies.delimiter, '-');
  EXPECT_TRUE(r.config->replies.require_authentication);
  EXPECT_EQ(r.config->replies.authserv_id, "mx.example.test");
}

TEST(Config, RepliesRefuseWeakOrIncompleteSettingsAndNeverShowTheSecret) {
  struct Bad {
    std::string toml, key;
  };
  for (const auto& b : {Bad{"secret = \"short-one\"", "replies.secret"},
                        Bad{"secret = \"0123456789abcdef0123\"\nsecret_file = \"x\"", "replies.secret_file"},
                        Bad{"secret_file = \"/nonexistent/reply.secret\"", "replies.secret_file"},
                        Bad{"delimiter = \"++\"", "replies.delimiter"},
                        Bad{"delimiter = \"@\"", "replies.delimiter"},
                        Bad{"require_authentication = true", "replies.authserv_id"},
                        Bad{"sekret = \"0123456789abcdef0123\"", "replies.sekret"}}) {
    auto r = parse(std::string(kMinimal) + "[replies]\n" + b.toml + "\n");
    EXPECT_FALSE(r.config) << b.toml;
    const auto text = errors_of(r);
    EXPECT_NE(text.find(b.key), std::string::npos) << b.toml << "\n" << text;
    EXPECT_EQ(text.find("short-one"), std::string::npos) << text;
  }
}

TEST(Config, MissingFileIsAClearError) {
  auto r = load_config("/nonexistent/complaintd.toml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(format_error(r.errors[0]), "/nonexistent/complaintd.toml: cannot read the file");
}

TEST(Config, ShippedExamplesAreValid) {
  for (const auto& entry : fs::directory_iterator(fs::path(COMPLAINTD_SOURCE_DIR) / "examples")) {
    const auto file = entry.path() / "complaintd.toml";
    if (!fs::exists(file)) continue;
    auto text = load_config(file);
    // Examples point at password files that exist only on a real server.
    for (const auto& e : text.errors) {
      EXPECT_NE(e.message.find("cannot read"), std::string::npos) << format_error(e);
    }
  }
}

TEST(Address, Plausibility) {
  EXPECT_TRUE(is_plausible_address("alice@example.test"));
  EXPECT_TRUE(is_plausible_address("a.b+tag@mail.example.co.uk"));
  for (const char* bad : {"", "alice", "@example.test", "alice@", "alice@localhost", "a b@example.test",
                          "alice@example.test\r\nBcc: x@y.z", "<alice@example.test>", "alice@.example", "a@b@c.d"}) {
    EXPECT_FALSE(is_plausible_address(bad)) << bad;
  }
  // Every byte in the local part: controls, space, DEL and the specials other than '.' are
  // refused; everything else, UTF-8 included, is left to the server.
  const std::string_view specials = "<>(),;:\\\"[]";
  for (int u = 0; u < 256; ++u) {
    const char c = static_cast<char>(u);
    const bool banned = u <= 0x20 || u == 0x7F || specials.find(c) != std::string_view::npos;
    const std::string address = std::string("a") + c + "b@example.test";
    EXPECT_EQ(is_plausible_address(address), !banned && c != '@') << u;
  }
}

}  // namespace
}  // namespace complaintd::config
