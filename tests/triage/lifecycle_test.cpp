// The case lifecycle as a table of (case, event, now) → plan, on the council's procedure
// with England and Wales bank holidays in Europe/London. Every date here was counted by
// hand on a calendar.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "triage/lifecycle.hpp"

namespace complaintd::triage {
namespace {

using namespace std::chrono;
using config::Person;

const std::string kConfig = R"(
[service]
name = "Test Council"
database = "complaintd.db"
timezone = "Europe/London"

[[mailbox]]
name = "complaints"
url = "imap://127.0.0.1:10143"
username = "complaints@example.test"
password = "secret"
address = "complaints@example.test"

[smtp]
url = "smtp://127.0.0.1:10125"
from = "complaints@example.test"

[calendar]
holidays_file = ")" COMPLAINTD_SOURCE_DIR R"(/examples/calendars/england-and-wales.txt"
cutoff = "15:00"

[roles]
coordinator = "Complaints Team <team@example.test>"
investigator = "Ivy Investigator <ivy@example.test>"
head_of_service = ["Ann Head <ann@example.test>", "Bob Head <bob@example.test>"]
director = "Dee Director <dee@example.test>"

[procedure]
coordinator = "coordinator"
referral_manager = "investigator"
compliment = { forward_to = "coordinator" }
withdrawal = { continue_serious = true }
survey = { after = "6 weeks", rate = 0.25 }

[[stage]]
name = "Stage 1"
acknowledge_within = "5 working days"
respond_within = "20 working days"
respond_within_complex = "30 working days"
next_stage_within = "20 working days"
extension = { max = "10 working days" }
reminders = { first_after = "15 working days", every = "2 working days", at_most = 2, copy_to = "coordinator" }
holding_letter = { before_due = "2 working days", new_date_after = "10 working days" }

[[stage.escalation]]
overdue_by = "0 working days"
to = "head_of_service"

[[stage.escalation]]
overdue_by = "5 working days"
to = "director"

[[stage]]
name = "Stage 2"
handler = "head_of_service"
distinct_handler = true
respond_within = "10 working days"
final_text = "You may ask the Ombudsman."
)";

class Lifecycle : public testing::Test {
 protected:
  void SetUp() override {
    auto r = config::parse_config(kConfig, "/tmp/lifecycle.toml");
    ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : config::format_error(r.errors[0]));
    cfg_ = std::move(*r.config);
    cal_ = WorkingCalendar(cfg_.calendar);
    zone_ = *Zone::load("Europe/London");
  }

  static Instant at(const char* iso) { return *parse_iso_instant(iso); }

  Plan run(const CaseFacts& c, const Event& e, Instant now, double draw = 0.99) {
    Context ctx{cfg_, cal_, zone_, now, [draw] { return draw; }};
    return decide(c, e, ctx);
  }

  /// The case as the store would hold it after applying `p` to `c`.
  static CaseFacts apply(CaseFacts c, const Plan& p) {
    if (p.state) c.state = *p.state;
    if (p.stage) {
      if (*p.stage != c.stage) c.stage_opened_at = Instant{};
      c.stage = *p.stage;
    }
    if (p.complex) c.complex = *p.complex;
    if (p.stage_due) c.stage_due = *p.stage_due;
    if (p.respond_by) c.respond_by = *p.respond_by;
    if (p.handler) {
      if (!c.handler.address.empty() && c.handler != *p.handler) c.past_handlers.push_back(c.handler.address);
      c.handler = *p.handler;
    }
    if (p.responded_at) c.responded_at = p.responded_at;
    return c;
  }

  CaseFacts opened(Instant received, bool complex = false) {
    CaseFacts c;
    c.received_at = received;
    c.stage_opened_at = received;
    c.complex = complex;
    return apply(c, run(c, Open{}, received));
  }

  static std::vector<std::string> kinds(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& d : p.deadlines) out.push_back(d.kind + std::to_string(d.ordinal) + "@" + iso_instant(d.due));
    return out;
  }
  static std::vector<std::string> letters(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& l : p.letters) out.push_back(l.template_name + "->" + (l.to.customer ? "customer" : l.to.person.address));
    return out;
  }

  config::Config cfg_;
  WorkingCalendar cal_;
  Zone zone_ = Zone::utc();
};

