#include "triage/lifecycle.hpp"

#include <algorithm>

namespace complaintd::triage {
namespace {

using config::Duration;
using config::Person;
using config::StageConfig;

struct Decider {
  const CaseFacts& c;
  const Context& ctx;
  Plan plan;

  const StageConfig& stage(int i) const { return ctx.cfg.stages.at(static_cast<std::size_t>(i)); }
  bool is_last(int i) const { return static_cast<std::size_t>(i) + 1 >= ctx.cfg.stages.size(); }

  Plan refuse(std::string why) {
    Plan p;
    p.refused = std::move(why);
    return p;
  }

  void log(std::string kind, std::string detail) { plan.events.emplace_back(std::move(kind), std::move(detail)); }

  std::optional<Person> role_person(const std::string& role) const {
    if (role == config::kReferralManager) return c.handler.address.empty() ? std::nullopt : std::optional(c.handler);
    if (const auto* r = ctx.cfg.role(role); r && !r->people.empty()) return r->people.front();
    return std::nullopt;
  }

  std::optional<Person> coordinator() const {
    if (ctx.cfg.procedure.coordinator.empty()) return std::nullopt;
    return role_person(ctx.cfg.procedure.coordinator);
  }

  void letter(const std::string& event, const std::string& template_name, Recipient to,
              std::map<std::string, std::string> fields = {}) {
    // The same template may go to the customer and to staff (a withdrawal, a reminder and
    // its copy): these say which one is reading, so the letter can address them properly.
    fields["to_customer"] = to.customer ? "yes" : "";
    fields["recipient_name"] = to.customer ? "" : (to.person.name.empty() ? to.person.address : to.person.name);
    plan.letters.push_back(LetterSpec{event, template_name, std::move(to), std::move(fields)});
  }
  void to_customer(const StageConfig& s, const std::string& event, std::map<std::string, std::string> fields = {}) {
    letter(event, s.letter(event), Recipient{true, {}}, std::move(fields));
  }
  void to_person(const StageConfig& s, const std::string& event, const Person& p,
                 std::map<std::string, std::string> fields = {}) {
    letter(event, s.letter(event), Recipient{false, p}, std::move(fields));
  }

  Due stage_deadline(const StageConfig& s, Instant from, bool complex) const {
    const Duration d = complex && s.respond_within_complex ? *s.respond_within_complex : s.respond_within;
    return due_after(from, d, ctx.cal, ctx.zone);
  }

  std::map<std::string, std::string> stage_fields(int i, const Due& respond_by, const Person& handler) const {
    const auto& s = stage(i);
    std::map<std::string, std::string> f{
        {"stage", s.name},
        {"stage_number", std::to_string(i + 1)},
        {"respond_by_date", long_date(respond_by.date)},
        {"respond_within", config::to_string(c.complex && s.respond_within_complex ? *s.respond_within_complex
                                                                                    : s.respond_within)},
        {"handler_name", handler.name.empty() ? handler.address : handler.name},
        {"handler_address", handler.address},
        {"final_stage", is_last(i) ? "yes" : ""},
        {"final_text", s.final_text},
    };
    if (!is_last(i)) {
      f["next_stage"] = stage(i + 1).name;
      if (s.next_stage_within) f["next_stage_within"] = config::to_string(*s.next_stage_within);
    }
    return f;
  }

  /// Opens stage `i` at `now`: handler, deadline, schedule, acknowledgement and referral.
  void open_stage(int i, Instant opened_at) {
    const auto& s = stage(i);
    CaseFacts next = c;
    next.stage = i;
    auto handler = choose_handler(ctx.cfg, i, next);
    if (!handler) {
      log("unassigned", "no handler for " + s.name + ": the procedure names nobody (check [roles])");
      handler = Person{};
    }
    const Due due = stage_deadline(s, opened_at, c.complex);
    plan.state = CaseState::kOpen;
    plan.stage = i;
    plan.stage_due = due;
    plan.acknowledge_by = due_after(opened_at, s.acknowledge_within, ctx.cal, ctx.zone);
    plan.respond_by = due;
    plan.handler = *handler;
    plan.cancel_open_deadlines = true;
    plan.deadlines = stage_deadlines(s, opened_at, due, ctx.cal, ctx.zone);
    const auto fields = stage_fields(i, due, *handler);
    to_customer(s, "acknowledgement", fields);
    if (!handler->address.empty()) to_person(s, "referral", *handler, fields);
    log("stage-opened", s.name + " opened; handler " + (handler->address.empty() ? "nobody" : handler->address) +
                            "; response due " + iso_date(due.date));
  }

