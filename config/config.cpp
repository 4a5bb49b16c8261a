#include "config/config.hpp"

#include "config/auto_replies.hpp"
#include "config/parser_limits.hpp"
#include "config/procedure.hpp"
#include "config/triage_config.hpp"
#include "config/toml_reader.hpp"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace complaintd::config {
namespace {

namespace fs = std::filesystem;
using detail::Reader;
using detail::is_mail_url;
using detail::parse_interval;
using detail::parse_date;

bool is_known_timezone(const std::string& name) {
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(name)));
  if (!tz) return false;
  icu::UnicodeString id;
  tz->getID(id);
  // ICU answers unknown names with the "Etc/Unknown" zone rather than an error.
  return id != icu::UnicodeString("Etc/Unknown");
}

void validate_reference_format(Reader& r, const toml::node* n, const std::string& fmt) {
  std::size_t seq = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '{') {
      const auto close = fmt.find('}', i);
      if (close == std::string::npos) {
        r.error(n, "service.reference_format", "unclosed '{'");
        return;
      }
      const std::string token = fmt.substr(i + 1, close - i - 1);
      const bool seq_token = token == "seq" || (token.size() == 6 && token.rfind("seq:0", 0) == 0 &&
                                                token[5] >= '1' && token[5] <= '9');
      if (seq_token) ++seq;
      else if (token != "year" && token != "yy" && token != "month") {
        r.error(n, "service.reference_format",
                "unknown placeholder {" + token + "}; use {year}, {yy}, {month}, {seq} or {seq:06}");
        return;
      }
      i = close;
    } else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '/' || c == '_' || c == '.')) {
      // The reference travels in subjects as "[REF]": brackets, spaces or quotes would
      // make it ambiguous to find again in a reply.
      r.error(n, "service.reference_format",
              std::string("character '") + c + "' is not allowed; use letters, digits, - / _ .");
      return;
    }
  }
  if (seq != 1) r.error(n, "service.reference_format", "must contain exactly one {seq} or {seq:0N}");
}

}  // namespace

std::string format_error(const ConfigError& e) {
  std::string out = e.file;
  if (e.line > 0) out += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  out += ": ";
  if (!e.key.empty()) out += e.key + ": ";
  return out + e.message;
}

bool is_plausible_address(std::string_view a) {
  if (a.size() > 254) return false;
  // Controls, space, DEL and RFC 5322 specials other than '@' and '.' are refused, and
  // the one '@' found, in one look-up a byte: triage checks the reply address of every
  // message.
  enum : unsigned char { kOk, kBanned, kAt };
  static constexpr auto kClass = [] {
    std::array<unsigned char, 256> cls{};
    for (int u = 0; u <= 0x20; ++u) cls[static_cast<std::size_t>(u)] = kBanned;
    for (const char c : {'\x7F', '<', '>', '(', ')', ',', ';', ':', '\\', '"', '[', ']'}) cls[static_cast<unsigned char>(c)] = kBanned;
    cls['@'] = kAt;
    return cls;
  }();
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const unsigned char cls = kClass[static_cast<unsigned char>(a[i])];
    if (cls == kOk) continue;
    if (cls == kBanned || at != std::string_view::npos) return false;  // a second '@'
    at = i;
  }
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return false;
  const auto domain = a.substr(at + 1);
  return domain.find('.') != std::string_view::npos && domain.front() != '.' && domain.back() != '.';
}

const RoleConfig* Config::role(std::string_view name) const {
  for (const auto& r : roles)
    if (r.name == name) return &r;
  return nullptr;
}

std::string StageConfig::letter(std::string_view event) const {
  for (const auto& [e, t] : letters)
    if (e == event) return t;
  return std::string(event);
}

