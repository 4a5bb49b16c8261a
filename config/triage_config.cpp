// [triage]: categories, complexity, out-of-scope topics, complainant types, routing,
// reviewers, safety flags and intent wording. Patterns are compiled here so that a bad
// RE2 pattern is a check-config error with its line, not a rule that silently never fires.

#include "config/triage_config.hpp"

#include <re2/re2.h>

#include <array>
#include <set>

#include "config/procedure.hpp"

namespace complaintd::config::detail {
namespace {

constexpr std::array<std::string_view, 7> kMatchKeys = {"keywords",  "patterns",  "exclude", "domains",
                                                        "addresses", "mailboxes", "replace"};

bool is_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> strings(Reader& r, const toml::table& t, const std::string& prefix, std::string_view key) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (n == nullptr) return out;
  const auto* list = n->as_array();
  if (list == nullptr) {
    r.error(n, Reader::join(prefix, key), "must be a list of strings");
    return out;
  }
  for (const auto& item : *list) {
    const auto v = item.value<std::string>();
    if (!item.is_string() || !v || v->empty()) {
      r.error(&item, Reader::join(prefix, key), "must be a list of non-empty strings");
      continue;
    }
    out.push_back(*v);
  }
  return out;
}

/// A keyword is letters, digits, spaces and a little punctuation, optionally ending in
/// "*"; anything else is a pattern's job (and would be a surprise inside \b…\b).
bool is_keyword(std::string_view k) {
  if (k.empty() || k.front() == '*') return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(k[i]);
    if (c == '*' && i + 1 == k.size()) continue;
    if (std::isalnum(c) || c == ' ' || c == '\'' || c == '-' || c == '&' || c == '/' || c == '.' || c == ',' || c >= 0x80)
      continue;
    return false;
  }
  return true;
}

void read_keywords(Reader& r, const toml::table& t, const std::string& prefix, std::string_view key,
                   std::vector<std::string>& out) {
  const auto* list = t.get_as<toml::array>(key);
  std::size_t i = 0;
  for (auto& k : strings(r, t, prefix, key)) {
    const toml::node* where = list ? list->get(i) : t.get(key);
    ++i;
    if (!is_keyword(k)) {
      r.error(where, Reader::join(prefix, key),
              "\"" + k + "\" is not a keyword (letters, digits, spaces, ' - & / . , and a final *); use patterns");
      continue;
    }
    out.push_back(lower(k));
  }
}

void read_match(Reader& r, const toml::table& t, const std::string& prefix, MatchRule& m) {
  read_keywords(r, t, prefix, "keywords", m.keywords);
  read_keywords(r, t, prefix, "exclude", m.exclude);
  const auto* plist = t.get_as<toml::array>("patterns");
  std::size_t i = 0;
  for (auto& p : strings(r, t, prefix, "patterns")) {
    const toml::node* where = plist ? plist->get(i) : nullptr;
    ++i;
    RE2::Options o;
    o.set_log_errors(false);
    const RE2 re(p, o);
    if (!re.ok()) {
      r.error(where, prefix + ".patterns", "not an RE2 pattern: " + re.error());
      continue;
    }
    m.patterns.push_back(p);
  }
  for (auto& d : strings(r, t, prefix, "domains")) m.domains.push_back(lower(d));
  const auto* alist = t.get_as<toml::array>("addresses");
  i = 0;
  for (auto& a : strings(r, t, prefix, "addresses")) {
    if (!is_plausible_address(a)) r.error(alist ? alist->get(i) : nullptr, prefix + ".addresses", "not an address: \"" + a + "\"");
    else m.addresses.push_back(lower(a));
    ++i;
  }
  m.mailboxes = strings(r, t, prefix, "mailboxes");
  if (auto b = r.boolean(t, prefix, "replace")) m.replace = *b;
}

const toml::table* table_at(Reader& r, const toml::table& parent, const std::string& prefix, std::string_view key) {
  const toml::node* n = parent.get(key);
  if (n == nullptr) return nullptr;
  if (const auto* t = n->as_table()) return t;
  r.error(n, Reader::join(prefix, key), "must be a table");
  return nullptr;
}

/// Calls `each` for every table of an array of tables [[prefix.key]].
template <typename F>
void each_table(Reader& r, const toml::table& parent, const std::string& prefix, std::string_view key, F&& each) {
  const toml::node* n = parent.get(key);
  if (n == nullptr) return;
  const auto* list = n->as_array();
  if (list == nullptr) {
    r.error(n, Reader::join(prefix, key), "must be an array of tables: [[" + Reader::join(prefix, key) + "]]");
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string p = Reader::join(prefix, key) + "[" + std::to_string(i + 1) + "]";
    if (const auto* t = (*list)[i].as_table()) each(*t, p);
    else r.error(&(*list)[i], p, "must be a table");
  }
}

