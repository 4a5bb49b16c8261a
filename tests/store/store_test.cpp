#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "daemon/store/attachment_files.hpp"
#include "daemon/store/store.hpp"

namespace complaintd::store {
namespace {

namespace fs = std::filesystem;

// The same contract runs against an in-memory database and a file (WAL mode).
class StoreContract : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      dir_ = fs::temp_directory_path() / ("complaintd-store-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      path_ = (dir_ / "complaintd.db").string();
    } else {
      path_ = ":memory:";
    }
    auto s = Store::open(path_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  NewMessage message(std::uint32_t uid, const std::string& message_id = "m@example.test") {
    return NewMessage{{"complaints", 7, uid}, message_id, "alice@example.test", "Bins", "2026-11-23T10:00:00Z",
                      "Subject: Bins\r\n\r\nbody\r\n"};
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, SequencesAreGapFreePerCounter) {
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
      seen.push_back(tx.next_sequence(2026));
      return {};
    }));
  }
  // A rolled-back transaction gives its number back.
  ASSERT_FALSE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.next_sequence(2026);
    return Error{"no"};
  }));
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    seen.push_back(tx.next_sequence(2026));
    seen.push_back(tx.next_sequence(2027));
    return {};
  }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 4, 1}));
}

TEST_P(StoreContract, MessagesAreKeyedByLocation) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(tx.has_location({"complaints", 7, 1}));
    tx.insert_message(message(1), "new-case", "r");
    EXPECT_TRUE(tx.has_location({"complaints", 7, 1}));
    EXPECT_FALSE(tx.has_location({"complaints", 8, 1}));
    EXPECT_FALSE(tx.has_location({"other", 7, 1}));
    return {};
  }));
  // The same location twice violates the unique index: the transaction fails whole.
  auto again = store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_message(message(1), "new-case", "r");
    return {};
  });
  EXPECT_FALSE(again);
}

TEST_P(StoreContract, DuplicatesNeedSameIdSenderAndSubject) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto first = tx.insert_message(message(1), "new-case", "r");
    EXPECT_EQ(tx.find_duplicate(message(2)), first);
    auto other_sender = message(3);
    other_sender.from_address = "mallory@example.test";
    EXPECT_FALSE(tx.find_duplicate(other_sender));
    auto no_id = message(4, "");
    EXPECT_FALSE(tx.find_duplicate(no_id));
    return {};
  }));
}

TEST_P(StoreContract, MailboxStateRoundTrips) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(tx.mailbox_state("complaints"));
    tx.set_mailbox_state("complaints", {7, 12});
    tx.set_mailbox_state("complaints", {7, 13});
    const auto s = tx.mailbox_state("complaints");
    EXPECT_TRUE(s && s->uidvalidity == 7 && s->last_uid == 13);
    return {};
  }));
}

TEST_P(StoreContract, CaseWithEventsAndOutbox) {
  std::int64_t case_id = 0;
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto row = tx.insert_message(message(1), "pending", "");
    NewCase c;
    c.stage = "Stage 1";
    c.customer_address = "alice@example.test";
    c.customer_name = "Alice";
    c.subject = "Bins";
    c.received_at = "2026-11-23T10:00:00Z";
    c.acknowledge_by = "2026-11-23T10:00:00Z";
    c.respond_by = "2026-12-22T00:00:00Z";
    c.respond_by_date = "2026-12-21";
    c.message_row = row;
    case_id = tx.insert_case("CMP-2026-000001", c, "2026-11-23T10:00:00Z");
    tx.set_message_outcome(row, "new-case", "a person wrote", case_id);
    tx.insert_event(case_id, "2026-11-23T10:00:00Z", "received", "from alice");
    tx.insert_deadline(case_id, "respond", 0, 0, c.respond_by);
    tx.insert_outbox(case_id, "acknowledgement", "ack1@example.test", "complaints@example.test",
                     "alice@example.test", "raw", "2026-11-23T10:00:00Z");
    return {};
  }));
  auto found = store_->find_case("cmp-2026-000001");  // references match case-insensitively
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->reference, "CMP-2026-000001");
  EXPECT_EQ((*found)->state, "open");
  EXPECT_EQ(store_->case_events(case_id)->size(), 1u);
  EXPECT_EQ(store_->list_cases()->size(), 1u);

  auto due = store_->due_outbox("2026-11-23T10:00:00Z", 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].raw, "raw");
  EXPECT_EQ(store_->due_outbox("2026-11-23T09:59:59Z", 10)->size(), 0u);

  // A temporary failure reschedules; a success marks it sent for good.
  ASSERT_TRUE(store_->mark_attempt_failed((*due)[0].id, "421 try later", "2026-11-23T10:01:00Z", false));
  EXPECT_EQ(store_->due_outbox("2026-11-23T10:00:30Z", 10)->size(), 0u);
  EXPECT_EQ(**store_->next_outbox_attempt(), "2026-11-23T10:01:00Z");
  ASSERT_TRUE(store_->mark_sent((*due)[0].id, "2026-11-23T10:01:00Z"));
  EXPECT_EQ(store_->due_outbox("2099-01-01T00:00:00Z", 10)->size(), 0u);
  EXPECT_FALSE(*store_->next_outbox_attempt());
  const auto letters = store_->case_letters(case_id);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].status, "sent");
  EXPECT_EQ((*letters)[0].attempts, 2);
}

