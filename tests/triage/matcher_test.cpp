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
#include "tests/triage/matcher_books.hpp"

namespace complaintd::triage {
namespace {

namespace fs = std::filesystem;

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
  // Exclude phrases (found by the trie too) at every distance from the keyword they cover,
  // across the edges of the window they are looked for in, overlapping each other.
  for (std::size_t pad = 40; pad <= 75; ++pad) {
    const std::string gap(pad, ' '), dots(pad, '.');
    for (const std::string& t : {"verbal" + gap + "assault", "verbal" + gap + "assaulted", "assault" + gap + "course",
                                 "assault" + dots + " assault courses", "assault " + dots + "assault course",
                                 "he hit me " + dots + " verbal assault course", "cost a" + gap + "bomb. a bomb",
                                 "the tennis" + gap + "court" + dots + "court yard", "I will appeal to" + gap + "the court"})
      out.push_back(t);
  }
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
      EXPECT_EQ(trie.fired(a[r], text), re2.fired(b[r], text))
          << trie.spec(r).name << " on: " << text;
      fired += static_cast<int>(a[r].size());
    }
    EXPECT_EQ(trie_near, re2_near) << text;
  }
  EXPECT_GT(fired, 300);  // the texts do exercise the rules
}

}  // namespace
}  // namespace complaintd::triage

// ---- Pattern triggers ----

namespace complaintd::triage {
namespace {

TEST(PatternTriggers, ReadTheLiteralsAPatternMustStartAWordWith) {
  using V = std::vector<std::string>;
  EXPECT_EQ(pattern_triggers(R"((?i)\bhousing\s+(?:ref|case)\s*#?12\d{3}\b)"), (V{"housing case", "housing ref"}));
  EXPECT_EQ(pattern_triggers(R"(\bcollectors?\s+were)"), (V{"collector"}));
  EXPECT_EQ(pattern_triggers(R"((?i)\bi(?:'ll| will)\s+(?:hurt|kill)\b)"),
            (V{"i will hurt", "i will kill", "i'll hurt", "i'll kill"}));
  // An alternative read only in part ends the literals there.
  EXPECT_EQ(pattern_triggers(R"(\b(?:staff|drivers?|case worker)\s+was)"), (V{"case worker", "driver", "staff"}));
  EXPECT_EQ(pattern_triggers(R"((?i)\bA\d{2,4}\b)"), (V{"a"}));
  EXPECT_EQ(pattern_triggers(R"((?s)\bFoo(?:|bar)x)"), (V{"foobarx", "foox"}));
  EXPECT_EQ(pattern_triggers(R"(\bfoo(?:bar)?baz)"), (V{"foo"}));
  EXPECT_EQ(pattern_triggers(R"(\bfoo(?:b|c\d)+)"), (V{"foo"}));
  EXPECT_EQ(pattern_triggers(R"(\b(?:foo|b[a|]r|x))"), (V{"b", "foo", "x"}));
  EXPECT_EQ(pattern_triggers(R"(\bcaf\x{E9})"), (V{"caf"}));
  // Nothing is required at a word start: no trigger, the pattern runs on every text.
  for (const char* p : {R"((?i)housing)", R"(\bfoo|bar)", R"(x|\bfoo)", R"(\b\d+)", R"(\b(?:a|\d))", R"(\b(?:foo)?bar)",
                        R"(\b[[:alpha:]]+)", R"(\b\Qfoo\E)", R"((?i:\bfoo))", R"(\b'foo)", R"(\b foo)", R"(^\bfoo)",
                        R"((?-i)\bfoo)", R"(\bf*oo)", R"(\b_foo)"}) {
    EXPECT_EQ(pattern_triggers(p), V{}) << p;
  }
}

// Each rule's pattern hits, from a book whose patterns have triggers, against RE2 run on its
// own: the same first match, on texts made to sit at every edge of a word start.
TEST(PatternTriggers, FireExactlyAsEachPatternOnItsOwnWould) {
  const std::vector<std::string> patterns = {
      R"((?i)\bhousing\s+(?:ref|case)\s*#?12\d{3}\b)",
      R"(\bHousing ref)",
      R"((?i)\bi(?:'ll| will| am going to|'m going to|m going to)\s+(?:hurt|kill|sort)\s+(?:you|him)\b)",
      R"((?i)\b(?:staff|member of staff|collectors?|case worker)\s+(?:was|were)\s+(?:\w+\s+)?(?:rude|drunk))",
      R"((?i)\bA\d{2,4}\b)",
      R"((?i)\bref\b)",
      R"(\d{5})",  // no trigger: runs on every text
  };
  std::vector<RuleSpec> specs;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    config::MatchRule m;
    m.patterns = {patterns[i]};
    if (i == 0) m.keywords = {"housing", "ref*"};  // triggers share the trie with keywords
    specs.push_back(RuleSpec{Name::intern("p" + std::to_string(i)), m, false});
  }
  ASSERT_FALSE(pattern_triggers(patterns[0]).empty());
  ASSERT_TRUE(pattern_triggers(patterns.back()).empty());
  const RuleBook book(specs);
  const char* pieces[] = {"housing", "HOUSING", "Housing", "ref", "Ref", "case", " ", "  ", "\t", "\n", "#", "12",
                          "123", "12345", "x", "_", "i", "I", "'ll", "\xE2\x80\x99ll", " will", "m", " am going to",
                          "hurt", "you", "staff", "collector", "collectors", "case worker", "was", "were", "very",
                          "rude", "a12", "A1234", "\xC3\xA9", "\xC5\xBF", "\xE2\x84\xAA", ".", "-"};
  std::vector<std::string> texts = {"", "housing ref 12345", "xhousing ref 12345", "_housing ref #12000",
                                    "I'll hurt you", "I\xE2\x80\x99ll hurt you", "Im going to sort him",
                                    "caf\xC3\xA9housing case 12999", "the collectors were very rude", "A12"};
  std::uint64_t seed = 7;
  for (int n = 0; n < 4000; ++n) {
    std::string t;
    const int len = static_cast<int>(seed % 12) + 1;
    for (int k = 0; k < len; ++k) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      t += pieces[(seed >> 33) % (sizeof pieces / sizeof pieces[0])];
    }
    texts.push_back(t);
  }
  int matched = 0;
  for (const auto& text : texts) {
    const auto hits = book.scan(ScanInput{text, "", ""}, nullptr);
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      std::vector<Fired> want;
      const RE2 re(patterns[i]);
      re2::StringPiece m;
      if (re.Match(text, 0, text.size(), RE2::UNANCHORED, &m, 1)) {
        std::string shown(m.data(), std::min<std::size_t>(m.size(), 120));
        for (auto& c : shown) c = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
        want.push_back({book.spec(i).name, "pattern", shown});
        ++matched;
      }
      std::vector<Fired> got;
      for (const auto& f : book.fired(hits[i], text)) if (f.how == "pattern") got.push_back(f);
      EXPECT_EQ(got, want) << patterns[i] << " on: " << text;
    }
  }
  EXPECT_GT(matched, 300);  // the texts do make the patterns match
}

}  // namespace
}  // namespace complaintd::triage
