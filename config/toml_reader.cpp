#include "config/toml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace complaintd::config::detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Collects errors while walking the document; every lookup records the key as known so
// that leftovers can be reported as unknown keys (with a suggestion for typos).
bool is_mail_url(std::string_view url, std::string_view plain, std::string_view tls) {
  auto starts = [&](std::string_view scheme) {
    return url.size() > scheme.size() + 3 && url.substr(0, scheme.size()) == scheme &&
           url.substr(scheme.size(), 3) == "://";
  };
  return starts(plain) || starts(tls);
}

std::optional<std::chrono::seconds> parse_interval(const toml::node& n) {
  if (auto i = n.value<std::int64_t>(); i && n.is_integer()) {
    if (*i < 1 || *i > 86400) return std::nullopt;
    return std::chrono::seconds(*i);
  }
  if (!n.is_string()) return std::nullopt;
  std::string s = *n.value<std::string>();
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || v < 1) return std::nullopt;
  std::string unit(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr));
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  std::int64_t mult = 0;
  if (unit == "s" || unit == "sec" || unit == "second" || unit == "seconds") mult = 1;
  if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes") mult = 60;
  if (mult == 0 || v * mult > 86400) return std::nullopt;
  return std::chrono::seconds(v * mult);
}

std::optional<std::chrono::year_month_day> parse_date(const toml::node& n) {
  if (n.is_date()) {
    const auto d = n.as_date()->get();
    std::chrono::year_month_day ymd{std::chrono::year{d.year}, std::chrono::month{d.month},
                                    std::chrono::day{d.day}};
    return ymd.ok() ? std::optional(ymd) : std::nullopt;
  }
  if (!n.is_string()) return std::nullopt;
  return parse_date_text(*n.value<std::string>());
}

std::optional<std::chrono::year_month_day> parse_date_text(const std::string& s) {
  int y = 0;
  unsigned m = 0, d = 0;
  char dash1 = 0, dash2 = 0;
  std::istringstream in(s);
  in >> y >> dash1 >> m >> dash2 >> d;
  if (!in || dash1 != '-' || dash2 != '-' || (!in.eof() && in.peek() != EOF)) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  return ymd.ok() ? std::optional(ymd) : std::nullopt;
}

}  // namespace complaintd::config::detail