TEST_F(Lifecycle, NewComplaintOpensStageOneWithTheWholeSchedule) {
  CaseFacts c;
  c.received_at = at("2026-11-02T10:00:00Z");  // Monday, GMT
  const auto p = run(c, Open{}, c.received_at);
  ASSERT_FALSE(p.refused);
  EXPECT_EQ(p.state, CaseState::kOpen);
  EXPECT_EQ(p.stage, 0);
  ASSERT_TRUE(p.handler);
  EXPECT_EQ(p.handler->address, "ivy@example.test");  // no routing: the referral_manager role
  ASSERT_TRUE(p.respond_by);
  EXPECT_EQ(iso_date(p.respond_by->date), "2026-11-30");  // 20 working days
  EXPECT_EQ(iso_instant(p.respond_by->at), "2026-12-01T00:00:00Z");
  EXPECT_TRUE(p.cancel_open_deadlines);
  EXPECT_EQ(kinds(p), (std::vector<std::string>{
                          "remind0@2026-11-24T00:00:00Z",    // after 15 working days
                          "remind1@2026-11-26T00:00:00Z",    // + 2 working days
                          "holding0@2026-11-27T00:00:00Z",   // 2 working days before the deadline
                          "respond0@2026-12-01T00:00:00Z",   // the deadline
                          "escalate0@2026-12-01T00:00:00Z",  // overdue by 0: head of service
                          "escalate1@2026-12-08T00:00:00Z",  // overdue by 5 working days: director
                      }));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"acknowledgement->customer", "referral->ivy@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("respond_by_date"), "Monday 30 November 2026");
  EXPECT_EQ(p.letters[0].fields.at("handler_name"), "Ivy Investigator");
  EXPECT_EQ(p.letters[0].fields.at("next_stage"), "Stage 2");
  EXPECT_EQ(p.letters[0].fields.at("next_stage_within"), "20 working days");
}

TEST_F(Lifecycle, RoutedManagerHandlesStageOne) {
  CaseFacts c;
  c.received_at = at("2026-11-02T10:00:00Z");
  c.routed_manager = Person{"Rita Roads", "rita@example.test"};
  const auto p = run(c, Open{}, c.received_at);
  EXPECT_EQ(p.handler->address, "rita@example.test");
  EXPECT_EQ(letters(p)[1], "referral->rita@example.test");
}

TEST_F(Lifecycle, MailAfterTheCutOffCountsFromTheNextDay) {
  EXPECT_EQ(iso_date(opened(at("2026-11-02T14:59:59Z")).respond_by.date), "2026-11-30");
  EXPECT_EQ(iso_date(opened(at("2026-11-02T15:00:00Z")).respond_by.date), "2026-12-01");
  // Friday after the cut-off, Saturday and Sunday all count from Monday, day 0.
  const auto monday = iso_date(opened(at("2026-11-09T09:00:00Z")).respond_by.date);
  EXPECT_EQ(monday, "2026-12-07");
  EXPECT_EQ(iso_date(opened(at("2026-11-06T16:00:00Z")).respond_by.date), monday);
  EXPECT_EQ(iso_date(opened(at("2026-11-07T09:00:00Z")).respond_by.date), monday);
  EXPECT_EQ(iso_date(opened(at("2026-11-08T23:00:00Z")).respond_by.date), monday);
  // Friday before the cut-off is day 0 itself.
  EXPECT_EQ(iso_date(opened(at("2026-11-06T14:00:00Z")).respond_by.date), "2026-12-04");
}

TEST_F(Lifecycle, ComplexCasesGetTheLongerDeadline) {
  EXPECT_EQ(iso_date(opened(at("2026-11-02T10:00:00Z"), true).respond_by.date), "2026-12-14");
}

TEST_F(Lifecycle, ChristmasAndNewYearBankHolidaysAreSkipped) {
  // From Monday 14 December 2026: 25 and 28 December and 1 January are bank holidays.
  EXPECT_EQ(iso_date(opened(at("2026-12-14T10:00:00Z")).respond_by.date), "2027-01-14");
}

