// Triage throughput with a 200-rule config against parse time on the same mail: the 346
// messages of the labelled set (tests/data/triage), parsed once per iteration of
// BM_ParseLabelledSet and triaged once per iteration of BM_TriageLabelledSet. Items are
// messages, so items_per_second compare directly; the target is triage under 10% of the
// parse of mail as it arrives (the Delivered sets; docs/PERFORMANCE.md, "Mail as it arrives").
// The labelled set is short texts with few headers; BM_*Generated are parse_bench's 200
// generated complaints (about 1.9 KB with their headers and a quoted reply), every word a
// complaint's. With COMPLAINTD_BENCH_CORPUS naming a directory of .eml files (e.g. the
// real third-party mail in /work/shared/corpus: bounces, list posts, MIME oddities),
// BM_*Corpus measure that mail too; the project does not ship such a corpus.
// BM_*Delivered* are the labelled set as it arrives in an INBOX (bench/delivered_mail.hpp):
// the same texts under the ~3.5 KB of headers every delivered message carries, sent as
// text/plain (Plain) or, as webmail sends it, as text/plain and text/html (Alternative).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/big_triage_config.hpp"
#include "bench/delivered_mail.hpp"
#include "bench/generated_mail.hpp"
#include "parser/parse.hpp"
#include "triage/assess.hpp"

namespace {

namespace fs = std::filesystem;

// Every .eml under `dir` (every file when `any_name`), in name order so runs compare.
std::vector<std::string> read_mail(const fs::path& dir, bool any_name) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && (any_name || e.path().extension() == ".eml")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    out.push_back(s.str());
  }
  return out;
}

const std::vector<std::string>& raw_mail() {
  static const std::vector<std::string> mail = read_mail(fs::path(COMPLAINTD_SOURCE_DIR) / "tests/data/triage/mail", true);
  return mail;
}

const std::vector<std::string>& corpus_mail() {
  static const std::vector<std::string> mail = [] {
    const char* dir = std::getenv("COMPLAINTD_BENCH_CORPUS");
    return dir && *dir ? read_mail(dir, false) : std::vector<std::string>();
  }();
  return mail;
}

const std::vector<std::string>& generated_mail() {
  static const std::vector<std::string> mail = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 200; ++i) out.push_back(complaintd::bench::small_text(i));
    return out;
  }();
  return mail;
}

std::vector<std::string> delivered_mail(complaintd::bench::Sent sent) {
  std::vector<std::string> out;
  for (const auto& m : raw_mail()) out.push_back(complaintd::bench::delivered(m, static_cast<int>(out.size()), sent));
  return out;
}

std::vector<complaintd::parser::InboundMessage> parse_all(const std::vector<std::string>& raw) {
  std::vector<complaintd::parser::InboundMessage> out;
  for (const auto& m : raw) out.push_back(complaintd::parser::parse(m));
  return out;
}

using complaintd::bench::big_triage_config;

void parse_each(benchmark::State& state, const std::vector<std::string>& mail) {
  std::size_t bytes = 0;
  for (const auto& m : mail) bytes += m.size();
  for (auto _ : state) {
    for (const auto& raw : mail) benchmark::DoNotOptimize(complaintd::parser::parse(raw));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mail.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

// `explain`: near misses kept too, as `complaintd explain` asks (ingest does not).
void triage_each(benchmark::State& state, const std::vector<complaintd::parser::InboundMessage>& mail, bool explain = false) {
  static const auto cfg = big_triage_config();
  static const complaintd::triage::Triager triager(cfg.triage, cfg.procedure);
  state.counters["rules"] = static_cast<double>(triager.rule_count());
  complaintd::triage::AssessInput in;
  in.ctx.own_addresses = {"complaints@example.org"};
  in.explain = explain;
  for (auto _ : state) {
    for (const auto& msg : mail) benchmark::DoNotOptimize(triager.assess(cfg, msg, in));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mail.size()));
}

void BM_ParseLabelledSet(benchmark::State& state) { parse_each(state, raw_mail()); }
BENCHMARK(BM_ParseLabelledSet)->Unit(benchmark::kMillisecond);

void BM_TriageLabelledSet(benchmark::State& state) {
  static const auto parsed = parse_all(raw_mail());
  triage_each(state, parsed);
}
BENCHMARK(BM_TriageLabelledSet)->Unit(benchmark::kMillisecond);

void BM_ExplainLabelledSet(benchmark::State& state) {
  static const auto parsed = parse_all(raw_mail());
  triage_each(state, parsed, true);
}
BENCHMARK(BM_ExplainLabelledSet)->Unit(benchmark::kMillisecond);

void BM_ParseGenerated(benchmark::State& state) { parse_each(state, generated_mail()); }
BENCHMARK(BM_ParseGenerated)->Unit(benchmark::kMillisecond);

void BM_TriageGenerated(benchmark::State& state) {
  static const auto parsed = parse_all(generated_mail());
  triage_each(state, parsed);
}
BENCHMARK(BM_TriageGenerated)->Unit(benchmark::kMillisecond);

void BM_CompileRules(benchmark::State& state) {
  static const auto cfg = big_triage_config();
  for (auto _ : state) benchmark::DoNotOptimize(complaintd::triage::Triager(cfg.triage));
}
BENCHMARK(BM_CompileRules)->Unit(benchmark::kMillisecond);

void BM_ParseCorpus(benchmark::State& state) { parse_each(state, corpus_mail()); }
void BM_TriageCorpus(benchmark::State& state) {
  static const auto parsed = parse_all(corpus_mail());
  triage_each(state, parsed);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The labelled set as delivered, each way it is sent: BM_ParseDeliveredPlain,
  // BM_TriageDeliveredPlain, BM_ParseDeliveredAlternative, BM_TriageDeliveredAlternative.
  using complaintd::bench::Sent;
  // Made and parsed here, once (about 10 ms), whichever benchmarks the filter runs.
  for (const auto& [sent, name] : {std::pair{Sent::kPlain, "Plain"}, std::pair{Sent::kAlternative, "Alternative"}}) {
    benchmark::RegisterBenchmark((std::string("BM_ParseDelivered") + name).c_str(),
                                 [mail = delivered_mail(sent)](benchmark::State& state) { parse_each(state, mail); })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("BM_TriageDelivered") + name).c_str(),
                                 [parsed = parse_all(delivered_mail(sent))](benchmark::State& state) {
                                   triage_each(state, parsed);
                                 })
        ->Unit(benchmark::kMillisecond);
  }
  if (!corpus_mail().empty()) {
    benchmark::RegisterBenchmark("BM_ParseCorpus", BM_ParseCorpus)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_TriageCorpus", BM_TriageCorpus)->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
