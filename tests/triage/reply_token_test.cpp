// Reply tokens and Authentication-Results: who may act on a case by email.
#include "triage/reply_token.hpp"

#include <gtest/gtest.h>

namespace complaintd::triage {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::vector<std::string> kOwn{"complaints@example.test"};

ReplyToken token_for(std::int64_t id, const std::string& ref, ReplyRole role, const std::string& to) {
  return ReplyToken{id, role, reply_mac(kSecret, id, ref, role, to)};
}

TEST(ReplyToken, RoundTripsThroughTheReplyAddress) {
  const auto t = token_for(42, "CMP-2026-000042", ReplyRole::kHandler, "ivy@example.test");
  EXPECT_EQ(t.mac.size(), kMacLength);
  const auto address = reply_address("complaints@example.test", '+', t);
  EXPECT_EQ(address, "complaints+42-h" + t.mac + "@example.test");
  EXPECT_EQ(token_in_address(address, '+', kOwn), t);
  // Mail systems may change the case of an address; the token survives.
  std::string upper = address;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(token_in_address(upper, '+', kOwn), t);
  EXPECT_EQ(token_in_address(reply_address("complaints@example.test", '-', t), '-', kOwn), t);
}

TEST(ReplyToken, MacIsHmacSha256OfTheTupleWhateverSecretCameBefore) {
  // Values from Python's hmac module over the same input. The key is set once per thread
  // and secret; a change of secret, and a change back, must still give these.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(reply_mac(kSecret, 42, "CMP-2026-000042", ReplyRole::kHandler, "ivy@example.test"), "sfrvx5pwohna2kqr");
    EXPECT_EQ(reply_mac("another secret", 42, "CMP-2026-000042", ReplyRole::kHandler, " IVY@example.test"),
              "tlw4fj72non4fxnk");
    EXPECT_EQ(reply_mac(kSecret, 7, "CMP-2026-000007", ReplyRole::kStaff, "coordinator@example.test"),
              "6uolmovzfezearyr");
  }
}

TEST(ReplyToken, OnlyGenuineForTheCaseAndTheRecipientItWasMadeFor) {
  const auto t = token_for(42, "CMP-2026-000042", ReplyRole::kHandler, "ivy@example.test");
  EXPECT_TRUE(token_valid(kSecret, t, 42, "CMP-2026-000042", "ivy@example.test"));
  EXPECT_TRUE(token_valid(kSecret, t, 42, "CMP-2026-000042", " IVY@Example.Test "));
  EXPECT_FALSE(token_valid(kSecret, t, 42, "CMP-2026-000042", "customer@example.net"));  // forwarded
  EXPECT_FALSE(token_valid(kSecret, t, 43, "CMP-2026-000043", "ivy@example.test"));      // another case
  EXPECT_FALSE(token_valid(kSecret, t, 42, "CMP-2026-000043", "ivy@example.test"));
  EXPECT_FALSE(token_valid("another secret, just as long", t, 42, "CMP-2026-000042", "ivy@example.test"));
  EXPECT_FALSE(token_valid("", t, 42, "CMP-2026-000042", "ivy@example.test"));
  auto staff = t;
  staff.role = ReplyRole::kStaff;  // the role is signed too
  EXPECT_FALSE(token_valid(kSecret, staff, 42, "CMP-2026-000042", "ivy@example.test"));
  auto tampered = t;
  tampered.mac[0] = tampered.mac[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(token_valid(kSecret, tampered, 42, "CMP-2026-000042", "ivy@example.test"));
}

TEST(ReplyToken, AddressesThatCarryNoTokenAreNotMistakenForOne) {
  const std::string mac(kMacLength, 'a');
  EXPECT_FALSE(token_in_address("complaints@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("other+42-h" + mac + "@example.test", '+', kOwn));        // not ours
  EXPECT_FALSE(token_in_address("complaints+42-h" + mac + "@elsewhere.test", '+', kOwn));  // not ours
  EXPECT_FALSE(token_in_address("complaints+42-x" + mac + "@example.test", '+', kOwn));    // no such role
  EXPECT_FALSE(token_in_address("complaints+0-h" + mac + "@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("complaints+-h" + mac + "@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("complaints+4x2-h" + mac + "@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("complaints+42-h" + mac.substr(1) + "@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("complaints+42-h" + mac + "1@example.test", '+', kOwn));  // 1 is not base32
  EXPECT_FALSE(token_in_address("complaints+news@example.test", '+', kOwn));
  EXPECT_FALSE(token_in_address("", '+', kOwn));
}

TEST(ReplyToken, FoundInToCcAndTheEnvelopeHeaders) {
  const auto a = token_for(1, "R1", ReplyRole::kHandler, "x@example.test");
  const auto b = token_for(2, "R2", ReplyRole::kStaff, "x@example.test");
  parser::InboundMessage m;
  m.to = {{"", "someone@example.test"}, {"", reply_address("complaints@example.test", '+', a)}};
  m.cc = {{"", reply_address("complaints@example.test", '+', a)}};  // the same one twice counts once
  m.headers = {{"Delivered-To", "<" + reply_address("complaints@example.test", '+', b) + ">"},
               {"X-Original-To", "complaints@example.test"}};
  EXPECT_EQ(tokens_in(m, '+', kOwn), (std::vector<ReplyToken>{a, b}));
}

parser::InboundMessage from(const std::string& address, std::vector<std::pair<std::string, std::string>> headers) {
  parser::InboundMessage m;
  m.from = parser::Address{"", address};
  m.headers = std::move(headers);
  return m;
}

TEST(SenderAuthenticated, TrustsOnlyTheNamedServerAndOnlyAPassForTheSendersDomain) {
  std::string why;
  EXPECT_TRUE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "mx.example.test; dkim=pass header.d=example.test"}}),
      "mx.example.test", &why));
  EXPECT_NE(why.find("DKIM pass"), std::string::npos);
  // A parent domain signs for a subdomain; comments, versions and case do not matter.
  EXPECT_TRUE(sender_authenticated(
      from("ivy@mail.example.test",
           {{"Authentication-Results", "MX.example.test 1; (a comment) DKIM=pass (good) header.d=Example.TEST"}}),
      "mx.example.test", nullptr));
  EXPECT_TRUE(sender_authenticated(
      from("ivy@example.test",
           {{"Authentication-Results", "mx.example.test; dkim=none; spf=pass smtp.mailfrom=ivy@example.test"}}),
      "mx.example.test", nullptr));
  // Written by somebody else (the sender can add any header they like).
  EXPECT_FALSE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "evil.test; dkim=pass header.d=example.test"}}),
      "mx.example.test", &why));
  EXPECT_NE(why.find("no Authentication-Results"), std::string::npos);
  // A pass for a different domain, a fail, a lookalike domain.
  EXPECT_FALSE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "mx.example.test; dkim=pass header.d=attacker.test"}}),
      "mx.example.test", &why));
  EXPECT_NE(why.find("neither"), std::string::npos);
  EXPECT_FALSE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "mx.example.test; dkim=fail header.d=example.test"}}),
      "mx.example.test", nullptr));
  EXPECT_FALSE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "mx.example.test; dkim=pass header.d=xample.test"}}),
      "mx.example.test", nullptr));
  EXPECT_FALSE(sender_authenticated(
      from("ivy@example.test", {{"Authentication-Results", "mx.example.test; spf=pass smtp.mailfrom=sub.example.test"}}),
      "mx.example.test", nullptr));
  EXPECT_FALSE(sender_authenticated(parser::InboundMessage{}, "mx.example.test", nullptr));
}

}  // namespace
}  // namespace complaintd::triage