TEST_P(StoreContract, StaffRepliesKeepTheirStateInSchemaFive) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto row = tx.insert_message(message(1), "pending", "");
    NewCase c;
    c.stage = "Stage 1";
    c.customer_address = "alice@example.test";
    c.received_at = c.acknowledge_by = c.respond_by = "2026-11-23T10:00:00Z";
    c.message_row = row;
    const auto id = tx.insert_case("CMP-2026-000001", c, "2026-11-23T10:00:00Z");
    EXPECT_FALSE(tx.meta("reply_secret"));
    tx.set_meta("reply_secret", "k1");
    tx.set_meta("reply_secret", "k2");
    EXPECT_EQ(tx.meta("reply_secret"), "k2");

    EXPECT_EQ(tx.count_learning(id), 0);
    tx.insert_learning(id, "service_delivery", "photograph missed bins", "2026-11-24T10:00:00Z", "ivy@example.test");
    EXPECT_EQ(tx.count_learning(id), 1);

    CaseUpdate u;
    u.advocate_address = "carol@example.net";
    tx.update_case(id, u);
    EXPECT_EQ(tx.case_by_id(id)->advocate_address, "carol@example.net");

    // Commands of a message act once: its Message-ID is remembered once it has acted.
    EXPECT_FALSE(tx.message_acted("<m1@example.test>"));
    EXPECT_FALSE(tx.message_acted(""));
    tx.set_message_outcome(row, "staff-commands", "1 command(s) applied", id);
    EXPECT_TRUE(tx.message_acted(message(1).message_id));

    tx.insert_outbox(id, "staff_confirmation", "conf1@example.test", "complaints@example.test", "ivy@example.test",
                     "raw", "2026-11-24T10:00:00Z");
    EXPECT_EQ(tx.outbox_kind("conf1@example.test"), "staff_confirmation");
    EXPECT_FALSE(tx.outbox_kind("other@example.test"));

    // A savepoint undoes what follows it and nothing before.
    EXPECT_FALSE(tx.savepoint([&](Tx& inner) -> Result<void> {
      inner.insert_learning(id, "", "undone", "2026-11-24T10:00:00Z", "ivy@example.test");
      u.advocate_address = "dave@example.net";
      inner.update_case(id, u);
      return Error{"refused"};
    }));
    EXPECT_EQ(tx.count_learning(id), 1);
    EXPECT_EQ(tx.case_by_id(id)->advocate_address, "carol@example.net");
    EXPECT_TRUE(tx.savepoint([&](Tx& inner) -> Result<void> {
      inner.insert_learning(id, "", "kept", "2026-11-24T10:00:00Z", "ivy@example.test");
      return {};
    }));
    EXPECT_EQ(tx.count_learning(id), 2);
    return {};
  }));
}

