#include "triage/rules.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <tuple>

namespace complaintd::triage {
namespace {

// std::isalnum in the "C" locale (complaintd never sets another), without a call per byte.
constexpr bool is_word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

// std::tolower in the "C" locale (complaintd never sets another), without a call per byte.
constexpr char c_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::size_t kExcerpt = 120;

// What excerpt() makes of a line break or a tab.
constexpr char tidy(char c) { return (c == '\n' || c == '\r' || c == '\t') ? ' ' : c; }

std::string excerpt(std::string_view text, std::size_t begin, std::size_t end) {
  std::string out(text.substr(begin, std::min<std::size_t>(end - begin, kExcerpt)));
  for (auto& c : out) c = tidy(c);
  return out;
}

// c_lower(tidy(c)) for every byte: one look-up instead of two chains of comparisons.
constexpr auto kFolded = [] {
  std::array<char, 256> folded{};
  for (std::size_t u = 0; u < folded.size(); ++u) folded[u] = c_lower(tidy(static_cast<char>(u)));
  return folded;
}();

// The size of excerpt(text, begin, end).
constexpr std::size_t excerpt_size(std::size_t begin, std::size_t end) { return std::min<std::size_t>(end - begin, kExcerpt); }

// c_lower of each byte of `w` at once: 0x20 added to each byte from 'A' to 'Z' (bit 7 of
// each byte's low seven bits plus a constant says whether it is at least 'A', or more
// than 'Z'; no sum carries into the next byte).
template <typename Word>
Word ascii_lower(Word w) {
  constexpr Word kOnes = static_cast<Word>(~Word{0}) / 0xFF;
  const Word low7 = w & static_cast<Word>(0x7F * kOnes);
  const Word from_a = low7 + static_cast<Word>((0x80 - 'A') * kOnes);
  const Word past_z = low7 + static_cast<Word>((0x80 - 'Z' - 1) * kOnes);
  const Word upper = from_a & ~past_z & ~w & static_cast<Word>(0x80 * kOnes);
  return w | (upper >> 2);
}

// Whether the sizeof(Word) bytes at x and y are the same (or, with kLower, the same once
// lower case), in one comparison.
template <typename Word, bool kLower>
bool same_bytes(const char* x, const char* y) {
  Word u, v;
  std::memcpy(&u, x, sizeof u);
  std::memcpy(&v, y, sizeof v);
  if constexpr (kLower) return ascii_lower(u) == ascii_lower(v);
  return u == v;
}

// The same for `size` bytes, at least four, a few at a time (the first and last four or
// eight may overlap). False for fewer than four.
template <bool kLower>
bool same_chunks(const char* x, const char* y, std::size_t size) {
  if (size >= 8) {
    std::size_t i = 0;
    while (i + 8 < size && same_bytes<std::uint64_t, kLower>(x + i, y + i)) i += 8;
    return i + 8 >= size && same_bytes<std::uint64_t, kLower>(x + size - 8, y + size - 8);
  }
  return size >= 4 && same_bytes<std::uint32_t, kLower>(x, y) && same_bytes<std::uint32_t, kLower>(x + size - 4, y + size - 4);
}

// lower(excerpt(text, a, a_end)) == lower(excerpt(text, b, b_end)), without making either.
// Asked of every keyword match against the mentions its rule has kept.
// Not inlined: in RuleBook::scan it made GCC call more of the rest out of line (a size
// check there first, to spare the call, cost more than it saved: most repeats are).
[[gnu::noinline]] bool same_words(std::string_view text, std::size_t a, std::size_t a_end, std::size_t b, std::size_t b_end) {
  const std::size_t size = excerpt_size(a, a_end);
  if (size != excerpt_size(b, b_end)) return false;
  const char* x = text.data() + a;
  const char* y = text.data() + b;
  // Most repeats are spelt the same ("bin" ten times in a letter), or differ only in case
  // ("Complaint" in the subject, "complaint" in every paragraph): the bytes are compared a
  // few at a time first, as they are, then in lower case (bytes the same in lower case
  // are the same folded too: tidy() changes no letter). Only what still differs is looked
  // up byte by byte.
  if (same_chunks<false>(x, y, size) || same_chunks<true>(x, y, size)) return true;
  for (std::size_t i = 0; i < size; ++i) {
    if (x[i] != y[i] && kFolded[static_cast<unsigned char>(x[i])] != kFolded[static_cast<unsigned char>(y[i])]) return false;
  }
  return true;
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

// ---- Pattern triggers ----

constexpr bool ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
constexpr bool quantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

// Whether the pattern's structure is plain enough to read its start: no \Q…\E (whose
// contents are literal) and no [ inside a class ([[:alpha:]]), which a scan for '|' and
// parentheses cannot follow; and no '|' outside every group (then nothing is required).
bool plain_structure(std::string_view p) {
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] == 'Q') return false;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == '[') return false;
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // "[]a]": the first ] is a member
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) return false;
    } else if (c == '|' && depth == 0) {
      return false;
    }
  }
  return depth == 0 && !in_class;
}

