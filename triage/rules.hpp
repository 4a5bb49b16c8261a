#pragma once
// The rule matcher of triage: every rule of [triage] (and the built-in wording) compiled
// once, and one scan of a message that says which rules fired and on what text.
// Keywords are words, so they are found by one automaton of all of them run over the text
// (triage/keyword_trie.hpp: the same matches at word starts as each rule's
// case-insensitive RE2 alternation would give). A pattern that can only match
// where one of a few literals starts a word ("(?i)\bhousing\s+ref…") has those literals in
// the trie as its triggers, and runs (in one anchored RE2::Set) only at the word starts where
// the trie saw one; the other patterns run together as one RE2::Set (a single DFA pass over
// the text, which cost more than the rest of triage). Only the patterns a set says matched
// run again on their own, for the matched text. A rule's exclude phrases are in the trie
// too when they and its keywords are.
// Keywords the trie cannot read exactly like RE2 (non-ASCII, starting or ending in
// punctuation) keep their rule on RE2, in the set of untriggered patterns (issue 5: the
// set of every keyword and the second pass per hit cost more than parsing the message).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "config/config.hpp"
#include "triage/keyword_trie.hpp"
#include "triage/name.hpp"


namespace complaintd::triage {

/// Why a rule fired: its name, how (keyword, pattern, domain, address, mailbox, count…)
/// and the text that matched (an excerpt: short, mostly within std::string's own buffer).
struct Fired {
  Name rule;
  Name how;
  std::string matched;
  bool operator==(const Fired&) const = default;
};

/// What the rules look at.
struct ScanInput {
  std::string_view text;     ///< the subject, a newline, then the body (the caller chooses which)
  std::string_view sender;   ///< lower-case address, may be empty
  std::string_view mailbox;  ///< the [[mailbox]] name, empty for `complaintd ingest`
};

/// One compiled rule. `negatable`: a keyword preceded in its clause by "not", "never",
/// "no", "wasn't"… does not count (intents and safety flags; categories are about what
/// did *not* happen as often as not, so they are not negatable).
struct RuleSpec {
  Name name;  ///< interned (or a literal) by whoever builds the book, once
  config::MatchRule match;
  bool negatable = false;
};

/// One reason a rule fired, as the scan found it: where in the text, or which of the
/// rule's own addresses, domains or mailboxes. No strings: most of what a scan finds is
/// only counted or weighed, and each Fired copied its rule's name (issue 5);
/// RuleBook::fired makes a Fired of what a decision keeps.
struct Found {
  enum class How : std::uint8_t { kKeyword, kPattern, kAddress, kDomain, kMailbox };
  std::uint32_t rule;
  How how;
  std::uint32_t begin = 0, end = 0;    ///< the match in the scanned text (keyword, pattern)
  const std::string* value = nullptr;  ///< the rule's address, domain or mailbox (in the book)
};

/// What a scan found: every rule that fired, in the book's order, and what it fired on.
/// One flat list instead of a list per rule: most of 200 rules fire on nothing.
struct Hits {
  struct Rule {
    std::uint32_t rule;
    std::uint32_t begin, end;  ///< its entries in `found`
  };
  std::vector<Found> found;
  std::vector<Rule> rules;  ///< ascending

  /// What rule `i` fired on; empty when it did not. Valid while this object lives.
  [[nodiscard]] std::span<const Found> operator[](std::size_t i) const;
  [[nodiscard]] std::span<const Found> of(const Rule& r) const {
    return std::span<const Found>(found).subspan(r.begin, r.end - r.begin);
  }
};

class RuleBook {
 public:
  explicit RuleBook(std::vector<RuleSpec> rules);
  ~RuleBook();
  RuleBook(RuleBook&&) noexcept;
  RuleBook& operator=(RuleBook&&) noexcept;

  /// What fired, rule by rule in the order given. `near_misses` collects keyword matches
  /// dropped for negation or an `exclude` phrase, for explain.
  [[nodiscard]] Hits scan(const ScanInput& in, std::vector<Fired>* near_misses) const;
  /// The same into `out`, whose lists keep their capacity from one message to the next.
  void scan(const ScanInput& in, std::vector<Fired>* near_misses, Hits& out) const;

  /// What `f`, found by scanning `text`, says: the rule's name, how, and the text matched
  /// (an excerpt) or the rule's address, domain or mailbox.
  [[nodiscard]] Fired fired(const Found& f, std::string_view text) const;
  /// The same for each of `found`, appended to `to`.
  void append(std::vector<Fired>& to, std::span<const Found> found, std::string_view text) const;
  [[nodiscard]] std::vector<Fired> fired(std::span<const Found> found, std::string_view text) const {
    std::vector<Fired> out;
    append(out, found, text);
    return out;
  }

  [[nodiscard]] std::size_t size() const { return rules_.size(); }
  /// Whether any rule has addresses or domains, so that ScanInput::sender matters.
  [[nodiscard]] bool reads_sender() const { return reads_sender_; }
  [[nodiscard]] const RuleSpec& spec(std::size_t i) const { return rules_[i].spec; }

 private:
  struct Compiled {
    RuleSpec spec;
    std::unique_ptr<re2::RE2> keywords;  ///< every keyword as one alternation, whole words
    std::unique_ptr<re2::RE2> exclude;
    std::vector<std::unique_ptr<re2::RE2>> patterns;
    bool in_trie = false;  ///< its keywords are found by the trie, not by the set
    bool exclude_in_trie = false;  ///< and its exclude phrases too (as rule `size() + its index`)
  };
  /// Which rule and which of its regexes a set entry stands for (-1: the keywords).
  struct Entry {
    std::size_t rule;
    int pattern;
  };
  std::vector<Compiled> rules_;
  std::vector<std::uint32_t> by_sender_;  ///< the rules with addresses, domains or mailboxes
  bool reads_sender_ = false;
  std::vector<Entry> entries_;
  std::unique_ptr<re2::RE2::Set> set_;  ///< every entry: for text the trie does not read
  // The entries without triggers (unanchored), and those with (anchored at a trigger), and
  // which entry each set's index stands for.
  std::unique_ptr<re2::RE2::Set> untriggered_, triggered_;
  std::vector<std::uint32_t> untriggered_entries_, triggered_entries_;
  bool whole_set_only_ = false;  ///< the two sets did not compile: set_ reads every text
  /// The rule of the trie's hits that are pattern triggers, after every real rule.
  static constexpr std::uint32_t kTrigger = 0xFFFFFFFF;
  std::unique_ptr<KeywordTrie> trie_;
};

/// True when the words before `at` in the same clause negate what follows ("I was not
/// assaulted", "nobody threatened", "I don't want to withdraw").
bool negated_before(std::string_view text, std::size_t at);

/// Literals (lower case) one of which starts at a word start, as the keyword trie reads
/// "literal*", wherever `pattern` matches: the pattern starts with \b and a sequence of
/// letters, digits, spaces, apostrophes, \s+ and (?:…|…) groups of them, which is read as
/// far as it is certain. Empty when the pattern has no such start (it then runs on every
/// text).
std::vector<std::string> pattern_triggers(std::string_view pattern);

/// "assault*" → RE2 syntax for one keyword: words separated by any run of spaces, a final
/// "*" for any word ending.
std::string keyword_regex(std::string_view keyword);

}  // namespace complaintd::triage
