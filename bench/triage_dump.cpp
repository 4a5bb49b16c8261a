// Every field triage decides, printed one per line, for a fixed set of mail under several
// configurations: run before and after a change to the matcher and diff the two outputs
// (docs/PERFORMANCE.md, "Triage"). Not a benchmark; built with the benchmarks because it
// shares their 200-rule config and generated mail.
//
//   triage_dump [extra mail directory…] > before.txt
//
// The mail: the labelled set, the parser's fixtures, the demo mail, the extra directories
// (e.g. /work/shared/corpus), parse_bench's 200 generated complaints, and texts made from
// each configuration's own keywords and exclude phrases at every kind of word edge. Each
// message is read as written and with its letters upper-cased, its apostrophes curly and
// its spaces widened; each is assessed for ingest, for explain (with a case reference,
// sender counts and a mailbox) and classified.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/big_triage_config.hpp"
#include "bench/generated_mail.hpp"
#include "parser/parse.hpp"
#include "triage/assess.hpp"

namespace {

namespace fs = std::filesystem;
using namespace complaintd;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::pair<std::string, std::string>> mail_in(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".eml") out.emplace_back(e.path().string(), read(e.path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return s;
}
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

void print(std::ostream& o, const std::string& field, const std::vector<triage::Fired>& fs) {
  for (const auto& f : fs) o << field << ": " << f.rule << " | " << f.how << " | " << f.matched << "\n";
}
void print(std::ostream& o, const std::string& field, const std::optional<config::Person>& p) {
  if (p) o << field << ": " << p->name << " <" << p->address << ">\n";
}

void print(std::ostream& o, const triage::Triage& t) {
  o << "intent: " << triage::to_string(t.intent) << "\nreason: " << t.reason << "\n";
  if (t.case_reference) o << "case: " << *t.case_reference << "\n";
  if (t.reply_to) o << "reply_to: " << t.reply_to->name << " <" << t.reply_to->address << ">\n";
  print(o, "intent.because", t.because);
}

void print(std::ostream& o, const triage::Assessment& a) {
  print(o, a.intent);
  o << "kind: " << triage::to_string(a.kind) << "\nanonymous: " << a.anonymous << "\n";
  print(o, "anonymous.because", a.anonymous_because);
  for (const auto& c : a.categories) {
    o << "category: " << c.name << " / " << c.label << "\n";
    print(o, "category.because", c.because);
  }
  o << "complex: " << a.complex << "\n";
  print(o, "complex.because", a.complex_because);
  if (a.complainant_type) {
    o << "complainant_type: " << a.complainant_type->name << "\n";
    print(o, "complainant_type.because", a.complainant_type->because);
  }
  o << "routing: " << a.routing.department << " / " << a.routing.note << "\n";
  print(o, "routing.manager", a.routing.manager);
  print(o, "routing.because", a.routing.because);
  for (const auto& f : a.flags) {
    o << "flag: " << f.name << " / " << f.label << "\n";
    print(o, "flag.notify", f.notify);
    print(o, "flag.because", f.because);
  }
  o << "serious: " << a.serious << "\n";
  for (const auto& p : a.conflicted) o << "conflicted: " << p.address << "\n";
  print(o, "alternate_reviewer", a.alternate_reviewer);
  if (a.out_of_scope) {
    o << "out_of_scope: " << a.out_of_scope->name << " / " << a.where_to_go << "\n";
    print(o, "out_of_scope.because", a.out_of_scope->because);
  }
  print(o, "near_miss", a.near_misses);
  for (const auto& [kind, text] : triage::triage_events(a)) o << "event: " << kind << " | " << text << "\n";
}

// Texts made of the configuration's own words at every kind of edge: keywords whole, cut
// short, run on, in capitals, after a negation, inside exclude phrases, next to
// punctuation, underscores, digits, curly apostrophes, non-ASCII letters and the two
// characters (?i) folds into ASCII.
std::vector<std::string> edge_texts(const config::TriageConfig& t, unsigned seed, int count) {
  std::vector<std::string> words;
  const auto take = [&](const config::MatchRule& m) {
    words.insert(words.end(), m.keywords.begin(), m.keywords.end());
    words.insert(words.end(), m.exclude.begin(), m.exclude.end());
  };
  for (const auto& c : t.categories) take(c.match);
  take(t.complexity);
  for (const auto& x : t.out_of_scope) take(x.match);
  for (const auto& x : t.complainant_types) take(x.match);
  for (const auto& x : t.routes) take(x.match);
  for (const auto& r : t.reviewers) words.insert(words.end(), r.names.begin(), r.names.end());
  for (const auto* f : {&t.fast_track, &t.unacceptable_behaviour, &t.staff_conduct, &t.personal_data}) take(f->match);
  for (const auto* m : {&t.compliment, &t.comment, &t.next_stage, &t.withdrawal, &t.anonymous}) take(*m);
  words.insert(words.end(), {"housing ref 1234", "parking case #12001", "i will kill", "i'll hurt", "not", "never",
                             "wasn't", "didn’t", "nobody", "but", "the", "bin", "missed"});
  if (words.empty()) return {};
  const char* edges[] = {" ", " ", " ", "  ", "\t", "\n", ". ", ", ", "-", "_", "'", "\xE2\x80\x99", "s ", "ing ",
                         "x", "9", "\xC3\xA9", "\xE2\x84\xAA", "\xC5\xBF", "! ", " (", ") "};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string s;
    const int n = 3 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      std::string w = words[rng() % words.size()];
      if (!w.empty() && w.back() == '*') w.pop_back();
      switch (rng() % 8) {
        case 0: w = upper(w); break;
        case 1: if (w.size() > 2) w.resize(w.size() - 1 - rng() % 2); break;
        case 2: w = replace_all(w, " ", "   "); break;
        case 3: w = replace_all(w, "'", "\xE2\x80\x99"); break;
        case 4: if (!w.empty()) w[0] = static_cast<char>(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]); break;
        default: break;
      }
      s += w;
      // The Kelvin sign and long s only now and then: they send the whole text to RE2.
      std::size_t e = rng() % std::size(edges);
      if ((e == 17 || e == 18) && rng() % 4 != 0) e = 0;
      s += edges[e];
    }
    out.push_back(s);
  }
  return out;
}

