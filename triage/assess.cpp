#include "triage/assess.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <span>

#include "triage/builtin_rules.hpp"

namespace complaintd::triage {
namespace {

constexpr std::size_t kMaxScan = 64 * 1024;  // a complaint says what it is about early on

// std::tolower as the "C" locale has it (complaintd never sets another), without a
// library call per byte.
constexpr char c_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = c_lower(c);
  return out;
}

// lower(s) == lowered, without making the copy.
bool equals_lower(std::string_view s, std::string_view lowered) {
  return s.size() == lowered.size() &&
         std::equal(s.begin(), s.end(), lowered.begin(), [](char c, char l) { return c_lower(c) == l; });
}

// Words (runs of anything but spaces, as std::isspace has them) in `s`, counting no
// further than `limit`: counted as the bytes that start one (not a space, after a space),
// with no state carried from one byte to the next, so that the compiler reads many at
// once; a byte at a time with the state of the last one cost 16 instructions a byte, and
// a word at a time with a table 8. triage_text counts the reply of every message. The
// limit is looked at every kChunk bytes.
std::size_t count_words(std::string_view s, std::size_t limit = std::string_view::npos) {
  // Bytes, not wider counts: a vector of them needs no widening (a chunk starts at most
  // kChunk words).
  constexpr auto space = [](unsigned char c) -> std::uint8_t {
    return static_cast<std::uint8_t>(c == ' ') | static_cast<std::uint8_t>(static_cast<unsigned char>(c - '\t') <= '\r' - '\t');
  };
  constexpr std::size_t kChunk = 64;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  if (s.empty()) return 0;
  std::size_t n = space(p[0]) ^ 1u;
  for (std::size_t from = 1; from < s.size() && n < limit; from += kChunk) {
    const std::size_t to = std::min(s.size(), from + kChunk);
    std::uint8_t starts = 0;
    for (std::size_t i = from; i < to; ++i) starts = static_cast<std::uint8_t>(starts + ((space(p[i]) ^ 1u) & space(p[i - 1])));
    n += starts;
  }
  return std::min(n, limit);
}

// Whether `text` may hold `words` words: words need a space between them. Counting is a
// pass over the text, and most messages are far too short to be complex for their length.
bool may_hold_words(std::string_view text, std::size_t words) { return words > 0 && text.size() + 1 >= 2 * words; }

void append(std::vector<Fired>& to, std::span<const Fired> from) { to.insert(to.end(), from.begin(), from.end()); }

constexpr bool ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool ascii_letter(char c) { return ascii_upper(c) || (c >= 'a' && c <= 'z'); }

// A capitalised word of two letters or more starts at `at` ("Station", not "I" or "I'm").
bool capitalised_word(std::string_view text, std::size_t at) {
  return at + 1 < text.size() && ascii_upper(text[at]) && ascii_letter(text[at + 1]);
}

// The mention at [begin, end) is part of a name: capitalised, with a capitalised word
// right before or after it on the same line ("Station Road", "Pavement Close", "Bin Lane").
bool in_a_name(std::string_view text, std::size_t begin, std::size_t end) {
  if (!ascii_upper(text[begin])) return false;
  std::size_t before = begin;
  while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
  if (before < begin && before > 0 && ascii_letter(text[before - 1])) {
    std::size_t word = before - 1;
    while (word > 0 && ascii_letter(text[word - 1])) --word;
    if (capitalised_word(text, word)) return true;
  }
  std::size_t after = end;
  while (after < text.size() && (text[after] == ' ' || text[after] == '\t')) ++after;
  return after > end && capitalised_word(text, after);
}

// Who handles mail no route fired for under `procedure`, and the routing note that says so.
std::string_view fallback_handler(const config::ProcedureConfig& procedure) {
  const std::string_view manager = procedure.referral_manager, coordinator = procedure.coordinator;
  return !manager.empty() ? manager : !coordinator.empty() ? coordinator : "nobody";
}
std::string fallback_note(std::string_view handler) {
  // In one allocation: with a procedure other than the Triager's, most messages make it.
  constexpr std::string_view kBefore = "no route fired: the procedure's ", kAfter = " handles it";
  std::string note;
  note.reserve(kBefore.size() + handler.size() + kAfter.size());
  note.append(kBefore).append(handler).append(kAfter);
  return note;
}

// A route's service is named in substance unless every mention its keywords found is part
// of a name: an address on "Station Road" is not a complaint about the roads.
bool named_in_substance(std::string_view text, const std::vector<Fired>& hits) {
  for (const auto& f : hits) {
    if (f.how != "keyword") return true;  // a pattern, the sender or the mailbox: deliberate
    bool seen = false;
    for (std::size_t at = text.find(f.matched); at != std::string_view::npos; at = text.find(f.matched, at + 1)) {
      seen = true;
      if (!in_a_name(text, at, at + f.matched.size())) return true;
    }
    if (!seen) return true;  // the excerpt was tidied (a line break in it): count it
  }
  return false;
}

constexpr Name kFlagOrder[] = {flag::kFastTrack,    flag::kUnacceptableBehaviour, flag::kStaffConduct,
                               flag::kPersonalData, flag::kConflictOfInterest,    flag::kPersistent};

}  // namespace

