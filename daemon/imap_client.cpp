// IMAP over libcurl (RFC 3501, RFC 9051): every command is a CURLOPT_CUSTOMREQUEST transfer
// on the shared multi handle, which keeps the logged-in connection (and the selected
// mailbox) between commands.
//
// What libcurl 7.88 (Debian 12) does with a custom command's response, measured against
// Dovecot 2.3 -- it shapes everything below:
//  1. Every response line goes to CURLOPT_HEADERFUNCTION, byte for byte. Only lines that
//     *begin* with "* " also go to CURLOPT_WRITEFUNCTION: curl has no notion of literals for
//     custom commands, so the lines of a FETCH literal never reach the write callback. We
//     parse the header stream ourselves, counting literal octets exactly (RFC 3501 §4.3).
//  2. curl ends the command at the first line that begins with its tag ("A004 "), even
//     inside a literal: a message containing the line "A004 OK" cuts the reply short and
//     leaves the connection out of step. When a line that could be a curl tag begins inside
//     a literal, the header callback aborts the transfer (curl then drops the connection).
//  3. Lines longer than half of CURLOPT_BUFFERSIZE lose their middle ("Excessive server
//     response line length received"); the literal count exposes that.
//  4. Debian's fix for CVE-2023-38039 counts every octet curl's line reader reads against a
//     300 kB per-transfer limit ("Too large response headers"), and counts the rest of a
//     read again after each line that begins with "* ". 120 one-line FETCH replies, or a
//     60 kB message with 60 "* bullet" lines, already exceed it.
// Hence: metadata in small batches; each body with BODY.PEEK[] in partial fetches (RFC 3501
// §6.4.5 "<origin.octets>"; several messages in one reply would each add to (4)), with
// smaller parts where one trips; and only then curl's own "UID FETCH n BODY[]" (URL
// ";UID=n"), which reads the literal by its length through curl's transfer engine and so
// escapes 2-4, but sets \Seen: that flag is put back when the message did not have it.

#include "daemon/imap_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <map>
#include <utility>