// From p[i], past the rest of one alternative: to the '|' or ')' that ends it.
void skip_alternative(std::string_view p, std::size_t& i) {
  int depth = 0;
  bool in_class = false;
  for (; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' || c == '|') {
      if (depth == 0) return;
      if (c == ')') --depth;
    }
  }
}

constexpr std::size_t kMaxTriggers = 64;

// Appends the literal start of a sequence at p[i] to every string of `out`: letters,
// digits, apostrophes and spaces (lower case; \s+ is a space), and (?:…|…) groups of the
// same. True when the sequence was read to its end (the pattern's end, '|' or ')'), false
// when it stopped at something else (what was read so far is still required).
bool read_sequence(std::string_view p, std::size_t& i, std::vector<std::string>& out, int depth) {
  const auto quantified = [&](std::size_t at) { return at < p.size() && quantifier(p[at]); };
  while (i < p.size()) {
    const char c = p[i];
    if (c == '|' || c == ')') return true;
    if (ascii_alnum(c) || c == ' ' || c == '\'') {
      if (quantified(i + 1)) return false;  // "collectors?": the s is not required
      for (auto& s : out) s += c_lower(c);
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < p.size() && p[i + 1] == 's') {
      // \s+ is a run of spaces, as a space is to the trie; \s one of them.
      const std::size_t after = i + 2 < p.size() && p[i + 2] == '+' ? i + 3 : i + 2;
      if (quantified(after)) return false;
      for (auto& s : out) s += ' ';
      i = after;
      continue;
    }
    if (p.substr(i, 3) != "(?:" || depth >= 2) return false;
    std::size_t j = i + 3;
    std::vector<std::string> all;
    bool whole = true;
    for (;;) {
      std::vector<std::string> alternative = out;
      if (!read_sequence(p, j, alternative, depth + 1)) {
        whole = false;
        skip_alternative(p, j);
      }
      all.insert(all.end(), alternative.begin(), alternative.end());
      if (j >= p.size()) return false;
      if (p[j] == ')') break;
      ++j;  // '|'
    }
    // An optional or repeated group is not required as it is; too many strings are no filter.
    if (quantified(j + 1) || all.size() > kMaxTriggers) return false;
    out = std::move(all);
    i = j + 1;
    if (!whole) return false;
  }
  return true;
}

// The scan's working lists, kept by each thread from one call to the next: allocating
// them for every message cost a tenth of a short message's triage (issue 5). Cleared,
// not freed: a long text's lists stay as large as the longest text's.
struct Scratch {
  std::vector<KeywordTrie::Hit> found, sorted;
  std::vector<std::size_t> triggered_at;
  std::vector<int> hits, matched;
  std::vector<std::uint32_t> todo;
  std::vector<std::uint32_t> count;  ///< per rule, for sort_hits: all zero between calls
  std::vector<std::uint32_t> rules;  ///< the rules sort_hits counted
};

Scratch& scratch() {
  thread_local Scratch s;
  s.found.clear();
  s.triggered_at.clear();
  s.hits.clear();
  s.matched.clear();
  s.todo.clear();
  return s;
}

// Fewer hits than this are sorted by comparison (sort_hits counts first).
constexpr std::size_t kCountedSortFrom = 16;