Name flag_label(std::string_view name) {
  if (name == flag::kUnacceptableBehaviour) return "Unacceptable behaviour";
  if (name == flag::kFastTrack) return "Fast-track incident";
  if (name == flag::kConflictOfInterest) return "Conflict of interest";
  if (name == flag::kStaffConduct) return "Staff conduct (HR)";
  if (name == flag::kPersonalData) return "Personal data (information governance)";
  if (name == flag::kPersistent) return "Persistent complainant (for a person to consider)";
  return "Flag";
}

bool Assessment::has_flag(std::string_view name) const {
  return std::any_of(flags.begin(), flags.end(), [&](const FlagDecision& f) { return f.name == name; });
}

std::string_view triage_text(const parser::InboundMessage& msg) {
  std::string_view body = msg.reply_text;
  // "See below" over a forwarded complaint: the complaint is in the forwarded part. Only
  // whether there are 25 words matters, so counting stops there.
  if (msg.text.size() > body.size() + 40 && count_words(body, 25) < 25) body = msg.text;
  return body.substr(0, kMaxScan);
}

std::optional<config::Person> resolve(const config::Config& cfg, const config::Target& t) {
  if (t.person) return t.person;
  if (const auto* r = cfg.role(t.role); r && !r->people.empty()) return r->people.front();
  return std::nullopt;
}

std::string describe(const Fired& f) {
  std::string s(f.rule);
  if (f.how == "count") return s.append(": ").append(f.matched);
  return s.append(": ").append(f.how).append(" \"").append(f.matched).append("\"");
}

// ---- Triager ----

namespace {
// The flag and intent rules, in the order the constructor adds them (flags, then intents,
// last in the book).
enum FlagRule { kFastTrackRule, kUnacceptableRule, kStaffRule, kPersonalRule, kFlagRules };
enum IntentRule { kCompliment, kComment, kNextStage, kWithdrawal, kAnonymous, kComplaintCue, kIntentRules };
}  // namespace

namespace {
// What a scan reads and finds, kept by each thread from one message to the next: the text
// and the lists of hits were three allocations a message (issue 5). Valid until the
// thread's next scan; a Scanned refers to them. The text's bytes are only ever grown,
// never cleared: a std::string's appends cost more than the copies themselves.
struct ScanBuffers {
  std::vector<char> text;
  Hits hits;
};
ScanBuffers& scan_buffers() {
  thread_local ScanBuffers b;
  return b;
}
}  // namespace

struct Triager::Scanned {
  std::string_view text;  ///< what the rules read: the subject, a newline, the body
  const Hits& hits;
  std::vector<Fired> near_misses;
  std::size_t body_at = 0;  ///< where the body starts in `text`
  const RuleBook* book = nullptr;
  // What each group of rules, each flag rule and each intent rule fired on, looked up
  // once: most decisions ask for them, and each Hits look-up is a binary search.
  std::span<const Hits::Rule> categories, out_of_scope, complainant_types, routes, reviewers;
  std::span<const Found> complexity;
  std::array<std::span<const Found>, kFlagRules> flag{};
  std::array<std::span<const Found>, kIntentRules> intent{};
  [[nodiscard]] std::string_view body() const { return std::string_view(text).substr(body_at); }
  // What a decision keeps of what the scan found: its reasons as strings.
  [[nodiscard]] std::vector<Fired> copy(std::span<const Found> found) const { return book->fired(found, text); }
  void append(std::vector<Fired>& to, std::span<const Found> found) const { book->append(to, found, text); }
};

