#pragma once
// The built-in English wording of triage, so that a config without [triage] sorts mail
// well, and how the config's own rules extend or replace it.

#include "config/config.hpp"

namespace complaintd::triage {

/// The built-in rules alone (the council's five categories, complexity, the safety flags
/// and the intents).
const config::TriageConfig& builtin_rules();

/// The rules triage runs: `cfg`'s, merged over the built-in ones unless `cfg.builtin` is
/// false. A category of the same name, a flag or an intent extends the built-in wording,
/// or replaces it when its `replace` is true.
config::TriageConfig effective_rules(const config::TriageConfig& cfg);

/// Words that say the writer is unhappy; a compliment or a comment has none of them.
const config::MatchRule& complaint_cues();

}  // namespace complaintd::triage
