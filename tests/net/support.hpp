#pragma once
// Helpers for the net tests: run a coroutine to completion, and talk to the IMAP server
// without ImapClient (APPEND, raw commands) so that the client is checked against the
// server, not against itself.

#include <curl/curl.h>

#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "net/curl_multi.hpp"
#include "tests/net/mail_servers.hpp"

namespace complaintd::test {

/// Runs `aw` on `io` until the io_context has no more work; returns its value. (co_spawn's
/// own completion needs a default-constructible value in Boost 1.74, which Result is not.)
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> aw) {
  std::optional<T> value;
  std::exception_ptr error;
  boost::asio::co_spawn(
      io,
      [&value, aw = std::move(aw)]() mutable -> boost::asio::awaitable<void> { value.emplace(co_await std::move(aw)); },
      [&error](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  if (!value) throw std::runtime_error("coroutine did not finish");
  return std::move(*value);
}

inline void run(boost::asio::io_context& io, boost::asio::awaitable<void> aw) {
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(aw), [&error](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

/// What a raw IMAP command got back: curl's result and every response line (the header
/// stream), e.g. "* 1 FETCH (UID 1 FLAGS (\\Seen))".
struct RawReply {
  CURLcode code = CURLE_OK;
  std::string lines;
};

/// Sends `command` as a custom request; `folder` non-empty selects it first.
boost::asio::awaitable<RawReply> raw_imap(net::CurlMulti& multi, const MailServers& s, std::string folder,
                                          std::string command);

/// APPENDs `message` to `folder` byte for byte (curl's IMAP upload).
boost::asio::awaitable<CURLcode> append(net::CurlMulti& multi, const MailServers& s, std::string folder,
                                        std::string message);

/// Creates `folder` (an existing one is fine).
boost::asio::awaitable<void> create_folder(net::CurlMulti& multi, const MailServers& s, std::string folder);

/// A folder name unique to this test and process, e.g. "T1234_FetchIsByteExact".
std::string unique_folder();

/// A simple RFC 5322 message with CRLF line ends.
std::string message(const std::string& subject, const std::string& body);

}  // namespace complaintd::test
