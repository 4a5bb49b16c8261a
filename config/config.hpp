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
  std::string url;         ///< imap://host:port or imaps://host:port
  std::string username;
  std::string password;    ///< from `password` or read from `password_file`; never logged
  std::string address;     ///< the address customers write to
  std::string folder = "INBOX";
  std::chrono::seconds poll_interval{60};
  std::optional<std::string> processed_folder;
  std::string tls_ca_file;  ///< extra CA bundle for imaps:// (e.g. a private CA)
  bool tls_verify = true;
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
struct ParserConfig {
  std::uint64_t max_message_size = 25u * 1024u * 1024u;  ///< bytes; larger: headers only
  std::size_t max_depth = 32;                            ///< MIME nesting levels
  std::size_t max_parts = 1000;                          ///< MIME parts in one message
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

/// "a@b" with a plausible local part and domain, no spaces, controls or angle brackets.
bool is_plausible_address(std::string_view address);

}  // namespace complaintd::config
