#include "daemon/app.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <csignal>
#include <list>

#include "daemon/database_watch.hpp"
#include "daemon/imap_idle.hpp"
#include "daemon/logging.hpp"
#include "daemon/mailbox_poller.hpp"
#include "daemon/metrics.hpp"
#include "daemon/outbox_sender.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/store_worker.hpp"
#include "net/curl_multi.hpp"

namespace complaintd::daemon {
namespace {

namespace asio = boost::asio;
using std::chrono::seconds;

// 30 s after the first failure, doubling, at most 15 minutes.
seconds backoff(int failures) {
  return std::min(seconds(30L << std::clamp(failures - 1, 0, 5)), seconds(900));
}

triage::Instant now_utc() {
  return std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
}

// Waits on `timer` for `d`; returns false when woken early (cancelled).
asio::awaitable<bool> sleep_for(asio::steady_timer& timer, std::chrono::steady_clock::duration d) {
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

void log_poll(const MailboxPoller& p, const Result<PollStats>& r) {
  if (!r && p.store_failed()) {
    // Not the server: the disk is full or the database read-only. The mail stays unseen on
    // the server and is fetched again once the database can be written.
    spdlog::error("mailbox={} event=poll-failed cause=database error=\"{}\" action=left-unseen-on-server",
                  p.name(), r.error().message);
  } else if (!r) {
    spdlog::error("mailbox={} server={} event=poll-failed error=\"{}\"", p.name(), p.server(), r.error().message);
  } else if (r->fetched > 0) {
    spdlog::info("mailbox={} event=polled fetched={} new_cases={} follow_ups={} not_answered={} duplicates={} "
                 "quarantined={}",
                 p.name(), r->fetched, r->new_cases, r->follow_ups, r->not_answered, r->duplicates, r->quarantined);
  } else {
    spdlog::debug("mailbox={} event=polled fetched=0", p.name());
  }
}

// The exception edge of every coroutine: nothing escapes into io_context::run().
auto on_exit(int& exit_code, asio::io_context& io, const char* what) {
  return [&exit_code, &io, what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::critical("event=internal-error in={} error=\"{}\"", what, ex.what());
    }
    exit_code = kExitSoftware;
    io.stop();
  };
}

/// What a reload cannot change without a restart: the connections made at start-up.
std::vector<std::string> needs_restart(const config::Config& old_cfg, const config::Config& new_cfg) {
  std::vector<std::string> out;
  if (old_cfg.mailboxes != new_cfg.mailboxes) out.push_back("mailbox");
  const auto& a = old_cfg.smtp;
  const auto& b = new_cfg.smtp;
  if (a.url != b.url || a.username != b.username || a.password != b.password || a.tls_ca_file != b.tls_ca_file ||
      a.tls_verify != b.tls_verify)
    out.push_back("smtp");
  if (old_cfg.service.database != new_cfg.service.database) out.push_back("service.database");
  return out;
}

class App {
 public:
  App(std::shared_ptr<const Runtime> rt, std::unique_ptr<store::Store> store,
      std::unique_ptr<store::Store> ingest_store, std::filesystem::path config_path)
      : rt_(std::move(rt)), store_(std::move(store)), config_path_(std::move(config_path)), multi_(io_),
        worker_(io_, std::move(ingest_store)), sender_(multi_, *store_, rt_->config.smtp), sender_timer_(io_),
        deadline_timer_(io_), watchdog_timer_(io_), hup_(io_, SIGHUP), database_wake_(io_) {
    for (std::size_t k = 0; k < rt_->config.mailboxes.size(); ++k) {
      const auto& m = rt_->config.mailboxes[k];
      if (m.by_pipe) continue;  // the mail server runs `complaintd ingest` for these
      pollers_.push_back(std::make_unique<MailboxPoller>(multi_, worker_, rt_, m));
      poll_timers_.emplace_back(io_);
      fetched_.push_back(k);
    }
    poll_wanted_.assign(pollers_.size(), false);
    poll_failing_.assign(pollers_.size(), false);
  }