Triager::Triager(const config::TriageConfig& cfg, const config::ProcedureConfig& procedure)
    : rules_(effective_rules(cfg)),
      book_({}),
      fallback_(Name::intern(fallback_handler(procedure))),
      fallback_note_(Name::intern(fallback_note(fallback_))) {
  std::vector<RuleSpec> specs;
  const auto add = [&](Name name, const config::MatchRule& m, bool negatable, Wording w = {}) {
    specs.push_back(RuleSpec{name, m, negatable});
    wording_.push_back(w);
  };
  const auto named = [](std::string_view group, std::string_view name) {
    return Name::intern(std::string(group).append(name));
  };
  categories_ = specs.size();
  for (const auto& c : rules_.categories)
    add(named("category.", c.name), c.match, false, {.name = Name::intern(c.name), .label = Name::intern(c.label)});
  complexity_ = specs.size();
  add("complexity", rules_.complexity, false);
  out_of_scope_ = specs.size();
  for (const auto& o : rules_.out_of_scope) {
    const Name topic = Name::intern(o.name);
    add(named("out_of_scope.", o.name), o.match, false,
        {.name = topic, .label = topic, .note = Name::intern("about " + o.name + ", which is handled elsewhere"),
         .where = Name::intern(o.where)});
  }
  complainant_types_ = specs.size();
  for (const auto& c : rules_.complainant_types) {
    const Name type = Name::intern(c.name);
    add(named("complainant_type.", c.name), c.match, false, {.name = type, .label = type});
  }
  routes_ = specs.size();
  for (const auto& r : rules_.routes)
    add(named("route.", r.name), r.match, false,
        {.department = Name::intern(r.department), .note = Name::intern("route " + r.name + " → " + r.department)});
  reviewers_ = specs.size();
  for (const auto& r : rules_.reviewers) {
    config::MatchRule m;
    m.keywords = r.names;
    add(named("reviewer.", r.role), m, false);
  }
  flags_ = specs.size();
  // A flag routes only when its rule names a department.
  const auto add_flag = [&](Name rule, const config::FlagRule& f, Name name) {
    const Name note = f.department.empty()
                          ? Name()
                          : Name::intern(std::string("flag ").append(name).append(" → ").append(f.department));
    add(rule, f.match, true,
        {.name = name, .label = flag_label(name), .department = Name::intern(f.department), .note = note});
  };
  add_flag("flag.fast_track", rules_.fast_track, flag::kFastTrack);
  add_flag("flag.unacceptable_behaviour", rules_.unacceptable_behaviour, flag::kUnacceptableBehaviour);
  add_flag("flag.staff_conduct", rules_.staff_conduct, flag::kStaffConduct);
  add_flag("flag.personal_data", rules_.personal_data, flag::kPersonalData);
  intents_ = specs.size();
  add("intent.compliment", rules_.compliment, true);
  add("intent.comment", rules_.comment, true);
  add("intent.next_stage", rules_.next_stage, true);
  add("intent.withdrawal", rules_.withdrawal, true);
  add("intent.anonymous", rules_.anonymous, true);
  add("intent.complaint", rules_.builtin ? complaint_cues() : config::MatchRule{}, true);
  book_ = RuleBook(std::move(specs));
}