  void close(const std::string& why) {
    plan.state = CaseState::kClosed;
    plan.closed_at = ctx.now;
    plan.cancel_open_deadlines = true;
    log("closed", why);
    const auto& survey = ctx.cfg.procedure.survey;
    if (c.kind == CaseKind::kComplaint && survey && survey->rate > 0.0 && ctx.draw() < survey->rate) {
      const Due at = due_after(ctx.now, survey->after, ctx.cal, ctx.zone);
      plan.deadlines.push_back(DeadlineSpec{deadline::kSurvey, 0, at.at});
      log("survey-planned", "satisfaction survey chosen for this case; it goes out on " + iso_date(at.date));
    }
  }

  Plan open() {
    const auto& p = ctx.cfg.procedure;
    if (c.kind != CaseKind::kComplaint) {
      // Compliments and comments are logged, thanked and passed on; they have no stages.
      const bool compliment = c.kind == CaseKind::kCompliment;
      const auto& k = compliment ? p.compliment : p.comment;
      const std::string thanks = compliment ? "compliment_thanks" : "comment_acknowledgement";
      letter(thanks, thanks, Recipient{true, {}});
      if (!k.forward_to.empty()) {
        if (auto person = role_person(k.forward_to)) {
          letter(compliment ? "compliment_forward" : "comment_forward",
                 compliment ? "compliment_forward" : "comment_forward", Recipient{false, *person});
        }
      }
      plan.stage = 0;
      plan.state = CaseState::kClosed;
      plan.closed_at = ctx.now;
      log("recorded", std::string(to_string(c.kind)) + " recorded" +
                          (k.forward_to.empty() ? "" : " and passed to " + k.forward_to));
      return plan;
    }
    open_stage(0, c.received_at);
    return plan;
  }

  Plan deadline_due(const DeadlineDue& d) {
    const auto& k = d.deadline.kind;
    if (k == deadline::kSurvey) {
      if (c.state != CaseState::kClosed) return plan;
      letter("survey", "survey", Recipient{true, {}});
      log("survey-sent", "satisfaction survey queued");
      return plan;
    }
    if (k == deadline::kWindow) {
      if (c.state != CaseState::kResponded || d.stage != c.stage) return plan;
      close("no request for " + stage(c.stage + 1).name + " within " +
            config::to_string(*stage(c.stage).next_stage_within) + " of the response");
      return plan;
    }
    // The rest belong to a running stage; a stale row (the case moved on) does nothing.
    if (c.state != CaseState::kOpen || d.stage != c.stage) return plan;
    const auto& s = stage(c.stage);
    auto fields = stage_fields(c.stage, c.respond_by, c.handler);
    // Only a reminder can be overtaken by the next one: each escalation step goes to
    // someone else, and the holding letter and the deadline happen once.
    if (d.superseded && k == deadline::kRemind) {
      log(k + "-skipped", k + " " + std::to_string(d.deadline.ordinal + 1) +
                              " not sent: a later one is also due (caught up after downtime)");
      return plan;
    }
    if (k == deadline::kRespond) {
      log("overdue", "response for " + s.name + " was due " + iso_date(c.respond_by.date) + " and has not been sent");
    } else if (k == deadline::kRemind) {
      fields["reminder_number"] = std::to_string(d.deadline.ordinal + 1);
      if (!c.handler.address.empty()) to_person(s, "reminder", c.handler, fields);
      if (s.reminders && !s.reminders->copy_to.empty()) {
        if (auto p = role_person(s.reminders->copy_to)) to_person(s, "reminder", *p, fields);
      }
      log("reminded", "reminder " + std::to_string(d.deadline.ordinal + 1) + " to " + c.handler.address);
    } else if (k == deadline::kEscalate) {
      const auto i = static_cast<std::size_t>(d.deadline.ordinal);
      if (i >= s.escalation.size()) return plan;
      const auto& step = s.escalation[i];
      auto person = role_person(step.role);
      if (!person) person = coordinator();
      fields["overdue_by"] = config::to_string(step.overdue_by);
      fields["escalation_level"] = std::to_string(i + 1);
      if (person) to_person(s, "escalation", *person, fields);
      log("escalated", "overdue by " + config::to_string(step.overdue_by) + ": escalated to " + step.role +
                           (person ? " (" + person->address + ")" : " (nobody holds that role)"));
    } else if (k == deadline::kHolding) {
      if (!s.holding_letter) return plan;
      const Due expected = later_than(c.respond_by, s.holding_letter->new_date_after, ctx.cal, ctx.zone);
      plan.expected_by = expected;
      fields["expected_date"] = long_date(expected.date);
      to_customer(s, "holding", fields);
      log("holding-letter", "customer told the response is now expected by " + iso_date(expected.date));
    }
    return plan;
  }

