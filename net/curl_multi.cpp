// libcurl's multi interface on a Boost.Asio io_context.
//
// The shape follows curl's docs/examples/asiohiper.cpp (CURLMOPT_SOCKETFUNCTION and
// CURLMOPT_TIMERFUNCTION feed Asio waits, every event ends in curl_multi_socket_action),
// with the lifetime bugs of that example fixed:
//  - Sockets: curl opens and closes them through CURLOPT_OPENSOCKETFUNCTION and
//    CURLOPT_CLOSESOCKETFUNCTION, so the Asio descriptor is cancelled and release()d (taken
//    out of epoll) *before* the file descriptor is closed. Closing first would leave epoll
//    watching a number that the next socket() may reuse.
//  - Handlers hold a shared_ptr to the per-socket state and a weak_ptr to the multi, never
//    a raw pointer into a map entry that curl may have erased meanwhile.
//  - Completions are posted, never invoked from inside a curl callback (curl forbids
//    re-entering the multi handle from its callbacks, and the awaiting coroutine may start
//    the next transfer at once).
//  - Readiness is checked with poll() before each wait: Asio's epoll reactor is
//    edge-triggered, and curl does not always read or write until EAGAIN (it reads at most
//    one buffer per call), so data already pending when we start waiting would otherwise
//    produce no new edge and the transfer would stall until curl's next timeout.
//
// Threading: one CurlMulti belongs to one io_context run by one thread (the daemon's
// model). perform() may be called from any thread; it hops onto the io_context first.

#include "net/curl_multi.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace complaintd::net {

namespace asio = boost::asio;

namespace {

void global_init_once() {
  // curl_global_init must run once before any other libcurl call and is not thread-safe
  // in every libcurl build; a function-local static makes the first caller do it exactly
  // once (C++11 guarantees thread-safe initialisation). It is never undone: libcurl may
  // still be in use by other CurlMulti objects until exit.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
}

/// A move-only, type-erased completion handler of signature void(CURLcode). Boost 1.74 has
/// no any_completion_handler, and std::function needs copyable targets.
class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  virtual ~Completion() = default;
  /// Posts the handler with `code` to its associated executor. Call at most once.
  virtual void post(CURLcode code) = 0;
};

template <typename Handler>
class CompletionFor final : public Completion {
 public:
  CompletionFor(Handler handler, const asio::any_io_executor& fallback)
      : handler_(std::move(handler)),
        // Outstanding work on the handler's executor: its io_context::run() must not return
        // while the transfer is in flight, even at an instant when no socket wait is pending.
        work_(asio::prefer(asio::get_associated_executor(handler_, fallback),
                           asio::execution::outstanding_work.tracked)) {}

  void post(CURLcode code) override {
    auto executor = asio::get_associated_executor(handler_, work_);
    asio::post(executor, [handler = std::move(handler_), code]() mutable { std::move(handler)(code); });
  }

 private:
  Handler handler_;
  std::decay_t<decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler, asio::any_io_executor>>(),
                                     asio::execution::outstanding_work.tracked))>
      work_;
};

enum Direction : std::size_t { kIn = 0, kOut = 1 };

constexpr int poll_bit(Direction d) { return d == kIn ? CURL_POLL_IN : CURL_POLL_OUT; }

/// Everything the multi handle needs. Owned by a shared_ptr so that Asio handlers can hold
/// a weak_ptr: a handler that runs after the CurlMulti is gone finds it expired and returns.
class Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(asio::io_context& io) : io_(io), timer_(io) {
    global_init_once();
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Core::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Core::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  ~Core() { shutdown(); }

  asio::io_context& io() { return io_; }