// The trie's hits by rule (the pattern triggers, of no rule, last), then start, then
// keyword: RE2's leftmost-first order per rule. Every rule and exclude phrase numbers
// below `rules`. The hits of a long text fall to a few rules, most of them many times over
// ("missed" in every paragraph), so they are counted by rule and placed, and only each
// rule's few are compared: one sort of them all by comparison cost as much as the rest of
// the scan of a long text. A short text's few hits cost less to sort as they are.
void sort_hits(std::vector<KeywordTrie::Hit>& found, std::size_t rules, Scratch& work) {
  auto& count = work.count;
  if (count.size() < rules + 1) count.resize(rules + 1, 0);
  const auto bucket = [&](const KeywordTrie::Hit& h) { return h.rule < rules ? h.rule : static_cast<std::uint32_t>(rules); };
  auto& counted = work.rules;
  counted.clear();
  for (const auto& h : found)
    if (count[bucket(h)]++ == 0) counted.push_back(bucket(h));
  std::sort(counted.begin(), counted.end());
  std::uint32_t at = 0;
  for (const std::uint32_t r : counted) {
    const std::uint32_t n = count[r];
    count[r] = at;  // where its hits go
    at += n;
  }
  auto& sorted = work.sorted;
  sorted.resize(found.size());
  for (const auto& h : found) sorted[count[bucket(h)]++] = h;
  // A start fits 32 bits, as in Found.
  const auto by_start = [](const KeywordTrie::Hit& a, const KeywordTrie::Hit& b) {
    const auto sa = static_cast<std::uint32_t>(a.begin), sb = static_cast<std::uint32_t>(b.begin);
    return sa < sb || (sa == sb && a.keyword < b.keyword);
  };
  // A rule's hits come from the trie's two streams, interleaved, each in order of its end:
  // few are out of place, and each is moved back to its place, unless there are so many
  // that a sort's n log n is less.
  auto from = sorted.begin();
  for (const std::uint32_t r : counted) {
    const auto to = sorted.begin() + count[r];
    if (to - from > 64) {
      std::sort(from, to, by_start);
    } else {
      for (auto i = from + 1; i < to; ++i) {
        if (!by_start(*i, i[-1])) continue;
        const KeywordTrie::Hit h = *i;
        auto j = i;
        do {
          *j = j[-1];
          --j;
        } while (j != from && by_start(h, j[-1]));
        *j = h;
      }
    }
    from = to;
    count[r] = 0;
  }
  found.swap(sorted);
}

// How far either side of a keyword match its rule's exclude phrases are looked for.
constexpr std::size_t kExcludeWindow = 60;

// Whether one of a rule's exclude phrases covers [begin, end): the first listed phrase at
// the leftmost start within kExcludeWindow bytes either side, then the same after its end.
bool excluded_by_re2(const RE2& exclude, re2::StringPiece text, std::size_t begin, std::size_t end) {
  const std::size_t from = begin > kExcludeWindow ? begin - kExcludeWindow : 0;
  const std::size_t to = std::min(text.size(), end + kExcludeWindow);
  re2::StringPiece x;
  for (std::size_t xpos = from; xpos < to && exclude.Match(text, xpos, to, RE2::UNANCHORED, &x, 1);) {
    const auto xb = static_cast<std::size_t>(x.data() - text.data());
    if (xb <= begin && xb + x.size() >= end) return true;
    xpos = xb + std::max<std::size_t>(x.size(), 1);
  }
  return false;
}