namespace complaintd::daemon {

namespace {

// ---------------------------------------------------------------------------------------
// Limits

constexpr long kConnectTimeoutSeconds = 10;
constexpr long kResponseTimeoutSeconds = 60;         // per command; curl times the whole reply
constexpr long kOwnFetchTimeoutSeconds = 30 * 60;    // curl's own FETCH of up to ~100 MB
constexpr std::size_t kUidsPerCommand = 500;         // keeps command lines short (RFC 7162 §4)
constexpr std::size_t kUidsPerMove = 100;            // MOVE answers "* n EXPUNGE" per message (4)
constexpr std::size_t kUidsPerMetadata = 40;         // 40 "* n FETCH" lines stay far below (4)
// Partial FETCH sizes, tried in turn where one trips curl. A line can be no longer than the
// part, and each transfer's buffer holds two parts, so no line is ever clipped (3). Against
// (4) a part counts about twice (curl re-reads what follows the "* n FETCH" line) plus its
// size again for each "* " line inside: 128 kB parts pass unless such lines occur, 16 kB
// parts pass a dozen of them, 2 kB parts nearly anything.
constexpr std::array<std::uint64_t, 3> kParts{128 * 1024, 16 * 1024, 2 * 1024};
constexpr int kMaxTrips = 4;
constexpr std::uint32_t kSearchWindow = 10000;       // UIDs per plain SEARCH: reply < 128 kB
constexpr long kSearchBuffer = 256 * 1024;           // so that line is never clipped (3)
constexpr std::uint64_t kMaxLiteral = 1ULL << 30;
constexpr std::size_t kMaxUidsFromSearch = 10'000'000;

// ---------------------------------------------------------------------------------------
// Small string helpers

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <typename Int>
std::optional<Int> parse_number(std::string_view s) {
  Int value{};
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

/// A mailbox name in modified UTF-7 (RFC 3501 section 5.1.3): printable ASCII stands for
/// itself ("&" as "&-"), anything else is UTF-16 in base64 with "," for "/" between "&"
/// and "-". Config files hold UTF-8 names; servers without UTF8=ACCEPT expect this.
std::string mailbox_utf7(std::string_view utf8) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
  std::string out;
  std::vector<std::uint16_t> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (std::uint16_t unit : pending) {
      bits = (bits << 16) | unit;
      nbits += 16;
      while (nbits >= 6) {
        nbits -= 6;
        out += kB64[(bits >> nbits) & 0x3f];
      }
    }
    if (nbits > 0) out += kB64[(bits << (6 - nbits)) & 0x3f];
    out += '-';
    pending.clear();
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c == '&' ? std::string("&-") : std::string(1, static_cast<char>(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; invalid bytes become U+FFFD.
    std::uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    }
    if (len > 1 && i + len <= utf8.size()) {
      std::uint32_t v = c & (0xFFu >> (len + 1));
      bool ok = true;
      for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(utf8[i + k]);
        if ((cc & 0xC0) != 0x80) ok = false;
        v = (v << 6) | (cc & 0x3Fu);
      }
      if (ok) cp = v;
      else len = 1;
    } else if (len > 1) {
      len = 1;
    } else if (c < 0x80) {
      cp = c;  // a control character: encoded like any non-printable
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush();
  return out;
}

/// An IMAP quoted string (RFC 3501 section 9, "quoted"). The input is modified UTF-7, so it
/// holds no CR, LF or 8-bit octets.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

/// "3:7,9" from ascending, unique UIDs (RFC 3501 "sequence-set").
std::string uid_set(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ':' + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::uint32_t> normalized(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::erase(uids, 0U);
  return uids;
}

std::vector<std::vector<std::uint32_t>> chunked(const std::vector<std::uint32_t>& uids, std::size_t n) {
  std::vector<std::vector<std::uint32_t>> out;
  for (std::size_t i = 0; i < uids.size(); i += n) {
    out.emplace_back(uids.begin() + static_cast<std::ptrdiff_t>(i),
                     uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), i + n)));
  }
  return out;
}

/// Expands "1:3,7" into {1,2,3,7}. False when malformed or absurdly large.
bool expand_set(std::string_view set, std::vector<std::uint32_t>& out) {
  while (!set.empty()) {
    const auto comma = set.find(',');
    const std::string_view item = set.substr(0, comma);
    set = comma == std::string_view::npos ? std::string_view{} : set.substr(comma + 1);
    const auto colon = item.find(':');
    auto a = parse_number<std::uint32_t>(item.substr(0, colon));
    auto b = colon == std::string_view::npos ? a : parse_number<std::uint32_t>(item.substr(colon + 1));
    if (!a || !b) return false;
    auto lo = std::min(*a, *b);
    auto hi = std::max(*a, *b);
    if (out.size() + (hi - lo) > kMaxUidsFromSearch) return false;
    for (std::uint64_t v = lo; v <= hi; ++v) out.push_back(static_cast<std::uint32_t>(v));
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The response stream

/// One server response: text with literals between the pieces (text.size() ==
/// literals.size() + 1); the "{n}" markers and the final CRLF are removed.
struct Response {
  std::vector<std::string> text;
  std::vector<std::string> literals;
};

/// Reassembles server responses from the lines curl hands to CURLOPT_HEADERFUNCTION.
class ResponseStream {
 public:
  /// `literals`: false for curl's own FETCH, whose literal goes to the write callback and
  /// whose header stream is lines only.
  explicit ResponseStream(bool literals = true) : literals_(literals) {}

  /// One call of the header callback, which curl makes at the start of each of its lines
  /// (long lines may come in several calls). False: abort the transfer.
  bool feed(std::string_view chunk) {
    if (failed_) return false;
    if (in_literal_ && could_be_curl_tag(chunk)) {
      // curl would take this literal line for its command's completion (see the file
      // comment); stop here so that curl closes the connection instead of desynchronising.
      tag_in_literal_ = true;
      failed_ = true;
      return false;
    }
    std::size_t i = 0;
    while (i < chunk.size()) {
      if (in_literal_) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, chunk.size() - i));
        current_.literals.back().append(chunk.substr(i, n));
        i += n;
        literal_left_ -= n;
        if (literal_left_ == 0) in_literal_ = false;
        continue;
      }
      const auto nl = chunk.find('\n', i);
      if (nl == std::string_view::npos) {
        line_.append(chunk.substr(i));
        break;
      }
      line_.append(chunk.substr(i, nl + 1 - i));
      i = nl + 1;
      if (!end_of_line()) {
        failed_ = true;
        return false;
      }
    }
    return true;
  }

  /// True when everything received formed whole responses.
  [[nodiscard]] bool complete() const { return !failed_ && !in_literal_ && line_.empty() && current_.text.empty(); }
  [[nodiscard]] bool tag_in_literal() const { return tag_in_literal_; }
  [[nodiscard]] bool failed() const { return failed_; }
  std::vector<Response>& responses() { return responses_; }
  [[nodiscard]] const std::vector<Response>& responses() const { return responses_; }
  /// The last tagged NO or BAD without its tag, e.g. "NO [ALREADYEXISTS] Mailbox already
  /// exists" (curl may log out afterwards, which ends with a tagged OK).
  [[nodiscard]] const std::string& last_refusal() const { return last_refusal_; }
  /// The last "* BYE" text (the server closing the connection says why there).
  [[nodiscard]] const std::string& last_bye() const { return last_bye_; }

 private:
  // curl's tags are a letter and three digits ("A004"); a line is taken as the end of the
  // response when it starts with the tag and a space.
  static bool could_be_curl_tag(std::string_view s) {
    if (s.size() < 5 || s[0] < 'A' || s[0] > 'Z') return false;
    std::size_t i = 1;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
    return i >= 4 && i < s.size() && s[i] == ' ';
  }