  int run_once() {
    asio::co_spawn(io_, once(), on_exit(exit_code_, io_, "run-once"));
    io_.run();
    return exit_code_;
  }

  int run_tick(triage::Instant at) {
    sender_.send_as_of(at);
    asio::co_spawn(io_, tick(at), on_exit(exit_code_, io_, "tick"));
    io_.run();
    return exit_code_;
  }

  int run_forever() {
    asio::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (!ec) stop(sig);
    });
    std::size_t i = 0;
    for (auto& p : pollers_) {
      const auto& m = rt_->config.mailboxes[fetched_[i]];
      asio::co_spawn(io_, poll_loop(*p, i, m.poll_interval), on_exit(exit_code_, io_, "mailbox-poller"));
      if (m.idle) {
        idles_.push_back(std::make_unique<ImapIdle>(io_, m.name, imap_endpoint(m), [this, i] { wake_poller(i); }));
        asio::co_spawn(io_, idle_loop(*idles_.back()), on_exit(exit_code_, io_, "imap-idle"));
      }
      ++i;
    }
    asio::co_spawn(io_, send_loop(), on_exit(exit_code_, io_, "outbox-sender"));
    asio::co_spawn(io_, deadline_loop(), on_exit(exit_code_, io_, "scheduler"));
    watch_database();
    wait_for_hup();
    start_watchdog();
    if (const auto& m = rt_->config.metrics; !m.address.empty()) {
      metrics_server_ = std::make_unique<MetricsServer>(io_, metrics_, *store_);
      if (auto listening = metrics_server_->listen(m.address, m.port); listening) {
        asio::co_spawn(io_, metrics_server_->serve(), on_exit(exit_code_, io_, "metrics"));
        spdlog::info("event=metrics-listening address={} port={}", m.address, m.port);
      } else {
        // Metrics are optional: complaints are not refused because a port is taken.
        spdlog::error("event=metrics-failed error=\"{}\"", listening.error().message);
        metrics_server_.reset();
      }
    }
    spdlog::info("event=started mailboxes={} smtp={} database={}", pollers_.size(), sender_.server(),
                 rt_->config.service.database.string());
    sd_notify(0, "READY=1\nSTATUS=started; polling");
    io_.run();
    spdlog::info("event=stopped");
    return exit_code_;
  }

 private:
  /// Runs the deadlines due by `at`; the letters queued, or nothing when the database failed.
  std::optional<int> run_deadlines(triage::Instant at) {
    auto t = run_due_deadlines(*store_, *rt_, at);
    if (!t) {
      spdlog::error("event=deadlines-failed error=\"{}\"", t.error().message);
      return std::nullopt;
    }
    metrics_.deadlines(t->processed, t->letters, t->failed);
    if (t->processed || t->failed)
      spdlog::info("event=deadlines-run as_of={} processed={} letters={} failed={}", triage::iso_instant(at),
                   t->processed, t->letters, t->failed);
    return t->letters;
  }

  asio::awaitable<void> tick(triage::Instant at) {
    if (!run_deadlines(at)) exit_code_ = kExitTempFail;
    co_await drain();
  }

  asio::awaitable<void> once() {
    for (auto& p : pollers_) {
      auto r = co_await p->poll_once();
      log_poll(*p, r);
      if (!r) exit_code_ = kExitTempFail;
    }
    if (!run_deadlines(now_utc())) exit_code_ = kExitTempFail;
    co_await drain();
  }

  asio::awaitable<void> drain() {
    auto d = co_await sender_.drain_once();
    if (!d) {
      spdlog::error("event=outbox-failed error=\"{}\"", d.error().message);
      exit_code_ = kExitTempFail;
    } else {
      if (d->sent || d->deferred || d->failed)
        spdlog::info("event=outbox-drained sent={} deferred={} failed={}", d->sent, d->deferred, d->failed);
      if (d->deferred || d->failed) exit_code_ = kExitTempFail;
    }
  }

