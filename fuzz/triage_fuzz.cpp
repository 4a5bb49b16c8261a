// libFuzzer target for the rule matcher: any text (valid UTF-8, as parse() gives triage)
// must make every rule fire on the same words, in the same order, with the same near
// misses, whether its keywords are read by the keyword trie or by its RE2 alternation
// (tests/triage/matcher_test.cpp, on chosen texts). The trie reads a text in up to four
// parts at once and checks where they meet; sorting, repeats and negation follow. Built
// and run by scripts/fuzz.sh, seeded with the labelled set's mail.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "parser/text_util.hpp"
#include "tests/triage/matcher_books.hpp"
#include "triage/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace complaintd::triage;
  static const RuleBook trie(builtin_specs(false));
  static const RuleBook re2(builtin_specs(true));
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The keyword that keeps the second book on RE2 would fire there alone.
  if (!complaintd::parser::is_valid_utf8(text) || text.find("\xE2\x80\xBD\xE2\x80\xBD") != std::string_view::npos)
    return 0;
  std::vector<Fired> trie_near, re2_near;
  const Hits a = trie.scan(ScanInput{text, "", ""}, &trie_near);
  const Hits b = re2.scan(ScanInput{text, "", ""}, &re2_near);
  for (std::size_t r = 0; r < trie.size(); ++r)
    if (trie.fired(a[r], text) != re2.fired(b[r], text)) __builtin_trap();
  if (trie_near != re2_near) __builtin_trap();
  return 0;
}