TEST_F(Lifecycle, DeadlinesEndAtLocalMidnightAcrossTheClockChange) {
  // Clocks go forward on Sunday 29 March 2026. 1 working day from Friday 27 March
  // (before the cut-off) is Monday 30 March, which ends at 23:00 UTC (BST).
  cfg_.stages[0].respond_within = config::Duration{1, config::Duration::Unit::kWorkingDays};
  const auto c = opened(at("2026-03-27T10:00:00Z"));
  EXPECT_EQ(iso_date(c.respond_by.date), "2026-03-30");
  EXPECT_EQ(iso_instant(c.respond_by.at), "2026-03-30T23:00:00Z");
  // Clocks go back on Sunday 25 October 2026: Monday 26 October ends at 00:00 UTC.
  EXPECT_EQ(iso_instant(opened(at("2026-10-23T10:00:00Z")).respond_by.at), "2026-10-27T00:00:00Z");
}

TEST_F(Lifecycle, RemindersGoToTheHandlerAndTheCopyRole) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, DeadlineDue{{deadline::kRemind, 1, at("2026-11-26T00:00:00Z")}, 0, false},
                     at("2026-11-26T00:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"reminder->ivy@example.test", "reminder->team@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("reminder_number"), "2");
  EXPECT_FALSE(p.state);
}

TEST_F(Lifecycle, EscalationLadderClimbs) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  auto p = run(c, DeadlineDue{{deadline::kEscalate, 0, c.respond_by.at}, 0, false}, c.respond_by.at);
  EXPECT_EQ(letters(p), (std::vector<std::string>{"escalation->ann@example.test"}));
  p = run(c, DeadlineDue{{deadline::kEscalate, 1, at("2026-12-08T00:00:00Z")}, 0, false}, at("2026-12-08T00:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"escalation->dee@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("overdue_by"), "5 working days");
}

TEST_F(Lifecycle, HoldingLetterNamesTheNewExpectedDate) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, DeadlineDue{{deadline::kHolding, 0, at("2026-11-27T00:00:00Z")}, 0, false},
                     at("2026-11-27T00:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"holding->customer"}));
  EXPECT_EQ(p.letters[0].fields.at("expected_date"), "Monday 14 December 2026");  // deadline + 10 working days
  ASSERT_TRUE(p.expected_by);
}

TEST_F(Lifecycle, MissedDeadlineIsLoggedNotLettered) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, DeadlineDue{{deadline::kRespond, 0, c.respond_by.at}, 0, false}, c.respond_by.at);
  EXPECT_TRUE(p.letters.empty());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].first, "overdue");
}

TEST_F(Lifecycle, StaleOrSupersededDeadlinesSendNothing) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  // Caught up after downtime: reminder 1 is due but so is reminder 2.
  auto p = run(c, DeadlineDue{{deadline::kRemind, 0, at("2026-11-24T00:00:00Z")}, 0, true}, at("2026-11-27T00:00:00Z"));
  EXPECT_TRUE(p.letters.empty());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].first, "remind-skipped");
  // Escalation steps are never superseded: each goes to someone else.
  p = run(c, DeadlineDue{{deadline::kEscalate, 0, c.respond_by.at}, 0, true}, at("2026-12-09T00:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"escalation->ann@example.test"}));
  // A reminder for a stage the case has left.
  p = run(c, DeadlineDue{{deadline::kRemind, 0, at("2026-11-24T00:00:00Z")}, 1, false}, at("2026-11-24T00:00:00Z"));
  EXPECT_TRUE(p.letters.empty() && p.events.empty());
  // A reminder after the response.
  c.state = CaseState::kResponded;
  p = run(c, DeadlineDue{{deadline::kRemind, 0, at("2026-11-24T00:00:00Z")}, 0, false}, at("2026-11-24T00:00:00Z"));
  EXPECT_TRUE(p.letters.empty() && p.events.empty());
}

TEST_F(Lifecycle, ResponseOpensTheWindowForTheNextStage) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, Respond{}, at("2026-11-20T11:00:00Z"));
  EXPECT_EQ(p.state, CaseState::kResponded);
  EXPECT_TRUE(p.cancel_open_deadlines);
  EXPECT_EQ(kinds(p), (std::vector<std::string>{"window0@2026-12-19T00:00:00Z"}));  // 20 working days: Fri 18 Dec
  EXPECT_TRUE(p.letters.empty());  // no text, no letter (the response went some other way)
}

