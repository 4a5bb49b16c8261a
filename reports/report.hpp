#pragma once
// The report coordinators and trustees read: what came in over a period, how it was sorted,
// and whether it was acknowledged and answered on time — the SLA compliance councils and
// charities publish. Pure: the cases come in as values, `now` is an argument; rendering to
// text, CSV, JSON and a self-contained HTML page (inline SVG charts) is here too.

#include <optional>
#include <string>
#include <vector>

#include "triage/calendar.hpp"

namespace complaintd::reports {

/// One stage a complaint reached, with that stage's own dates.
struct ReportStage {
  int index = 0;
  std::string name;
  triage::Instant opened_at{};
  /// Unknown for a stage reached before complaintd kept each stage's dates (schema 8):
  /// such a stage is left out of "acknowledged on time" rather than judged by a guess.
  std::optional<triage::Instant> acknowledge_by;
  std::optional<triage::Instant> acknowledged_at;  ///< its acknowledgement's acceptance by the SMTP server
  triage::Instant respond_by{};                    ///< the deadline as it stands (agreed extensions count)
  std::optional<triage::Instant> responded_at;
  std::optional<triage::Instant> ended_at;  ///< the next stage opened, or the case closed or was withdrawn
};

/// What the report needs of one case (daemon/report_data reads it from the database).
struct ReportCase {
  std::string reference;
  std::string kind;   ///< complaint, compliment, comment
  std::string state;  ///< open, responded, closed, withdrawn
  std::string stage;  ///< the stage it is at (or ended at)
  std::vector<std::string> categories;
  std::string department;
  triage::Instant received_at{};
  std::optional<triage::Instant> closed_at;
  std::vector<ReportStage> stages;  ///< every stage it reached, first first
  std::vector<std::string> learning_categories;  ///< one per learning recorded
};

struct Count {
  std::string label;
  int n = 0;
};

/// Timeliness of one stage, over every case received in the period that reached it: an
/// escalated case counts under each of its stages, each judged by its own deadlines.
struct StageSla {
  std::string stage;
  int cases = 0;
  /// Acknowledgements that were due by `now` (sent, or missed and past their deadline).
  int acknowledgements_due = 0, acknowledged = 0, acknowledged_on_time = 0;
  /// Responses that were due by `now`: sent, or still owed past the deadline. A stage the
  /// customer withdrew from before its deadline owes none.
  int responses_due = 0, responded = 0, responded_on_time = 0;
  int open_overdue = 0;               ///< no response and past the deadline at `now`
  double mean_working_days = 0.0;     ///< stage opened → response, over those responded
};

struct Report {
  std::string service;
  triage::Date from{}, to{};  ///< local dates, inclusive
  std::string generated_at;   ///< ISO 8601 UTC
  /// The instant what was due is judged at (ISO 8601 UTC): `now`, or `report --at`'s for a
  /// report as it stood then, e.g. at the end of its period.
  std::string as_at;
  int received = 0;
  std::vector<Count> by_kind, by_category, by_stage, by_outcome, by_department, learning_by_category;
  std::vector<StageSla> sla;
  int compliments = 0;
};

/// Aggregates the cases received between `from` and `to` (local dates, inclusive). `stages`
/// names the procedure's stages in order, so each appears even with no cases.
Report build_report(const std::vector<ReportCase>& cases, triage::Date from, triage::Date to,
                    const std::vector<std::string>& stages, const triage::WorkingCalendar& cal,
                    const triage::Zone& zone, triage::Instant now, std::string service);

std::string to_text(const Report& r);
std::string to_csv(const Report& r);
std::string to_json(const Report& r);
/// One self-contained page (no scripts, no external files), fit to send to trustees.
std::string to_html(const Report& r);

/// Working days from `a` to `b` (local dates; 0 when the same day or `b` is earlier).
int working_days_between(triage::Instant a, triage::Instant b, const triage::WorkingCalendar& cal,
                         const triage::Zone& zone);

}  // namespace complaintd::reports
