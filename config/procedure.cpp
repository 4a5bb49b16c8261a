// [roles], [procedure] and [[stage]]: the complaints procedure as data. Cross-references
// (a stage's handler, an escalation's role) are checked here so that a role that names
// nobody is a check-config error, not a letter that cannot be addressed at 3 a.m.

#include "config/procedure.hpp"

#include <algorithm>
#include <set>

namespace complaintd::config::detail {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<Person> read_people(Reader& r, const toml::node& n, const std::string& key) {
  std::vector<Person> out;
  auto one = [&](const toml::node& item) {
    const auto text = item.value<std::string>();
    if (!item.is_string() || !text) {
      r.error(&item, key, "must be \"Name <address>\" or a list of them");
      return;
    }
    if (auto p = parse_person(*text)) out.push_back(*p);
    else r.error(&item, key, "not \"Name <address>\" or an address: \"" + *text + "\"");
  };
  if (const auto* list = n.as_array()) {
    for (const auto& item : *list) one(item);
    if (list->empty()) r.error(&n, key, "names nobody; give at least one \"Name <address>\"");
  } else {
    one(n);
  }
  return out;
}

std::optional<Duration> required_duration(Reader& r, const toml::table& t, const std::string& prefix,
                                          std::string_view key) {
  if (!t.contains(key)) {
    r.error(&t, Reader::join(prefix, key), "missing (required)");
    return std::nullopt;
  }
  return r.duration(t, prefix, key);
}

void read_stage(Reader& r, const toml::table& t, const std::string& prefix, StageConfig& s) {
  r.check_unknown(t, prefix,
                  {"name", "handler", "distinct_handler", "acknowledge_within", "respond_within",
                   "respond_within_complex", "extension", "reminders", "escalation", "holding_letter",
                   "next_stage_within", "final_text", "letters"});
  if (auto v = r.string(t, prefix, "name", false)) s.name = *v;
  if (auto v = r.string(t, prefix, "handler", false)) s.handler = *v;
  if (auto v = r.boolean(t, prefix, "distinct_handler")) s.distinct_handler = *v;
  if (auto d = r.duration(t, prefix, "acknowledge_within")) s.acknowledge_within = *d;
  if (auto d = r.duration(t, prefix, "respond_within")) s.respond_within = *d;
  if (auto d = r.duration(t, prefix, "respond_within_complex")) s.respond_within_complex = *d;
  if (auto d = r.duration(t, prefix, "next_stage_within")) s.next_stage_within = *d;
  if (auto v = r.string(t, prefix, "final_text", false)) s.final_text = *v;

  if (const auto* n = t.get("extension")) {
    const std::string p = prefix + ".extension";
    if (const auto* e = n->as_table()) {
      r.check_unknown(*e, p, {"max", "reason_required"});
      ExtensionConfig x;
      if (auto d = required_duration(r, *e, p, "max")) x.max = *d;
      if (auto b = r.boolean(*e, p, "reason_required")) x.reason_required = *b;
      s.extension = x;
    } else {
      r.error(n, p, "must be a table: [stage.extension]");
    }
  }
  if (const auto* n = t.get("reminders")) {
    const std::string p = prefix + ".reminders";
    if (const auto* e = n->as_table()) {
      r.check_unknown(*e, p, {"first_after", "every", "at_most", "copy_to"});
      ReminderConfig x;
      if (auto d = required_duration(r, *e, p, "first_after")) x.first_after = *d;
      if (auto d = r.duration(*e, p, "every")) x.every = *d;
      if (const auto* m = e->get("at_most")) {
        const auto v = m->value<std::int64_t>();
        if (m->is_integer() && v && *v >= 1 && *v <= 100) x.at_most = static_cast<int>(*v);
        else r.error(m, p + ".at_most", "must be a whole number from 1 to 100");
      }
      if (auto v = r.string(*e, p, "copy_to", false)) x.copy_to = *v;
      if (x.every.count == 0 && x.at_most > 1) r.error(e->get("every"), p + ".every", "must be more than 0 when at_most is more than 1");
      s.reminders = x;
    } else {
      r.error(n, p, "must be a table: [stage.reminders]");
    }
  }
  if (const auto* n = t.get("escalation")) {
    const auto* list = n->as_array();
    if (list == nullptr) {
      r.error(n, prefix + ".escalation", "must be an array of tables: [[stage.escalation]]");
    } else {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string p = prefix + ".escalation[" + std::to_string(i + 1) + "]";
        const auto* e = (*list)[i].as_table();
        if (e == nullptr) {
          r.error(&(*list)[i], p, "must be a table");
          continue;
        }
        r.check_unknown(*e, p, {"overdue_by", "to"});
        EscalationStep step;
        if (auto d = required_duration(r, *e, p, "overdue_by")) step.overdue_by = *d;
        if (auto v = r.string(*e, p, "to", true)) step.role = *v;
        s.escalation.push_back(step);
      }
    }
  }
  if (const auto* n = t.get("holding_letter")) {
    const std::string p = prefix + ".holding_letter";
    if (const auto* e = n->as_table()) {
      r.check_unknown(*e, p, {"before_due", "after_due", "new_date_after"});
      HoldingLetterConfig x;
      const bool before = e->contains("before_due");
      const bool after = e->contains("after_due");
      if (before == after) {
        r.error(n, p, "set exactly one of before_due or after_due");
      } else {
        x.before_due = before;
        if (auto d = r.duration(*e, p, before ? "before_due" : "after_due")) x.offset = *d;
      }
      if (auto d = r.duration(*e, p, "new_date_after")) x.new_date_after = *d;
      s.holding_letter = x;
    } else {
      r.error(n, p, "must be a table: [stage.holding_letter]");
    }
  }
  if (const auto* n = t.get("letters")) {
    if (const auto* e = n->as_table()) {
      r.check_unknown(*e, prefix + ".letters",
                      {"acknowledgement", "referral", "reminder", "escalation", "holding", "extension", "response",
                       "outside_window", "withdrawn"});
      for (const auto& [k, v] : *e) {
        if (auto name = v.value<std::string>(); name && v.is_string()) s.letters.emplace_back(std::string(k.str()), *name);
        else r.error(&v, prefix + ".letters." + std::string(k.str()), "must be a template name");
      }
    } else {
      r.error(n, prefix + ".letters", "must be a table: [stage.letters]");
    }
  }
}

