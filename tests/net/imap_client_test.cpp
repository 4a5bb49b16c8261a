// ImapClient against a real Dovecot (scripts/mail-servers.sh) on 127.0.0.1.

#include "daemon/imap_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/net/mail_servers.hpp"
#include "tests/net/support.hpp"

namespace complaintd::daemon {
namespace {

using test::MailServers;
using Uids = std::vector<std::uint32_t>;

class ImapClientTest : public ::testing::Test {
 protected:
  ImapEndpoint endpoint(const MailServers& s, const std::string& folder) const {
    ImapEndpoint ep;
    ep.url = s.imap_url();
    ep.username = MailServers::kUser;
    ep.password = MailServers::kPassword;
    ep.folder = folder;
    // Shows the protocol on stderr (test credentials only).
    ep.verbose = std::getenv("COMPLAINTD_NET_VERBOSE") != nullptr;
    return ep;
  }

  /// A fresh folder holding `messages`, APPENDed in order (UIDs 1..n).
  std::string folder_with(const MailServers& s, const std::vector<std::string>& messages,
                          const std::string& suffix = "") {
    const std::string folder = test::unique_folder() + suffix;
    test::run(io_, test::create_folder(multi_, s, folder));
    for (const auto& m : messages) {
      EXPECT_EQ(test::run(io_, test::append(multi_, s, folder, m)), CURLE_OK);
    }
    // curl APPENDs with the \Seen flag set; new mail has none.
    if (!messages.empty()) {
      auto unseen = test::run(io_, test::raw_imap(multi_, s, folder, "UID STORE 1:* -FLAGS.SILENT (\\Seen)"));
      EXPECT_EQ(unseen.code, CURLE_OK) << unseen.lines;
    }
    return folder;
  }

  /// The FLAGS of `uid` as the server reports them, e.g. "(\\Seen)".
  std::string flags(const MailServers& s, const std::string& folder, std::uint32_t uid) {
    auto reply = test::run(io_, test::raw_imap(multi_, s, folder, "UID FETCH " + std::to_string(uid) + " (FLAGS)"));
    EXPECT_EQ(reply.code, CURLE_OK) << reply.lines;
    // "* 1 FETCH (UID 1 FLAGS (\Seen))"; other sessions' flag changes may come along
    // unsolicited, so pick the line with our UID. (No std::regex: GCC 12 warns in it.)
    const std::string uid_item = "(UID " + std::to_string(uid) + " ";
    std::size_t pos = 0;
    while (pos < reply.lines.size()) {
      const auto eol = reply.lines.find('\n', pos);
      const std::string line = reply.lines.substr(pos, eol == std::string::npos ? eol : eol - pos);
      pos = eol == std::string::npos ? reply.lines.size() : eol + 1;
      if (!line.starts_with("* ") || line.find(" FETCH " + uid_item) == std::string::npos) continue;
      const auto at = line.find("FLAGS (");
      if (at == std::string::npos) continue;
      return line.substr(at + 6, line.find(')', at) - at - 5);
    }
    return "<none>";
  }

  boost::asio::io_context io_;
  net::CurlMulti multi_{io_};
};

TEST_F(ImapClientTest, StatusReportsUidValidityNextAndCount) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n"), test::message("b", "2\r\n"),
                                      test::message("c", "3\r\n")});
  ImapClient client(multi_, endpoint(s, folder));
  auto st = test::run(io_, client.status());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_NE(st->uidvalidity, 0U);
  EXPECT_EQ(st->uidnext, 4U);
  EXPECT_EQ(st->messages, 3U);
  // Again on the same (now pooled) connection.
  auto again = test::run(io_, client.status());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->uidvalidity, st->uidvalidity);
}

TEST_F(ImapClientTest, UidsFromFiltersTheHighestUidBelowFirst) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n"), test::message("b", "2\r\n"),
                                      test::message("c", "3\r\n")});
  // With ESEARCH (Dovecot has it) and with the windowed plain SEARCH.
  for (const bool esearch : {true, false}) {
    auto ep = endpoint(s, folder);
    if (!esearch) ep.ignore_capabilities = {"ESEARCH"};
    ImapClient client(multi_, ep);
    auto all = test::run(io_, client.uids_from(1));
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ(*all, (Uids{1, 2, 3})) << "esearch=" << esearch;
    auto tail = test::run(io_, client.uids_from(3));
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(*tail, (Uids{3}));
    // "4:*" matches UID 3 on the server (RFC 3501 6.4.8); the client drops it.
    auto none = test::run(io_, client.uids_from(4));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
  }
}