TEST_F(Lifecycle, EachStageSaysByWhenItsAcknowledgementIsDue) {
  // Stage 1 acknowledges within 5 working days of receipt; stage 2 gives no time, so by
  // the end of the day it opens: what the report's "acknowledged on time" is measured by.
  auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto first = run(c, Open{}, at("2026-11-02T10:00:05Z"));
  ASSERT_TRUE(first.acknowledge_by);
  EXPECT_EQ(iso_date(first.acknowledge_by->date), "2026-11-09");
  c = apply(c, run(c, Respond{}, at("2026-11-20T11:00:00Z")));
  const auto second = run(c, AskNextStage{}, at("2026-11-25T10:00:00Z"));
  ASSERT_TRUE(second.acknowledge_by);
  EXPECT_EQ(iso_date(second.acknowledge_by->date), "2026-11-25");
  EXPECT_FALSE(run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, "waiting for the depot"},
                   at("2026-11-10T10:00:00Z")).acknowledge_by);  // only opening a stage sets it
}

TEST_F(Lifecycle, TheResponseLetterCarriesTheHandlersTextAndTheNextSteps) {
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, Respond{false, "We are sorry: the crew missed your street.", "ivy@example.test"},
                     at("2026-11-20T11:00:00Z"));
  ASSERT_EQ(letters(p), (std::vector<std::string>{"response->customer"}));
  const auto& f = p.letters[0].fields;
  EXPECT_EQ(f.at("response_text"), "We are sorry: the crew missed your street.");
  EXPECT_EQ(f.at("next_stage"), "Stage 2");
  EXPECT_EQ(f.at("next_stage_by_date"), long_date(Date{2026y / 12 / 18}));
  EXPECT_EQ(f.at("closed"), "");
  EXPECT_EQ(f.at("final_stage"), "");
}

TEST_F(Lifecycle, TheFinalResponseTellsTheCustomerWhereToGoNext) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c = apply(c, run(c, Respond{}, at("2026-11-20T11:00:00Z")));
  c = apply(c, run(c, AskNextStage{}, at("2026-11-25T10:00:00Z")));
  const auto p = run(c, Respond{false, "Having reviewed it again, we uphold your complaint.", ""},
                     at("2026-12-01T10:00:00Z"));
  EXPECT_EQ(p.state, CaseState::kClosed);
  ASSERT_EQ(letters(p), (std::vector<std::string>{"response->customer"}));
  EXPECT_EQ(p.letters[0].fields.at("final_stage"), "yes");
  EXPECT_EQ(p.letters[0].fields.at("closed"), "yes");
  EXPECT_EQ(p.letters[0].fields.at("final_text"), "You may ask the Ombudsman.");
}

TEST_F(Lifecycle, NoCaseClosesWithoutLearningWhereTheProcedureRequiresIt) {
  cfg_.procedure.learning_required = true;
  auto c = opened(at("2026-11-02T10:00:00Z"));
  auto p = run(c, Respond{true, "Resolved.", ""}, at("2026-11-10T10:00:00Z"));
  ASSERT_TRUE(p.refused);
  EXPECT_NE(p.refused->find("learning"), std::string::npos);
  EXPECT_TRUE(p.letters.empty() && !p.state);
  // A response that leaves the next stage open closes nothing, so it needs no learning yet.
  EXPECT_FALSE(run(c, Respond{false, "Our response.", ""}, at("2026-11-10T10:00:00Z")).refused);
  c.learning_recorded = true;
  p = run(c, Respond{true, "Resolved.", ""}, at("2026-11-10T10:00:00Z"));
  ASSERT_FALSE(p.refused);
  EXPECT_EQ(p.state, CaseState::kResponded);  // the customer's time to ask for Stage 2 runs
  // At the final stage it closes at once.
  c = apply(c, p);
  c = apply(c, run(c, AskNextStage{}, at("2026-11-12T10:00:00Z")));
  p = run(c, Respond{true, "Resolved.", ""}, at("2026-11-20T10:00:00Z"));
  ASSERT_FALSE(p.refused);
  EXPECT_EQ(p.state, CaseState::kClosed);
}

