// Which file names in the database's directory are the database: the watch wakes the
// daemon for those only.

#include "daemon/database_watch.hpp"

#include <sys/inotify.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace complaintd::daemon {
namespace {

TEST(DatabaseWatch, KnowsTheDatabaseItsWalAndItsJournal) {
  const std::filesystem::path db = "/var/lib/complaintd/complaintd.db";
  EXPECT_TRUE(is_database_file("complaintd.db", db));
  EXPECT_TRUE(is_database_file("complaintd.db-wal", db));
  EXPECT_TRUE(is_database_file("complaintd.db-journal", db));
  EXPECT_FALSE(is_database_file("complaintd.db-shm", db));  // read locks, not commits
  EXPECT_FALSE(is_database_file("complaintd.db.bak", db));
  EXPECT_FALSE(is_database_file("other.db-wal", db));
  EXPECT_FALSE(is_database_file("complaintd", db));
  EXPECT_FALSE(is_database_file("", db));
  EXPECT_TRUE(is_database_file("cases.sqlite", "cases.sqlite"));  // a relative path
}

// One event as the kernel writes it: the header, then the name NUL-padded to `len`.
std::string event(const std::string& name, std::uint32_t pad = 16) {
  inotify_event e{};
  e.mask = IN_MODIFY;
  e.len = name.empty() ? 0 : static_cast<std::uint32_t>((name.size() / pad + 1) * pad);
  std::string out(sizeof e, '\0');
  std::memcpy(out.data(), &e, sizeof e);
  std::string padded = name;
  padded.resize(e.len, '\0');
  return out + padded;
}

TEST(DatabaseWatch, ReadsTheNamesOfARead) {
  const std::filesystem::path db = "/var/lib/complaintd/complaintd.db";
  EXPECT_FALSE(touches_database("", db));
  EXPECT_FALSE(touches_database(event("complaintd.db-shm") + event("attachments"), db));
  EXPECT_TRUE(touches_database(event("complaintd.db-shm") + event("complaintd.db-wal"), db));
  EXPECT_TRUE(touches_database(event("complaintd.db", 32), db));
  EXPECT_FALSE(touches_database(event(""), db));  // the directory itself
  // A cut-off read (never from the kernel, but never trusted either) stops at the cut.
  const std::string whole = event("complaintd.db-wal");
  EXPECT_FALSE(touches_database(whole.substr(0, whole.size() - 1), db));
}

}  // namespace
}  // namespace complaintd::daemon
