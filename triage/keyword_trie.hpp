#pragma once
// Every keyword of the rule book in one byte trie, walked once from each word start of a
// text: the same occurrences that each keyword's case-insensitive RE2 form (keyword_regex
// after \b) would match there. A space in a keyword takes any run of whitespace, an
// apostrophe takes ' or ’, a final "*" any word ending.
//
// The trie is compiled into one array laid out depth first, so a walk down a keyword
// reads consecutive words of memory: a node with one child is a single word and its
// child the next one. Nodes with many children (the root and the first letters, which
// every word start reads) are dense rows indexed by byte class. The table of the first
// version (a dense row for every node, 1.6 MB for 200 rules) missed the cache on almost
// every step (issue 5).

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
  /// Lays the trie out for find(); add() no longer works.
  void compile();

  /// Appends every occurrence that \b(?:keyword) would match at a word start of `text`,
  /// by word start, then by length.
  void find(std::string_view text, std::vector<Hit>& out) const;

  /// The compiled array's size, for tests and benchmarks.
  [[nodiscard]] std::size_t bytes() const { return code_.size() * sizeof(std::uint32_t); }

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

  [[nodiscard]] std::uint32_t encoded_size(const Node& node) const;
  [[nodiscard]] std::uint32_t step(std::uint32_t at, std::uint32_t header, char c) const;
  [[nodiscard]] std::uint32_t sparse_step(std::uint32_t body, std::uint32_t header, char c) const;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // while adding; node 0 is the root
  // After compile(): the class of each byte in the dense rows (0: in no keyword), how many
  // classes there are, the nodes, and the keyword ends they point into.
  std::array<std::uint8_t, 256> byte_class_{};
  std::uint32_t classes_ = 1;
  std::vector<std::uint32_t> code_;
  std::vector<End> ends_;
};

}  // namespace complaintd::triage
