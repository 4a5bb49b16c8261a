#pragma once
// The two books the keyword trie is checked against RE2 with (matcher_test and
// fuzz/triage_fuzz): the built-in wording and one rule of keywords that overlap, share a
// start, repeat, and stretch over spaces and apostrophes; read by the trie, or, with one
// keyword the trie declines added to each rule, by each rule's RE2 alternation.

#include <string>
#include <vector>

#include "triage/builtin_rules.hpp"
#include "triage/rules.hpp"

namespace complaintd::triage {

inline std::vector<RuleSpec> builtin_specs(bool force_re2) {
  const auto& t = builtin_rules();
  std::vector<RuleSpec> specs;
  const auto add = [&](const std::string& name, config::MatchRule m, bool negatable) {
    // "‽‽" is in no text checked (fuzz/triage_fuzz skips those), is not ASCII, and so keeps
    // the whole rule on RE2.
    if (force_re2 && !m.keywords.empty()) m.keywords.push_back("\xE2\x80\xBD\xE2\x80\xBD");
    specs.push_back(RuleSpec{Name::intern(name), std::move(m), negatable});
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

}  // namespace complaintd::triage
