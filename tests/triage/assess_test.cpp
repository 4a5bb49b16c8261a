// Triage decisions, one rule kind at a time, with the near misses each must not fire on.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "parser/machine_mail.hpp"
#include "triage/assess.hpp"
#include "triage/builtin_rules.hpp"

namespace complaintd::triage {
namespace {

using parser::Address;
using parser::InboundMessage;

InboundMessage mail(const std::string& subject, const std::string& body, const std::string& from = "alice@example.test") {
  InboundMessage m;
  m.from = Address{"Alice Example", from};
  m.subject = subject;
  m.message_id = "m1@example.test";
  m.text = body;
  m.reply_text = body;
  return m;
}

config::Config council() {
  config::Config c;
  c.roles = {{"coordinator", {{"Complaints Team", "team@example.test"}}},
             {"senior", {{"Duty Manager", "duty@example.test"}}},
             {"ceo", {{"Jane Doe", "jane.doe@example.test"}}},
             {"chair", {{"Chair of Trustees", "chair@example.test"}}},
             {"hr", {{"HR", "hr@example.test"}}},
             {"ig", {{"Information Governance", "ig@example.test"}}},
             {"highways", {{"Hugh Ways", "hugh@example.test"}}}};
  c.procedure.coordinator = "coordinator";
  c.procedure.anonymous = "comment";
  auto& t = c.triage;
  t.fast_track.notify.role = "senior";
  t.staff_conduct.notify.role = "hr";
  t.personal_data.notify.role = "ig";
  t.personal_data.department = "Information Governance";
  config::OutOfScopeRule schools;
  schools.name = "schools";
  schools.where = "Please write to the school's governing body.";
  schools.match.keywords = {"head teacher", "school admission*", "my child's school"};
  t.out_of_scope.push_back(schools);
  config::RouteRule roads;
  roads.name = "roads";
  roads.department = "Highways";
  roads.manager.role = "highways";
  roads.match.keywords = {"pothole*", "pavement*"};
  t.routes.push_back(roads);
  config::RouteRule parking;
  parking.name = "parking";
  parking.department = "Parking";
  parking.manager.person = config::Person{"Pat King", "pat@example.test"};
  parking.match.patterns = {R"((?i)\bparking (ticket|fine|permit)s?\b)"};
  t.routes.push_back(parking);
  config::ComplainantTypeRule apprentice;
  apprentice.name = "apprentice";
  apprentice.match.domains = {"learners.example.test"};
  apprentice.match.keywords = {"my apprenticeship"};
  t.complainant_types.push_back(apprentice);
  config::ComplainantTypeRule client;
  client.name = "client";
  client.match.addresses = {"buyer@client.example.test"};
  t.complainant_types.push_back(client);
  config::ReviewerRule ceo;
  ceo.role = "ceo";
  ceo.names = {"jane doe", "chief executive", "ceo"};
  ceo.alternate.role = "chair";
  t.reviewers.push_back(ceo);
  return c;
}

struct Fixture : ::testing::Test {
  config::Config cfg = council();
  Triager triager{cfg.triage};
  AssessInput in;
  Fixture() { in.ctx.own_addresses = {"complaints@example.test"}; }
  Assessment run(const InboundMessage& m) const { return triager.assess(cfg, m, in); }
};

using Assess = Fixture;

bool has_category(const Assessment& a, const std::string& name) {
  return std::any_of(a.categories.begin(), a.categories.end(), [&](const Decision& d) { return d.name == name; });
}

// ---- the matcher ----

// What the book's first rule fired on.
std::vector<Fired> first_rule(const RuleBook& book, const ScanInput& in, std::vector<Fired>* near_misses = nullptr) {
  const Hits hits = book.scan(in, near_misses);
  return book.fired(hits[0], in.text);
}

TEST(Rules, KeywordsAreWholeWordsAnyCaseAndStars) {
  config::MatchRule m;
  m.keywords = {"bin", "assault*", "kept waiting"};
  RuleBook book({{"r", m, false}});
  auto hits = [&](std::string_view text) { return first_rule(book, {text, "", ""}); };
  EXPECT_TRUE(hits("My BIN was left").size() == 1);
  EXPECT_TRUE(hits("the cabinet was left").empty());  // not inside a word
  EXPECT_EQ(hits("he ASSAULTED me").at(0).matched, "ASSAULTED");
  EXPECT_EQ(hits("I was kept\n  waiting").at(0).matched, "kept   waiting");
}

TEST(Rules, NegationLooksBackWithinTheClause) {
  EXPECT_TRUE(negated_before("I was not assaulted", 11));
  EXPECT_TRUE(negated_before("Nobody assaulted me", 7));
  EXPECT_TRUE(negated_before("I wasn't actually assaulted", 18));
  EXPECT_TRUE(negated_before("I wasn\xE2\x80\x99t assaulted", 12));
  EXPECT_FALSE(negated_before("It was not quick. He assaulted me", 24));
  EXPECT_FALSE(negated_before("Nobody came, he assaulted me", 15));
  EXPECT_FALSE(negated_before("Not only that, but he assaulted me", 24));
}

TEST(Rules, NegationReadsEachWordAsItsLowerCaseSpelling) {
  // Words ending in n't (but not "n't" alone), negators in any case, with or without
  // apostrophes, and words that only begin or end like one.
  for (const char* yes : {"I shouldn't assault", "I SHOULDN\xE2\x80\x99T assault", "No-one assault", "NOONE assault",
                          "without assault", "wasnt assault", "didn't assault", "n'o't assault", "cannot assault",
                          "HARDLY assault"}) {
    const std::string_view t = yes;
    EXPECT_TRUE(negated_before(t, t.size() - 7)) << t;
  }
  for (const char* no : {"n't assault", "notwithstanding assault", "nothings assault", "withoutx assault",
                         "nobodyy assault", "xnot assault", "butn't. assault", "but assault", "caf\xC3\xA9 assault",
                         "no,assault", "isn\xE2\x80t assault"}) {
    const std::string_view t = no;
    EXPECT_FALSE(negated_before(t, t.size() - 7)) << t;
  }
  // "but" stops the walk; a negator before it does not count.
  EXPECT_FALSE(negated_before("not but assault", 8));
  EXPECT_TRUE(negated_before("not really assault", 11));
}

TEST(Rules, SenderDomainAddressAndMailbox) {
  config::MatchRule m;
  m.domains = {"example.org"};
  m.addresses = {"vip@else.test"};
  m.mailboxes = {"apprentices"};
  RuleBook book({{"r", m, false}});
  EXPECT_TRUE(book.reads_sender());
  config::MatchRule only_mailbox;
  only_mailbox.mailboxes = {"apprentices"};
  EXPECT_FALSE(RuleBook({{"r", only_mailbox, false}}).reads_sender());  // the assessment need not lower an address
  EXPECT_EQ(first_rule(book, {"", "a@mail.example.org", ""}).at(0).how, "domain");
  EXPECT_TRUE(first_rule(book, {"", "a@badexample.org", ""}).empty());
  EXPECT_EQ(first_rule(book, {"", "vip@else.test", ""}).at(0).how, "address");
  EXPECT_EQ(first_rule(book, {"", "", "apprentices"}).at(0).how, "mailbox");
}

TEST(Rules, PatternsReportTheTextTheyMatched) {
  config::MatchRule m;
  m.patterns = {R"((?i)\bA\d{2,4}\b)"};
  RuleBook book({{"r", m, false}});
  const auto h = first_rule(book, {"Subject\nthe a452 is flooded", "", ""});
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].how, "pattern");
  EXPECT_EQ(h[0].matched, "a452");
}

