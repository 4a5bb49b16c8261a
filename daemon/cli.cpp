// complaintd's command line (CLI11). main() only parses arguments and dispatches; each
// subcommand is a function returning a sysexits.h code (docs/OPERATIONS.md).

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common/json.hpp"
#include "daemon/app.hpp"
#include "daemon/ingest.hpp"
#include "daemon/logging.hpp"
#include "daemon/quarantine.hpp"
#include "daemon/report_data.hpp"
#include "daemon/message_json.hpp"
#include "daemon/parse_limits.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "daemon/triage_report.hpp"
#include "outbound/letter.hpp"
#include "parser/parse.hpp"
#include "triage/classify.hpp"

#ifndef COMPLAINTD_VERSION
#define COMPLAINTD_VERSION "0.0.0"
#endif

namespace complaintd::daemon {
namespace {

constexpr const char* kDefaultConfig = "/etc/complaintd/complaintd.toml";

std::shared_ptr<const Runtime> load_or_report(const std::string& path) {
  std::vector<std::string> errors;
  auto rt = Runtime::load(path, errors);
  if (!rt) {
    for (const auto& e : errors) std::cerr << e << "\n";
    if (errors.empty()) std::cerr << rt.error().message << "\n";
    return nullptr;
  }
  return *rt;
}

// An instant option (tick, report and cases list take --at): "" is now, anything else must
// parse, or the command is a usage error.
bool read_instant(const std::string& text, std::optional<triage::Instant>& out) {
  if (text.empty()) return true;
  auto parsed = triage::parse_iso_instant(text);
  if (!parsed) {
    std::cerr << "--at: " << parsed.error().message << "\n";
    return false;
  }
  out = *parsed;
  return true;
}

triage::Instant now_in_seconds() { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string read_stdin() {
  std::ios::sync_with_stdio(false);
  std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return data;
}

int cmd_run(const std::string& config_path, bool once) {
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  init_logging(rt->config.service.log_level);
  RunOptions options;
  options.once = once;
  options.config_path = config_path;
  return run_daemon(rt, options);
}

int cmd_tick(const std::string& config_path, const std::string& at_text) {
  std::optional<triage::Instant> at;
  if (at_text.empty()) std::cerr << "--at: an instant is required\n";
  if (at_text.empty() || !read_instant(at_text, at)) return kExitUsage;
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  init_logging(rt->config.service.log_level);
  RunOptions options;
  options.tick_at = *at;
  return run_daemon(rt, options);
}

int cmd_check_config(const std::string& config_path) {
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  std::cout << config_path << ": OK (" << rt->config.mailboxes.size() << " mailbox(es), " << rt->config.stages.size()
            << " stage(s), time zone " << rt->config.service.timezone << ")\n";
  return kExitOk;
}

// Every failure is EX_TEMPFAIL: the MTA keeps the message and retries. Any other code
// makes Postfix's pipe(8) bounce the complaint to the customer (EX_CONFIG, EX_SOFTWARE,
// CLI11's usage codes), e.g. while an administrator's edit of the configuration is broken.
int cmd_ingest(const std::string& config_path) {
  auto rt = load_or_report(config_path);
  if (!rt) return kExitTempFail;
  init_logging(rt->config.service.log_level);
  const std::string raw = read_stdin();
  if (!std::cin.eof() && std::cin.fail()) {
    spdlog::error("event=ingest-failed error=\"cannot read standard input\"");
    return kExitTempFail;
  }
  auto store = store::Store::open(rt->config.service.database.string());
  if (!store) {
    // EX_TEMPFAIL makes the MTA keep the message and retry (like RT's mailgate).
    spdlog::error("event=ingest-failed database={} error=\"{}\"", rt->config.service.database.string(),
                  store.error().message);
    return kExitTempFail;
  }
  const auto now = now_in_seconds();
  auto outcome = ingest_guarded(**store, *rt, store::MessageLocation{}, raw, now);
  if (!outcome && !is_storage_failure(outcome.error())) {
    // Stored in quarantine is stored: the MTA must not retry a message that will fail the
    // same way every time.
    if (auto q = quarantine_message(**store, store::MessageLocation{}, raw, outcome.error().message, now); q)
      return kExitOk;
  }
  if (!outcome) {
    spdlog::error("event=ingest-failed error=\"{}\"", outcome.error().message);
    return kExitTempFail;
  }
  spdlog::info("event=ingested outcome={} case={} reason=\"{}\"", to_string(outcome->kind),
               outcome->reference.empty() ? "-" : outcome->reference, outcome->reason);
  return kExitOk;
}

int cmd_parse(const std::string& config_path) {
  // Without --config: the default limits (a coordinator wants to see everything); with it,
  // the site's own [parser] limits, to see what the daemon saw.
  parser::ParseLimits limits;
  if (!config_path.empty()) {
    auto rt = load_or_report(config_path);
    if (!rt) return kExitConfig;
    limits = parse_limits(rt->config.parser);
  }
  std::cout << message_json(parser::parse(read_stdin(), limits));
  return kExitOk;
}

int cmd_explain(const std::string& config_path, const std::string& format, const std::string& mailbox) {
  if (format != "text" && format != "json") {
    std::cerr << "--format: text or json\n";
    return kExitUsage;
  }
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  const auto msg = parser::parse(read_stdin(), parse_limits(rt->config.parser));
  // Nothing is read from or written to the database: a reference of the right format in
  // the subject or the text is taken to be a real case, the thread is not looked up and
  // the sender has no history.
  triage::AssessInput in;
  in.ctx.own_addresses = rt->config.own_addresses();
  in.ctx.known_references = rt->references.find_tagged(msg.subject);
  in.ctx.body_references = rt->references.find_in_text(triage::triage_text(msg));
  for (const auto& role : rt->config.roles)
    for (const auto& p : role.people) {
      std::string a = p.address;
      for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      in.ctx.staff_addresses.push_back(a);
    }
  in.mailbox = mailbox;
  in.explain = true;
  const auto a = rt->triager->assess(rt->config, msg, in);
  std::cout << (format == "json" ? assessment_json(a) : assessment_text(a));
  return kExitOk;
}

/// The database of `config_path`'s configuration, or null with `exit_code` set: 78 for a
/// configuration that does not load, 75 for a database that does not open.
std::unique_ptr<store::Store> open_store_for_reading(const std::string& config_path, int& exit_code) {
  auto rt = load_or_report(config_path);
  if (!rt) {
    exit_code = kExitConfig;
    return nullptr;
  }
  auto store = store::Store::open(rt->config.service.database.string());
  if (!store) {
    std::cerr << "cannot open the database: " << store.error().message << "\n";
    exit_code = kExitTempFail;
    return nullptr;
  }
  return std::move(*store);
}

int cmd_cases_list(const std::string& config_path, bool json, store::Store::CaseFilter filter, bool overdue,
                   const std::string& at_text) {
  std::optional<triage::Instant> at;
  if (!read_instant(at_text, at)) return kExitUsage;
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  if (overdue) filter.overdue_at = triage::iso_instant(at.value_or(now_in_seconds()));
  auto cases = store->list_cases(filter);
  if (!cases) {
    std::cerr << cases.error().message << "\n";
    return kExitTempFail;
  }
  if (json) {
    std::cout << "[";
    for (std::size_t i = 0; i < cases->size(); ++i) {
      const auto& c = (*cases)[i];
      std::cout << (i ? ",\n " : "") << "{\"reference\": " << json_string(c.reference)
                << ", \"kind\": " << json_string(c.kind) << ", \"state\": " << json_string(c.state)
                << ", \"stage\": " << json_string(c.stage) << ", \"customer\": " << json_string(c.customer_address)
                << ", \"subject\": " << json_string(c.subject) << ", \"received_at\": " << json_string(c.received_at)
                << ", \"respond_by\": " << json_string(c.respond_by_date)
                << ", \"handler\": " << json_string(c.handler_address) << "}";
    }
    std::cout << "]\n";
    return kExitOk;
  }
  std::printf("%-18s %-20s %-10s %-9s %-8s %-28s %s\n", "REFERENCE", "RECEIVED", "RESPOND BY", "STATE", "STAGE",
              "CUSTOMER", "SUBJECT");
  for (const auto& c : *cases) {
    std::printf("%-18s %-20s %-10s %-9s %-8s %-28s %s\n", c.reference.c_str(), c.received_at.c_str(),
                c.respond_by_date.c_str(), c.state.c_str(), c.stage.c_str(), c.customer_address.c_str(),
                outbound::sanitize_header_text(c.subject, 60).c_str());
  }
  std::printf("%zu case(s)\n", cases->size());
  return kExitOk;
}

int cmd_cases_show(const std::string& config_path, const std::string& reference) {
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  auto found = store->find_case(reference);
  if (!found) {
    std::cerr << found.error().message << "\n";
    return kExitTempFail;
  }
  if (!*found) {
    std::cerr << "no case " << reference << "\n";
    return 1;
  }
  const auto& c = **found;
  std::cout << "Case " << c.reference << " (" << c.kind << ", " << c.state << ", " << c.stage << ")\n"
            << "  Customer:   " << outbound::sanitize_header_text(c.customer_name, 100) << " <" << c.customer_address
            << ">\n"
            << "  Subject:    " << outbound::sanitize_header_text(c.subject, 200) << "\n"
            << "  Received:   " << c.received_at << "\n"
            << "  Respond by: " << c.respond_by_date << " (deadline " << c.respond_by << ")\n";
  if (!c.handler_address.empty())
    std::cout << "  Handler:    " << (c.handler_name.empty() ? "" : c.handler_name + " ") << "<" << c.handler_address
              << ">\n";
  if (!c.advocate_address.empty()) std::cout << "  Advocate:   " << c.advocate_address << "\n";
  if (!c.expected_by_date.empty()) std::cout << "  Customer told to expect a response by " << c.expected_by_date << "\n";
  if (!c.closed_at.empty()) std::cout << "  Closed:     " << c.closed_at << "\n";
  auto lines = [](std::string s) {
    for (auto& ch : s)
      if (ch == '\n') ch = ',';
    return s;
  };
  if (!c.categories.empty()) std::cout << "  Categories: " << lines(c.categories) << "\n";
  if (!c.department.empty()) std::cout << "  Department: " << c.department << "\n";
  if (!c.complainant_type.empty()) std::cout << "  Complainant type: " << c.complainant_type << "\n";
  if (c.complex) std::cout << "  Complexity: high\n";
  if (!c.flags.empty()) std::cout << "  Flags:      " << lines(c.flags) << "\n";
  if (auto why = store->case_triage(c.id); why && !why->empty()) {
    std::cout << "\nTriage (the rules that fired):\n" << triage_rows_text(*why);
  }
  if (auto stages = store->case_stages(c.id); stages && !stages->empty()) {
    // Each stage by its own dates: what the report's per-stage figures are counted from.
    std::cout << "\nStages:\n";
    for (const auto& st : *stages) {
      std::cout << "  " << st.stage_index + 1 << ". " << st.stage << ": opened " << st.opened_at;
      if (st.acknowledge_by) std::cout << "; acknowledge by " << *st.acknowledge_by;
      if (st.acknowledgement_id) std::cout << " (letter #" << *st.acknowledgement_id << ")";
      std::cout << "; respond by " << st.respond_by;
      if (!st.responded_at.empty()) std::cout << "; responded " << st.responded_at;
      if (!st.ended_at.empty()) std::cout << "; ended " << st.ended_at;
      std::cout << "\n";
    }
  }
  if (auto deadlines = store->case_deadlines(c.id); deadlines && !deadlines->empty()) {
    std::cout << "\nDeadlines:\n";
    for (const auto& d : *deadlines) {
      std::cout << "  " << d.due_at << "  " << d.kind;
      if (d.kind == "remind" || d.kind == "escalate") std::cout << " " << d.ordinal + 1;
      std::cout << "  " << (d.done_at.empty() ? "open" : d.outcome + " " + d.done_at) << "\n";
    }
  }
  std::cout << "\nTimeline:\n";
  auto events = store->case_events(c.id);
  if (events) {
    for (const auto& e : *events) {
      // A response or a note keeps its lines, indented under its entry.
      std::string detail;
      for (char ch : e.detail) detail += ch == '\n' ? std::string("\n      ") : std::string(1, ch);
      std::cout << "  " << e.at << "  " << e.kind << ": " << detail << "\n";
    }
  }
  std::cout << "\nLetters:\n";
  auto letters = store->case_letters(c.id);
  if (letters) {
    for (const auto& l : *letters) {
      std::cout << "  #" << l.id << " " << l.kind << " to " << l.rcpt << ": " << l.status;
      if (l.status == "sent") std::cout << " at " << l.sent_at;
      else if (l.attempts > 0) std::cout << " (" << l.attempts << " attempt(s), next " << l.next_attempt_at << ", last error: " << l.last_error << ")";
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int cmd_quarantine_list(const std::string& config_path, bool all) {
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  auto rows = store->list_quarantine(all);
  if (!rows) {
    std::cerr << rows.error().message << "\n";
    return kExitTempFail;
  }
  std::printf("%-6s %-20s %-11s %-8s %-28s %s\n", "ID", "RECEIVED", "STATE", "SIZE", "FROM", "REASON");
  for (const auto& q : *rows) {
    std::printf("%-6lld %-20s %-11s %-8lld %-28s %s\n", static_cast<long long>(q.id), q.received_at.c_str(),
                q.disposition.c_str(), static_cast<long long>(q.size), q.from_address.c_str(),
                outbound::sanitize_header_text(q.reason, 120).c_str());
  }
  std::printf("%zu message(s)\n", rows->size());
  return kExitOk;
}

int cmd_quarantine_show(const std::string& config_path, std::int64_t id, bool raw) {
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  auto q = store->quarantined(id);
  if (!q) {
    std::cerr << q.error().message << "\n";
    return kExitTempFail;
  }
  if (!*q) {
    std::cerr << "no quarantined message #" << id << "\n";
    return 1;
  }
  if (raw) {
    std::cout << (*q)->raw;  // exactly as received, e.g. to replay it by hand through `ingest`
    return kExitOk;
  }
  std::cout << "Message #" << (*q)->id << " (" << (*q)->disposition << ")\n"
            << "  Mailbox:    " << ((*q)->mailbox.empty() ? "(delivered by pipe)" : (*q)->mailbox + " UID " +
                                                                                     std::to_string((*q)->uid))
            << "\n  Received:   " << (*q)->received_at << "\n  From:       " << (*q)->from_address
            << "\n  Subject:    " << outbound::sanitize_header_text((*q)->subject, 200)
            << "\n  Message-ID: " << (*q)->message_id << "\n  Size:       " << (*q)->size << " bytes"
            << "\n  Reason:     " << (*q)->reason << "\n\n"
            << "After fixing the cause: complaintd quarantine replay " << (*q)->id << " --config " << config_path
            << "\n";
  return kExitOk;
}

int cmd_quarantine_replay(const std::string& config_path, std::int64_t id) {
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  init_logging(rt->config.service.log_level);
  auto store = store::Store::open(rt->config.service.database.string());
  if (!store) {
    std::cerr << "cannot open the database: " << store.error().message << "\n";
    return kExitTempFail;
  }
  const auto now = now_in_seconds();
  auto outcome = replay_quarantined(**store, *rt, id, now);
  if (!outcome) {
    std::cerr << "replay failed, the message stays in quarantine: " << outcome.error().message << "\n";
    return is_storage_failure(outcome.error()) ? kExitTempFail : 1;
  }
  std::cout << "message #" << id << ": " << to_string(outcome->kind)
            << (outcome->reference.empty() ? "" : " " + outcome->reference) << "\n";
  return kExitOk;
}

int cmd_report(const std::string& config_path, const std::string& from_text, const std::string& to_text,
               const std::string& format, const std::string& at_text) {
  auto from = triage::parse_iso_instant(from_text);
  auto to = triage::parse_iso_instant(to_text);
  if (!from || !to || from_text.size() != 10 || to_text.size() != 10) {
    std::cerr << "--from and --to are dates like 2026-11-01\n";
    return kExitUsage;
  }
  std::optional<triage::Instant> at;
  if (!read_instant(at_text, at)) return kExitUsage;
  auto rt = load_or_report(config_path);
  if (!rt) return kExitConfig;
  const auto first = std::chrono::floor<std::chrono::days>(*from);
  const auto last = std::chrono::floor<std::chrono::days>(*to);
  if (last < first) {
    std::cerr << "--to is before --from\n";
    return kExitUsage;
  }
  // The period in the organisation's own days: local midnight to local midnight.
  auto cases = load_report_cases(rt->config.service.database.string(), rt->zone.start_of_day(first),
                                 rt->zone.start_of_day(last + std::chrono::days{1}));
  if (!cases) {
    std::cerr << cases.error().message << "\n";
    return kExitTempFail;
  }
  std::vector<std::string> stages;
  for (const auto& st : rt->config.stages) stages.push_back(st.name);
  const auto now = now_in_seconds();
  auto report = reports::build_report(*cases, first, last, stages, rt->calendar, rt->zone, at.value_or(now),
                                      rt->config.service.name);
  report.generated_at = triage::iso_instant(now);
  if (format == "text") std::cout << reports::to_text(report);
  else if (format == "csv") std::cout << reports::to_csv(report);
  else if (format == "json") std::cout << reports::to_json(report);
  else std::cout << reports::to_html(report);
  return kExitOk;
}

int cmd_outbox_retry(const std::string& config_path, std::optional<std::int64_t> id) {
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  const auto now = triage::iso_instant(now_in_seconds());
  auto n = store->retry_outbox(id, now);
  if (!n) {
    std::cerr << n.error().message << "\n";
    return kExitTempFail;
  }
  if (id && *n == 0) {
    std::cerr << "no failed or pending letter #" << *id << "\n";
    return 1;
  }
  std::cout << *n << " letter(s) will be sent at the next drain (the daemon's, or run --once)\n";
  return kExitOk;
}

int cmd_outbox_list(const std::string& config_path, const std::string& status) {
  int failed = kExitTempFail;
  auto store = open_store_for_reading(config_path, failed);
  if (!store) return failed;
  auto rows = store->list_outbox(status);
  if (!rows) {
    std::cerr << rows.error().message << "\n";
    return kExitTempFail;
  }
  std::printf("%-6s %-16s %-8s %-8s %-30s %s\n", "ID", "KIND", "STATUS", "ATTEMPTS", "TO", "LAST ERROR");
  for (const auto& r : *rows) {
    std::printf("%-6lld %-16s %-8s %-8d %-30s %s\n", static_cast<long long>(r.id), r.kind.c_str(), r.status.c_str(),
                r.attempts, r.rcpt.c_str(), r.last_error.c_str());
  }
  return kExitOk;
}

}  // namespace
}  // namespace complaintd::daemon

int main(int argc, char** argv) {
  using namespace complaintd::daemon;
  CLI::App app{"complaintd: turns complaint emails into cases that are acknowledged, routed, chased and closed on time"};
  app.set_version_flag("--version", std::string("complaintd ") + COMPLAINTD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // "cases show REF --config X": options of a parent may follow a subcommand
  std::string config_path = kDefaultConfig;

  auto* run = app.add_subcommand("run", "Run the daemon (foreground, systemd-friendly)");
  bool once = false;
  run->add_flag("--once", once, "Poll every mailbox once, send what is due, and exit");
  run->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();

  auto* tick = app.add_subcommand("tick", "Process the deadlines due by an instant as if it were now, send the letters, exit");
  std::string tick_at;
  tick->add_option("--at", tick_at, "ISO 8601 instant, e.g. 2026-12-07T09:00:00Z")->required();
  tick->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();

  auto* check = app.add_subcommand("check-config", "Validate the configuration; print every error with its line");
  check->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();

  auto* ingest = app.add_subcommand("ingest", "Store one message from standard input (for an MTA pipe); exit 75 if it could not be stored");
  ingest->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();

  auto* parse = app.add_subcommand("parse", "Print the message on standard input as parsed JSON (nothing is stored)");
  std::string parse_config_path;
  parse->add_option("-c,--config", parse_config_path, "Use this configuration's [parser] limits");

  auto* explain = app.add_subcommand("explain", "What triage would decide for the message on standard input, and why (nothing is stored or sent)");
  explain->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  std::string explain_format = "text";
  explain->add_option("--format", explain_format, "text or json")->capture_default_str();
  std::string explain_mailbox;
  explain->add_option("--mailbox", explain_mailbox, "The [[mailbox]] name it came to (for mailbox rules)");

  auto* cases = app.add_subcommand("cases", "List and show cases");
  cases->require_subcommand(1);
  cases->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  auto* cases_list = cases->add_subcommand("list", "List cases");
  bool json = false;
  cases_list->add_flag("--json", json, "Print JSON");
  complaintd::store::Store::CaseFilter case_filter;
  bool overdue = false;
  std::string cases_at;
  std::string filter_stage, filter_manager, filter_category, filter_kind;
  cases_list->add_flag("--open", case_filter.open_only, "Only cases not yet closed or withdrawn");
  auto* overdue_flag = cases_list->add_flag("--overdue", overdue, "Only cases whose response is late now (or --at)");
  cases_list->add_option("--at", cases_at, "With --overdue: late as at this ISO 8601 instant, e.g. Friday 17:00")
      ->needs(overdue_flag);
  cases_list->add_option("--stage", filter_stage, "Only cases at this stage, e.g. \"Stage 2\"");
  cases_list->add_option("--manager", filter_manager, "Only cases handled by this address");
  cases_list->add_option("--category", filter_category, "Only cases in this category");
  cases_list->add_option("--kind", filter_kind, "complaint, compliment or comment")
      ->check(CLI::IsMember({"complaint", "compliment", "comment", "out_of_scope"}));
  auto* cases_show = cases->add_subcommand("show", "Show one case's timeline");
  std::string reference;
  cases_show->add_option("reference", reference, "Case reference, e.g. CMP-2026-000001")->required();

  auto* outbox = app.add_subcommand("outbox", "Letters waiting or sent");
  outbox->require_subcommand(1);
  outbox->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  auto* outbox_list = outbox->add_subcommand("list", "List letters");
  std::string status;
  outbox_list->add_option("--status", status, "pending, sent or failed (default: all)");
  auto* outbox_retry = outbox->add_subcommand("retry", "Send failed letters again (all, or one by its number)");
  std::int64_t retry_id = 0;
  outbox_retry->add_option("id", retry_id, "The letter's number (from outbox list)");

  auto* report = app.add_subcommand("report", "Cases received in a period, and whether they were answered on time");
  std::string report_from, report_to, report_format = "text";
  report->add_option("--from", report_from, "First day, e.g. 2026-11-01")->required();
  report->add_option("--to", report_to, "Last day, e.g. 2026-11-30")->required();
  report->add_option("--format", report_format, "text, csv, json or html")
      ->check(CLI::IsMember({"text", "csv", "json", "html"}))
      ->capture_default_str();
  std::string report_at;
  report->add_option("--at", report_at,
                     "Judge what was due as at this ISO 8601 instant (default: now), e.g. the period's end");
  report->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();

  auto* quarantine = app.add_subcommand("quarantine", "Messages that could not be processed, kept for a person");
  quarantine->require_subcommand(1);
  quarantine->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  auto* quarantine_list = quarantine->add_subcommand("list", "List quarantined messages");
  bool quarantine_all = false;
  quarantine_list->add_flag("--all", quarantine_all, "Include messages already replayed");
  auto* quarantine_show = quarantine->add_subcommand("show", "Show why a message was quarantined");
  std::int64_t quarantine_id = 0;
  quarantine_show->add_option("id", quarantine_id, "The message's number (from quarantine list)")->required();
  bool quarantine_raw = false;
  quarantine_show->add_flag("--raw", quarantine_raw, "Print the message exactly as received");
  auto* quarantine_replay = quarantine->add_subcommand("replay", "Process a quarantined message again, after a fix");
  quarantine_replay->add_option("id", quarantine_id, "The message's number")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the message, or the help (code 0)
    if (code == 0) return kExitOk;
    // A mistyped `argv=` in master.cf must not bounce the mail either (cmd_ingest). Any
    // other command line CLI11 refuses is a usage error (sysexits' 64), not CLI11's own
    // 101-115, which scripts cannot tell from a failure.
    return ingest->parsed() ? kExitTempFail : kExitUsage;
  }

  try {
    if (*run) return cmd_run(config_path, once);
    if (*check) return cmd_check_config(config_path);
    if (*tick) return cmd_tick(config_path, tick_at);
    if (*ingest) return cmd_ingest(config_path);
    if (*parse) return cmd_parse(parse_config_path);
    if (*explain) return cmd_explain(config_path, explain_format, explain_mailbox);
    if (*cases_list) {
      auto set = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); };
      case_filter.stage = set(filter_stage);
      case_filter.handler = set(filter_manager);
      case_filter.category = set(filter_category);
      case_filter.kind = set(filter_kind);
      return cmd_cases_list(config_path, json, case_filter, overdue, cases_at);
    }
    if (*cases_show) return cmd_cases_show(config_path, reference);
    if (*outbox_list) return cmd_outbox_list(config_path, status);
    if (*outbox_retry)
      return cmd_outbox_retry(config_path, retry_id > 0 ? std::optional<std::int64_t>(retry_id) : std::nullopt);
    if (*report) return cmd_report(config_path, report_from, report_to, report_format, report_at);
    if (*quarantine_list) return cmd_quarantine_list(config_path, quarantine_all);
    if (*quarantine_show) return cmd_quarantine_show(config_path, quarantine_id, quarantine_raw);
    if (*quarantine_replay) return cmd_quarantine_replay(config_path, quarantine_id);
  } catch (const std::exception& e) {
    std::cerr << "complaintd: internal error: " << e.what() << "\n";
    return *ingest ? kExitTempFail : kExitSoftware;
  }
  return kExitOk;
}