Triager::Scanned Triager::scan(const parser::InboundMessage& msg, const TriageContext& ctx, const std::string& mailbox,
                               bool want_near_misses) const {
  (void)ctx;
  // Named, not a structured binding: clang 14 lets no lambda capture one (group, below).
  ScanBuffers& buffers = scan_buffers();
  std::vector<char>& buffer = buffers.text;
  Hits& hits = buffers.hits;
  const std::string_view body = triage_text(msg);
  const std::size_t size = msg.subject.size() + 1 + body.size();
  if (buffer.size() < size) buffer.resize(size);
  std::copy(msg.subject.begin(), msg.subject.end(), buffer.begin());
  buffer[msg.subject.size()] = '\n';
  std::copy(body.begin(), body.end(), buffer.begin() + static_cast<std::ptrdiff_t>(msg.subject.size() + 1));
  const std::string_view text(buffer.data(), size);
  Scanned s{.text = text, .hits = hits};
  s.body_at = msg.subject.size() + 1;
  s.book = &book_;
  // Only rules with addresses or domains read the sender: most books lower no address.
  const std::string sender = msg.from && book_.reads_sender() ? lower(msg.from->address) : std::string();
  book_.scan(ScanInput{text, sender, mailbox}, want_near_misses ? &s.near_misses : nullptr, hits);
  // The groups are in the book's order, and so are the rules that fired: one walk.
  auto next = hits.rules.cbegin();
  const auto group = [&](std::size_t first, std::size_t last) {
    while (next != hits.rules.cend() && next->rule < first) ++next;
    const auto from = next;
    while (next != hits.rules.cend() && next->rule < last) ++next;
    return std::span<const Hits::Rule>(from, next);
  };
  s.categories = group(categories_, complexity_);
  if (const auto c = group(complexity_, out_of_scope_); !c.empty()) s.complexity = hits.of(c.front());
  s.out_of_scope = group(out_of_scope_, complainant_types_);
  s.complainant_types = group(complainant_types_, routes_);
  s.routes = group(routes_, reviewers_);
  s.reviewers = group(reviewers_, flags_);
  for (const auto& r : group(flags_, intents_ + kIntentRules)) {
    if (r.rule < intents_) s.flag[r.rule - flags_] = hits.of(r);
    else s.intent[r.rule - intents_] = hits.of(r);
  }
  return s;
}

Triage Triager::intent_of(const parser::InboundMessage& msg, const TriageContext& ctx, const Scanned& s) const {
  Triage t;
  t.reply_to = reply_address(msg);
  if (msg.from && is_own_address(msg.from->address, ctx.own_addresses)) {
    t.intent = Intent::kFromOurselves;
    t.reason = "From is our own address " + msg.from->address;
    return t;
  }
  // The parser's verdict (parser::machine_verdict), made once as it read the headers.
  if (const auto& why = msg.machine.reason; !why.empty()) {
    t.intent = Intent::kMachineMail;
    t.reason = why;
    t.because.push_back({"intent.machine_mail", "header", why});
    return t;
  }
  if (!t.reply_to) {
    t.intent = Intent::kNoSender;
    t.reason = "no usable From or Reply-To address";
    return t;
  }
  if (is_own_address(t.reply_to->address, ctx.own_addresses)) {
    t.intent = Intent::kFromOurselves;
    t.reason = "Reply-To is our own address " + t.reply_to->address;
    return t;
  }
  const auto hit = [&](IntentRule i) { return s.intent[i]; };

  // An existing case: by [REF] in the subject, then by the thread, then by the body.
  const std::pair<const std::vector<std::string>*, const char*> sources[] = {
      {&ctx.known_references, "subject names case ["},
      {&ctx.thread_references, "In-Reply-To/References name a message of case ["},
      {&ctx.body_references, "the text names case ["}};
  for (const auto& [refs, why] : sources) {
    if (refs->empty()) continue;
    t.case_reference = refs->front();
    t.because.push_back({"intent.follow_up", "reference", refs->front()});
    const std::string on_case = std::string(why) + refs->front() + "]";
    const std::string sender = lower(msg.from ? msg.from->address : t.reply_to->address);
    if (std::find(ctx.staff_addresses.begin(), ctx.staff_addresses.end(), sender) != ctx.staff_addresses.end()) {
      t.intent = Intent::kManagerReply;
      t.reason = on_case + " and the sender " + sender + " is in [roles]";
      t.because.push_back({"intent.manager_reply", "address", sender});
    } else if (!hit(kWithdrawal).empty()) {
      t.intent = Intent::kWithdrawal;
      t.reason = on_case + "; the customer withdraws";
      s.append(t.because, hit(kWithdrawal));
    } else if (!hit(kNextStage).empty()) {
      t.intent = Intent::kNextStage;
      t.reason = on_case + "; the customer asks for the next stage";
      s.append(t.because, hit(kNextStage));
    } else {
      t.intent = Intent::kFollowUp;
      t.reason = on_case;
    }
    return t;
  }

  // Out of scope, unless it reports an incident: nobody at risk is sent elsewhere.
  if (s.flag[kFastTrackRule].empty()) {
    for (const auto& r : s.out_of_scope) {
      t.intent = Intent::kOutOfScope;
      t.reason = wording_[r.rule].note;
      s.append(t.because, s.hits.of(r));
      return t;
    }
  }

  // Praise or a suggestion, weighed against the words of a complaint: "thank you" closes
  // many complaints, and a compliment may mention a repair.
  // A category that fired counts once against praise (a plain "my bin was not collected,
  // thanks" is a complaint); a suggestion names a service as a matter of course, so only
  // the words of a complaint count against it.
  const std::size_t cues = hit(kComplaintCue).size();
  const bool any_category = !s.categories.empty();
  const std::size_t against = cues + (any_category ? 1u : 0u);
  const std::size_t praise = hit(kCompliment).size();
  if (praise > against && praise >= hit(kComment).size()) {
    t.intent = Intent::kCompliment;
    t.reason = "words of praise and no complaint";
    s.append(t.because, hit(kCompliment));
    return t;
  }
  if (!hit(kComment).empty() && cues == 0) {
    t.intent = Intent::kComment;
    t.reason = "a comment or suggestion, not a complaint";
    s.append(t.because, hit(kComment));
    return t;
  }
  t.intent = Intent::kNewComplaint;
  t.reason = "a person wrote, no known case reference";
  s.append(t.because, hit(kComplaintCue));
  return t;
}

