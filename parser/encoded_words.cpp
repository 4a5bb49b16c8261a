#include "parser/encoded_words.hpp"

#include <optional>
#include <vector>

#include "parser/charset.hpp"
#include "parser/text_util.hpp"
#include "parser/transfer_encoding.hpp"

namespace complaintd::parser {
namespace {

struct EncodedWord {
  std::size_t begin = 0;  // offset of "=?"
  std::size_t end = 0;    // one past "?="
  std::string charset;
  std::string bytes;      // decoded octets, still in `charset`
};

// RFC 2047 §2: token characters exclude specials, SPACE and CTLs.
bool is_charset_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7F) return false;
  // '.' is an especial, but real labels such as "ansi_x3.4-1968" contain it.
  return std::string_view("()<>@,;:\"/[]?=").find(c) == std::string_view::npos;
}

// Parses an encoded word starting at `pos` (which holds "=?"). Returns nullopt when the
// text there is not a well-formed encoded word, so that it is left as written.
std::optional<EncodedWord> parse_word(std::string_view s, std::size_t pos) {
  std::size_t i = pos + 2;
  const std::size_t charset_begin = i;
  while (i < s.size() && is_charset_char(s[i])) ++i;
  if (i == charset_begin || i >= s.size() || s[i] != '?') return std::nullopt;
  const std::string_view charset = s.substr(charset_begin, i - charset_begin);
  ++i;
  if (i + 1 >= s.size() || s[i + 1] != '?') return std::nullopt;
  const char encoding = ascii_lower(s[i]);
  if (encoding != 'b' && encoding != 'q') return std::nullopt;
  i += 2;
  const std::size_t text_begin = i;
  // Encoded text is printable ASCII without '?' or space (RFC 2047 §2); it ends at "?=".
  while (i < s.size() && s[i] != '?') {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u <= 0x20 || u >= 0x7F) return std::nullopt;
    ++i;
  }
  if (i + 1 >= s.size() || s[i + 1] != '=') return std::nullopt;
  const std::string_view text = s.substr(text_begin, i - text_begin);

  EncodedWord word;
  word.begin = pos;
  word.end = i + 2;
  word.charset = std::string(charset);
  if (encoding == 'b') {
    bool malformed = false;
    word.bytes = decode_base64(text, &malformed);
    if (malformed) return std::nullopt;
  } else {
    word.bytes = decode_q_encoding(text);
  }
  return word;
}

bool only_whitespace(std::string_view s) {
  for (const char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

}  // namespace

std::string header_bytes_to_utf8(std::string_view raw, Defects& defects, std::string_view header,
                                 std::string_view fallback_charset) {
  if (is_valid_utf8(raw)) return std::string(raw);
  const std::string label = normalize_charset_label(fallback_charset);
  if (!label.empty() && label != "utf-8" && label != "windows-1252") {
    defects.add("8-bit bytes in the " + printable_excerpt(header) + " header are not UTF-8; decoded as " +
                printable_excerpt(label) + ", the message's charset");
    return charset_to_utf8(raw, label, defects, "a header");
  }
  defects.add("8-bit bytes in the " + printable_excerpt(header) +
              " header are not UTF-8; decoded as windows-1252");
  return windows1252_to_utf8(raw);
}

std::string decode_encoded_words(std::string_view text, Defects& defects) {
  if (text.find("=?") == std::string_view::npos) return std::string(text);

  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[0, copied) is already in `out` or consumed
  // A run of adjacent encoded words in one charset, decoded together at flush time.
  std::string pending_bytes;
  std::string pending_charset;
  auto flush = [&]() {
    if (pending_charset.empty() && pending_bytes.empty()) return;
    out += charset_to_utf8(pending_bytes, pending_charset, defects, "an encoded word");
    pending_bytes.clear();
    pending_charset.clear();
  };

  bool previous_was_word = false;
  std::size_t search = 0;
  const std::size_t last_close = text.rfind("?=");
  while (true) {
    const std::size_t pos = text.find("=?", search);
    if (pos == std::string_view::npos) break;
    auto word = parse_word(text, pos);
    if (!word) {
      if (last_close != std::string_view::npos && last_close > pos + 1) {
        defects.add("malformed encoded word left as written");
      }
      search = pos + 1;
      continue;
    }
    const std::string_view between = text.substr(copied, pos - copied);
    const bool joins = previous_was_word && only_whitespace(between);
    if (!joins) {
      flush();
      out.append(between);
    }
    if (!pending_charset.empty() &&
        normalize_charset_label(pending_charset) != normalize_charset_label(word->charset)) {
      flush();
    }
    if (pending_charset.empty()) pending_charset = word->charset;
    pending_bytes += word->bytes;
    previous_was_word = true;
    copied = word->end;
    search = word->end;
  }
  flush();
  out.append(text.substr(copied));
  return out;
}

std::string decode_header_text(std::string_view raw, Defects& defects, std::string_view header,
                               std::string_view fallback_charset) {
  return decode_encoded_words(header_bytes_to_utf8(raw, defects, header, fallback_charset), defects);
}

}  // namespace complaintd::parser
