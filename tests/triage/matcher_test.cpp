// The keyword trie against RE2: a rule whose keywords the trie reads must fire on the same
// words, in the same order, with the same near misses, as the same rule read by its RE2
// alternation. Each rule is read both ways by giving a copy of the book one keyword the
// trie declines (and no text contains), which keeps that copy's rules on RE2.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parser/parse.hpp"
#include "triage/assess.hpp"
#include "triage/builtin_rules.hpp"
#include "triage/rules.hpp"

namespace complaintd::triage {
namespace {

namespace fs = std::filesystem;

std::vector<RuleSpec> builtin_specs(bool force_re2) {
  const auto& t = builtin_rules();
  std::vector<RuleSpec> specs;
  const auto add = [&](std::string name, config::MatchRule m, bool negatable) {
    // "‽‽" never occurs below, is not ASCII, and so keeps the whole rule on RE2.
    if (force_re2 && !m.keywords.empty()) m.keywords.push_back("\xE2\x80\xBD\xE2\x80\xBD");
    specs.push_back(RuleSpec{std::move(name), std::move(m), negatable});
  };
  for (const auto& c : t.categories) add("category." + c.name, c.match, false);
  add("complexity", t.complexity, false);
  add("flag.fast_track", t.fast_track.match, true);
  add("flag.unacceptable_behaviour", t.unacceptable_behaviour.match, true);
  add("flag.staff_conduct", t.staff_conduct.match, true);
  add("flag.personal_data", t.personal_data.match, true);
  add("intent.compliment", t.compliment, true);
  add("intent.comment", t.comment, true);
  add("intent.next_stage", t.next_stage, true);
  add("intent.withdrawal", t.withdrawal, true);
  add("intent.complaint", complaint_cues(), true);
  // Keywords that overlap, share a start, repeat, and stretch over spaces and apostrophes.
  config::MatchRule overlap;
  overlap.keywords = {"not collected", "not collected again", "not", "bin*", "bin", "bins weren't", "cc'd",
                      "f***", "f**k", "car  park", "Car Park*", "no-one", "3 weeks", "x"};
  add("test.overlap", overlap, true);
  return specs;
}

std::vector<std::string> texts() {
  std::vector<std::string> out = {
      "Bins not collected\nMy bin was not collected again, and not collected the week before.",
      "I was not assaulted, just kept waiting. Then he ASSAULTED me! Assaults, assaulting.",
      "The bins weren\xE2\x80\x99t emptied; bins weren't emptied; bins  weren't\n\temptied.",
      "bins_weren't bin_ bin9 9bin bin- -bin bin's bin\xE2\x80\x99s caf\xC3\xA9 bin\xC3\xA9",
      "cc'd cc\xE2\x80\x99" "d ccd cc''d. f*** f**k f**king f***ing off",
      "car park CAR\n\n PARK carpark car-park the Car Parking team",
      "No-one came, no one came, noone came. 3 weeks, 3  weeks, 13 weeks.",
      "x x x x x x y x.",
      "",
      "not",
      "Thank you thank you THANK YOU so much, you were wonderful. I am not thanking anyone.",
      "I want to withdraw my complaint. I don't want to withdraw. Please escalate to stage 2.",
      "My solicitor says we will go to court. I spoke to Sue. An assault on common sense.",
      // Under (?i) RE2 folds the Kelvin sign to k and long s to s; the trie does not, so
      // text with either is read by RE2 throughout.
      "He kic\xE2\x84\xAA" "ed me. Bin\xC5\xBF not collected, bins not collected, mi\xC5\xBF\xC5\xBF" "ed bins.",
  };
  for (const auto& e : fs::directory_iterator(fs::path(COMPLAINTD_SOURCE_DIR) / "tests/data/triage/mail")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    const auto msg = parser::parse(s.str());
    out.push_back(msg.subject + "\n" + std::string(triage_text(msg)));
  }
  return out;
}

TEST(KeywordTrie, FiresExactlyAsTheRe2AlternationWould) {
  const RuleBook trie(builtin_specs(false));
  const RuleBook re2(builtin_specs(true));
  ASSERT_EQ(trie.size(), re2.size());
  int fired = 0;
  for (const auto& text : texts()) {
    std::vector<Fired> trie_near, re2_near;
    const auto a = trie.scan(ScanInput{text, "", ""}, &trie_near);
    const auto b = re2.scan(ScanInput{text, "", ""}, &re2_near);
    for (std::size_t r = 0; r < trie.size(); ++r) {
      EXPECT_EQ(std::vector<Fired>(a[r].begin(), a[r].end()), std::vector<Fired>(b[r].begin(), b[r].end()))
          << trie.spec(r).name << " on: " << text;
      fired += static_cast<int>(a[r].size());
    }
    EXPECT_EQ(trie_near, re2_near) << text;
  }
  EXPECT_GT(fired, 300);  // the texts do exercise the rules
}

}  // namespace
}  // namespace complaintd::triage
