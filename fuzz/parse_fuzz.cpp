// libFuzzer target for parser::parse: any bytes must yield a message, never a crash, a hang,
// an exception or unbounded memory. Seed it with tests/fixtures/parser/ and the corpus.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/parse_fuzz.cpp \
//     parser/*.cpp -licuuc -licui18n -licudata -lgumbo -o parse_fuzz

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/parse.hpp"
#include "parser/text_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  complaintd::parser::ParseLimits limits;
  // Small limits reach the limit paths with small inputs.
  limits.max_message_bytes = 1u << 20;
  limits.max_depth = 16;
  limits.max_parts = 64;
  const auto message = complaintd::parser::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), limits);
  // parse() promises UTF-8 everywhere, and LF line endings in the text.
  using complaintd::parser::is_valid_utf8;
  if (message.text.find('\r') != std::string::npos) __builtin_trap();
  if (!is_valid_utf8(message.text) || !is_valid_utf8(message.subject)) __builtin_trap();
  if (message.from && (!is_valid_utf8(message.from->name) || !is_valid_utf8(message.from->address))) {
    __builtin_trap();
  }
  for (const auto& a : message.attachments) {
    if (!is_valid_utf8(a.filename)) __builtin_trap();
  }
  return 0;
}
