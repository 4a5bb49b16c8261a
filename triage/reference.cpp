#include "triage/reference.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace complaintd::triage {

ReferenceFormat::ReferenceFormat(std::string format) {
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) tokens_.push_back(Token{Token::Kind::kLiteral, literal, 0});
    literal.clear();
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '{') {
      literal.push_back(format[i]);
      continue;
    }
    const auto close = format.find('}', i);
    if (close == std::string::npos) {
      literal += format.substr(i);
      break;
    }
    const std::string name = format.substr(i + 1, close - i - 1);
    flush();
    if (name == "year") {
      tokens_.push_back(Token{Token::Kind::kYear, {}, 4});
      has_year_ = true;
    } else if (name == "yy") {
      tokens_.push_back(Token{Token::Kind::kYY, {}, 2});
      has_year_ = true;
    } else if (name == "month") {
      tokens_.push_back(Token{Token::Kind::kMonth, {}, 2});
    } else if (name.rfind("seq", 0) == 0) {
      const int width = name.size() == 6 ? name[5] - '0' : 1;
      tokens_.push_back(Token{Token::Kind::kSeq, {}, width});
    } else {
      literal += "{" + name + "}";
    }
    i = close;
  }
  flush();
}

int ReferenceFormat::counter_key(int year) const { return has_year_ ? year : 0; }

std::string ReferenceFormat::format(int year, unsigned month, long long seq) const {
  std::string out;
  char buf[32];
  for (const auto& t : tokens_) {
    switch (t.kind) {
      case Token::Kind::kLiteral: out += t.literal; break;
      case Token::Kind::kYear: std::snprintf(buf, sizeof buf, "%04d", year); out += buf; break;
      case Token::Kind::kYY: std::snprintf(buf, sizeof buf, "%02d", year % 100); out += buf; break;
      case Token::Kind::kMonth: std::snprintf(buf, sizeof buf, "%02u", month); out += buf; break;
      case Token::Kind::kSeq: std::snprintf(buf, sizeof buf, "%0*lld", t.width, seq); out += buf; break;
    }
  }
  return out;
}

bool ReferenceFormat::matches(std::string_view text) const {
  // Formats are short token lists; matching greedily is exact because a {seq} with
  // width w takes w or more digits and literals never start with a digit in practice.
  // Case-insensitive on literals: people retype references.
  std::size_t pos = 0;
  for (std::size_t k = 0; k < tokens_.size(); ++k) {
    const auto& t = tokens_[k];
    if (t.kind == Token::Kind::kLiteral) {
      if (text.size() - pos < t.literal.size()) return false;
      for (std::size_t i = 0; i < t.literal.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) !=
            std::tolower(static_cast<unsigned char>(t.literal[i])))
          return false;
      }
      pos += t.literal.size();
      continue;
    }
    std::size_t digits = 0;
    while (pos + digits < text.size() && std::isdigit(static_cast<unsigned char>(text[pos + digits]))) ++digits;
    if (t.kind == Token::Kind::kSeq) {
      if (digits < static_cast<std::size_t>(t.width) || digits > 12) return false;
      // A following digit-only token would be swallowed; formats put a literal between.
    } else if (digits < static_cast<std::size_t>(t.width)) {
      return false;
    } else {
      digits = static_cast<std::size_t>(t.width);
    }
    pos += digits;
  }
  return pos == text.size();
}

std::vector<std::string> ReferenceFormat::find_tagged(std::string_view text) const {
  std::vector<std::string> found;
  std::size_t pos = 0;
  while ((pos = text.find('[', pos)) != std::string_view::npos) {
    const auto close = text.find(']', pos + 1);
    if (close == std::string_view::npos) break;
    auto inner = text.substr(pos + 1, close - pos - 1);
    // Tolerate "[ CMP-2026-000001 ]" and a trailing token part "[CMP-2026-000001 k7f3]".
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    if (const auto sp = inner.find(' '); sp != std::string_view::npos) inner = inner.substr(0, sp);
    // As written; the store compares references case-insensitively.
    if (matches(inner)) found.emplace_back(inner);
    pos = close + 1;
  }
  return found;
}

std::vector<std::string> ReferenceFormat::find_in_text(std::string_view text, std::size_t limit) const {
  std::vector<std::string> found;
  // A reference is letters, digits and - / _ . (config checks the format), so a token is a
  // run of those; sentence punctuation around it is not part of it.
  auto part = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '/' || c == '_' || c == '.';
  };
  std::size_t i = 0;
  while (i < text.size() && found.size() < limit) {
    while (i < text.size() && !part(text[i])) ++i;
    std::size_t j = i;
    while (j < text.size() && part(text[j])) ++j;
    auto token = text.substr(i, j - i);
    while (!token.empty() && (token.back() == '.' || token.back() == '-' || token.back() == '/')) token.remove_suffix(1);
    if (token.size() >= 3 && std::isdigit(static_cast<unsigned char>(token.back())) && matches(token) &&
        std::find(found.begin(), found.end(), token) == found.end())
      found.emplace_back(token);
    i = j;
  }
  return found;
}

}  // namespace complaintd::triage