TEST_P(StoreContract, PermanentFailureLeavesThePendingQueue) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_outbox(std::nullopt, "acknowledgement", "x@example.test", "a@example.test", "b@example.test", "raw",
                     "2026-11-23T10:00:00Z");
    return {};
  }));
  const auto id = (*store_->due_outbox("2026-11-23T10:00:00Z", 1))[0].id;
  ASSERT_TRUE(store_->mark_attempt_failed(id, "550 no such user", "2026-11-23T10:01:00Z", true));
  EXPECT_EQ(store_->due_outbox("2099-01-01T00:00:00Z", 10)->size(), 0u);
  EXPECT_EQ(store_->list_outbox("failed")->size(), 1u);
}

TEST_P(StoreContract, LettersToAnAddressSinceAnInstantWhateverTheirStatusOrCase) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_outbox(std::nullopt, "acknowledgement", "1@x", "a@example.test", "bot@example.test", "raw",
                     "2026-11-22T09:00:00Z");
    tx.insert_outbox(std::nullopt, "acknowledgement", "2@x", "a@example.test", "Bot@Example.test", "raw",
                     "2026-11-23T09:00:00Z");
    tx.insert_outbox(std::nullopt, "response", "3@x", "a@example.test", "bot@example.test", "raw",
                     "2026-11-23T10:00:00Z");
    tx.insert_outbox(std::nullopt, "acknowledgement", "4@x", "a@example.test", "other@example.test", "raw",
                     "2026-11-23T10:00:00Z");
    return {};
  }));
  // A refused letter still counts: it was an answer all the same.
  ASSERT_TRUE(store_->mark_attempt_failed((*store_->due_outbox("2026-11-23T10:00:00Z", 1))[0].id, "550",
                                          "2026-11-23T10:01:00Z", true));
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto all = tx.letters_to("BOT@example.test", "2026-11-22T08:59:59Z");
    EXPECT_EQ(all.size(), 3u);
    const auto recent = tx.letters_to("bot@example.test", "2026-11-22T09:00:00Z");  // after, not at
    EXPECT_EQ(recent, (std::vector<std::pair<std::string, std::string>>{{"acknowledgement", "2026-11-23T09:00:00Z"},
                                                                         {"response", "2026-11-23T10:00:00Z"}}));
    EXPECT_TRUE(tx.letters_to("nobody@example.test", "2000-01-01T00:00:00Z").empty());
    return {};
  }));
}

TEST_P(StoreContract, ServerActionsArePendingUntilDone) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_message(message(5), "new-case", "r");
    tx.insert_message(message(6, "n@example.test"), "new-case", "r");
    return {};
  }));
  EXPECT_EQ(*store_->pending_server_actions("complaints", 7), (std::vector<std::uint32_t>{5, 6}));
  ASSERT_TRUE(store_->mark_server_actions_done("complaints", 7, {5}));
  EXPECT_EQ(*store_->pending_server_actions("complaints", 7), (std::vector<std::uint32_t>{6}));
}

TEST_P(StoreContract, ExceptionsInsideATransactionRollBack) {
  auto r = store_->transaction([&](Tx& tx) -> Result<void> {
    tx.set_mailbox_state("complaints", {1, 1});
    throw StoreError("simulated failure", SQLITE_IOERR);
  });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("simulated failure"), std::string::npos);
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(tx.mailbox_state("complaints"));
    return {};
  }));
}

TEST_P(StoreContract, ASavepointUndoesItsOwnPartOnly) {
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    tx.insert_message(message(1, "a@example.test"), "new-case", "r");
    auto failed = tx.savepoint([&](Tx& inner) -> Result<void> {
      inner.insert_message(message(2, "b@example.test"), "new-case", "r");
      return Error{"this message cannot be processed"};
    });
    EXPECT_FALSE(failed);
    EXPECT_THROW((void)tx.savepoint([&](Tx& inner) -> Result<void> {
      inner.insert_message(message(3, "c@example.test"), "new-case", "r");
      throw std::runtime_error("a bug");
    }), std::runtime_error);
    EXPECT_GT(tx.quarantine(message(2, "b@example.test"), "cannot be processed"), 0);
    EXPECT_TRUE(tx.savepoint([&](Tx& inner) -> Result<void> {
      inner.insert_message(message(4, "d@example.test"), "new-case", "r");
      return {};
    }));
    return {};
  }));
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_TRUE(tx.has_location({"complaints", 7, 1}));
    EXPECT_TRUE(tx.has_location({"complaints", 7, 2}));  // quarantined
    EXPECT_FALSE(tx.has_location({"complaints", 7, 3}));
    EXPECT_TRUE(tx.has_location({"complaints", 7, 4}));
    EXPECT_EQ(tx.mailbox_state("complaints")->last_uid, 2u);  // quarantine moves past it
    return {};
  }));
  auto q = store_->list_quarantine(false);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*store_->quarantined((*q)[0].id))->raw, message(2).raw);
}

