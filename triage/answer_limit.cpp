#include "triage/answer_limit.hpp"

#include <algorithm>
#include <array>

namespace complaintd::triage {

bool is_automatic_answer(std::string_view event) {
  static constexpr std::array<std::string_view, 6> kAnswers{
      "acknowledgement", "compliment_thanks", "comment_acknowledgement", "outside_window", "out_of_scope", "withdrawn"};
  return std::find(kAnswers.begin(), kAnswers.end(), event) != kAnswers.end();
}

std::chrono::seconds answer_window(const config::AutoRepliesConfig& limit) {
  const auto& d = limit.within;
  if (d.unit == config::Duration::Unit::kHours) return std::chrono::hours(d.count);
  // kWorkingDays never passes check-config; count it as days rather than as nothing.
  return std::chrono::hours(24 * d.count);
}

namespace {

// At most limit.max_per_address of the letters `counts` picks in any window of limit.within.
template <typename Counts>
AnswerVerdict limit_letters(const config::AutoRepliesConfig& limit, const std::vector<EarlierLetter>& earlier,
                            Instant now, Counts counts) {
  AnswerVerdict v;
  const Instant since = now - answer_window(limit);
  std::vector<Instant> inside;
  for (const auto& l : earlier) {
    // (since, now]: a letter exactly one window old has just left it. A letter dated after
    // `now` (a clock set back, or `tick --at` in the past) still counts: it was sent.
    if (l.at > since && counts(l.kind)) inside.push_back(l.at);
  }
  v.in_window = static_cast<int>(inside.size());
  if (limit.max_per_address <= 0 || v.in_window < limit.max_per_address) return v;
  v.send = false;
  // The window frees a place when the max-th most recent of them leaves it.
  const auto max = static_cast<std::size_t>(limit.max_per_address);
  std::nth_element(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(max - 1), inside.end(),
                   std::greater<>());
  v.resumes_at = inside[max - 1] + answer_window(limit);
  return v;
}

}  // namespace

AnswerVerdict decide_answer(const config::AutoRepliesConfig& limit, const std::vector<EarlierLetter>& earlier,
                            Instant now) {
  return limit_letters(limit, earlier, now, [](std::string_view kind) { return is_automatic_answer(kind); });
}

AnswerVerdict decide_confirmation(const std::vector<EarlierLetter>& earlier, Instant now) {
  return limit_letters(kConfirmationLimit, earlier, now,
                       [](std::string_view kind) { return kind == "staff_confirmation"; });
}

}  // namespace complaintd::triage