TEST_F(ImapClientTest, UidsFromSeesMailDeliveredAfterTheMailboxWasSelected) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n")});
  ImapClient client(multi_, endpoint(s, folder));
  auto first = test::run(io_, client.uids_from(1));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (Uids{1}));
  // Another connection adds a message while ours keeps the folder selected.
  net::CurlMulti other(io_);
  ASSERT_EQ(test::run(io_, test::append(other, s, folder, test::message("b", "2\r\n"))), CURLE_OK);
  auto second = test::run(io_, client.uids_from(2));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, (Uids{2}));
}

std::string big_attachment_message(std::size_t raw_bytes) {
  std::mt19937 rng(42);
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  const std::size_t chars = raw_bytes / 3 * 4;
  b64.reserve(chars + chars / 76 * 2 + 2);
  for (std::size_t i = 0; i < chars; ++i) {
    b64 += kB64[rng() % 64];
    if (i % 76 == 75) b64 += "\r\n";
  }
  return "From: Customer <customer@example.test>\r\n"
         "Subject: attachment\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "--b1\r\n"
         "Content-Type: text/plain\r\n"
         "\r\n"
         "See attached.\r\n"
         "--b1\r\n"
         "Content-Type: application/octet-stream\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"scan.bin\"\r\n"
         "\r\n" +
         b64 + "\r\n--b1--\r\n";
}

std::string bullets(int count, std::size_t width) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "* point " + std::to_string(i) + " " + std::string(width, 'y') + "\r\n";
  return out;
}

TEST_F(ImapClientTest, FetchReturnsExactBytesAndLeavesSeenAlone) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  std::string eight_bit = "Gr\xC3\xBC\xC3\x9F" "e, \xE9t\xE9 (latin-1), \xFF\xFE\x80\x81\r\n";
  const std::vector<std::string> messages = {
      test::message("plain", "Hello.\r\n"),
      // SMTP's end of data inside a message, and dot-stuffing look-alikes.
      test::message("dots", "line\r\n.\r\nafter the dot\r\n..\r\n.x\r\n"),
      test::message("8bit", eight_bit),
      big_attachment_message(5 * 1024 * 1024),
      // Lines curl treats specially inside a literal: untagged look-alikes and things that
      // look like its own tags (curl would end the command there).
      test::message("tags", "* 1 FETCH (UID 99 BODY[] {3}\r\nA001 OK done\r\nB737 MAX\r\nA004 OK\r\nZ999 x\r\n"),
      // A literal inside the message text.
      test::message("literal", "{5}\r\nabcde\r\n) trailing\r\n"),
      test::message("no-final-crlf", "ends without a line break"),
      // Lines that begin with "* " make Debian's curl count the rest of its buffer again
      // (the file comment of daemon/imap_client.cpp): a bulleted complaint.
      test::message("bullets", bullets(60, 1000) + std::string(60000, 'x') + "\r\n"),
      test::message("dense-bullets", bullets(3000, 1)),
  };
  const auto folder = folder_with(s, messages);
  ImapClient client(multi_, endpoint(s, folder));
  auto got = test::run(io_, client.fetch({7, 1, 2, 3, 4, 5, 6, 2, 8, 9}));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ((*got)[i].uid, i + 1);
    EXPECT_EQ((*got)[i].raw.size(), messages[i].size()) << "uid " << i + 1;
    EXPECT_TRUE((*got)[i].raw == messages[i]) << "uid " << i + 1 << " differs";
  }
  // BODY.PEEK[]: nothing became \Seen, not even the message fetched by curl's own FETCH.
  for (std::uint32_t uid = 1; uid <= messages.size(); ++uid) {
    EXPECT_EQ(flags(s, folder, uid).find("\\Seen"), std::string::npos) << "uid " << uid;
  }
}

TEST_F(ImapClientTest, FetchSurvivesLinesLongerThanCurlsLineBuffer) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  // One line of 600 KiB fits the batch buffer; one of 6 MiB exceeds even curl's largest
  // (10 MiB, lines up to half of it) and is clipped by curl: detected, fetched again.
  const std::vector<std::string> messages = {
      test::message("short", "x\r\n"),
      test::message("long", std::string(600 * 1024, 'a') + "\r\n"),
      test::message("huge", std::string(6 * 1024 * 1024, 'b') + "\r\nend\r\n"),
      test::message("after", "y\r\n"),
  };
  const auto folder = folder_with(s, messages);
  ImapClient client(multi_, endpoint(s, folder));
  auto got = test::run(io_, client.fetch({1, 2, 3, 4}));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_TRUE((*got)[i].raw == messages[i]) << "uid " << i + 1 << " differs";
  }
  EXPECT_EQ(flags(s, folder, 3).find("\\Seen"), std::string::npos);
}