  Plan respond(const Respond& r) {
    if (c.state != CaseState::kOpen && c.state != CaseState::kResponded) {
      return refuse("the case is " + std::string(to_string(c.state)) + "; there is nothing to respond to");
    }
    const auto& s = stage(c.stage);
    // "resolve" at a stage with a next one still leaves the customer their time to ask for
    // it: the procedure gives them that right, whatever the handler thinks of the outcome.
    // The case closes when that time runs out, as after "respond".
    const bool closes = is_last(c.stage) || !s.next_stage_within;
    if ((closes || r.close) && ctx.cfg.procedure.learning_required && !c.learning_recorded) {
      return refuse("this procedure requires the learning from a complaint to be recorded before it is closed: add "
                    "a line \"learning <category>: <what will change>\" above your response");
    }
    plan.responded_at = ctx.now;
    plan.cancel_open_deadlines = true;
    auto fields = stage_fields(c.stage, c.respond_by, c.handler);
    fields["response_text"] = r.text;
    fields["closed"] = closes ? "yes" : "";
    if (closes) {
      if (!r.text.empty()) to_customer(s, "response", fields);
      const std::string resolved = r.close ? "resolved by " + (r.by.empty() ? c.handler.address : r.by) + "; " : "";
      close(resolved + (is_last(c.stage) ? "final response sent at " + s.name
                                         : "response sent; " + s.name + " has no next-stage window"));
      log("responded", s.name + " response sent");
      return plan;
    }
    plan.state = CaseState::kResponded;
    const Due window = due_after(ctx.now, *s.next_stage_within, ctx.cal, ctx.zone);
    plan.deadlines.push_back(DeadlineSpec{deadline::kWindow, 0, window.at});
    plan.next_stage_until = window;
    fields["next_stage_by_date"] = long_date(window.date);
    if (!r.text.empty()) to_customer(s, "response", fields);
    log("responded", s.name + " response sent" +
                         (r.close ? "; resolved by " + (r.by.empty() ? c.handler.address : r.by) : std::string()) +
                         "; the customer may ask for " + stage(c.stage + 1).name + " until " + iso_date(window.date));
    return plan;
  }

  Plan reassign(const Reassign& x) {
    if (c.state != CaseState::kOpen && c.state != CaseState::kResponded)
      return refuse("the case is " + std::string(to_string(c.state)) + "; there is nobody to reassign");
    if (x.to.address == c.handler.address) return refuse(x.to.address + " already handles this case");
    if (std::any_of(c.conflicted.begin(), c.conflicted.end(),
                    [&](const Person& p) { return p.address == x.to.address; }))
      return refuse(x.to.address + " is named in the complaint and may not handle it");
    const auto& s = stage(c.stage);
    plan.handler = x.to;
    auto fields = stage_fields(c.stage, c.respond_by, x.to);
    fields["reassigned_from"] = c.handler.name.empty() ? c.handler.address : c.handler.name;
    if (c.state == CaseState::kOpen) to_person(s, "referral", x.to, fields);
    log("reassigned", "handler " + (c.handler.address.empty() ? std::string("nobody") : c.handler.address) +
                          " → " + x.to.address + (x.by.empty() ? "" : " (by " + x.by + ")"));
    return plan;
  }

  Plan extend(const Extend& x) {
    if (c.state != CaseState::kOpen) return refuse("only a case awaiting a response can be extended");
    const auto& s = stage(c.stage);
    if (!s.extension) return refuse(s.name + " allows no extension");
    if (s.extension->reason_required && x.reason.empty()) return refuse("an extension needs a reason");
    if (x.by.count <= 0) return refuse("an extension must be longer than nothing");
    const Due limit = later_than(c.stage_due, s.extension->max, ctx.cal, ctx.zone);
    const Due wanted = later_than(c.respond_by, x.by, ctx.cal, ctx.zone);
    if (wanted.at > limit.at) {
      return refuse("that would move the deadline to " + iso_date(wanted.date) + "; " + s.name + " allows at most " +
                    config::to_string(s.extension->max) + " in all, to " + iso_date(limit.date));
    }
    plan.respond_by = wanted;
    plan.cancel_open_deadlines = true;
    // Reminders keep their places; escalations and the holding letter move with the deadline.
    plan.deadlines = stage_deadlines(s, c.stage_opened_at, wanted, ctx.cal, ctx.zone);
    std::erase_if(plan.deadlines, [&](const DeadlineSpec& d) { return d.due <= ctx.now; });
    auto fields = stage_fields(c.stage, wanted, c.handler);
    fields["extension_reason"] = x.reason;
    fields["extended_by"] = config::to_string(x.by);
    to_customer(s, "extension", fields);
    log("extended", "deadline extended by " + config::to_string(x.by) + " to " + iso_date(wanted.date) +
                        (x.reason.empty() ? "" : ": " + x.reason));
    return plan;
  }

