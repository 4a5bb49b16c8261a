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
    return table_.size() * sizeof(std::uint32_t) + outputs_.size() * sizeof(Output);
  }

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

  void report(std::string_view text, std::size_t end, std::size_t row, std::vector<Hit>& out) const;

  // Texts this long are read by two streams at once (find), split at a byte in no keyword
  // found within kSplitWithin bytes after the middle.
  static constexpr std::size_t kTwoStreams = 64;
  static constexpr std::size_t kSplitWithin = 256;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // while adding; node 0 is the root
  // After compile(): the class of each byte (0: in no keyword; upper case as lower case,
  // every whitespace byte as a space), the row length, and the table: a row per state,
  // each entry the row offset of the next state, then the state's outputs as [first, last)
  // in outputs_. States with outputs are numbered last, so one comparison with
  // outputs_from_ says whether to report; the column of E2 (the first byte of ’) holds
  // kCurly and the row's own offset, beyond every row, so that the same comparison
  // catches it and find can go on from the row it was at.
  std::array<std::uint8_t, 256> byte_class_{};
  static constexpr std::uint32_t kCurly = 0x80000000;  // above any row offset: tables are far smaller
  std::uint32_t apostrophe_class_ = 0;
  std::uint32_t stride_ = 0;
  std::uint32_t outputs_from_ = 0;
  std::vector<std::uint32_t> table_;
  std::vector<Output> outputs_;
};

}  // namespace complaintd::triage