TEST_P(StoreContract, AnExceptionOtherThanAStoreErrorStillRollsBack) {
  EXPECT_THROW((void)store_->transaction([&](Tx& tx) -> Result<void> {
    tx.set_mailbox_state("complaints", {1, 1});
    throw std::runtime_error("a bug");
  }), std::runtime_error);
  // The connection is usable, and nothing of that transaction is left.
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(tx.mailbox_state("complaints"));
    return {};
  }));
}

TEST(Store, TheWalIsCheckpointedWhileStatementsStayCached) {
  // A statement left part-way through its rows (has_location finds its row and stops)
  // must not keep a read transaction open: then no checkpoint runs and the WAL grows
  // with every commit.
  const auto dir = fs::temp_directory_path() / ("complaintd-store-wal-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = (dir / "c.db").string();
  auto s = Store::open(path);
  ASSERT_TRUE(s) << s.error().message;
  const std::string raw(6000, 'x');
  for (std::uint32_t uid = 1; uid <= 1500; ++uid) {
    ASSERT_TRUE((*s)->transaction([&](Tx& tx) -> Result<void> {
      if (uid > 1) {
        EXPECT_TRUE(tx.has_location({"complaints", 7, uid - 1}));
      }
      tx.insert_message(NewMessage{{"complaints", 7, uid}, "", "a@example.test", "s", "2026-11-23T10:00:00Z", raw},
                        "new-case", "r");
      return {};
    }, Store::Commit::kRelaxed));
  }
  // 1,500 messages are ~9 MB, and each commit writes several pages (the row, its body and
  // three indexes): without checkpoints the WAL would hold thousands of pages. Checkpoints
  // every 1,000 pages keep it near 1,000 pages, whatever their size.
  const auto wal = fs::file_size(path + "-wal");
  EXPECT_GT(fs::file_size(path), 4u << 20);
  const std::uintmax_t page = [&] {
    Connection c(path);
    auto size = c.prepare("PRAGMA page_size");
    return size.step() ? static_cast<std::uintmax_t>(size.integer(0)) : 0;
  }();
  EXPECT_LT(wal, 2000 * page);
  s->reset();
  fs::remove_all(dir);
}

TEST_P(StoreContract, AttachmentsBelongToTheirMessage) {
  std::int64_t first = 0;
  std::int64_t second = 0;
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    first = tx.insert_message(message(1), "new-case", "r");
    second = tx.insert_message(message(2, "other@example.test"), "new-case", "r");
    tx.insert_attachment(first, NewAttachment{"bin.jpg", "image/jpeg", 1234, std::string(64, 'a'), true});
    tx.insert_attachment(first, NewAttachment{"Beschwerde über Müll.pdf", "application/pdf", 7, std::string(64, 'b'), false});
    // The same content sent again in another message is another row, one file.
    tx.insert_attachment(second, NewAttachment{"copy.pdf", "application/pdf", 7, std::string(64, 'b'), false});
    return {};
  }));
  auto rows = store_->message_attachments(first);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].filename, "bin.jpg");
  EXPECT_EQ((*rows)[0].content_type, "image/jpeg");
  EXPECT_EQ((*rows)[0].size, 1234u);
  EXPECT_TRUE((*rows)[0].is_inline);
  EXPECT_EQ((*rows)[1].filename, "Beschwerde über Müll.pdf");
  EXPECT_EQ((*rows)[1].sha256, std::string(64, 'b'));
  EXPECT_FALSE((*rows)[1].is_inline);
  EXPECT_EQ((*rows)[1].message_row, first);
  EXPECT_EQ(store_->message_attachments(second)->size(), 1u);
  EXPECT_TRUE(store_->message_attachments(999)->empty());
}

