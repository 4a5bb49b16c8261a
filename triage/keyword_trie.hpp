#pragma once
// Every keyword of the rule book in one automaton, run once over a text: the same
// occurrences that each keyword's case-insensitive RE2 form (keyword_regex after \b) would
// match at a word start. A space in a keyword takes any run of whitespace, an apostrophe
// takes ' or ’, a final "*" any word ending.
//
// Aho–Corasick over byte classes with a dense table: one load per byte of text, with no
// walk restarted at each word start. The first version walked a trie from every word start
// (issue 5); on complaint text nearly every word starts a keyword ("the …", "not …",
// "missed …"), so each byte was read two or three times, each step a chain of
// data-dependent branches. The automaton also finds keywords inside words ("bin" in
// "cabin"); those are dropped by the word-start check at each match, which is rarer than
// a step. The text is read as if every whitespace run were one space and ’ were ', which
// is what the keywords' spaces and apostrophes take.
//
// The table is a column per byte class, each a 16-bit entry per state (32-bit for rule
// books past 32,768 states), half the size of the 32-bit row per state it replaced. The
// states near the root, which most bytes of any text visit, are numbered first, so their
// entries for one class share cache lines, where each visited state's row had lines of
// its own: over the labelled set, with the 200-rule book, find's first-level cache misses
// fell by a third and its time by an eighth.
//
// A text is read by up to four streams at once, as each byte's step waits for the load of
// the one before (find says how).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace complaintd::triage {

class KeywordTrie {
 public:
  /// One keyword occurrence: the keyword's rule, its place in the rule's list, and where.
  struct Hit {
    std::uint32_t rule, keyword;
    std::size_t begin, end;
  };

  /// Whether the trie reads `keyword` exactly as RE2 reads keyword_regex(keyword) under
  /// (?i) after \b: printable ASCII, starting with a letter or digit and ending in one (or
  /// in "*").
  static bool readable(std::string_view keyword);

  /// Adds a readable keyword. Only before compile().
  void add(std::string_view keyword, std::uint32_t rule, std::uint32_t keyword_index);
  /// Builds the automaton for find(); add() no longer works.
  void compile();

  /// Appends every occurrence that \b(?:keyword) would match at a word start of `text`, in
  /// no particular order (callers sort).
  void find(std::string_view text, std::vector<Hit>& out) const;

  /// The compiled table's size, for tests and benchmarks.
  [[nodiscard]] std::size_t bytes() const {
    return narrow_.size() * sizeof(std::uint16_t) + wide_.size() * sizeof(std::uint32_t) +
           output_begin_.size() * sizeof(std::uint32_t) + outputs_.size() * sizeof(Output);
  }
  /// The size of the table's entries, 2 or 4 bytes, for tests.
  [[nodiscard]] std::size_t entry_bytes() const { return wide_.empty() ? sizeof(std::uint16_t) : sizeof(std::uint32_t); }

 private:
  struct End {
    std::uint32_t rule;
    std::uint32_t keyword;
    bool prefix;  // "assault*": any word ending follows
  };
  struct Node {
    std::vector<std::pair<char, std::uint32_t>> next;
    std::vector<End> ends;
  };
  /// A keyword that ends where the automaton is: `length` characters of the text as read
  /// (a whitespace run or ’ is one), so its start can be found by reading back.
  struct Output {
    std::uint32_t rule;
    std::uint32_t keyword;
    std::uint32_t length;
    bool prefix;
    bool exact;  // no space or apostrophe: `length` bytes of the text, no reading back
  };

  void report(std::string_view text, std::size_t end, std::uint32_t state, std::vector<Hit>& out) const;
  template <typename Entry>
  void find_in(const Entry* table, std::string_view text, std::vector<Hit>& out) const;

  // A text is read by a stream per kBytesPerStream bytes, up to kStreams, each but the
  // first from kWarmUp bytes before its part (find).
  static constexpr std::size_t kBytesPerStream = 32;
  static constexpr std::size_t kStreams = 4;
  static constexpr std::size_t kWarmUp = 24;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // while adding; node 0 is the root
  // After compile(): for each byte, where its class's column starts (class 0, in no
  // keyword, is column 0: upper case reads as lower case, every whitespace byte as a
  // space), and the table, whose entry at column + state is the next state. States with
  // outputs are numbered last, from outputs_from_, so one comparison says whether to
  // report; the column of E2 (the first byte of ’) holds states_ + the state, beyond every
  // state, so that the same comparison catches it and find can go on from the state it was
  // at. A state's outputs are outputs_[output_begin_[i], output_begin_[i + 1]), i counted
  // from outputs_from_.
  std::array<std::uint32_t, 256> column_{};
  std::uint32_t apostrophe_column_ = 0;
  std::uint32_t states_ = 0;
  std::uint32_t outputs_from_ = 0;
  // One of the two: 16-bit entries while states_ + every state fits them.
  std::vector<std::uint16_t> narrow_;
  std::vector<std::uint32_t> wide_;
  std::vector<std::uint32_t> output_begin_;
  std::vector<Output> outputs_;
};

}  // namespace complaintd::triage
