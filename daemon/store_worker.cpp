#include "daemon/store_worker.hpp"

#include <pthread.h>

namespace complaintd::daemon {

StoreWorker::StoreWorker(boost::asio::io_context& io, std::unique_ptr<store::Store> store)
    : io_(io), store_(std::move(store)), thread_([this] { loop(); }) {}

StoreWorker::~StoreWorker() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void StoreWorker::enqueue(std::function<void(store::Store&)> task) {
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void StoreWorker::loop() {
  // Named, so that `top -H` and `perf report --sort comm` tell it from the event loop.
  pthread_setname_np(pthread_self(), "store-worker");
  for (;;) {
    std::function<void(store::Store&)> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(*store_);
  }
}

}  // namespace complaintd::daemon