// The same from the trie's occurrences of the phrases (`phrases`, sorted; this rule's are
// those of rule `id`), as RE2 would find them in the window: leftmost start, first listed
// phrase there. Unknown (RE2 decides) when a phrase runs past the window's end, where RE2
// would see a shorter match or none.
std::optional<bool> excluded(std::span<const KeywordTrie::Hit> phrases, std::uint32_t id, std::size_t begin,
                             std::size_t end, std::size_t size) {
  const std::size_t from = begin > kExcludeWindow ? begin - kExcludeWindow : 0;
  const std::size_t to = std::min(size, end + kExcludeWindow);
  auto it = std::lower_bound(phrases.begin(), phrases.end(), std::pair<std::uint32_t, std::size_t>(id, from),
                             [](const KeywordTrie::Hit& h, const std::pair<std::uint32_t, std::size_t>& k) {
                               return h.rule < k.first || (h.rule == k.first && h.begin < k.second);
                             });
  std::size_t xpos = from;
  for (; it != phrases.end() && it->rule == id && it->begin < to; ++it) {
    if (it->end > to) return std::nullopt;
    if (it->begin < xpos) continue;
    if (it->begin <= begin && it->end >= end) return true;
    xpos = it->begin + std::max<std::size_t>(it->end - it->begin, 1);
  }
  return false;
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

std::vector<std::string> pattern_triggers(std::string_view p) {
  if (!plain_structure(p)) return {};
  std::size_t i = 0;
  // Leading flags change no letter the trie does not fold: (?i), (?s), (?m), (?U).
  if (p.substr(0, 2) == "(?") {
    const auto close = p.find(')');
    const auto flags = p.substr(2, close == std::string_view::npos ? 0 : close - 2);
    if (flags.empty() || flags.find_first_not_of("imsU") != std::string_view::npos) return {};
    i = close + 1;
  }
  // \b before a letter or digit: where the trie starts its walks (RE2's \b is ASCII too).
  if (p.substr(i, 2) != "\\b") return {};
  i += 2;
  std::vector<std::string> out(1);
  read_sequence(p, i, out, 0);
  for (auto& s : out) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s.empty() || !ascii_alnum(s.front()) || !KeywordTrie::readable(s + "*")) return {};
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool negated_before(std::string_view text, std::size_t at) {
  // Each negator's eight bytes, zero after its end (none is longer): a word is one of
  // them if its first eight bytes, as one number, are. A comparison of views was a call
  // to compare bytes.
  static constexpr auto kNegators = [] {
    constexpr std::string_view words[] = {"not",    "no",     "never", "nobody", "nothing", "none",  "neither", "nor",
                                          "without", "hardly", "cannot", "no-one", "noone",   "wasnt", "didnt"};
    std::array<std::uint64_t, std::size(words)> packed{};
    for (std::size_t i = 0; i < packed.size(); ++i)
      for (std::size_t k = 0; k < words[i].size(); ++k)
        packed[i] |= std::uint64_t{static_cast<unsigned char>(words[i][k])} << (8 * k);
    return packed;
  }();
  // What the walk back makes of each byte, by one look-up: a blank between words, the
  // end of the previous clause, a byte of a word ("no-one" has a hyphen), or other.
  enum : unsigned char { kOther, kBlank, kClauseEnd, kWord };
  static constexpr auto kByte = [] {
    std::array<unsigned char, 256> cls{};
    for (std::size_t u = 0; u < cls.size(); ++u)
      if (is_word_char(static_cast<unsigned char>(u)) || u == '-') cls[u] = kWord;
    for (const char c : {' ', '\t'}) cls[static_cast<unsigned char>(c)] = kBlank;
    for (const char c : {'.', '!', '?', ';', ',', ':', '\n', '('}) cls[static_cast<unsigned char>(c)] = kClauseEnd;
    return cls;
  }();
  const auto byte = [&](std::size_t k) { return kByte[static_cast<unsigned char>(text[k])]; };
  // Walk back over at most three words, stopping at the clause's start.
  std::size_t i = at;
  for (int words = 0; words < 3; ++words) {
    while (i > 0 && byte(i - 1) == kBlank) --i;
    if (i == 0 || byte(i - 1) == kClauseEnd) return false;
    const std::size_t end = i;
    while (i > 0 && byte(i - 1) == kWord) --i;
    if (i == end) return false;  // punctuation of another kind: stop
    // Most words are none of these: one that starts with a letter no negator (nor "but")
    // starts with, and does not end in t ("n't"), is passed over unread.
    constexpr auto letter_bit = [](char l) { return std::uint32_t{1} << (l - 'a'); };
    constexpr std::uint32_t kFirstLetters =
        letter_bit('n') | letter_bit('w') | letter_bit('h') | letter_bit('c') | letter_bit('d') | letter_bit('b');
    if (const char first = c_lower(text[i]); first >= 'a' && first <= 'z' && (kFirstLetters & letter_bit(first)) == 0 &&
                                             c_lower(text[end - 1]) != 't')
      continue;
    // Lower case, and curly apostrophes straight: "wasn’t" (U+2019 is E2 80 99). Only
    // the word's length, its last three characters and, without apostrophes, its first
    // eight are needed: no negator is longer, and a string per word cost an allocation.
    constexpr std::size_t kLongest = 8;
    std::array<char, kLongest> bare{};  // without apostrophes
    std::array<char, 3> tail{};         // the last three, oldest first
    std::size_t length = 0, bare_length = 0;
    for (std::size_t k = i; k < end; ++k) {
      char l = c_lower(text[k]);
      if (text[k] == '\xE2' && k + 2 < end && text[k + 1] == '\x80' && text[k + 2] == '\x99') {
        l = '\'';
        k += 2;
      }
      ++length;
      tail = {tail[1], tail[2], l};
      if (l != '\'' && bare_length++ < kLongest) bare[bare_length - 1] = l;
    }
    const std::string_view last3(tail.data(), tail.size());  // compared only when length >= 3
    if (length == 3 && last3 == "but") return false;
    if (length > 3 && last3 == "n't") return true;
    std::uint64_t w = 0;  // as kNegators has them: bare's bytes are zero after its end
    for (std::size_t k = 0; k < kLongest; ++k) w |= std::uint64_t{static_cast<unsigned char>(bare[k])} << (8 * k);
    if (bare_length <= kLongest && std::find(kNegators.begin(), kNegators.end(), w) != kNegators.end()) return true;
  }
  return false;
}

RuleBook::RuleBook(std::vector<RuleSpec> rules) {
  set_ = std::make_unique<RE2::Set>(options(), RE2::UNANCHORED);
  untriggered_ = std::make_unique<RE2::Set>(options(), RE2::UNANCHORED);
  triggered_ = std::make_unique<RE2::Set>(options(), RE2::ANCHOR_START);
  trie_ = std::make_unique<KeywordTrie>();
  std::set<std::string> triggers;
  bool split_failed = false;  // an entry of the set of all is in neither of the other two
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
    c.in_trie = c.keywords != nullptr && std::all_of(kw.begin(), kw.end(), KeywordTrie::readable);
    if (c.in_trie) {
      for (std::size_t k = 0; k < kw.size(); ++k) {
        trie_->add(kw[k], static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(k));
      }
      const auto& ex = spec.match.exclude;
      c.exclude_in_trie = c.exclude != nullptr && std::all_of(ex.begin(), ex.end(), KeywordTrie::readable);
      for (std::size_t k = 0; c.exclude_in_trie && k < ex.size(); ++k)
        trie_->add(ex[k], static_cast<std::uint32_t>(rules.size() + index), static_cast<std::uint32_t>(k));
    } else if (c.keywords && set_->Add(c.keywords->pattern(), nullptr) >= 0) {
      if (untriggered_->Add(c.keywords->pattern(), nullptr) >= 0)
        untriggered_entries_.push_back(static_cast<std::uint32_t>(entries_.size()));
      else
        split_failed = true;
      entries_.push_back({index, -1});
    }
    for (std::size_t p = 0; p < c.patterns.size(); ++p) {
      if (set_->Add(c.patterns[p]->pattern(), nullptr) < 0) continue;
      const auto entry = static_cast<std::uint32_t>(entries_.size());
      entries_.push_back({index, static_cast<int>(p)});
      const auto literals = pattern_triggers(c.patterns[p]->pattern());
      if (!literals.empty() && triggered_->Add(c.patterns[p]->pattern(), nullptr) >= 0) {
        triggered_entries_.push_back(entry);
        triggers.insert(literals.begin(), literals.end());
      } else if (untriggered_->Add(c.patterns[p]->pattern(), nullptr) >= 0) {
        untriggered_entries_.push_back(entry);
      } else {
        split_failed = true;
      }
    }
    const auto& m = spec.match;
    if (!m.addresses.empty() || !m.domains.empty() || !m.mailboxes.empty())
      by_sender_.push_back(static_cast<std::uint32_t>(index));
    reads_sender_ = reads_sender_ || !m.addresses.empty() || !m.domains.empty();
    c.spec = std::move(spec);
    rules_.push_back(std::move(c));
  }
  for (const auto& t : triggers) trie_->add(t + "*", kTrigger, 0);
  trie_->compile();
  if (!set_->Compile()) set_.reset();
  // A set that did not compile (out of memory) leaves every entry to the set of all.
  if (untriggered_entries_.empty() || !untriggered_->Compile()) untriggered_.reset();
  if (triggered_entries_.empty() || !triggered_->Compile()) triggered_.reset();
  if (split_failed || (!untriggered_ && !untriggered_entries_.empty()) || (!triggered_ && !triggered_entries_.empty())) {
    untriggered_.reset();
    triggered_.reset();
    untriggered_entries_.clear();
    triggered_entries_.clear();
    whole_set_only_ = true;
  }
}

