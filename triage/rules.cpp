#include "triage/rules.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <tuple>

namespace complaintd::triage {
namespace {

bool is_word_char(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }

// std::tolower in the "C" locale (complaintd never sets another), without a call per byte.
constexpr char c_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = c_lower(c);
  return out;
}

// lower(a) == lower(b), without the copies.
bool same_words(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (c_lower(a[i]) != c_lower(b[i])) return false;
  }
  return true;
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

// RE2's \w and \s (ASCII only), which its \b and \s+ are made of.
constexpr bool re2_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr bool re2_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
constexpr bool ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c); }

// Whether keyword_regex(k) under (?i) and after \b matches exactly what the trie walk
// matches: printable ASCII, starting with a letter or digit, and ending in one (or in "*").
bool trie_readable(std::string_view k) {
  const bool prefix = !k.empty() && k.back() == '*';
  if (prefix) k.remove_suffix(1);
  if (k.empty() || !ascii_alnum(static_cast<unsigned char>(k.front()))) return false;
  if (!prefix && !ascii_alnum(static_cast<unsigned char>(k.back()))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
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

// Every trie-readable keyword of every rule, lower-cased, a space standing for \s+ and an
// apostrophe for ' or ’. Walked from each word start of the text.
struct RuleBook::Trie {
  struct End {
    std::uint32_t rule;
    std::uint32_t keyword;  // its place in the rule's list: the first listed wins a tie
    bool prefix;            // "assault*": any word ending follows
  };
  struct Node {
    std::vector<std::pair<char, std::uint32_t>> next;
    std::vector<End> ends;
  };
  struct Occurrence {
    std::uint32_t rule, keyword;
    std::size_t begin, end;
  };
  std::vector<Node> nodes = std::vector<Node>(1);
  // After compile(): the byte class of each (lower-case) byte, 0 for bytes in no keyword,
  // and every node's children as one row of `classes` entries, so a step is one load.
  std::array<std::uint8_t, 256> byte_class{};
  std::size_t classes = 1;
  std::vector<std::uint32_t> table;
  // Per node, in the table's numbering: where its keyword ends start in `ends` and how many.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> end_range;
  std::vector<End> ends;

  [[nodiscard]] std::uint32_t child(std::uint32_t n, char c) const {
    for (const auto& [k, v] : nodes[n].next) {
      if (k == c) return v;
    }
    return 0;
  }

  // Numbers the nodes breadth first, so the rows every word start touches (the first
  // letters) sit together in a few cache lines, and flattens the ends.
  void compile() {
    for (const auto& node : nodes) {
      for (const auto& [c, next] : node.next) {
        auto& cls = byte_class[static_cast<unsigned char>(c)];
        if (cls == 0) cls = static_cast<std::uint8_t>(classes++);
      }
    }
    std::vector<std::uint32_t> order{0};
    std::vector<std::uint32_t> renumber(nodes.size(), 0);
    for (std::size_t k = 0; k < order.size(); ++k) {
      for (const auto& [c, next] : nodes[order[k]].next) {
        renumber[next] = static_cast<std::uint32_t>(order.size());
        order.push_back(next);
      }
    }
    table.assign(nodes.size() * classes, 0);
    end_range.assign(nodes.size(), {0, 0});
    for (std::size_t k = 0; k < order.size(); ++k) {
      const Node& node = nodes[order[k]];
      for (const auto& [c, next] : node.next) table[k * classes + byte_class[static_cast<unsigned char>(c)]] = renumber[next];
      end_range[k] = {static_cast<std::uint32_t>(ends.size()), static_cast<std::uint32_t>(node.ends.size())};
      ends.insert(ends.end(), node.ends.begin(), node.ends.end());
    }
    nodes.clear();
    nodes.shrink_to_fit();
  }

  [[nodiscard]] std::uint32_t step(std::uint32_t n, char c) const {
    return table[n * classes + byte_class[static_cast<unsigned char>(c)]];
  }

  void add(std::string_view keyword, End e) {
    e.prefix = !keyword.empty() && keyword.back() == '*';
    if (e.prefix) keyword.remove_suffix(1);
    std::uint32_t n = 0;
    bool space = false;
    const auto step = [&](char c) {
      std::uint32_t next = child(n, c);
      if (next == 0) {
        next = static_cast<std::uint32_t>(nodes.size());
        nodes[n].next.emplace_back(c, next);
        nodes.emplace_back();
      }
      n = next;
    };
    for (const char c : keyword) {
      if (c == ' ') {
        space = true;
        continue;
      }
      if (space && n != 0) step(' ');
      space = false;
      step(fold(static_cast<unsigned char>(c)));
    }
    nodes[n].ends.push_back(e);
  }

  // Every keyword occurrence that \b(?:keyword) would match starting at a word start.
  void find(std::string_view text, std::vector<Occurrence>& out) const {
    const auto* t = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t p = 0; p < n; ++p) {
      if (!ascii_alnum(t[p]) || (p > 0 && re2_word(t[p - 1]))) continue;
      std::uint32_t node = step(0, fold(t[p]));
      std::size_t i = p + 1;
      while (node != 0) {
        if (const auto [first, count] = end_range[node]; count != 0) {
          for (std::uint32_t k = first; k < first + count; ++k) {
            const End& e = ends[k];
            if (e.prefix) {
              std::size_t end = i;
              while (end < n && re2_word(t[end])) ++end;
              out.push_back({e.rule, e.keyword, p, end});
            } else if (i == n || !re2_word(t[i])) {
              out.push_back({e.rule, e.keyword, p, i});
            }
          }
        }
        if (i >= n) break;
        if (re2_space(t[i])) {
          node = step(node, ' ');
          while (i < n && re2_space(t[i])) ++i;
        } else if (t[i] == 0xE2 && i + 2 < n && t[i + 1] == 0x80 && t[i + 2] == 0x99) {
          node = step(node, '\'');  // ’
          i += 3;
        } else {
          node = step(node, fold(t[i]));
          ++i;
        }
      }
      // Words that continue no keyword leave at once; the next start is past this word.
      while (p + 1 < n && re2_word(t[p + 1])) ++p;
    }
  }
};

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
  trie_ = std::make_unique<Trie>();
  for (auto& spec : rules) {
    Compiled c;
    // Kept for the trie's rules too: text with a case fold the trie does not know (K, ſ).
    c.keywords = alternation(spec.match.keywords);
    c.exclude = alternation(spec.match.exclude);
    for (const auto& p : spec.match.patterns) {
      auto re = std::make_unique<RE2>(p, options());
      // config has compiled every pattern already; a bad one here is skipped, not fatal.
      if (re->ok()) c.patterns.push_back(std::move(re));
    }
    const std::size_t index = rules_.size();
    const auto& kw = spec.match.keywords;
    c.in_trie = c.keywords != nullptr && std::all_of(kw.begin(), kw.end(), trie_readable);
    if (c.in_trie) {
      for (std::size_t k = 0; k < kw.size(); ++k) {
        trie_->add(kw[k], {static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(k), false});
      }
    } else if (c.keywords && set_->Add(c.keywords->pattern(), nullptr) >= 0) {
      entries_.push_back({index, -1});
    }
    for (std::size_t p = 0; p < c.patterns.size(); ++p) {
      if (set_->Add(c.patterns[p]->pattern(), nullptr) >= 0) entries_.push_back({index, static_cast<int>(p)});
    }
    c.spec = std::move(spec);
    rules_.push_back(std::move(c));
  }
  trie_->compile();
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
  if (!all && !entries_.empty()) {
    RE2::Set::ErrorInfo info{};
    // Out of DFA memory on a pathological text: fall back to each regex on its own.
    if (!set_->Match(text, &hits, &info) && info.kind != RE2::Set::kNoError) all = true;
  }
  if (all) {
    hits.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) hits[i] = static_cast<int>(i);
  }
  std::sort(hits.begin(), hits.end());

  // (?i) also folds K (U+212A) to k and ſ (U+017F) to s; text with either is read by RE2.
  const bool odd_folds = in.text.find("\xE2\x84\xAA") != std::string_view::npos ||
                         in.text.find("\xC5\xBF") != std::string_view::npos;
  std::vector<Trie::Occurrence> found;
  found.reserve(32);
  if (!odd_folds) {
    trie_->find(in.text, found);
    // Per rule, leftmost first, then the first listed keyword: RE2's leftmost-first order.
    std::sort(found.begin(), found.end(), [](const Trie::Occurrence& a, const Trie::Occurrence& b) {
      return std::tie(a.rule, a.begin, a.keyword) < std::tie(b.rule, b.begin, b.keyword);
    });
  }

  // One keyword match of `rule` at [begin, end): kept unless excluded or negated; true
  // once enough distinct mentions are kept.
  const auto keyword_match = [&](const Compiled& rule, std::vector<Fired>& fired, std::size_t begin, std::size_t end) {
    const std::string words = excerpt(in.text, begin, end);
    if (rule.exclude) {
      // An exclude phrase that covers this match cancels it ("an assault on common sense").
      const std::size_t from = begin > 60 ? begin - 60 : 0;
      re2::StringPiece x;
      std::size_t xpos = from;
      while (xpos < std::min(text.size(), end + 60) &&
             rule.exclude->Match(text, xpos, std::min(text.size(), end + 60), RE2::UNANCHORED, &x, 1)) {
        const auto xb = static_cast<std::size_t>(x.data() - text.data());
        if (xb <= begin && xb + x.size() >= end) {
          if (near_misses) near_misses->push_back({rule.spec.name, "excluded", words});
          return false;
        }
        xpos = xb + std::max<std::size_t>(x.size(), 1);
      }
    }
    if (rule.spec.negatable && negated_before(in.text, begin)) {
      if (near_misses) near_misses->push_back({rule.spec.name, "negated", excerpt(in.text, begin > 24 ? begin - 24 : 0, end)});
      return false;
    }
    // Distinct mentions count (a compliment weighs its praise against the complaint's
    // words); a few are enough.
    if (std::none_of(fired.begin(), fired.end(), [&](const Fired& f) { return same_words(f.matched, words); }))
      fired.push_back({rule.spec.name, "keyword", words});
    return fired.size() >= 4;
  };

  // Every rule with something to look at, in order: its keywords, then its patterns.
  std::vector<std::uint32_t> todo;
  todo.reserve(found.size() + hits.size());
  for (const auto& o : found) todo.push_back(o.rule);
  for (const int h : hits) todo.push_back(static_cast<std::uint32_t>(entries_[static_cast<std::size_t>(h)].rule));
  if (odd_folds) {
    for (std::size_t r = 0; r < rules_.size(); ++r)
      if (rules_[r].in_trie) todo.push_back(static_cast<std::uint32_t>(r));
  }
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end()), todo.end());

  auto next_found = found.begin();
  auto next_hit = hits.begin();
  for (const std::uint32_t r : todo) {
    const auto& rule = rules_[r];
    auto& fired = out[r];
    while (next_found != found.end() && next_found->rule < r) ++next_found;
    while (next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule < r) ++next_hit;
    const bool set_keywords = next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule == r &&
                              entries_[static_cast<std::size_t>(*next_hit)].pattern < 0;
    if (rule.in_trie && !odd_folds) {
      // Every keyword match, so a negated first mention does not hide a later real one:
      // the leftmost at or after the end of the previous one.
      std::size_t pos = 0;
      for (; next_found != found.end() && next_found->rule == r; ++next_found) {
        if (next_found->begin < pos) continue;
        pos = next_found->end;
        if (keyword_match(rule, fired, next_found->begin, next_found->end)) break;
      }
    } else if (set_keywords || (rule.keywords && (odd_folds || all))) {
      std::size_t pos = 0;
      re2::StringPiece m;
      while (pos <= text.size() && rule.keywords->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
        const auto begin = static_cast<std::size_t>(m.data() - text.data());
        const auto end = begin + m.size();
        pos = end > begin ? end : begin + 1;
        if (keyword_match(rule, fired, begin, end)) break;
      }
    }
    for (; next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule == r; ++next_hit) {
      const auto& entry = entries_[static_cast<std::size_t>(*next_hit)];
      if (entry.pattern < 0) continue;
      re2::StringPiece m;
      if (rule.patterns[static_cast<std::size_t>(entry.pattern)]->Match(text, 0, text.size(), RE2::UNANCHORED, &m, 1)) {
        const auto begin = static_cast<std::size_t>(m.data() - text.data());
        fired.push_back({rule.spec.name, "pattern", excerpt(in.text, begin, begin + m.size())});
      }
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
