#include "parser/mime_params.hpp"

#include <algorithm>
#include <map>

#include "parser/charset.hpp"
#include "parser/encoded_words.hpp"
#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

// RFC 2045 §5.1 token: any CHAR except SPACE, CTLs and tspecials.
bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7F) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Skips a comment starting at s[i] == '(' (nested, with quoted-pairs); returns the index
// after it. An unterminated comment runs to the end.
std::size_t skip_comment(std::string_view s, std::size_t i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) return i + 1;
    }
  }
  return s.size();
}

// Reads a quoted-string starting at s[i] == '"'; returns the content and sets `i` past it.
std::string read_quoted(std::string_view s, std::size_t& i) {
  std::string out;
  ++i;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      out.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    ++i;
    if (c == '"') return out;
    out.push_back(c);
  }
  return out;  // unterminated: everything up to the end
}

void skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      i = skip_comment(s, i);
    } else {
      break;
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Splits an RFC 2231 extended value "charset'language'text" into charset and text. Values
// without the two quotes are taken as plain percent-encoded text (a common sender mistake).
std::pair<std::string, std::string_view> split_extended(std::string_view v) {
  const std::size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return {std::string(), v};
  const std::size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return {std::string(), v};
  return {std::string(v.substr(0, q1)), v.substr(q2 + 1)};
}

}  // namespace

HeaderValue parse_header_value(std::string_view value) {
  HeaderValue out;
  std::size_t i = 0;
  skip_cfws(value, i);
  // The leading token: "type/subtype" (with optional spaces around '/') or a disposition.
  std::string token;
  while (i < value.size()) {
    const char c = value[i];
    if (c == ';') break;
    if (c == '(') {
      i = skip_comment(value, i);
      continue;
    }
    if (is_space(c)) {
      // Stop at a space unless it sits next to the '/' ("text / plain").
      std::size_t j = i;
      while (j < value.size() && is_space(value[j])) ++j;
      const bool slash_near = (j < value.size() && value[j] == '/') || (!token.empty() && token.back() == '/');
      if (!slash_near) {
        i = j;
        break;
      }
      i = j;
      continue;
    }
    if (c == '=') {  // no media type at all, the value starts with a parameter
      token.clear();
      while (i > 0 && is_token_char(value[i - 1])) --i;
      break;
    }
    token.push_back(ascii_lower(c));
    ++i;
  }
  out.token = std::string(trim(token));

  while (i < value.size()) {
    skip_cfws(value, i);
    if (i < value.size() && value[i] == ';') {
      ++i;
      continue;
    }
    if (i >= value.size()) break;
    // Parameter name.
    std::string name;
    while (i < value.size() && value[i] != '=' && value[i] != ';') {
      if (value[i] == '(') {
        i = skip_comment(value, i);
        continue;
      }
      if (!is_space(value[i])) name.push_back(ascii_lower(value[i]));
      ++i;
    }
    if (i >= value.size() || value[i] == ';') continue;  // a name without '=': ignored
    ++i;  // '='
    skip_cfws(value, i);
    std::string v;
    if (i < value.size() && value[i] == '"') {
      v = read_quoted(value, i);
      // Anything between the closing quote and the next ';' is junk.
      while (i < value.size() && value[i] != ';') ++i;
    } else {
      // Unquoted: up to ';'. A parenthesised run is a comment (RFC 2045 §5.1) only when
      // nothing but space follows it; otherwise it is part of a sloppy unquoted value such
      // as filename=report (1).pdf.
      const std::size_t start = i;
      std::size_t end = value.size();
      while (i < value.size() && value[i] != ';') {
        if (value[i] == '(') {
          const std::size_t after = skip_comment(value, i);
          std::size_t k = after;
          while (k < value.size() && is_space(value[k])) ++k;
          if (k >= value.size() || value[k] == ';') {
            end = i;
            i = k;
            break;
          }
          i = after;  // literal parentheses; jumping over them keeps this linear
          continue;
        }
        ++i;
      }
      if (end == value.size()) end = i;
      v = std::string(trim(value.substr(start, end - start)));
    }
    if (!name.empty()) out.params.push_back({std::move(name), std::move(v)});
  }
  return out;
}

std::optional<std::string> raw_param(const HeaderValue& v, std::string_view name) {
  for (const auto& p : v.params) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

namespace {

struct ExtendedValue {
  std::string charset;  // empty when the sender named none
  std::string bytes;
};

// The RFC 2231 form of `name`, either "name*=" (§4) or continuations "name*0", "name*1*",
// ... in any order (§3; only section 0 may carry the charset). nullopt when neither is there.
std::optional<ExtendedValue> rfc2231_value(const HeaderValue& v, std::string_view name, Defects* defects) {
  const std::string extended = std::string(name) + "*";
  for (const auto& p : v.params) {
    if (p.name == extended) {
      auto [charset, text] = split_extended(p.value);
      return ExtendedValue{std::move(charset), percent_decode(text)};
    }
  }
  std::map<unsigned, const RawParam*> sections;
  for (const auto& p : v.params) {
    if (p.name.size() <= extended.size() || p.name.compare(0, extended.size(), extended) != 0) continue;
    std::string_view rest = std::string_view(p.name).substr(extended.size());
    if (!rest.empty() && rest.back() == '*') rest.remove_suffix(1);
    if (rest.empty() || rest.size() > 4 ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    unsigned index = 0;
    for (const char c : rest) index = index * 10 + static_cast<unsigned>(c - '0');
    sections.emplace(index, &p);  // the first of duplicates wins
  }
  if (sections.empty()) return std::nullopt;
  ExtendedValue out;
  unsigned expected = 0;
  for (const auto& [index, p] : sections) {
    if (index != expected && defects != nullptr) {
      defects->add("RFC 2231 parameter continuation has a gap; joined what was there");
    }
    expected = index + 1;
    const bool encoded = p->name.back() == '*';
    std::string_view text = p->value;
    if (encoded && index == sections.begin()->first) {
      auto [cs, t] = split_extended(text);
      out.charset = std::move(cs);
      text = t;
    }
    out.bytes += encoded ? percent_decode(text) : std::string(text);
  }
  return out;
}

}  // namespace

std::optional<std::string> param_value(const HeaderValue& v, std::string_view name) {
  if (auto plain = raw_param(v, name)) return plain;
  if (auto ext = rfc2231_value(v, name, nullptr)) return std::move(ext->bytes);
  return std::nullopt;
}

std::optional<std::string> text_param(const HeaderValue& v, std::string_view name, Defects& defects) {
  if (auto ext = rfc2231_value(v, name, &defects)) {
    return ext->charset.empty() ? decode_header_text(ext->bytes, defects, "parameter")
                                : charset_to_utf8(ext->bytes, ext->charset, defects, "a parameter");
  }
  if (auto plain = raw_param(v, name)) return decode_header_text(*plain, defects, "parameter");
  return std::nullopt;
}

std::optional<MediaType> parse_media_type(std::string_view token) {
  const std::size_t slash = token.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view type = trim(token.substr(0, slash));
  const std::string_view subtype = trim(token.substr(slash + 1));
  auto valid = [](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), is_token_char);
  };
  if (!valid(type) || !valid(subtype)) return std::nullopt;
  return MediaType{to_lower_ascii(type), to_lower_ascii(subtype)};
}

}  // namespace complaintd::parser
