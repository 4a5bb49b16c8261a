#include "outbound/letter.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <kainjow/mustache.hpp>
#include <mutex>
#include <optional>

namespace complaintd::outbound {
namespace {

bool plausible_media_type(std::string_view t) {
  const auto slash = t.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == t.size() || t.size() > 100) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (i == slash) continue;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == '_'))
      return false;
  }
  return true;
}

/// filename="plain.pdf", or RFC 2231 filename*=UTF-8''… when it is not plain ASCII.
std::string filename_parameter(std::string_view name) {
  std::string clean = sanitize_header_text(name, 120);
  if (clean.empty()) clean = "attachment";
  const bool plain = std::all_of(clean.begin(), clean.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f && c != '"' && c != '\\';
  });
  if (plain) return "filename=\"" + clean + "\"";
  std::string out = "filename*=UTF-8''";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : clean) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

/// Base64 (RFC 2045 §6.8) in lines of 76 characters, CRLF after each.
std::string base64_lines(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    const auto b1 = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0U;
    const auto b2 = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0U;
    out.push_back(kAlphabet[b0 >> 2]);
    out.push_back(kAlphabet[((b0 & 3U) << 4) | (b1 >> 4)]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[((b1 & 15U) << 2) | (b2 >> 6)] : '=');
    out.push_back(i + 2 < bytes.size() ? kAlphabet[b2 & 63U] : '=');
    if ((line += 4) >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line > 0) out += "\r\n";
  return out;
}

struct CodePoint {
  std::size_t length = 0;  ///< 0: not valid UTF-8 at this position
  std::uint32_t value = 0;
};

// Decodes one UTF-8 code point at s[i], rejecting overlong forms, surrogates and values
// beyond Unicode.
CodePoint decode_utf8(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return {1, b};
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1Fu; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0Fu; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07u; }
  else return {};
  if (i + n > s.size()) return {};
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {};
  return {n, cp};
}

std::size_t utf8_length(std::string_view s, std::size_t i) { return decode_utf8(s, i).length; }

// Characters that end or break a line somewhere: ASCII and C1 controls, and the Unicode
// line and paragraph separators.
bool breaks_lines(std::uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

bool is_ascii_printable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  return true;
}

constexpr char kHex[] = "0123456789ABCDEF";

// Text that a mail client would decode as an RFC 2047 encoded word ("=?charset?q?…?=")
// must itself be encoded, or a customer who writes "=?utf-8?q?a=0D=0ABcc:…?=" literally
// (double-encoded in their own message) has every recipient's client decode it for them:
// RFC 2047 §5 allows encoded words only where we put them.
bool looks_encoded(std::string_view s) { return s.find("=?") != std::string_view::npos; }

// The longest line of a folded header value whose first line starts at column `first`.
std::size_t longest_line(std::string_view folded, std::size_t first) {
  std::size_t longest = 0;
  std::size_t column = first;
  for (std::size_t i = 0; i < folded.size(); ++i) {
    if (folded[i] == '\r' && i + 1 < folded.size() && folded[i + 1] == '\n') {
      longest = std::max(longest, column);
      column = 0;
      ++i;
      continue;
    }
    ++column;
  }
  return std::max(longest, column);
}

// RFC 5322 §3.6.4 msg-id without its brackets: printable ASCII, no brackets or spaces, one
// line's worth. The customer's Message-ID goes back into In-Reply-To and References; one
// holding anything else is left out (the thread is lost, never the header block).
bool is_safe_msg_id(std::string_view id) {
  if (id.empty() || id.size() > 250) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && c != '<' && c != '>';
  });
}

}  // namespace

std::string sanitize_header_text(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(text.size());
  // Where the last character kept when cutting starts, and how many there are, rather than
  // a vector of each character's offset grown as it went: this runs for every header of
  // every letter.
  std::size_t cut = 0;
  std::size_t chars = 0;
  const auto starts_character = [&] {
    if (max_chars > 0 && chars == max_chars - 1) cut = out.size();
    ++chars;
  };
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto cp = decode_utf8(text, i);
    if (cp.length != 0 && (breaks_lines(cp.value) || cp.value == ' ')) {
      // CR, LF, TAB and every other control become a single space: nothing can end the
      // header line early.
      pending_space = !out.empty();
      i += cp.length;
      continue;
    }
    if (pending_space) {
      starts_character();
      out.push_back(' ');
      pending_space = false;
    }
    starts_character();
    if (cp.length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      ++i;
    } else {
      out.append(text.substr(i, cp.length));
      i += cp.length;
    }
  }
  if (chars > max_chars && max_chars > 0) {
    out.resize(cut);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\xE2\x80\xA6";
  }
  return out;
}