TEST_F(Lifecycle, ReassigningSendsTheReferralToTheNewHandler) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  const Person zed{"Zed Other", "zed@example.test"};
  auto p = run(c, Reassign{zed, "ivy@example.test"}, at("2026-11-05T10:00:00Z"));
  ASSERT_FALSE(p.refused) << *p.refused;
  EXPECT_EQ(p.handler, zed);
  EXPECT_EQ(letters(p), (std::vector<std::string>{"referral->zed@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("reassigned_from"), "Ivy Investigator");
  EXPECT_FALSE(p.respond_by);  // the deadline stays where it was
  ASSERT_EQ(p.events.size(), 1U);
  EXPECT_EQ(p.events[0].first, "reassigned");
  // Refused: to whoever has it already, to someone the complaint names, or once it is over.
  EXPECT_TRUE(run(c, Reassign{c.handler, ""}, at("2026-11-05T10:00:00Z")).refused);
  c.conflicted = {zed};
  EXPECT_TRUE(run(c, Reassign{zed, ""}, at("2026-11-05T10:00:00Z")).refused);
  c.conflicted.clear();
  c.state = CaseState::kClosed;
  EXPECT_TRUE(run(c, Reassign{zed, ""}, at("2026-11-05T10:00:00Z")).refused);
}

TEST_F(Lifecycle, WindowClosingClosesTheCaseAndMaybeSurveys) {
  auto c = apply(opened(at("2026-11-02T10:00:00Z")), run(opened(at("2026-11-02T10:00:00Z")), Respond{}, at("2026-11-20T11:00:00Z")));
  ASSERT_EQ(c.state, CaseState::kResponded);
  const DeadlineDue due{{deadline::kWindow, 0, at("2026-12-19T00:00:00Z")}, 0, false};
  auto p = run(c, due, at("2026-12-19T00:00:00Z"), 0.10);  // in the 25% sample
  EXPECT_EQ(p.state, CaseState::kClosed);
  EXPECT_EQ(kinds(p), (std::vector<std::string>{"survey0@2027-01-31T00:00:00Z"}));  // 6 weeks: Sat 30 Jan, end of day
  p = run(c, due, at("2026-12-19T00:00:00Z"), 0.25);  // just outside it
  EXPECT_EQ(p.state, CaseState::kClosed);
  EXPECT_TRUE(p.deadlines.empty());
  // The survey goes out to a closed case only.
  c.state = CaseState::kClosed;
  p = run(c, DeadlineDue{{deadline::kSurvey, 0, at("2027-01-31T00:00:00Z")}, 0, false}, at("2027-01-31T00:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"survey->customer"}));
}

TEST_F(Lifecycle, NextStageGoesToAHeadOfServiceWhoWasNotInvolved) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c.handler = Person{"Ann Head", "ann@example.test"};  // Ann handled stage 1
  c = apply(c, run(c, Respond{}, at("2026-11-20T11:00:00Z")));
  const auto p = run(c, AskNextStage{}, at("2026-11-25T10:00:00Z"));
  ASSERT_FALSE(p.refused);
  EXPECT_EQ(p.stage, 1);
  EXPECT_EQ(p.state, CaseState::kOpen);
  EXPECT_EQ(p.handler->address, "bob@example.test");
  EXPECT_EQ(iso_date(p.respond_by->date), "2026-12-09");  // 10 working days from Wed 25 Nov
  EXPECT_EQ(letters(p), (std::vector<std::string>{"acknowledgement->customer", "referral->bob@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("final_stage"), "yes");
  EXPECT_EQ(p.letters[0].fields.at("final_text"), "You may ask the Ombudsman.");
  EXPECT_EQ(kinds(p), (std::vector<std::string>{"respond0@2026-12-10T00:00:00Z"}));
}

TEST_F(Lifecycle, WhenEveryHeadOfServiceWasInvolvedTheCoordinatorDecides) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c.handler = Person{"Ann Head", "ann@example.test"};
  c.past_handlers = {"bob@example.test"};
  c = apply(c, run(c, Respond{}, at("2026-11-20T11:00:00Z")));
  EXPECT_EQ(run(c, AskNextStage{}, at("2026-11-25T10:00:00Z")).handler->address, "team@example.test");
}

TEST_F(Lifecycle, NextStageRequestsOutOfTurnAreAnswered) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  EXPECT_TRUE(run(c, AskNextStage{}, at("2026-11-05T10:00:00Z")).refused);  // no response yet
  c.state = CaseState::kClosed;                                               // the window closed
  auto p = run(c, AskNextStage{}, at("2027-02-05T10:00:00Z"));
  EXPECT_FALSE(p.refused);
  EXPECT_EQ(letters(p), (std::vector<std::string>{"outside_window->customer"}));
  EXPECT_FALSE(p.stage);
  c.stage = 1;  // final stage already
  c.state = CaseState::kResponded;
  p = run(c, AskNextStage{}, at("2027-02-05T10:00:00Z"));
  EXPECT_EQ(letters(p), (std::vector<std::string>{"outside_window->customer"}));
}

TEST_F(Lifecycle, FinalStageResponseClosesTheCase) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c = apply(c, run(c, Respond{}, at("2026-11-20T11:00:00Z")));
  c = apply(c, run(c, AskNextStage{}, at("2026-11-25T10:00:00Z")));
  ASSERT_EQ(c.stage, 1);
  const auto p = run(c, Respond{}, at("2026-12-01T10:00:00Z"));
  EXPECT_EQ(p.state, CaseState::kClosed);
  ASSERT_TRUE(p.closed_at);
}

TEST_F(Lifecycle, ResolveAtStageOneLeavesTheCustomerTheirTimeToAskForStageTwo) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  auto p = run(c, Respond{true, "We have put it right.", "ivy@example.test"}, at("2026-11-20T11:00:00Z"));
  ASSERT_FALSE(p.refused) << *p.refused;
  EXPECT_EQ(p.state, CaseState::kResponded);
  EXPECT_TRUE(p.cancel_open_deadlines);
  ASSERT_TRUE(p.next_stage_until);
  EXPECT_EQ(iso_date(p.next_stage_until->date), "2026-12-18");
  EXPECT_EQ(kinds(p), (std::vector<std::string>{"window0@2026-12-19T00:00:00Z"}));
  ASSERT_EQ(letters(p), (std::vector<std::string>{"response->customer"}));
  EXPECT_EQ(p.letters[0].fields.at("closed"), "");
  EXPECT_EQ(p.letters[0].fields.at("next_stage_by_date"), long_date(Date{2026y / 12 / 18}));
  ASSERT_EQ(p.events.size(), 1U);
  EXPECT_NE(p.events[0].second.find("resolved by ivy@example.test"), std::string::npos) << p.events[0].second;
  // The customer asks within that time: Stage 2 opens.
  c = apply(c, p);
  p = run(c, AskNextStage{}, at("2026-11-25T10:00:00Z"));
  ASSERT_FALSE(p.refused) << *p.refused;
  EXPECT_EQ(p.stage, 1);
  EXPECT_EQ(p.state, CaseState::kOpen);
}

TEST_F(Lifecycle, ResolveClosesAtOnceWhereThereIsNoNextStageWindow) {
  cfg_.stages[0].next_stage_within.reset();
  const auto c = opened(at("2026-11-02T10:00:00Z"));
  const auto p = run(c, Respond{true, "", "ivy@example.test"}, at("2026-11-10T10:00:00Z"));
  EXPECT_EQ(p.state, CaseState::kClosed);
  EXPECT_TRUE(p.cancel_open_deadlines);
  EXPECT_FALSE(p.next_stage_until);
  ASSERT_FALSE(p.events.empty());
  EXPECT_NE(p.events[0].second.find("resolved by ivy@example.test"), std::string::npos) << p.events[0].second;
}

TEST_F(Lifecycle, ExtensionsMoveTheDeadlineWithinTheMaximum) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c.stage_opened_at = at("2026-11-02T10:00:00Z");
  auto p = run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, "waiting for the contractor's report"},
               at("2026-11-25T10:00:00Z"));
  ASSERT_FALSE(p.refused) << *p.refused;
  EXPECT_EQ(iso_date(p.respond_by->date), "2026-12-07");
  EXPECT_EQ(letters(p), (std::vector<std::string>{"extension->customer"}));
  EXPECT_EQ(p.letters[0].fields.at("extension_reason"), "waiting for the contractor's report");
  // Escalations move with the deadline; reminders already past are not repeated.
  EXPECT_EQ(kinds(p), (std::vector<std::string>{"remind1@2026-11-26T00:00:00Z", "holding0@2026-12-04T00:00:00Z",
                                                "respond0@2026-12-08T00:00:00Z", "escalate0@2026-12-08T00:00:00Z",
                                                "escalate1@2026-12-15T00:00:00Z"}));
  c = apply(c, p);
  // 5 more reach the maximum (10 working days in all); one more does not fit.
  p = run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, "still waiting"}, at("2026-11-26T10:00:00Z"));
  ASSERT_FALSE(p.refused) << *p.refused;
  c = apply(c, p);
  p = run(c, Extend{{1, config::Duration::Unit::kWorkingDays}, "again"}, at("2026-11-27T10:00:00Z"));
  ASSERT_TRUE(p.refused);
  EXPECT_NE(p.refused->find("at most 10 working days"), std::string::npos) << *p.refused;
  EXPECT_TRUE(p.letters.empty() && p.deadlines.empty() && !p.respond_by);
}

