#pragma once
// A UID-based IMAP client (RFC 3501/9051) over libcurl on Asio. Every command is a curl
// transfer on the shared multi handle; curl keeps the logged-in connection between them.

#include <utility>  // before Boost 1.74's awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  /// Capabilities to treat as not advertised, e.g. {"MOVE"} for a server whose MOVE is
  /// broken: the client then uses the RFC 3501 way (COPY, STORE \Deleted, EXPUNGE).
  std::vector<std::string> ignore_capabilities;
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

/// A mailbox name as an IMAP command argument: modified UTF-7 (RFC 3501 §5.1.3), quoted.
std::string imap_mailbox_argument(std::string_view utf8_name);

class ImapClient {
 public:
  ImapClient(net::CurlMulti& multi, ImapEndpoint endpoint);

  /// STATUS folder (UIDVALIDITY UIDNEXT MESSAGES).
  boost::asio::awaitable<Result<MailboxStatus>> status();
  /// UID SEARCH UID first:* — the UIDs >= first, ascending (IMAP returns the highest UID
  /// for "n:*" even when it is below n; those are filtered out).
  boost::asio::awaitable<Result<std::vector<std::uint32_t>>> uids_from(std::uint32_t first);
  /// UID FETCH set (UID BODY.PEEK[]) — does not set \Seen. Each message comes in partial
  /// fetches (BODY.PEEK[]<origin.octets>); the rare message curl cannot carry that way is
  /// fetched with BODY[] and its \Seen flag put back. Messages expunged meanwhile are absent.
  boost::asio::awaitable<Result<std::vector<FetchedMessage>>> fetch(const std::vector<std::uint32_t>& uids);
  /// UID STORE set +FLAGS.SILENT (\Seen)
  boost::asio::awaitable<Result<void>> mark_seen(const std::vector<std::uint32_t>& uids);
  /// UID MOVE set folder (RFC 6851); creates the folder first when it does not exist.
  boost::asio::awaitable<Result<void>> move(const std::vector<std::uint32_t>& uids, const std::string& folder);

  /// "imap://127.0.0.1:10143" — for log lines; never includes credentials.
  [[nodiscard]] const std::string& server() const { return endpoint_.url; }

 private:
  struct Exchange;  // one curl transfer's outcome (imap_client.cpp)
  struct Command;
  enum class Attempt : int;  // how a PEEK fetch went: done, message gone, or curl could not

  boost::asio::awaitable<Exchange> exchange(const Command& command);
  [[nodiscard]] std::string failure(std::string_view what, const Exchange& x) const;
  boost::asio::awaitable<Result<void>> simple(const std::string& what, const Command& command);
  boost::asio::awaitable<Result<void>> load_capabilities();
  [[nodiscard]] bool has_capability(std::string_view name) const;
  boost::asio::awaitable<Result<void>> ensure_folder(const std::string& folder);
  struct Part;
  boost::asio::awaitable<Result<Part>> fetch_part(std::uint32_t uid, std::uint64_t origin, std::uint64_t size);
  boost::asio::awaitable<Result<void>> fetch_one(std::uint32_t uid, bool was_seen, std::vector<FetchedMessage>& out);
  boost::asio::awaitable<Result<void>> fetch_without_peek(std::uint32_t uid, bool was_seen,
                                                          std::vector<FetchedMessage>& out);

  net::CurlMulti& multi_;
  ImapEndpoint endpoint_;
  std::optional<std::vector<std::string>> capabilities_;  ///< upper-case, after login
  std::vector<std::string> known_folders_;                ///< created or seen to exist
};

}  // namespace complaintd::daemon
