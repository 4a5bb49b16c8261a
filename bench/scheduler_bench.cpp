// The scheduler with 100,000 open cases: how long to find the next deadline, how long to
// process 10,000 that fall due at once (each one a plan, letters rendered into the outbox,
// the deadline marked done, in batched transactions), and the resident memory it takes.
// Uses the production settings: a SQLite file in WAL mode with synchronous = FULL, and the
// council example's procedure and letters.
//
//   cmake -S . -B build/bench -DCOMPLAINTD_BENCH=ON -DCOMPLAINTD_TESTS=OFF
//   cmake --build build/bench --target scheduler_bench && build/bench/bench/scheduler_bench [cases] [due]

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "daemon/case_actions.hpp"
#include "daemon/runtime.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/store/store.hpp"
#include "triage/lifecycle.hpp"

namespace fs = std::filesystem;
using namespace complaintd;
using Clock = std::chrono::steady_clock;

namespace {

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  return -1;
}

/// CPU time of the process (all threads): what the work costs, whatever the disk does.
double cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

fs::path write_config(const fs::path& dir) {
  std::ifstream in(fs::path(COMPLAINTD_SOURCE_DIR) / "examples/solihull-council/complaintd.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string t = text.str();
  t = std::regex_replace(t, std::regex("password_file = \"[^\"]*\""), "password = \"x\"");
  t = std::regex_replace(t, std::regex("database = \"[^\"]*\""), "database = \"" + (dir / "bench.db").string() + "\"");
  t = std::regex_replace(t, std::regex("letters = \"letters\""),
                         "letters = \"" COMPLAINTD_SOURCE_DIR "/examples/solihull-council/letters\"");
  t = std::regex_replace(t, std::regex("holidays_file = \"[^\"]*\""),
                         "holidays_file = \"" COMPLAINTD_SOURCE_DIR "/examples/calendars/england-and-wales.txt\"");
  const auto path = dir / "complaintd.toml";
  std::ofstream(path) << t;
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  // The daemon logs one line per deadline that sends letters; measured here is the work.
  spdlog::set_level(spdlog::level::warn);
  const int cases = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int due_now = argc > 2 ? std::atoi(argv[2]) : 10000;
  const fs::path dir = fs::temp_directory_path() / ("complaintd-scheduler-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  std::vector<std::string> errors;
  auto rt = daemon::Runtime::load(write_config(dir), errors);
  if (!rt) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  auto opened = store::Store::open(((*rt)->config.service.database).string());
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  auto& store = **opened;
  const auto& r = **rt;

  // Cases received over the last 15 working days, each opened through the lifecycle as
  // ingest does (so each has its full schedule: respond, 2 reminders, holding, 2 escalations).
  const auto base = *triage::parse_iso_instant("2027-02-01T10:00:00Z");
  auto t = Clock::now();
  constexpr int kPerTx = 2000;
  for (int done = 0; done < cases;) {
    auto ok = store.transaction([&](store::Tx& tx) -> Result<void> {
      for (int i = 0; i < kPerTx && done < cases; ++i, ++done) {
        // The first `due_now` cases arrived together, so their first reminder falls due at once.
        const auto received = done < due_now ? base : base + std::chrono::minutes(done);
        store::NewCase c;
        c.stage = "Stage 1";
        c.customer_address = "customer" + std::to_string(done) + "@example.test";
        c.customer_name = "Customer " + std::to_string(done);
        c.subject = "Complaint number " + std::to_string(done);
        c.received_at = triage::iso_instant(received);
        c.acknowledge_by = c.received_at;
        c.respond_by = c.received_at;
        c.respond_by_date = "2027-03-01";
        char ref[32];
        std::snprintf(ref, sizeof ref, "CMP-2027-%06d", done + 1);
        const auto id = tx.insert_case(ref, c, c.received_at);
        triage::CaseFacts f;
        f.received_at = received;
        f.stage_opened_at = received;
        auto plan = triage::decide(f, triage::Open{}, daemon::lifecycle_context(r, received));
        plan.letters.clear();  // the acknowledgements are not what this measures
        if (auto a = daemon::apply_plan(tx, r, id, plan, received); !a) return a;
      }
      return {};
    });
    if (!ok) {
      std::fprintf(stderr, "%s\n", ok.error().message.c_str());
      return 1;
    }
  }
  const double load_ms = ms_since(t);

  // The next deadline: what the daemon asks every time it re-arms its timer.
  constexpr int kLookups = 1000;
  t = Clock::now();
  std::string next;
  for (int i = 0; i < kLookups; ++i) next = store.next_deadline()->value_or("");
  const double next_us = ms_since(t) * 1000.0 / kLookups;

  // 10,000 reminders due at once (plus their copies to the coordinator).
  const auto first_reminder = triage::due_after(base, r.config.stages[0].reminders->first_after, r.calendar, r.zone);
  t = Clock::now();
  const double cpu_before = cpu_ms();
  auto stats = daemon::run_due_deadlines(store, r, first_reminder.at);
  const double tick_ms = ms_since(t);
  const double tick_cpu_ms = cpu_ms() - cpu_before;
  if (!stats) {
    std::fprintf(stderr, "%s\n", stats.error().message.c_str());
    return 1;
  }

  std::printf("open cases:                 %d (%.0f ms to create, with %s)\n", cases, load_ms, "their schedules");
  std::printf("next deadline lookup:       %.1f us (earliest %s)\n", next_us, next.c_str());
  std::printf("deadlines due at once:      %d processed, %d letters rendered and queued, %d failed\n",
              stats->processed, stats->letters, stats->failed);
  std::printf("time to process them:       %.0f ms (%.0f deadlines/s), %.0f ms of it CPU\n", tick_ms,
              stats->processed / tick_ms * 1000.0, tick_cpu_ms);
  std::printf("resident memory now / peak: %ld / %ld kB\n", status_kb("VmRSS:"), status_kb("VmHWM:"));
  std::uintmax_t bytes = 0;
  for (const auto* name : {"bench.db", "bench.db-wal"})
    if (fs::exists(dir / name)) bytes += fs::file_size(dir / name);
  std::printf("database (with its WAL):    %.1f MB\n", static_cast<double>(bytes) / (1024.0 * 1024.0));
  if (std::getenv("COMPLAINTD_BENCH_KEEP") == nullptr) fs::remove_all(dir);  // kept to inspect its letters
  else std::printf("database kept in:           %s\n", dir.c_str());
  return stats->processed == due_now ? 0 : 1;
}