parser::InboundMessage synthetic(const std::string& body, int i) {
  parser::InboundMessage m;
  m.subject = i % 3 == 0 ? "Complaint" : "";
  m.from = parser::Address{"", "person" + std::to_string(i % 7) + "@example.net"};
  m.text = body;
  m.reply_text = body;
  m.message_id = "synthetic-" + std::to_string(i);
  return m;
}

void dump(const std::string& config_name, const config::Config& cfg, const std::vector<std::pair<std::string, parser::InboundMessage>>& mail) {
  const triage::Triager triager(cfg.triage, cfg.procedure);
  triage::AssessInput ingest;
  ingest.ctx.own_addresses = cfg.own_addresses();
  ingest.ctx.own_addresses.push_back("complaints@example.org");
  triage::AssessInput explain = ingest;
  explain.explain = true;
  explain.mailbox = cfg.mailboxes.empty() ? "complaints" : cfg.mailboxes.front().name;
  explain.sender_cases = 2;
  explain.sender_messages = 5;
  for (const auto& r : cfg.roles)
    for (const auto& p : r.people) explain.ctx.staff_addresses.push_back(p.address);
  triage::AssessInput referenced = explain;
  referenced.ctx.known_references = {"CMP-2026-0001"};

  const auto edges = edge_texts(triager.rules(), 7, 400);
  std::vector<std::pair<std::string, parser::InboundMessage>> all = mail;
  for (std::size_t i = 0; i < edges.size(); ++i) all.emplace_back("edge " + std::to_string(i), synthetic(edges[i], static_cast<int>(i)));

  std::ostringstream o;
  for (const auto& [name, original] : all) {
    for (int variant = 0; variant < 4; ++variant) {
      parser::InboundMessage m = original;
      const auto change = [&](std::string (*f)(std::string)) {
        m.subject = f(m.subject);
        m.text = f(m.text);
        m.reply_text = f(m.reply_text);
      };
      if (variant == 1) change(upper);
      if (variant == 2) change([](std::string s) { return replace_all(s, "'", "\xE2\x80\x99"); });
      if (variant == 3) change([](std::string s) { return replace_all(replace_all(s, " ", " \t "), "\n", " \n"); });
      o << "== " << config_name << " | " << name << " | variant " << variant << "\n";
      print(o, triager.assess(cfg, m, ingest));
      o << "-- explain\n";
      print(o, triager.assess(cfg, m, explain));
      o << "-- referenced\n";
      print(o, triager.assess(cfg, m, referenced));
      o << "-- classify\n";
      print(o, triager.classify(m, ingest.ctx));
    }
    std::cout << o.str();
    o.str("");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path src = COMPLAINTD_SOURCE_DIR;
  std::vector<std::pair<std::string, std::string>> raw;
  for (const auto& dir : {src / "tests/data/triage/mail", src / "tests/fixtures", src / "examples/demo/mail"}) {
    for (auto& m : mail_in(dir)) raw.push_back(std::move(m));
  }
  for (int i = 1; i < argc; ++i)
    for (auto& m : mail_in(argv[i])) raw.push_back(std::move(m));
  for (auto& [name, text] : raw) name = fs::relative(name, fs::exists(name) && name.starts_with(src.string()) ? src : fs::path("/")).string();
  for (int i = 0; i < 200; ++i) raw.emplace_back("generated " + std::to_string(i), bench::small_text(i));
  std::vector<std::pair<std::string, parser::InboundMessage>> mail;
  for (const auto& [name, text] : raw) mail.emplace_back(name, parser::parse(text));

  dump("big", bench::big_triage_config(), mail);
  dump("defaults", config::Config{}, mail);
  const fs::path password = fs::temp_directory_path() / "triage_dump.password";
  std::ofstream(password) << "x\n";
  std::vector<fs::path> examples;
  for (const auto& e : fs::directory_iterator(src / "examples"))
    if (fs::exists(e.path() / "complaintd.toml")) examples.push_back(e.path() / "complaintd.toml");
  std::sort(examples.begin(), examples.end());
  for (const auto& path : examples) {
    // The examples name password files that exist only on a server: one that exists here.
    std::string text = read(path);
    for (std::size_t at = text.find("password_file = \""); at != std::string::npos;
         at = text.find("password_file = \"", at + 1)) {
      const std::size_t from = at + 17, to = text.find('"', from);
      text.replace(from, to - from, password.string());
    }
    auto loaded = config::parse_config(text, path);
    if (!loaded.config) {
      std::cerr << path << ": does not load\n";
      return 1;
    }
    dump(path.parent_path().filename().string(), *loaded.config, mail);
  }
  return 0;
}
