// Built-in wording. Each list was written against the labelled mail in tests/data/triage
// and its near misses: a keyword here should mean the same thing in nearly every sentence
// that contains it. Safety flags and intents are matched with negation ("I was not
// assaulted"); categories are not, because complaints are so often about what was *not*
// done.

#include "triage/builtin_rules.hpp"

#include <algorithm>

namespace complaintd::triage {
namespace {

using config::MatchRule;

MatchRule words(std::vector<std::string> keywords, std::vector<std::string> patterns = {},
                std::vector<std::string> exclude = {}) {
  MatchRule m;
  m.keywords = std::move(keywords);
  m.patterns = std::move(patterns);
  m.exclude = std::move(exclude);
  return m;
}

config::TriageConfig make_builtin() {
  config::TriageConfig t;
  // The council's five categories (Solihull's policy; most public bodies record these).
  t.categories = {
      {"service_delivery", "Service delivery",
       words({"not collected", "missed collection*", "missed bin*", "bin wasn't", "bins weren't", "bins were not",
              "still waiting", "kept waiting", "been waiting", "waited", "no one came", "nobody came", "never came",
              "never turned up", "didn't turn up", "did not turn up", "no-show", "not turned up", "poor service",
              "not fixed", "still not fixed", "not repaired", "broken", "repair*", "leak*", "damp", "mould",
              "pothole*", "streetlight*", "street light*", "fly-tipping", "fly tipping", "overflowing", "delay*",
              "late", "cancelled", "missed appointment*", "missed my appointment", "missed", "lost my", "lost the",
              "wrong bill", "overcharged", "charged twice", "double charged", "not delivered", "never arrived",
              "didn't arrive", "did not arrive", "not been done", "hasn't been done", "has not been done",
              "not been emptied", "not emptied", "left in a mess", "shoddy", "sloppy", "quality of the work",
              "work was poor", "standard of service", "dirty", "filthy", "not cleaned", "not working",
              "stopped working", "failed to", "failure to", "took weeks", "took months", "incorrect", "mistake*",
              "error", "errors", "mix-up", "mixed up", "no heating", "no hot water", "blocked drain*",
              "course was cancelled",
              "paid late", "not paid", "haven't been paid", "have not been paid"}),
       },
      {"policy_decision", "Policy, decision or procedure",
       words({"policy", "decision", "decided", "procedure", "the rules", "your rules", "eligib*", "criteria",
              "rejected my", "refused my", "turned down", "declined my", "unfair", "not fair", "penalty",
              "penalty charge", "fine", "parking ticket", "pcn", "council tax band*", "charges", "the fee",
              "fees", "planning permission", "planning application", "licen*", "assessment of my",
              "sanction*", "mandatory", "conditions", "process is", "your process", "red tape",
              "bureaucra*"}),
       },
      {"refusal_misleading", "Refusal to answer, misleading advice",
       words({"no reply", "no response", "nobody has replied", "no one has replied", "nobody replied", "no one replied",
              "not had a reply", "not heard back", "haven't heard back", "heard nothing", "something different",
              "says one thing", "not replied", "never replied", "haven't replied", "have not replied",
              "did not reply", "didn't reply", "did not respond", "didn't respond", "not responded",
              "never responded", "no answer", "not answered", "unanswered", "ignored", "ignoring", "misleading",
              "misled", "mislead", "wrong advice", "incorrect advice", "bad advice", "wrong information",
              "incorrect information", "false information", "contradict*", "told me different*",
              "told something different", "refused to answer", "refused to explain", "refused to tell",
              "refused to give", "wouldn't tell", "would not tell", "wouldn't explain", "would not explain",
              "no one got back", "nobody got back", "never got back", "no one has got back", "nobody has got back",
              "promised to call", "promised to ring", "promised a call", "call back", "callback", "chased",
              "chasing", "no explanation", "passed from pillar to post", "pillar to post", "fobbed off",
              "given the runaround", "run around"}),
       },
      {"impoliteness", "Impoliteness, rudeness, bias",
       words({"rude*", "impolite", "discourteous", "dismissive", "condescending", "patronis*", "patroniz*",
              "shouted", "raised his voice", "raised her voice", "swore at", "sworn at", "bias*", "prejudice*",
              "discriminat*", "racist", "sexist", "homophobic", "hung up on me", "put the phone down",
              "laughed at", "disrespect*", "aggressive", "arrogant", "sarcastic", "belittl*", "unprofessional",
              "attitude", "abrupt", "hostile", "bullied", "bullying", "harass*", "intimidat*", "treated me like",
              "made me feel", "humiliat*", "embarrassed me", "mocked"}),
       },
      {"personal_information", "Misuse of personal information",
       words({"personal data", "personal information", "personal details", "my data", "my details",
              "data protection", "gdpr", "privacy", "confidential*", "data breach", "breach of my", "shared my",
              "disclosed", "sent my", "someone else's letter", "someone else's details", "another person's",
              "wrong address", "subject access", "sar", "freedom of information", "foi", "passed on my",
              "leaked", "without my consent", "without my permission", "medical records", "my records", "medical information", "my information", "everyone could hear",
              "overheard",
              "cc'd", "copied in", "reply all", "reply-all"}),
       },
  };
  // Complexity needs evidence: legal steps, several services, many issues, a long time.
  // "Sue" is also a name, a court may be for tennis, and "two years ago" dates a thing
  // rather than saying it has gone on that long.
  t.complexity = words({"solicitor*", "legal action", "lawyer*", "court", "sue you", "sue the council", "sue them",
                        "sue for", "will sue", "i'll sue", "going to sue", "intend to sue", "want to sue", "suing", "tribunal", "judicial review",
                        "ombudsman", "my mp", "local mp", "councillor", "the press", "the media", "journalist",
                        "several departments", "more than one department", "different departments",
                        "several services", "a number of issues", "several issues", "multiple issues",
                        "several problems", "a number of problems", "many problems", "several complaints",
                        "for months", "for over a year", "over a year", "for years", "since last year",
                        "ongoing since", "going on since", "two years", "three years", "eighteen months",
                        "compensation claim", "claim for compensation", "negligence"},
                       {},
                       {"tennis court*", "basketball court*", "netball court*", "squash court*", "food court",
                        "court yard", "two years ago", "three years ago", "over a year ago", "two years old",
                        "three years old"});

  // Unacceptable behaviour is the *writer's*: threats, abuse, harassment, discriminatory
  // language aimed at staff. Complaints about rude staff are not it ("the manager was rude").
  t.unacceptable_behaviour.match = words(
      {"know where you live", "know where she lives", "know where he lives", "watch your back", "you'll regret",
       "you will regret", "you'll be sorry", "you will be sorry", "or else", "you'll pay for this",
       "you will pay for this", "coming for you", "i'll make you", "i will make you", "burn the place down",
       "burn your office", "fuck*", "f***", "f**k", "c**t", "cunt*", "bastard*", "scumbag*", "wanker*",
       "useless idiots", "bunch of idiots", "you idiots", "morons", "shove it", "piss off", "go back to your own country",
       "your kind", "people like you"},
      {R"((?i)\bi(?:'ll| will| am going to|'m going to|m going to)\s+(?:hurt|kill|smash|punch|hit|batter|sort)\s+(?:you|him|her|them|your|that)\b)",
       R"((?i)\bi(?:'ll| will| am going to|'m going to)\s+(?:come|be)\s+(?:down|round|over)\s+(?:there\s+)?and\s+(?:sort|deal|smash|hurt|make))",
       R"((?i)\bi(?:'ll| will)\s+(?:keep|be)\s+(?:emailing|ringing|calling|phoning|turning up)\s+(?:every|until|day and night))"});
  // Fast-track incidents (A4e's list): assault, weapons, serious damage to property.
  t.fast_track.match = words(
      {"assault*", "attacked me", "attacked him", "attacked her", "attacked my", "attacked by", "was attacked",
       "were attacked", "punched", "kicked me", "kicked him", "kicked her", "hit me", "hit him", "hit her",
       "headbutt*", "head-butt*", "stabbed", "stabbing", "knife", "knives", "machete", "firearm*", "gun",
       "shotgun", "pistol", "offensive weapon", "weapon*", "set fire", "set alight", "arson", "fire was started",
       "smashed the window*", "smashed the glass", "smashed up", "smashed a window", "smashed our",
       "smashed your", "vandalis*", "criminal damage", "serious damage", "wrecked the", "medical attention",
       "taken to hospital", "ambulance was called", "called an ambulance", "activist*", "bomb", "violen*",
       "physically threatened", "threatened me with", "threatened him with", "threatened her with"},
      {},
      {"assault on common sense", "assault on my intelligence", "assault on the senses", "assault on my senses",
       "assault course", "verbal assault*", "verbally assault*", "violent language", "non-violent",
       "attacked my character", "attacked by wasps", "bomb site", "look like a bomb", "cost a bomb",
       "costs a bomb", "bombarded", "gun to my head", "jumped the gun", "big guns", "stick to your guns",
       "smoking gun", "knife-edge", "knife edge"});
  // Staff conduct: what a member of staff did, not the organisation's service.
  t.staff_conduct.match = words(
      {"staff conduct", "conduct of", "behaviour of your", "behavior of your", "swore at me", "shouted at me", "threatened me", "bullied me", "harassed me", "touched me",
       "drunk at work", "smelled of alcohol", "made a racist", "made racist", "made a sexist", "inappropriate comment*",
       "inappropriate remark*", "inappropriate behaviour", "sexual comment*", "stole", "theft", "fraud"},
      {R"((?i)\b(?:staff|member of staff|staff member|officer|adviser|advisor|manager|receptionist|driver|tutor|assessor|caseworker|case worker|employee|worker|engineer|operative|inspector|warden|crew|collectors?)\s+(?:was|were|is|has been|had been)\s+(?:\w+\s+)?(?:rude|abusive|aggressive|threatening|intimidating|drunk|racist|sexist|homophobic|inappropriate|unprofessional|offensive|hostile|violent|bullying|disrespectful))"});
  t.personal_data.match = words({"personal data", "data breach", "data protection", "gdpr", "subject access",
                                 "freedom of information", "foi request", "confidential information",
                                 "someone else's letter", "someone else's details", "another person's details",
                                 "another person's letter", "shared my details", "shared my personal",
                                 "disclosed my", "passed on my details", "passed my details", "leaked my",
                                 "without my consent", "sent my details", "sent my personal", "my medical records"});

  t.compliment = words({"compliment*", "thank you", "thanks", "thankyou", "grateful", "appreciate*", "brilliant",
                        "excellent", "fantastic", "outstanding", "wonderful", "superb", "praise", "well done",
                        "above and beyond", "beyond the call", "credit to", "really helpful", "so helpful",
                        "very helpful", "extremely helpful", "kind and patient", "a pleasure", "impressed",
                        "great job", "great service", "lovely"});
  t.comment = words({"suggest*", "suggestion*", "it would be good if", "it would be nice if", "it would help if",
                     "would it be possible", "could you consider", "might consider", "have you considered",
                     "have you thought about", "an idea", "my idea", "feedback", "just a comment", "a comment",
                     "for your information", "fyi", "just to let you know", "just wanted to let you know", "request that you", "would like to propose", "proposal",
                     "could be improved", "would be an improvement", "wondered if"});
  t.next_stage = words({"not satisfied", "not happy with your response", "not happy with the response",
                        "unhappy with your response", "unhappy with the response", "dissatisfied with the response",
                        "dissatisfied with your response", "not happy with the outcome", "unhappy with the outcome",
                        "stage 2", "stage two", "stage 3", "stage three", "next stage", "second review",
                        "review of my complaint", "review my complaint", "reviewed by someone", "independent review",
                        "appeal", "appealing", "escalate*", "take this further", "take it further",
                        "take the matter further", "take my complaint further", "higher level", "someone more senior",
                        "more senior", "does not resolve", "doesn't resolve", "did not address", "didn't address",
                        "failed to address", "reconsider", "not accept your response", "do not accept",
                        "don't accept", "cannot accept", "can't accept", "reject your response", "rejecting your"},
                       {}, {"appeal to the", "appealing to", "appeal for"});
  t.withdrawal = words({"withdraw*", "no longer wish to pursue", "no longer want to pursue", "don't wish to pursue",
                        "do not wish to pursue", "not wish to pursue", "drop my complaint", "drop the complaint",
                        "dropping my complaint", "close my complaint", "close the complaint", "close the case",
                        "cancel my complaint", "cancel the complaint", "no further action", "no longer necessary",
                        "has been resolved", "been sorted", "sorted it out", "sorted now", "resolved now",
                        "issue is resolved", "problem is resolved", "no need to investigate", "no need to continue",
                        "please disregard", "ignore my complaint", "ignore my previous"});
  t.anonymous = words({"remain anonymous", "stay anonymous", "anonymously", "won't give my name",
                       "will not give my name", "not giving my name", "rather not give my name",
                       "prefer not to give my name", "anonymous complaint", "anonymous comment"});
  return t;
}

void merge(MatchRule& into, const MatchRule& from) {
  if (from.replace) into = MatchRule{};
  auto add = [](std::vector<std::string>& a, const std::vector<std::string>& b) { a.insert(a.end(), b.begin(), b.end()); };
  add(into.keywords, from.keywords);
  add(into.patterns, from.patterns);
  add(into.exclude, from.exclude);
  add(into.domains, from.domains);
  add(into.addresses, from.addresses);
  add(into.mailboxes, from.mailboxes);
}

void merge_flag(config::FlagRule& into, const config::FlagRule& from) {
  merge(into.match, from.match);
  if (!from.notify.empty()) into.notify = from.notify;
  if (!from.department.empty()) into.department = from.department;
}

}  // namespace

const config::TriageConfig& builtin_rules() {
  static const config::TriageConfig rules = make_builtin();
  return rules;
}

const MatchRule& complaint_cues() {
  static const MatchRule cues = words(
      {"complain*", "unhappy", "not happy", "disappointed", "disappointing", "dissatisfied", "not satisfied",
       "unacceptable", "appalling", "appalled", "disgrace*", "disgusted", "terrible", "awful", "dreadful",
       "poor service", "poor", "rude*", "still waiting", "still not", "kept waiting", "failed", "failure",
       "not good enough", "fed up", "angry", "furious", "frustrat*", "ridiculous", "shocking", "shocked",
       "incompetent", "let down", "let me down", "worst", "useless", "problem", "issue with", "nobody has",
       "no one has", "not been", "hasn't been", "haven't been", "never", "refund", "upset",
       "distress*", "horrible", "pathetic", "shambles", "waste of", "lied", "lying", "ignored", "missed",
       "broken", "overcharged", "hopeless", "inexcusable", "not acceptable"});
  return cues;
}

config::TriageConfig effective_rules(const config::TriageConfig& cfg) {
  config::TriageConfig out = cfg.builtin ? builtin_rules() : config::TriageConfig{};
  out.builtin = cfg.builtin;
  out.complex_categories = cfg.complex_categories;
  out.complex_words = cfg.complex_words;
  for (const auto& c : cfg.categories) {
    auto it = std::find_if(out.categories.begin(), out.categories.end(),
                           [&](const config::CategoryRule& b) { return b.name == c.name; });
    if (it == out.categories.end()) {
      out.categories.push_back(c);
      continue;
    }
    merge(it->match, c.match);
    if (!c.label.empty()) it->label = c.label;
  }
  for (auto& c : out.categories)
    if (c.label.empty()) c.label = c.name;
  merge(out.complexity, cfg.complexity);
  out.out_of_scope = cfg.out_of_scope;
  out.complainant_types = cfg.complainant_types;
  out.routes = cfg.routes;
  out.reviewers = cfg.reviewers;
  merge_flag(out.unacceptable_behaviour, cfg.unacceptable_behaviour);
  merge_flag(out.fast_track, cfg.fast_track);
  merge_flag(out.staff_conduct, cfg.staff_conduct);
  merge_flag(out.personal_data, cfg.personal_data);
  out.persistent = cfg.persistent;
  merge(out.compliment, cfg.compliment);
  merge(out.comment, cfg.comment);
  merge(out.next_stage, cfg.next_stage);
  merge(out.withdrawal, cfg.withdrawal);
  merge(out.anonymous, cfg.anonymous);
  return out;
}

}  // namespace complaintd::triage
