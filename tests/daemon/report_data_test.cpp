// What `complaintd report` reads from a database: every stage of a schema 8 database, and
// from an older one (read as it is, never upgraded by a report) the case row's stage with
// its first acknowledgement.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/report_data.hpp"
#include "daemon/store/store.hpp"

namespace complaintd::daemon {
namespace {

namespace fs = std::filesystem;

class ReportData : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("complaintd-report-data-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A database at `version` with one complaint at stage 2 whose two acknowledgements went.
  std::string database(int version) {
    const auto path = (dir_ / ("v" + std::to_string(version) + ".db")).string();
    store::Connection c(path);
    for (int v = 1; v <= version; ++v) c.exec(store::Store::migration(v));
    c.exec(R"sql(
      INSERT INTO cases(id, reference, kind, state, stage, customer_address, customer_name, subject, received_at,
                        acknowledge_by, respond_by, respond_by_date, created_at, stage_index, stage_opened_at)
      VALUES (1, 'CMP-1', 'complaint', 'open', 'Stage 2', 'a@example.test', 'A', 'Bins', '2026-11-02T10:00:00Z',
              '2026-11-10T00:00:00Z', '2026-12-08T00:00:00Z', '2026-12-07', '2026-11-02T10:00:01Z', 1,
              '2026-11-25T09:00:00Z');
      INSERT INTO outbox(id, case_id, kind, message_id, mail_from, rcpt, raw, status, next_attempt_at, created_at,
                         sent_at) VALUES
        (10, 1, 'acknowledgement', 'm10', 'c@x', 'a@x', '', 'sent', '', '2026-11-02T10:00:01Z', '2026-11-02T10:00:03Z'),
        (12, 1, 'acknowledgement', 'm12', 'c@x', 'a@x', '', 'sent', '', '2026-11-25T09:00:00Z', '2026-11-25T09:00:02Z');
    )sql");
    if (version >= 8) {
      c.exec(R"sql(
        INSERT INTO case_stages(case_id, stage_index, stage, opened_at, acknowledge_by, acknowledgement_id,
                                respond_by, responded_at, ended_at) VALUES
          (1, 0, 'Stage 1', '2026-11-02T10:00:00Z', '2026-11-10T00:00:00Z', 10, '2026-12-01T00:00:00Z',
           '2026-11-20T15:00:00Z', '2026-11-25T09:00:00Z'),
          (1, 1, 'Stage 2', '2026-11-25T09:00:00Z', '2026-11-26T00:00:00Z', 12, '2026-12-08T00:00:00Z', '', '');
      )sql");
    }
    return path;
  }
  static triage::Instant at(const char* iso) { return *triage::parse_iso_instant(iso); }
  Result<std::vector<reports::ReportCase>> load(const std::string& path) {
    return load_report_cases(path, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
  }
  fs::path dir_;
};

TEST_F(ReportData, EveryStageWithItsOwnAcknowledgement) {
  auto cases = load(database(8));
  ASSERT_TRUE(cases) << cases.error().message;
  ASSERT_EQ(cases->size(), 1u);
  const auto& stages = (*cases)[0].stages;
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].name, "Stage 1");
  EXPECT_EQ(stages[0].acknowledged_at, at("2026-11-02T10:00:03Z"));
  EXPECT_EQ(stages[0].responded_at, at("2026-11-20T15:00:00Z"));
  EXPECT_EQ(stages[0].ended_at, at("2026-11-25T09:00:00Z"));
  EXPECT_EQ(stages[1].name, "Stage 2");
  EXPECT_EQ(stages[1].acknowledge_by, at("2026-11-26T00:00:00Z"));
  EXPECT_EQ(stages[1].acknowledged_at, at("2026-11-25T09:00:02Z"));
  EXPECT_EQ(stages[1].responded_at, std::nullopt);
}

TEST_F(ReportData, AnOlderDatabaseGivesTheStageItIsAtWithTheFirstAcknowledgement) {
  auto cases = load(database(7));
  ASSERT_TRUE(cases) << cases.error().message;
  ASSERT_EQ(cases->size(), 1u);
  const auto& stages = (*cases)[0].stages;
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].name, "Stage 2");
  EXPECT_EQ(stages[0].acknowledge_by, std::nullopt);  // the row's is stage 1's: not judged
  EXPECT_EQ(stages[0].acknowledged_at, at("2026-11-02T10:00:03Z"));
  EXPECT_EQ(stages[0].respond_by, at("2026-12-08T00:00:00Z"));
}

}  // namespace
}  // namespace complaintd::daemon
