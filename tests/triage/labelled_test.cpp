// The labelled set (tests/data/triage, written by generate.py): every message parsed and
// triaged with the built-in rules, precision and recall printed per label, and the bars of
// issue 5 enforced: 95% for intents, 85% for categories, 100% recall for fast-track
// incidents and machine mail.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bench/delivered_mail.hpp"
#include "parser/parse.hpp"
#include "triage/assess.hpp"
#include "triage/reference.hpp"

namespace complaintd::triage {
namespace {

namespace fs = std::filesystem;

struct Label {
  std::string file, intent;
  std::set<std::string> categories;
  bool fast_track = false;
};

std::vector<Label> labels() {
  std::vector<Label> out;
  std::ifstream in(fs::path(COMPLAINTD_SOURCE_DIR) / "tests/data/triage/labels.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    Label l;
    std::string cats, ft;
    std::getline(f, l.file, '\t');
    std::getline(f, l.intent, '\t');
    std::getline(f, cats, '\t');
    std::getline(f, ft, '\t');
    std::istringstream c(cats);
    for (std::string x; std::getline(c, x, ',');)
      if (x != "-") l.categories.insert(x);
    l.fast_track = ft == "yes";
    out.push_back(l);
  }
  return out;
}

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  [[nodiscard]] double precision() const { return tp + fp == 0 ? 1.0 : double(tp) / (tp + fp); }
  [[nodiscard]] double recall() const { return tp + fn == 0 ? 1.0 : double(tp) / (tp + fn); }
};

void count(Counts& c, bool expected, bool got) {
  if (expected && got) ++c.tp;
  else if (got) ++c.fp;
  else if (expected) ++c.fn;
}

std::string read(const std::string& file) {
  std::ifstream in(fs::path(COMPLAINTD_SOURCE_DIR) / "tests/data/triage/mail" / file, std::ios::binary);
  std::stringstream raw;
  raw << in.rdbuf();
  return raw.str();
}

TEST(LabelledSet, PrecisionAndRecallPerLabel) {
  const auto set = labels();
  ASSERT_GE(set.size(), 300u);
  config::Config cfg;
  const Triager triager(cfg.triage);
  const ReferenceFormat refs("CMP-{year}-{seq:06}");
  std::map<std::string, Counts> intents, categories;
  Counts fast_track;
  std::vector<std::string> misses;
  for (const auto& l : set) {
    const auto msg = parser::parse(read(l.file));
    AssessInput input;
    input.ctx.own_addresses = {"complaints@example.org"};
    // Every reference in the set names a real case.
    input.ctx.known_references = refs.find_tagged(msg.subject);
    input.ctx.body_references = refs.find_in_text(triage_text(msg));
    const auto a = triager.assess(cfg, msg, input);
    const std::string got = to_string(a.intent.intent);
    for (const auto* name : {"new-complaint", "compliment", "comment", "follow-up", "next-stage", "withdrawal",
                             "machine-mail"})
      count(intents[name], l.intent == name, got == name);
    if (got != l.intent) misses.push_back(l.file + ": intent " + got + ", expected " + l.intent + " (" + std::string(a.intent.reason) + ")");
    if (l.intent == "new-complaint") {
      std::set<std::string> found;
      for (const auto& c : a.categories) found.emplace(c.name);
      for (const auto* name : {"service_delivery", "policy_decision", "refusal_misleading", "impoliteness",
                               "personal_information"}) {
        count(categories[name], l.categories.count(name) > 0, found.count(name) > 0);
        if (l.categories.count(name) != found.count(name))
          misses.push_back(l.file + ": category " + name + (found.count(name) ? " found, not expected" : " missed"));
      }
    }
    count(fast_track, l.fast_track, a.has_flag(flag::kFastTrack));
    if (l.fast_track != a.has_flag(flag::kFastTrack))
      misses.push_back(l.file + (l.fast_track ? ": fast-track missed" : ": fast-track, not expected"));
  }
  std::printf("%-22s %9s %9s %5s %5s %5s\n", "label", "precision", "recall", "tp", "fp", "fn");
  auto row = [](const std::string& name, const Counts& c) {
    std::printf("%-22s %8.1f%% %8.1f%% %5d %5d %5d\n", name.c_str(), 100 * c.precision(), 100 * c.recall(), c.tp, c.fp, c.fn);
  };
  for (const auto& [k, c] : intents) row("intent " + k, c);
  for (const auto& [k, c] : categories) row("category " + k, c);
  row("flag fast_track", fast_track);
  for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());

  for (const auto& [k, c] : intents) {
    EXPECT_GE(c.precision(), 0.95) << "intent " << k;
    EXPECT_GE(c.recall(), 0.95) << "intent " << k;
  }
  for (const auto& [k, c] : categories) {
    EXPECT_GE(c.precision(), 0.85) << "category " << k;
    EXPECT_GE(c.recall(), 0.85) << "category " << k;
  }
  EXPECT_EQ(fast_track.recall(), 1.0) << "every fast-track incident must be found";
  EXPECT_EQ(intents["machine-mail"].recall(), 1.0) << "machine mail must never be answered";
}

// The same messages as they arrive in an INBOX (bench/delivered_mail.hpp, what triage_bench
// measures): three Received, two DKIM signatures and the provider's headers above them, the
// text quoted-printable, alone or beside its HTML. None of that may change a decision or
// its reasons.
TEST(LabelledSet, DeliveredMailIsTriagedAsTheBareMessage) {
  config::Config cfg;
  const Triager triager(cfg.triage);
  AssessInput input;
  input.ctx.own_addresses = {"complaints@example.org"};
  int n = 0;
  for (const auto& l : labels()) {
    const std::string bare = read(l.file);
    const auto expected = triage_events(triager.assess(cfg, parser::parse(bare), input));
    for (const auto sent : {bench::Sent::kPlain, bench::Sent::kAlternative}) {
      const auto msg = parser::parse(bench::delivered(bare, n++, sent));
      EXPECT_TRUE(msg.defects.empty()) << l.file << ": " << msg.defects.front();
      EXPECT_EQ(triage_events(triager.assess(cfg, msg, input)), expected)
          << l.file << (sent == bench::Sent::kPlain ? " as text/plain" : " as multipart/alternative");
    }
  }
}

}  // namespace
}  // namespace complaintd::triage