void check_keys(Reader& r, const toml::table& t, const std::string& prefix, std::initializer_list<std::string_view> extra) {
  std::vector<std::string_view> all(kMatchKeys.begin(), kMatchKeys.end());
  all.insert(all.end(), extra.begin(), extra.end());
  // Reader::check_unknown takes an initializer_list; check by hand with the same wording.
  for (const auto& [k, v] : t) {
    if (std::find(all.begin(), all.end(), k.str()) != all.end()) continue;
    std::string message = "unknown key";
    std::string_view best;
    std::size_t best_d = 3;
    for (auto c : all) {
      if (const auto d = edit_distance(k.str(), c); d < best_d) {
        best_d = d;
        best = c;
      }
    }
    if (!best.empty()) message += "; did you mean \"" + std::string(best) + "\"?";
    r.error(&v, Reader::join(prefix, k.str()), message);
  }
}

/// "role_name" or "Name <address>".
Target read_target(Reader& r, const toml::table& t, const std::string& prefix, std::string_view key,
                   const Config& cfg) {
  Target out;
  const auto v = r.string(t, prefix, key, false);
  if (!v) return out;
  if (cfg.role(*v) != nullptr) {
    out.role = *v;
  } else if (v->find('@') != std::string::npos) {
    if (auto p = parse_person(*v)) out.person = *p;
    else r.error(t.get(key), Reader::join(prefix, key), "not \"Name <address>\": \"" + *v + "\"");
  } else {
    std::string message = "role \"" + *v + "\" is not defined in [roles]";
    if (!cfg.roles.empty()) {
      message += " (defined:";
      for (const auto& x : cfg.roles) message += " " + x.name;
      message += ")";
    }
    r.error(t.get(key), Reader::join(prefix, key), message + "; or write \"Name <address>\"");
  }
  return out;
}

int whole_number(Reader& r, const toml::table& t, const std::string& prefix, std::string_view key, int fallback,
                 int max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  const auto v = n->value<std::int64_t>();
  if (n->is_integer() && v && *v >= 0 && *v <= max) return static_cast<int>(*v);
  r.error(n, Reader::join(prefix, key), "must be a whole number from 0 to " + std::to_string(max));
  return fallback;
}

void read_flag(Reader& r, const toml::table& flags, std::string_view key, FlagRule& f, const Config& cfg) {
  const std::string prefix = "triage.flags." + std::string(key);
  const auto* t = table_at(r, flags, "triage.flags", key);
  if (t == nullptr) return;
  check_keys(r, *t, prefix, {"notify", "department"});
  read_match(r, *t, prefix, f.match);
  f.notify = read_target(r, *t, prefix, "notify", cfg);
  if (auto v = r.string(*t, prefix, "department", false)) {
    f.department = *v;
    if (f.notify.empty()) r.error(t->get("department"), prefix + ".department", "routing needs notify: who handles it");
  }
}

}  // namespace