  bool end_of_line() {
    std::string line = std::move(line_);
    line_.clear();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    // A literal announced at the end of the line: "{n}" (or "~{n}", RFC 3516 literal8).
    if (literals_ && !line.empty() && line.back() == '}') {
      const auto open = line.rfind('{');
      if (open != std::string::npos) {
        const auto digits = std::string_view(line).substr(open + 1, line.size() - open - 2);
        if (auto n = parse_number<std::uint64_t>(digits)) {
          if (*n > kMaxLiteral) return false;
          line.resize(open > 0 && line[open - 1] == '~' ? open - 1 : open);
          current_.text.push_back(std::move(line));
          current_.literals.emplace_back();
          current_.literals.back().reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*n, 64ULL << 20)));
          literal_left_ = *n;
          in_literal_ = *n > 0;
          return true;
        }
      }
    }
    current_.text.push_back(std::move(line));
    Response r = std::move(current_);
    current_ = Response{};
    const std::string& first = r.text.front();
    if (first.starts_with("* ") || first.starts_with("+ ") || first == "+") {
      if (first.size() >= 6 && iequals(std::string_view(first).substr(0, 6), "* BYE ")) last_bye_ = first.substr(6);
      responses_.push_back(std::move(r));
    } else {
      const auto space = first.find(' ');
      std::string status = space == std::string::npos ? std::string() : first.substr(space + 1);
      if (!status.starts_with("OK")) last_refusal_ = std::move(status);
    }
    return true;
  }

  Response current_;
  std::string line_;
  std::uint64_t literal_left_ = 0;
  bool in_literal_ = false;
  bool failed_ = false;
  bool tag_in_literal_ = false;
  std::vector<Response> responses_;
  std::string last_refusal_;
  std::string last_bye_;
  bool literals_ = true;
};

// ---------------------------------------------------------------------------------------
// Tokens of one response

struct Token {
  enum class Kind { Atom, String, Literal, Open, Close };
  Kind kind = Kind::Atom;
  std::string text;         // Atom: as sent; String: unquoted
  std::size_t literal = 0;  // Literal: index into Response::literals
};

bool tokenize(const Response& r, std::vector<Token>& out) {
  for (std::size_t piece = 0; piece < r.text.size(); ++piece) {
    const std::string& s = r.text[piece];
    std::size_t i = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == ' ') {
        ++i;
      } else if (c == '(') {
        out.push_back({Token::Kind::Open, {}, 0});
        ++i;
      } else if (c == ')') {
        out.push_back({Token::Kind::Close, {}, 0});
        ++i;
      } else if (c == '"') {
        std::string value;
        ++i;
        bool closed = false;
        while (i < s.size()) {
          if (s[i] == '\\' && i + 1 < s.size()) {
            value += s[i + 1];
            i += 2;
          } else if (s[i] == '"') {
            ++i;
            closed = true;
            break;
          } else {
            value += s[i++];
          }
        }
        if (!closed) return false;
        out.push_back({Token::Kind::String, std::move(value), 0});
      } else {
        // An atom; "[...]" belongs to it even with spaces inside (BODY[HEADER.FIELDS (A B)]).
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '"') {
          if (s[j] == '[') {
            const auto close = s.find(']', j);
            j = close == std::string::npos ? s.size() : close + 1;
          } else {
            ++j;
          }
        }
        out.push_back({Token::Kind::Atom, s.substr(i, j - i), 0});
        i = j;
      }
    }
    if (piece < r.literals.size()) out.push_back({Token::Kind::Literal, {}, piece});
  }
  return true;
}

/// Skips one value (atom, string, literal or parenthesised list) at t[i].
bool skip_value(const std::vector<Token>& t, std::size_t& i) {
  if (i >= t.size()) return false;
  if (t[i].kind == Token::Kind::Close) return false;
  if (t[i].kind != Token::Kind::Open) {
    ++i;
    return true;
  }
  int depth = 0;
  do {
    if (t[i].kind == Token::Kind::Open) ++depth;
    if (t[i].kind == Token::Kind::Close) --depth;
    ++i;
  } while (depth > 0 && i < t.size());
  return depth == 0;
}

/// Tokens of an untagged response "* NAME ..." or "* n NAME ...", else nothing.
bool untagged(const Response& r, std::string_view name, std::vector<Token>& t) {
  t.clear();
  if (!tokenize(r, t) || t.size() < 2 || t[0].kind != Token::Kind::Atom || t[0].text != "*") return false;
  if (t[1].kind == Token::Kind::Atom && iequals(t[1].text, name)) return true;
  return t.size() >= 3 && t[1].kind == Token::Kind::Atom && parse_number<std::uint32_t>(t[1].text) &&
         t[2].kind == Token::Kind::Atom && iequals(t[2].text, name);
}

struct FetchData {
  std::optional<std::uint32_t> uid;
  std::optional<std::uint64_t> size;
  std::optional<std::string> body;
  std::uint64_t origin = 0;  ///< "BODY[]<origin>" of a partial fetch
  std::vector<std::string> flags;
};

