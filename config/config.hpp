#pragma once
// The typed configuration: one TOML file (docs/CONFIG.md). Loading validates everything
// up front so the daemon never meets a bad value at 3 a.m.; each error names the file,
// line and key.

#include <array>
#include <chrono>
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
  std::vector<std::chrono::year_month_day> holidays;
};

struct StageConfig {
  std::string name;
  Duration acknowledge_within{0, Duration::Unit::kWorkingDays};  ///< 0: by return
  Duration respond_within{20, Duration::Unit::kWorkingDays};
};

struct Config {
  std::filesystem::path source;  ///< the file it came from
  ServiceConfig service;
  std::vector<MailboxConfig> mailboxes;
  SmtpConfig smtp;
  CalendarConfig calendar;
  std::vector<StageConfig> stages;  ///< never empty after loading

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