  asio::awaitable<void> poll_loop(MailboxPoller& p, std::size_t index, seconds interval) {
    ++active_;
    asio::steady_timer& timer = poll_timers_[index];
    int failures = 0;
    auto failing_since = std::chrono::steady_clock::now();
    while (!stopping_) {
      // Cleared before the poll: news that arrives during it is looked for straight after.
      poll_wanted_[index] = false;
      auto r = co_await p.poll_once();
      log_poll(p, r);
      notify_status(p, r);
      metrics_.polled(p.name(), r, now_utc());
      if (stopping_) break;
      auto wait = interval;
      if (!r) {
        // Back off while the server is down, but keep trying: 30 s doubling to 15 min,
        // never less often than the configured interval.
        if (failures++ == 0) failing_since = std::chrono::steady_clock::now();
        wait = std::max(interval, backoff(failures));
        // The backoff rules while polls fail: news from the IDLE connection does not cut it
        // short (a database that cannot be written would fail again at every new message).
        poll_wanted_[index] = false;
        poll_failing_[index] = true;
        spdlog::info("mailbox={} event=retry-scheduled in_seconds={}", p.name(), wait.count());
      } else {
        if (failures > 0) {
          const auto down = std::chrono::steady_clock::now() - failing_since;
          spdlog::info("mailbox={} event=poll-recovered failed_polls={} down_seconds={}", p.name(), failures,
                       std::chrono::duration_cast<seconds>(down).count());
        }
        failures = 0;
        poll_failing_[index] = false;
        if (r->new_cases > 0 || r->follow_ups > 0) {
          // Acknowledge, confirm a staff reply, send a response now, not at the next tick;
          // and new or moved deadlines may be earlier than the armed one.
          sender_timer_.cancel();
          deadline_timer_.cancel();
        }
      }
      if (poll_wanted_[index]) continue;
      co_await sleep_for(timer, wait);
    }
    finished();
  }

  // The IDLE connection reported new mail (RFC 2177): poll now rather than at the interval.
  void wake_poller(std::size_t index) {
    if (stopping_ || poll_failing_[index]) return;
    poll_wanted_[index] = true;
    poll_timers_[index].cancel();
  }

  asio::awaitable<void> idle_loop(ImapIdle& idle) {
    ++active_;
    co_await idle.run();
    finished();
  }

  // Letters queued by another process (the pipe's `ingest`, `quarantine replay`) go out
  // within a fraction of a second instead of at the sender's next minute.
  void watch_database() {
    database_watch_ = std::make_unique<DatabaseWatch>(io_, rt_->config.service.database, [this] {
      if (stopping_ || database_wake_pending_) return;
      // A batch commits in many writes; one look after they settle is enough.
      database_wake_pending_ = true;
      database_wake_.expires_after(std::chrono::milliseconds(200));
      database_wake_.async_wait([this](const boost::system::error_code& ec) {
        database_wake_pending_ = false;
        if (ec || stopping_) return;
        deadline_timer_.cancel();
        // While the SMTP server is unreachable its backoff rules: each commit (the sender's
        // own marks among them) would otherwise be one more connection attempt.
        if (sender_unreachable_) return;
        send_wanted_ = true;
        sender_timer_.cancel();
      });
    });
    std::string why;
    if (!database_watch_->start(why)) {
      spdlog::warn("event=database-watch-unavailable error=\"{}\" action=outbox-checked-every-minute", why);
      database_watch_.reset();
      return;
    }
    asio::co_spawn(io_, database_watch_->run(), asio::detached);
  }

  asio::awaitable<void> send_loop() {
    ++active_;
    while (!stopping_) {
      // Cleared before the drain: letters queued during it are looked for straight after.
      send_wanted_ = false;
      auto d = co_await sender_.drain_once();
      metrics_.drained(d);
      if (stopping_) break;
      auto wait = seconds(60);
      if (!d) {
        spdlog::error("event=outbox-failed error=\"{}\" retry_in_seconds={}", d.error().message, wait.count());
      } else if (d->unreachable) {
        wait = d->retry_in;  // 30 s doubling to 15 min, logged by the sender (smtp-unreachable)
      } else {
        if (auto next = store_->next_outbox_attempt(); next && *next) {
          auto at = triage::parse_iso_instant(**next);
          if (at) {
            const auto until = *at - std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
            wait = std::clamp(std::chrono::duration_cast<seconds>(until), seconds(1), seconds(60));
          }
        }
      }
      sender_unreachable_ = d && d->unreachable;
      if (send_wanted_ && d && !d->unreachable) continue;
      co_await sleep_for(sender_timer_, wait);
    }
    finished();
  }