TEST(Rules, ExcludePhrasesCancelTheMatchInsideThem) {
  config::MatchRule m;
  m.keywords = {"assault*"};
  m.exclude = {"assault on common sense"};
  RuleBook book({{"r", m, true}});
  std::vector<Fired> misses;
  EXPECT_TRUE(first_rule(book, {"this letter is an assault on common sense", "", ""}, &misses).empty());
  EXPECT_EQ(misses.at(0).how, "excluded");
  EXPECT_FALSE(first_rule(book, {"an assault on common sense, and then he assaulted me", "", ""}).empty());
}

// ---- intents ----

TEST_F(Assess, NewComplaintByDefault) {
  const auto a = run(mail("Bins", "My bin was not collected again this week. Please sort it out."));
  EXPECT_EQ(a.intent.intent, Intent::kNewComplaint);
  EXPECT_EQ(a.kind, CaseKind::kComplaint);
}

TEST_F(Assess, Compliment) {
  const auto a = run(mail("Thank you", "I just wanted to say a huge thank you to Mark, who was brilliant and so helpful."));
  EXPECT_EQ(a.intent.intent, Intent::kCompliment);
  EXPECT_EQ(a.kind, CaseKind::kCompliment);
  EXPECT_FALSE(a.intent.because.empty());
}