std::string encode_unstructured(std::string_view utf8, std::size_t header_name_length) {
  if (is_ascii_printable(utf8) && !looks_encoded(utf8)) {
    // Fold at spaces so no line exceeds 78 characters (RFC 5322 §2.1.1).
    std::string out;
    std::size_t line = header_name_length + 2;
    std::size_t start = 0;
    while (start < utf8.size()) {
      auto end = utf8.find(' ', start + 1);
      if (end == std::string_view::npos) end = utf8.size();
      const auto word = utf8.substr(start, end - start);
      if (line + word.size() > 78 && !out.empty() && word.front() == ' ') {
        out += "\r\n";
        line = 0;
      }
      out.append(word);
      line += word.size();
      start = end;
    }
    // A word too long to fold (a subject of one 250-character "word") goes as encoded
    // words below, which fold anywhere: no line of ours is longer than 78.
    if (longest_line(out, header_name_length + 2) <= 78) return out;
  }
  // RFC 2047 §2: each encoded word at most 75 characters; split only between whole UTF-8
  // sequences (§5 rule 3: a multi-octet character may not be split across words).
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto b64 = [](std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
      auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
      std::uint32_t v = byte(i) << 16;
      if (i + 1 < in.size()) v |= byte(i + 1) << 8;
      if (i + 2 < in.size()) v |= byte(i + 2);
      out.push_back(kB64[(v >> 18) & 63]);
      out.push_back(kB64[(v >> 12) & 63]);
      out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
      out.push_back(i + 2 < in.size() ? kB64[v & 63] : '=');
    }
    return out;
  };
  std::string out;
  std::size_t i = 0;
  bool first = true;
  while (i < utf8.size()) {
    // Room for base64 on this line: 76 columns less the "=?UTF-8?B??=" wrapper (12) and
    // what precedes the word ("Subject: " on the first line, one space after a fold).
    const std::size_t used = first ? header_name_length + 2 : 1;
    const std::size_t max_raw = (76 - 12 - std::min<std::size_t>(used, 40)) / 4 * 3;
    std::size_t j = i;
    while (j < utf8.size()) {
      std::size_t n = utf8_length(utf8, j);
      if (n == 0) n = 1;
      if (j + n - i > max_raw) break;
      j += n;
    }
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?" + b64(utf8.substr(i, j - i)) + "?=";
    first = false;
    i = j;
  }
  return out;
}

std::string format_mailbox(std::string_view name, std::string_view address) {
  const std::string clean = sanitize_header_text(name, 100);
  const std::string addr = "<" + std::string(address) + ">";
  if (clean.empty()) return addr;
  // Room as in the longest field we write addresses into, "Reply-To: ".
  constexpr std::size_t kField = 8 + 2;
  std::string phrase;
  if (is_ascii_printable(clean) && !looks_encoded(clean)) {
    // RFC 5322 §3.2.4 quoted-string: escape backslash and double quote.
    phrase = "\"";
    for (char c : clean) {
      if (c == '"' || c == '\\') phrase.push_back('\\');
      phrase.push_back(c);
    }
    phrase += "\"";
    // A quoted string cannot be folded safely; one too long for a line goes encoded.
    if (kField + phrase.size() > 78) phrase.clear();
  }
  if (phrase.empty()) phrase = encode_unstructured(clean, kField - 2);
  // The address goes on the phrase's last line when it fits, else on a line of its own.
  const auto nl = phrase.rfind('\n');
  const std::size_t last_line = nl == std::string::npos ? kField + phrase.size() : phrase.size() - nl - 1;
  return phrase + (last_line + 1 + addr.size() > 78 ? "\r\n " : " ") + addr;
}

std::string rfc5322_date(long long unix_seconds) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[static_cast<std::size_t>(tm.tm_wday)],
                tm.tm_mday, kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