  Plan ask_next_stage() {
    if (c.state == CaseState::kOpen) return refuse("the case is still at " + stage(c.stage).name + ": it has no response yet");
    if (c.state == CaseState::kWithdrawn) return refuse("the case was withdrawn");
    if (is_last(c.stage)) {
      const auto& s = stage(c.stage);
      to_customer(s, "outside_window", stage_fields(c.stage, c.respond_by, c.handler));
      log("next-stage-refused", s.name + " is the final stage");
      return plan;
    }
    if (c.state == CaseState::kClosed) {
      const auto& s = stage(c.stage);
      to_customer(s, "outside_window", stage_fields(c.stage, c.respond_by, c.handler));
      log("next-stage-refused", "asked for " + stage(c.stage + 1).name + " after the window closed");
      return plan;
    }
    CaseFacts moved = c;
    moved.past_handlers.push_back(c.handler.address);
    Decider next{moved, ctx, {}};
    next.open_stage(c.stage + 1, ctx.now);
    return next.plan;
  }

  Plan withdraw() {
    if (c.state == CaseState::kClosed || c.state == CaseState::kWithdrawn)
      return refuse("the case is already " + std::string(to_string(c.state)));
    const auto& s = stage(c.stage);
    if (c.serious && ctx.cfg.procedure.withdrawal.continue_serious) {
      to_customer(s, "withdrawn", {{"continues", "yes"}});
      if (auto p = coordinator()) to_person(s, "withdrawn", *p, {{"continues", "yes"}});
      log("withdrawal-declined", "the customer asked to withdraw; serious cases continue (a person decides)");
      return plan;
    }
    plan.state = CaseState::kWithdrawn;
    plan.closed_at = ctx.now;
    plan.cancel_open_deadlines = true;
    to_customer(s, "withdrawn");
    if (c.state == CaseState::kOpen && !c.handler.address.empty()) to_person(s, "withdrawn", c.handler);
    log("withdrawn", "withdrawn at the customer's request");
    return plan;
  }

  Plan set_complexity(const SetComplexity& x) {
    if (x.complex == c.complex) return plan;
    plan.complex = x.complex;
    log("complexity", std::string("complexity set to ") + (x.complex ? "high" : "low"));
    if (c.state != CaseState::kOpen) return plan;
    const auto& s = stage(c.stage);
    const Due due = stage_deadline(s, c.stage_opened_at, x.complex);
    plan.stage_due = due;
    plan.respond_by = due;
    plan.cancel_open_deadlines = true;
    plan.deadlines = stage_deadlines(s, c.stage_opened_at, due, ctx.cal, ctx.zone);
    std::erase_if(plan.deadlines, [&](const DeadlineSpec& d) { return d.due <= ctx.now; });
    log("deadline", "response now due " + iso_date(due.date));
    return plan;
  }
};

}  // namespace

const char* to_string(CaseKind k) {
  switch (k) {
    case CaseKind::kComplaint: return "complaint";
    case CaseKind::kCompliment: return "compliment";
    case CaseKind::kComment: return "comment";
  }
  return "complaint";
}

const char* to_string(CaseState s) {
  switch (s) {
    case CaseState::kOpen: return "open";
    case CaseState::kResponded: return "responded";
    case CaseState::kClosed: return "closed";
    case CaseState::kWithdrawn: return "withdrawn";
  }
  return "open";
}

std::optional<CaseKind> case_kind_from(std::string_view s) {
  for (auto k : {CaseKind::kComplaint, CaseKind::kCompliment, CaseKind::kComment})
    if (s == to_string(k)) return k;
  return std::nullopt;
}

std::optional<CaseState> case_state_from(std::string_view s) {
  for (auto k : {CaseState::kOpen, CaseState::kResponded, CaseState::kClosed, CaseState::kWithdrawn})
    if (s == to_string(k)) return k;
  return std::nullopt;
}

std::vector<std::string> letter_templates(const config::Config& cfg) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& s : cfg.stages) {
    add(s.letter("acknowledgement"));
    if (!cfg.roles.empty()) add(s.letter("referral"));
    if (s.reminders) add(s.letter("reminder"));
    if (!s.escalation.empty()) add(s.letter("escalation"));
    if (s.holding_letter) add(s.letter("holding"));
    if (s.extension) add(s.letter("extension"));
    add(s.letter("response"));
  }
  if (cfg.procedure.survey) add("survey");
  // Triage tells the coordinator about flags, and the fast-track role at once.
  if (cfg.role(cfg.procedure.coordinator) != nullptr || !cfg.triage.fast_track.notify.empty()) add("flag");
  if (!cfg.triage.out_of_scope.empty()) add("out_of_scope");
  return out;
}