TEST_F(Assess, ThanksAtTheEndOfAComplaintIsNotACompliment) {
  const auto a = run(mail("Missed collection", "The bins were not collected on Tuesday and nobody came. Thanks."));
  EXPECT_EQ(a.intent.intent, Intent::kNewComplaint);
}

TEST_F(Assess, Suggestion) {
  const auto a = run(mail("An idea", "Would it be possible to put a bench by the library entrance? Just a suggestion."));
  EXPECT_EQ(a.intent.intent, Intent::kComment);
  EXPECT_EQ(a.kind, CaseKind::kComment);
}

TEST_F(Assess, FollowUpBySubjectThreadOrBody) {
  in.ctx.known_references = {"CMP-2026-000001"};
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001] Bins", "Any news?")).intent.intent, Intent::kFollowUp);
  in.ctx.known_references.clear();
  in.ctx.thread_references = {"CMP-2026-000002"};
  auto a = run(mail("Re: Bins", "Any news?"));
  EXPECT_EQ(a.intent.intent, Intent::kFollowUp);
  EXPECT_EQ(a.intent.case_reference, "CMP-2026-000002");
  EXPECT_NE(a.intent.reason.view().find("In-Reply-To"), std::string::npos);
  in.ctx.thread_references.clear();
  in.ctx.body_references = {"CMP-2026-000003"};
  a = run(mail("Bins", "My reference is CMP-2026-000003. Any news?"));
  EXPECT_EQ(a.intent.case_reference, "CMP-2026-000003");
}

TEST_F(Assess, NextStageAndItsNearMiss) {
  in.ctx.known_references = {"CMP-2026-000001"};
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001]", "I am not satisfied with your response and want a second review."))
                .intent.intent,
            Intent::kNextStage);
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001]", "I would like to escalate this please.")).intent.intent, Intent::kNextStage);
  // Satisfied is not "not satisfied".
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001]", "I am satisfied with that, thank you.")).intent.intent, Intent::kFollowUp);
}

TEST_F(Assess, WithdrawalAndItsNegation) {
  in.ctx.known_references = {"CMP-2026-000001"};
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001]", "The council fixed it yesterday so I would like to withdraw my complaint."))
                .intent.intent,
            Intent::kWithdrawal);
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001]", "To be clear, I do not want to withdraw anything. When will you reply?"))
                .intent.intent,
            Intent::kFollowUp);
}

TEST_F(Assess, ManagerReplyIsRecognisedByTheSenderAndTheCase) {
  in.ctx.known_references = {"CMP-2026-000001"};
  in.ctx.staff_addresses = {"hugh@example.test"};
  EXPECT_EQ(run(mail("Re: [CMP-2026-000001] New case for you", "Done, see attached.", "hugh@example.test")).intent.intent,
            Intent::kManagerReply);
  // Without a case, staff writing in are people with a complaint like anyone else.
  in.ctx.known_references.clear();
  EXPECT_EQ(run(mail("Bins", "My bin was not collected.", "hugh@example.test")).intent.intent, Intent::kNewComplaint);
}

