// The new text of a reply, without the quoted history and the signature.

#include <gtest/gtest.h>

#include <string>

#include "parser/parse.hpp"
#include "parser/reply.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

using testing::fixture;

struct ReplyCase {
  const char* name;
  const char* text;
  const char* reply;
};

void PrintTo(const ReplyCase& c, std::ostream* os) { *os << c.name; }

class ReplyTest : public ::testing::TestWithParam<ReplyCase> {};

TEST_P(ReplyTest, KeepsOnlyTheNewText) { EXPECT_EQ(reply_text(GetParam().text), GetParam().reply); }

INSTANTIATE_TEST_SUITE_P(Replies, ReplyTest, ::testing::Values(
    ReplyCase{"plain", "Dear council,\n\nThe bin.\n", "Dear council,\n\nThe bin."},
    ReplyCase{"gmail_top_posted",
              "Still broken.\n\nOn Mon, 3 Jun 2024 at 10:00, Team <t@example.test> wrote:\n> We are sorry.\n> Really.\n",
              "Still broken."},
    ReplyCase{"wrapped_attribution",
              "Still broken.\n\nOn Mon, 3 Jun 2024 at 10:00, Complaints Team <t@example.test>\nwrote:\n\n> We are sorry.\n",
              "Still broken."},
    ReplyCase{"original_message",
              "Yes, please call me.\n\n-----Original Message-----\nFrom: Team\nSent: Monday\n\nOld text\n",
              "Yes, please call me."},
    ReplyCase{"outlook_block",
              "New text.\n\nFrom: Team <t@example.test>\nSent: 03 June 2024 10:00\nTo: Me\nSubject: RE: bins\n\nOld text\n",
              "New text."},
    ReplyCase{"outlook_web_rule",
              "New text.\n\n________________________________\nFrom: Team <t@example.test>\nSent: Monday\nTo: Me\n\nOld\n",
              "New text."},
    ReplyCase{"outlook_bold_from_html",
              "New text.\n\n*From:* Team\n*Sent:* Monday\n*To:* Me\n*Subject:* bins\n\nOld\n",
              "New text."},
    ReplyCase{"french_block",
              "Merci.\n\nDe : Service <t@example.test>\nEnvoyé : lundi 3 juin 2024 10:00\nÀ : Moi\nObjet : poubelles\n\nAncien\n",
              "Merci."},
    ReplyCase{"french_attribution",
              "Toujours pas.\n\nLe lun. 3 juin 2024 à 10:00, Service <t@example.test> a écrit :\n> Ancien\n",
              "Toujours pas."},
    ReplyCase{"spanish_attribution",
              "Sigue igual.\n\nEl lun, 3 jun 2024 a las 10:00, Servicio (<t@example.test>) escribió:\n> Viejo\n",
              "Sigue igual."},
    ReplyCase{"dutch_block",
              "Nog steeds.\n\nVan: Dienst\nVerzonden: maandag 3 juni 2024 10:00\nAan: Ik\nOnderwerp: afval\n\nOud\n",
              "Nog steeds."},
    ReplyCase{"german_separator",
              "Danke.\n\n-------- Ursprüngliche Nachricht --------\nVon: Amt\n\nAlt\n", "Danke."},
    ReplyCase{"forwarded",
              "See below.\n\n---------- Forwarded message ---------\nFrom: Me\n\nMy complaint\n", "See below."},
    ReplyCase{"apple_forward", "FYI\n\nBegin forwarded message:\n\nFrom: Me\n\nOld\n", "FYI"},
    ReplyCase{"interleaved",
              "On Mon, Team wrote:\n> What day?\nTuesday.\n> What time?\nMorning.\n",
              "Tuesday.\nMorning."},
    ReplyCase{"sig_dash_dash_space", "The text.\n\n-- \nAlice\n01234 567890\n", "The text."},
    ReplyCase{"sig_dash_dash_stripped", "The text.\n--\nAlice\n", "The text."},
    ReplyCase{"closing_and_name", "The text.\n\nKind regards,\nAlice Example\nFlat 3\n", "The text."},
    ReplyCase{"closing_german", "Der Text.\n\nMit freundlichen Grüßen\nJürgen\n", "Der Text."},
    ReplyCase{"mobile", "Bin again.\n\nSent from my iPhone\n", "Bin again."},
    ReplyCase{"closing_with_long_text_after_is_kept",
              "Thanks,\nbut that is not the point. The collection has been missed for the third week running and "
              "nobody has told me why.\n",
              "Thanks,\nbut that is not the point. The collection has been missed for the third week running and "
              "nobody has told me why."},
    ReplyCase{"only_thanks_is_kept", "Thanks!\n", "Thanks!"},
    ReplyCase{"all_quoted", "On Mon, Team wrote:\n> Old\n", ""},
    ReplyCase{"dashes_in_text_are_not_a_signature", "Prices -- too high -- again.\n",
              "Prices -- too high -- again."},
    ReplyCase{"from_line_alone_is_not_a_block", "From: my window I see the bins.\nThey are full.\n",
              "From: my window I see the bins.\nThey are full."}));

TEST(Reply, OutlookFixture) {
  const InboundMessage m = parse(fixture("reply_outlook.eml"));
  EXPECT_EQ(m.reply_text, "Thank you for the reply. The bin was still not collected today.");
  EXPECT_NE(m.text.find("We have registered your complaint."), std::string::npos);  // text keeps it all
}

TEST(Reply, BottomPostedFlowedFixture) {
  const InboundMessage m = parse(fixture("reply_bottom_posted.eml"));
  EXPECT_EQ(m.reply_text, "The noise started again at 11pm.\n\nIt lasted until 2am.");
}

TEST(Reply, GermanFixture) {
  const InboundMessage m = parse(fixture("reply_german.eml"));
  EXPECT_EQ(m.reply_text, "Die Mülltonne wurde wieder nicht geleert.");
  ASSERT_TRUE(m.from.has_value());
  EXPECT_EQ(m.from->name, "Jürgen Müller");
}

}  // namespace
}  // namespace complaintd::parser
