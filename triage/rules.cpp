#include "triage/rules.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace complaintd::triage {
namespace {

bool is_word_char(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string excerpt(std::string_view text, std::size_t begin, std::size_t end) {
  std::string out(text.substr(begin, std::min<std::size_t>(end - begin, 120)));
  for (auto& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return out;
}

RE2::Options options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

std::unique_ptr<RE2> alternation(const std::vector<std::string>& words) {
  if (words.empty()) return nullptr;
  std::string re = "(?i)\\b(?:";
  for (std::size_t i = 0; i < words.size(); ++i) re += (i ? "|" : "") + keyword_regex(words[i]);
  re += ")";
  auto compiled = std::make_unique<RE2>(re, options());
  return compiled->ok() ? std::move(compiled) : nullptr;
}

bool domain_matches(std::string_view sender, const std::string& domain) {
  const auto at = sender.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view d = sender.substr(at + 1);
  if (d == domain) return true;
  return d.size() > domain.size() && d.substr(d.size() - domain.size()) == domain &&
         d[d.size() - domain.size() - 1] == '.';
}

}  // namespace

std::string keyword_regex(std::string_view keyword) {
  std::string out;
  bool prefix = !keyword.empty() && keyword.back() == '*';
  if (prefix) keyword.remove_suffix(1);
  bool space = false;
  for (char c : keyword) {
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += "\\s+";
    space = false;
    // Apostrophes come as ' or ’ from real mail clients.
    if (c == '\'') out += "(?:'|\xE2\x80\x99)";
    else out += RE2::QuoteMeta(std::string(1, c));
  }
  const bool ends_in_word = !keyword.empty() && is_word_char(static_cast<unsigned char>(keyword.back()));
  out += prefix ? "\\w*" : (ends_in_word ? "\\b" : "");
  return out;
}

bool negated_before(std::string_view text, std::size_t at) {
  static const std::array<std::string_view, 16> kNegators = {
      "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "hardly",
      "cannot", "no-one", "noone", "nor", "wasnt", "didnt"};
  // Walk back over at most three words, stopping at the clause's start.
  std::size_t i = at;
  for (int words = 0; words < 3; ++words) {
    while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
    if (i == 0) return false;
    const char c = text[i - 1];
    if (c == '.' || c == '!' || c == '?' || c == ';' || c == ',' || c == ':' || c == '\n' || c == '(') return false;
    const std::size_t end = i;
    while (i > 0 && (is_word_char(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '-')) --i;
    if (i == end) return false;  // punctuation of another kind: stop
    std::string w = lower(text.substr(i, end - i));
    // Curly apostrophes: "wasn’t" (U+2019 is E2 80 99).
    for (std::size_t p; (p = w.find("\xE2\x80\x99")) != std::string::npos;) w.replace(p, 3, "'");
    if (w == "but") return false;
    if (w.size() > 3 && w.compare(w.size() - 3, 3, "n't") == 0) return true;
    w.erase(std::remove(w.begin(), w.end(), '\''), w.end());
    if (std::find(kNegators.begin(), kNegators.end(), w) != kNegators.end()) return true;
  }
  return false;
}

RuleBook::RuleBook(std::vector<RuleSpec> rules) {
  set_ = std::make_unique<RE2::Set>(options(), RE2::UNANCHORED);
  for (auto& spec : rules) {
    Compiled c;
    c.keywords = alternation(spec.match.keywords);
    c.exclude = alternation(spec.match.exclude);
    for (const auto& p : spec.match.patterns) {
      auto re = std::make_unique<RE2>(p, options());
      // config has compiled every pattern already; a bad one here is skipped, not fatal.
      if (re->ok()) c.patterns.push_back(std::move(re));
    }
    const std::size_t index = rules_.size();
    if (c.keywords && set_->Add(c.keywords->pattern(), nullptr) >= 0) entries_.push_back({index, -1});
    for (std::size_t p = 0; p < c.patterns.size(); ++p) {
      if (set_->Add(c.patterns[p]->pattern(), nullptr) >= 0) entries_.push_back({index, static_cast<int>(p)});
    }
    c.spec = std::move(spec);
    rules_.push_back(std::move(c));
  }
  if (!set_->Compile()) set_.reset();
}

RuleBook::~RuleBook() = default;
RuleBook::RuleBook(RuleBook&&) noexcept = default;
RuleBook& RuleBook::operator=(RuleBook&&) noexcept = default;

std::vector<std::vector<Fired>> RuleBook::scan(const ScanInput& in, std::vector<Fired>* near_misses) const {
  std::vector<std::vector<Fired>> out(rules_.size());
  const re2::StringPiece text(in.text.data(), in.text.size());

  std::vector<int> hits;
  bool all = set_ == nullptr;
  if (!all) {
    RE2::Set::ErrorInfo info{};
    // Out of DFA memory on a pathological text: fall back to each regex on its own.
    if (!set_->Match(text, &hits, &info) && info.kind != RE2::Set::kNoError) all = true;
  }
  if (all) {
    hits.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) hits[i] = static_cast<int>(i);
  }
  std::sort(hits.begin(), hits.end());

  for (int h : hits) {
    const auto& entry = entries_[static_cast<std::size_t>(h)];
    const auto& rule = rules_[entry.rule];
    auto& fired = out[entry.rule];
    if (entry.pattern >= 0) {
      re2::StringPiece m;
      if (rule.patterns[static_cast<std::size_t>(entry.pattern)]->Match(text, 0, text.size(), RE2::UNANCHORED, &m, 1)) {
        const auto begin = static_cast<std::size_t>(m.data() - text.data());
        fired.push_back({rule.spec.name, "pattern", excerpt(in.text, begin, begin + m.size())});
      }
      continue;
    }
    // Every keyword match, so a negated first mention does not hide a later real one.
    std::size_t pos = 0;
    re2::StringPiece m;
    while (pos <= text.size() && rule.keywords->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      const auto begin = static_cast<std::size_t>(m.data() - text.data());
      const auto end = begin + m.size();
      pos = end > begin ? end : begin + 1;
      const std::string words = excerpt(in.text, begin, end);
      bool excluded = false;
      if (rule.exclude) {
        // An exclude phrase that covers this match cancels it ("an assault on common sense").
        const std::size_t from = begin > 60 ? begin - 60 : 0;
        re2::StringPiece x;
        std::size_t xpos = from;
        while (xpos < std::min(text.size(), end + 60) &&
               rule.exclude->Match(text, xpos, std::min(text.size(), end + 60), RE2::UNANCHORED, &x, 1)) {
          const auto xb = static_cast<std::size_t>(x.data() - text.data());
          if (xb <= begin && xb + x.size() >= end) {
            excluded = true;
            break;
          }
          xpos = xb + std::max<std::size_t>(x.size(), 1);
        }
      }
      if (excluded) {
        if (near_misses) near_misses->push_back({rule.spec.name, "excluded", words});
        continue;
      }
      if (rule.spec.negatable && negated_before(in.text, begin)) {
        if (near_misses) near_misses->push_back({rule.spec.name, "negated", excerpt(in.text, begin > 24 ? begin - 24 : 0, end)});
        continue;
      }
      // Distinct mentions count (a compliment weighs its praise against the complaint's
      // words); a few are enough.
      const std::string key = lower(words);
      if (std::none_of(fired.begin(), fired.end(), [&](const Fired& f) { return lower(f.matched) == key; }))
        fired.push_back({rule.spec.name, "keyword", words});
      if (fired.size() >= 4) break;
    }
  }

  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& m = rules_[i].spec.match;
    if (!in.sender.empty()) {
      for (const auto& a : m.addresses)
        if (a == in.sender) out[i].push_back({rules_[i].spec.name, "address", a});
      for (const auto& d : m.domains)
        if (domain_matches(in.sender, d)) out[i].push_back({rules_[i].spec.name, "domain", d});
    }
    if (!in.mailbox.empty()) {
      for (const auto& b : m.mailboxes)
        if (b == in.mailbox) out[i].push_back({rules_[i].spec.name, "mailbox", b});
    }
  }
  return out;
}

}  // namespace complaintd::triage