TEST_F(Assess, OutOfScopeSaysWhereToGo) {
  const auto a = run(mail("School", "I am unhappy with how the head teacher dealt with my son."));
  EXPECT_EQ(a.intent.intent, Intent::kOutOfScope);
  EXPECT_EQ(a.where_to_go, "Please write to the school's governing body.");
  const auto plan = out_of_scope_plan(a, Instant{});
  ASSERT_EQ(plan.letters.size(), 1u);
  EXPECT_EQ(plan.letters[0].template_name, "out_of_scope");
  EXPECT_EQ(plan.letters[0].fields.at("where_to_go"), a.where_to_go);
}

TEST_F(Assess, AnIncidentIsNeverSentElsewhere) {
  const auto a = run(mail("School", "A man with a knife came into the office while I was asking about my child's school."));
  EXPECT_EQ(a.intent.intent, Intent::kNewComplaint);
  EXPECT_TRUE(a.has_flag(flag::kFastTrack));
}

TEST_F(Assess, AnonymousBecomesAComment) {
  auto a = run(mail("Litter", "The park is covered in litter. I wish to remain anonymous."));
  EXPECT_TRUE(a.anonymous);
  EXPECT_EQ(a.kind, CaseKind::kComment);
  cfg.procedure.anonymous = "complaint";
  a = run(mail("Litter", "The park is covered in litter.", "anonymous@example.test"));
  EXPECT_TRUE(a.anonymous);
  EXPECT_EQ(a.kind, CaseKind::kComplaint);
}

TEST_F(Assess, MachineMailIsNeverAnsweredWhateverItSays) {
  auto m = mail("Out of office", "I was assaulted. Thank you. I want to withdraw.");
  m.auto_submitted = "auto-replied";
  m.machine = parser::machine_verdict(m);  // as parse() does
  const auto a = run(m);
  EXPECT_EQ(a.intent.intent, Intent::kMachineMail);
}

// ---- categories and complexity ----

TEST_F(Assess, SeveralCategoriesWithTheirWords) {
  const auto a = run(mail("Complaint", "Nobody got back to me for weeks and when they did the officer was rude to me."));
  EXPECT_TRUE(has_category(a, "refusal_misleading"));
  EXPECT_TRUE(has_category(a, "impoliteness"));
  for (const auto& c : a.categories) EXPECT_FALSE(c.because.empty());
}

TEST_F(Assess, ConfigCategoryExtendsABuiltInOne) {
  config::CategoryRule extra;
  extra.name = "service_delivery";
  extra.match.keywords = {"gritting"};
  cfg.triage.categories.push_back(extra);
  const Triager t(cfg.triage);
  const auto a = t.assess(cfg, mail("Roads", "There has been no gritting on our road all winter."), in);
  EXPECT_TRUE(has_category(a, "service_delivery"));
}

TEST_F(Assess, BuiltinOffMeansOnlyTheConfig) {
  cfg.triage.builtin = false;
  const Triager t(cfg.triage);
  const auto a = t.assess(cfg, mail("Bins", "The officer was rude and my bin was not collected."), in);
  EXPECT_TRUE(a.categories.empty());
  EXPECT_FALSE(a.has_flag(flag::kStaffConduct));
}

TEST_F(Assess, ComplexityFromWordsCategoriesAndLength) {
  EXPECT_FALSE(run(mail("Bins", "My bin was not collected.")).complex);
  auto a = run(mail("Bins", "My solicitor will be in touch: the bin has not been collected for months."));
  EXPECT_TRUE(a.complex);
  EXPECT_FALSE(a.complex_because.empty());
  std::string essay;
  for (int i = 0; i < 900; ++i) essay += "word ";
  EXPECT_TRUE(run(mail("Long", essay)).complex);
  a = run(mail("Roads", "The pothole outside is huge and I got a parking ticket while reporting it."));
  EXPECT_TRUE(a.complex) << "two departments";
}

