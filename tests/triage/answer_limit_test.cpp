// The limit on automatic answers to one address: a rolling window, time passed in.
#include "triage/answer_limit.hpp"

#include <gtest/gtest.h>

namespace complaintd::triage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Instant kNow = *parse_iso_instant("2026-11-23T12:00:00Z");

config::AutoRepliesConfig limit(int max, int count, config::Duration::Unit unit = config::Duration::Unit::kHours) {
  config::AutoRepliesConfig c;
  c.max_per_address = max;
  c.within = config::Duration{count, unit};
  return c;
}

std::vector<EarlierLetter> acks_every(seconds step, int n, Instant last = kNow) {
  std::vector<EarlierLetter> out;
  for (int i = 0; i < n; ++i) out.push_back({"acknowledgement", last - step * i});
  return out;
}

TEST(AnswerLimit, TheDefaultIsTenADay) {
  const config::AutoRepliesConfig d;
  EXPECT_EQ(d.max_per_address, 10);
  EXPECT_EQ(answer_window(d), hours(24));
}

TEST(AnswerLimit, BelowTheLimitSends) {
  const auto v = decide_answer(limit(10, 24), acks_every(minutes(1), 9), kNow);
  EXPECT_TRUE(v.send);
  EXPECT_EQ(v.in_window, 9);
  EXPECT_FALSE(v.resumes_at);
}

TEST(AnswerLimit, TheEleventhInADayIsWithheldUntilTheOldestLeavesTheWindow) {
  // Ten acknowledgements, one a minute, the last a minute ago.
  const auto earlier = acks_every(minutes(1), 10, kNow - minutes(1));
  const auto v = decide_answer(limit(10, 24), earlier, kNow);
  EXPECT_FALSE(v.send);
  EXPECT_EQ(v.in_window, 10);
  ASSERT_TRUE(v.resumes_at);
  EXPECT_EQ(*v.resumes_at, kNow - minutes(10) + hours(24));
  // The next day, one minute before that, still withheld; at that instant, one more goes.
  EXPECT_FALSE(decide_answer(limit(10, 24), earlier, *v.resumes_at - seconds(1)).send);
  const auto later = decide_answer(limit(10, 24), earlier, *v.resumes_at);
  EXPECT_TRUE(later.send);
  EXPECT_EQ(later.in_window, 9);
}

TEST(AnswerLimit, ResumesWhenTheMaxThMostRecentLeavesEvenWithMoreInTheWindow) {
  // Twelve in the window (a lower limit configured after they went): with a limit of 3,
  // the third most recent must leave before another goes.
  const auto earlier = acks_every(hours(1), 12, kNow - hours(1));
  const auto v = decide_answer(limit(3, 24), earlier, kNow);
  EXPECT_FALSE(v.send);
  EXPECT_EQ(v.in_window, 12);
  EXPECT_EQ(*v.resumes_at, kNow - hours(3) + hours(24));
}

TEST(AnswerLimit, LettersOlderThanTheWindowDoNotCount) {
  auto earlier = acks_every(minutes(1), 10, kNow - hours(24));  // the newest is exactly a day old
  EXPECT_TRUE(decide_answer(limit(10, 24), earlier, kNow).send);
  earlier.push_back({"acknowledgement", kNow - hours(24) + seconds(1)});
  const auto v = decide_answer(limit(10, 24), earlier, kNow);
  EXPECT_TRUE(v.send);
  EXPECT_EQ(v.in_window, 1);
}

TEST(AnswerLimit, OnlyAutomaticAnswersCount) {
  std::vector<EarlierLetter> earlier;
  for (const char* kind : {"response", "extension", "holding", "survey", "referral", "reminder", "customer_followup"})
    for (int i = 0; i < 5; ++i) earlier.push_back({kind, kNow - minutes(i)});
  const auto v = decide_answer(limit(1, 24), earlier, kNow);
  EXPECT_TRUE(v.send);
  EXPECT_EQ(v.in_window, 0);
}

