// SmtpClient against a real Postfix that delivers into Dovecot (scripts/mail-servers.sh).

#include "outbound/smtp_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "daemon/imap_client.hpp"
#include "tests/net/mail_servers.hpp"
#include "tests/net/support.hpp"

namespace complaintd::outbound {
namespace {

using test::MailServers;

class SmtpClientTest : public ::testing::Test {
 protected:
  static SmtpEndpoint endpoint(const std::string& url, const std::string& user = "", const std::string& password = "") {
    SmtpEndpoint ep;
    ep.url = url;
    ep.username = user;
    ep.password = password;
    return ep;
  }
  static SmtpEndpoint endpoint(const MailServers& s) { return endpoint(s.smtp_url()); }

  /// A Message-ID unique to this test run.
  static std::string unique_id(const std::string& what) {
    return what + "." + std::to_string(::getpid()) + "." +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "@example.test";
  }

  /// The UID of the INBOX message carrying `message_id`, 0 if there is none (yet).
  std::uint32_t found(const MailServers& s, const std::string& message_id) {
    auto reply = test::run(io_, test::raw_imap(multi_, s, "INBOX", "UID SEARCH HEADER Message-ID \"" + message_id + "\""));
    const auto at = reply.lines.find("* SEARCH ");
    return at == std::string::npos ? 0 : static_cast<std::uint32_t>(std::stoul(reply.lines.substr(at + 9)));
  }

  /// The INBOX message carrying `message_id`, as fetched over IMAP (waits for delivery).
  std::string delivered(const MailServers& s, const std::string& message_id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto uid = found(s, message_id);
      if (uid != 0) {
        daemon::ImapEndpoint ep;
        ep.url = s.imap_url();
        ep.username = MailServers::kUser;
        ep.password = MailServers::kPassword;
        daemon::ImapClient imap(multi_, ep);
        auto got = test::run(io_, imap.fetch({uid}));
        if (got.ok() && got->size() == 1) return got->front().raw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return {};
  }

  boost::asio::io_context io_;
  net::CurlMulti multi_{io_};
};

TEST_F(SmtpClientTest, AcceptedMessageArrivesInTheMailboxIntact) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const std::string id = unique_id("send");
  // SMTP's own end-of-data sequence and leading dots: curl must dot-stuff them (RFC 5321
  // section 4.5.2) and Postfix un-stuff them.
  const std::string body = "Dear customer,\r\n.\r\n..two dots\r\n.leading dot\r\nGr\xC3\xBC\xC3\x9F" "e\r\n";
  const std::string raw = "From: complaints@example.test\r\n"
                          "To: net+ack@example.test\r\n"
                          "Subject: [CMP-1] We received your complaint\r\n"
                          "Message-ID: <" + id + ">\r\n"
                          "Auto-Submitted: auto-replied\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n"
                          "\r\n" + body;
  SmtpClient client(multi_, endpoint(s));
  auto out = test::run(io_, client.send("complaints@example.test", {"net+ack@example.test"}, raw));
  ASSERT_TRUE(out.accepted) << out.error;
  EXPECT_EQ(out.reply_code, 250);
  EXPECT_TRUE(out.error.empty());

  const std::string got = delivered(s, id);
  ASSERT_FALSE(got.empty()) << "message " << id << " did not arrive";
  // Postfix prepends Return-Path, Delivered-To and Received; the message itself is intact.
  ASSERT_GE(got.size(), raw.size());
  EXPECT_EQ(got.substr(got.size() - raw.size()), raw);
  EXPECT_NE(got.find("Return-Path: <complaints@example.test>"), std::string::npos);
  // EHLO named the sender's domain (Postfix records it in its Received field).
  EXPECT_NE(got.find("Received: from example.test ("), std::string::npos) << got.substr(0, 600);
}

TEST_F(SmtpClientTest, FiveMegabyteMessageArrivesIntact) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const std::string id = unique_id("big");
  std::string b64;
  for (std::size_t i = 0; b64.size() < 5 * 1024 * 1024; ++i) {
    b64 += std::string(76, static_cast<char>('A' + i % 26)) + "\r\n";
  }
  const std::string raw = "From: complaints@example.test\r\nSubject: big\r\nMessage-ID: <" + id +
                          ">\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n" + b64;
  SmtpClient client(multi_, endpoint(s));
  const std::vector<std::string> to{"net@example.test"};
  auto out = test::run(io_, client.send("complaints@example.test", to, raw));
  ASSERT_TRUE(out.accepted) << out.error;
  const std::string got = delivered(s, id);
  ASSERT_GE(got.size(), raw.size());
  EXPECT_TRUE(got.substr(got.size() - raw.size()) == raw);
}

TEST_F(SmtpClientTest, NullReversePathIsSentAsEmptyBrackets) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  const std::string id = unique_id("null");
  const std::string raw = "From: complaints@example.test\r\nSubject: bounce-safe\r\nMessage-ID: <" + id +
                          ">\r\n\r\nbody\r\n";
  SmtpClient client(multi_, endpoint(s));
  auto out = test::run(io_, client.send("", {"<net@example.test>"}, raw));
  ASSERT_TRUE(out.accepted) << out.error;
  const std::string got = delivered(s, id);
  ASSERT_FALSE(got.empty());
  EXPECT_NE(got.find("Return-Path: <>"), std::string::npos) << got.substr(0, 300);
}