TEST_F(Assess, LengthCountsWordsExactlyAtTheLimit) {
  // 800 one-letter words are the shortest text that reaches complex_words (800): the count
  // is skipped only for texts too short to hold that many.
  const auto words = [](int n, const char* space) {
    std::string s = "a";
    for (int i = 1; i < n; ++i) s += std::string(space) + "a";
    return s;
  };
  const auto by_length = [](const Assessment& a) {
    return std::any_of(a.complex_because.begin(), a.complex_because.end(),
                       [](const Fired& f) { return f.how == "count" && f.matched.ends_with(" words"); });
  };
  const auto at_limit = run(mail("Long", words(800, " ")));
  EXPECT_TRUE(by_length(at_limit));
  EXPECT_EQ(at_limit.complex_because.back().matched, "800 words");
  EXPECT_FALSE(by_length(run(mail("Long", words(799, " ")))));
  EXPECT_TRUE(by_length(run(mail("Long", words(801, "\r\n\t ")))));
}

std::string why_complex(const Assessment& a) {
  std::string out;
  for (const auto& f : a.complex_because) out += describe(f) + "; ";
  return out;
}

// Complexity needs evidence: the near misses of each kind of it.
TEST_F(Assess, AStreetNameIsNoSecondDepartment) {
  // The council's demo complaint: the waste route fires on "bin", the highways one on the
  // road it is on. One service, named in substance: 20 working days, not 30.
  config::RouteRule waste;
  waste.name = "waste";
  waste.department = "Waste";
  waste.manager.role = "coordinator";
  waste.match.keywords = {"bin*"};
  cfg.triage.routes.insert(cfg.triage.routes.begin(), waste);
  cfg.triage.routes[1].match.keywords.push_back("road*");
  const Triager t(cfg.triage);
  const auto alice = t.assess(cfg, mail("Bins not collected for three weeks",
                                        "Our green bin on Station Road has not been emptied for three weeks. I reported\n"
                                        "it online twice and nothing happened. Please sort this out."),
                              in);
  EXPECT_FALSE(alice.complex) << why_complex(alice);
  EXPECT_EQ(alice.routing.department, "Waste");
  EXPECT_FALSE(t.assess(cfg, mail("Bins", "The bins at 4 Pavement Close were missed."), in).complex);
  // The same services in substance are two departments.
  EXPECT_TRUE(t.assess(cfg, mail("Bins", "My bin was missed and the road outside is full of holes."), in).complex);
  EXPECT_TRUE(t.assess(cfg, mail("Bins", "The bin men left rubbish all over the pavement."), in).complex);
}

TEST_F(Assess, SueIsANameAndACourtMayBeForTennis) {
  EXPECT_FALSE(run(mail("Desk", "I spoke to Sue at the desk and my bin was still not collected.")).complex) << why_complex(run(mail("Desk", "I spoke to Sue at the desk and my bin was still not collected.")));
  EXPECT_FALSE(run(mail("Desk", "Sue the receptionist said my bin would be collected.")).complex);
  EXPECT_TRUE(run(mail("Desk", "If my bin is not collected I will sue the council.")).complex);
  EXPECT_TRUE(run(mail("Desk", "I am going to sue over the missed collections.")).complex);
  EXPECT_FALSE(run(mail("Park", "The tennis court in the park has not been cleaned.")).complex) << why_complex(run(mail("Park", "The tennis court in the park has not been cleaned.")));
  EXPECT_TRUE(run(mail("Park", "I will see you in court over the state of the park.")).complex);
}

TEST_F(Assess, YearsAgoDatesAThingButDoesNotMakeItLong) {
  EXPECT_FALSE(run(mail("Bins", "I moved here two years ago and my bin was not collected on Monday.")).complex) << why_complex(run(mail("Bins", "I moved here two years ago and my bin was not collected on Monday.")));
  EXPECT_FALSE(run(mail("Bins", "My son is three years old and the bin lorry blocked his nursery.")).complex) << why_complex(run(mail("Bins", "My son is three years old and the bin lorry blocked his nursery.")));
  EXPECT_TRUE(run(mail("Bins", "My bin has been missed every other week for two years.")).complex);
}

// ---- routing and complainant type ----