  /// Adds `easy` to the multi handle; `done` is posted when the transfer ends.
  void start(CURL* easy, std::unique_ptr<Completion> done) {
    if (stopping_) {
      done->post(CURLE_ABORTED_BY_CALLBACK);
      return;
    }
    if (transfers_.contains(easy)) {
      done->post(CURLE_BAD_FUNCTION_ARGUMENT);  // the same handle twice at once
      return;
    }
    // Every socket of this transfer is opened and closed through us (see the file comment).
    // curl copies these into each connection it creates, so cached connections keep them
    // after the easy handle is gone; the multi handle (and so this Core) outlives them.
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Core::on_open);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &Core::on_close);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    // No SIGALRM from the resolver: signals belong to the daemon's signal_set.
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    const CURLMcode rc = curl_multi_add_handle(multi_, easy);
    if (rc != CURLM_OK) {
      forget_callbacks(easy);
      done->post(rc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT);
      return;
    }
    transfers_.emplace(easy, std::move(done));
  }

  /// Removes every transfer (their awaiters get CURLE_ABORTED_BY_CALLBACK), closes the
  /// cached connections and stops all waits. Idempotent.
  void shutdown() {
    if (multi_ == nullptr) return;
    stopping_ = true;  // curl calls back while we take it apart: no new waits from here on
    timer_.cancel();
    auto transfers = std::move(transfers_);
    transfers_.clear();
    for (auto& [easy, done] : transfers) {
      // A transfer removed before it finished closes its connection (curl marks it dead,
      // so no LOGOUT/QUIT is attempted on it); the close goes through on_close.
      curl_multi_remove_handle(multi_, easy);
      forget_callbacks(easy);
    }
    CURLM* multi = std::exchange(multi_, nullptr);
    // Closes the idle cached connections (politely: IMAP LOGOUT, SMTP QUIT, which curl does
    // synchronously), again through on_close.
    curl_multi_cleanup(multi);
    // Anything left was not opened by us (e.g. the threaded resolver's socketpair): take it
    // out of Asio without closing it; it is curl's and curl has closed it.
    for (auto& [fd, socket] : sockets_) detach(*socket);
    sockets_.clear();
    for (auto& [easy, done] : transfers) done->post(CURLE_ABORTED_BY_CALLBACK);
  }

 private:
  struct Socket {
    curl_socket_t fd = CURL_SOCKET_BAD;
    std::optional<asio::posix::stream_descriptor> descriptor;  ///< empty once detached
    bool opened_by_us = false;
    int wanted = 0;  ///< CURL_POLL_IN | CURL_POLL_OUT as last told by curl
    std::array<bool, 2> waiting{};            ///< a wait (or posted readiness) is outstanding
    std::array<std::uint64_t, 2> generation{};  ///< bumped by cancel: older completions are stale
  };
  using SocketPtr = std::shared_ptr<Socket>;

  static void forget_callbacks(CURL* easy) {
    // The caller keeps the easy handle; it must not call back into a Core that may be gone.
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, nullptr);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, nullptr);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, nullptr);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, nullptr);
  }

  static void cancel_waits(Socket& s) {
    if (s.descriptor) {
      boost::system::error_code ignored;
      s.descriptor->cancel(ignored);
    }
    for (auto d : {kIn, kOut}) {
      s.waiting[d] = false;
      ++s.generation[d];
    }
  }

  /// Takes the descriptor out of Asio (epoll) without closing the file descriptor.
  static void detach(Socket& s) {
    cancel_waits(s);
    if (s.descriptor) {
      s.descriptor->release();
      s.descriptor.reset();
    }
    s.wanted = 0;
  }

  void erase_socket(curl_socket_t fd) {
    auto it = sockets_.find(fd);
    if (it == sockets_.end()) return;
    detach(*it->second);
    sockets_.erase(it);
  }

  SocketPtr make_socket(curl_socket_t fd, bool opened_by_us) {
    // A stale entry under this number belongs to a socket curl closed without a callback;
    // drop it before registering the new one, or releasing it later would deregister ours.
    erase_socket(fd);
    auto s = std::make_shared<Socket>();
    s->fd = fd;
    s->opened_by_us = opened_by_us;
    s->descriptor.emplace(io_);
    boost::system::error_code ec;
    s->descriptor->assign(fd, ec);
    if (ec) {
      s->descriptor.reset();
      return nullptr;
    }
    sockets_.emplace(fd, s);
    return s;
  }

  // CURLOPT_OPENSOCKETFUNCTION
  static curl_socket_t on_open(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
    auto& self = *static_cast<Core*>(clientp);
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
    // CLOEXEC: the daemon must not leak connections into anything it spawns.
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) return CURL_SOCKET_BAD;
    if (!self.make_socket(fd, true)) {
      ::close(fd);
      return CURL_SOCKET_BAD;
    }
    return fd;
  }

  // CURLOPT_CLOSESOCKETFUNCTION
  static int on_close(void* clientp, curl_socket_t fd) {
    auto& self = *static_cast<Core*>(clientp);
    self.erase_socket(fd);  // out of epoll first ...
    return ::close(fd);     // ... then the number may be reused
  }

  // CURLMOPT_SOCKETFUNCTION
  static int on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* userp, void* /*socketp*/) {
    auto& self = *static_cast<Core*>(userp);
    auto it = self.sockets_.find(fd);
    if (what == CURL_POLL_REMOVE) {
      if (it == self.sockets_.end()) return 0;
      if (it->second->opened_by_us) {
        // Idle in the connection cache, or between phases: stop watching, keep it
        // registered until on_close.
        it->second->wanted = 0;
        cancel_waits(*it->second);
      } else {
        // Not ours: curl may close it right after this call without telling us.
        self.erase_socket(fd);
      }
      return 0;
    }
    if (self.stopping_) return 0;
    SocketPtr s;
    if (it != self.sockets_.end()) {
      s = it->second;
    } else {
      s = self.make_socket(fd, false);
      if (!s) return -1;
    }
    s->wanted = what & (CURL_POLL_IN | CURL_POLL_OUT);
    for (auto d : {kIn, kOut}) {
      if ((s->wanted & poll_bit(d)) != 0 && !s->waiting[d]) self.arm(s, d);
    }
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION
  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* userp) {
    auto& self = *static_cast<Core*>(userp);
    if (self.stopping_) return 0;
    if (timeout_ms < 0) {
      self.timer_.cancel();
      return 0;
    }
    // Also for 0 ("now"): curl must not be re-entered from its own callback, so the
    // timeout action runs from the io_context like any other.
    self.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self.timer_.async_wait([weak = self.weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // re-armed or cancelled
      if (auto core = weak.lock()) core->socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  void arm(const SocketPtr& s, Direction d) {
    s->waiting[d] = true;
    const auto generation = s->generation[d];
    auto on_ready = [weak = weak_from_this(), s, d, generation](const boost::system::error_code& ec) {
      if (auto core = weak.lock()) core->ready(s, d, generation, ec);
    };
    pollfd p{s->fd, static_cast<short>(d == kIn ? POLLIN : POLLOUT), 0};
    if (::poll(&p, 1, 0) > 0) {
      // Ready now (or in error: curl finds out which): no edge will come for this.
      asio::post(io_, [on_ready = std::move(on_ready)]() { on_ready(boost::system::error_code{}); });
      return;
    }
    s->descriptor->async_wait(d == kIn ? asio::posix::stream_descriptor::wait_read
                                       : asio::posix::stream_descriptor::wait_write,
                              std::move(on_ready));
  }

  void ready(const SocketPtr& s, Direction d, std::uint64_t generation, const boost::system::error_code& ec) {
    if (generation != s->generation[d] || !s->descriptor) return;  // cancelled or closed
    s->waiting[d] = false;
    if (multi_ == nullptr || (s->wanted & poll_bit(d)) == 0) return;  // curl lost interest
    const int event = ec ? CURL_CSELECT_ERR : (d == kIn ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
    socket_action(s->fd, event);
    // curl may have closed the socket (descriptor gone) or changed its interest meanwhile;
    // if it still wants this direction and on_socket did not re-arm it, wait again.
    if (s->descriptor && (s->wanted & poll_bit(d)) != 0 && !s->waiting[d]) arm(s, d);
  }

  void socket_action(curl_socket_t fd, int event) {
    if (multi_ == nullptr) return;
    int running = 0;
    // CURLM_BAD_SOCKET only means curl forgot the socket in the meantime.
    curl_multi_socket_action(multi_, fd, event, &running);
    finish_done_transfers();
  }

  void finish_done_transfers() {
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      // Copy before remove_handle: it invalidates msg.
      CURL* easy = msg->easy_handle;
      const CURLcode result = msg->data.result;
      auto it = transfers_.find(easy);
      if (it == transfers_.end()) continue;
      auto done = std::move(it->second);
      transfers_.erase(it);
      curl_multi_remove_handle(multi_, easy);
      forget_callbacks(easy);
      done->post(result);
    }
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  CURLM* multi_ = nullptr;
  bool stopping_ = false;
  std::unordered_map<curl_socket_t, SocketPtr> sockets_;
  std::unordered_map<CURL*, std::unique_ptr<Completion>> transfers_;
};

// Trivially destructible, and passed as a named object, on purpose: GCC 12.2 destroys a
// temporary initiation object given to async_initiate inside co_await one time too many
// (Boost 1.74's use_awaitable initiate() is itself a coroutine taking it by value); with a
// weak_ptr member that corrupted the reference count (ASan: heap-use-after-free).
struct InitiatePerform {
  const std::shared_ptr<Core>* core_of_multi;

  template <typename Handler>
  void operator()(Handler&& handler, CURL* easy) const {
    asio::io_context& io = (*core_of_multi)->io();
    std::weak_ptr<Core> core = *core_of_multi;
    std::unique_ptr<Completion> done =
        std::make_unique<CompletionFor<std::decay_t<Handler>>>(std::forward<Handler>(handler), io.get_executor());
    // Runs inline when called on the io_context's thread (the usual case), else hops there:
    // the multi handle is only ever touched from that thread.
    asio::dispatch(io.get_executor(), [core = std::move(core), easy, done = std::move(done)]() mutable {
      if (auto c = core.lock()) {
        c->start(easy, std::move(done));
      } else {
        done->post(CURLE_ABORTED_BY_CALLBACK);
      }
    });
  }
};

}  // namespace

struct CurlMulti::Impl {
  std::shared_ptr<Core> core;
};

CurlMulti::CurlMulti(boost::asio::io_context& io) : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<Core>(io);
}

CurlMulti::~CurlMulti() {
  // Transfers still in flight are removed and their awaiters resumed (later, from the
  // io_context) with CURLE_ABORTED_BY_CALLBACK, as Asio I/O objects do with
  // operation_aborted. The io_context must outlive this object.
  impl_->core->shutdown();
}

boost::asio::awaitable<CURLcode> CurlMulti::perform(CURL* easy) {
  InitiatePerform initiation{&impl_->core};
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(CURLcode)>(initiation,
                                                                                         asio::use_awaitable, easy);
}

boost::asio::io_context& CurlMulti::io() { return impl_->core->io(); }

}  // namespace complaintd::net