TEST_P(StoreContract, AttachmentRowsRollBackWithTheirMessage) {
  ASSERT_FALSE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto row = tx.insert_message(message(1), "new-case", "r");
    tx.insert_attachment(row, NewAttachment{"a.pdf", "application/pdf", 1, std::string(64, 'c'), false});
    return Error{"later step failed"};
  }));
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(tx.has_location({"complaints", 7, 1}));
    return {};
  }));
  EXPECT_TRUE(store_->message_attachments(1)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(false, true),
                         [](const auto& test_info) { return test_info.param ? "File" : "Memory"; });

TEST(Store, ReopeningKeepsDataAndSchema) {
  const auto dir = fs::temp_directory_path() / ("complaintd-store-reopen-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = (dir / "c.db").string();
  {
    auto s = Store::open(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->transaction([](Tx& tx) -> Result<void> {
      tx.set_mailbox_state("m", {3, 9});
      return {};
    }));
  }
  {
    auto s = Store::open(path);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->transaction([](Tx& tx) -> Result<void> {
      EXPECT_EQ(tx.mailbox_state("m")->last_uid, 9u);
      return {};
    }));
  }
  fs::remove_all(dir);
}

TEST(Store, VersionOneDatabaseIsMigratedToTheCurrentSchema) {
  const auto dir = fs::temp_directory_path() / ("complaintd-store-v1-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = (dir / "c.db").string();
  {
    // What complaintd 0.1 left behind: schema version 1 with a case in it.
    Connection c(path);
    c.exec(Store::migration(1));
    c.exec("INSERT INTO meta(key, value) VALUES('schema_version', '1')");
    c.exec(
        "INSERT INTO cases(reference, kind, state, stage, customer_address, customer_name, subject, received_at, "
        "acknowledge_by, respond_by, respond_by_date, created_at) VALUES('CMP-2026-000001', 'complaint', 'open', "
        "'Stage 1', 'alice@example.test', 'Alice', 'Bins', '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z', "
        "'2026-12-22T00:00:00Z', '2026-12-21', '2026-11-23T10:00:00Z')");
  }
  {
    auto s = Store::open(path);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE((*s)->message_attachments(1));  // version 2's table
    auto c = (*s)->find_case("CMP-2026-000001");
    ASSERT_TRUE(c && *c);
    // Version 3 derives the stage's start and first deadline from what version 1 knew.
    EXPECT_EQ((*c)->stage_opened_at, "2026-11-23T10:00:00Z");
    EXPECT_EQ((*c)->stage_due, "2026-12-22T00:00:00Z");
    EXPECT_EQ((*c)->stage_due_date, "2026-12-21");
    EXPECT_EQ((*c)->stage_index, 0);
    Connection conn(path);
    auto v = conn.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
    ASSERT_TRUE(v.step());
    EXPECT_EQ(v.text(0), std::to_string(Store::kSchemaVersion));
  }
  fs::remove_all(dir);
}

TEST(Store, VersionSevenCasesGetTheirStagesFromTheirTimelines) {
  const auto dir = fs::temp_directory_path() / ("complaintd-store-v7-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = (dir / "c.db").string();
  {
    // What complaintd left behind before schema 8: case 1 was answered at stage 1 (after an
    // extension), escalated, and stage 2 is open; its row still carries stage 1's response.
    // Case 2 is open at stage 1. Case 3 is a compliment, which has no stages.
    Connection c(path);
    for (int v = 1; v <= 7; ++v) c.exec(Store::migration(v));
    c.exec("INSERT INTO meta(key, value) VALUES('schema_version', '7')");
    c.exec(R"sql(
      INSERT INTO cases(id, reference, kind, state, stage, customer_address, customer_name, subject, received_at,
                        acknowledge_by, respond_by, respond_by_date, created_at, stage_index, stage_opened_at,
                        responded_at, closed_at)
      VALUES (1, 'CMP-1', 'complaint', 'open', 'Stage 2', 'a@example.test', 'A', 'Bins', '2026-11-02T10:00:00Z',
              '2026-11-10T00:00:00Z', '2026-12-08T00:00:00Z', '2026-12-07', '2026-11-02T10:00:01Z', 1,
              '2026-11-25T09:00:00Z', '2026-11-20T15:00:00Z', ''),
             (2, 'CMP-2', 'complaint', 'open', 'Stage 1', 'b@example.test', 'B', 'Road', '2026-11-03T10:00:00Z',
              '2026-11-11T00:00:00Z', '2026-12-02T00:00:00Z', '2026-12-01', '2026-11-03T10:00:01Z', 0,
              '2026-11-03T10:00:00Z', '', ''),
             (3, 'CMP-3', 'compliment', 'closed', 'Stage 1', 'c@example.test', 'C', 'Thanks', '2026-11-04T10:00:00Z',
              '2026-11-04T10:00:00Z', '2026-11-04T10:00:00Z', '2026-11-04', '2026-11-04T10:00:01Z', 0, '', '',
              '2026-11-04T10:00:01Z');
      INSERT INTO events(case_id, at, kind, detail) VALUES
        (1, '2026-11-02T10:00:01Z', 'stage-opened', 'Stage 1 opened; handler ivy@example.test; response due 2026-11-30'),
        (2, '2026-11-03T10:00:01Z', 'stage-opened', 'Stage 1 opened; handler ivy@example.test; response due 2026-12-01'),
        (1, '2026-11-10T10:00:00Z', 'extended', 'deadline extended by 2 working days to 2026-12-02'),
        (1, '2026-11-20T15:00:00Z', 'responded', 'Stage 1 response sent; the customer may ask for Stage 2'),
        (1, '2026-11-25T09:00:00Z', 'stage-opened', 'Stage 2 opened; handler ann@example.test; response due 2026-12-07');
      INSERT INTO deadlines(case_id, kind, due_at, stage_index, done_at) VALUES
        (1, 'respond', '2026-12-01T00:00:00Z', 0, '2026-11-10T10:00:00Z'),
        (1, 'respond', '2026-12-03T00:00:00Z', 0, '2026-11-20T15:00:00Z'),
        (1, 'respond', '2026-12-08T00:00:00Z', 1, NULL);
      INSERT INTO outbox(id, case_id, kind, message_id, mail_from, rcpt, raw, status, next_attempt_at, created_at,
                         sent_at) VALUES
        (10, 1, 'acknowledgement', 'm10', 'c@x', 'a@example.test', '', 'sent', '', '2026-11-02T10:00:01Z',
         '2026-11-02T10:00:03Z'),
        (11, 1, 'referral', 'm11', 'c@x', 'ivy@example.test', '', 'sent', '', '2026-11-02T10:00:01Z',
         '2026-11-02T10:00:03Z'),
        (12, 1, 'acknowledgement', 'm12', 'c@x', 'a@example.test', '', 'sent', '', '2026-11-25T09:00:00Z',
         '2026-11-25T09:00:02Z'),
        (13, 2, 'acknowledgement', 'm13', 'c@x', 'b@example.test', '', 'pending', '', '2026-11-03T10:00:01Z', NULL);
    )sql");
  }
  {
    auto s = Store::open(path);
    ASSERT_TRUE(s) << s.error().message;
    auto one = (*s)->case_stages(1);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 2u);
    const auto& first = (*one)[0];
    EXPECT_EQ(first.stage, "Stage 1");
    EXPECT_EQ(first.opened_at, "2026-11-02T10:00:00Z");      // received, as stage 1 always starts
    EXPECT_EQ(first.acknowledge_by, "2026-11-10T00:00:00Z");  // the case row's, which was stage 1's
    EXPECT_EQ(first.acknowledgement_id, 10);
    EXPECT_EQ(first.respond_by, "2026-12-03T00:00:00Z");      // the extended deadline, not the first
    EXPECT_EQ(first.responded_at, "2026-11-20T15:00:00Z");
    EXPECT_EQ(first.ended_at, "2026-11-25T09:00:00Z");        // when stage 2 opened
    const auto& second = (*one)[1];
    EXPECT_EQ(second.stage_index, 1);
    EXPECT_EQ(second.stage, "Stage 2");
    EXPECT_EQ(second.opened_at, "2026-11-25T09:00:00Z");
    EXPECT_EQ(second.acknowledge_by, std::nullopt);           // never stored: unknown, not guessed
    EXPECT_EQ(second.acknowledgement_id, 12);
    EXPECT_EQ(second.respond_by, "2026-12-08T00:00:00Z");
    EXPECT_EQ(second.responded_at, "");                       // stage 1's response is not stage 2's
    EXPECT_EQ(second.ended_at, "");
    auto row = (*s)->find_case("CMP-1");
    ASSERT_TRUE(row && *row);
    EXPECT_EQ((*row)->responded_at, "");

    auto two = (*s)->case_stages(2);
    ASSERT_TRUE(two);
    ASSERT_EQ(two->size(), 1u);
    EXPECT_EQ((*two)[0].acknowledgement_id, 13);
    EXPECT_EQ((*two)[0].respond_by, "2026-12-02T00:00:00Z");  // no deadline row: the case's
    auto three = (*s)->case_stages(3);
    ASSERT_TRUE(three);
    EXPECT_TRUE(three->empty());
  }
  fs::remove_all(dir);
}

TEST(Store, NewDatabasesHaveLargePagesAndOldOnesKeepTheirs) {
  const auto dir = fs::temp_directory_path() / ("complaintd-store-pages-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto page_size = [](const std::string& path) {
    Connection c(path);
    auto s = c.prepare("PRAGMA page_size");
    return s.step() ? s.integer(0) : 0;
  };
  const auto fresh = (dir / "new.db").string();
  ASSERT_TRUE(Store::open(fresh));
  EXPECT_EQ(page_size(fresh), 16384);

  // A database made before, with SQLite's default 4 KB pages, in WAL mode.
  const auto old = (dir / "old.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(old.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, Store::migration(1), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO meta(key, value) VALUES('schema_version', '1')", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto s = Store::open(old);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->transaction([](Tx& tx) -> Result<void> {
      tx.set_meta("k", "v");
      return {};
    }));
  }
  EXPECT_EQ(page_size(old), 4096);
  fs::remove_all(dir);
}

