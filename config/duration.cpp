#include "config/duration.hpp"

#include <cctype>
#include <charconv>
#include <vector>

namespace complaintd::config {
namespace {

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const auto words = lower_words(text);
  const std::string hint = "expected e.g. \"20 working days\", \"28 days\", \"2 weeks\" or \"4 hours\"";
  if (words.size() < 2 || words.size() > 3) {
    return Error{"bad duration \"" + std::string(text) + "\": " + hint};
  }
  int count = -1;
  const auto& n = words[0];
  auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
  if (ec != std::errc{} || ptr != n.data() + n.size() || count < 0 || count > 3650) {
    return Error{"bad duration \"" + std::string(text) + "\": the number must be 0 to 3650; " + hint};
  }
  auto unit_is = [&](std::string_view singular) {
    const auto& u = words.back();
    return u == singular || u == std::string(singular) + "s";
  };
  Duration d;
  d.count = count;
  if (words.size() == 3) {
    if (words[1] != "working" || !unit_is("day")) {
      return Error{"bad duration \"" + std::string(text) + "\": " + hint};
    }
    d.unit = Duration::Unit::kWorkingDays;
  } else if (unit_is("day")) {
    d.unit = Duration::Unit::kDays;
  } else if (unit_is("week")) {
    d.unit = Duration::Unit::kDays;
    d.count = count * 7;
  } else if (unit_is("hour")) {
    d.unit = Duration::Unit::kHours;
  } else {
    return Error{"bad duration \"" + std::string(text) + "\": " + hint};
  }
  return d;
}

std::string to_string(const Duration& d) {
  const std::string n = std::to_string(d.count);
  const bool one = d.count == 1;
  switch (d.unit) {
    case Duration::Unit::kWorkingDays: return n + (one ? " working day" : " working days");
    case Duration::Unit::kDays: return n + (one ? " day" : " days");
    case Duration::Unit::kHours: return n + (one ? " hour" : " hours");
  }
  return n;
}

}  // namespace complaintd::config
