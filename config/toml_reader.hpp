#pragma once
// Reading TOML with errors collected, not thrown: every lookup records where it failed
// (file, line, key) and which keys were known, so check-config reports everything at once.
// Internal to config/.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "config/config.hpp"
#include "config/duration.hpp"

namespace complaintd::config::detail {

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

class Reader {
 public:
  Reader(std::string file, std::vector<ConfigError>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const toml::node* node, const std::string& key, std::string message) {
    ConfigError e{file_, 0, 0, key, std::move(message)};
    if (node != nullptr) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    errors_.push_back(std::move(e));
  }

  /// Reports keys of `table` not in `known`.
  void check_unknown(const toml::table& table, const std::string& prefix,
                     std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : table) {
      const std::string_view key = k.str();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string message = "unknown key";
      std::string_view best;
      std::size_t best_d = 3;
      for (auto candidate : known) {
        const auto d = edit_distance(key, candidate);
        if (d < best_d) { best_d = d; best = candidate; }
      }
      if (!best.empty()) message += "; did you mean \"" + std::string(best) + "\"?";
      error(&v, join(prefix, key), message);
    }
  }

  static std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

  std::optional<std::string> string(const toml::table& t, const std::string& prefix, std::string_view key,
                                    bool required) {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) error(&t, join(prefix, key), "missing (required)");
      return std::nullopt;
    }
    if (auto s = n->value<std::string>(); s && n->is_string()) return *s;
    error(n, join(prefix, key), "must be a string");
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::table& t, const std::string& prefix, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (n->is_boolean()) return n->as_boolean()->get();
    error(n, join(prefix, key), "must be true or false");
    return std::nullopt;
  }

  std::optional<Duration> duration(const toml::table& t, const std::string& prefix, std::string_view key) {
    auto s = string(t, prefix, key, false);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) {
      error(t.get(key), join(prefix, key), d.error().message);
      return std::nullopt;
    }
    return *d;
  }

  /// `password` or `password_file` (exactly one, or neither when `optional`); other
  /// secrets name their keys (`secret` / `secret_file`).
  std::string secret(const toml::table& t, const std::string& prefix, const std::filesystem::path& base, bool optional,
                     const std::string& key = "password", const std::string& file_key = "password_file") {
    const auto inline_pw = string(t, prefix, key, false);
    const auto file = string(t, prefix, file_key, false);
    if (inline_pw && file) {
      error(t.get(file_key), join(prefix, file_key), "set " + key + " or " + file_key + ", not both");
      return {};
    }
    if (inline_pw) return *inline_pw;
    if (file) {
      std::filesystem::path p = *file;
      if (p.is_relative()) p = base / p;
      std::ifstream in(p, std::ios::binary);
      if (!in) {
        error(t.get(file_key), join(prefix, file_key), "cannot read " + p.string());
        return {};
      }
      // Bounded: a password_file pointing at /dev/zero or a log must not hang check-config.
      constexpr std::size_t kMaxSecret = 4096;
      std::string pw(kMaxSecret + 1, '\0');
      in.read(pw.data(), static_cast<std::streamsize>(pw.size()));
      pw.resize(static_cast<std::size_t>(in.gcount()));
      if (pw.size() > kMaxSecret) {
        error(t.get(file_key), join(prefix, file_key),
              p.string() + " is longer than " + std::to_string(kMaxSecret) + " bytes: not a " + key + " file");
        return {};
      }
      // A trailing newline from `echo secret > file` is not part of the password.
      while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
      return pw;
    }
    if (!optional) error(&t, join(prefix, key), "missing: set " + key + " or " + file_key);
    return {};
  }

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

/// "imap://…" or "imaps://…" style check with the two schemes given.
bool is_mail_url(std::string_view url, std::string_view plain, std::string_view tls);
/// Seconds as an integer (1 to 86400) or a string like "30s" / "5 minutes".
std::optional<std::chrono::seconds> parse_interval(const toml::node& n);
/// A TOML date or a "2026-12-25" string.
std::optional<std::chrono::year_month_day> parse_date(const toml::node& n);
/// "2026-12-25" text.
std::optional<std::chrono::year_month_day> parse_date_text(const std::string& s);

}  // namespace complaintd::config::detail