TEST_F(ImapClientTest, FetchOfNothingOrOfExpungedUidsIsEmpty) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n")});
  ImapClient client(multi_, endpoint(s, folder));
  auto none = test::run(io_, client.fetch({}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto missing = test::run(io_, client.fetch({42, 43}));
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_TRUE(missing->empty());
  auto mixed = test::run(io_, client.fetch({1, 42}));
  ASSERT_TRUE(mixed.ok());
  ASSERT_EQ(mixed->size(), 1U);
  EXPECT_EQ(mixed->front().uid, 1U);
}

TEST_F(ImapClientTest, FetchManyMessagesInSeveralBatches) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  std::vector<std::string> messages;
  for (int i = 0; i < 450; ++i) {
    const std::string n = std::to_string(i);
    messages.push_back(test::message("m-" + n, "body " + n + "\r\n"));
  }
  const auto folder = folder_with(s, messages);
  ImapClient client(multi_, endpoint(s, folder));
  Uids uids;
  for (std::uint32_t u = 1; u <= messages.size(); ++u) uids.push_back(u);
  auto got = test::run(io_, client.fetch(uids));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) EXPECT_EQ((*got)[i].raw, messages[i]);
}

TEST_F(ImapClientTest, ManyUidsAtOnceForEveryCommand) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  // Hundreds of UIDs: each reply line that begins with "* " costs against Debian curl's
  // header limit (see daemon/imap_client.cpp), MOVE answers one "* n EXPUNGE" per message.
  std::vector<std::string> messages;
  for (int i = 0; i < 600; ++i) {
    const std::string n = std::to_string(i);
    messages.push_back(test::message("n-" + n, "x\r\n"));
  }
  const auto folder = folder_with(s, messages);
  ImapClient client(multi_, endpoint(s, folder));
  Uids all;
  for (std::uint32_t u = 1; u <= messages.size(); ++u) all.push_back(u);
  auto uids = test::run(io_, client.uids_from(1));
  ASSERT_TRUE(uids.ok()) << uids.error().message;
  EXPECT_EQ(*uids, all);
  auto seen = test::run(io_, client.mark_seen(all));
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_NE(flags(s, folder, 600).find("\\Seen"), std::string::npos);
  const Uids most(all.begin(), all.end() - 1);
  auto moved = test::run(io_, client.move(most, folder + ".Done"));
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  auto left = test::run(io_, client.uids_from(1));
  ASSERT_TRUE(left.ok()) << left.error().message;
  EXPECT_EQ(*left, (Uids{600}));
}

TEST_F(ImapClientTest, MarkSeenSetsSeenOnExactlyThoseUids) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n"), test::message("b", "2\r\n"),
                                      test::message("c", "3\r\n")});
  ImapClient client(multi_, endpoint(s, folder));
  auto r = test::run(io_, client.mark_seen({1, 3}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(flags(s, folder, 1).find("\\Seen"), std::string::npos);
  EXPECT_EQ(flags(s, folder, 2).find("\\Seen"), std::string::npos);
  EXPECT_NE(flags(s, folder, 3).find("\\Seen"), std::string::npos);
  EXPECT_TRUE(test::run(io_, client.mark_seen({})).ok());
}

TEST_F(ImapClientTest, MoveCreatesTheTargetAndMovesOnlyThoseUids) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const std::vector<std::string> messages = {test::message("a", "1\r\n"), test::message("b", "2\r\n"),
                                             test::message("c", "3\r\n"), test::message("d", "4\r\n")};
  // With MOVE (RFC 6851) and with COPY + STORE \Deleted + UID EXPUNGE.
  for (const bool with_move : {true, false}) {
    const auto folder = folder_with(s, messages, with_move ? "_move" : "_copy");
    const std::string done = folder + ".Done";
    auto ep = endpoint(s, folder);
    if (!with_move) ep.ignore_capabilities = {"move"};
    ImapClient client(multi_, ep);
    auto moved = test::run(io_, client.move({1, 3}, done));
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    auto left = test::run(io_, client.uids_from(1));
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(*left, (Uids{2, 4})) << "with_move=" << with_move;
    // Into the (now existing) folder again.
    auto again = test::run(io_, client.move({2}, done));
    ASSERT_TRUE(again.ok()) << again.error().message;

    auto target_ep = endpoint(s, done);
    ImapClient target(multi_, target_ep);
    auto st = test::run(io_, target.status());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->messages, 3U);
    auto bodies = test::run(io_, target.fetch({1, 2, 3}));
    ASSERT_TRUE(bodies.ok());
    ASSERT_EQ(bodies->size(), 3U);
    EXPECT_EQ((*bodies)[0].raw, messages[0]);
    EXPECT_EQ((*bodies)[1].raw, messages[2]);
    EXPECT_EQ((*bodies)[2].raw, messages[1]);
  }
}

