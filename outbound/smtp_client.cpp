// SMTP submission (RFC 5321) over libcurl on the shared Asio multi handle.
//
// curl does the protocol: EHLO, STARTTLS/AUTH when asked, MAIL FROM (with SIZE= when the
// server offers RFC 1870), one RCPT TO per recipient, DATA with dot-stuffing (RFC 5321
// section 4.5.2) and the final "CRLF.CRLF". We classify the outcome for the outbox: a 5xx
// reply is permanent (RFC 5321 section 4.2.1: "the same request ... will fail again"), a
// 4xx reply or no reply at all is transient and worth a retry with backoff.
//
// Gotcha: curl waits for the reply to the end of DATA inside its "done" step with a
// blocking poll (smtp_done → smtp_block_statemach, still so in curl 8), so the event loop
// stands still until the server has queued the message. CURLOPT_SERVER_RESPONSE_TIMEOUT
// bounds that wait.

#include "outbound/smtp_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <string_view>

namespace complaintd::outbound {

namespace {

constexpr long kConnectTimeoutSeconds = 10;
// RFC 5321 section 4.5.3.2 asks clients for minutes per reply; the blocking wait described
// above makes that unaffordable on the daemon's only thread.
constexpr long kResponseTimeoutSeconds = 60;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

/// The server's replies as curl hands them to CURLOPT_HEADERFUNCTION, one line per call;
/// keeps the last complete (possibly multi-line, "250-...") reply that was not a success.
struct Replies {
  std::string current;
  std::string last_failure;

  void line(std::string_view l) {
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
    if (l.size() < 3) return;
    if (!current.empty()) current += ' ';
    current += l.substr(std::min<std::size_t>(l.size(), 4));
    if (l.size() > 3 && l[3] == '-') return;  // more lines of this reply follow
    if (l[0] == '4' || l[0] == '5') last_failure = std::string(l.substr(0, 3)) + " " + current;
    current.clear();
  }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  const size_t n = size * count;
  static_cast<Replies*>(user)->line(std::string_view(data, n));
  return n;
}

size_t discard(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

/// A mailbox for MAIL FROM / RCPT TO: curl puts it between "<" and ">" verbatim, so CR, LF
/// or angle brackets inside would smuggle SMTP commands (RFC 5321 section 4.1.2 has none).
bool safe_address(std::string_view a) {
  return std::none_of(a.begin(), a.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '<' || c == '>';
  });
}

std::string strip_brackets(std::string_view a) {
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return std::string(a);
}

/// "smtp://host:port" has none; "smtp://host:port/client.example" names the EHLO domain.
bool has_path(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme != std::string::npos && url.find('/', scheme + 3) != std::string::npos;
}

std::string scrub(std::string text, const std::string& secret) {
  if (secret.size() < 4) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

/// smtp://user:pass@host → smtp://host with the credentials moved to the endpoint.
void normalize(SmtpEndpoint& ep) {
  CURLU* u = curl_url();
  if (u == nullptr) return;
  if (curl_url_set(u, CURLUPART_URL, ep.url.c_str(), 0) == CURLUE_OK) {
    char* user = nullptr;
    char* pass = nullptr;
    curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
    curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE);
    if (user != nullptr || pass != nullptr) {
      if (ep.username.empty() && user != nullptr) ep.username = user;
      if (ep.password.empty() && pass != nullptr) ep.password = pass;
      curl_url_set(u, CURLUPART_USER, nullptr, 0);
      curl_url_set(u, CURLUPART_PASSWORD, nullptr, 0);
      char* clean = nullptr;
      if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK) ep.url = clean;
      curl_free(clean);
    }
    curl_free(user);
    curl_free(pass);
  }
  curl_url_cleanup(u);
  while (!ep.url.empty() && ep.url.back() == '/') ep.url.pop_back();
}

}  // namespace

SmtpClient::SmtpClient(net::CurlMulti& multi, SmtpEndpoint endpoint) : multi_(multi), endpoint_(std::move(endpoint)) {
  normalize(endpoint_);
}

boost::asio::awaitable<SmtpOutcome> SmtpClient::send(const std::string& mail_from,
                                                     const std::vector<std::string>& recipients,
                                                     const std::string& raw) {
  SmtpOutcome outcome;
  auto fail_permanently = [&](std::string why) {
    outcome.permanent = true;
    outcome.error = endpoint_.url + ": " + std::move(why);
    return outcome;
  };
  if (recipients.empty()) co_return fail_permanently("no recipients");
  if (!safe_address(mail_from)) co_return fail_permanently("invalid envelope sender");
  CurlSlist rcpt;
  for (const auto& r : recipients) {
    const std::string address = strip_brackets(r);
    if (address.empty() || !safe_address(address)) co_return fail_permanently("invalid recipient address");
    curl_slist* grown = curl_slist_append(rcpt.get(), ("<" + address + ">").c_str());
    if (grown == nullptr) {
      outcome.error = endpoint_.url + ": out of memory";
      co_return outcome;
    }
    (void)rcpt.release();
    rcpt.reset(grown);
  }

  net::CurlEasy easy(curl_easy_init());
  if (!easy) {
    outcome.error = endpoint_.url + ": curl_easy_init failed";
    co_return outcome;
  }
  CURL* h = easy.get();
  Upload upload{raw, 0};
  Replies replies;
  std::array<char, CURL_ERROR_SIZE> error{};
  // An empty MAIL_FROM makes curl send the null reverse-path "MAIL FROM:<>" (RFC 5321
  // section 4.5.5), which bounces and auto-replies must use.
  const std::string from = strip_brackets(mail_from);
  // EHLO names the client (RFC 5321 §4.1.1.1). curl takes the URL path for it, else this
  // host's name, which is often no FQDN (containers) and strict relays refuse that; the
  // sender's domain is what mail clients commonly say.
  std::string url = endpoint_.url;
  if (const auto at = from.rfind('@'); !has_path(url) && at != std::string::npos) {
    const std::string domain = from.substr(at + 1);
    const bool hostname = !domain.empty() && std::all_of(domain.begin(), domain.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
    });
    if (hostname) url += "/" + domain;
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (!endpoint_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  // All or nothing: one refused recipient fails the whole transaction, so a letter is never
  // half delivered and then sent again to everyone on retry.
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 0L);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(raw.size()));
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &replies);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, kResponseTimeoutSeconds);
  // Upload stalls (the DATA phase is a curl "transfer", where these apply).
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, kResponseTimeoutSeconds);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!endpoint_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, endpoint_.ca_file.c_str());
  if (!endpoint_.verify_tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  const CURLcode code = co_await multi_.perform(h);
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  outcome.reply_code = reply;
  if (code == CURLE_OK) {
    outcome.accepted = true;
    co_return outcome;
  }
  // 5xx is the server's final word on this message (unknown user, policy, size). A refused
  // login is a 5xx too, but it is about our configuration, not the letter: retrying after
  // the sysadmin fixes the password must still deliver it.
  outcome.permanent = reply >= 500 && reply <= 599 && code != CURLE_LOGIN_DENIED;
  std::string text = endpoint_.url + ": sending failed: ";
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    text += "cancelled";
  } else {
    text += curl_easy_strerror(code);
    if (error[0] != '\0' && std::strcmp(error.data(), curl_easy_strerror(code)) != 0) {
      text += " (" + std::string(error.data()) + ")";
    }
  }
  if (!replies.last_failure.empty()) text += "; server replied: " + replies.last_failure;
  outcome.error = scrub(std::move(text), endpoint_.password);
  co_return outcome;
}

}  // namespace complaintd::outbound