enum class FetchParse { NotFetch, Ok, Malformed };

/// "* n FETCH (item value ...)" (RFC 3501 section 7.4.2), items in any order. The body's
/// literal is moved out of `r`.
FetchParse parse_fetch(Response& r, FetchData& out) {
  std::vector<Token> t;
  if (!untagged(r, "FETCH", t) || t.size() < 4 || !iequals(t[2].text, "FETCH")) return FetchParse::NotFetch;
  std::size_t i = 3;
  if (t[i].kind != Token::Kind::Open) return FetchParse::Malformed;
  ++i;
  while (i < t.size() && t[i].kind != Token::Kind::Close) {
    if (t[i].kind != Token::Kind::Atom || i + 1 >= t.size()) return FetchParse::Malformed;
    const std::string name = upper(t[i].text);
    ++i;
    const Token& v = t[i];
    if (name == "UID") {
      out.uid = v.kind == Token::Kind::Atom ? parse_number<std::uint32_t>(v.text) : std::nullopt;
      if (!out.uid) return FetchParse::Malformed;
      ++i;
    } else if (name == "RFC822.SIZE") {
      out.size = v.kind == Token::Kind::Atom ? parse_number<std::uint64_t>(v.text) : std::nullopt;
      if (!out.size) return FetchParse::Malformed;
      ++i;
    } else if (name == "BODY[]" || name.starts_with("BODY[]<")) {
      if (name != "BODY[]") {
        auto origin = parse_number<std::uint64_t>(std::string_view(name).substr(7, name.size() - 8));
        if (!origin || name.back() != '>') return FetchParse::Malformed;
        out.origin = *origin;
      }
      if (v.kind == Token::Kind::Literal) {
        out.body = std::move(r.literals[v.literal]);
      } else if (v.kind == Token::Kind::String) {
        out.body = v.text;  // a server may send a short body as a quoted string
      } else {
        return FetchParse::Malformed;  // NIL: no message text
      }
      ++i;
    } else if (name == "FLAGS") {
      if (v.kind != Token::Kind::Open) return FetchParse::Malformed;
      ++i;
      while (i < t.size() && t[i].kind == Token::Kind::Atom) out.flags.push_back(upper(t[i++].text));
      if (i >= t.size() || t[i].kind != Token::Kind::Close) return FetchParse::Malformed;
      ++i;
    } else if (!skip_value(t, i)) {
      return FetchParse::Malformed;
    }
  }
  if (i + 1 != t.size()) return FetchParse::Malformed;  // missing or early ")"
  return FetchParse::Ok;
}

std::string scrub(std::string text, const std::string& secret) {
  if (secret.size() < 4) return text;  // too short to tell apart from ordinary words
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

// libcurl callbacks --------------------------------------------------------------------

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* stream = static_cast<ResponseStream*>(user);
  const size_t n = size * count;
  return stream->feed(std::string_view(data, n)) ? n : 0;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  const size_t n = size * count;
  if (user != nullptr) static_cast<std::string*>(user)->append(data, n);
  return n;
}

/// imap://user:pass@host:port/ → imap://host:port, credentials moved to the endpoint (if it
/// has none), so that server() can be logged.
void normalize(ImapEndpoint& ep) {
  if (CURLU* u = curl_url()) {
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
  }
  while (!ep.url.empty() && ep.url.back() == '/') ep.url.pop_back();
}

std::string escape_path(std::string_view folder) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : folder) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct ImapClient::Command {
  Command(std::string folder_, std::string request_) : folder(std::move(folder_)), request(std::move(request_)) {}

  std::string folder;     ///< mailbox to SELECT first (curl skips it when already selected); empty: none
  std::string request;    ///< CURLOPT_CUSTOMREQUEST; empty: curl's own FETCH of `uid`
  std::uint32_t uid = 0;  ///< for curl's own FETCH (URL ";UID=n")
  long buffer_size = 0;   ///< CURLOPT_BUFFERSIZE; 0: curl's default (16 kB)
  long timeout = kResponseTimeoutSeconds;
  bool fresh = false;     ///< CURLOPT_FRESH_CONNECT: a new connection, not the pooled one
};

struct ImapClient::Exchange {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  ResponseStream stream;
  std::string body;  ///< write callback data (curl's own FETCH only)

  /// curl could not carry this reply (see the file comment), though server and login are
  /// fine: worth another way, not an error to report.
  [[nodiscard]] bool tripped_curl() const {
    if (stream.tag_in_literal() || stream.failed()) return true;
    if (code == CURLE_RECV_ERROR && curl_error.find("Too large response headers") != std::string::npos) return true;
    return code == CURLE_OK && !stream.complete();
  }
};

enum class ImapClient::Attempt : int { Done, Gone, Tripped };

struct ImapClient::Part {
  Attempt attempt = Attempt::Tripped;
  std::string data;
};

