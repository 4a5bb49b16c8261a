// libFuzzer target holding the streaming HTML reader to gumbo: whenever the fast reader
// answers, its text must be gumbo's, byte for byte (parser/html_fast.cpp declines what it
// cannot read exactly). Built and run by scripts/fuzz.sh, seeded with a dictionary-like
// set of HTML snippets in tests/fixtures/html/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/html_render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  const auto fast = complaintd::parser::html::fast_text(html);
  if (fast && *fast != complaintd::parser::html::gumbo_text(html)) __builtin_trap();
  return 0;
}
