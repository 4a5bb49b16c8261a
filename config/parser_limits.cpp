#include "config/parser_limits.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace complaintd::config {
namespace {

// Below 64 KiB ordinary mail with a photo is refused; above 1 GiB one message could use
// several GiB while parsed (docs/PERFORMANCE.md: peak memory is within 4x the size).
constexpr std::uint64_t kMinMessageSize = 64u * 1024u;
constexpr std::uint64_t kMaxMessageSize = 1024u * 1024u * 1024u;
// parser::kHardMaxDepth: nesting beyond it is never walked whatever is configured.
constexpr std::int64_t kMaxDepth = 200;
constexpr std::int64_t kMaxParts = 100'000;

std::string format_bytes(std::uint64_t n) {
  if (n % (1024u * 1024u) == 0) return std::to_string(n / (1024u * 1024u)) + " MB";
  if (n % 1024u == 0) return std::to_string(n / 1024u) + " KB";
  return std::to_string(n) + " bytes";
}

// An integer key within [lo, hi]; reports and returns nullopt otherwise.
std::optional<std::int64_t> bounded_integer(detail::Reader& r, const toml::table& t, std::string_view key,
                                            std::int64_t lo, std::int64_t hi) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  const std::string name = "parser." + std::string(key);
  if (!n->is_integer()) {
    r.error(n, name, "must be a whole number");
    return std::nullopt;
  }
  const std::int64_t v = n->as_integer()->get();
  if (v < lo || v > hi) {
    r.error(n, name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

}  // namespace

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  const std::string hint = "expected a size such as \"25MB\", \"512 KB\" or a number of bytes";
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), number);
  if (ec != std::errc{} || end == text.data() + i) return Error{hint};
  std::string_view rest(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.remove_suffix(1);
  std::string unit;
  for (const char c : rest) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  struct Unit {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr std::array<Unit, 13> kUnits = {{{"", 1}, {"b", 1}, {"bytes", 1}, {"byte", 1},
                                                   {"k", 1u << 10}, {"kb", 1u << 10}, {"kib", 1u << 10},
                                                   {"m", 1u << 20}, {"mb", 1u << 20}, {"mib", 1u << 20},
                                                   {"g", 1u << 30}, {"gb", 1u << 30}, {"gib", 1u << 30}}};
  for (const auto& u : kUnits) {
    if (unit != u.name) continue;
    constexpr std::uint64_t kMax = std::uint64_t{1} << 40;
    if (number > kMax / u.factor) return Error{"too large (at most 1 TB)"};
    return number * u.factor;
  }
  return Error{"unknown unit \"" + unit + "\"; " + hint};
}

namespace detail {

void read_parser(Reader& r, const toml::table& doc, Config& cfg) {
  const toml::node* node = doc.get("parser");
  if (node == nullptr) return;
  const auto* t = node->as_table();
  if (t == nullptr) {
    r.error(node, "parser", "must be a table: write [parser]");
    return;
  }
  r.check_unknown(*t, "parser", {"max_message_size", "max_depth", "max_parts"});
  if (const toml::node* n = t->get("max_message_size")) {
    std::optional<std::uint64_t> bytes;
    if (n->is_integer()) {
      if (n->as_integer()->get() >= 0) bytes = static_cast<std::uint64_t>(n->as_integer()->get());
      else r.error(n, "parser.max_message_size", "must not be negative");
    } else if (n->is_string()) {
      auto parsed = parse_byte_size(n->as_string()->get());
      if (parsed) bytes = *parsed;
      else r.error(n, "parser.max_message_size", parsed.error().message);
    } else {
      r.error(n, "parser.max_message_size", "must be a size such as \"25MB\" or a number of bytes");
    }
    if (bytes && (*bytes < kMinMessageSize || *bytes > kMaxMessageSize)) {
      r.error(n, "parser.max_message_size",
              "must be between " + format_bytes(kMinMessageSize) + " and " + format_bytes(kMaxMessageSize));
    } else if (bytes) {
      cfg.parser.max_message_size = *bytes;
    }
  }
  if (auto v = bounded_integer(r, *t, "max_depth", 1, kMaxDepth)) cfg.parser.max_depth = static_cast<std::size_t>(*v);
  if (auto v = bounded_integer(r, *t, "max_parts", 1, kMaxParts)) cfg.parser.max_parts = static_cast<std::size_t>(*v);
}

}  // namespace detail
}  // namespace complaintd::config