TEST_F(SmtpClientTest, UnknownRecipientIsPermanent) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  SmtpClient client(multi_, endpoint(s));
  auto out = test::run(io_, client.send("complaints@example.test", {"nobody@example.test"},
                                        "Subject: x\r\n\r\nx\r\n"));
  EXPECT_FALSE(out.accepted);
  EXPECT_TRUE(out.permanent) << out.error;
  EXPECT_EQ(out.reply_code / 100, 5);
  EXPECT_NE(out.error.find(s.smtp_url()), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("550"), std::string::npos) << out.error;
}

TEST_F(SmtpClientTest, OneRefusedRecipientFailsTheWholeTransaction) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  SmtpClient client(multi_, endpoint(s));
  const std::string id = unique_id("partial");
  auto out = test::run(io_, client.send("complaints@example.test", {"net@example.test", "nobody@example.test"},
                                        "Subject: x\r\nMessage-ID: <" + id + ">\r\n\r\nx\r\n"));
  EXPECT_FALSE(out.accepted);
  EXPECT_TRUE(out.permanent) << out.error;
  // Nothing was delivered to the good recipient either.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(found(s, id), 0U);
}

TEST_F(SmtpClientTest, RelayToAnotherDomainIsPermanent) {
  COMPLAINTD_REQUIRE_MAIL_SERVERS(s);
  SmtpClient client(multi_, endpoint(s));
  auto out = test::run(io_, client.send("complaints@example.test", {"someone@example.org"},
                                        "Subject: x\r\n\r\nx\r\n"));
  EXPECT_FALSE(out.accepted);
  EXPECT_TRUE(out.permanent) << out.error;
  EXPECT_NE(out.error.find(s.smtp_url()), std::string::npos) << out.error;
}

TEST_F(SmtpClientTest, ClosedPortIsTransient) {
  const int port = test::closed_port();
  SmtpClient client(multi_, endpoint("smtp://127.0.0.1:" + std::to_string(port), "mailer", "Smtp-Secret-42"));
  auto out = test::run(io_, client.send("complaints@example.test", {"a@example.test"}, "Subject: x\r\n\r\nx\r\n"));
  EXPECT_FALSE(out.accepted);
  EXPECT_FALSE(out.permanent);
  EXPECT_EQ(out.reply_code, 0);
  EXPECT_NE(out.error.find("smtp://127.0.0.1:" + std::to_string(port)), std::string::npos) << out.error;
  EXPECT_EQ(out.error.find("Smtp-Secret-42"), std::string::npos) << out.error;
}

TEST_F(SmtpClientTest, AddressesThatWouldInjectCommandsAreRefusedLocally) {
  SmtpClient client(multi_, endpoint("smtp://127.0.0.1:1"));
  for (const std::string bad : {"a@example.test>\r\nRCPT TO:<b@example.test", "a@example.test\nDATA", "a<b@c"}) {
    auto out = test::run(io_, client.send("complaints@example.test", {bad}, "Subject: x\r\n\r\nx\r\n"));
    EXPECT_FALSE(out.accepted);
    EXPECT_TRUE(out.permanent);
    auto from = test::run(io_, client.send(bad, {"a@example.test"}, "Subject: x\r\n\r\nx\r\n"));
    EXPECT_FALSE(from.accepted);
    EXPECT_TRUE(from.permanent);
  }
  auto none = test::run(io_, client.send("complaints@example.test", {}, "Subject: x\r\n\r\nx\r\n"));
  EXPECT_TRUE(none.permanent);
}

}  // namespace
}  // namespace complaintd::outbound
