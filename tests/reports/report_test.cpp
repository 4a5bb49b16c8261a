// The report on a hand-made set of cases whose every number was counted by hand.
#include <gtest/gtest.h>

#include "reports/report.hpp"

namespace complaintd::reports {
namespace {

using triage::Instant;

Instant at(const char* iso) { return *triage::parse_iso_instant(iso); }

ReportCase complaint(const char* ref, const char* received, const char* stage = "Stage 1") {
  ReportCase c;
  c.reference = ref;
  c.kind = "complaint";
  c.state = "open";
  c.stage = stage;
  c.received_at = at(received);
  c.stage_opened_at = c.received_at;
  c.acknowledge_by = c.received_at + std::chrono::hours(24 * 7);
  c.acknowledged_at = c.received_at + std::chrono::seconds(5);
  c.respond_by = c.received_at + std::chrono::hours(24 * 28);
  return c;
}

class Reports : public testing::Test {
 protected:
  void SetUp() override {
    auto a = complaint("CMP-1", "2026-11-02T10:00:00Z");  // responded on time after 5 working days
    a.state = "closed";
    a.responded_at = at("2026-11-09T12:00:00Z");
    a.closed_at = a.responded_at;
    a.categories = {"service delivery"};
    a.department = "Waste";
    a.learning_categories = {"process"};
    auto b = complaint("CMP-2", "2026-11-03T10:00:00Z");  // responded late after 25 working days
    b.state = "responded";
    b.respond_by = at("2026-11-20T00:00:00Z");
    b.responded_at = at("2026-12-08T10:00:00Z");
    b.categories = {"service delivery", "impoliteness, rudeness, bias"};
    b.department = "Waste";
    auto c = complaint("CMP-3", "2026-11-10T10:00:00Z");  // open and overdue
    c.respond_by = at("2026-11-20T00:00:00Z");
    c.acknowledged_at = at("2026-11-25T00:00:00Z");       // acknowledged late
    c.categories = {"policy, decision or procedure"};
    c.department = "Parking";
    auto d = complaint("CMP-4", "2026-11-12T10:00:00Z", "Stage 2");  // open at stage 2, in time
    d.respond_by = at("2026-12-20T00:00:00Z");
    ReportCase e;  // a compliment
    e.reference = "CMP-5";
    e.kind = "compliment";
    e.state = "closed";
    e.stage = "Stage 1";
    e.received_at = at("2026-11-15T10:00:00Z");
    auto outside = complaint("CMP-6", "2026-10-31T23:30:00Z");  // 31 Oct in London: before the period
    cases_ = {a, b, c, d, e, outside};
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
  EXPECT_EQ(r.received, 5);
  EXPECT_EQ(r.compliments, 1);
  ASSERT_GE(r.by_kind.size(), 3u);
  EXPECT_EQ(r.by_kind[0].label, "complaint");
  EXPECT_EQ(r.by_kind[0].n, 4);
  EXPECT_EQ(r.by_kind[1].n, 1);
  EXPECT_EQ(r.by_kind[2].n, 0);  // comments listed even when none
  ASSERT_FALSE(r.by_category.empty());
  EXPECT_EQ(r.by_category[0].label, "service delivery");  // most first
  EXPECT_EQ(r.by_category[0].n, 2);
  EXPECT_EQ(r.by_department[0].label, "Waste");
  EXPECT_EQ(r.by_department[0].n, 2);
  EXPECT_EQ(r.learning_by_category[0].label, "process");
}

TEST_F(Reports, TimelinessPerStage) {
  const auto r = build();
  ASSERT_EQ(r.sla.size(), 2u);
  const auto& s1 = r.sla[0];
  EXPECT_EQ(s1.stage, "Stage 1");
  EXPECT_EQ(s1.cases, 3);
  EXPECT_EQ(s1.acknowledged, 3);
  EXPECT_EQ(s1.acknowledged_on_time, 2);
  EXPECT_EQ(s1.responded, 2);
  EXPECT_EQ(s1.responded_on_time, 1);
  EXPECT_EQ(s1.open_overdue, 1);
  EXPECT_DOUBLE_EQ(s1.mean_working_days, (5.0 + 25.0) / 2);
  EXPECT_EQ(r.sla[1].cases, 1);
  EXPECT_EQ(r.sla[1].open_overdue, 0);
}

TEST_F(Reports, EveryFormatCarriesTheNumbers) {
  const auto r = build();
  const auto text = to_text(r);
  EXPECT_NE(text.find("Received: 5 (compliments: 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("50%"), std::string::npos) << text;  // responded on time at stage 1
  const auto csv = to_csv(r);
  EXPECT_NE(csv.find("By category,service delivery,2"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"impoliteness, rudeness, bias\""), std::string::npos) << csv;  // quoted comma
  const auto json = to_json(r);
  EXPECT_NE(json.find("\"responded_on_time\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"from\": \"2026-11-01\""), std::string::npos);
  const auto html = to_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, nothing runs
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg"));  // no external file
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