void read_triage(Reader& r, const toml::table& doc, Config& cfg) {
  const toml::node* n = doc.get("triage");
  if (n == nullptr) return;
  const auto* t = n->as_table();
  if (t == nullptr) {
    r.error(n, "triage", "must be a table: [triage]");
    return;
  }
  auto& tc = cfg.triage;
  r.check_unknown(*t, "triage",
                  {"builtin", "complex_categories", "complex_words", "complexity", "category", "out_of_scope",
                   "complainant_type", "route", "reviewer", "flags", "intent"});
  if (auto b = r.boolean(*t, "triage", "builtin")) tc.builtin = *b;
  tc.complex_categories = whole_number(r, *t, "triage", "complex_categories", tc.complex_categories, 100);
  tc.complex_words = whole_number(r, *t, "triage", "complex_words", tc.complex_words, 1000000);
  if (const auto* c = table_at(r, *t, "triage", "complexity")) {
    check_keys(r, *c, "triage.complexity", {});
    read_match(r, *c, "triage.complexity", tc.complexity);
  }

  std::set<std::string> names;
  auto unique_name = [&](const toml::table& e, const std::string& p, const std::string& kind) -> std::string {
    auto v = r.string(e, p, "name", true);
    if (!v) return {};
    if (!is_name(*v)) {
      r.error(e.get("name"), p + ".name", "names are lower case letters, digits, _ and -");
      return {};
    }
    if (!names.insert(kind + ":" + *v).second) r.error(e.get("name"), p + ".name", "duplicate " + kind + " \"" + *v + "\"");
    return *v;
  };

  each_table(r, *t, "triage", "category", [&](const toml::table& e, const std::string& p) {
    check_keys(r, e, p, {"name", "label"});
    CategoryRule c;
    c.name = unique_name(e, p, "category");
    if (auto v = r.string(e, p, "label", false)) c.label = *v;
    read_match(r, e, p, c.match);
    if (!c.name.empty()) tc.categories.push_back(std::move(c));
  });
  each_table(r, *t, "triage", "out_of_scope", [&](const toml::table& e, const std::string& p) {
    check_keys(r, e, p, {"name", "where"});
    OutOfScopeRule o;
    o.name = unique_name(e, p, "out_of_scope");
    if (auto v = r.string(e, p, "where", true)) o.where = *v;
    read_match(r, e, p, o.match);
    if (o.match.empty()) r.error(&e, p, "names no keywords, patterns, domains, addresses or mailboxes");
    if (!o.name.empty()) tc.out_of_scope.push_back(std::move(o));
  });
  each_table(r, *t, "triage", "complainant_type", [&](const toml::table& e, const std::string& p) {
    check_keys(r, e, p, {"name"});
    ComplainantTypeRule c;
    c.name = unique_name(e, p, "complainant_type");
    read_match(r, e, p, c.match);
    if (c.match.empty()) r.error(&e, p, "names no keywords, patterns, domains, addresses or mailboxes");
    if (!c.name.empty()) tc.complainant_types.push_back(std::move(c));
  });
  each_table(r, *t, "triage", "route", [&](const toml::table& e, const std::string& p) {
    check_keys(r, e, p, {"name", "department", "manager"});
    RouteRule x;
    x.name = unique_name(e, p, "route");
    if (auto v = r.string(e, p, "department", true)) x.department = *v;
    x.manager = read_target(r, e, p, "manager", cfg);
    if (x.manager.empty() && e.contains("manager") == false) r.error(&e, p + ".manager", "missing (required)");
    read_match(r, e, p, x.match);
    if (x.match.empty()) r.error(&e, p, "names no keywords, patterns, domains, addresses or mailboxes");
    if (!x.name.empty()) tc.routes.push_back(std::move(x));
  });
  each_table(r, *t, "triage", "reviewer", [&](const toml::table& e, const std::string& p) {
    r.check_unknown(e, p, {"role", "names", "alternate"});
    ReviewerRule x;
    if (auto v = r.string(e, p, "role", true)) {
      if (cfg.role(*v) == nullptr) r.error(e.get("role"), p + ".role", "role \"" + *v + "\" is not defined in [roles]");
      else x.role = *v;
    }
    read_keywords(r, e, p, "names", x.names);
    // The role holders' own names count as naming them.
    if (const auto* role = cfg.role(x.role)) {
      for (const auto& person : role->people) {
        if (!person.name.empty() && is_keyword(person.name)) x.names.push_back(lower(person.name));
      }
    }
    x.alternate = read_target(r, e, p, "alternate", cfg);
    if (!e.contains("alternate")) r.error(&e, p + ".alternate", "missing (required): who reviews instead");
    if (!x.role.empty()) tc.reviewers.push_back(std::move(x));
  });
  if (const auto* f = table_at(r, *t, "triage", "flags")) {
    r.check_unknown(*f, "triage.flags",
                    {"unacceptable_behaviour", "fast_track", "staff_conduct", "personal_data", "persistent"});
    read_flag(r, *f, "unacceptable_behaviour", tc.unacceptable_behaviour, cfg);
    read_flag(r, *f, "fast_track", tc.fast_track, cfg);
    read_flag(r, *f, "staff_conduct", tc.staff_conduct, cfg);
    read_flag(r, *f, "personal_data", tc.personal_data, cfg);
    if (const auto* p = table_at(r, *f, "triage.flags", "persistent")) {
      const std::string prefix = "triage.flags.persistent";
      r.check_unknown(*p, prefix, {"cases", "messages", "within"});
      tc.persistent.cases = whole_number(r, *p, prefix, "cases", tc.persistent.cases, 10000);
      tc.persistent.messages = whole_number(r, *p, prefix, "messages", tc.persistent.messages, 100000);
      if (auto d = r.duration(*p, prefix, "within")) {
        if (d->unit == Duration::Unit::kHours || d->count == 0)
          r.error(p->get("within"), prefix + ".within", "must be days or working days, more than 0");
        else tc.persistent.within = *d;
      }
    }
  }
  if (const auto* i = table_at(r, *t, "triage", "intent")) {
    r.check_unknown(*i, "triage.intent", {"compliment", "comment", "next_stage", "withdrawal", "anonymous"});
    const std::pair<std::string_view, MatchRule*> intents[] = {{"compliment", &tc.compliment},
                                                               {"comment", &tc.comment},
                                                               {"next_stage", &tc.next_stage},
                                                               {"withdrawal", &tc.withdrawal},
                                                               {"anonymous", &tc.anonymous}};
    for (const auto& [key, rule] : intents) {
      if (const auto* e = table_at(r, *i, "triage.intent", key)) {
        const std::string p = "triage.intent." + std::string(key);
        check_keys(r, *e, p, {});
        read_match(r, *e, p, *rule);
      }
    }
  }
}

}  // namespace complaintd::config::detail
