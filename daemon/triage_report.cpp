#include "daemon/triage_report.hpp"

#include <sstream>

#include "common/json.hpp"
#include "outbound/letter.hpp"

namespace complaintd::daemon {
namespace {

// Matched text is the customer's: cleaned of controls before a terminal or a log sees it.
std::string clean(std::string_view s) { return outbound::sanitize_header_text(s, 200); }

void add(std::vector<store::TriageRow>& out, const std::string& decision, std::string_view value,
         const std::vector<triage::Fired>& because) {
  if (because.empty()) out.push_back({decision, std::string(value), "", "", ""});
  for (const auto& f : because)
    out.push_back({decision, std::string(value), std::string(f.rule), std::string(f.how), clean(f.matched)});
}

std::string fired_json(const std::vector<triage::Fired>& because) {
  std::string s = "[";
  for (std::size_t i = 0; i < because.size(); ++i) {
    const auto& f = because[i];
    s += (i ? ", " : "") + std::string("{\"rule\": ") + json_string(f.rule) + ", \"how\": " + json_string(f.how) +
         ", \"matched\": " + json_string(f.matched) + "}";
  }
  return s + "]";
}

std::string person_json(const std::optional<config::Person>& p) {
  if (!p) return "null";
  return "{\"name\": " + json_string(p->name) + ", \"address\": " + json_string(p->address) + "}";
}

std::string reasons_text(const std::vector<triage::Fired>& because, const std::string& indent) {
  std::string s;
  for (const auto& f : because) s += indent + "because " + clean(triage::describe(f)) + "\n";
  return s;
}

}  // namespace

std::vector<store::TriageRow> triage_rows(const triage::Assessment& a) {
  std::vector<store::TriageRow> out;
  add(out, "intent", triage::to_string(a.intent.intent), a.intent.because);
  add(out, "kind", triage::to_string(a.kind), a.anonymous_because);
  for (const auto& c : a.categories) add(out, "category", c.name, c.because);
  if (a.complex) add(out, "complexity", "high", a.complex_because);
  if (a.complainant_type) add(out, "complainant_type", a.complainant_type->name, a.complainant_type->because);
  add(out, "routing", a.routing.department.empty() ? "-" : a.routing.department.view(), a.routing.because);
  for (const auto& f : a.flags) add(out, "flag", f.name, f.because);
  if (a.out_of_scope) add(out, "out_of_scope", a.out_of_scope->name, a.out_of_scope->because);
  return out;
}

std::string assessment_json(const triage::Assessment& a) {
  std::ostringstream o;
  o << "{\n  \"intent\": {\"value\": " << json_string(triage::to_string(a.intent.intent))
    << ", \"reason\": " << json_string(a.intent.reason) << ", \"case\": "
    << (a.intent.case_reference ? json_string(*a.intent.case_reference) : std::string("null"))
    << ", \"because\": " << fired_json(a.intent.because) << "},\n";
  o << "  \"kind\": " << json_string(triage::to_string(a.kind)) << ",\n";
  o << "  \"anonymous\": {\"value\": " << (a.anonymous ? "true" : "false")
    << ", \"because\": " << fired_json(a.anonymous_because) << "},\n";
  o << "  \"categories\": [";
  for (std::size_t i = 0; i < a.categories.size(); ++i) {
    const auto& c = a.categories[i];
    o << (i ? ",\n    " : "\n    ") << "{\"name\": " << json_string(c.name) << ", \"label\": " << json_string(c.label)
      << ", \"because\": " << fired_json(c.because) << "}";
  }
  o << (a.categories.empty() ? "" : "\n  ") << "],\n";
  o << "  \"complexity\": {\"value\": " << json_string(a.complex ? "high" : "low")
    << ", \"because\": " << fired_json(a.complex_because) << "},\n";
  o << "  \"complainant_type\": ";
  if (a.complainant_type)
    o << "{\"value\": " << json_string(a.complainant_type->name) << ", \"because\": " << fired_json(a.complainant_type->because) << "}";
  else
    o << "null";
  o << ",\n  \"routing\": {\"department\": " << json_string(a.routing.department)
    << ", \"manager\": " << person_json(a.routing.manager) << ", \"note\": " << json_string(a.routing.note)
    << ", \"alternate_reviewer\": " << person_json(a.alternate_reviewer)
    << ", \"because\": " << fired_json(a.routing.because) << "},\n";
  o << "  \"flags\": [";
  for (std::size_t i = 0; i < a.flags.size(); ++i) {
    const auto& f = a.flags[i];
    o << (i ? ",\n    " : "\n    ") << "{\"name\": " << json_string(f.name) << ", \"label\": " << json_string(f.label)
      << ", \"notify\": " << person_json(f.notify) << ", \"because\": " << fired_json(f.because) << "}";
  }
  o << (a.flags.empty() ? "" : "\n  ") << "],\n";
  o << "  \"serious\": " << (a.serious ? "true" : "false") << ",\n";
  o << "  \"out_of_scope\": ";
  if (a.out_of_scope)
    o << "{\"topic\": " << json_string(a.out_of_scope->name) << ", \"where_to_go\": " << json_string(a.where_to_go)
      << ", \"because\": " << fired_json(a.out_of_scope->because) << "}";
  else
    o << "null";
  o << ",\n  \"near_misses\": " << fired_json(a.near_misses) << "\n}\n";
  return o.str();
}

std::string assessment_text(const triage::Assessment& a) {
  std::ostringstream o;
  o << "Intent:      " << triage::to_string(a.intent.intent) << " — " << clean(a.intent.reason) << "\n"
    << reasons_text(a.intent.because, "             ");
  o << "Kind:        " << triage::to_string(a.kind) << (a.anonymous ? " (anonymous)" : "") << "\n"
    << reasons_text(a.anonymous_because, "             ");
  o << "Categories:  " << (a.categories.empty() ? "none (no category rule fired; a person decides)" : "") << "\n";
  for (const auto& c : a.categories) o << "  " << c.label << " [" << c.name << "]\n" << reasons_text(c.because, "    ");
  o << "Complexity:  " << (a.complex ? "high" : "low") << "\n" << reasons_text(a.complex_because, "             ");
  if (a.complainant_type)
    o << "Complainant: " << a.complainant_type->name << "\n" << reasons_text(a.complainant_type->because, "             ");
  o << "Routing:     " << (a.routing.department.empty() ? "-" : a.routing.department.view());
  if (a.routing.manager) o << ", referral manager " << a.routing.manager->name << " <" << a.routing.manager->address << ">";
  o << "\n             " << clean(a.routing.note) << "\n" << reasons_text(a.routing.because, "             ");
  o << "Flags:       " << (a.flags.empty() ? "none" : "") << "\n";
  for (const auto& f : a.flags) {
    o << "  " << f.label;
    if (f.notify) o << " → told at once: " << f.notify->address;
    o << "\n" << reasons_text(f.because, "    ");
  }
  if (a.out_of_scope) o << "Out of scope: " << a.out_of_scope->name << " — " << a.where_to_go << "\n";
  if (!a.near_misses.empty()) {
    o << "Not counted:\n";
    for (const auto& f : a.near_misses) o << "  " << f.rule << ": " << f.how << " \"" << clean(f.matched) << "\"\n";
  }
  return o.str();
}

std::string triage_rows_text(const std::vector<store::TriageRow>& rows) {
  std::string s;
  for (const auto& r : rows) {
    s += "  " + r.decision + " " + r.value;
    if (!r.rule.empty()) s += ": " + r.rule + " " + r.how + " \"" + clean(r.matched) + "\"";
    s += "\n";
  }
  return s;
}

}  // namespace complaintd::daemon
