// A message that cannot be processed must neither stop the mailbox nor be lost: against the
// real Dovecot, the poller quarantines it, goes on with the next message, flags both \Seen,
// and the quarantined one becomes a case when it is replayed after the fix.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "daemon/mailbox_poller.hpp"
#include "daemon/quarantine.hpp"
#include "daemon/runtime.hpp"
#include "net/curl_multi.hpp"
#include "tests/net/mail_servers.hpp"
#include "tests/net/support.hpp"

namespace complaintd {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const daemon::Runtime> load_runtime(const fs::path& dir, const test::MailServers& s,
                                                    const std::string& folder) {
  std::ofstream(dir / "complaintd.toml") << "[service]\nname = \"Quarantine Test\"\ndatabase = \"complaintd.db\"\n"
                                         << "letters = \"" COMPLAINTD_SOURCE_DIR "/examples/solihull-council/letters\"\n"
                                         << "[[mailbox]]\nname = \"complaints\"\nurl = \"" << s.imap_url() << "\"\n"
                                         << "username = \"" << test::MailServers::kUser << "\"\npassword = \""
                                         << test::MailServers::kPassword << "\"\naddress = \"complaints@example.test\"\n"
                                         << "folder = \"" << folder << "\"\n"
                                         << "[smtp]\nurl = \"" << s.smtp_url() << "\"\nfrom = \"complaints@example.test\"\n"
                                         << "[roles]\nmanager = \"Morgan <manager@example.test>\"\n"
                                         << "[procedure]\nreferral_manager = \"manager\"\n";
  std::vector<std::string> errors;
  auto rt = daemon::Runtime::load(dir / "complaintd.toml", errors);
  EXPECT_TRUE(rt) << (errors.empty() ? "" : errors.front());
  return rt ? *rt : nullptr;
}

TEST(PollerQuarantine, AMessageThatFailsIsKeptAndTheRestGoOn) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const fs::path dir = fs::temp_directory_path() / ("complaintd-quarantine-" + test::unique_folder());
  fs::create_directories(dir);
  const std::string folder = test::unique_folder();
  boost::asio::io_context io;
  net::CurlMulti multi(io);
  test::run(io, test::create_folder(multi, s, folder));
  // A complaint (needs letters), an out-of-office reply (needs none), another complaint.
  ASSERT_EQ(test::run(io, test::append(multi, s, folder, test::message("q-first", "Bins.\r\n"))), CURLE_OK);
  std::string ooo = test::message("q-away", "I am away.\r\n");
  ooo.insert(0, "Auto-Submitted: auto-replied\r\n");
  ASSERT_EQ(test::run(io, test::append(multi, s, folder, ooo)), CURLE_OK);
  ASSERT_EQ(test::run(io, test::append(multi, s, folder, test::message("q-third", "Parking.\r\n"))), CURLE_OK);

  const auto good = load_runtime(dir, s, folder);
  ASSERT_TRUE(good);
  // A runtime that cannot write the referral: every new complaint fails to process.
  auto broken = std::make_shared<daemon::Runtime>(*good);
  broken->templates.erase("referral");

  auto opened = store::Store::open((dir / "complaintd.db").string());
  ASSERT_TRUE(opened);
  auto& db = **opened;
  auto worker_store = store::Store::open((dir / "complaintd.db").string());
  ASSERT_TRUE(worker_store);
  daemon::StoreWorker worker(io, std::move(*worker_store));
  daemon::MailboxPoller poller(multi, worker, broken, good->config.mailboxes.front());
  auto stats = test::run(io, poller.poll_once());
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->fetched, 3);
  EXPECT_EQ(stats->quarantined, 2);
  EXPECT_EQ(stats->not_answered, 1);  // the message between them was processed
  EXPECT_EQ(stats->new_cases, 0);

  // All three are flagged: nothing is fetched again, nothing waits.
  auto flags = test::run(io, test::raw_imap(multi, s, folder, "UID SEARCH UNSEEN"));
  EXPECT_EQ(flags.lines.find("SEARCH 1"), std::string::npos) << flags.lines;
  auto again = test::run(io, poller.poll_once());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->fetched, 0);

  auto list = db.list_quarantine(false);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].subject, "q-first");
  EXPECT_NE((*list)[0].reason.find("referral"), std::string::npos) << (*list)[0].reason;

  // After the fix: replayed, it becomes a case; replayed again, nothing more happens.
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto replayed = daemon::replay_quarantined(db, *good, (*list)[0].id, now);
  ASSERT_TRUE(replayed) << replayed.error().message;
  EXPECT_EQ(replayed->kind, daemon::IngestOutcome::Kind::kNewCase);
  EXPECT_FALSE(daemon::replay_quarantined(db, *good, (*list)[0].id, now));
  auto cases = db.list_cases();
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->size(), 1u);
  EXPECT_EQ(db.list_quarantine(false)->size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace complaintd
