// RFC 5322 address lists and message identifiers, table-driven.

#include "parser/addresses.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace complaintd::parser {
namespace {

struct AddressCase {
  const char* input;
  std::vector<Address> expected;
};

void PrintTo(const AddressCase& c, std::ostream* os) { *os << c.input; }

class AddressListTest : public ::testing::TestWithParam<AddressCase> {};

TEST_P(AddressListTest, Parses) {
  std::vector<std::string> sink;
  Defects defects(sink);
  EXPECT_EQ(parse_address_list(GetParam().input, defects), GetParam().expected);
}

const AddressCase kAddressCases[] = {
    {"alice@example.test", {{"", "alice@example.test"}}},
    {"Alice <alice@example.test>", {{"Alice", "alice@example.test"}}},
    {"<alice@example.test>", {{"", "alice@example.test"}}},
    {"Alice Example <Alice.Example@EXAMPLE.Test>", {{"Alice Example", "Alice.Example@example.test"}}},
    {"\"Example, Alice\" <alice@example.test>", {{"Example, Alice", "alice@example.test"}}},
    {"\"Alice \\\"Al\\\" E\" <a@example.test>", {{"Alice \"Al\" E", "a@example.test"}}},
    {"alice@example.test (Alice Example)", {{"Alice Example", "alice@example.test"}}},
    {"Alice (work) <alice@example.test>", {{"Alice", "alice@example.test"}}},
    {"=?utf-8?q?J=C3=B6rg?= <j@example.test>", {{"Jörg", "j@example.test"}}},
    {"=?utf-8?B?SsO2cmc=?= =?utf-8?B?IE3DvGxsZXI=?= <j@example.test>", {{"Jörg Müller", "j@example.test"}}},
    {"\"=?utf-8?q?J=C3=B6rg?=\" <j@example.test>", {{"Jörg", "j@example.test"}}},
    {"Jörg Müller <j@example.test>", {{"Jörg Müller", "j@example.test"}}},
    {"a@example.test, B <b@example.test>,c@example.test",
     {{"", "a@example.test"}, {"B", "b@example.test"}, {"", "c@example.test"}}},
    {"undisclosed-recipients:;", {}},
    {"Team: a@example.test, B <b@example.test>;, c@example.test",
     {{"", "a@example.test"}, {"B", "b@example.test"}, {"", "c@example.test"}}},
    {"Team:;", {}},
    {"Smith, John <john@example.test>", {{"Smith, John", "john@example.test"}}},
    {"<@relay.example,@other.example:user@Host.Example>", {{"", "user@host.example"}}},
    {"\"john doe\"@example.test", {{"", "\"john doe\"@example.test"}}},
    {"\"john\"@example.test", {{"", "john@example.test"}}},
    {"user@[192.0.2.1]", {{"", "user@[192.0.2.1]"}}},
    {"Alice <alice@example.test", {{"Alice", "alice@example.test"}}},  // missing '>'
    {"alice@example.test <alice@example.test>", {{"alice@example.test", "alice@example.test"}}},
    {"MAILER-DAEMON", {{"", "MAILER-DAEMON"}}},
    {"Mail Delivery System <>", {{"Mail Delivery System", ""}}},
    {"=?koi8-r?B?8sXL0sXB1MnXzs/FIMHHxc7U09TXzw==?=", {{"Рекреативное агентство", ""}}},
    {",, a@example.test ,,", {{"", "a@example.test"}}},
    {"", {}},
    {"   ", {}},
    {"(only a comment)", {}},
    {"a@example.test (unterminated", {{"unterminated", "a@example.test"}}},
    {"\"unterminated <a@example.test>", {{"unterminated <a@example.test>", ""}}},  // all quoted
};

INSTANTIATE_TEST_SUITE_P(Rfc5322, AddressListTest, ::testing::ValuesIn(kAddressCases));

struct MsgIdCase {
  const char* input;
  std::vector<std::string> expected;
};

void PrintTo(const MsgIdCase& c, std::ostream* os) { *os << c.input; }

class MsgIdTest : public ::testing::TestWithParam<MsgIdCase> {};

TEST_P(MsgIdTest, Parses) { EXPECT_EQ(parse_msg_ids(GetParam().input), GetParam().expected); }

const MsgIdCase kMsgIdCases[] = {
    {"<abc@example.test>", {"abc@example.test"}},
    {"  <abc@example.test>  ", {"abc@example.test"}},
    {"<a@x> <b@y>\t<c@z>", {"a@x", "b@y", "c@z"}},
    {"<a@x>,<b@y>", {"a@x", "b@y"}},
    {"Your message of Monday <a@x> (comment <not@this>)", {"a@x"}},
    {"\"quoted <not@this>\" <a@x>", {"a@x"}},
    {"<a@x", {"a@x"}},
    {"<broken id@x>", {"brokenid@x"}},
    {"abc@example.test", {"abc@example.test"}},
    {"a@x b@y", {"a@x", "b@y"}},
    {"no ids here", {}},
    {"", {}},
    {"<>", {}},
};

INSTANTIATE_TEST_SUITE_P(Rfc5322, MsgIdTest, ::testing::ValuesIn(kMsgIdCases));

TEST(Addresses, NoQuadraticBlowUpOnHostileInput) {
  std::vector<std::string> sink;
  Defects defects(sink);
  // Each of these is ~1 MB; a quadratic scan would take minutes.
  EXPECT_NO_THROW(parse_address_list(std::string(1'000'000, '<'), defects));
  EXPECT_NO_THROW(parse_address_list(std::string(500'000, '('), defects));
  std::string many;
  for (int i = 0; i < 50'000; ++i) many += "a" + std::to_string(i) + "@x.test, ";
  EXPECT_EQ(parse_address_list(many, defects).size(), 50'000u);
  std::string lt;
  for (int i = 0; i < 200'000; ++i) lt += "< ";
  EXPECT_NO_THROW(parse_msg_ids(lt));
}

}  // namespace
}  // namespace complaintd::parser