TEST_F(Assess, RoutingTakesTheFirstRouteThatFires) {
  auto a = run(mail("Pothole", "There is a pothole outside number 4."));
  EXPECT_EQ(a.routing.department, "Highways");
  ASSERT_TRUE(a.routing.manager);
  EXPECT_EQ(a.routing.manager->address, "hugh@example.test");
  a = run(mail("Fine", "I got a parking fine while the meter was broken."));
  EXPECT_EQ(a.routing.department, "Parking");
  EXPECT_EQ(a.routing.manager->address, "pat@example.test");
}

TEST_F(Assess, NoRouteFallsBackToTheProcedure) {
  const auto a = run(mail("Noise", "The noise from the depot is unbearable."));
  EXPECT_TRUE(a.routing.department.empty());
  EXPECT_FALSE(a.routing.manager);
  EXPECT_NE(a.routing.note.view().find("coordinator"), std::string::npos);
}

// The fallback note is made once for the procedure the Triager was built with, and per
// message for any other: the same words either way.
TEST_F(Assess, FallbackNoteFollowsTheProcedureGiven) {
  const auto m = mail("Noise", "The noise from the depot is unbearable.");
  const Triager built_with(cfg.triage, cfg.procedure);
  EXPECT_EQ(built_with.assess(cfg, m, in).routing.note, run(m).routing.note);
  auto other = cfg;
  other.procedure.referral_manager = "complaints_manager";
  EXPECT_EQ(built_with.assess(other, m, in).routing.note, "no route fired: the procedure's complaints_manager handles it");
}

TEST_F(Assess, ComplainantTypeByDomainAddressOrWording) {
  EXPECT_EQ(run(mail("Course", "My course was cancelled.", "sam@learners.example.test")).complainant_type->name,
            "apprentice");
  EXPECT_EQ(run(mail("Course", "My apprenticeship assessor never came.")).complainant_type->name, "apprentice");
  EXPECT_EQ(run(mail("Invoice", "Your invoice is wrong.", "buyer@client.example.test")).complainant_type->name, "client");
  EXPECT_FALSE(run(mail("Course", "My course was cancelled.")).complainant_type);
}

// ---- safety and fairness flags ----

TEST_F(Assess, FastTrackIncidentTellsTheSeniorRoleAtOnce) {
  const auto a = run(mail("Incident", "A customer assaulted my colleague in your office and she needed medical attention."));
  ASSERT_TRUE(a.has_flag(flag::kFastTrack));
  EXPECT_TRUE(a.serious);
  const auto letters = flag_letters(cfg, a);
  ASSERT_GE(letters.size(), 2u);
  EXPECT_EQ(letters[0].event, "fast_track");
  EXPECT_EQ(letters[0].to.person.address, "duty@example.test");
  EXPECT_EQ(letters[0].fields.at("urgent"), "yes");
  EXPECT_EQ(letters.back().to.person.address, "team@example.test");
}

struct NearMiss {
  const char* name;
  const char* text;
  Name flag;
};

class FlagNearMisses : public Fixture, public ::testing::WithParamInterface<NearMiss> {};

TEST_P(FlagNearMisses, DoNotFire) {
  const auto a = run(mail("Complaint", GetParam().text));
  EXPECT_FALSE(a.has_flag(GetParam().flag)) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    All, FlagNearMisses,
    ::testing::Values(
        NearMiss{"not_assaulted", "I was not assaulted, just kept waiting for two hours.", flag::kFastTrack},
        NearMiss{"nobody_hurt", "Nobody attacked me, but the queue was a disgrace.", flag::kFastTrack},
        NearMiss{"assault_on_sense", "Your letter is an assault on common sense.", flag::kFastTrack},
        NearMiss{"cost_a_bomb", "The parking permit costs a bomb these days.", flag::kFastTrack},
        NearMiss{"jumped_gun", "Your officer jumped the gun and closed my claim.", flag::kFastTrack},
        NearMiss{"rude_manager", "The manager was rude to me on the phone.", flag::kUnacceptableBehaviour},
        NearMiss{"threatened_by_staff", "Your officer threatened me with a fine.", flag::kUnacceptableBehaviour},
        NearMiss{"no_threat", "I am not threatening anyone, I just want an answer.", flag::kUnacceptableBehaviour},
        NearMiss{"service_not_staff", "The service was slow and the website kept crashing.", flag::kStaffConduct},
        NearMiss{"data_in_general", "Your website asks for too much information.", flag::kPersonalData}),
    [](const ::testing::TestParamInfo<NearMiss>& i) { return std::string(i.param.name); });

