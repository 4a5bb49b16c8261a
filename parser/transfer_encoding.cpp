#include "parser/transfer_encoding.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

constexpr int kNotBase64 = -1;

constexpr std::array<int, 256> make_base64_table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = kNotBase64;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  return t;
}
constexpr std::array<int, 256> kBase64 = make_base64_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;  // lower case is not allowed, but common
  return -1;
}

void set(bool* flag) {
  if (flag != nullptr) *flag = true;
}

}  // namespace

TransferEncoding transfer_encoding_from(std::string_view value) {
  const std::string v = to_lower_ascii(trim(value));
  if (v.empty() || v == "7bit" || v == "8bit" || v == "binary") return TransferEncoding::kIdentity;
  if (v == "quoted-printable") return TransferEncoding::kQuotedPrintable;
  if (v == "base64") return TransferEncoding::kBase64;
  return TransferEncoding::kUnknown;
}

std::string decode_base64(std::string_view in, bool* malformed) {
  if (malformed != nullptr) *malformed = false;
  // Written through a pointer into a buffer sized for the worst case, then trimmed: this
  // loop runs once per byte of every attachment (docs/PERFORMANCE.md).
  std::string out(in.size() / 4 * 3 + 3, '\0');
  char* w = out.data();
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* const end = p + in.size();
  std::uint32_t acc = 0;
  int have = 0;  // sextets in acc
  auto flush_partial = [&]() {
    // 2 sextets carry one byte, 3 carry two; 1 carries nothing and means damage.
    if (have == 1) set(malformed);
    if (have >= 2) *w++ = static_cast<char>((acc >> (have == 2 ? 4 : 10)) & 0xFF);
    if (have == 3) *w++ = static_cast<char>((acc >> 2) & 0xFF);
    acc = 0;
    have = 0;
  };
  while (p < end) {
    // Fast path: four alphabet characters in a row (the body of every encoded line).
    if (have == 0 && end - p >= 4) {
      const int a = kBase64[p[0]], b = kBase64[p[1]], c = kBase64[p[2]], d = kBase64[p[3]];
      if ((a | b | c | d) >= 0) {
        const auto q = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                       (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
        *w++ = static_cast<char>((q >> 16) & 0xFF);
        *w++ = static_cast<char>((q >> 8) & 0xFF);
        *w++ = static_cast<char>(q & 0xFF);
        p += 4;
        continue;
      }
    }
    const unsigned char c = *p++;
    const int v = kBase64[c];
    if (v == kNotBase64) {
      if (c == '=') {
        flush_partial();
      } else if (!is_space(static_cast<char>(c))) {
        set(malformed);
      }
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      *w++ = static_cast<char>((acc >> 16) & 0xFF);
      *w++ = static_cast<char>((acc >> 8) & 0xFF);
      *w++ = static_cast<char>(acc & 0xFF);
      acc = 0;
      have = 0;
    }
  }
  flush_partial();
  out.resize(static_cast<std::size_t>(w - out.data()));
  return out;
}

bool looks_like_base64(std::string_view body) {
  std::size_t lines = 0;
  std::size_t wordy = 0;
  std::size_t pos = 0;
  // The first thousand lines tell prose from base64; reading a 20 MB attachment to the
  // end would only cost time.
  while (pos < body.size() && lines < 1000) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    const std::string_view line = trim(body.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) continue;
    ++lines;
    // A plain loop: find_first_of(" \t") calls memchr once per character.
    if (std::any_of(line.begin(), line.end(), is_wsp)) ++wordy;
  }
  return wordy * 2 <= lines;
}

std::string decode_quoted_printable(std::string_view in, bool* malformed) {
  if (malformed != nullptr) *malformed = false;
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    // One line at a time so that trailing whitespace can be dropped (RFC 2045 §6.7 rule 3).
    std::size_t eol = in.find('\n', i);
    const bool has_newline = eol != std::string_view::npos;
    if (!has_newline) eol = n;
    std::size_t end = eol;
    if (end > i && in[end - 1] == '\r') --end;
    while (end > i && is_wsp(in[end - 1])) --end;
    bool soft_break = false;
    for (std::size_t k = i; k < end; ++k) {
      const char c = in[k];
      if (c != '=') {
        out.push_back(c);
        continue;
      }
      if (k + 1 == end) {  // "=" at end of line: soft line break
        soft_break = true;
        break;
      }
      if (k + 2 < end) {
        const int hi = hex_value(in[k + 1]);
        const int lo = hex_value(in[k + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          k += 2;
          continue;
        }
      }
      set(malformed);
      out.push_back('=');
    }
    if (has_newline && !soft_break) out.append(eol > i && in[eol - 1] == '\r' ? "\r\n" : "\n");
    i = has_newline ? eol + 1 : n;
  }
  return out;
}

std::string decode_q_encoding(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t k = 0; k < in.size(); ++k) {
    const char c = in[k];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && k + 2 < in.size() && hex_value(in[k + 1]) >= 0 && hex_value(in[k + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[k + 1]) * 16 + hex_value(in[k + 2])));
      k += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string decode_transfer(std::string_view in, TransferEncoding encoding, bool* malformed) {
  if (malformed != nullptr) *malformed = false;
  switch (encoding) {
    case TransferEncoding::kQuotedPrintable:
      return decode_quoted_printable(in, malformed);
    case TransferEncoding::kBase64:
      return decode_base64(in, malformed);
    case TransferEncoding::kIdentity:
    case TransferEncoding::kUnknown:
      break;
  }
  return std::string(in);
}

}  // namespace complaintd::parser