TEST_F(Lifecycle, ExtensionsNeedAReasonAndAStageThatAllowsThem) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  auto p = run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, ""}, at("2026-11-25T10:00:00Z"));
  ASSERT_TRUE(p.refused);
  EXPECT_NE(p.refused->find("reason"), std::string::npos);
  c.stage = 1;
  p = run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, "why"}, at("2026-11-25T10:00:00Z"));
  ASSERT_TRUE(p.refused);
  EXPECT_NE(p.refused->find("Stage 2 allows no extension"), std::string::npos);
  c.state = CaseState::kClosed;
  EXPECT_TRUE(run(c, Extend{{5, config::Duration::Unit::kWorkingDays}, "why"}, at("2026-11-25T10:00:00Z")).refused);
}

TEST_F(Lifecycle, WithdrawalEndsTheCaseUnlessItIsSerious) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  auto p = run(c, Withdraw{}, at("2026-11-05T10:00:00Z"));
  EXPECT_EQ(p.state, CaseState::kWithdrawn);
  EXPECT_TRUE(p.cancel_open_deadlines);
  EXPECT_EQ(letters(p), (std::vector<std::string>{"withdrawn->customer", "withdrawn->ivy@example.test"}));
  c.serious = true;
  p = run(c, Withdraw{}, at("2026-11-05T10:00:00Z"));
  EXPECT_FALSE(p.state);
  EXPECT_FALSE(p.cancel_open_deadlines);
  EXPECT_EQ(letters(p), (std::vector<std::string>{"withdrawn->customer", "withdrawn->team@example.test"}));
  EXPECT_EQ(p.letters[0].fields.at("continues"), "yes");
  // One template, two readers: the letter knows which one it is written for.
  EXPECT_EQ(p.letters[0].fields.at("to_customer"), "yes");
  EXPECT_EQ(p.letters[0].fields.at("recipient_name"), "");
  EXPECT_EQ(p.letters[1].fields.at("to_customer"), "");
  EXPECT_EQ(p.letters[1].fields.at("recipient_name"), "Complaints Team");
  c.state = CaseState::kWithdrawn;
  EXPECT_TRUE(run(c, Withdraw{}, at("2026-11-05T10:00:00Z")).refused);
}