  // One timer, armed at the earliest open deadline (at most an hour ahead, so a clock
  // change or a deadline added by another process is never missed for long).
  asio::awaitable<void> deadline_loop() {
    ++active_;
    while (!stopping_) {
      if (auto letters = run_deadlines(now_utc()); letters && *letters > 0) sender_timer_.cancel();
      if (stopping_) break;
      auto wait = seconds(3600);
      if (auto next = store_->next_deadline(); !next) {
        wait = seconds(60);  // the database failed: try again soon
      } else if (*next) {
        if (auto at = triage::parse_iso_instant(**next)) {
          wait = std::clamp(std::chrono::duration_cast<seconds>(*at - now_utc()), seconds(0), seconds(3600));
        }
      }
      co_await sleep_for(deadline_timer_, wait);
    }
    finished();
  }

  // A one-line STATUS for `systemctl status`: the last thing that happened to a mailbox.
  void notify_status(const MailboxPoller& p, const Result<PollStats>& r) {
    const std::string at = triage::iso_instant(now_utc());
    std::string status;
    if (!r && p.store_failed())
      status = "STATUS=" + p.name() + ": cannot write the database (since " + at + "); mail left unseen, retrying";
    else if (!r) status = "STATUS=" + p.name() + ": cannot reach " + p.server() + " (since " + at + "); retrying";
    else if (r->fetched > 0)
      status = "STATUS=" + p.name() + ": " + std::to_string(r->fetched) + " message(s) at " + at + ", " +
               std::to_string(r->new_cases) + " new case(s)";
    else return;
    sd_notify(0, status.c_str());
  }

