#include "triage/keyword_trie.hpp"

#include <algorithm>

namespace complaintd::triage {
namespace {

// A node's first word: the label of its first child (which is laid out right after it),
// how many children it has, and whether keywords end here or its children are a dense row.
constexpr std::uint32_t kLabelMask = 0xFF;
constexpr std::uint32_t kCountShift = 8;
constexpr std::uint32_t kHasEnds = 1U << 16;
constexpr std::uint32_t kDense = 1U << 17;
// Past this many children a node is a dense row: a step is then one load, not a search.
constexpr std::size_t kDenseFrom = 5;

// RE2's \w and \s (ASCII only), which its \b and \s+ are made of.
constexpr bool re2_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr bool re2_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
constexpr bool ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c); }

constexpr std::uint32_t ends_words(std::uint32_t header) { return (header & kHasEnds) ? 2 : 0; }
// Words for the labels (four to a word) and places of the children after the first.
constexpr std::uint32_t other_children_words(std::uint32_t count) {
  return count < 2 ? 0 : (count - 1 + 3) / 4 + (count - 1);
}

}  // namespace

bool KeywordTrie::readable(std::string_view k) {
  const bool prefix = !k.empty() && k.back() == '*';
  if (prefix) k.remove_suffix(1);
  if (k.empty() || !ascii_alnum(static_cast<unsigned char>(k.front()))) return false;
  if (!prefix && !ascii_alnum(static_cast<unsigned char>(k.back()))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

void KeywordTrie::add(std::string_view keyword, std::uint32_t rule, std::uint32_t keyword_index) {
  const bool prefix = !keyword.empty() && keyword.back() == '*';
  if (prefix) keyword.remove_suffix(1);
  std::uint32_t n = 0;
  const auto step = [&](char c) {
    auto& next = nodes_[n].next;
    const auto it = std::find_if(next.begin(), next.end(), [&](const auto& e) { return e.first == c; });
    if (it != next.end()) {
      n = it->second;
      return;
    }
    const auto child = static_cast<std::uint32_t>(nodes_.size());
    next.emplace_back(c, child);
    nodes_.emplace_back();
    n = child;
  };
  bool space = false;
  for (const char c : keyword) {
    if (c == ' ') {
      space = true;
      continue;
    }
    // Runs of spaces are one ' ' edge, as \s+ in the regex; leading ones are none.
    if (space && n != 0) step(' ');
    space = false;
    step(fold(static_cast<unsigned char>(c)));
  }
  nodes_[n].ends.push_back({rule, keyword_index, prefix});
}

std::uint32_t KeywordTrie::encoded_size(const Node& node) const {
  const auto count = static_cast<std::uint32_t>(node.next.size());
  const bool dense = &node == &nodes_[0] || count >= kDenseFrom;
  return 1 + (node.ends.empty() ? 0 : 2) + (dense ? classes_ : other_children_words(count));
}

void KeywordTrie::compile() {
  for (const auto& node : nodes_) {
    for (const auto& [c, next] : node.next) {
      auto& cls = byte_class_[static_cast<unsigned char>(c)];
      if (cls == 0) cls = static_cast<std::uint8_t>(classes_++);
    }
  }
  // Depth first, the first child right after its parent: a keyword's nodes are adjacent.
  std::vector<std::uint32_t> order;
  order.reserve(nodes_.size());
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {
    const std::uint32_t n = stack.back();
    stack.pop_back();
    order.push_back(n);
    const auto& next = nodes_[n].next;
    for (auto it = next.rbegin(); it != next.rend(); ++it) stack.push_back(it->second);
  }
  std::vector<std::uint32_t> at(nodes_.size(), 0);
  std::uint32_t size = 0;
  for (const std::uint32_t n : order) {
    at[n] = size;
    size += encoded_size(nodes_[n]);
  }
  code_.assign(size, 0);
  for (const std::uint32_t n : order) {
    const Node& node = nodes_[n];
    const auto count = static_cast<std::uint32_t>(node.next.size());
    const bool dense = n == 0 || count >= kDenseFrom;
    std::uint32_t w = at[n];
    std::uint32_t header = dense ? kDense : (count << kCountShift);
    if (!dense && count > 0) header |= static_cast<unsigned char>(node.next[0].first);
    if (!node.ends.empty()) header |= kHasEnds;
    code_[w++] = header;
    if (!node.ends.empty()) {
      code_[w++] = static_cast<std::uint32_t>(ends_.size());
      code_[w++] = static_cast<std::uint32_t>(node.ends.size());
      ends_.insert(ends_.end(), node.ends.begin(), node.ends.end());
    }
    if (dense) {
      for (const auto& [c, next] : node.next) code_[w + byte_class_[static_cast<unsigned char>(c)]] = at[next];
      continue;
    }
    const std::uint32_t label_words = count < 2 ? 0 : (count - 1 + 3) / 4;
    for (std::uint32_t k = 1; k < count; ++k) {
      code_[w + (k - 1) / 4] |= static_cast<std::uint32_t>(static_cast<unsigned char>(node.next[k].first)) << (8 * ((k - 1) % 4));
      code_[w + label_words + k - 1] = at[node.next[k].second];
    }
  }
  nodes_.clear();
  nodes_.shrink_to_fit();
}

// The node reached from the node at `at` (whose first word is `header`) by `c`; 0 for
// none, as the root is nobody's child. Inline: it is the walk's inner step.
inline std::uint32_t KeywordTrie::step(std::uint32_t at, std::uint32_t header, char c) const {
  const std::uint32_t body = at + 1 + ends_words(header);
  if (header & kDense) return code_[body + byte_class_[static_cast<unsigned char>(c)]];
  const std::uint32_t count = (header >> kCountShift) & 0xFF;
  if (count == 0) return 0;
  // The first child, the one most keywords take, is compared in the header itself.
  if ((header & kLabelMask) == static_cast<unsigned char>(c)) return body + other_children_words(count);
  return count == 1 ? 0 : sparse_step(body, header, c);
}

std::uint32_t KeywordTrie::sparse_step(std::uint32_t body, std::uint32_t header, char c) const {
  const std::uint32_t count = (header >> kCountShift) & 0xFF;
  const auto label = static_cast<std::uint32_t>(static_cast<unsigned char>(c));
  const std::uint32_t label_words = (count - 1 + 3) / 4;
  for (std::uint32_t k = 1; k < count; ++k) {
    if (((code_[body + (k - 1) / 4] >> (8 * ((k - 1) % 4))) & 0xFF) == label) return code_[body + label_words + k - 1];
  }
  return 0;
}

void KeywordTrie::find(std::string_view text, std::vector<Hit>& out) const {
  if (code_.empty()) return;
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t p = 0; p < n; ++p) {
    if (!ascii_alnum(t[p]) || (p > 0 && re2_word(t[p - 1]))) continue;
    std::uint32_t node = step(0, code_[0], fold(t[p]));
    std::size_t i = p + 1;
    while (node != 0) {
      const std::uint32_t header = code_[node];
      if (header & kHasEnds) {
        const std::uint32_t first = code_[node + 1];
        const std::uint32_t last = first + code_[node + 2];
        for (std::uint32_t k = first; k < last; ++k) {
          const End& e = ends_[k];
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
        node = step(node, header, ' ');
        while (i < n && re2_space(t[i])) ++i;
      } else if (t[i] == 0xE2 && i + 2 < n && t[i + 1] == 0x80 && t[i + 2] == 0x99) {
        node = step(node, header, '\'');  // ’
        i += 3;
      } else {
        node = step(node, header, fold(t[i]));
        ++i;
      }
    }
    // Words that continue no keyword leave at once; the next start is past this word.
    while (p + 1 < n && re2_word(t[p + 1])) ++p;
  }
}

}  // namespace complaintd::triage
