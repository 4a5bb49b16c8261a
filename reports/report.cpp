#include "reports/report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/json.hpp"

namespace complaintd::reports {
namespace {

using triage::Date;
using triage::Instant;

/// Counts in first-seen order of `order`, then the rest by size.
std::vector<Count> counted(const std::map<std::string, int>& m, const std::vector<std::string>& order = {}) {
  std::vector<Count> out;
  for (const auto& label : order) {
    const auto it = m.find(label);
    out.push_back(Count{label, it == m.end() ? 0 : it->second});
  }
  std::vector<Count> rest;
  for (const auto& [label, n] : m)
    if (std::find(order.begin(), order.end(), label) == order.end()) rest.push_back(Count{label, n});
  std::stable_sort(rest.begin(), rest.end(), [](const Count& a, const Count& b) { return a.n > b.n; });
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

std::string outcome_of(const ReportCase& c) {
  if (c.state == "withdrawn") return "withdrawn";
  if (c.state == "closed") {
    const bool responded = std::any_of(c.stages.begin(), c.stages.end(), [](const ReportStage& s) {
      return s.responded_at.has_value();
    });
    return responded ? "closed after a response" : "closed";
  }
  if (c.state == "responded") return "responded, may ask for the next stage";
  return "open";
}

std::string percent(int part, int whole) {
  if (whole == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * part / whole);
  return buf;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// The sections every format shows, in one order.
std::vector<std::pair<std::string, const std::vector<Count>*>> sections(const Report& r) {
  return {{"By kind", &r.by_kind},         {"By category", &r.by_category},
          {"By stage", &r.by_stage},       {"By outcome", &r.by_outcome},
          {"By department", &r.by_department}, {"Learning recorded, by category", &r.learning_by_category}};
}

/// A horizontal bar chart as inline SVG: no script, no external file, prints well.
std::string svg_bars(const std::vector<Count>& counts) {
  if (counts.empty()) return "<p class=\"none\">None.</p>";
  int max = 1;
  for (const auto& c : counts) max = std::max(max, c.n);
  const int row = 24, label_w = 260, bar_w = 360;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << label_w + bar_w + 60 << "\" height=\""
    << row * static_cast<int>(counts.size()) + 4 << "\" role=\"img\">";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const int y = static_cast<int>(i) * row;
    const int w = counts[i].n == 0 ? 0 : std::max(2, bar_w * counts[i].n / max);
    s << "<text x=\"" << label_w - 8 << "\" y=\"" << y + 16 << "\" text-anchor=\"end\">"
      << html_escape(counts[i].label) << "</text><rect x=\"" << label_w << "\" y=\"" << y + 4 << "\" width=\"" << w
      << "\" height=\"16\" fill=\"#2b6cb0\"/><text x=\"" << label_w + w + 6 << "\" y=\"" << y + 16 << "\">"
      << counts[i].n << "</text>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

int working_days_between(Instant a, Instant b, const triage::WorkingCalendar& cal, const triage::Zone& zone) {
  Date d = zone.local_date(a);
  const Date end = zone.local_date(b);
  int n = 0;
  while (d < end && n < 40000) {
    d += std::chrono::days{1};
    if (cal.is_working_day(d)) ++n;
  }
  return n;
}

Report build_report(const std::vector<ReportCase>& cases, Date from, Date to, const std::vector<std::string>& stages,
                    const triage::WorkingCalendar& cal, const triage::Zone& zone, Instant now, std::string service) {
  Report r;
  r.service = std::move(service);
  r.from = from;
  r.to = to;
  r.generated_at = triage::iso_instant(now);
  r.as_at = r.generated_at;
  std::map<std::string, int> kinds, categories, by_stage, outcomes, departments, learning;
  std::map<std::string, StageSla> sla;
  std::map<std::string, std::pair<double, int>> days;  // stage → (total working days, responses)
  for (const auto& c : cases) {
    const Date received = zone.local_date(c.received_at);
    if (received < from || received > to) continue;
    ++r.received;
    ++kinds[c.kind];
    if (c.kind == "compliment") ++r.compliments;
    for (const auto& cat : c.categories) ++categories[cat];
    if (c.categories.empty() && c.kind == "complaint") ++categories["(not categorised)"];
    if (!c.department.empty()) ++departments[c.department];
    for (const auto& l : c.learning_categories) ++learning[l];
    ++outcomes[outcome_of(c)];
    if (c.kind != "complaint") continue;
    ++by_stage[c.stage];
    for (const auto& st : c.stages) {
      auto& s = sla[st.name];
      s.stage = st.name;
      ++s.cases;
      // A stage that ended before a deadline (withdrawn, or moved on) owes nothing after it.
      const auto ended_before = [&](Instant deadline) { return st.ended_at && *st.ended_at <= deadline; };
      if (st.acknowledged_at) ++s.acknowledged;
      if (st.acknowledge_by) {
        if (st.acknowledged_at) {
          ++s.acknowledgements_due;
          if (*st.acknowledged_at <= *st.acknowledge_by) ++s.acknowledged_on_time;
        } else if (now > *st.acknowledge_by && !ended_before(*st.acknowledge_by)) {
          ++s.acknowledgements_due;  // never sent, and its time is up: late
        }
      }
      if (st.responded_at) {
        ++s.responded;
        ++s.responses_due;
        if (*st.responded_at <= st.respond_by) ++s.responded_on_time;
        auto& [total, n] = days[st.name];
        total += working_days_between(st.opened_at, *st.responded_at, cal, zone);
        ++n;
      } else if (now > st.respond_by && !ended_before(st.respond_by)) {
        ++s.responses_due;
        if (!st.ended_at) ++s.open_overdue;
      }
    }
  }
  r.by_kind = counted(kinds, {"complaint", "compliment", "comment"});
  r.by_category = counted(categories);
  r.by_stage = counted(by_stage, stages);
  r.by_outcome = counted(outcomes);
  r.by_department = counted(departments);
  r.learning_by_category = counted(learning);
  for (const auto& name : stages) {
    StageSla s = sla.count(name) ? sla[name] : StageSla{name};
    if (const auto it = days.find(name); it != days.end() && it->second.second > 0)
      s.mean_working_days = it->second.first / it->second.second;
    r.sla.push_back(s);
  }
  return r;
}

std::string to_text(const Report& r) {
  std::ostringstream o;
  o << r.service << ": complaints and feedback received " << triage::long_date(r.from) << " to "
    << triage::long_date(r.to) << "\n"
    << "Received: " << r.received << " (compliments: " << r.compliments << ")\n";
  for (const auto& [title, counts] : sections(r)) {
    if (counts->empty()) continue;
    o << "\n" << title << ":\n";
    for (const auto& c : *counts) {
      char line[256];
      std::snprintf(line, sizeof line, "  %-44s %6d\n", c.label.c_str(), c.n);
      o << line;
    }
  }
  o << "\nOn time, by stage (every stage each case reached):\n";
  const bool then = r.as_at != r.generated_at;
  char head[256];
  std::snprintf(head, sizeof head, "  %-16s %6s %14s %12s %14s %9s\n", "stage", "cases", "acknowledged",
                "responded", then ? "overdue then" : "overdue now", "avg days");
  o << head;
  for (const auto& s : r.sla) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %6d %14s %12s %14d %9s\n", s.stage.c_str(), s.cases,
                  percent(s.acknowledged_on_time, s.acknowledgements_due).c_str(),
                  percent(s.responded_on_time, s.responses_due).c_str(), s.open_overdue,
                  s.responded ? fixed1(s.mean_working_days).c_str() : "-");
    o << line;
  }
  o << "\n(acknowledged and responded: the share sent on time of those due by " << (then ? "then" : "now")
    << ", a missed one counting as late; an escalated case counts under each stage it reached; days: working days"
       " from the stage's start to the response)\n";
  if (then) o << "As at " << r.as_at << " (overdue and due by then); generated " << r.generated_at << "\n";
  else o << "Generated " << r.generated_at << "\n";
  return o.str();
}

std::string to_csv(const Report& r) {
  std::ostringstream o;
  o << "section,label,value\n";
  o << "summary,as_at," << r.as_at << "\n";
  o << "summary,received," << r.received << "\nsummary,compliments," << r.compliments << "\n";
  for (const auto& [title, counts] : sections(r))
    for (const auto& c : *counts) o << csv_field(title) << "," << csv_field(c.label) << "," << c.n << "\n";
  for (const auto& s : r.sla) {
    const std::string stage = csv_field(s.stage);
    o << "sla," << stage << " cases," << s.cases << "\n"
      << "sla," << stage << " acknowledgements due," << s.acknowledgements_due << "\n"
      << "sla," << stage << " acknowledged," << s.acknowledged << "\n"
      << "sla," << stage << " acknowledged on time," << s.acknowledged_on_time << "\n"
      << "sla," << stage << " responses due," << s.responses_due << "\n"
      << "sla," << stage << " responded," << s.responded << "\n"
      << "sla," << stage << " responded on time," << s.responded_on_time << "\n"
      << "sla," << stage << " open and overdue," << s.open_overdue << "\n"
      << "sla," << stage << " mean working days to respond," << fixed1(s.mean_working_days) << "\n";
  }
  return o.str();
}

std::string to_json(const Report& r) {
  std::ostringstream o;
  auto counts_json = [&](const std::vector<Count>& cs) {
    o << "[";
    for (std::size_t i = 0; i < cs.size(); ++i)
      o << (i ? ", " : "") << "{\"label\": " << json_string(cs[i].label) << ", \"n\": " << cs[i].n << "}";
    o << "]";
  };
  o << "{\"service\": " << json_string(r.service) << ", \"from\": \"" << triage::iso_date(r.from)
    << "\", \"to\": \"" << triage::iso_date(r.to) << "\", \"generated_at\": \"" << r.generated_at
    << "\", \"as_at\": \"" << r.as_at << "\",\n \"received\": " << r.received << ", \"compliments\": " << r.compliments;
  const char* keys[] = {"by_kind", "by_category", "by_stage", "by_outcome", "by_department", "learning_by_category"};
  const auto secs = sections(r);
  for (std::size_t i = 0; i < secs.size(); ++i) {
    o << ",\n \"" << keys[i] << "\": ";
    counts_json(*secs[i].second);
  }
  o << ",\n \"sla\": [";
  for (std::size_t i = 0; i < r.sla.size(); ++i) {
    const auto& s = r.sla[i];
    o << (i ? ",\n  " : "\n  ") << "{\"stage\": " << json_string(s.stage) << ", \"cases\": " << s.cases
      << ", \"acknowledgements_due\": " << s.acknowledgements_due << ", \"acknowledged\": " << s.acknowledged
      << ", \"acknowledged_on_time\": " << s.acknowledged_on_time << ", \"responses_due\": " << s.responses_due
      << ", \"responded\": " << s.responded << ", \"responded_on_time\": " << s.responded_on_time
      << ", \"open_overdue\": " << s.open_overdue << ", \"mean_working_days\": " << fixed1(s.mean_working_days) << "}";
  }
  o << "]}\n";
  return o.str();
}

std::string to_html(const Report& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(r.service)
    << ": complaints report</title>\n<style>body{font-family:Georgia,serif;max-width:60em;margin:2em auto;"
       "color:#1a202c}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #cbd5e0}"
       "table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #e2e8f0;text-align:right}"
       "th:first-child,td:first-child{text-align:left}svg text{font:13px sans-serif;fill:#1a202c}"
       ".none{color:#718096}.big{font-size:2em;font-weight:bold}</style></head><body>\n";
  o << "<h1>" << html_escape(r.service) << "</h1>\n<p>Complaints and feedback received from "
    << triage::long_date(r.from) << " to " << triage::long_date(r.to) << ".</p>\n<p><span class=\"big\">"
    << r.received << "</span> received, of which " << r.compliments << " compliments.</p>\n";
  o << "<h2>Responded to on time, by stage</h2>\n<table><tr><th>Stage</th><th>Cases</th><th>Acknowledged on time</th>"
       "<th>Responded on time</th><th>Open and overdue</th><th>Average working days to respond</th></tr>\n";
  std::vector<Count> on_time;
  for (const auto& s : r.sla) {
    o << "<tr><td>" << html_escape(s.stage) << "</td><td>" << s.cases << "</td><td>"
      << percent(s.acknowledged_on_time, s.acknowledgements_due) << "</td><td>"
      << percent(s.responded_on_time, s.responses_due)
      << "</td><td>" << s.open_overdue << "</td><td>" << (s.responded ? fixed1(s.mean_working_days) : "-")
      << "</td></tr>\n";
    if (s.responses_due) on_time.push_back(Count{s.stage + " (%)", 100 * s.responded_on_time / s.responses_due});
  }
  o << "</table>\n";
  if (!on_time.empty()) o << "<p>Responses on time, per cent:</p>" << svg_bars(on_time) << "\n";
  for (const auto& [title, counts] : sections(r)) {
    o << "<h2>" << html_escape(title) << "</h2>\n" << svg_bars(*counts) << "\n";
  }
  o << "<p class=\"none\">Generated by complaintd at " << r.generated_at;
  if (r.as_at != r.generated_at) o << ", as at " << r.as_at << " (what was due and overdue by then)";
  o << ". Acknowledged and responded on time: the share sent by their deadline (agreed extensions count) of "
       "those due by the time of the report, a missed one counting as late. An escalated case counts under each "
       "stage it reached. Working days exclude weekends and the configured holidays.</p>\n</body></html>\n";
  return o.str();
}

}  // namespace complaintd::reports
