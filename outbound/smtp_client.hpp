#pragma once
// SMTP submission (RFC 5321) over libcurl on Asio.

#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "net/curl_multi.hpp"

namespace complaintd::outbound {

struct SmtpEndpoint {
  std::string url;       ///< smtp://host:port or smtps://host:port
  std::string username;  ///< empty: no AUTH
  std::string password;  ///< never logged
  std::string ca_file;     ///< extra CA bundle for smtps:// (empty: the system's)
  bool verify_tls = true;  ///< false only for tests with self-signed certificates
};

struct SmtpOutcome {
  bool accepted = false;
  bool permanent = false;  ///< 5xx reply: retrying will not help
  long reply_code = 0;     ///< last SMTP reply code, 0 when no reply (connection failure)
  std::string error;       ///< human-readable, names the server, no secrets
};

class SmtpClient {
 public:
  SmtpClient(net::CurlMulti& multi, SmtpEndpoint endpoint);

  /// Sends `raw` (a complete RFC 5322 message with CRLF line ends) to `recipients` with
  /// envelope sender `mail_from` ("" for the null reverse-path <>).
  boost::asio::awaitable<SmtpOutcome> send(const std::string& mail_from,
                                           const std::vector<std::string>& recipients,
                                           const std::string& raw);

  [[nodiscard]] const std::string& server() const { return endpoint_.url; }

 private:
  net::CurlMulti& multi_;
  SmtpEndpoint endpoint_;
};

}  // namespace complaintd::outbound
