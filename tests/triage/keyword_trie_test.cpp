// The keyword trie on its own: what it reads, and that it finds at every word start exactly
// what RE2 finds there for \b(?:keyword_regex(keyword)) under (?i), on random keyword sets
// large enough to give it dense rows, sparse nodes and long single-child chains.

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

std::vector<Found> trie_finds(const std::vector<std::string>& keywords, std::string_view text) {
  KeywordTrie trie;
  for (std::size_t k = 0; k < keywords.size(); ++k) trie.add(keywords[k], 7, static_cast<std::uint32_t>(k));
  trie.compile();
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

TEST(KeywordTrie, DenseAndSparseNodesAgreeWithRe2OnRandomKeywordSets) {
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
        else text += pick("abcdefgABCDEFG1_  \n\t'-.");
      }
      ASSERT_EQ(trie_finds(kw, text), re2_finds(kw, text)) << "text: " << text << " first keyword: " << kw[0];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 600);
}

TEST(KeywordTrie, AChainOfSingleChildrenIsOneWordANode) {
  KeywordTrie chain;
  chain.add("abcdefghijklmnopqrstuvwxyz", 0, 0);
  chain.compile();
  // The root's dense row (26 classes and the unused class 0), then one word per letter
  // and two for the keyword's end.
  EXPECT_EQ(chain.bytes(), (1 + 27 + 26 + 2) * sizeof(std::uint32_t));
}

}  // namespace
}  // namespace complaintd::triage