TEST(AnswerLimit, EveryKindOfAutomaticAnswerCountsTowardsOneLimit) {
  const std::vector<EarlierLetter> earlier{{"acknowledgement", kNow - minutes(5)},
                                           {"compliment_thanks", kNow - minutes(4)},
                                           {"comment_acknowledgement", kNow - minutes(3)},
                                           {"outside_window", kNow - minutes(2)},
                                           {"out_of_scope", kNow - minutes(1)},
                                           {"withdrawn", kNow}};
  EXPECT_EQ(decide_answer(limit(6, 1), earlier, kNow).in_window, 6);
  EXPECT_FALSE(decide_answer(limit(6, 1), earlier, kNow).send);
  EXPECT_TRUE(decide_answer(limit(7, 1), earlier, kNow).send);
}

TEST(AnswerLimit, WhichLettersAreAutomaticAnswers) {
  for (const char* kind :
       {"acknowledgement", "compliment_thanks", "comment_acknowledgement", "outside_window", "out_of_scope", "withdrawn"})
    EXPECT_TRUE(is_automatic_answer(kind)) << kind;
  for (const char* kind : {"response", "extension", "holding", "survey", "referral", "reminder", "escalation", "flag",
                           "fast_track", "staff_confirmation", "customer_followup", "", "Acknowledgement"})
    EXPECT_FALSE(is_automatic_answer(kind)) << kind;
}

TEST(AnswerLimit, ZeroMeansNoLimit) {
  const auto v = decide_answer(limit(0, 24), acks_every(seconds(1), 1000), kNow);
  EXPECT_TRUE(v.send);
  EXPECT_EQ(v.in_window, 1000);
}

TEST(AnswerLimit, AWindowInDaysIsWholeDaysOfHoursNotTheCalendar) {
  EXPECT_EQ(answer_window(limit(5, 2, config::Duration::Unit::kDays)), hours(48));
  // Three letters 47 hours ago count against a limit of 3 in 2 days.
  EXPECT_FALSE(decide_answer(limit(3, 2, config::Duration::Unit::kDays), acks_every(seconds(1), 3, kNow - hours(47)),
                             kNow).send);
  EXPECT_TRUE(decide_answer(limit(3, 2, config::Duration::Unit::kDays), acks_every(seconds(1), 3, kNow - hours(48)),
                            kNow).send);
}

TEST(AnswerLimit, ALetterDatedAfterNowStillCounts) {
  // `tick --at` in the past, or the clock set back: what was sent was sent.
  const std::vector<EarlierLetter> earlier{{"acknowledgement", kNow + hours(2)}};
  EXPECT_FALSE(decide_answer(limit(1, 24), earlier, kNow).send);
}

// A manager's auto-responder that answers every confirmation by quoting it: a third
// confirmation within the hour is the last.
TEST(ConfirmationLimit, ThreeAnHourThenWithheldUntilTheOldestLeaves) {
  std::vector<EarlierLetter> earlier{{"staff_confirmation", kNow - minutes(50)},
                                     {"staff_confirmation", kNow - minutes(20)}};
  EXPECT_TRUE(decide_confirmation(earlier, kNow).send);
  earlier.push_back({"staff_confirmation", kNow - minutes(1)});
  const auto v = decide_confirmation(earlier, kNow);
  EXPECT_FALSE(v.send);
  EXPECT_EQ(v.in_window, 3);
  ASSERT_TRUE(v.resumes_at);
  EXPECT_EQ(*v.resumes_at, kNow + minutes(10));  // the one of 50 minutes ago leaves the hour
  EXPECT_TRUE(decide_confirmation(earlier, kNow + minutes(10)).send);
}

TEST(ConfirmationLimit, OnlyConfirmationsCount) {
  // Referrals, reminders and the customer's letters to the same address are not answers.
  std::vector<EarlierLetter> earlier{{"referral", kNow - minutes(5)}, {"reminder", kNow - minutes(4)},
                                     {"acknowledgement", kNow - minutes(3)}, {"escalation", kNow - minutes(2)},
                                     {"staff_confirmation", kNow - minutes(1)}};
  const auto v = decide_confirmation(earlier, kNow);
  EXPECT_TRUE(v.send);
  EXPECT_EQ(v.in_window, 1);
  // And confirmations do not count against the customers' [auto_replies] limit.
  EXPECT_EQ(decide_answer(limit(1, 24), {{"staff_confirmation", kNow - minutes(1)}}, kNow).in_window, 0);
}

}  // namespace
}  // namespace complaintd::triage