RuleBook::~RuleBook() = default;
RuleBook::RuleBook(RuleBook&&) noexcept = default;
RuleBook& RuleBook::operator=(RuleBook&&) noexcept = default;

std::span<const Found> Hits::operator[](std::size_t i) const {
  const auto r = std::lower_bound(rules.begin(), rules.end(), i, [](const Rule& h, std::size_t n) { return h.rule < n; });
  return r == rules.end() || r->rule != i ? std::span<const Found>() : of(*r);
}

Fired RuleBook::fired(const Found& f, std::string_view text) const {
  const Name rule = rules_[f.rule].spec.name;
  switch (f.how) {
    case Found::How::kKeyword: return {rule, "keyword", excerpt(text, f.begin, f.end)};
    case Found::How::kPattern: return {rule, "pattern", excerpt(text, f.begin, f.end)};
    case Found::How::kAddress: return {rule, "address", *f.value};
    case Found::How::kDomain: return {rule, "domain", *f.value};
    case Found::How::kMailbox: return {rule, "mailbox", *f.value};
  }
  return {rule, "", ""};
}

void RuleBook::append(std::vector<Fired>& to, std::span<const Found> found, std::string_view text) const {
  to.reserve(to.size() + found.size());
  for (const auto& f : found) to.push_back(fired(f, text));
}