struct Hit {
  const char* name;
  const char* text;
  Name flag;
};

class FlagHits : public Fixture, public ::testing::WithParamInterface<Hit> {};

TEST_P(FlagHits, Fire) {
  const auto a = run(mail("Complaint", GetParam().text));
  EXPECT_TRUE(a.has_flag(GetParam().flag)) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    All, FlagHits,
    ::testing::Values(
        Hit{"assault", "I was assaulted by another client in the waiting room.", flag::kFastTrack},
        Hit{"weapon", "He pulled out a knife at the front desk.", flag::kFastTrack},
        Hit{"damage", "Someone smashed the windows of the office last night.", flag::kFastTrack},
        Hit{"threat", "I know where you live and you'll regret this.", flag::kUnacceptableBehaviour},
        Hit{"threat_pattern", "If this isn't fixed I'll come down there and sort you out.", flag::kUnacceptableBehaviour},
        Hit{"abuse", "You are a bunch of idiots.", flag::kUnacceptableBehaviour},
        Hit{"staff", "The manager was rude and shouted at me in front of everyone.", flag::kStaffConduct},
        Hit{"staff_threat", "Your officer threatened me with a fine.", flag::kStaffConduct},
        Hit{"data", "You sent my personal data to my ex-partner. This is a data breach.", flag::kPersonalData}),
    [](const ::testing::TestParamInfo<Hit>& i) { return std::string(i.param.name); });

TEST_F(Assess, PersonalDataRoutesToInformationGovernance) {
  const auto a = run(mail("Data", "You shared my details with my neighbour without my consent."));
  ASSERT_TRUE(a.has_flag(flag::kPersonalData));
  EXPECT_EQ(a.routing.department, "Information Governance");
  EXPECT_EQ(a.routing.manager->address, "ig@example.test");
}

TEST_F(Assess, ConflictOfInterestNamesTheAlternate) {
  const auto a = run(mail("Complaint", "My complaint is about Jane Doe and how she treated our volunteers."));
  ASSERT_TRUE(a.has_flag(flag::kConflictOfInterest));
  ASSERT_EQ(a.conflicted.size(), 1u);
  EXPECT_EQ(a.conflicted[0].address, "jane.doe@example.test");
  ASSERT_TRUE(a.alternate_reviewer);
  EXPECT_EQ(a.alternate_reviewer->address, "chair@example.test");
  EXPECT_FALSE(run(mail("Complaint", "The volunteers were late.")).has_flag(flag::kConflictOfInterest));
}

TEST_F(Assess, PersistentComplainantIsFlaggedNeverRefused) {
  in.sender_cases = 1;
  EXPECT_FALSE(run(mail("Bins", "Not collected again.")).has_flag(flag::kPersistent));
  in.sender_cases = 2;  // this one is the third within the window
  const auto a = run(mail("Bins", "Not collected again."));
  EXPECT_TRUE(a.has_flag(flag::kPersistent));
  EXPECT_EQ(a.intent.intent, Intent::kNewComplaint);
  in.sender_cases = 0;
  in.sender_messages = 9;
  EXPECT_TRUE(run(mail("Bins", "Not collected again.")).has_flag(flag::kPersistent));
}

TEST_F(Assess, EventsSayWhy) {
  const auto a = run(mail("Pothole", "The pothole has not been repaired and the officer was rude."));
  const auto events = triage_events(a);
  std::string all;
  for (const auto& [k, d] : events) all += k + ": " + d + "\n";
  EXPECT_NE(all.find("category service_delivery"), std::string::npos) << all;
  EXPECT_NE(all.find("routing: route roads"), std::string::npos) << all;
  EXPECT_NE(all.find("flag"), std::string::npos) << all;
}

}  // namespace
}  // namespace complaintd::triage
