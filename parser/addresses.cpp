#include "parser/addresses.hpp"

#include <optional>

#include "parser/encoded_words.hpp"
#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

enum class Kind { kAtom, kQuoted, kComment, kLiteral, kSpecial };

struct Token {
  Kind kind = Kind::kAtom;
  std::string text;  // atom text, quoted/comment content (unescaped), "[literal]", or the special
  bool space_before = false;
};

bool is_special(char c) {
  return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' || c == '@';
}

bool ends_atom(char c) {
  return is_space(c) || is_special(c) || c == '"' || c == '(' || c == ')' || c == '[' || c == ']';
}

// Reads a quoted string or comment body; `open` is at s[i]. Returns the content with
// quoted-pairs resolved; unterminated input runs to the end.
std::string read_delimited(std::string_view s, std::size_t& i, char open, char close) {
  std::string out;
  int depth = 1;
  ++i;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      out.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    ++i;
    if (c == close && --depth == 0) return out;
    if (c == open && open != close) ++depth;
    out.push_back(c);
  }
  return out;
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  bool space = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (is_space(c)) {
      space = true;
      ++i;
      continue;
    }
    Token t;
    t.space_before = space;
    space = false;
    if (c == '"') {
      t.kind = Kind::kQuoted;
      t.text = read_delimited(s, i, '"', '"');
    } else if (c == '(') {
      t.kind = Kind::kComment;
      t.text = read_delimited(s, i, '(', ')');
    } else if (c == '[') {
      t.kind = Kind::kLiteral;
      const std::size_t close = s.find(']', i);
      const std::size_t end = close == std::string_view::npos ? s.size() : close + 1;
      t.text = std::string(s.substr(i, end - i));
      i = end;
    } else if (is_special(c)) {
      t.kind = Kind::kSpecial;
      t.text = std::string(1, c);
      ++i;
    } else if (c == ')' || c == ']') {
      ++i;  // stray closer: nothing to keep
      space = t.space_before;
      continue;
    } else {
      const std::size_t start = i;
      while (i < s.size() && !ends_atom(s[i])) ++i;
      t.kind = Kind::kAtom;
      t.text = std::string(s.substr(start, i - start));
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

bool is_special(const Token& t, char c) { return t.kind == Kind::kSpecial && t.text[0] == c; }

bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;  // RFC 6532 UTF-8
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (const char c : s) {
    if (c == '.' ? prev == '.' : !is_atext(c)) return false;
    prev = c;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

using Span = std::pair<std::size_t, std::size_t>;  // [first, last) token indices

// Builds an addr-spec from tokens, ignoring comments and whitespace (RFC 5322 §4.4 allows
// CFWS around the dots and the '@'). The domain is lower-cased (RFC 5321 §2.4: domains are
// case-insensitive; local parts are not, so they are kept).
std::string addr_spec(const std::vector<Token>& tokens, Span span) {
  std::string out;
  for (std::size_t k = span.first; k < span.second; ++k) {
    const Token& t = tokens[k];
    switch (t.kind) {
      case Kind::kAtom:
      case Kind::kLiteral:
        out += t.text;
        break;
      case Kind::kQuoted:
        out += is_dot_atom(t.text) ? t.text : quote(t.text);
        break;
      case Kind::kSpecial:
        if (t.text[0] == '@') out += '@';
        break;
      case Kind::kComment:
        break;
    }
  }
  if (const auto at = out.rfind('@'); at != std::string::npos) {
    for (std::size_t k = at + 1; k < out.size(); ++k) out[k] = ascii_lower(out[k]);
  }
  return out;
}

// The words of a display name, joined as they were spaced, then RFC 2047-decoded.
std::string phrase(const std::vector<Token>& tokens, Span span, Defects& defects) {
  std::string out;
  for (std::size_t k = span.first; k < span.second; ++k) {
    const Token& t = tokens[k];
    if (t.kind == Kind::kComment) continue;
    if (!out.empty() && t.space_before) out.push_back(' ');
    out += t.text;
  }
  return std::string(trim(decode_encoded_words(out, defects)));
}

std::string comments(const std::vector<Token>& tokens, Span span, Defects& defects) {
  std::string out;
  for (std::size_t k = span.first; k < span.second; ++k) {
    if (tokens[k].kind != Kind::kComment) continue;
    const std::string text(trim(decode_encoded_words(tokens[k].text, defects)));
    if (text.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += text;
  }
  return out;
}

struct Parsed {
  Address address;
  bool bare_phrase = false;  // words without '@' or '<>': maybe half of "Last, First <x@y>"
  std::string bare_text;
  bool angle = false;
};

// One mailbox in tokens[span]: name-addr or addr-spec.
std::optional<Parsed> mailbox(const std::vector<Token>& tokens, Span span, Defects& defects) {
  std::size_t open = span.second;
  for (std::size_t k = span.first; k < span.second; ++k) {
    if (is_special(tokens[k], '<')) {
      open = k;
      break;
    }
  }
  Parsed p;
  if (open < span.second) {
    std::size_t close = open + 1;
    while (close < span.second && !is_special(tokens[close], '>')) ++close;
    std::size_t first = open + 1;
    // RFC 5322 §4.4 obs-route: "<@relay1,@relay2:user@host>" – keep what follows the ':'.
    for (std::size_t k = first; k < close; ++k) {
      if (is_special(tokens[k], ':')) first = k + 1;
    }
    p.angle = true;
    p.address.address = addr_spec(tokens, {first, close});
    p.address.name = phrase(tokens, {span.first, open}, defects);
    if (p.address.name.empty()) p.address.name = comments(tokens, span, defects);
    return p;
  }
  bool any = false;
  bool has_at = false;
  for (std::size_t k = span.first; k < span.second; ++k) {
    if (tokens[k].kind != Kind::kComment) any = true;
    if (is_special(tokens[k], '@')) has_at = true;
  }
  if (!any) return std::nullopt;
  p.address.address = addr_spec(tokens, span);
  p.address.name = comments(tokens, span, defects);
  p.bare_phrase = !has_at;
  if (p.bare_phrase) {
    // A lone word is a local mailbox ("MAILER-DAEMON"); words with spaces, encoded words or
    // non-ASCII are a name someone forgot to give an address.
    p.bare_text = phrase(tokens, span, defects);
    std::size_t words = 0;
    for (std::size_t k = span.first; k < span.second; ++k) words += tokens[k].kind != Kind::kComment ? 1u : 0u;
    bool is_name = words > 1;
    for (const char c : p.bare_text) is_name = is_name || is_space(c) || static_cast<unsigned char>(c) >= 0x80;
    for (std::size_t k = span.first; k < span.second; ++k) {
      is_name = is_name || tokens[k].text.find("=?") != std::string::npos;
    }
    if (is_name) {
      p.address.name = p.bare_text;
      p.address.address.clear();
    } else {
      p.address.address = p.bare_text;
    }
  }
  return p;
}

// End of the element starting at `i`: the next ',' (or ';' when `semicolon_ends`) outside
// angle brackets.
std::size_t element_end(const std::vector<Token>& tokens, std::size_t i, bool semicolon_ends) {
  bool in_angle = false;
  for (; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind != Kind::kSpecial) continue;
    const char c = t.text[0];
    if (c == '<') in_angle = true;
    if (c == '>') in_angle = false;
    if (!in_angle && (c == ',' || (semicolon_ends && c == ';'))) return i;
  }
  return tokens.size();
}

// True when the element at `i` is a group: a ':' comes before any '<', '@', ',' or ';'.
std::optional<std::size_t> group_colon(const std::vector<Token>& tokens, std::size_t i) {
  for (; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind != Kind::kSpecial) continue;
    if (t.text[0] == ':') return i;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Address> parse_address_list(std::string_view value, Defects& defects) {
  const std::vector<Token> tokens = tokenize(value);
  std::vector<Parsed> parsed;
  std::size_t i = 0;
  while (i < tokens.size()) {
    const Token& t = tokens[i];
    if (is_special(t, ',') || is_special(t, ';') || is_special(t, '>')) {
      ++i;
      continue;
    }
    if (const auto colon = group_colon(tokens, i)) {
      // RFC 5322 §3.4 group: display-name ":" [group-list] ";". The name says nothing about
      // a recipient; the members are the addresses.
      i = *colon + 1;
      while (i < tokens.size() && !is_special(tokens[i], ';')) {
        if (is_special(tokens[i], ',')) {
          ++i;
          continue;
        }
        const std::size_t end = element_end(tokens, i, true);
        if (auto p = mailbox(tokens, {i, end}, defects)) parsed.push_back(std::move(*p));
        i = end;
      }
      ++i;  // the ';'
      continue;
    }
    const std::size_t end = element_end(tokens, i, false);
    if (auto p = mailbox(tokens, {i, end}, defects)) parsed.push_back(std::move(*p));
    i = end;
  }

  std::vector<Address> out;
  for (std::size_t k = 0; k < parsed.size(); ++k) {
    Parsed& p = parsed[k];
    // "Smith, John <john@example.test>" without quotes: an unquoted comma split one
    // mailbox in two. Rejoin a bare phrase with the name-addr that follows it.
    if (p.bare_phrase && k + 1 < parsed.size() && parsed[k + 1].angle) {
      Address& next = parsed[k + 1].address;
      next.name = next.name.empty() ? p.bare_text : p.bare_text + ", " + next.name;
      defects.add("unquoted comma in a display name; joined the two halves");
      continue;
    }
    if (p.address.address.empty() && p.address.name.empty()) continue;
    out.push_back(std::move(p.address));
  }
  return out;
}

std::vector<std::string> parse_msg_ids(std::string_view value) {
  std::vector<std::string> ids;
  auto add = [&ids](std::string_view raw) {
    std::string id;
    for (const char c : raw) {
      if (!is_space(c)) id.push_back(c);  // folding inside an id is a sender bug
    }
    if (!id.empty()) ids.push_back(std::move(id));
  };
  std::size_t i = 0;
  bool saw_bracket = false;
  std::size_t next_close = 0;  // cached position of the next '>' (keeps "< < < <" linear)
  while (i < value.size()) {
    const char c = value[i];
    if (c == '(' || c == '"') {
      std::size_t j = i;
      read_delimited(value, j, c, c == '(' ? ')' : '"');
      i = j;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    saw_bracket = true;
    if (next_close != std::string_view::npos && next_close <= i) next_close = value.find('>', i + 1);
    std::size_t end = next_close;
    std::size_t next = end + 1;
    if (end == std::string_view::npos) {
      // Unclosed: the id runs to the next whitespace.
      end = i + 1;
      while (end < value.size() && !is_space(value[end]) && value[end] != '<') ++end;
      next = end;
    }
    add(value.substr(i + 1, end - i - 1));
    i = next;
  }
  if (saw_bracket) return ids;
  // No brackets at all: take the words that look like ids.
  std::size_t start = 0;
  while (start < value.size()) {
    while (start < value.size() && (is_space(value[start]) || value[start] == ',')) ++start;
    std::size_t end = start;
    while (end < value.size() && !is_space(value[end]) && value[end] != ',') ++end;
    const std::string_view word = value.substr(start, end - start);
    if (word.find('@') != std::string_view::npos) add(word);
    start = end;
  }
  return ids;
}

}  // namespace complaintd::parser
