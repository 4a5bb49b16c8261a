// The report on a hand-made set of cases whose every number was counted by hand.
#include <gtest/gtest.h>

#include "reports/report.hpp"

namespace complaintd::reports {
namespace {

using triage::Instant;

Instant at(const char* iso) { return *triage::parse_iso_instant(iso); }

/// A complaint at stage 1, acknowledged five seconds after it came, due in four weeks.
ReportCase complaint(const char* ref, const char* received) {
  ReportCase c;
  c.reference = ref;
  c.kind = "complaint";
  c.state = "open";
  c.stage = "Stage 1";
  c.received_at = at(received);
  ReportStage s;
  s.name = "Stage 1";
  s.opened_at = c.received_at;
  s.acknowledge_by = c.received_at + std::chrono::hours(24 * 7);
  s.acknowledged_at = c.received_at + std::chrono::seconds(5);
  s.respond_by = c.received_at + std::chrono::hours(24 * 28);
  c.stages = {s};
  return c;
}

class Reports : public testing::Test {
 protected:
  void SetUp() override {
    auto a = complaint("CMP-1", "2026-11-02T10:00:00Z");  // responded on time after 5 working days
    a.state = "closed";
    a.stages[0].responded_at = at("2026-11-09T12:00:00Z");
    a.closed_at = a.stages[0].ended_at = a.stages[0].responded_at;
    a.categories = {"service delivery"};
    a.department = "Waste";
    a.learning_categories = {"process"};
    auto b = complaint("CMP-2", "2026-11-03T10:00:00Z");  // responded late after 25 working days
    b.state = "responded";
    b.stages[0].respond_by = at("2026-11-20T00:00:00Z");
    b.stages[0].responded_at = at("2026-12-08T10:00:00Z");
    b.categories = {"service delivery", "impoliteness, rudeness, bias"};
    b.department = "Waste";
    auto c = complaint("CMP-3", "2026-11-10T10:00:00Z");  // open and overdue
    c.stages[0].respond_by = at("2026-11-20T00:00:00Z");
    c.stages[0].acknowledged_at = at("2026-11-25T00:00:00Z");  // acknowledged late
    c.categories = {"policy, decision or procedure"};
    c.department = "Parking";
    // Escalated: stage 1 answered on time in 5 working days, then stage 2 opened, was
    // acknowledged the same day and is open in time. It counts under both stages.
    auto d = complaint("CMP-4", "2026-11-12T10:00:00Z");
    d.stage = "Stage 2";
    d.stages[0].responded_at = at("2026-11-19T10:00:00Z");
    d.stages[0].ended_at = at("2026-11-23T10:00:00Z");
    ReportStage two;
    two.index = 1;
    two.name = "Stage 2";
    two.opened_at = at("2026-11-23T10:00:00Z");
    two.acknowledge_by = at("2026-11-24T00:00:00Z");
    two.acknowledged_at = at("2026-11-23T10:00:05Z");
    two.respond_by = at("2026-12-20T00:00:00Z");
    d.stages.push_back(two);
    ReportCase e;  // a compliment
    e.reference = "CMP-5";
    e.kind = "compliment";
    e.state = "closed";
    e.stage = "Stage 1";
    e.received_at = at("2026-11-15T10:00:00Z");
    auto outside = complaint("CMP-6", "2026-10-31T23:30:00Z");  // 31 Oct in London: before the period
    // Withdrawn two days in, before anything was due: it owes neither letter.
    auto f = complaint("CMP-7", "2026-11-16T10:00:00Z");
    f.state = "withdrawn";
    f.stages[0].acknowledged_at.reset();
    f.closed_at = f.stages[0].ended_at = at("2026-11-18T10:00:00Z");
    f.categories = {"service delivery"};
    // Its acknowledgement never went (say it bounced) and its time is up: counted late.
    auto g = complaint("CMP-8", "2026-11-20T10:00:00Z");
    g.stages[0].acknowledged_at.reset();
    g.categories = {"misuse of personal information"};
    cases_ = {a, b, c, d, e, outside, f, g};
  }
  Report build() {
    using namespace std::chrono;
    return build_report(cases_, sys_days{2026y / November / 1}, sys_days{2026y / November / 30},
                        {"Stage 1", "Stage 2"}, cal_, *triage::Zone::load("Europe/London"),
                        at("2026-12-01T09:00:00Z"), "Test Council");
  }
  std::vector<ReportCase> cases_;
  triage::WorkingCalendar cal_;
};

TEST_F(Reports, CountsTheCasesOfThePeriodOnly) {
  const auto r = build();
  EXPECT_EQ(r.received, 7);
  EXPECT_EQ(r.compliments, 1);
  ASSERT_GE(r.by_kind.size(), 3u);
  EXPECT_EQ(r.by_kind[0].label, "complaint");
  EXPECT_EQ(r.by_kind[0].n, 6);
  EXPECT_EQ(r.by_kind[1].n, 1);
  EXPECT_EQ(r.by_kind[2].n, 0);  // comments listed even when none
  ASSERT_FALSE(r.by_category.empty());
  EXPECT_EQ(r.by_category[0].label, "service delivery");  // most first
  EXPECT_EQ(r.by_category[0].n, 3);
  EXPECT_EQ(r.by_department[0].label, "Waste");
  EXPECT_EQ(r.by_department[0].n, 2);
  EXPECT_EQ(r.learning_by_category[0].label, "process");
}

TEST_F(Reports, TimelinessPerStage) {
  const auto r = build();
  ASSERT_EQ(r.sla.size(), 2u);
  const auto& s1 = r.sla[0];
  EXPECT_EQ(s1.stage, "Stage 1");
  EXPECT_EQ(s1.cases, 6);                    // the escalated one too
  EXPECT_EQ(s1.acknowledged, 4);             // CMP-1..4; CMP-7 and CMP-8 got none
  EXPECT_EQ(s1.acknowledgements_due, 5);     // CMP-8's missed one is due; CMP-7 withdrew first
  EXPECT_EQ(s1.acknowledged_on_time, 3);     // CMP-3's came late
  EXPECT_EQ(s1.responded, 3);
  EXPECT_EQ(s1.responses_due, 4);            // CMP-3 is overdue
  EXPECT_EQ(s1.responded_on_time, 2);        // CMP-1 and CMP-4
  EXPECT_EQ(s1.open_overdue, 1);
  EXPECT_DOUBLE_EQ(s1.mean_working_days, (5.0 + 25.0 + 5.0) / 3);
  const auto& s2 = r.sla[1];
  EXPECT_EQ(s2.cases, 1);
  // Judged by its own deadline (the day it opened), not stage 1's acknowledgement.
  EXPECT_EQ(s2.acknowledgements_due, 1);
  EXPECT_EQ(s2.acknowledged_on_time, 1);
  EXPECT_EQ(s2.responded, 0);
  EXPECT_EQ(s2.responses_due, 0);
  EXPECT_EQ(s2.open_overdue, 0);
}

TEST_F(Reports, ALateStageTwoAcknowledgementIsLateWhateverStageOneDid) {
  cases_[3].stages[1].acknowledged_at = at("2026-11-26T09:00:00Z");
  const auto r = build();
  EXPECT_EQ(r.sla[0].acknowledged_on_time, 3);
  EXPECT_EQ(r.sla[1].acknowledgements_due, 1);
  EXPECT_EQ(r.sla[1].acknowledged_on_time, 0);
}

TEST_F(Reports, AStageWhoseAcknowledgementDeadlineIsUnknownIsNotJudged) {
  // A stage reached before complaintd kept each stage's dates (schema 8).
  cases_[3].stages[1].acknowledge_by.reset();
  const auto r = build();
  EXPECT_EQ(r.sla[1].acknowledged, 1);
  EXPECT_EQ(r.sla[1].acknowledgements_due, 0);
}

TEST_F(Reports, EveryFormatCarriesTheNumbers) {
  const auto r = build();
  const auto text = to_text(r);
  EXPECT_NE(text.find("Received: 7 (compliments: 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("50%"), std::string::npos) << text;  // responded on time at stage 1
  const auto csv = to_csv(r);
  EXPECT_NE(csv.find("By category,service delivery,3"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"impoliteness, rudeness, bias\""), std::string::npos) << csv;  // quoted comma
  EXPECT_NE(csv.find("sla,Stage 1 acknowledgements due,5\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("sla,Stage 1 responses due,4\n"), std::string::npos) << csv;
  const auto json = to_json(r);
  EXPECT_NE(json.find("\"responses_due\": 4, \"responded\": 3, \"responded_on_time\": 2"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"from\": \"2026-11-01\""), std::string::npos);
  const auto html = to_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, nothing runs
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg"));  // no external file
}

// `report --at`: the CLI judges due-ness at another instant than the one it generates at.
TEST_F(Reports, EveryFormatSaysWhenDueWasJudged) {
  auto r = build();
  EXPECT_EQ(r.as_at, "2026-12-01T09:00:00Z");
  EXPECT_NE(to_text(r).find("Generated 2026-12-01T09:00:00Z"), std::string::npos);
  EXPECT_EQ(to_text(r).find("As at"), std::string::npos);  // the usual report says nothing more
  EXPECT_NE(to_json(r).find("\"as_at\": \"2026-12-01T09:00:00Z\""), std::string::npos);
  EXPECT_NE(to_csv(r).find("summary,as_at,2026-12-01T09:00:00Z\n"), std::string::npos);
  r.generated_at = "2027-01-04T08:00:00Z";
  const auto text = to_text(r);
  EXPECT_NE(text.find("due by then"), std::string::npos) << text;
  EXPECT_NE(text.find("overdue then"), std::string::npos) << text;
  EXPECT_NE(text.find("As at 2026-12-01T09:00:00Z (overdue and due by then); generated 2027-01-04T08:00:00Z"),
            std::string::npos)
      << text;
  EXPECT_NE(to_html(r).find("as at 2026-12-01T09:00:00Z"), std::string::npos);
}

// The same cases judged earlier: what was not yet due then is not late.
TEST_F(Reports, DueIsJudgedAtTheInstantGiven) {
  using namespace std::chrono;
  const auto early = build_report(cases_, sys_days{2026y / November / 1}, sys_days{2026y / November / 30},
                                  {"Stage 1", "Stage 2"}, cal_, *triage::Zone::load("Europe/London"),
                                  at("2026-11-02T09:00:00Z"), "Test Council");
  const auto late = build();
  ASSERT_FALSE(early.sla.empty());
  EXPECT_LT(early.sla[0].responses_due, late.sla[0].responses_due);
  EXPECT_LE(early.sla[0].open_overdue, late.sla[0].open_overdue);
}

TEST_F(Reports, HtmlEscapesWhatPeopleWrote) {
  cases_[0].department = "<script>alert(1)</script>";
  const auto html = to_html(build());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

TEST(WorkingDays, BetweenTwoInstants) {
  triage::WorkingCalendar cal;
  const auto utc = triage::Zone::utc();
  EXPECT_EQ(working_days_between(at("2026-11-02T10:00:00Z"), at("2026-11-09T09:00:00Z"), cal, utc), 5);
  EXPECT_EQ(working_days_between(at("2026-11-02T10:00:00Z"), at("2026-11-02T18:00:00Z"), cal, utc), 0);
  EXPECT_EQ(working_days_between(at("2026-11-09T10:00:00Z"), at("2026-11-02T10:00:00Z"), cal, utc), 0);
}

}  // namespace
}  // namespace complaintd::reports
