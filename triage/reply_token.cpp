#include "triage/reply_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

namespace complaintd::triage {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// HMAC-SHA256 with a context keyed once per thread and secret: HMAC() fetched the
/// algorithm and hashed the key again for every token (20,000 in a tick of 10,000
/// reminders). False when OpenSSL fails here; the caller then uses HMAC().
bool keyed_hmac_sha256(std::string_view secret, std::string_view input, unsigned char* out, std::size_t* length) {
  struct Keyed {
    std::string secret;
    EVP_MAC_CTX* ctx = nullptr;
    Keyed() = default;
    Keyed(const Keyed&) = delete;
    Keyed& operator=(const Keyed&) = delete;
    ~Keyed() { EVP_MAC_CTX_free(ctx); }
  };
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // for the life of the process
  thread_local Keyed keyed;
  if (mac == nullptr || secret.empty()) return false;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (keyed.ctx != nullptr && keyed.secret == secret) {
    // A null key starts again from the key already set.
    if (EVP_MAC_init(keyed.ctx, nullptr, 0, nullptr) == 1 && EVP_MAC_update(keyed.ctx, in, input.size()) == 1 &&
        EVP_MAC_final(keyed.ctx, out, length, EVP_MAX_MD_SIZE) == 1)
      return true;
  }
  EVP_MAC_CTX_free(keyed.ctx);
  keyed.secret.clear();
  keyed.ctx = EVP_MAC_CTX_new(mac);
  if (keyed.ctx == nullptr) return false;
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(keyed.ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1 ||
      EVP_MAC_update(keyed.ctx, in, input.size()) != 1 || EVP_MAC_final(keyed.ctx, out, length, EVP_MAX_MD_SIZE) != 1) {
    EVP_MAC_CTX_free(keyed.ctx);
    keyed.ctx = nullptr;
    return false;
  }
  keyed.secret = std::string(secret);
  return true;
}

/// RFC 4648 base32, lower case, no padding: case-insensitive mail systems cannot break it.
std::string base32(const unsigned char* bytes, std::size_t n, std::size_t chars) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n && out.size() < chars; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 5 && out.size() < chars) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return out;
}

/// Removes RFC 5322 comments "(…)", which Authentication-Results allows anywhere.
std::string without_comments(std::string_view s) {
  std::string out;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (depth == 0) out.push_back(c);
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? lower(address) : lower(address.substr(at + 1));
}

/// `d` is `domain` or a parent of it ("example.org" signs for "mail.example.org").
bool aligned(std::string_view d, std::string_view domain) {
  if (d.empty()) return false;
  if (d == domain) return true;
  return domain.size() > d.size() && domain.ends_with(d) && domain[domain.size() - d.size() - 1] == '.';
}

}  // namespace

std::string reply_mac(std::string_view secret, std::int64_t case_id, std::string_view reference, ReplyRole role,
                      std::string_view recipient) {
  // Versioned and NUL-separated, so no two different tuples hash the same input.
  std::string input = "complaintd-reply-v1";
  for (const std::string& part : {std::to_string(case_id), std::string(reference),
                                  std::string(1, static_cast<char>(role)), lower(trim(recipient))}) {
    input.push_back('\0');
    input += part;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  if (!keyed_hmac_sha256(secret, input, digest.data(), &length)) {
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data(), &n);
    length = n;
  }
  return base32(digest.data(), length, kMacLength);
}

std::string reply_address(std::string_view base_address, char delimiter, const ReplyToken& token) {
  const auto at = base_address.rfind('@');
  if (at == std::string_view::npos) return std::string(base_address);
  return std::string(base_address.substr(0, at)) + delimiter + std::to_string(token.case_id) + "-" +
         static_cast<char>(token.role) + token.mac + std::string(base_address.substr(at));
}

