// libFuzzer target for config::parse_config: any text must give a Config or a list of
// errors with positions, never a crash, a hang or an escaping exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // password_file and holidays_file make the loader read the named file; a fuzzer that
  // names /dev/zero measures the kernel, not us. Those keys are tested in tests/config/.
  if (text.find("_file") != std::string_view::npos) return 0;
  const auto result = complaintd::config::parse_config(text, "/nonexistent/fuzz/complaintd.toml");
  if (result.config.has_value() == !result.errors.empty()) __builtin_trap();
  for (const auto& e : result.errors) {
    if (complaintd::config::format_error(e).empty()) __builtin_trap();
  }
  return 0;
}