Triage Triager::classify(const parser::InboundMessage& msg, const TriageContext& ctx) const {
  return intent_of(msg, ctx, scan(msg, ctx, "", false));
}

Assessment Triager::assess(const config::Config& cfg, const parser::InboundMessage& msg, const AssessInput& in) const {
  Scanned s = scan(msg, in.ctx, in.mailbox, in.explain);
  // Made in place: assigned, the intent was moved and its husk destroyed.
  Assessment a{.intent = intent_of(msg, in.ctx, s)};
  a.near_misses = std::move(s.near_misses);
  const auto intent_hit = [&](IntentRule i) { return s.intent[i]; };

  // Kind. Anonymous mail follows procedure.anonymous (the council: "recorded as a comment").
  switch (a.intent.intent) {
    case Intent::kCompliment: a.kind = CaseKind::kCompliment; break;
    case Intent::kComment: a.kind = CaseKind::kComment; break;
    default: a.kind = CaseKind::kComplaint; break;
  }
  const std::string_view display = msg.from ? std::string_view(msg.from->name) : std::string_view();
  const std::string_view local =
      msg.from ? std::string_view(msg.from->address).substr(0, msg.from->address.find('@')) : std::string_view();
  if (!intent_hit(kAnonymous).empty()) s.append(a.anonymous_because, intent_hit(kAnonymous));
  if (equals_lower(display, "anonymous") || equals_lower(local, "anonymous") || equals_lower(local, "anon"))
    a.anonymous_because.push_back({"intent.anonymous", "sender", msg.from->address});
  a.anonymous = !a.anonymous_because.empty();
  if (a.anonymous && a.kind == CaseKind::kComplaint && a.intent.intent == Intent::kNewComplaint &&
      cfg.procedure.anonymous == "comment")
    a.kind = CaseKind::kComment;

  // Categories: every one whose rule fired.
  a.categories.reserve(s.categories.size());
  for (const auto& r : s.categories) {
    const Wording& w = wording_[r.rule];
    a.categories.push_back({w.name, w.label, s.copy(s.hits.of(r))});
  }

  // Routing: the first route that fires; several departments named in substance make it
  // complex (a street name that happens to be a highways keyword does not).
  std::vector<Name> departments;
  for (const auto& fired : s.routes) {
    std::vector<Fired> h = s.copy(s.hits.of(fired));
    const Wording& w = wording_[fired.rule];
    if (std::find(departments.begin(), departments.end(), w.department) == departments.end() &&
        named_in_substance(s.text, h))
      departments.push_back(w.department);
    if (!a.routing.department.empty()) continue;
    a.routing.department = w.department;
    a.routing.manager = resolve(cfg, rules_.routes[fired.rule - routes_].manager);
    a.routing.because = std::move(h);
    a.routing.note = w.note;
  }

  // Complexity (high): the wording, several categories or services, or a long message.
  s.append(a.complex_because, s.complexity);
  if (rules_.complex_categories > 0 && a.categories.size() >= static_cast<std::size_t>(rules_.complex_categories))
    a.complex_because.push_back({"complexity", "count", std::to_string(a.categories.size()) + " categories"});
  if (departments.size() >= 2)
    a.complex_because.push_back({"complexity", "count", std::to_string(departments.size()) + " departments"});
  if (const auto limit = static_cast<std::size_t>(std::max(rules_.complex_words, 0)); may_hold_words(s.body(), limit)) {
    if (const std::size_t words = count_words(s.body()); words >= limit)
      a.complex_because.push_back({"complexity", "count", std::to_string(words) + " words"});
  }
  a.complex = !a.complex_because.empty();

  if (const auto types = s.complainant_types; !types.empty()) {
    const Wording& w = wording_[types.front().rule];
    a.complainant_type = Decision{w.name, w.label, s.copy(s.hits.of(types.front()))};
  }

  // Safety and fairness flags. None of them restricts anyone: each tells a person.
  const config::FlagRule* const flag_rules[] = {&rules_.fast_track, &rules_.unacceptable_behaviour,
                                                 &rules_.staff_conduct, &rules_.personal_data};
  for (std::size_t i = 0; i < kFlagRules; ++i) {
    const auto h = s.flag[i];
    if (h.empty()) continue;
    const Wording& w = wording_[flags_ + i];
    FlagDecision f;
    f.name = w.name;
    f.label = w.label;
    f.because = s.copy(h);
    f.notify = resolve(cfg, flag_rules[i]->notify);
    if (!w.department.empty() && a.routing.department.empty() && f.notify) {
      a.routing.department = w.department;
      a.routing.manager = f.notify;
      a.routing.because = f.because;
      a.routing.note = w.note;
    }
    a.flags.push_back(std::move(f));
  }
  for (const auto& fired : s.reviewers) {
    const auto& r = rules_.reviewers[fired.rule - reviewers_];
    FlagDecision f;
    f.name = flag::kConflictOfInterest;
    f.label = flag_label(f.name);
    f.because = s.copy(s.hits.of(fired));
    f.because.push_back({book_.spec(fired.rule).name, "role", r.role});
    if (const auto* role = cfg.role(r.role)) a.conflicted.insert(a.conflicted.end(), role->people.begin(), role->people.end());
    if (!a.alternate_reviewer) a.alternate_reviewer = resolve(cfg, r.alternate);
    if (!a.has_flag(flag::kConflictOfInterest)) a.flags.push_back(std::move(f));
    else append(std::find_if(a.flags.begin(), a.flags.end(), [](const FlagDecision& x) { return x.name == flag::kConflictOfInterest; })->because, f.because);
  }
  // Machine mail, our own letters and mail without a sender are never answered: an
  // out-of-office that quotes an incident report is not a second incident.
  if (a.intent.intent == Intent::kMachineMail || a.intent.intent == Intent::kFromOurselves ||
      a.intent.intent == Intent::kNoSender)
    a.flags.clear();
  const auto& p = rules_.persistent;
  std::vector<Fired> persistent;
  if (p.cases > 0 && in.sender_cases + 1 >= p.cases && a.intent.intent == Intent::kNewComplaint)
    persistent.push_back({"flag.persistent_complainant", "count",
                          std::to_string(in.sender_cases + 1) + " cases from this sender within " + config::to_string(p.within)});
  if (p.messages > 0 && in.sender_messages + 1 >= p.messages)
    persistent.push_back({"flag.persistent_complainant", "count",
                          std::to_string(in.sender_messages + 1) + " messages from this sender within " +
                              config::to_string(p.within)});
  if (!persistent.empty())
    a.flags.push_back({{flag::kPersistent, flag_label(flag::kPersistent), std::move(persistent)}, std::nullopt});
  // Each flag is there once, so no two compare equal: std::sort orders them as a stable
  // sort would, without the buffer std::stable_sort allocates.
  std::sort(a.flags.begin(), a.flags.end(), [](const FlagDecision& x, const FlagDecision& y) {
    auto rank = [](Name n) { return std::find(std::begin(kFlagOrder), std::end(kFlagOrder), n) - std::begin(kFlagOrder); };
    return rank(x.name) < rank(y.name);
  });
  a.serious = a.has_flag(flag::kFastTrack) || a.has_flag(flag::kStaffConduct);

  if (a.intent.intent == Intent::kOutOfScope) {
    if (const auto fired = s.out_of_scope; !fired.empty()) {
      const Wording& w = wording_[fired.front().rule];
      a.out_of_scope = Decision{w.name, w.label, s.copy(s.hits.of(fired.front()))};
      a.where_to_go = w.where;
    }
  }
  if (a.routing.note.empty()) {
    // Most messages get this note: made when the Triager was built, for the procedure it
    // was given.
    const std::string_view handler = fallback_handler(cfg.procedure);
    a.routing.note = handler == fallback_ ? Text(fallback_note_) : Text(fallback_note(handler));
  }
  if (a.alternate_reviewer)
    a.routing.note = std::string(a.routing.note).append("; the named reviewer is replaced by ").append(a.alternate_reviewer->address);
  return a;
}