std::optional<ReplyToken> token_in_address(std::string_view address, char delimiter,
                                           const std::vector<std::string>& own) {
  const std::string a = lower(trim(address));
  const auto at = a.rfind('@');
  if (at == std::string::npos) return std::nullopt;
  const auto plus = a.find(delimiter);
  if (plus == std::string::npos || plus > at) return std::nullopt;
  const std::string base = a.substr(0, plus) + a.substr(at);
  if (std::find(own.begin(), own.end(), base) == own.end()) return std::nullopt;

  const std::string_view detail = std::string_view(a).substr(plus + 1, at - plus - 1);
  const auto dash = detail.find('-');
  if (dash == std::string_view::npos || dash == 0 || detail.size() != dash + 2 + kMacLength) return std::nullopt;
  ReplyToken t;
  const auto [end, ec] = std::from_chars(detail.data(), detail.data() + dash, t.case_id);
  if (ec != std::errc{} || end != detail.data() + dash || t.case_id <= 0) return std::nullopt;
  const char role = detail[dash + 1];
  if (role != static_cast<char>(ReplyRole::kHandler) && role != static_cast<char>(ReplyRole::kStaff))
    return std::nullopt;
  t.role = static_cast<ReplyRole>(role);
  t.mac = std::string(detail.substr(dash + 2));
  if (!std::all_of(t.mac.begin(), t.mac.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }))
    return std::nullopt;
  return t;
}

std::vector<ReplyToken> tokens_in(const parser::InboundMessage& msg, char delimiter,
                                  const std::vector<std::string>& own) {
  std::vector<ReplyToken> out;
  auto consider = [&](std::string_view address) {
    if (auto t = token_in_address(address, delimiter, own); t && std::find(out.begin(), out.end(), *t) == out.end())
      out.push_back(*t);
  };
  for (const auto& a : msg.to) consider(a.address);
  for (const auto& a : msg.cc) consider(a.address);
  for (const auto& [name, value] : msg.headers) {
    const std::string n = lower(name);
    if (n != "delivered-to" && n != "x-original-to") continue;
    std::string v = trim(value);
    if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
    consider(v);
  }
  return out;
}

bool token_valid(std::string_view secret, const ReplyToken& token, std::int64_t case_id, std::string_view reference,
                 std::string_view sender) {
  if (secret.empty() || token.case_id != case_id || token.mac.size() != kMacLength) return false;
  const std::string expected = reply_mac(secret, case_id, reference, token.role, sender);
  return CRYPTO_memcmp(expected.data(), token.mac.data(), kMacLength) == 0;
}

bool sender_authenticated(const parser::InboundMessage& msg, std::string_view authserv_id, std::string* why) {
  auto say = [&](std::string s) {
    if (why != nullptr) *why = std::move(s);
  };
  if (!msg.from) {
    say("the message has no From address");
    return false;
  }
  const std::string domain = domain_of(msg.from->address);
  const std::string trusted = lower(authserv_id);
  bool seen = false;
  for (const auto& [name, value] : msg.headers) {
    if (lower(name) != "authentication-results") continue;
    const auto parts = split(without_comments(value), ';');
    if (parts.empty()) continue;
    // "authserv-id [version]"
    const std::string id = lower(parts[0].substr(0, parts[0].find_first_of(" \t")));
    if (id != trusted) continue;
    seen = true;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      std::vector<std::string> words;
      std::string w;
      for (char c : parts[i] + " ") {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!w.empty()) words.push_back(lower(w));
          w.clear();
        } else {
          w.push_back(c);
        }
      }
      if (words.empty()) continue;
      const auto eq = words[0].find('=');
      if (eq == std::string::npos) continue;
      const std::string method = words[0].substr(0, eq), result = words[0].substr(eq + 1);
      if (result != "pass") continue;
      for (std::size_t k = 1; k < words.size(); ++k) {
        const auto peq = words[k].find('=');
        if (peq == std::string::npos) continue;
        const std::string property = words[k].substr(0, peq);
        const std::string v = words[k].substr(peq + 1);
        if (method == "dkim" && (property == "header.d" || property == "header.i") && aligned(domain_of(v), domain)) {
          say("DKIM pass for " + domain_of(v) + " (" + trusted + ")");
          return true;
        }
        if (method == "spf" && (property == "smtp.mailfrom" || property == "smtp.from") && domain_of(v) == domain) {
          say("SPF pass for " + domain + " (" + trusted + ")");
          return true;
        }
      }
    }
  }
  say(seen ? "Authentication-Results from " + trusted + " show neither DKIM nor SPF pass for " + domain
           : "no Authentication-Results from " + trusted);
  return false;
}

}  // namespace complaintd::triage
