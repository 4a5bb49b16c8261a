#pragma once
// The database work of IMAP polling on a thread of its own, with a connection of its own,
// so that the event loop fetches the next batch while one is parsed, triaged and committed
// (fetch ‖ process ‖ commit; docs/ARCHITECTURE.md, "Threads"). Jobs run one at a time in
// the order given: a batch's commit, then the record of its flagging, then the next batch.
//
// A job's result is handed back on the event loop: everything the coroutines touch stays
// on the loop's thread, and the worker shares nothing with it but the queue.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "daemon/store/store.hpp"

namespace complaintd::daemon {

/// One job's outcome, awaited on the event loop.
template <typename R>
class StoreJob {
 public:
  explicit StoreJob(boost::asio::io_context& io) : signal_(io, boost::asio::steady_timer::time_point::max()) {}

  /// The job's result once it has run; rethrows what it threw.
  boost::asio::awaitable<R> result() {
    while (!done_) {
      boost::system::error_code ec;
      co_await signal_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    if (error_) std::rethrow_exception(error_);
    co_return std::move(*value_);
  }
  [[nodiscard]] bool done() const { return done_; }

 private:
  friend class StoreWorker;
  // Called on the event loop only, so done_ and value_ need no lock.
  void finish(std::optional<R> value, std::exception_ptr error) {
    value_ = std::move(value);
    error_ = std::move(error);
    done_ = true;
    signal_.cancel();
  }

  boost::asio::steady_timer signal_;  // never expires; cancelled to wake the waiter
  bool done_ = false;
  std::optional<R> value_;
  std::exception_ptr error_;
};

class StoreWorker {
 public:
  /// `store` is this worker's own connection (SQLite connections are not shared between
  /// threads here); completions are posted to `io`.
  StoreWorker(boost::asio::io_context& io, std::unique_ptr<store::Store> store);
  /// Finishes the job in hand (a transaction is never cut short by us) and drops the rest:
  /// a batch not committed stays unseen on the server, a record of flagging not written
  /// means flagging once more, so nothing is lost either way.
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  /// Queues `fn` to run on the worker's thread with its store.
  template <typename R>
  std::shared_ptr<StoreJob<R>> start(std::function<R(store::Store&)> fn) {
    auto job = std::make_shared<StoreJob<R>>(io_);
    enqueue([job, fn = std::move(fn), &io = io_](store::Store& s) {
      std::optional<R> value;
      std::exception_ptr error;
      try {
        value.emplace(fn(s));
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::post(io, [job, value = std::move(value), error]() mutable {
        job->finish(std::move(value), error);
      });
    });
    return job;
  }

  /// start() and wait for it.
  template <typename R>
  boost::asio::awaitable<R> run(std::function<R(store::Store&)> fn) {
    auto job = start<R>(std::move(fn));
    co_return co_await job->result();
  }

 private:
  void enqueue(std::function<void(store::Store&)> task);
  void loop();

  boost::asio::io_context& io_;
  std::unique_ptr<store::Store> store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(store::Store&)>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace complaintd::daemon