void read_kind(Reader& r, const toml::table& proc, std::string_view key, KindConfig& k) {
  const toml::node* n = proc.get(key);
  if (n == nullptr) return;
  const std::string p = "procedure." + std::string(key);
  const auto* t = n->as_table();
  if (t == nullptr) {
    r.error(n, p, "must be a table");
    return;
  }
  r.check_unknown(*t, p, {"forward_to"});
  if (auto v = r.string(*t, p, "forward_to", false)) k.forward_to = *v;
}

void read_procedure_table(Reader& r, const toml::table& t, ProcedureConfig& p) {
  r.check_unknown(t, "procedure",
                  {"name", "coordinator", "referral_manager", "anonymous", "learning_required", "compliment",
                   "comment", "withdrawal", "survey"});
  if (auto v = r.string(t, "procedure", "name", false)) p.name = *v;
  if (auto v = r.string(t, "procedure", "coordinator", false)) p.coordinator = *v;
  if (auto v = r.string(t, "procedure", "referral_manager", false)) p.referral_manager = *v;
  if (auto v = r.string(t, "procedure", "anonymous", false)) {
    if (*v == "comment" || *v == "complaint") p.anonymous = *v;
    else r.error(t.get("anonymous"), "procedure.anonymous", "must be \"comment\" or \"complaint\"");
  }
  if (auto v = r.boolean(t, "procedure", "learning_required")) p.learning_required = *v;
  read_kind(r, t, "compliment", p.compliment);
  read_kind(r, t, "comment", p.comment);
  if (const auto* n = t.get("withdrawal")) {
    if (const auto* w = n->as_table()) {
      r.check_unknown(*w, "procedure.withdrawal", {"continue_serious"});
      if (auto v = r.boolean(*w, "procedure.withdrawal", "continue_serious")) p.withdrawal.continue_serious = *v;
    } else {
      r.error(n, "procedure.withdrawal", "must be a table");
    }
  }
  if (const auto* n = t.get("survey")) {
    if (const auto* w = n->as_table()) {
      r.check_unknown(*w, "procedure.survey", {"after", "rate"});
      SurveyConfig s;
      if (auto d = required_duration(r, *w, "procedure.survey", "after")) s.after = *d;
      if (const auto* rate = w->get("rate")) {
        const auto v = rate->value<double>();
        if ((rate->is_floating_point() || rate->is_integer()) && v && *v >= 0.0 && *v <= 1.0) s.rate = *v;
        else r.error(rate, "procedure.survey.rate", "must be a number from 0 to 1 (the share of closed complaints)");
      } else {
        r.error(w, "procedure.survey.rate", "missing (required)");
      }
      p.survey = s;
    } else {
      r.error(n, "procedure.survey", "must be a table");
    }
  }
}

}  // namespace

}  // namespace complaintd::config::detail