TEST_F(ImapClientTest, MoveToANonAsciiFolderUsesModifiedUtf7) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("a", "1\r\n")});
  const std::string done = folder + ".Erledigt \xC3\x9C & Co";  // "Erledigt Ü & Co"
  ImapClient client(multi_, endpoint(s, folder));
  auto moved = test::run(io_, client.move({1}, done));
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  auto list = test::run(io_, test::raw_imap(multi_, s, "", "LIST \"\" \"" + folder + ".*\""));
  EXPECT_NE(list.lines.find(folder + ".Erledigt &ANw- &- Co"), std::string::npos) << list.lines;
  ImapClient target(multi_, endpoint(s, done));
  auto st = test::run(io_, target.status());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->messages, 1U);
}

TEST_F(ImapClientTest, WrongPasswordIsAClearErrorWithoutThePassword) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  auto ep = endpoint(s, "INBOX");
  ep.password = "Wr0ng-Secret-Value";
  ImapClient client(multi_, ep);
  auto st = test::run(io_, client.status());
  ASSERT_FALSE(st.ok());
  const std::string& e = st.error().message;
  EXPECT_NE(e.find(s.imap_url()), std::string::npos) << e;
  EXPECT_NE(e.find("AUTHENTICATIONFAILED"), std::string::npos) << e;
  EXPECT_EQ(e.find("Wr0ng-Secret-Value"), std::string::npos) << e;
  EXPECT_EQ(e.find(MailServers::kUser), std::string::npos) << e;
}

TEST_F(ImapClientTest, CredentialsInTheUrlNeverReachServerOrErrors) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  ImapEndpoint ep;
  ep.url = "imap://net%40example.test:Wr0ng-Secret-Value@127.0.0.1:" + std::to_string(s.imap_port) + "/";
  ImapClient client(multi_, ep);
  EXPECT_EQ(client.server(), s.imap_url());
  auto st = test::run(io_, client.status());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.find("Wr0ng-Secret-Value"), std::string::npos) << st.error().message;
}

TEST_F(ImapClientTest, MissingFolderNamesTheFolderAndTheServersReason) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  ImapClient client(multi_, endpoint(s, "NoSuchFolder"));
  auto uids = test::run(io_, client.uids_from(1));
  ASSERT_FALSE(uids.ok());
  EXPECT_NE(uids.error().message.find("NoSuchFolder"), std::string::npos) << uids.error().message;
  EXPECT_NE(uids.error().message.find("NO "), std::string::npos) << uids.error().message;
}

TEST_F(ImapClientTest, UnreachableServerIsNamedInTheError) {
  const int port = test::closed_port();
  ImapEndpoint ep;
  ep.url = "imap://127.0.0.1:" + std::to_string(port);
  ep.username = "someone";
  ep.password = "Secret-Pass-123";
  ImapClient client(multi_, ep);
  auto st = test::run(io_, client.status());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("imap://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("connect"), std::string::npos) << st.error().message;
  EXPECT_EQ(st.error().message.find("Secret-Pass-123"), std::string::npos);
}

TEST_F(ImapClientTest, ImapsWithTheServersCertificate) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const auto folder = folder_with(s, {test::message("tls", "over TLS\r\n")});
  auto ep = endpoint(s, folder);
  ep.url = s.imaps_url();
  ep.ca_file = s.cert;
  ImapClient client(multi_, ep);
  auto got = test::run(io_, client.fetch({1}));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 1U);
  EXPECT_EQ(got->front().raw, test::message("tls", "over TLS\r\n"));

  // The self-signed certificate is refused without it ...
  auto strict = endpoint(s, folder);
  strict.url = s.imaps_url();
  ImapClient refused(multi_, strict);
  auto st = test::run(io_, refused.status());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("certificate"), std::string::npos) << st.error().message;
  // ... and accepted when verification is off.
  strict.verify_tls = false;
  ImapClient lax(multi_, strict);
  EXPECT_TRUE(test::run(io_, lax.status()).ok());
}

}  // namespace
}  // namespace complaintd::daemon