namespace {

// Writes through a pointer into room made beforehand, not a push_back (and its capacity
// check) per character: every letter's body passes through here.
void append_quoted_printable(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  // Room for most text (few bytes need encoding); grown when an input byte could overrun it.
  out.resize(start + text.size() + text.size() / 4 + 64);
  char* p = out.data() + start;
  char* end = out.data() + out.size();
  // The most one input byte can add: an encoded byte after a soft break (6), or a line end
  // that re-encodes the space before it after a soft break (8), or the final line end (8).
  constexpr std::ptrdiff_t kMostPerByte = 8;
  auto room = [&] {
    if (end - p >= kMostPerByte) return;
    const auto used = static_cast<std::size_t>(p - out.data());
    out.resize(out.size() * 2 + kMostPerByte);
    p = out.data() + used;
    end = out.data() + out.size();
  };
  std::size_t column = 0;  // characters on the current encoded line
  // Lines stay within 76 characters, the soft break's '=' included (§6.7 rule 5).
  auto soft_break_for = [&](std::size_t width) {
    if (column + width > 75) {
      p[0] = '=';
      p[1] = '\r';
      p[2] = '\n';
      p += 3;
      column = 0;
    }
  };
  auto encoded = [&](unsigned char c) {
    soft_break_for(3);
    p[0] = '=';
    p[1] = kHex[c >> 4];
    p[2] = kHex[c & 15];
    p += 3;
    column += 3;
  };
  auto hard_break = [&] {
    // Trailing whitespace must be encoded or it may be stripped in transit (§6.7 rule 3).
    if (column > 0 && (p[-1] == ' ' || p[-1] == '\t')) {
      const auto c = static_cast<unsigned char>(p[-1]);
      --p;
      --column;
      encoded(c);
    }
    p[0] = '\r';
    p[1] = '\n';
    p += 2;
    column = 0;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    room();
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n') {
      hard_break();
      continue;
    }
    if (!((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t')) {
      encoded(c);
      continue;
    }
    soft_break_for(1);
    // A line that is exactly "." or starts with "From " is safe in QP; encode the first
    // character so that no relay can mangle it (SMTP dot-stuffing bugs, mbox quoting).
    // Checked after any soft break, which starts a line too.
    if (column == 0 && (c == '.' || text.substr(i, 5) == "From ")) {
      encoded(c);
      continue;
    }
    *p++ = static_cast<char>(c);
    ++column;
  }
  room();
  if (column > 0) hard_break();
  out.resize(static_cast<std::size_t>(p - out.data()));
}

}  // namespace

std::string quoted_printable(std::string_view text) {
  std::string out;
  append_quoted_printable(out, text);
  return out;
}

std::string tagged_subject(std::string_view reference, std::string_view customer_subject) {
  std::string clean = sanitize_header_text(customer_subject, 200);
  // Keep one tag: a reply's "Re: [REF] …" should not become "[REF] Re: [REF] …".
  const std::string tag = "[" + std::string(reference) + "]";
  if (clean.find(tag) != std::string::npos) return clean;
  if (clean.empty()) clean = "Your complaint";
  return tag + " " + clean;
}

std::string to_mime(const Letter& l) {
  std::string m;
  // Headers, and the body with its line ends and soft breaks: one allocation for most letters.
  m.reserve(1024 + l.body.size() + l.body.size() / 4 + 64);
  auto header = [&](std::string_view name, const std::string& value) {
    m.append(name);
    m += ": ";
    m += value;
    m += "\r\n";
  };
  header("From", format_mailbox(l.from_name, l.from_address));
  header("To", format_mailbox(l.to_name, l.to_address));
  if (!l.reply_to_address.empty()) header("Reply-To", format_mailbox(l.from_name, l.reply_to_address));
  header("Subject", encode_unstructured(sanitize_header_text(l.subject, 250), 7));
  header("Date", rfc5322_date(l.date_unix));
  header("Message-ID", "<" + l.message_id + ">");
  if (is_safe_msg_id(l.in_reply_to)) header("In-Reply-To", "<" + l.in_reply_to + ">");
  std::string refs;
  for (const auto& r : l.references) {
    if (!is_safe_msg_id(r)) continue;
    if (!refs.empty()) refs += "\r\n ";
    refs += "<" + r + ">";
  }
  if (!refs.empty()) header("References", refs);
  if (l.auto_submitted) {
    // RFC 3834 §5: "auto-replied" answers a message; a reminder or a referral is generated.
    header("Auto-Submitted", l.is_reply ? "auto-replied" : "auto-generated");
    // Microsoft Exchange honours this instead of RFC 3834: no out-of-office back to us.
    header("X-Auto-Response-Suppress", "All");
  }
  header("MIME-Version", "1.0");
  if (l.attachments.empty()) {
    header("Content-Type", "text/plain; charset=UTF-8; format=fixed");
    header("Content-Transfer-Encoding", "quoted-printable");
    m += "\r\n";
    append_quoted_printable(m, l.body);
    return m;
  }
  // "=_" cannot occur in quoted-printable or base64 text, so the boundary never collides.
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(std::hash<std::string>{}(l.message_id)));
  const std::string boundary = std::string("=_complaintd_") + hash;
  header("Content-Type", "multipart/mixed; boundary=\"" + boundary + "\"");
  m += "\r\nThis is a MIME message.\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=UTF-8; format=fixed\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  append_quoted_printable(m, l.body);
  for (const auto& a : l.attachments) {
    m += "\r\n--" + boundary + "\r\n";
    m += "Content-Type: " + (plausible_media_type(a.content_type) ? a.content_type : "application/octet-stream") + "\r\n";
    m += "Content-Disposition: attachment; " + filename_parameter(a.filename) + "\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(a.content);
  }
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

struct LetterTemplate::Parsed {
  std::string name;
  kainjow::mustache::mustache tmpl;
  std::mutex rendering;
  Parsed(std::string n, std::string_view text) : name(std::move(n)), tmpl(std::string(text)) {}
};

namespace {

/// The first partial ({{> name}}) or delimiter change ({{=<% %>=}}) in `text`, if any.
/// A partial's name is looked up among the fields, and mustache renders a string it finds
/// there as a template: {{> subject}} would run the customer's subject as template code
/// (and {{> subject}} inside it recursively, until the stack ran out). Letters have no
/// partials, so none is allowed; a delimiter change is refused so that none can hide.
std::optional<std::string> forbidden_tag(std::string_view text) {
  for (auto at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    auto i = at + 2;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size() && (text[i] == '>' || text[i] == '=')) {
      const auto end = text.find("}}", i);
      return std::string(text.substr(at, end == std::string_view::npos ? 20 : end + 2 - at));
    }
  }
  return std::nullopt;
}

}  // namespace