TEST(Store, MetaReadInATransactionFollowsItsWritesAndRollbacks) {
  auto s = Store::open(":memory:");
  ASSERT_TRUE(s);
  auto& store = **s;
  ASSERT_TRUE(store.transaction([](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.meta("reply_secret"), std::nullopt);
    // Made in a part of the transaction that fails: gone with it, and not remembered.
    EXPECT_FALSE(tx.savepoint([](Tx& part) -> Result<void> {
      part.set_meta("reply_secret", "first");
      EXPECT_EQ(part.meta("reply_secret"), "first");
      return Error{"the letter failed"};
    }));
    EXPECT_EQ(tx.meta("reply_secret"), std::nullopt);
    tx.set_meta("reply_secret", "second");
    EXPECT_EQ(tx.meta("reply_secret"), "second");
    return {};
  }));
  // A transaction that rolls back takes its value with it.
  EXPECT_FALSE(store.transaction([](Tx& tx) -> Result<void> {
    tx.set_meta("reply_secret", "third");
    return Error{"rolled back"};
  }));
  ASSERT_TRUE(store.transaction([](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.meta("reply_secret"), "second");
    return {};
  }));
}

TEST(AttachmentFiles, ContentAddressedWriteOnceRead) {
  const auto dir = fs::temp_directory_path() / ("complaintd-attachments-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto root = AttachmentFiles::beside((dir / "c.db").string());
  EXPECT_EQ(root, dir / "c.db.attachments");
  const AttachmentFiles files(root);
  // SHA-256("abc"); the store trusts the caller's digest and only checks its form.
  const std::string sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  ASSERT_TRUE(files.put(sha, "abc"));
  EXPECT_EQ(files.path_of(sha), root / "ba" / sha);
  EXPECT_TRUE(fs::exists(root / "ba" / sha));
  EXPECT_EQ(*files.get(sha), "abc");
  const auto written = fs::last_write_time(root / "ba" / sha);
  ASSERT_TRUE(files.put(sha, "abc"));  // stored once: the second put leaves the file alone
  EXPECT_EQ(fs::last_write_time(root / "ba" / sha), written);
  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root / "ba")) ++entries;
  EXPECT_EQ(entries, 1u);
  // Binary content survives whole.
  const std::string binary("\0\xff\r\n\0", 5);
  const std::string sha2 = std::string(64, '0');
  ASSERT_TRUE(files.put(sha2, binary));
  EXPECT_EQ(*files.get(sha2), binary);
  fs::remove_all(dir);
}