std::optional<config::Person> choose_handler(const config::Config& cfg, int stage, const CaseFacts& c) {
  const auto& s = cfg.stages.at(static_cast<std::size_t>(stage));
  auto conflicted = [&](const config::Person& p) {
    return std::any_of(c.conflicted.begin(), c.conflicted.end(),
                       [&](const config::Person& x) { return x.address == p.address; });
  };
  auto excluded = [&](const config::Person& p) {
    return conflicted(p) ||
           (s.distinct_handler &&
            std::find(c.past_handlers.begin(), c.past_handlers.end(), p.address) != c.past_handlers.end());
  };
  std::vector<config::Person> candidates;
  if (s.handler == config::kReferralManager) {
    if (c.routed_manager) candidates.push_back(*c.routed_manager);
    for (const auto* role : {&cfg.procedure.referral_manager, &cfg.procedure.coordinator}) {
      if (const auto* r = cfg.role(*role)) candidates.insert(candidates.end(), r->people.begin(), r->people.end());
    }
  } else if (const auto* r = cfg.role(s.handler)) {
    candidates = r->people;
  }
  for (const auto& p : candidates) {
    if (!excluded(p)) return p;
    // "The Chief Executive … unless such a person is specifically mentioned in the
    // complaint, in which case it will be referred to the Chair" (the charity's procedure).
    if (conflicted(p) && c.alternate_reviewer && !excluded(*c.alternate_reviewer)) return c.alternate_reviewer;
  }
  // Everyone who could take it handled an earlier stage: a coordinator decides who reviews.
  if (const auto* r = cfg.role(cfg.procedure.coordinator); r && !r->people.empty()) return r->people.front();
  if (!candidates.empty()) return candidates.front();
  return std::nullopt;
}

std::vector<DeadlineSpec> stage_deadlines(const config::StageConfig& s, Instant opened_at, const Due& respond_by,
                                          const WorkingCalendar& cal, const Zone& zone) {
  std::vector<DeadlineSpec> out;
  out.push_back(DeadlineSpec{deadline::kRespond, 0, respond_by.at});
  if (s.reminders) {
    Due at = due_after(opened_at, s.reminders->first_after, cal, zone);
    for (int i = 0; i < s.reminders->at_most; ++i) {
      // Reminders stop at the deadline: from then on the escalation ladder takes over.
      if (at.at > respond_by.at && !out.empty() && i > 0) break;
      out.push_back(DeadlineSpec{deadline::kRemind, i, at.at});
      at = later_than(at, s.reminders->every, cal, zone);
    }
  }
  for (std::size_t i = 0; i < s.escalation.size(); ++i) {
    out.push_back(DeadlineSpec{deadline::kEscalate, static_cast<int>(i),
                               later_than(respond_by, s.escalation[i].overdue_by, cal, zone).at});
  }
  if (s.holding_letter) {
    const Due at = s.holding_letter->before_due ? earlier_than(respond_by, s.holding_letter->offset, cal, zone)
                                                : later_than(respond_by, s.holding_letter->offset, cal, zone);
    if (at.at > opened_at) out.push_back(DeadlineSpec{deadline::kHolding, 0, at.at});
  }
  std::stable_sort(out.begin(), out.end(), [](const DeadlineSpec& a, const DeadlineSpec& b) { return a.due < b.due; });
  return out;
}

Plan decide(const CaseFacts& c, const Event& e, const Context& ctx) {
  Decider d{c, ctx, {}};
  return std::visit(
      [&](const auto& ev) -> Plan {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, Open>) return d.open();
        else if constexpr (std::is_same_v<T, DeadlineDue>) return d.deadline_due(ev);
        else if constexpr (std::is_same_v<T, Respond>) return d.respond(ev);
        else if constexpr (std::is_same_v<T, Extend>) return d.extend(ev);
        else if constexpr (std::is_same_v<T, AskNextStage>) return d.ask_next_stage();
        else if constexpr (std::is_same_v<T, Withdraw>) return d.withdraw();
        else if constexpr (std::is_same_v<T, Reassign>) return d.reassign(ev);
        else return d.set_complexity(ev);
      },
      e);
}

}  // namespace complaintd::triage
