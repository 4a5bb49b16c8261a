#include "parser/date.hpp"

#include <array>
#include <string>
#include <vector>

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// RFC 5322 §4.3 obs-zone, and the other names common mailers print ("UTC", "Z", European
// summer zones). Minutes east of UTC.
struct NamedZone {
  std::string_view name;
  int minutes;
};
constexpr std::array<NamedZone, 16> kZones = {{
    {"ut", 0},        {"gmt", 0},       {"utc", 0},       {"z", 0},
    {"est", -5 * 60}, {"edt", -4 * 60}, {"cst", -6 * 60}, {"cdt", -5 * 60},
    {"mst", -7 * 60}, {"mdt", -6 * 60}, {"pst", -8 * 60}, {"pdt", -7 * 60},
    {"bst", 60},      {"cet", 60},      {"cest", 120},    {"wet", 0},
}};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<unsigned> month_of(std::string_view word) {
  if (word.size() < 3) return std::nullopt;
  const std::string w = to_lower_ascii(word.substr(0, 3));
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (w == kMonths[i]) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

bool is_weekday(std::string_view word) {
  if (word.size() < 3) return false;
  const std::string w = to_lower_ascii(word.substr(0, 3));
  for (const auto d : kDays) {
    if (w == d) return true;
  }
  return false;
}

// "+0100", "-0500": RFC 5322 zone. Also "+01:00" and "+01" (seen from some web mailers).
std::optional<int> numeric_zone(std::string_view t) {
  if (t.size() < 3 || (t[0] != '+' && t[0] != '-')) return std::nullopt;
  std::string digits;
  for (const char c : t.substr(1)) {
    if (c != ':') digits.push_back(c);
  }
  if (!all_digits(digits) || (digits.size() != 4 && digits.size() != 2)) return std::nullopt;
  const int hh = to_int(std::string_view(digits).substr(0, 2));
  const int mm = digits.size() == 4 ? to_int(std::string_view(digits).substr(2, 2)) : 0;
  if (hh > 23 || mm > 59) return std::nullopt;
  return (t[0] == '-' ? -1 : 1) * (hh * 60 + mm);
}

std::optional<int> named_zone(std::string_view t) {
  const std::string w = to_lower_ascii(t);
  for (const auto& z : kZones) {
    if (w == z.name) return z.minutes;
  }
  // Military single letters: RFC 5322 §4.3 says their meaning was botched in RFC 822 and
  // they must be read as "-0000" (UTC, local zone unknown).
  if (w.size() == 1 && w[0] >= 'a' && w[0] <= 'z' && w[0] != 'j') return 0;
  return std::nullopt;
}

struct Time {
  int h = 0, m = 0, s = 0;
};

std::optional<Time> time_of(std::string_view t) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = t.find(':', start);
    fields.push_back(t.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (fields.size() < 2 || fields.size() > 3) return std::nullopt;
  for (const auto f : fields) {
    if (!all_digits(f) || f.size() > 2) return std::nullopt;
  }
  Time out{to_int(fields[0]), to_int(fields[1]), fields.size() == 3 ? to_int(fields[2]) : 0};
  if (out.h > 23 || out.m > 59 || out.s > 60) return std::nullopt;
  if (out.s == 60) out.s = 59;  // a leap second: the instant a second early is close enough
  return out;
}

// Splits on whitespace and commas, drops (comments) (nesting allowed), and splits
// RFC 850 dates "03-Jun-24" at their dashes (a leading '-' is a zone sign, kept).
std::vector<std::string> tokens(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  const auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < value.size() && out.size() < 16; ++i) {
    const char c = value[i];
    if (c == '(') {
      flush();
      ++depth;
      continue;
    }
    if (depth > 0) {
      if (c == ')') --depth;
      else if (c == '\\') ++i;
      continue;
    }
    if (is_space(c) || c == ',') {
      flush();
    } else if ((c == '+' || c == '-') && cur.find(':') != std::string::npos) {
      flush();  // "10:00:00+0200": the zone follows the time without a space
      cur.push_back(c);
    } else if (c == '-' && !cur.empty() && cur.find(':') == std::string::npos) {
      flush();  // "03-Jun-24": the dash separates date fields
    } else {
      cur.push_back(c);
    }
  }
  flush();
  return out;
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_date_utc(std::string_view value) {
  std::optional<int> day;
  std::optional<unsigned> month;
  std::optional<int> year;
  std::optional<Time> time;
  std::optional<int> zone;
  std::size_t year_digits = 0;
  for (const std::string& t : tokens(value)) {
    if (is_weekday(t) && !month_of(t)) continue;
    if (!month) {
      if (auto m = month_of(t); m && !all_digits(t)) {
        month = m;
        continue;
      }
    }
    if (!time && t.find(':') != std::string::npos) {
      time = time_of(t);
      if (!time) return std::nullopt;
      continue;
    }
    if (all_digits(t)) {
      // asctime ("Mon Jun  3 10:00:00 2024") puts the day after the month; RFC 5322 before.
      if (!day && t.size() <= 2) {
        day = to_int(t);
      } else if (!year && t.size() <= 4) {
        year = to_int(t);
        year_digits = t.size();
      } else {
        return std::nullopt;
      }
      continue;
    }
    if (!zone && time) {
      if (auto z = numeric_zone(t)) zone = z;
      else if (auto n = named_zone(t)) zone = n;
      // Unknown zone names ("MEZ", "Mitteleuropäische Zeit") are read as UTC below.
      continue;
    }
    // Other words (e.g. "at") are ignored; a date needs its day, month, year and time.
  }
  if (!day || !month || !year || !time) return std::nullopt;
  int y = *year;
  // RFC 5322 §4.3: two-digit years 00–49 are 2000–2049, 50–99 are 1950–1999; three-digit
  // years add 1900.
  if (year_digits <= 2) y += y < 50 ? 2000 : 1900;
  else if (year_digits == 3) y += 1900;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{*month},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto local = std::chrono::sys_days{ymd} + hours{time->h} + minutes{time->m} + seconds{time->s};
  return std::chrono::time_point_cast<seconds>(local - minutes{zone.value_or(0)});
}

}  // namespace complaintd::parser