namespace complaintd::config {

std::optional<Person> parse_person(std::string_view text) {
  const std::string s = detail::trim(text);
  const auto lt = s.rfind('<');
  if (lt == std::string::npos) {
    if (!is_plausible_address(s)) return std::nullopt;
    return Person{"", s};
  }
  if (s.back() != '>') return std::nullopt;
  std::string name = detail::trim(std::string_view(s).substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  const std::string address = s.substr(lt + 1, s.size() - lt - 2);
  if (!is_plausible_address(address)) return std::nullopt;
  // A name with CR/LF would become a header injection in every letter sent to this person.
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return std::nullopt;
  return Person{name, address};
}

}  // namespace complaintd::config

namespace complaintd::config::detail {

void read_procedure(Reader& r, const toml::table& doc, Config& cfg) {
  // [roles]
  if (const auto* n = doc.get("roles")) {
    if (const auto* roles = n->as_table()) {
      for (const auto& [k, v] : *roles) {
        const std::string name(k.str());
        if (!is_identifier(name) || name == kReferralManager) {
          r.error(&v, "roles." + name,
                  name == kReferralManager ? "\"referral_manager\" is reserved: it means the routed manager"
                                           : "role names are lower case letters, digits and _");
          continue;
        }
        cfg.roles.push_back(RoleConfig{name, read_people(r, v, "roles." + name)});
      }
    } else {
      r.error(n, "roles", "must be a table: [roles]");
    }
  }
  auto check_role = [&](const toml::node* where, const std::string& key, const std::string& role, bool allow_manager) {
    if (role.empty()) return;
    if (allow_manager && role == kReferralManager) return;
    if (cfg.role(role) != nullptr) return;
    std::string message = "role \"" + role + "\" is not defined in [roles]";
    if (!cfg.roles.empty()) {
      message += " (defined:";
      for (const auto& x : cfg.roles) message += " " + x.name;
      message += ")";
    }
    r.error(where, key, message);
  };

  // [procedure]
  const toml::table* proc = nullptr;
  if (const auto* n = doc.get("procedure")) {
    proc = n->as_table();
    if (proc != nullptr) read_procedure_table(r, *proc, cfg.procedure);
    else r.error(n, "procedure", "must be a table: [procedure]");
  }
  auto at = [&](std::string_view key) -> const toml::node* { return proc ? proc->get(key) : nullptr; };
  check_role(at("coordinator"), "procedure.coordinator", cfg.procedure.coordinator, false);
  check_role(at("referral_manager"), "procedure.referral_manager", cfg.procedure.referral_manager, false);
  if (proc) {
    if (const auto* c = (*proc)["compliment"].as_table())
      check_role(c->get("forward_to"), "procedure.compliment.forward_to", cfg.procedure.compliment.forward_to, false);
    if (const auto* c = (*proc)["comment"].as_table())
      check_role(c->get("forward_to"), "procedure.comment.forward_to", cfg.procedure.comment.forward_to, false);
  }

  // [[stage]]
  if (const auto* stages = doc["stage"].as_array()) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < stages->size(); ++i) {
      const std::string prefix = "stage[" + std::to_string(i + 1) + "]";
      const auto* t = (*stages)[i].as_table();
      if (t == nullptr) {
        r.error(&(*stages)[i], prefix, "must be a table ([[stage]])");
        continue;
      }
      StageConfig s;
      s.name = "Stage " + std::to_string(i + 1);
      read_stage(r, *t, prefix, s);
      if (!names.insert(s.name).second) r.error(t->get("name"), prefix + ".name", "duplicate stage name \"" + s.name + "\"");
      check_role(t->get("handler"), prefix + ".handler", s.handler, true);
      if (s.handler == kReferralManager && cfg.procedure.referral_manager.empty() && cfg.procedure.coordinator.empty() &&
          !cfg.roles.empty())
        r.error(t, prefix + ".handler",
                "a referral_manager stage needs procedure.referral_manager or procedure.coordinator to fall back on");
      if (s.reminders) check_role(t->get("reminders"), prefix + ".reminders.copy_to", s.reminders->copy_to, false);
      if (const auto* esc = (*t)["escalation"].as_array()) {
        for (std::size_t j = 0; j < s.escalation.size() && j < esc->size(); ++j) {
          const auto* e = (*esc)[j].as_table();
          check_role(e ? e->get("to") : nullptr, prefix + ".escalation[" + std::to_string(j + 1) + "].to",
                     s.escalation[j].role, true);
        }
      }
      const bool last = i + 1 == stages->size();
      if (last && s.next_stage_within)
        r.error(t->get("next_stage_within"), prefix + ".next_stage_within", "the last stage has no next stage");
      cfg.stages.push_back(std::move(s));
    }
  } else if (doc.contains("stage")) {
    r.error(doc.get("stage"), "stage", "must be an array of tables: write [[stage]]");
  }
  if (cfg.stages.empty()) {
    StageConfig only;
    only.name = "Stage 1";
    cfg.stages.push_back(only);
  }
}

}  // namespace complaintd::config::detail
