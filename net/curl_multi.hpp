#pragma once
// libcurl's multi interface driven by a Boost.Asio io_context: curl tells us which sockets
// to watch (CURLMOPT_SOCKETFUNCTION) and when to time out (CURLMOPT_TIMERFUNCTION); Asio
// waits on them. No transfer ever blocks the event loop (see curl's asiohiper.cpp).

#include <curl/curl.h>

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

namespace complaintd::net {

class CurlMulti {
 public:
  explicit CurlMulti(boost::asio::io_context& io);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  /// Runs one configured easy handle to completion on the io_context and returns its
  /// result. The caller keeps ownership of `easy`. Connections are pooled in the multi
  /// handle, so consecutive IMAP commands to one server reuse one login.
  /// Cancelling the awaiting coroutine (e.g. on shutdown) removes the transfer.
  boost::asio::awaitable<CURLcode> perform(CURL* easy);

  boost::asio::io_context& io();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// RAII owner of a CURL easy handle.
struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

}  // namespace complaintd::net