  // SIGHUP: read the file again. Valid → swapped in whole; invalid → every error logged and
  // the running configuration kept (like nginx -s reload and postfix reload).
  void wait_for_hup() {
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec || stopping_) return;
      reload();
      wait_for_hup();
    });
  }

  void reload() {
    char reloading[96];
    std::snprintf(reloading, sizeof reloading, "RELOADING=1\nMONOTONIC_USEC=%llu",
                  static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                      std::chrono::steady_clock::now().time_since_epoch())
                                                      .count()));
    sd_notify(0, reloading);
    spdlog::info("event=reloading config={}", config_path_.string());
    std::vector<std::string> errors;
    auto next = Runtime::load(config_path_, errors);
    if (!next) {
      for (const auto& e : errors) spdlog::error("event=reload-failed error=\"{}\"", e);
      spdlog::error("event=reload-failed action=kept-running-configuration errors={}", errors.size());
      sd_notify(0, "READY=1\nSTATUS=reload failed: still running the previous configuration (see the log)");
      return;
    }
    const auto restart = needs_restart(rt_->config, (*next)->config);
    for (const auto& what : restart)
      spdlog::warn("event=reload-partial section={} action=restart-to-apply", what);
    rt_ = *next;
    for (auto& p : pollers_) p->set_runtime(rt_);
    set_log_level(rt_->config.service.log_level);
    deadline_timer_.cancel();  // deadlines may have moved with the calendar
    spdlog::info("event=reloaded config={} stages={} needs_restart={}", config_path_.string(), rt_->config.stages.size(),
                 restart.empty() ? "none" : restart.front());
    sd_notify(0, "READY=1\nSTATUS=configuration reloaded; polling");
  }

  // WatchdogSec: pings from the event loop itself, so a stuck loop is restarted by systemd.
  void start_watchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_period_ = std::chrono::microseconds(usec / 2);
    ping_watchdog();
  }

  void ping_watchdog() {
    sd_notify(0, "WATCHDOG=1");
    watchdog_timer_.expires_after(watchdog_period_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) ping_watchdog();
    });
  }

  void stop(int sig) {
    spdlog::info("event=stopping signal={}", sig == SIGTERM ? "TERM" : "INT");
    sd_notify(0, "STOPPING=1");
    stopping_ = true;
    for (auto& p : pollers_) p->request_stop();
    for (auto& idle : idles_) idle->stop();
    sender_.request_stop();
    for (auto& t : poll_timers_) t.cancel();
    sender_timer_.cancel();
    deadline_timer_.cancel();
    watchdog_timer_.cancel();
    hup_.cancel();
    database_wake_.cancel();
    if (database_watch_) database_watch_->stop();
    if (metrics_server_) metrics_server_->stop();
    // Work in flight (an IMAP fetch, an SMTP transaction, a batch on the store worker) gets a
    // moment to finish; a batch still committing when it runs out finishes before exit (the
    // worker is joined), and one that never started stays unseen on the server.
    hard_stop_ = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(1500));
    hard_stop_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        spdlog::warn("event=stop-timeout action=abandoning-transfers-in-flight");
        io_.stop();
      }
    });
  }

  void finished() {
    if (--active_ == 0 && stopping_) {
      if (hard_stop_) hard_stop_->cancel();
      io_.stop();
    }
  }

  std::shared_ptr<const Runtime> rt_;
  std::unique_ptr<store::Store> store_;
  std::filesystem::path config_path_;
  asio::io_context io_;
  net::CurlMulti multi_;
  // After io_: destroyed (its thread joined) while the io_context it posts to still exists.
  StoreWorker worker_;
  OutboxSender sender_;
  std::vector<std::unique_ptr<MailboxPoller>> pollers_;
  std::vector<std::size_t> fetched_;  ///< per poller: its index in config.mailboxes (pipe ones have none)
  std::vector<asio::steady_timer> poll_timers_;
  std::vector<bool> poll_wanted_;  ///< per mailbox: poll again as soon as the current poll ends
  std::vector<bool> poll_failing_;  ///< per mailbox: the last poll failed (backing off)
  std::vector<std::unique_ptr<ImapIdle>> idles_;
  asio::steady_timer sender_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_period_{0};
  asio::signal_set hup_;
  Metrics metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<asio::steady_timer> hard_stop_;
  bool stopping_ = false;
  std::unique_ptr<DatabaseWatch> database_watch_;
  asio::steady_timer database_wake_;
  bool database_wake_pending_ = false;
  bool send_wanted_ = false;
  bool sender_unreachable_ = false;  ///< the last drain found no SMTP server: backing off
  int active_ = 0;
  int exit_code_ = kExitOk;
};

}  // namespace

int run_daemon(std::shared_ptr<const Runtime> rt, const RunOptions& options) {
  auto store = store::Store::open(rt->config.service.database.string());
  if (!store) {
    spdlog::error("event=database-unavailable database={} error=\"{}\"", rt->config.service.database.string(),
                  store.error().message);
    return kExitTempFail;
  }
  if ((*store)->read_only()) {
    // SQLite silently falls back to reading a file it may not write, and that connection
    // never writes again, even once the file is fixed: exit, so that systemd's restart
    // (RestartSec) opens it afresh. The mail stays unseen on the server meanwhile.
    spdlog::error("event=database-unavailable database={} error=\"the database can only be read (file owner or "
                  "permissions, an immutable file, a read-only file system)\" action=exit-and-retry-on-restart",
                  rt->config.service.database.string());
    return kExitTempFail;
  }
  // The pollers' own connection, used on the store worker's thread (SQLite connections are
  // not shared between threads here).
  auto ingest_store = store::Store::open(rt->config.service.database.string());
  if (!ingest_store) {
    spdlog::error("event=database-unavailable database={} error=\"{}\"", rt->config.service.database.string(),
                  ingest_store.error().message);
    return kExitTempFail;
  }
  App app(std::move(rt), std::move(*store), std::move(*ingest_store), options.config_path);
  if (options.tick_at) return app.run_tick(*options.tick_at);
  return options.once ? app.run_once() : app.run_forever();
}

}  // namespace complaintd::daemon
