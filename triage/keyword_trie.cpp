#include "triage/keyword_trie.hpp"

#include <algorithm>
#include <limits>

namespace complaintd::triage {
namespace {

// RE2's \w and \s (ASCII only), which its \b and \s+ are made of. \w by a table: report
// asks it at both ends of every match.
constexpr auto kRe2Word = [] {
  std::array<bool, 256> word{};
  for (std::size_t c = 0; c < word.size(); ++c)
    word[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return word;
}();
constexpr bool re2_word(unsigned char c) { return kRe2Word[c]; }
constexpr bool re2_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
constexpr bool ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c); }

// ’ (U+2019) is E2 80 99.
constexpr bool curly_at(const unsigned char* t, std::size_t i, std::size_t n) {
  return t[i] == 0xE2 && i + 2 < n && t[i + 1] == 0x80 && t[i + 2] == 0x99;
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

void KeywordTrie::compile() {
  std::array<std::uint8_t, 256> byte_class{};
  std::uint32_t classes = 1;
  for (const auto& node : nodes_) {
    for (const auto& [c, next] : node.next) {
      auto& cls = byte_class[static_cast<unsigned char>(c)];
      if (cls == 0) cls = static_cast<std::uint8_t>(classes++);
    }
  }
  // The text's other spellings of a keyword's characters: capitals, every whitespace byte
  // for a space. (’ is three bytes: its first, E2, has a class of its own whose column
  // holds a marker, and find reads the other two.)
  for (unsigned c = 'A'; c <= 'Z'; ++c) byte_class[c] = byte_class[c - 'A' + 'a'];
  for (const char c : {'\t', '\n', '\f', '\r'}) byte_class[static_cast<unsigned char>(c)] = byte_class[' '];
  const std::uint32_t apostrophe_class = byte_class['\''];
  const std::uint32_t space_class = byte_class[' '];
  const std::uint32_t curly_class = classes++;
  byte_class[0xE2] = static_cast<std::uint8_t>(curly_class);

  // Breadth first: the failure link of each node (the longest proper suffix of its path
  // that is a path too), its depth, and its transitions completed by its failure's.
  const auto size = static_cast<std::uint32_t>(nodes_.size());
  std::vector<std::uint32_t> order{0}, fail(size, 0), depth(size, 0);
  std::vector<char> last_char(size, 0);  // the last character of each node's path
  // Whether a node's path has a space or an apostrophe, which the text may spell with
  // more bytes (a whitespace run, ’); without, a match is as long in the text as its path.
  std::vector<bool> stretchy(size, false);
  std::vector<std::vector<std::uint32_t>> go(size, std::vector<std::uint32_t>(classes, 0));
  const auto class_of = [&](char c) { return static_cast<std::uint32_t>(byte_class[static_cast<unsigned char>(c)]); };
  for (const auto& [c, child] : nodes_[0].next) {
    go[0][class_of(c)] = child;
    depth[child] = 1;
    last_char[child] = c;
    order.push_back(child);
  }
  for (std::size_t k = 1; k < order.size(); ++k) {
    const std::uint32_t u = order[k];
    go[u] = go[fail[u]];
    for (const auto& [c, child] : nodes_[u].next) {
      const auto cls = class_of(c);
      fail[child] = go[fail[u]][cls];
      depth[child] = depth[u] + 1;
      last_char[child] = c;
      stretchy[child] = stretchy[u] || c == ' ' || c == '\'';
      go[u][cls] = child;
      order.push_back(child);
    }
  }
  // Each state reports its own keywords and those of its failure chain (a keyword that
  // ends where a longer one does: "missed" in "not missed").
  std::vector<std::vector<Output>> out(size);
  for (const std::uint32_t u : order) {
    for (std::uint32_t v = u; v != 0; v = fail[v]) {
      for (const End& e : nodes_[v].ends) out[u].push_back({e.rule, e.keyword, depth[v], e.prefix, !stretchy[v]});
    }
  }
  // Numbered breadth first (the states most texts visit are near the root and together),
  // those with outputs after those without.
  std::vector<std::uint32_t> id(size);
  std::uint32_t next_id = 0;
  for (const bool with_outputs : {false, true}) {
    if (with_outputs) outputs_from_ = next_id;
    for (const std::uint32_t u : order)
      if (out[u].empty() != with_outputs) id[u] = next_id++;
  }
  // Column offsets and the ’ marker (a state + size) are 32-bit: rule books are far smaller.
  states_ = size;
  for (std::size_t c = 0; c < column_.size(); ++c) column_[c] = byte_class[c] * size;
  apostrophe_column_ = apostrophe_class * size;
  std::vector<std::uint32_t> table(static_cast<std::size_t>(size) * classes, 0);
  output_begin_.assign(size - outputs_from_ + 1, 0);
  std::vector<std::vector<Output>> out_by_id(size - outputs_from_);
  for (std::uint32_t u = 0; u < size; ++u) {
    const std::uint32_t i = id[u];
    // Class 0 is in no keyword: back to the root, which is id 0.
    for (std::uint32_t c = 1; c < classes; ++c) table[std::size_t{c} * size + i] = id[go[u][c]];
    // A whitespace run is one space to the keywords: after a space, the next whitespace
    // byte leaves the state where it is. (The state after a space is one whose path ends
    // in a space, or the root, which has no space edge; neither reports anything, as no
    // keyword ends in a space.)
    if (space_class != 0 && (u == 0 || last_char[u] == ' ')) table[std::size_t{space_class} * size + i] = i;
    table[std::size_t{curly_class} * size + i] = size + i;
    if (i >= outputs_from_) out_by_id[i - outputs_from_] = std::move(out[u]);
  }
  for (std::size_t k = 0; k < out_by_id.size(); ++k) {
    outputs_.insert(outputs_.end(), out_by_id[k].begin(), out_by_id[k].end());
    output_begin_[k + 1] = static_cast<std::uint32_t>(outputs_.size());
  }
  if (2 * std::size_t{size} <= std::size_t{std::numeric_limits<std::uint16_t>::max()} + 1)
    narrow_.assign(table.begin(), table.end());
  else
    wide_ = std::move(table);
  nodes_.clear();
  nodes_.shrink_to_fit();
}

// The keywords that end at `end` (the automaton is at `state`), kept when they start a word
// and, unless a prefix, end one.
void KeywordTrie::report(std::string_view text, std::size_t end, std::uint32_t state, std::vector<Hit>& out) const {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const bool word_after = end < n && re2_word(t[end]);
  std::size_t word_end = end;  // for prefix keywords, found once
  for (std::uint32_t k = output_begin_[state - outputs_from_], last = output_begin_[state - outputs_from_ + 1]; k < last; ++k) {
    const Output& o = outputs_[k];
    if (word_after && !o.prefix) continue;
    // Back over `length` characters as read: a whitespace run and ’ are one each. Inside a
    // match every character is a keyword's, so a 0x99 byte there ends a ’.
    std::size_t b = end - o.length;
    if (!o.exact) {
      b = end;
      for (std::uint32_t c = 0; c < o.length; ++c) {
        if (re2_space(t[b - 1])) {
          while (b > 0 && re2_space(t[b - 1])) --b;
        } else if (t[b - 1] == 0x99) {
          b -= 3;
        } else {
          --b;
        }
      }
    }
    if (b > 0 && re2_word(t[b - 1])) continue;  // inside a word: "bin" in "cabin"
    if (o.prefix && word_end == end)
      while (word_end < n && re2_word(t[word_end])) ++word_end;
    out.push_back({o.rule, o.keyword, b, o.prefix ? word_end : end});
  }
}

void KeywordTrie::find(std::string_view text, std::vector<Hit>& out) const {
  if (!narrow_.empty())
    find_in(narrow_.data(), text, out);
  else if (!wide_.empty())
    find_in(wide_.data(), text, out);
}

template <typename Entry>
void KeywordTrie::find_in(const Entry* table, std::string_view text, std::vector<Hit>& out) const {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const unsigned char* const end = t + n;
  const std::uint32_t* columns = column_.data();
  const std::uint32_t outputs_from = outputs_from_;
  const std::uint32_t states = states_;
  // The automaton reading a part of the text: where, and in which state. The lambdas here
  // take it by value and are all inlined, by force: when GCC left one out of line, the
  // streams' states went through memory and four streams were slower than one.
  struct At {
    const unsigned char* p;
    std::uint32_t state;
  };
  // One byte: one load and one rarely taken branch (whitespace runs are the table's, a
  // space after a space stays put, and E2 leads past every state, to a marker). True when
  // the state reached is past outputs_from.
  const auto step = [&](At& s) __attribute__((always_inline)) {
    s.state = table[columns[*s.p++] + s.state];
    return s.state >= outputs_from;
  };
  // The hits that end where `s` is, if after `quiet` (before, they are another stream's);
  // past a ’ when `s` is at its first byte.
  const auto at_output = [&](At s, const unsigned char* quiet) __attribute__((always_inline)) {
    if (s.state >= states) {
      // E2 80 99 is read as an apostrophe; any other E2 is in no keyword.
      if (!curly_at(t, static_cast<std::size_t>(s.p - t) - 1, n)) return At{s.p, 0};
      s = {s.p + 2, table[apostrophe_column_ + s.state - states]};
      if (s.state < outputs_from) return s;
    }
    if (s.p > quiet) report(text, static_cast<std::size_t>(s.p - t), s.state, out);
    return s;
  };
  // On to `to`. Four bytes to a loop test: the loop's own compare and branch were a fifth
  // of a byte's instructions.
  const auto read = [&](At s, const unsigned char* to, const unsigned char* quiet) __attribute__((always_inline)) {
    while (to - s.p >= 4) {
      if (step(s) || step(s) || step(s) || step(s)) s = at_output(s, quiet);
    }
    while (s.p < to) {
      if (step(s)) s = at_output(s, quiet);
    }
    return s;
  };
  const std::size_t streams = std::min(kStreams, n / kBytesPerStream);
  if (streams <= 1) {
    read({t, 0}, end, t);
    return;
  }

  // Each step waits for the one before (its load gives the next state), so one stream is
  // bound by the load's latency, not by its instructions: K streams over K parts of a text
  // overlap their loads. A part but the first is read from kWarmUp bytes before its start,
  // quietly: the automaton's state depends only on the keyword characters just read, so at
  // the start it is almost always the state the part before ends in. Whether it is, is
  // checked at the end, and when it is not (a keyword longer than kWarmUp across the
  // start), the text is read again by one stream. (Parts used to start after a byte in no
  // keyword, where the state is the root; on short texts the nearest such byte, often the
  // final full stop, left most of the text to one stream.)
  const auto in_parts = [&]<std::size_t K>() __attribute__((always_inline)) {
    // Each stream reads as many bytes, its warm-up included.
    const std::size_t length = (n + (K - 1) * kWarmUp) / K;
    std::array<const unsigned char*, K + 1> starts{};
    starts[0] = t;
    starts[K] = end;
    #pragma GCC unroll 4
    for (std::size_t k = 1; k < K; ++k) {
      const unsigned char* start = t + k * (length - kWarmUp) + kWarmUp;
      // Not inside a ’, which is read at once.
      const auto at = static_cast<std::size_t>(start - t);
      if (curly_at(t, at - 1, n))
        start += 2;
      else if (curly_at(t, at - 2, n))
        start += 1;
      starts[k] = start;
    }
    std::array<At, K> s;
    std::array<const unsigned char*, K> to;
    s[0] = {t, 0};
    to[0] = starts[1];
    #pragma GCC unroll 4
    for (std::size_t k = 1; k < K; ++k) {
      s[k] = {starts[k] - kWarmUp, 0};
      to[k] = starts[k];
    }
    // All the streams take a byte each in turn while none is at the end of its part (of
    // its warm-up, first), in runs as long as the shortest part left; reading a ’ ends the
    // run, as that stream is two bytes further.
    const auto together = [&]() __attribute__((always_inline)) {
      for (;;) {
        std::size_t left = static_cast<std::size_t>(to[0] - s[0].p);
        #pragma GCC unroll 4
        for (std::size_t k = 1; k < K; ++k) left = std::min(left, static_cast<std::size_t>(to[k] - s[k].p));
        bool curly = false;
        for (; left > 0 && !curly; --left) {
          #pragma GCC unroll 4
          for (std::size_t k = 0; k < K; ++k) {
            if (step(s[k])) {
              const unsigned char* const was = s[k].p;
              s[k] = at_output(s[k], starts[k]);
              curly |= s[k].p != was;
            }
          }
        }
        if (!curly) return;
      }
    };
    together();
    std::array<std::uint32_t, K> at_start{};
    #pragma GCC unroll 4
    for (std::size_t k = 1; k < K; ++k) {
      s[k] = read(s[k], to[k], starts[k]);
      at_start[k] = s[k].state;
      to[k] = starts[k + 1];
    }
    together();
    #pragma GCC unroll 4
    for (std::size_t k = 0; k < K; ++k) s[k] = read(s[k], to[k], starts[k]);
    #pragma GCC unroll 4
    for (std::size_t k = 1; k < K; ++k)
      if (s[k - 1].state != at_start[k]) return false;
    return true;
  };
  const std::size_t had = out.size();
  bool read_right = true;
  switch (streams) {
    case 2: read_right = in_parts.template operator()<2>(); break;
    case 3: read_right = in_parts.template operator()<3>(); break;
    default: read_right = in_parts.template operator()<4>(); break;
  }
  if (!read_right) {
    out.resize(had);
    read({t, 0}, end, t);
  }
}

}  // namespace complaintd::triage
