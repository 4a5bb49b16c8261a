#include "daemon/report_data.hpp"

#include <map>
#include <sstream>

#include "daemon/store/sqlite.hpp"

namespace complaintd::daemon {
namespace {

std::optional<triage::Instant> instant(const store::Statement& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  const std::string text = s.text(col);
  if (text.empty()) return std::nullopt;
  auto t = triage::parse_iso_instant(text);
  return t ? std::optional(*t) : std::nullopt;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, '\n')) {
    std::istringstream parts(item);
    std::string part;
    while (std::getline(parts, part, ',')) {
      const auto b = part.find_first_not_of(' ');
      if (b != std::string::npos) out.push_back(part.substr(b, part.find_last_not_of(' ') - b + 1));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<reports::ReportCase>> load_report_cases(const std::string& database, triage::Instant from,
                                                           triage::Instant to) {
  try {
    store::Connection c(database, true);
    // Triage's columns came with schema 4; a report on an older database does without them.
    auto probe = c.prepare("SELECT COUNT(*) FROM pragma_table_info('cases') WHERE name IN ('categories', 'department')");
    const bool triaged = probe.step() && probe.integer(0) == 2;
    // Schema 8 keeps every stage a case reached, each with its own dates and acknowledgement;
    // before it, the case row's stage is all there is.
    auto has_stages = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case_stages'");
    const bool staged = has_stages.step();
    auto s = c.prepare(triaged ? "SELECT c.reference, c.kind, c.state, c.stage, c.stage_index, c.received_at, "
                                 "c.stage_opened_at, c.acknowledge_by, c.respond_by, c.responded_at, c.closed_at, "
                                 "c.categories, c.department "
                                 "FROM cases c WHERE c.received_at >= ? AND c.received_at < ? ORDER BY c.id"
                               : "SELECT c.reference, c.kind, c.state, c.stage, c.stage_index, c.received_at, "
                                 "c.stage_opened_at, c.acknowledge_by, c.respond_by, c.responded_at, c.closed_at, '', '' "
                                 "FROM cases c WHERE c.received_at >= ? AND c.received_at < ? ORDER BY c.id");
    s.bind(1, triage::iso_instant(from)).bind(2, triage::iso_instant(to));
    std::vector<reports::ReportCase> out;
    while (s.step()) {
      reports::ReportCase r;
      r.reference = s.text(0);
      r.kind = s.text(1);
      r.state = s.text(2);
      r.stage = s.text(3);
      r.received_at = instant(s, 5).value_or(triage::Instant{});
      r.closed_at = instant(s, 10);
      r.categories = split_list(s.text(11));
      r.department = s.text(12);
      if (!staged && r.kind == "complaint") {
        reports::ReportStage now;
        now.index = static_cast<int>(s.integer(4));
        now.name = r.stage;
        now.opened_at = instant(s, 6).value_or(r.received_at);
        if (now.index == 0) now.acknowledge_by = instant(s, 7).value_or(r.received_at);
        now.respond_by = instant(s, 8).value_or(r.received_at);
        now.responded_at = instant(s, 9);
        now.ended_at = r.closed_at;
        r.stages.push_back(now);
      }
      out.push_back(std::move(r));
    }
    std::map<std::string, reports::ReportCase*> by_reference;
    for (auto& r : out) by_reference[r.reference] = &r;
    if (staged) {
      auto st = c.prepare(
          "SELECT c.reference, s.stage_index, s.stage, s.opened_at, s.acknowledge_by, "
          "(SELECT o.sent_at FROM outbox o WHERE o.id = s.acknowledgement_id AND o.status = 'sent'), s.respond_by, "
          "s.responded_at, s.ended_at FROM case_stages s JOIN cases c ON c.id = s.case_id "
          "WHERE c.received_at >= ? AND c.received_at < ? ORDER BY s.case_id, s.stage_index");
      st.bind(1, triage::iso_instant(from)).bind(2, triage::iso_instant(to));
      while (st.step()) {
        const auto it = by_reference.find(st.text(0));
        if (it == by_reference.end()) continue;
        reports::ReportStage stage;
        stage.index = static_cast<int>(st.integer(1));
        stage.name = st.text(2);
        stage.opened_at = instant(st, 3).value_or(it->second->received_at);
        stage.acknowledge_by = instant(st, 4);
        stage.acknowledged_at = instant(st, 5);
        stage.respond_by = instant(st, 6).value_or(stage.opened_at);
        stage.responded_at = instant(st, 7);
        stage.ended_at = instant(st, 8);
        it->second->stages.push_back(std::move(stage));
      }
    } else {
      // The first acknowledgement sent: the only one such a database can tell apart.
      auto ack = c.prepare(
          "SELECT c.reference, MIN(o.sent_at) FROM outbox o JOIN cases c ON c.id = o.case_id "
          "WHERE o.kind = 'acknowledgement' AND o.status = 'sent' AND c.received_at >= ? AND c.received_at < ? "
          "GROUP BY o.case_id");
      ack.bind(1, triage::iso_instant(from)).bind(2, triage::iso_instant(to));
      while (ack.step()) {
        const auto it = by_reference.find(ack.text(0));
        if (it != by_reference.end() && !it->second->stages.empty())
          it->second->stages.front().acknowledged_at = instant(ack, 1);
      }
    }
    // Learning came with schema 5: one row per lesson, by the category it was recorded under.
    auto has_learning = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'learning'");
    if (has_learning.step()) {
      auto l = c.prepare("SELECT c.reference, l.category FROM learning l JOIN cases c ON c.id = l.case_id "
                         "WHERE c.received_at >= ? AND c.received_at < ? ORDER BY l.id");
      l.bind(1, triage::iso_instant(from)).bind(2, triage::iso_instant(to));
      while (l.step()) {
        const auto it = by_reference.find(l.text(0));
        const std::string category = l.text(1);
        if (it != by_reference.end()) it->second->learning_categories.push_back(category.empty() ? "uncategorised" : category);
      }
    }
    return out;
  } catch (const store::StoreError& e) {
    return Error{std::string("database: ") + e.what()};
  }
}

}  // namespace complaintd::daemon
