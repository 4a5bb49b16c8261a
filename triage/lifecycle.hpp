#pragma once
// A case's life as pure functions: (case, event, now) → Plan. The plan says what changes
// (state, stage, deadlines, handler), which letters to queue and which events to log; the
// daemon applies it in one transaction. Nothing here reads a clock, a database or a file,
// so "thirty working days across Christmas" is a unit test.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "triage/calendar.hpp"

namespace complaintd::triage {

enum class CaseKind { kComplaint, kCompliment, kComment };
enum class CaseState {
  kOpen,       ///< a stage is running: the handler owes a response
  kResponded,  ///< responded; the customer may still ask for the next stage
  kClosed,
  kWithdrawn,
};

const char* to_string(CaseKind k);
const char* to_string(CaseState s);
std::optional<CaseKind> case_kind_from(std::string_view s);
std::optional<CaseState> case_state_from(std::string_view s);

/// What the lifecycle needs to know about a case (a projection of its database row).
struct CaseFacts {
  CaseKind kind = CaseKind::kComplaint;
  CaseState state = CaseState::kOpen;
  int stage = 0;  ///< index into Config::stages
  bool complex = false;
  bool serious = false;  ///< withdrawal may not end it (procedure.withdrawal.continue_serious)
  Instant received_at{};
  Instant stage_opened_at{};
  Due stage_due{};   ///< the stage's deadline as first set (extensions are counted from it)
  Due respond_by{};  ///< the deadline now, extensions included
  std::optional<Instant> responded_at;
  config::Person handler;
  std::vector<std::string> past_handlers;  ///< addresses of earlier stages' handlers
  std::optional<config::Person> routed_manager;  ///< from routing (triage), when it named one
  /// Named in the complaint (triage's conflict of interest): they may not handle it, and
  /// `alternate_reviewer` takes their place.
  std::vector<config::Person> conflicted;
  std::optional<config::Person> alternate_reviewer;
  /// Learning is on record (procedure.learning_required: no close without it).
  bool learning_recorded = false;
};

/// Deadline kinds, as stored.
namespace deadline {
inline constexpr const char* kRespond = "respond";    ///< the response is due (logged when missed)
inline constexpr const char* kRemind = "remind";      ///< remind the handler
inline constexpr const char* kEscalate = "escalate";  ///< tell the next role up
inline constexpr const char* kHolding = "holding";    ///< tell the customer it will be late
inline constexpr const char* kWindow = "window";      ///< the time to ask for the next stage ends
inline constexpr const char* kSurvey = "survey";      ///< the satisfaction survey goes out
}  // namespace deadline

struct DeadlineSpec {
  std::string kind;
  int ordinal = 0;  ///< which reminder or escalation step (0-based)
  Instant due{};
  bool operator==(const DeadlineSpec&) const = default;
};

/// Who a letter goes to: the customer, or a person on the staff.
struct Recipient {
  bool customer = true;
  config::Person person;  ///< when !customer
};

struct LetterSpec {
  std::string event;     ///< "acknowledgement", "referral", "reminder", …
  std::string template_name;
  Recipient to;
  /// Event-specific fields (dates, counts), and on every letter `to_customer` ("yes" for
  /// the customer, empty for staff) and `recipient_name` (the staff member's name).
  std::map<std::string, std::string> fields;
};

struct Plan {
  /// Set when the request is refused; then nothing else in the plan applies, and this is
  /// what the person asking is told.
  std::optional<std::string> refused;

  std::optional<CaseState> state;
  std::optional<int> stage;
  std::optional<bool> complex;
  std::optional<Due> stage_due;
  /// A stage opened: by when the customer must have its acknowledgement.
  std::optional<Due> acknowledge_by;
  std::optional<Due> respond_by;
  std::optional<Due> expected_by;  ///< what the customer was last told (holding letter)
  std::optional<config::Person> handler;
  std::optional<Instant> responded_at;
  std::optional<Instant> closed_at;
  /// A response at a stage with a next one: the customer may ask for it until then.
  std::optional<Due> next_stage_until;
  bool cancel_open_deadlines = false;  ///< before adding `deadlines`
  std::vector<DeadlineSpec> deadlines;
  std::vector<LetterSpec> letters;
  std::vector<std::pair<std::string, std::string>> events;  ///< (kind, detail) for the timeline
};

// ---- Events ----

/// A new case. `kind`, `complex`, `serious`, `routed_manager` and `received_at` come in
/// the facts; the plan fills the rest.
struct Open {};
/// A deadline row fell due. `superseded`: a later reminder of the same case and stage is
/// due too (caught up after downtime), so this reminder is logged, not sent. Ignored for
/// other kinds: every escalation step goes to someone else.
struct DeadlineDue {
  DeadlineSpec deadline;
  int stage = 0;  ///< the stage the deadline was set for
  bool superseded = false;
};
/// The handler responds: `text` goes to the customer in the stage's response letter with
/// the next steps; `close` ends the case (resolve). `by` names who, for the timeline.
struct Respond {
  bool close = false;
  std::string text;
  std::string by;
};
/// Somebody else handles the case from now on; they get the referral.
struct Reassign {
  config::Person to;
  std::string by;
};
struct Extend {
  config::Duration by;
  std::string reason;
};
struct AskNextStage {};
struct Withdraw {};
struct SetComplexity {
  bool complex = false;
};

using Event = std::variant<Open, DeadlineDue, Respond, Extend, AskNextStage, Withdraw, SetComplexity, Reassign>;

/// Everything decide() needs besides the case and the event. `draw` returns a number in
/// [0, 1) for the survey sample (injected, so tests choose it).
struct Context {
  const config::Config& cfg;
  const WorkingCalendar& cal;
  const Zone& zone;
  Instant now;
  std::function<double()> draw = [] { return 1.0; };
};

Plan decide(const CaseFacts& c, const Event& e, const Context& ctx);

/// Every letter template the procedure in `cfg` can ask for, so that check-config finds a
/// missing one at start-up rather than when the first reminder falls due.
std::vector<std::string> letter_templates(const config::Config& cfg);

/// The handler of stage `stage` for a case: the routed manager or the stage's role, never
/// an earlier stage's handler where the stage says so; the coordinator when nobody fits.
std::optional<config::Person> choose_handler(const config::Config& cfg, int stage, const CaseFacts& c);

/// The deadlines a stage sets when it opens (or after an extension): reminders from the
/// stage's start, escalations and the holding letter from its deadline, and the deadline.
std::vector<DeadlineSpec> stage_deadlines(const config::StageConfig& s, Instant opened_at, const Due& respond_by,
                                          const WorkingCalendar& cal, const Zone& zone);

}  // namespace complaintd::triage