TEST_F(Lifecycle, ComplexityChangeMovesTheDeadline) {
  auto c = opened(at("2026-11-02T10:00:00Z"));
  c.stage_opened_at = at("2026-11-02T10:00:00Z");
  const auto p = run(c, SetComplexity{true}, at("2026-11-04T10:00:00Z"));
  EXPECT_EQ(p.complex, true);
  EXPECT_EQ(iso_date(p.respond_by->date), "2026-12-14");
  EXPECT_EQ(iso_date(p.stage_due->date), "2026-12-14");
  EXPECT_TRUE(run(c, SetComplexity{false}, at("2026-11-04T10:00:00Z")).events.empty());  // no change
}

TEST_F(Lifecycle, ComplimentsAreThankedAndPassedOn) {
  CaseFacts c;
  c.kind = CaseKind::kCompliment;
  c.received_at = at("2026-11-02T10:00:00Z");
  const auto p = run(c, Open{}, c.received_at);
  EXPECT_EQ(p.state, CaseState::kClosed);
  EXPECT_TRUE(p.deadlines.empty());
  EXPECT_EQ(letters(p), (std::vector<std::string>{"compliment_thanks->customer", "compliment_forward->team@example.test"}));
  c.kind = CaseKind::kComment;  // no forward_to for comments in this config
  EXPECT_EQ(letters(run(c, Open{}, c.received_at)), (std::vector<std::string>{"comment_acknowledgement->customer"}));
}

TEST(LifecycleNames, RoundTrip) {
  for (auto k : {CaseKind::kComplaint, CaseKind::kCompliment, CaseKind::kComment}) EXPECT_EQ(case_kind_from(to_string(k)), k);
  for (auto s : {CaseState::kOpen, CaseState::kResponded, CaseState::kClosed, CaseState::kWithdrawn})
    EXPECT_EQ(case_state_from(to_string(s)), s);
  EXPECT_FALSE(case_kind_from("complaints"));
}

}  // namespace
}  // namespace complaintd::triage
