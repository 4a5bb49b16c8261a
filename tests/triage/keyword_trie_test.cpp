// The keyword automaton on its own: what it reads, and that it finds at every word start
// exactly what RE2 finds there for \b(?:keyword_regex(keyword)) under (?i), on random
// keyword sets that share prefixes and suffixes (failure links, outputs of shorter
// keywords inside longer ones) and on near misses at every kind of word edge.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <re2/re2.h>

#include "triage/keyword_trie.hpp"
#include "triage/rules.hpp"

namespace complaintd::triage {
namespace {

using Found = std::tuple<std::uint32_t, std::size_t, std::size_t>;  // keyword, begin, end

KeywordTrie compiled(const std::vector<std::string>& keywords) {
  KeywordTrie trie;
  for (std::size_t k = 0; k < keywords.size(); ++k) trie.add(keywords[k], 7, static_cast<std::uint32_t>(k));
  trie.compile();
  return trie;
}

std::vector<Found> trie_finds(const KeywordTrie& trie, std::string_view text) {
  std::vector<KeywordTrie::Hit> hits;
  trie.find(text, hits);
  std::vector<Found> out;
  for (const auto& h : hits) {
    EXPECT_EQ(h.rule, 7u);
    out.emplace_back(h.keyword, h.begin, h.end);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Found> trie_finds(const std::vector<std::string>& keywords, std::string_view text) {
  return trie_finds(compiled(keywords), text);
}

// Every keyword matched by RE2 anchored at every position: what the trie must report.
std::vector<Found> re2_finds(const std::vector<std::string>& keywords, std::string_view text) {
  std::vector<Found> out;
  for (std::size_t k = 0; k < keywords.size(); ++k) {
    const RE2 re("(?i)\\b(?:" + keyword_regex(keywords[k]) + ")");
    EXPECT_TRUE(re.ok()) << keywords[k];
    const re2::StringPiece t(text.data(), text.size());
    for (std::size_t p = 0; p < text.size(); ++p) {
      re2::StringPiece m;
      if (re.Match(t, p, t.size(), RE2::ANCHOR_START, &m, 1))
        out.emplace_back(static_cast<std::uint32_t>(k), p, p + m.size());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(KeywordTrie, ReadsPrintableAsciiFromAWordCharacterToAWordCharacterOrStar) {
  EXPECT_TRUE(KeywordTrie::readable("bin"));
  EXPECT_TRUE(KeywordTrie::readable("not collected"));
  EXPECT_TRUE(KeywordTrie::readable("assault*"));
  EXPECT_TRUE(KeywordTrie::readable("f**k"));
  EXPECT_TRUE(KeywordTrie::readable("cc'd"));
  EXPECT_FALSE(KeywordTrie::readable(""));
  EXPECT_FALSE(KeywordTrie::readable("*"));
  EXPECT_FALSE(KeywordTrie::readable("-bin"));
  EXPECT_FALSE(KeywordTrie::readable("bin-"));
  EXPECT_FALSE(KeywordTrie::readable("caf\xC3\xA9"));
  EXPECT_FALSE(KeywordTrie::readable("tab\there"));
}

TEST(KeywordTrie, FindsWholeWordsAnyCaseOverSpaceRunsAndCurlyApostrophes) {
  const std::vector<std::string> kw = {"bin", "assault*", "kept waiting", "wasn't", "bin"};
  const std::string text = "My BIN, cabinet bins; ASSAULTED kept \n\t waiting wasn\xE2\x80\x99t assault";
  EXPECT_EQ(trie_finds(kw, text), re2_finds(kw, text));
  // The same keyword twice (two rules, or a repeat): both are reported.
  EXPECT_EQ(trie_finds(kw, "bin"), (std::vector<Found>{{0, 0, 3}, {4, 0, 3}}));
}

TEST(KeywordTrie, AnEmptyTrieFindsNothing) {
  KeywordTrie trie;
  trie.compile();
  std::vector<KeywordTrie::Hit> hits;
  trie.find("anything at all", hits);
  EXPECT_TRUE(hits.empty());
}

TEST(KeywordTrie, AgreesWithRe2OnRandomKeywordSets) {
  std::mt19937 rng(5);
  const auto pick = [&](std::string_view from) { return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)]; };
  int compared = 0;
  for (int set = 0; set < 60; ++set) {
    // Few letters and short words, so keywords share prefixes and nodes have 1 to 6+ children.
    std::vector<std::string> kw;
    const int count = std::uniform_int_distribution<int>(1, 40)(rng);
    for (int k = 0; k < count; ++k) {
      std::string w(1, pick("abcdefg1"));
      const int len = std::uniform_int_distribution<int>(0, 6)(rng);
      for (int i = 0; i < len; ++i) w += pick("abcdefg1abc  '-");
      while (w.back() == ' ' || w.back() == '\'' || w.back() == '-') w.pop_back();
      if (rng() % 4 == 0) w += '*';
      ASSERT_TRUE(KeywordTrie::readable(w)) << w;
      kw.push_back(w);
    }
    for (int t = 0; t < 10; ++t) {
      std::string text;
      const int len = std::uniform_int_distribution<int>(0, 80)(rng);
      for (int i = 0; i < len; ++i) {
        if (rng() % 25 == 0) text += "\xE2\x80\x99";
        else if (rng() % 40 == 0) text += "\xC3\xA9";  // é: not \w, a word edge to RE2 and the trie
        else text += pick("abcdefgABCDEFG1_  \n\t'-.");
      }
      ASSERT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << "text: " << text << " first keyword: " << kw[0];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 600);
}

TEST(KeywordTrie, AgreesWithRe2OnLongTextsReadInParts) {
  // Texts of 64 bytes or more are read in two to four parts, each but the first from a
  // little before it. ’ is frequent, so that a part often starts next to or inside one;
  // whitespace runs cross the starts; a full stop, an underscore, é or a digit the
  // keywords lack puts the automaton back at the root, and some texts have none.
  std::mt19937 rng(11);
  const auto pick = [&](std::string_view from) { return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)]; };
  int compared = 0;
  for (int set = 0; set < 20; ++set) {
    std::vector<std::string> kw;
    const int count = std::uniform_int_distribution<int>(1, 30)(rng);
    for (int k = 0; k < count; ++k) {
      std::string w(1, pick("abcde1"));
      const int len = std::uniform_int_distribution<int>(0, 8)(rng);
      for (int i = 0; i < len; ++i) w += pick("abcde1abc  '");
      while (w.back() == ' ' || w.back() == '\'') w.pop_back();
      if (rng() % 4 == 0) w += '*';
      kw.push_back(w);
    }
    for (int t = 0; t < 3; ++t) {
      const bool splittable = t != 2 || set % 2 == 0;
      std::string text;
      const int len = std::uniform_int_distribution<int>(60, 1500)(rng);
      while (static_cast<int>(text.size()) < len) {
        if (rng() % 15 == 0) text += "\xE2\x80\x99";
        else if (splittable && rng() % 60 == 0) text += "\xC3\xA9";
        else if (splittable && rng() % 60 == 0) text += pick(".9");
        else text += splittable ? pick("abcdeABCDE1_   \n\t'") : pick("abcdeABCDE1   \n\t'");
      }
      ASSERT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << "text: " << text << " first keyword: " << kw[0];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 60);
  // ’ just after the middle, among letters of the keywords: a part may not end inside it.
  const std::vector<std::string> kw = {"wasn't", "it wasn't me", "me"};
  const std::string phrase = "it wasn\xE2\x80\x99t me";  // E2 at 7
  for (std::size_t off = 0; off < 4; ++off) {
    for (const std::size_t size : {100u, 600u}) {
      std::string text = std::string(size + off - 8, 'a') + " " + phrase + " ";
      text += std::string(2 * size - text.size(), 'a');
      ASSERT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << text;
    }
  }
}

TEST(KeywordTrie, AgreesWithRe2WhereverAPartStarts) {
  // A phrase slid over texts read in two, three and four parts, so that every part start
  // falls before, inside and after it: inside ’, inside a whitespace run, and inside a
  // keyword longer than a part's warm-up, where the text is read again by one stream.
  const std::vector<std::string> kw = {"wasn't", "it wasn't me", "me", "i will keep turning up day and night*", "night",
                                       "day and", "up"};
  for (const std::string phrase : {"it wasn\xE2\x80\x99t me", "i will keep   turning up\n\n\nday and nights",
                                   "i will keep turning up day and night"}) {
    for (const std::size_t size : {70u, 100u, 150u}) {
      for (std::size_t off = 0; off + phrase.size() + 2 <= size; ++off) {
        std::string text = std::string(off, 'a') + " " + phrase + " ";
        text += std::string(size - text.size(), 'a');
        ASSERT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << text;
      }
    }
  }
}

TEST(KeywordTrie, TablesPastSixteenBitsAreWide) {
  // 16-bit entries hold a state and the ’ marker past every state: up to 32,768 states.
  // A keyword of n letters makes n + 1 states with the root.
  const auto letters = [](std::size_t n) {
    std::string k;
    for (std::size_t i = 0; i < n; ++i) k += static_cast<char>('a' + i * 7 % 26);
    return k;
  };
  const std::string fits = letters(32767), too_long = letters(32768);
  EXPECT_EQ(compiled({fits}).entry_bytes(), 2u);
  EXPECT_EQ(compiled({too_long}).entry_bytes(), 4u);
  // The wide table finds what the narrow one does.
  const std::vector<std::string> small = {"bin", "missed bin*", "kept waiting", "cc'd", "it wasn't me"};
  std::vector<std::string> big = small;
  big.push_back(too_long);
  const KeywordTrie narrow = compiled(small), wide = compiled(big);
  ASSERT_EQ(narrow.entry_bytes(), 2u);
  ASSERT_EQ(wide.entry_bytes(), 4u);
  std::mt19937 rng(3);
  const std::vector<std::string> words = {"bin", "BINS", "missed", "kept", "\t waiting", "cc\xE2\x80\x99" "d", "it", "wasn't",
                                          "me", "cabin", ".", "\xC3\xA9", "  "};
  for (int t = 0; t < 200; ++t) {
    std::string text;
    const int count = std::uniform_int_distribution<int>(0, 60)(rng);
    for (int i = 0; i < count; ++i) text += words[rng() % words.size()] + (rng() % 3 ? " " : "");
    ASSERT_EQ(trie_finds(wide, text), trie_finds(narrow, text)) << text;
    ASSERT_EQ(trie_finds(narrow, text), re2_finds(small, text)) << text;
  }
  const std::string text = "a " + too_long + " b " + fits + " missed bins";
  EXPECT_EQ(trie_finds(wide, text), (std::vector<Found>{{1, text.size() - 11, text.size()}, {5, 2, 2 + too_long.size()}}));
}

TEST(KeywordTrie, NearMissesAtWordEdges) {
  // Inside a word on either side, next to an underscore or a digit (RE2's \w), next to
  // punctuation and non-ASCII letters (not \w: a word edge, as RE2 has it).
  const std::vector<std::string> kw = {"bin", "missed bin*", "kept waiting", "cc'd"};
  for (const std::string text :
       {"cabin", "bins", "bin_", "_bin", "bin9", "9bin", "bin-", "-bin", "(bin)", "caf\xC3\xA9" "bin", "bin\xC3\xA9",
        "missed binned", "missedbin", "missed  bins", "missed\tbin_", "kept waitingroom", "kept\r\n\fwaiting.",
        "cc\xE2\x80\x99" "d", "cc\xE2\x80\x99", "cc\xE2\x80" "d", "xcc'd", "cc'dx", "cc''d", "BIN", "MiSsEd\nBiNs"}) {
    EXPECT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << text;
  }
  EXPECT_TRUE(trie_finds(kw, "cabin bins bin_ xbin").empty());
  EXPECT_EQ(trie_finds(kw, "missed  BINS"), (std::vector<Found>{{1, 0, 12}}));
}

TEST(KeywordTrie, FindsKeywordsThatEndInsideLongerOnesAndAfterFailedOnes) {
  // "not missed" ends where "missed" does; "ab ab c" is found after "ab ab ab" went astray
  // (the automaton's failure links); a keyword after a whitespace run that began another.
  const std::vector<std::string> kw = {"not missed", "missed", "ab ab c", "ab", "b a", "waiting  list", "list*"};
  for (const std::string text : {"not missed", "not  not missed", "ab ab ab c", "ab ab ab ab c", "b ab ab c",
                                 "waiting \n waiting list", "waiting waiting\tlisted", "not missedx missed"}) {
    EXPECT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << text;
  }
}

TEST(KeywordTrie, AVeryLongKeywordIsFoundWhole) {
  std::string long_keyword;
  for (int i = 0; i < 120; ++i) long_keyword += "word ";
  long_keyword += "end";
  std::string text = "x ";
  for (int i = 0; i < 120; ++i) text += i % 2 ? "WORD\t\t" : "word ";
  text += "end.";
  EXPECT_EQ(trie_finds({long_keyword}, text), (std::vector<Found>{{0, 2, text.size() - 1}}));
}

}  // namespace
}  // namespace complaintd::triage