Result<LetterTemplate> LetterTemplate::compile(std::string name, std::string_view text) {
  if (const auto tag = forbidden_tag(text)) {
    return Error{"letter template " + name + ": " + *tag +
                 " is not allowed: letters have no partials or delimiter changes (a partial's name would be "
                 "looked up among the letter's fields, which carry what the customer wrote)"};
  }
  auto parsed = std::make_shared<Parsed>(std::move(name), text);
  if (!parsed->tmpl.is_valid()) {
    return Error{"letter template " + parsed->name + ": " + parsed->tmpl.error_message()};
  }
  // Letters are plain text: HTML escaping would print "&amp;" to the customer.
  parsed->tmpl.set_custom_escape([](const std::string& s) { return s; });
  return LetterTemplate(std::move(parsed));
}

const std::string& LetterTemplate::name() const { return parsed_->name; }

Result<std::string> LetterTemplate::render(const std::map<std::string, std::string>& fields) const {
  kainjow::mustache::data data;
  // An empty field is false, as in mustache.js: {{#final_stage}} … {{/final_stage}} must
  // be skipped, and {{^final_stage}} rendered, when final_stage is "" (kainjow treats every
  // string, even an empty one, as true). An empty field still renders as nothing.
  for (const auto& [k, v] : fields) {
    if (v.empty()) data.set(k, kainjow::mustache::data{false});
    else data.set(k, v);
  }
  std::string rendered;
  {
    const std::lock_guard lock(parsed_->rendering);
    rendered = parsed_->tmpl.render(data);
    if (!parsed_->tmpl.is_valid()) {
      return Error{"letter template " + parsed_->name + ": " + parsed_->tmpl.error_message()};
    }
  }
  // kainjow keeps the line of a section tag that stands alone, so a skipped section leaves
  // blank lines behind; a letter never needs more than one blank line in a row.
  // Filtered in place: a push_back per character was a fifth of rendering.
  char* kept = rendered.data();
  int newlines = 0;
  for (const char c : rendered) {
    if (c == '\r') continue;
    newlines = c == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) *kept++ = c;
  }
  rendered.resize(static_cast<std::size_t>(kept - rendered.data()));
  return rendered;
}

Result<std::string> render_template(std::string_view template_name, std::string_view template_text,
                                    const std::map<std::string, std::string>& fields) {
  auto tmpl = LetterTemplate::compile(std::string(template_name), template_text);
  if (!tmpl) return tmpl.error();
  return tmpl->render(fields);
}

}  // namespace complaintd::outbound