// ---- Plans and letters ----

std::vector<LetterSpec> flag_letters(const config::Config& cfg, const Assessment& a) {
  std::vector<LetterSpec> out;
  if (a.flags.empty()) return out;
  std::string names, reasons;
  for (const auto& f : a.flags) {
    names.append(names.empty() ? "" : ", ").append(f.label);
    for (const auto& b : f.because) reasons.append("- ").append(f.label).append(": ").append(describe(b)).append("\n");
  }
  const bool urgent = a.has_flag(flag::kFastTrack);
  auto letter = [&](const std::string& event, const config::Person& to) {
    LetterSpec l;
    l.event = event;
    l.template_name = "flag";
    l.to = Recipient{false, to};
    l.fields = {{"flags", names}, {"reasons", reasons}, {"urgent", urgent ? "yes" : ""},
                {"to_customer", ""}, {"recipient_name", to.name.empty() ? to.address : to.name}};
    out.push_back(std::move(l));
  };
  std::vector<std::string> told;
  // The fast-track role first and at once: the deadline clock, working hours and the
  // coordinator's inbox do not apply to someone at risk.
  for (const auto& f : a.flags) {
    if (!f.notify || std::find(told.begin(), told.end(), f.notify->address) != told.end()) continue;
    letter(f.name == flag::kFastTrack ? "fast_track" : "flag", *f.notify);
    told.push_back(f.notify->address);
  }
  if (const auto* r = cfg.role(cfg.procedure.coordinator); r && !r->people.empty()) {
    if (std::find(told.begin(), told.end(), r->people.front().address) == told.end()) letter("flag", r->people.front());
  }
  return out;
}