// GCC 12.2 mishandles some non-trivial temporaries in co_await expressions (seen here: a
// std::string freed from the wrong frame, ASan "bad-free"; see also net/curl_multi.cpp):
// coroutines here take class arguments by reference and callers pass named objects.

ImapClient::ImapClient(net::CurlMulti& multi, ImapEndpoint endpoint) : multi_(multi), endpoint_(std::move(endpoint)) {
  normalize(endpoint_);
}

boost::asio::awaitable<ImapClient::Exchange> ImapClient::exchange(const Command& command) {
  Exchange x;
  x.stream = ResponseStream(!command.request.empty());
  net::CurlEasy easy(curl_easy_init());
  if (!easy) {
    x.code = CURLE_FAILED_INIT;
    co_return std::move(x);
  }
  CURL* h = easy.get();
  std::array<char, CURL_ERROR_SIZE> error{};
  // No mailbox in the path means curl sends the command without a SELECT; STATUS, CREATE,
  // LIST and CAPABILITY need none.
  std::string url = endpoint_.url + "/";
  if (!command.folder.empty()) url += escape_path(mailbox_utf7(command.folder));
  if (command.request.empty()) url += ";UID=" + std::to_string(command.uid);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  if (!endpoint_.username.empty()) curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.username.c_str());
  if (!endpoint_.password.empty()) curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.password.c_str());
  if (!command.request.empty()) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command.request.c_str());
  if (command.fresh) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x.stream);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, command.request.empty() ? &x.body : nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  // curl times a command's whole reply from the moment it was sent (pingpong), and
  // CURLOPT_TIMEOUT bounds everything including connect and login.
  curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, std::min(command.timeout, kResponseTimeoutSeconds));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, command.timeout + 2 * kConnectTimeoutSeconds);
  // Transfer phases (curl's own FETCH literal) that stall for a minute are dead.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, kResponseTimeoutSeconds);
  if (command.buffer_size > 0) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, command.buffer_size);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!endpoint_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, endpoint_.ca_file.c_str());
  if (!endpoint_.verify_tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (endpoint_.verbose) curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

  x.code = co_await multi_.perform(h);
  x.curl_error = error.data();
  co_return std::move(x);
}

std::string ImapClient::failure(std::string_view what, const Exchange& x) const {
  std::string text = endpoint_.url + ": " + std::string(what) + " failed: ";
  if (x.code == CURLE_ABORTED_BY_CALLBACK) {
    text += "cancelled";
  } else if (x.curl_error == "Select failed") {
    text += "cannot select the folder";  // curl reports it as CURLE_LOGIN_DENIED
  } else {
    text += curl_easy_strerror(x.code);
    if (!x.curl_error.empty() && x.curl_error != curl_easy_strerror(x.code)) text += " (" + x.curl_error + ")";
  }
  if (!x.stream.last_refusal().empty()) {
    text += "; server replied: " + x.stream.last_refusal();
  } else if (!x.stream.last_bye().empty()) {
    text += "; server said: BYE " + x.stream.last_bye();
  }
  return scrub(std::move(text), endpoint_.password);
}

