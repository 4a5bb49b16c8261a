#pragma once
// The typed configuration: one TOML file (docs/CONFIG.md). Loading validates everything
// up front so the daemon never meets a bad value at 3 a.m.; each error names the file,
// line and key.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/duration.hpp"

namespace complaintd::config {

struct ConfigError {
  std::string file;
  int line = 0;    ///< 1-based; 0 when the error is about the file as a whole
  int column = 0;
  std::string key;  ///< dotted path, e.g. "mailbox[1].url"
  std::string message;
};

/// "file:line:column: key: message" — what check-config prints.
std::string format_error(const ConfigError& e);

struct ServiceConfig {
  std::string name;
  std::filesystem::path database;     ///< absolute (resolved against the config's folder)
  std::string timezone = "UTC";       ///< IANA name, e.g. "Europe/London"
  std::string reference_format = "CMP-{year}-{seq:06}";
  std::filesystem::path letters;      ///< folder of letter templates, absolute
  std::string log_level = "info";
};

struct MailboxConfig {
  std::string name;
  /// delivery = "pipe": the mail server hands each message to `complaintd ingest` (Postfix
  /// pipe(8), like Request Tracker's mailgate) and nothing is fetched; only `name` and
  /// `address` apply. The address is still needed: replies and reply tokens use it.
  bool by_pipe = false;
  std::string url;         ///< imap://host:port or imaps://host:port
  std::string username;
  std::string password;    ///< from `password` or read from `password_file`; never logged
  std::string address;     ///< the address customers write to
  std::string folder = "INBOX";
  std::chrono::seconds poll_interval{60};
  std::optional<std::string> processed_folder;
  std::string tls_ca_file;  ///< extra CA bundle for imaps:// (e.g. a private CA)
  bool tls_verify = true;
  /// IMAP IDLE (RFC 2177) on a second connection: new mail is polled at once. Polling at
  /// poll_interval continues either way.
  bool idle = true;

  bool operator==(const MailboxConfig&) const = default;
};

struct SmtpConfig {
  std::string url;
  std::string username;
  std::string password;
  std::string from_address;  ///< envelope sender and From of every letter
  std::string from_name;     ///< display name; defaults to service.name
  std::string tls_ca_file;
  bool tls_verify = true;
};

struct CalendarConfig {
  /// Index 0 = Monday … 6 = Sunday (ISO 8601 order).
  std::array<bool, 7> working_days{true, true, true, true, true, false, false};
  std::vector<std::chrono::year_month_day> holidays;  ///< `holidays` and `holidays_file`, sorted
  /// Mail received at or after this local time counts from the next working day.
  std::optional<std::chrono::minutes> cutoff;
};

/// Someone letters go to: "Ann Smith <ann@example.org>" in the config.
struct Person {
  std::string name;
  std::string address;
  bool operator==(const Person&) const = default;
};

/// A named role (coordinator, head_of_service, …) and the people who hold it, in the order
/// they are chosen.
struct RoleConfig {
  std::string name;
  std::vector<Person> people;
};

/// The handler named by `handler` is the case's routed referral manager.
inline constexpr std::string_view kReferralManager = "referral_manager";

struct ReminderConfig {
  Duration first_after{5, Duration::Unit::kWorkingDays};  ///< after the stage opened
  Duration every{2, Duration::Unit::kWorkingDays};
  int at_most = 3;
  std::string copy_to;  ///< a role also told (e.g. the coordinator who chases), or empty
};

struct EscalationStep {
  Duration overdue_by;  ///< after the response deadline
  std::string role;
};

/// A letter to the customer when the response will be late: sent `before_due` the deadline
/// (or `after_due` it) while there is no response, naming the new expected date.
struct HoldingLetterConfig {
  Duration offset;
  bool before_due = true;
  Duration new_date_after{10, Duration::Unit::kWorkingDays};  ///< expected date = deadline + this
};

struct ExtensionConfig {
  Duration max{10, Duration::Unit::kWorkingDays};  ///< total of all extensions in the stage
  bool reason_required = true;
};

struct StageConfig {
  std::string name;
  std::string handler{kReferralManager};  ///< a role name or "referral_manager"
  /// Whoever handled an earlier stage of the case may not handle this one ("a Head of
  /// Service other than the stage 1 handler").
  bool distinct_handler = false;
  Duration acknowledge_within{0, Duration::Unit::kWorkingDays};  ///< 0: by return
  Duration respond_within{20, Duration::Unit::kWorkingDays};
  std::optional<Duration> respond_within_complex;  ///< for cases triaged as complex
  std::optional<ExtensionConfig> extension;         ///< unset: no extensions in this stage
  std::optional<ReminderConfig> reminders;
  std::vector<EscalationStep> escalation;           ///< in order of overdue_by
  std::optional<HoldingLetterConfig> holding_letter;
  /// How long after the response the customer may ask for the next stage (not on the last).
  std::optional<Duration> next_stage_within;
  std::string final_text;  ///< the last stage: where the customer can go next (the Ombudsman …)
  /// Letter template overrides for this stage: event → template name.
  std::vector<std::pair<std::string, std::string>> letters;

