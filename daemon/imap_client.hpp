#pragma once
// A UID-based IMAP client (RFC 3501/9051) over libcurl on Asio. Every command is a curl
// transfer on the shared multi handle; curl keeps the logged-in connection between them.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "net/curl_multi.hpp"

namespace complaintd::daemon {

struct ImapEndpoint {
  std::string url;       ///< imap://host:port or imaps://host:port (no path)
  std::string username;
  std::string password;  ///< never logged
  std::string folder = "INBOX";
  std::string ca_file;     ///< extra CA bundle for imaps:// (empty: the system's)
  bool verify_tls = true;  ///< false only for tests with self-signed certificates
  bool verbose = false;  ///< CURLOPT_VERBOSE, for debugging only (would print the password)
};

struct MailboxStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
  std::uint32_t messages = 0;
};

struct FetchedMessage {
  std::uint32_t uid = 0;
  std::string raw;  ///< exact bytes of BODY[]
};

class ImapClient {
 public:
  ImapClient(net::CurlMulti& multi, ImapEndpoint endpoint);

  /// STATUS folder (UIDVALIDITY UIDNEXT MESSAGES).
  boost::asio::awaitable<Result<MailboxStatus>> status();
  /// UID SEARCH UID first:* — the UIDs >= first, ascending (IMAP returns the highest UID
  /// for "n:*" even when it is below n; those are filtered out).
  boost::asio::awaitable<Result<std::vector<std::uint32_t>>> uids_from(std::uint32_t first);
  /// UID FETCH set (UID BODY.PEEK[]) — does not set \Seen.
  boost::asio::awaitable<Result<std::vector<FetchedMessage>>> fetch(const std::vector<std::uint32_t>& uids);
  /// UID STORE set +FLAGS.SILENT (\Seen)
  boost::asio::awaitable<Result<void>> mark_seen(const std::vector<std::uint32_t>& uids);
  /// UID MOVE set folder (RFC 6851); creates the folder first when it does not exist.
  boost::asio::awaitable<Result<void>> move(const std::vector<std::uint32_t>& uids, const std::string& folder);

  /// "imap://127.0.0.1:10143" — for log lines; never includes credentials.
  [[nodiscard]] const std::string& server() const { return endpoint_.url; }

 private:
  net::CurlMulti& multi_;
  ImapEndpoint endpoint_;
};

}  // namespace complaintd::daemon