boost::asio::awaitable<Result<void>> ImapClient::simple(const std::string& what, const Command& command) {
  const Exchange x = co_await exchange(command);
  if (x.code != CURLE_OK) co_return Error{failure(what, x)};
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> ImapClient::load_capabilities() {
  if (capabilities_) co_return Result<void>{};
  // After login: servers announce more (MOVE, UIDPLUS, ESEARCH) than in their greeting.
  const Command command("", "CAPABILITY");
  const Exchange x = co_await exchange(command);
  if (x.code != CURLE_OK) co_return Error{failure("CAPABILITY", x)};
  std::vector<std::string> caps;
  std::vector<Token> t;
  for (const Response& r : x.stream.responses()) {
    if (!untagged(r, "CAPABILITY", t)) continue;
    for (std::size_t i = 2; i < t.size(); ++i) {
      if (t[i].kind == Token::Kind::Atom) caps.push_back(upper(t[i].text));
    }
  }
  std::erase_if(caps, [&](const std::string& c) {
    return std::any_of(endpoint_.ignore_capabilities.begin(), endpoint_.ignore_capabilities.end(),
                       [&](const std::string& ignored) { return iequals(ignored, c); });
  });
  capabilities_ = std::move(caps);
  co_return Result<void>{};
}

bool ImapClient::has_capability(std::string_view name) const {
  return capabilities_ &&
         std::any_of(capabilities_->begin(), capabilities_->end(), [&](const std::string& c) { return c == name; });
}

boost::asio::awaitable<Result<MailboxStatus>> ImapClient::status() {
  const std::string what = "STATUS " + endpoint_.folder;
  Command command("", "STATUS " + quoted(mailbox_utf7(endpoint_.folder)) + " (UIDVALIDITY UIDNEXT MESSAGES)");
  Exchange x = co_await exchange(command);
  if (x.code == CURLE_RECV_ERROR || x.code == CURLE_SEND_ERROR || x.code == CURLE_GOT_NOTHING) {
    // STATUS opens every poll, after the longest pause: a pooled connection the server has
    // closed meanwhile (a restart's "* BYE", an idle timeout) fails here, although the
    // server may be answering again; once more on a new connection before calling it down.
    command.fresh = true;
    x = co_await exchange(command);
  }
  if (x.code != CURLE_OK) co_return Error{failure(what, x)};
  std::vector<Token> t;
  for (const Response& r : x.stream.responses()) {
    // "* STATUS mailbox (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 1795459467)"; the mailbox may be
    // an atom, a quoted string or a literal.
    if (!untagged(r, "STATUS", t) || t.size() < 4 || t[3].kind != Token::Kind::Open) continue;
    MailboxStatus st;
    bool have_validity = false;
    bool have_next = false;
    for (std::size_t i = 4; i + 1 < t.size() && t[i].kind == Token::Kind::Atom; i += 2) {
      const auto value = parse_number<std::uint32_t>(t[i + 1].text);
      if (!value) break;
      if (iequals(t[i].text, "UIDVALIDITY")) {
        st.uidvalidity = *value;
        have_validity = true;
      } else if (iequals(t[i].text, "UIDNEXT")) {
        st.uidnext = *value;
        have_next = true;
      } else if (iequals(t[i].text, "MESSAGES")) {
        st.messages = *value;
      }
    }
    if (have_validity && have_next) co_return st;
  }
  co_return Error{endpoint_.url + ": " + what + ": no UIDVALIDITY/UIDNEXT in the server's reply"};
}

boost::asio::awaitable<Result<std::vector<std::uint32_t>>> ImapClient::uids_from(std::uint32_t first) {
  first = std::max<std::uint32_t>(first, 1);
  if (auto caps = co_await load_capabilities(); !caps) co_return caps.error();
  const std::string what = "UID SEARCH in " + endpoint_.folder;
  // A connection that has the folder selected searches the view it was last told about:
  // Dovecot announces new mail (EXISTS) at the end of a command, so a SEARCH alone would
  // miss what arrived since. NOOP is the RFC 3501 §6.1.2 way to poll for it.
  const Command noop(endpoint_.folder, "NOOP");
  const std::string noop_what = "NOOP in " + endpoint_.folder;
  if (auto polled = co_await simple(noop_what, noop); !polled) co_return polled.error();

  std::vector<std::uint32_t> uids;
  std::vector<Token> t;
  if (has_capability("ESEARCH")) {
    // RFC 4731: the answer is a compact set ("1:5000"), one short line however many match.
    const Command search(endpoint_.folder, "UID SEARCH RETURN (ALL) UID " + std::to_string(first) + ":*");
    const Exchange x = co_await exchange(search);
    if (x.code != CURLE_OK) co_return Error{failure(what, x)};
    for (const Response& r : x.stream.responses()) {
      if (!untagged(r, "ESEARCH", t)) continue;
      std::size_t i = 2;
      if (i < t.size() && t[i].kind == Token::Kind::Open && !skip_value(t, i)) continue;  // (TAG "A004")
      if (i < t.size() && t[i].kind == Token::Kind::Atom && iequals(t[i].text, "UID")) ++i;
      for (; i + 1 < t.size(); i += 2) {
        if (t[i].kind == Token::Kind::Atom && iequals(t[i].text, "ALL") && !expand_set(t[i + 1].text, uids)) {
          co_return Error{endpoint_.url + ": " + what + ": malformed ESEARCH reply"};
        }
      }
    }
  } else {
    // A plain SEARCH answers on one line: search in windows of UIDs below UIDNEXT so that
    // no answer gets long enough to be clipped or to trip the header limit.
    auto st = co_await status();
    if (!st) co_return st.error();
    const std::uint64_t next = st->uidnext;
    for (std::uint64_t a = first; a < next; a += kSearchWindow) {
      const std::uint64_t b = std::min<std::uint64_t>(a + kSearchWindow - 1, next - 1);
      Command search(endpoint_.folder, "UID SEARCH UID " + std::to_string(a) + ":" + std::to_string(b));
      search.buffer_size = kSearchBuffer;
      const Exchange x = co_await exchange(search);
      if (x.code != CURLE_OK) co_return Error{failure(what, x)};
      for (const Response& r : x.stream.responses()) {
        if (!untagged(r, "SEARCH", t)) continue;
        for (std::size_t i = 2; i < t.size(); ++i) {
          if (t[i].kind != Token::Kind::Atom) continue;  // "(MODSEQ n)" (RFC 7162)
          if (auto uid = parse_number<std::uint32_t>(t[i].text)) uids.push_back(*uid);
        }
      }
    }
  }
  // "n:*" always matches the highest UID, even below n (RFC 3501 §6.4.8).
  std::erase_if(uids, [first](std::uint32_t u) { return u < first; });
  co_return normalized(std::move(uids));
}

boost::asio::awaitable<Result<std::vector<FetchedMessage>>> ImapClient::fetch(
    const std::vector<std::uint32_t>& requested) {
  const std::vector<std::uint32_t> uids = normalized(requested);
  std::vector<FetchedMessage> out;
  if (uids.empty()) co_return std::move(out);

  // \Seen of each message first: what to restore should curl's own FETCH be needed. UIDs
  // that are gone do not answer and are left out.
  std::map<std::uint32_t, bool> seen;
  for (const auto& chunk : chunked(uids, kUidsPerMetadata)) {
    const Command command(endpoint_.folder, "UID FETCH " + uid_set(chunk) + " (UID FLAGS)");
    Exchange x = co_await exchange(command);
    if (x.code != CURLE_OK) co_return Error{failure("UID FETCH (FLAGS) in " + endpoint_.folder, x)};
    for (Response& r : x.stream.responses()) {
      FetchData d;
      if (parse_fetch(r, d) == FetchParse::Ok && d.uid && std::binary_search(chunk.begin(), chunk.end(), *d.uid)) {
        seen[*d.uid] = std::find(d.flags.begin(), d.flags.end(), "\\SEEN") != d.flags.end();
      }
    }
  }

  for (const auto& [uid, was_seen] : seen) {
    auto one = co_await fetch_one(uid, was_seen, out);
    if (!one) co_return one.error();
  }
  std::sort(out.begin(), out.end(), [](const FetchedMessage& a, const FetchedMessage& b) { return a.uid < b.uid; });
  co_return std::move(out);
}

boost::asio::awaitable<Result<ImapClient::Part>> ImapClient::fetch_part(std::uint32_t uid, std::uint64_t origin,
                                                                         std::uint64_t size) {
  const std::string range = "<" + std::to_string(origin) + "." + std::to_string(size) + ">";
  Command command(endpoint_.folder, "UID FETCH " + std::to_string(uid) + " (UID BODY.PEEK[]" + range + ")");
  command.buffer_size = static_cast<long>(2 * size + 16 * 1024);
  Exchange x = co_await exchange(command);
  Part part;
  part.attempt = Attempt::Tripped;
  if (x.tripped_curl()) co_return std::move(part);
  if (x.code != CURLE_OK) co_return Error{failure("UID FETCH " + std::to_string(uid) + " in " + endpoint_.folder, x)};
  std::optional<std::string> data;
  for (Response& r : x.stream.responses()) {
    FetchData d;
    const FetchParse p = parse_fetch(r, d);
    if (p == FetchParse::Malformed) co_return std::move(part);
    if (p != FetchParse::Ok || !d.body || d.uid != uid) continue;
    if (data || d.origin != origin || d.body->size() > size) co_return std::move(part);
    data = std::move(d.body);
  }
  if (!data) {
    // Nothing for this UID: expunged by someone else meanwhile.
    part.attempt = origin == 0 ? Attempt::Gone : Attempt::Tripped;
    co_return std::move(part);
  }
  part.attempt = Attempt::Done;
  part.data = std::move(*data);
  co_return std::move(part);
}

boost::asio::awaitable<Result<void>> ImapClient::fetch_one(std::uint32_t uid, bool was_seen,
                                                           std::vector<FetchedMessage>& out) {
  // BODY.PEEK[]<origin.octets> (RFC 3501 §6.4.5) until a part comes back short. Where a
  // part trips curl, that stretch is fetched in smaller parts, then big ones again; a
  // message that keeps tripping (each trip costs a new connection and login) is fetched
  // with curl's own FETCH instead.
  std::string body;
  std::uint64_t origin = 0;
  std::size_t level = 0;
  std::uint64_t small_until = 0;
  int trips = 0;
  for (;;) {
    if (level > 0 && origin >= small_until) level = 0;
    const std::uint64_t size = kParts[level];
    auto part = co_await fetch_part(uid, origin, size);
    if (!part) co_return part.error();
    if (part->attempt == Attempt::Gone) co_return Result<void>{};
    if (part->attempt == Attempt::Tripped) {
      if (level + 1 < kParts.size() && ++trips <= kMaxTrips) {
        if (level == 0) small_until = origin + kParts[0];
        ++level;
        continue;
      }
      co_return co_await fetch_without_peek(uid, was_seen, out);
    }
    body += part->data;
    if (part->data.size() < size) break;
    origin += size;
    if (origin > kMaxLiteral) co_return co_await fetch_without_peek(uid, was_seen, out);
  }
  out.push_back({uid, std::move(body)});
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> ImapClient::fetch_without_peek(std::uint32_t uid, bool was_seen,
                                                                    std::vector<FetchedMessage>& out) {
  // curl's own "UID FETCH n BODY[]" reads the literal by its length whatever its lines say,
  // but BODY[] sets \Seen (RFC 3501 §6.4.5): put the flag back if the message lacked it.
  const std::string what = "UID FETCH " + std::to_string(uid) + " in " + endpoint_.folder;
  Command command(endpoint_.folder, "");
  command.uid = uid;
  command.timeout = kOwnFetchTimeoutSeconds;
  Exchange x = co_await exchange(command);
  if (x.code == CURLE_REMOTE_FILE_NOT_FOUND) co_return Result<void>{};  // expunged meanwhile
  if (x.code != CURLE_OK) co_return Error{failure(what, x)};
  out.push_back({uid, std::move(x.body)});
  if (!was_seen) {
    // Best effort: the message is safely fetched either way, and \Seen is cosmetic here.
    const Command unseen(endpoint_.folder, "UID STORE " + std::to_string(uid) + " -FLAGS.SILENT (\\Seen)");
    (void)co_await simple(what, unseen);
  }
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> ImapClient::mark_seen(const std::vector<std::uint32_t>& requested) {
  for (const auto& chunk : chunked(normalized(requested), kUidsPerCommand)) {
    const std::string set = uid_set(chunk);
    const Command command(endpoint_.folder, "UID STORE " + set + " +FLAGS.SILENT (\\Seen)");
    const std::string what = command.request + " in " + endpoint_.folder;
    auto r = co_await simple(what, command);
    if (!r) co_return r;
  }
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> ImapClient::ensure_folder(const std::string& folder) {
  if (std::find(known_folders_.begin(), known_folders_.end(), folder) != known_folders_.end()) {
    co_return Result<void>{};
  }
  const std::string name = quoted(mailbox_utf7(folder));
  const Command create("", "CREATE " + name);
  const Exchange x = co_await exchange(create);
  // RFC 5530 ALREADYEXISTS: someone (or an earlier run) made it.
  bool exists = x.code == CURLE_OK || x.stream.last_refusal().find("[ALREADYEXISTS]") != std::string::npos;
  if (!exists && x.code == CURLE_QUOTE_ERROR) {
    // Servers without RFC 5530 response codes just say NO: ask whether it is there.
    const Command list_command("", "LIST \"\" " + name);
    const Exchange list = co_await exchange(list_command);
    std::vector<Token> t;
    exists = list.code == CURLE_OK && std::any_of(list.stream.responses().begin(), list.stream.responses().end(),
                                                  [&](const Response& r) { return untagged(r, "LIST", t); });
  }
  if (!exists) co_return Error{failure("CREATE " + folder, x)};
  known_folders_.push_back(folder);
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> ImapClient::move(const std::vector<std::uint32_t>& requested,
                                                      const std::string& folder) {
  const std::vector<std::uint32_t> uids = normalized(requested);
  if (uids.empty()) co_return Result<void>{};
  if (auto caps = co_await load_capabilities(); !caps) co_return caps;
  if (auto created = co_await ensure_folder(folder); !created) co_return created;
  const std::string target = quoted(mailbox_utf7(folder));
  const bool use_move = has_capability("MOVE");
  for (const auto& chunk : chunked(uids, kUidsPerMove)) {
    const std::string set = uid_set(chunk);
    const Command command(endpoint_.folder, (use_move ? "UID MOVE " : "UID COPY ") + set + " " + target);
    const std::string what = command.request + " from " + endpoint_.folder;
    Exchange x = co_await exchange(command);
    if (x.code != CURLE_OK && x.stream.last_refusal().find("[TRYCREATE]") != std::string::npos) {
      // Deleted behind our back since we created it (RFC 3501 §6.4.7): once more.
      std::erase(known_folders_, folder);
      if (auto created = co_await ensure_folder(folder); !created) co_return created;
      x = co_await exchange(command);
    }
    if (x.code != CURLE_OK) co_return Error{failure(what, x)};
    if (use_move) continue;
    // RFC 6851 §3.3: without MOVE, COPY then STORE \Deleted then expunge. UID EXPUNGE
    // (RFC 4315 UIDPLUS) removes only these; plain EXPUNGE would also remove whatever else
    // is flagged \Deleted, which in a mailbox the daemon owns is acceptable.
    const Command deleted(endpoint_.folder, "UID STORE " + set + " +FLAGS.SILENT (\\Deleted)");
    const std::string deleted_what = deleted.request + " in " + endpoint_.folder;
    auto stored = co_await simple(deleted_what, deleted);
    if (!stored) co_return stored;
    const Command expunge(endpoint_.folder, has_capability("UIDPLUS") ? "UID EXPUNGE " + set : "EXPUNGE");
    const std::string expunge_what = expunge.request + " in " + endpoint_.folder;
    auto expunged = co_await simple(expunge_what, expunge);
    if (!expunged) co_return expunged;
  }
  co_return Result<void>{};
}

std::string imap_mailbox_argument(std::string_view utf8_name) { return quoted(mailbox_utf7(utf8_name)); }

}  // namespace complaintd::daemon
