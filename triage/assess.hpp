#pragma once
// Everything triage decides about one message, and why: intent, kind, categories,
// complexity, complainant type, routing, safety and fairness flags, out of scope. Pure: the
// caller passes what only the store knows (which references are real cases, how many
// cases and messages the sender has sent lately), and `now` is never read here.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "parser/inbound_message.hpp"
#include "triage/classify.hpp"
#include "triage/lifecycle.hpp"
#include "triage/rules.hpp"

namespace complaintd::triage {

/// Flag names, as stored on the case and in letters.
namespace flag {
inline constexpr Name kUnacceptableBehaviour = "unacceptable_behaviour";
inline constexpr Name kFastTrack = "fast_track";
inline constexpr Name kConflictOfInterest = "conflict_of_interest";
inline constexpr Name kStaffConduct = "staff_conduct";
inline constexpr Name kPersonalData = "personal_data";
inline constexpr Name kPersistent = "persistent_complainant";
}  // namespace flag

/// For people: "Fast-track incident".
Name flag_label(std::string_view name);

// The words of a decision are Names (the config's, interned when the Triager is built, or
// literals): a message copies none of them.
struct Decision {
  Name name;   ///< what was decided ("service_delivery", "apprentice", "fast_track" …)
  Name label;  ///< for people
  std::vector<Fired> because;
};

struct FlagDecision : Decision {
  std::optional<config::Person> notify;  ///< told at once, besides the coordinator
};

struct Routing {
  Name department;
  std::optional<config::Person> manager;  ///< the routed referral manager
  std::vector<Fired> because;
  Text note;  ///< in words, including the fallback when no rule fired
};

struct Assessment {
  Triage intent;
  CaseKind kind = CaseKind::kComplaint;
  bool anonymous = false;
  std::vector<Fired> anonymous_because;
  std::vector<Decision> categories;
  bool complex = false;
  std::vector<Fired> complex_because;
  std::optional<Decision> complainant_type;
  Routing routing;
  std::vector<FlagDecision> flags;
  bool serious = false;  ///< a fast-track incident or staff conduct: a person decides on withdrawal
  std::vector<config::Person> conflicted;         ///< named in the complaint: may not handle it
  std::optional<config::Person> alternate_reviewer;
  std::optional<Decision> out_of_scope;
  Name where_to_go;  ///< for out of scope
  std::vector<Fired> near_misses;  ///< keyword matches dropped for negation or an exclude phrase; only with AssessInput::explain

  [[nodiscard]] bool has_flag(std::string_view name) const;
};

/// What only the caller knows.
struct AssessInput {
  TriageContext ctx;
  std::string mailbox;       ///< the [[mailbox]] it came to; empty for `complaintd ingest`
  int sender_cases = 0;      ///< cases opened from this sender within the persistent window, before this one
  int sender_messages = 0;   ///< messages from this sender within the window, before this one
  /// Collect Assessment::near_misses (`complaintd explain`). Off for ingest: a negated
  /// mention is common ("not collected") and its excerpt costs as much as a match.
  bool explain = false;
};

/// The config's [triage] compiled: built once per config load, immutable, shared.
class Triager {
 public:
  /// `procedure`: the one assess will be given, whose fallback routing note is then made
  /// here once (with another, it is made per message).
  explicit Triager(const config::TriageConfig& rules, const config::ProcedureConfig& procedure = {});

  Assessment assess(const config::Config& cfg, const parser::InboundMessage& msg, const AssessInput& in) const;
  /// Only the intent (what classify() does with the built-in rules).
  Triage classify(const parser::InboundMessage& msg, const TriageContext& ctx) const;

  [[nodiscard]] const config::TriageConfig& rules() const { return rules_; }
  [[nodiscard]] std::size_t rule_count() const { return book_.size(); }

 private:
  struct Scanned;
  Scanned scan(const parser::InboundMessage& msg, const TriageContext& ctx, const std::string& mailbox,
               bool want_near_misses) const;
  Triage intent_of(const parser::InboundMessage& msg, const TriageContext& ctx, const Scanned& s) const;

  /// What the decisions of each rule of book_ say, interned once here.
  struct Wording {
    Name name, label;  ///< categories, complainant types, out of scope (the topic), flags
    Name department;   ///< routes, flags
    Name note;         ///< routes, flags with a department: the routing note; out of scope: the intent's reason
    Name where;        ///< out of scope: where to go
  };
  config::TriageConfig rules_;
  RuleBook book_;
  std::vector<Wording> wording_;
  Name fallback_, fallback_note_;  ///< who handles unrouted mail under the procedure given, and the note
  // Where each group of rules starts in book_.
  std::size_t categories_ = 0, complexity_ = 0, out_of_scope_ = 0, complainant_types_ = 0, routes_ = 0,
              reviewers_ = 0, flags_ = 0, intents_ = 0;
};

/// The body text triage reads: what the sender wrote this time (`reply_text`), unless that
/// is a line or two above a forwarded or quoted complaint, then the whole `text`.
std::string_view triage_text(const parser::InboundMessage& msg);

/// The person a target names: a role's first person, or the person written out.
std::optional<config::Person> resolve(const config::Config& cfg, const config::Target& t);

/// Extra letters for a new case's plan: the coordinator told about the flags ("flag"), the
/// fast-track role told at once ("fast_track", template "flag"). Fields: flags, reasons,
/// urgent.
std::vector<LetterSpec> flag_letters(const config::Config& cfg, const Assessment& a);

/// The plan for an out-of-scope message: recorded and closed, the customer told where to go.
Plan out_of_scope_plan(const Assessment& a, Instant now);

/// Timeline entries that say what triage decided and why.
std::vector<std::pair<std::string, std::string>> triage_events(const Assessment& a);

/// One line per decision, for people ("category service_delivery: keyword \"not collected\"").
std::string describe(const Fired& f);

}  // namespace complaintd::triage