Plan out_of_scope_plan(const Assessment& a, Instant now) {
  Plan plan;
  plan.stage = 0;
  plan.state = CaseState::kClosed;
  plan.closed_at = now;
  LetterSpec l;
  l.event = "out_of_scope";
  l.template_name = "out_of_scope";
  l.to = Recipient{true, {}};
  const std::string topic(a.out_of_scope ? a.out_of_scope->name : "");
  l.fields = {{"where_to_go", std::string(a.where_to_go)}, {"topic", topic}, {"to_customer", "yes"}, {"recipient_name", ""}};
  plan.letters.push_back(std::move(l));
  plan.events.emplace_back("out-of-scope", "handled elsewhere (" + topic + "): the customer is told where to go; closed");
  return plan;
}

std::vector<std::pair<std::string, std::string>> triage_events(const Assessment& a) {
  std::vector<std::pair<std::string, std::string>> out;
  auto reasons = [](const std::vector<Fired>& b) {
    std::string s;
    for (const auto& f : b) s += (s.empty() ? "" : "; ") + describe(f);
    return s;
  };
  auto said = [&](std::string what, const std::vector<Fired>& b) {
    what += " (" + reasons(b) + ")";
    return what;
  };
  out.emplace_back("triage", std::string("intent ") + to_string(a.intent.intent) + ", kind " + to_string(a.kind) +
                                 ": " + std::string(a.intent.reason) +
                                 (a.intent.because.empty() ? "" : " (" + reasons(a.intent.because) + ")"));
  if (a.anonymous) out.emplace_back("triage", said("anonymous", a.anonymous_because));
  for (const auto& c : a.categories) out.emplace_back("triage", said(std::string("category ").append(c.name), c.because));
  if (a.complex) out.emplace_back("triage", said("complexity high", a.complex_because));
  if (a.complainant_type)
    out.emplace_back("triage", said(std::string("complainant type ").append(a.complainant_type->name), a.complainant_type->because));
  out.emplace_back("triage", std::string("routing: ").append(a.routing.note) +
                                 (a.routing.because.empty() ? "" : " (" + reasons(a.routing.because) + ")"));
  for (const auto& f : a.flags) out.emplace_back("flag", said(std::string(f.label), f.because));
  return out;
}

}  // namespace complaintd::triage
