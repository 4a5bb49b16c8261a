// Deadlines and case updates: what the scheduler relies on to act once, in order.
#include <gtest/gtest.h>

#include "daemon/store/store.hpp"

namespace complaintd::store {
namespace {

class Deadlines : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(":memory:");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
      NewCase c;
      c.stage = "Stage 1";
      c.customer_address = "alice@example.test";
      c.subject = "Bins";
      c.received_at = "2026-11-23T10:00:00Z";
      c.acknowledge_by = c.received_at;
      c.respond_by = "2026-12-22T00:00:00Z";
      c.respond_by_date = "2026-12-21";
      case_ = tx.insert_case("CMP-2026-000001", c, c.received_at);
      other_ = tx.insert_case("CMP-2026-000002", c, c.received_at);
      return {};
    }));
  }

  std::vector<DeadlineRow> due(const std::string& now, int limit = 100) {
    std::vector<DeadlineRow> rows;
    EXPECT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
      rows = tx.due_deadlines(now, limit);
      return {};
    }));
    return rows;
  }

  std::unique_ptr<Store> store_;
  std::int64_t case_ = 0, other_ = 0;
};

TEST_F(Deadlines, DueOnesComeEarliestFirstAndOnlyOnce) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_deadline(case_, "escalate", 0, 0, "2026-12-22T00:00:00Z");
    tx.insert_deadline(case_, "remind", 0, 0, "2026-12-14T00:00:00Z");
    tx.insert_deadline(other_, "remind", 0, 0, "2026-12-10T00:00:00Z");
    return {};
  }));
  auto rows = due("2026-12-14T00:00:00Z");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].case_id, other_);
  EXPECT_EQ(rows[1].kind, "remind");
  EXPECT_EQ(due("2026-12-09T23:59:59Z").size(), 0u);
  bool first = false, second = true;
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    first = tx.finish_deadline(rows[0].id, "2026-12-14T00:00:00Z", "done");
    second = tx.finish_deadline(rows[0].id, "2026-12-14T00:00:01Z", "done");
    return {};
  }));
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);  // a deadline acts once
  EXPECT_EQ(due("2026-12-14T00:00:00Z").size(), 1u);
  auto next = store_->next_deadline();
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(**next, "2026-12-14T00:00:00Z");
}

TEST_F(Deadlines, LaterDueReminderSupersedesAnEarlierOne) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_deadline(case_, "remind", 0, 0, "2026-12-14T00:00:00Z");
    tx.insert_deadline(case_, "remind", 0, 1, "2026-12-16T00:00:00Z");
    tx.insert_deadline(case_, "escalate", 0, 0, "2026-12-22T00:00:00Z");
    return {};
  }));
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto rows = tx.due_deadlines("2026-12-15T00:00:00Z", 10);
    EXPECT_EQ(rows.size(), 1u);
    EXPECT_FALSE(tx.later_deadline_due(rows[0], "2026-12-15T00:00:00Z"));  // reminder 2 not due yet
    EXPECT_TRUE(tx.later_deadline_due(rows[0], "2026-12-23T00:00:00Z"));   // after downtime
    const auto all = tx.due_deadlines("2026-12-23T00:00:00Z", 10);
    EXPECT_FALSE(tx.later_deadline_due(all[1], "2026-12-23T00:00:00Z"));  // the last reminder acts
    return {};
  }));
}

TEST_F(Deadlines, CancellingClosesOnlyThatCasesOpenOnes) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_deadline(case_, "remind", 0, 0, "2026-12-14T00:00:00Z");
    tx.insert_deadline(other_, "remind", 0, 0, "2026-12-14T00:00:00Z");
    tx.cancel_open_deadlines(case_, "2026-12-01T00:00:00Z");
    return {};
  }));
  const auto rows = due("2026-12-31T00:00:00Z");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].case_id, other_);
  auto mine = store_->case_deadlines(case_);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].outcome, "cancelled");
  EXPECT_EQ((*mine)[0].done_at, "2026-12-01T00:00:00Z");
}

TEST_F(Deadlines, UpdateChangesOnlyWhatIsSet) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    CaseUpdate u;
    u.state = "responded";
    u.stage_index = 1;
    u.stage_name = "Stage 2";
    u.handler_address = "bob@example.test";
    u.complex = true;
    tx.update_case(case_, u);
    return {};
  }));
  auto c = store_->find_case("CMP-2026-000001");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->state, "responded");
  EXPECT_EQ((*c)->stage, "Stage 2");
  EXPECT_EQ((*c)->stage_index, 1);
  EXPECT_TRUE((*c)->complex);
  EXPECT_EQ((*c)->handler_address, "bob@example.test");
  EXPECT_EQ((*c)->respond_by_date, "2026-12-21");  // untouched
  EXPECT_EQ((*c)->subject, "Bins");
  auto o = store_->find_case("CMP-2026-000002");
  EXPECT_EQ((*o)->state, "open");
}

}  // namespace
}  // namespace complaintd::store

namespace complaintd::store {
namespace {

TEST(Quarantine, KeepsTheMessageAdvancesTheMailboxAndRecordsTheReplay) {
  auto opened = Store::open(":memory:");
  ASSERT_TRUE(opened);
  auto& store = **opened;
  const NewMessage m{{"complaints", 7, 42}, "q1@example.test", "alice@example.test", "Bins",
                     "2026-12-01T10:00:00Z", "Subject: Bins\r\n\r\nbody\r\n"};
  auto row = store.quarantine(m, "letter template \"referral\" failed");
  ASSERT_TRUE(row) << row.error().message;

  // The mailbox moves past it, and the server is still told (\Seen) like any stored message.
  ASSERT_TRUE(store.transaction([&](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.mailbox_state("complaints")->last_uid, 42u);
    EXPECT_TRUE(tx.has_location(m.location));
    return {};
  }));
  auto pending = store.pending_server_actions("complaints", 7);
  ASSERT_TRUE(pending);
  EXPECT_EQ(*pending, (std::vector<std::uint32_t>{42}));

  auto list = store.list_quarantine(false);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].reason, "letter template \"referral\" failed");
  EXPECT_EQ((*list)[0].uid, 42u);
  auto shown = store.quarantined(*row);
  ASSERT_TRUE(shown && *shown);
  EXPECT_EQ((*shown)->raw, m.raw);  // every byte kept

  // Quarantining the same location again (a retry that raced) adds nothing.
  ASSERT_TRUE(store.quarantine(m, "again"));
  EXPECT_EQ(store.list_quarantine(false)->size(), 1u);

  ASSERT_TRUE(store.mark_replayed(*row, "new-case CMP-2026-000001"));
  EXPECT_TRUE(store.list_quarantine(false)->empty());
  auto all = store.list_quarantine(true);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].disposition, "replayed");
  EXPECT_NE((*all)[0].reason.find("replayed: new-case CMP-2026-000001"), std::string::npos);
}

}  // namespace
}  // namespace complaintd::store