Hits RuleBook::scan(const ScanInput& in, std::vector<Fired>* near_misses) const {
  Hits out;
  scan(in, near_misses, out);
  return out;
}

void RuleBook::scan(const ScanInput& in, std::vector<Fired>* near_misses, Hits& out) const {
  out.found.clear();
  out.rules.clear();
  const re2::StringPiece text(in.text.data(), in.text.size());

  // (?i) also folds K (U+212A) to k and ſ (U+017F) to s; text with either is read by RE2.
  const bool odd_folds = in.text.find("\xE2\x84\xAA") != std::string_view::npos ||
                         in.text.find("\xC5\xBF") != std::string_view::npos;
  Scratch& work = scratch();
  auto& found = work.found;
  bool counted = false;  // work.rules holds the rules of `found`, each once, ascending
  out.found.reserve(8);
  out.rules.reserve(8);
  if (!odd_folds) {
    trie_->find(in.text, found);
    if (found.size() >= kCountedSortFrom) {
      // Rules and their exclude phrases (rules_.size() + the rule's index).
      sort_hits(found, 2 * rules_.size(), work);
      counted = true;
    } else {
      // Per rule, leftmost first, then the first listed keyword: RE2's leftmost-first
      // order. The pattern triggers sort last. The rule and the start as one 64-bit key (a
      // start fits 32 bits, as in Found): one comparison where the three fields' were a
      // chain of mispredicted branches.
      const auto key = [](const KeywordTrie::Hit& h) { return std::uint64_t{h.rule} << 32 | static_cast<std::uint32_t>(h.begin); };
      std::sort(found.begin(), found.end(), [&](const KeywordTrie::Hit& a, const KeywordTrie::Hit& b) {
        const std::uint64_t ka = key(a), kb = key(b);
        return ka < kb || (ka == kb && a.keyword < b.keyword);
      });
    }
  }
  // The word starts where a pattern trigger was seen, descending, once each.
  auto& triggered_at = work.triggered_at;
  while (!found.empty() && found.back().rule == kTrigger) {
    if (triggered_at.empty() || triggered_at.back() != found.back().begin) triggered_at.push_back(found.back().begin);
    found.pop_back();
  }

  // Then the exclude phrases' occurrences, by rule (rules_.size() + the rule's index).
  const auto phrases_from = std::lower_bound(found.begin(), found.end(), rules_.size(),
                                             [](const KeywordTrie::Hit& h, std::size_t r) { return h.rule < r; });
  const std::span<const KeywordTrie::Hit> phrases(phrases_from, found.end());
  const std::span<const KeywordTrie::Hit> keywords(found.begin(), phrases_from);

  auto& hits = work.hits;
  bool all = set_ == nullptr;
  if (!all && !entries_.empty()) {
    RE2::Set::ErrorInfo info{};
    auto& matched = work.matched;
    // Most texts match no pattern: asking only whether any does spares RE2 a set of every
    // pattern per call (and lets it stop at the first match); which ones is asked after.
    const auto run = [&](const RE2::Set& set, re2::StringPiece on, const std::vector<std::uint32_t>* entries) {
      matched.clear();
      if (set.Match(on, nullptr, &info) && set.Match(on, &matched, &info)) {
        for (const int m : matched)
          hits.push_back(entries ? static_cast<int>((*entries)[static_cast<std::size_t>(m)]) : m);
      }
      // Out of DFA memory on a pathological text: fall back to each regex on its own.
      if (info.kind != RE2::Set::kNoError) all = true;
    };
    if (odd_folds || whole_set_only_) {
      run(*set_, text, nullptr);
    } else {
      if (untriggered_) run(*untriggered_, text, &untriggered_entries_);
      // A triggered pattern starts with \b and one of its triggers, so it matches the text
      // if and only if it matches anchored at a word start where the trie saw a trigger;
      // \b holds at the start of the rest of the text as it does there.
      if (triggered_) {
        for (auto at = triggered_at.rbegin(); at != triggered_at.rend() && !all; ++at)
          run(*triggered_, text.substr(*at), &triggered_entries_);
      }
    }
  }
  if (all) {
    hits.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) hits[i] = static_cast<int>(i);
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());

  // Whether the words at [begin, end) are a mention already kept, of the rule whose
  // entries start at out.found[first].
  const auto kept = [&](std::size_t first, std::size_t begin, std::size_t end) {
    return std::any_of(out.found.begin() + static_cast<std::ptrdiff_t>(first), out.found.end(),
                       [&](const Found& f) { return same_words(in.text, f.begin, f.end, begin, end); });
  };
  // One keyword match of rule `r`, whose entries start at out.found[first], at [begin, end),
  // a mention already kept or not (`again`): kept unless excluded or negated; true once
  // enough distinct mentions are kept.
  const auto keyword_match = [&](std::uint32_t r, std::size_t first, std::size_t begin, std::size_t end, bool again) {
    const Compiled& rule = rules_[r];
    if (rule.exclude) {
      // An exclude phrase that covers this match cancels it ("an assault on common sense").
      std::optional<bool> cut;
      if (rule.exclude_in_trie && !odd_folds)
        cut = excluded(phrases, static_cast<std::uint32_t>(rules_.size() + static_cast<std::size_t>(&rule - rules_.data())),
                       begin, end, text.size());
      if (!cut) cut = excluded_by_re2(*rule.exclude, text, begin, end);
      if (*cut) {
        if (near_misses) near_misses->push_back({rule.spec.name, "excluded", excerpt(in.text, begin, end)});
        return false;
      }
    }
    if (rule.spec.negatable && negated_before(in.text, begin)) {
      if (near_misses) near_misses->push_back({rule.spec.name, "negated", excerpt(in.text, begin > 24 ? begin - 24 : 0, end)});
      return false;
    }
    // Distinct mentions count (a compliment weighs its praise against the complaint's
    // words); a few are enough.
    if (!again) out.found.push_back({r, Found::How::kKeyword, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
    return out.found.size() - first >= 4;
  };

  // Every rule with something to look at, in order: its keywords, then its patterns, then
  // the sender and the mailbox.
  auto& todo = work.todo;
  if (counted) {
    for (const std::uint32_t r : work.rules)
      if (r < rules_.size()) todo.push_back(r);
  } else {
    for (const auto& o : keywords)
      if (todo.empty() || todo.back() != o.rule) todo.push_back(o.rule);
  }
  for (const int h : hits) todo.push_back(static_cast<std::uint32_t>(entries_[static_cast<std::size_t>(h)].rule));
  if (odd_folds) {
    for (std::size_t r = 0; r < rules_.size(); ++r)
      if (rules_[r].in_trie) todo.push_back(static_cast<std::uint32_t>(r));
  }
  if (!in.sender.empty() || !in.mailbox.empty()) todo.insert(todo.end(), by_sender_.begin(), by_sender_.end());
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end()), todo.end());

  auto next_found = keywords.begin();
  auto next_hit = hits.begin();
  for (const std::uint32_t r : todo) {
    const auto& rule = rules_[r];
    const std::size_t first = out.found.size();
    while (next_found != keywords.end() && next_found->rule < r) ++next_found;
    while (next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule < r) ++next_hit;
    const bool set_keywords = next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule == r &&
                              entries_[static_cast<std::size_t>(*next_hit)].pattern < 0;
    if (rule.in_trie && !odd_folds) {
      // Every keyword match, so a negated first mention does not hide a later real one:
      // the leftmost at or after the end of the previous one.
      std::size_t pos = 0;
      for (; next_found != keywords.end() && next_found->rule == r; ++next_found) {
        if (next_found->begin < pos) continue;
        pos = next_found->end;
        // Words already kept for this rule change nothing whether negated or not; only
        // explain wants to hear about each negated or excluded mention ("bin" ten times in
        // a letter).
        const bool again = kept(first, next_found->begin, next_found->end);
        if (again && !near_misses) continue;
        if (keyword_match(r, first, next_found->begin, next_found->end, again)) break;
      }
    } else if (set_keywords || (rule.keywords && (odd_folds || all))) {
      std::size_t pos = 0;
      re2::StringPiece m;
      while (pos <= text.size() && rule.keywords->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
        const auto begin = static_cast<std::size_t>(m.data() - text.data());
        const auto end = begin + m.size();
        pos = end > begin ? end : begin + 1;
        const bool again = kept(first, begin, end);
        if (again && !near_misses) continue;
        if (keyword_match(r, first, begin, end, again)) break;
      }
    }
    for (; next_hit != hits.end() && entries_[static_cast<std::size_t>(*next_hit)].rule == r; ++next_hit) {
      const auto& entry = entries_[static_cast<std::size_t>(*next_hit)];
      if (entry.pattern < 0) continue;
      re2::StringPiece m;
      if (rule.patterns[static_cast<std::size_t>(entry.pattern)]->Match(text, 0, text.size(), RE2::UNANCHORED, &m, 1)) {
        const auto begin = static_cast<std::size_t>(m.data() - text.data());
        out.found.push_back({r, Found::How::kPattern, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(begin + m.size())});
      }
    }
    const auto& m = rule.spec.match;
    if (!in.sender.empty()) {
      for (const auto& a : m.addresses)
        if (a == in.sender) out.found.push_back({r, Found::How::kAddress, 0, 0, &a});
      for (const auto& d : m.domains)
        if (domain_matches(in.sender, d)) out.found.push_back({r, Found::How::kDomain, 0, 0, &d});
    }
    if (!in.mailbox.empty()) {
      for (const auto& b : m.mailboxes)
        if (b == in.mailbox) out.found.push_back({r, Found::How::kMailbox, 0, 0, &b});
    }
    if (out.found.size() > first)
      out.rules.push_back({r, static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(out.found.size())});
  }
}

}  // namespace complaintd::triage