std::vector<std::string> Config::own_addresses() const {
  std::vector<std::string> out;
  out.push_back(smtp.from_address);
  for (const auto& m : mailboxes) out.push_back(m.address);
  for (auto& a : out) std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

LoadResult parse_config(std::string_view toml_text, const fs::path& path) {
  LoadResult result;
  const std::string file = path.string();
  Reader r(file, result.errors);
  toml::table doc;
  try {
    doc = toml::parse(toml_text, file);
  } catch (const toml::parse_error& e) {
    result.errors.push_back(ConfigError{file, static_cast<int>(e.source().begin.line),
                                        static_cast<int>(e.source().begin.column), "",
                                        std::string(e.description())});
    return result;
  }
  const fs::path base = path.has_parent_path() ? fs::absolute(path).parent_path() : fs::current_path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_relative() ? base / p : fs::path(p); };

  Config cfg;
  cfg.source = path;
  r.check_unknown(doc, "", {"service", "mailbox", "smtp", "calendar", "roles", "procedure", "stage",
                        "parser", "triage", "metrics", "replies", "auto_replies"});

  // [replies]
  if (const auto* n = doc.get("replies")) {
    if (const auto* t = n->as_table()) {
      r.check_unknown(*t, "replies", {"secret", "secret_file", "delimiter", "require_authentication", "authserv_id"});
      cfg.replies.secret = r.secret(*t, "replies", base, true, "secret", "secret_file");
      if ((t->contains("secret") || t->contains("secret_file")) && !cfg.replies.secret.empty() &&
          cfg.replies.secret.size() < 16) {
        r.error(t->contains("secret") ? t->get("secret") : t->get("secret_file"), "replies.secret",
                "too short to sign anything: use at least 16 random characters (e.g. `openssl rand -hex 32`)");
      }
      if (auto v = r.string(*t, "replies", "delimiter", false)) {
        if (v->size() == 1 && (*v == "+" || *v == "-" || *v == "_" || *v == "=")) cfg.replies.delimiter = (*v)[0];
        else r.error(t->get("delimiter"), "replies.delimiter", "must be one of \"+\", \"-\", \"_\" or \"=\" "
                                                               "(the mail server's recipient_delimiter)");
      }
      if (auto v = r.boolean(*t, "replies", "require_authentication")) cfg.replies.require_authentication = *v;
      cfg.replies.authserv_id = r.string(*t, "replies", "authserv_id", false).value_or("");
      if (cfg.replies.require_authentication && cfg.replies.authserv_id.empty())
        r.error(t, "replies.authserv_id",
                "require_authentication is set: name the receiving server whose Authentication-Results to trust");
    } else {
      r.error(n, "replies", "must be a table: [replies]");
    }
  }

  // [metrics]
  if (const auto* n = doc.get("metrics")) {
    if (const auto* m = n->as_table()) {
      r.check_unknown(*m, "metrics", {"listen"});
      if (auto v = r.string(*m, "metrics", "listen", true)) {
        // "127.0.0.1:9187" or "[::1]:9187": an address to bind, never a name to resolve.
        const auto colon = v->rfind(':');
        std::string host = colon == std::string::npos ? "" : v->substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        int port = 0;
        const auto digits = colon == std::string::npos ? "" : v->substr(colon + 1);
        const bool numeric = !digits.empty() && digits.size() <= 5 &&
                             std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); });
        if (numeric) port = std::stoi(digits);
        const bool ip = !host.empty() && host.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos;
        if (!ip || port < 1 || port > 65535) {
          r.error(m->get("listen"), "metrics.listen", "must be an IP address and port, like \"127.0.0.1:9187\"");
        } else {
          cfg.metrics.address = host;
          cfg.metrics.port = static_cast<unsigned short>(port);
        }
      }
    } else {
      r.error(n, "metrics", "must be a table: [metrics]");
    }
  }

  // [service]
  if (const auto* service = doc["service"].as_table()) {
    r.check_unknown(*service, "service",
                    {"name", "database", "timezone", "reference_format", "letters", "log_level"});
    if (auto v = r.string(*service, "service", "name", true)) cfg.service.name = *v;
    if (auto v = r.string(*service, "service", "database", true)) cfg.service.database = resolve(*v);
    if (auto v = r.string(*service, "service", "timezone", false)) {
      if (is_known_timezone(*v)) cfg.service.timezone = *v;
      else r.error(service->get("timezone"), "service.timezone", "unknown time zone \"" + *v + "\" (use an IANA name such as \"Europe/London\")");
    }
    if (auto v = r.string(*service, "service", "reference_format", false)) {
      validate_reference_format(r, service->get("reference_format"), *v);
      cfg.service.reference_format = *v;
    }
    cfg.service.letters = resolve(r.string(*service, "service", "letters", false).value_or("letters"));
    if (auto v = r.string(*service, "service", "log_level", false)) {
      static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
      if (levels.count(*v)) cfg.service.log_level = *v;
      else r.error(service->get("log_level"), "service.log_level", "must be one of trace, debug, info, warn, error");
    }
  } else {
    r.error(nullptr, "service", "missing [service] table");
  }

  // [[mailbox]]
  if (const auto* boxes = doc["mailbox"].as_array()) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < boxes->size(); ++i) {
      const std::string prefix = "mailbox[" + std::to_string(i + 1) + "]";
      const auto* t = (*boxes)[i].as_table();
      if (t == nullptr) {
        r.error(&(*boxes)[i], prefix, "must be a table ([[mailbox]])");
        continue;
      }
      r.check_unknown(*t, prefix, {"name", "delivery", "url", "username", "password", "password_file", "address",
                                   "folder", "poll_interval", "processed_folder", "tls_ca_file", "tls_verify",
                                   "idle"});
      MailboxConfig m;
      if (auto v = r.string(*t, prefix, "name", true)) {
        m.name = *v;
        if (!names.insert(*v).second) r.error(t->get("name"), prefix + ".name", "duplicate mailbox name \"" + *v + "\"");
      }
      if (auto v = r.string(*t, prefix, "delivery", false)) {
        if (*v == "pipe") m.by_pipe = true;
        else if (*v != "imap") r.error(t->get("delivery"), prefix + ".delivery", "must be \"imap\" or \"pipe\"");
      }
      if (m.by_pipe) {
        // Nothing is fetched: IMAP settings here would be a mistake someone believes in.
        for (const char* key : {"url", "username", "password", "password_file", "folder", "poll_interval",
                                "processed_folder", "tls_ca_file", "tls_verify", "idle"}) {
          if (t->contains(key))
            r.error(t->get(key), prefix + "." + key, "only for delivery = \"imap\": a pipe mailbox is not fetched");
        }
        if (auto v = r.string(*t, prefix, "address", true)) {
          if (is_plausible_address(*v)) m.address = *v;
          else r.error(t->get("address"), prefix + ".address", "not an email address: \"" + *v + "\"");
        }
        cfg.mailboxes.push_back(std::move(m));
        continue;
      }
      if (auto v = r.string(*t, prefix, "url", true)) {
        if (is_mail_url(*v, "imap", "imaps")) m.url = *v;
        else r.error(t->get("url"), prefix + ".url", "must start with imap:// or imaps://");
      }
      if (auto v = r.string(*t, prefix, "username", true)) m.username = *v;
      m.password = r.secret(*t, prefix, base, false);
      if (auto v = r.string(*t, prefix, "address", true)) {
        if (is_plausible_address(*v)) m.address = *v;
        else r.error(t->get("address"), prefix + ".address", "not an email address: \"" + *v + "\"");
      }
      if (auto v = r.string(*t, prefix, "folder", false)) m.folder = *v;
      if (const auto* n = t->get("poll_interval")) {
        if (auto s = parse_interval(*n)) m.poll_interval = *s;
        else r.error(n, prefix + ".poll_interval", "must be seconds (1 to 86400) or a string like \"30s\" or \"5 minutes\"");
      }
      if (auto v = r.string(*t, prefix, "processed_folder", false)) m.processed_folder = *v;
      if (auto v = r.string(*t, prefix, "tls_ca_file", false)) m.tls_ca_file = resolve(*v).string();
      if (auto v = r.boolean(*t, prefix, "tls_verify")) m.tls_verify = *v;
      if (auto v = r.boolean(*t, prefix, "idle")) m.idle = *v;
      cfg.mailboxes.push_back(std::move(m));
    }
    if (boxes->empty()) r.error(boxes, "mailbox", "at least one [[mailbox]] is required");
  } else if (doc.contains("mailbox")) {
    r.error(doc.get("mailbox"), "mailbox", "must be an array of tables: write [[mailbox]]");
  } else {
    r.error(nullptr, "mailbox", "at least one [[mailbox]] is required");
  }

  // [smtp]
  if (const auto* smtp = doc["smtp"].as_table()) {
    r.check_unknown(*smtp, "smtp", {"url", "username", "password", "password_file", "from", "from_name",
                                    "tls_ca_file", "tls_verify"});
    if (auto v = r.string(*smtp, "smtp", "url", true)) {
      if (is_mail_url(*v, "smtp", "smtps")) cfg.smtp.url = *v;
      else r.error(smtp->get("url"), "smtp.url", "must start with smtp:// or smtps://");
    }
    cfg.smtp.username = r.string(*smtp, "smtp", "username", false).value_or("");
    cfg.smtp.password = r.secret(*smtp, "smtp", base, true);
    if (!cfg.smtp.username.empty() && cfg.smtp.password.empty() && !smtp->contains("password") && !smtp->contains("password_file"))
      r.error(smtp, "smtp.password", "username is set: set password or password_file too");
    if (auto v = r.string(*smtp, "smtp", "from", true)) {
      if (is_plausible_address(*v)) cfg.smtp.from_address = *v;
      else r.error(smtp->get("from"), "smtp.from", "not an email address: \"" + *v + "\"");
    }
    cfg.smtp.from_name = r.string(*smtp, "smtp", "from_name", false).value_or(cfg.service.name);
    if (auto v = r.string(*smtp, "smtp", "tls_ca_file", false)) cfg.smtp.tls_ca_file = resolve(*v).string();
    if (auto v = r.boolean(*smtp, "smtp", "tls_verify")) cfg.smtp.tls_verify = *v;
  } else {
    r.error(nullptr, "smtp", "missing [smtp] table");
  }

  // [calendar]
  if (const auto* cal = doc["calendar"].as_table()) {
    r.check_unknown(*cal, "calendar", {"working_days", "holidays", "holidays_file", "cutoff"});
    if (const auto* n = cal->get("working_days")) {
      static constexpr std::array<std::string_view, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
      if (const auto* days = n->as_array()) {
        cfg.calendar.working_days.fill(false);
        for (const auto& d : *days) {
          std::string s = d.value<std::string>().value_or("");
          std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
          const auto it = std::find(kDays.begin(), kDays.end(), s.substr(0, 3));
          if (!d.is_string() || it == kDays.end() || (s.size() != 3 && s.size() < 6)) {
            r.error(&d, "calendar.working_days", "unknown day; use \"mon\" … \"sun\"");
            continue;
          }
          cfg.calendar.working_days[static_cast<std::size_t>(it - kDays.begin())] = true;
        }
        if (std::none_of(cfg.calendar.working_days.begin(), cfg.calendar.working_days.end(), [](bool b) { return b; }))
          r.error(n, "calendar.working_days", "at least one working day is required");
      } else {
        r.error(n, "calendar.working_days", "must be a list such as [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]");
      }
    }
    if (const auto* n = cal->get("holidays")) {
      if (const auto* list = n->as_array()) {
        for (const auto& h : *list) {
          if (auto d = parse_date(h)) cfg.calendar.holidays.push_back(*d);
          else r.error(&h, "calendar.holidays", "not a date; write 2026-12-25");
        }
        std::sort(cfg.calendar.holidays.begin(), cfg.calendar.holidays.end());
      } else {
        r.error(n, "calendar.holidays", "must be a list of dates");
      }
    }
    if (auto holidays_file = r.string(*cal, "calendar", "holidays_file", false)) {
      // One date per line; '#' starts a comment (examples/calendars/ ships bank holidays).
      const fs::path p = resolve(*holidays_file);
      // Bounded: a holidays file is a few hundred dates; /dev/zero or a wrong file must not hang.
      constexpr std::size_t kMaxHolidaysFile = 1 << 20;
      std::ifstream dates(p, std::ios::binary);
      if (!dates) r.error(cal->get("holidays_file"), "calendar.holidays_file", "cannot read " + p.string());
      std::string content(kMaxHolidaysFile + 1, '\0');
      dates.read(content.data(), static_cast<std::streamsize>(content.size()));
      content.resize(dates ? content.size() : static_cast<std::size_t>(std::max<std::streamsize>(0, dates.gcount())));
      if (content.size() > kMaxHolidaysFile) {
        r.error(cal->get("holidays_file"), "calendar.holidays_file", p.string() + " is not a list of dates (over 1 MB)");
        content.clear();
      }
      std::istringstream in(content);
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        line.erase(std::remove_if(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); }), line.end());
        if (line.empty()) continue;
        if (auto d = detail::parse_date_text(line)) cfg.calendar.holidays.push_back(*d);
        else r.error(cal->get("holidays_file"), "calendar.holidays_file",
                     p.string() + " line " + std::to_string(number) + ": not a date: \"" + line + "\"");
      }
    }
    std::sort(cfg.calendar.holidays.begin(), cfg.calendar.holidays.end());
    cfg.calendar.holidays.erase(std::unique(cfg.calendar.holidays.begin(), cfg.calendar.holidays.end()),
                                cfg.calendar.holidays.end());
    if (auto v = r.string(*cal, "calendar", "cutoff", false)) {
      unsigned h = 0, m = 0;
      char colon = 0;
      std::istringstream in(*v);
      in >> h >> colon >> m;
      if (in && colon == ':' && h < 24 && m < 60 && v->size() == 5) cfg.calendar.cutoff = std::chrono::minutes(h * 60 + m);
      else r.error(cal->get("cutoff"), "calendar.cutoff", "must be a local time like \"15:00\"");
    }
  }

  detail::read_procedure(r, doc, cfg);
  detail::read_parser(r, doc, cfg);
  detail::read_triage(r, doc, cfg);
  detail::read_auto_replies(r, doc, cfg);

  if (result.errors.empty()) result.config = std::move(cfg);
  return result;
}

LoadResult load_config(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back(ConfigError{path.string(), 0, 0, "", "cannot read the file"});
    return r;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_config(text, path);
}

}  // namespace complaintd::config