TEST(AttachmentFiles, OnlyDigestsBecomePaths) {
  const AttachmentFiles files(fs::temp_directory_path() / "complaintd-never-created");
  for (const char* bad : {"", "../../etc/passwd", "ABCDEF", "zz", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
                          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/"}) {
    auto r = files.put(bad, "x");
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "complaintd-never-created"));
  EXPECT_TRUE(AttachmentFiles::beside(":memory:").empty());
}

TEST(AttachmentFiles, UnwritableDirectoryIsAnError) {
  const AttachmentFiles files("/proc/complaintd-cannot-write-here");
  auto r = files.put(std::string(64, 'a'), "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/proc/complaintd-cannot-write-here"), std::string::npos) << r.error().message;
}

TEST_P(StoreContract, TriageDecisionsSenderCountsAndThreads) {
  std::int64_t case_id = 0;
  ASSERT_TRUE(store_->transaction([&](Tx& tx) -> Result<void> {
    const auto row = tx.insert_message(message(1, "first@example.test"), "pending", "");
    NewCase c;
    c.stage = "Stage 1";
    c.customer_address = "alice@example.test";
    c.received_at = "2026-11-23T10:00:00Z";
    c.message_row = row;
    case_id = tx.insert_case("CMP-2026-000001", c, "2026-11-23T10:00:00Z");
    tx.set_message_outcome(row, "new-case", "a person wrote", case_id);
    CaseUpdate u;
    u.categories = "service_delivery\nimpoliteness";
    u.flags = "staff_conduct";
    u.department = "Highways";
    u.complainant_type = "apprentice";
    tx.update_case(case_id, u);
    tx.insert_triage(row, case_id, TriageRow{"category", "impoliteness", "category.impoliteness", "keyword", "rude"});
    tx.insert_outbox(case_id, "acknowledgement", "ack1@example.test", "complaints@example.test", "alice@example.test",
                     "raw", "2026-11-23T10:00:00Z");
    // Sender counts: case-insensitive, within the window only.
    EXPECT_EQ(tx.count_sender_cases("ALICE@example.test", "2026-11-01T00:00:00Z"), 1);
    EXPECT_EQ(tx.count_sender_cases("alice@example.test", "2026-11-24T00:00:00Z"), 0);
    EXPECT_EQ(tx.count_sender_messages("alice@example.test", "2026-11-01T00:00:00Z"), 1);
    // A reply to our acknowledgement, or to the customer's own message, finds the case.
    EXPECT_EQ(tx.case_for_message_ids({"unknown@x", "ack1@example.test"}), "CMP-2026-000001");
    EXPECT_EQ(tx.case_for_message_ids({"first@example.test"}), "CMP-2026-000001");
    EXPECT_FALSE(tx.case_for_message_ids({"unknown@x"}));
    return {};
  }));
  const auto found = store_->find_case("CMP-2026-000001");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->categories, "service_delivery\nimpoliteness");
  EXPECT_EQ((*found)->flags, "staff_conduct");
  EXPECT_EQ((*found)->department, "Highways");
  EXPECT_EQ((*found)->complainant_type, "apprentice");
  const auto why = store_->case_triage(case_id);
  ASSERT_TRUE(why);
  ASSERT_EQ(why->size(), 1u);
  EXPECT_EQ((*why)[0].matched, "rude");
}

TEST(Store, UnopenableDatabaseIsAClearError) {
  auto s = Store::open("/nonexistent-dir/complaintd.db");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent-dir/complaintd.db"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace complaintd::store