  /// The template used for `event` ("acknowledgement", "referral", …) in this stage.
  [[nodiscard]] std::string letter(std::string_view event) const;
};

/// What happens to a compliment or a comment: logged, thanked, and sent on to a role.
struct KindConfig {
  std::string forward_to;  ///< a role; empty: logged only
};

struct WithdrawalConfig {
  bool continue_serious = false;  ///< serious cases stay open for a person to decide
};

struct SurveyConfig {
  Duration after{6, Duration::Unit::kDays};
  double rate = 0.0;  ///< 0 … 1: the share of closed complaints that get one
};

struct ProcedureConfig {
  std::string name = "Complaints procedure";
  std::string coordinator;       ///< the role told about flags and unrouted mail
  std::string referral_manager;  ///< the role that handles "referral_manager" stages until routing names one
  std::string anonymous = "comment";  ///< what mail from nobody in particular becomes
  bool learning_required = false;     ///< a complaint cannot close until learning is recorded
  KindConfig compliment;
  KindConfig comment;
  WithdrawalConfig withdrawal;
  std::optional<SurveyConfig> survey;
};

/// [parser]: limits on one inbound message. Over a limit the raw message is still stored
/// and flagged for a person; only what lies beyond the limit goes unread.
/// `[metrics] listen = "127.0.0.1:9187"`: Prometheus text format at /metrics.
struct MetricsConfig {
  std::string address;  ///< an IP address; empty: no metrics
  unsigned short port = 0;
};

struct ParserConfig {
  std::uint64_t max_message_size = 25u * 1024u * 1024u;  ///< bytes; larger: headers only
  std::size_t max_depth = 32;                            ///< MIME nesting levels
  std::size_t max_parts = 1000;                          ///< MIME parts in one message
};

/// One rule of [triage] (docs/CONFIG.md): it fires when any of its criteria matches.
struct MatchRule {
  std::vector<std::string> keywords;   ///< words or phrases, any case, whole words; "assault*" is a prefix
  std::vector<std::string> patterns;   ///< RE2 patterns on the subject and the text
  std::vector<std::string> exclude;    ///< phrases (keyword syntax) that cancel a keyword match inside them
  std::vector<std::string> domains;    ///< the sender's domain; "example.org" covers "mail.example.org"
  std::vector<std::string> addresses;  ///< the sender's address
  std::vector<std::string> mailboxes;  ///< [[mailbox]] names the message came to
  bool replace = false;                ///< drop the built-in wording of this rule, use only this
  [[nodiscard]] bool empty() const {
    return keywords.empty() && patterns.empty() && domains.empty() && addresses.empty() && mailboxes.empty();
  }
};

/// Who a triage decision names: a role of [roles], or a person written out.
struct Target {
  std::string role;
  std::optional<Person> person;
  [[nodiscard]] bool empty() const { return role.empty() && !person; }
};

struct CategoryRule {
  std::string name;   ///< stored on the case, e.g. "service_delivery"
  std::string label;  ///< for people, e.g. "Service delivery"
  MatchRule match;
};

struct OutOfScopeRule {
  std::string name;
  std::string where;  ///< where to go instead, told to the customer (`{{where_to_go}}`)
  MatchRule match;
};

struct ComplainantTypeRule {
  std::string name;
  MatchRule match;
};

struct RouteRule {
  std::string name;
  std::string department;
  Target manager;  ///< the referral manager for cases this rule routes
  MatchRule match;
};

/// Someone who would review complaints and must not review one that names them.
struct ReviewerRule {
  std::string role;                ///< the role they hold
  std::vector<std::string> names;  ///< how a complaint may name them ("Jane Doe", "the Chief Executive")
  Target alternate;                ///< who reviews instead
};

struct FlagRule {
  MatchRule match;
  Target notify;           ///< told at once (besides the coordinator)
  std::string department;  ///< when set, the flag routes the case there (to `notify`) unless a route fired
};

struct PersistentRule {
  int cases = 3;      ///< this many cases from one sender within `within` (this one included)
  int messages = 10;  ///< or this many messages
  Duration within{90, Duration::Unit::kDays};
};

/// [triage]: built-in English wording, extended or overridden by the config.
struct TriageConfig {
  bool builtin = true;  ///< false: only the rules written here
  std::vector<CategoryRule> categories;
  MatchRule complexity;
  int complex_categories = 3;  ///< this many categories make a complaint complex (0: never)
  int complex_words = 800;     ///< a message this long is complex (0: never)
  std::vector<OutOfScopeRule> out_of_scope;
  std::vector<ComplainantTypeRule> complainant_types;
  std::vector<RouteRule> routes;
  std::vector<ReviewerRule> reviewers;
  FlagRule unacceptable_behaviour, fast_track, staff_conduct, personal_data;
  PersistentRule persistent;
  MatchRule compliment, comment, next_stage, withdrawal, anonymous;
};

/// [replies]: how staff act on cases by email (docs/REPLIES.md).
struct RepliesConfig {
  /// The HMAC key of reply tokens; empty: a random key kept in the database (made on first use).
  std::string secret;  ///< never logged
  char delimiter = '+';  ///< the mail server's recipient_delimiter (Postfix), for "complaints+token@"
  /// Staff replies act only with DKIM or SPF pass in Authentication-Results from `authserv_id`.
  bool require_authentication = false;
  std::string authserv_id;
};

/// [auto_replies]: how many automatic answers one address may get (docs/CONFIG.md). An
/// auto-responder without RFC 3834 headers, or a script, that writes back to every letter
/// would otherwise get a letter for each of its messages for ever.
struct AutoRepliesConfig {
  int max_per_address = 10;                         ///< 0: no limit
  Duration within{24, Duration::Unit::kHours};      ///< a rolling window, in hours or days
};

struct Config {
  std::filesystem::path source;  ///< the file it came from
  ServiceConfig service;
  std::vector<MailboxConfig> mailboxes;
  SmtpConfig smtp;
  CalendarConfig calendar;
  std::vector<RoleConfig> roles;
  ProcedureConfig procedure;
  std::vector<StageConfig> stages;  ///< never empty after loading
  ParserConfig parser;
  TriageConfig triage;
  MetricsConfig metrics;
  RepliesConfig replies;
  AutoRepliesConfig auto_replies;

  /// The role called `name`, if configured.
  [[nodiscard]] const RoleConfig* role(std::string_view name) const;

  /// Every address complaintd sends from or receives at: mail from these is never answered.
  [[nodiscard]] std::vector<std::string> own_addresses() const;
};

struct LoadResult {
  std::optional<Config> config;         ///< set when there were no errors
  std::vector<ConfigError> errors;
};

/// Parses TOML text; `path` names it in errors and anchors relative paths. Reads the
/// files the config refers to (password_file) and no others.
LoadResult parse_config(std::string_view toml_text, const std::filesystem::path& path);

/// Reads and parses `path`.
LoadResult load_config(const std::filesystem::path& path);

/// "Ann Smith <ann@example.org>", "\"Smith, Ann\" <ann@example.org>" or "ann@example.org";
/// nullopt when the address is not plausible or the text holds a control character.
std::optional<Person> parse_person(std::string_view text);

/// "a@b" with a plausible local part and domain, no spaces, controls or angle brackets.
bool is_plausible_address(std::string_view address);

}  // namespace complaintd::config
