#include "parser/charset.hpp"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucsdet.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

// windows-1252 0x80..0x9F. The five holes (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1
// control of the same value, as the WHATWG Encoding Standard does.
constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Labels that browsers and mail clients treat as a superset encoding (WHATWG Encoding
// Standard, "Names and labels"): decoding with the superset never loses text.
struct Alias {
  std::string_view label;
  std::string_view use;
};
constexpr std::array<Alias, 25> kAliases = {{
    {"us-ascii", "windows-1252"},    {"ascii", "windows-1252"},
    {"ansi_x3.4-1968", "windows-1252"}, {"ansi-x3.4-1968", "windows-1252"},
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},   {"iso_8859-1", "windows-1252"},
    {"latin1", "windows-1252"},      {"latin-1", "windows-1252"},
    {"l1", "windows-1252"},          {"cp1252", "windows-1252"},
    {"x-cp1252", "windows-1252"},    {"iso-8859-9", "windows-1254"},
    {"latin5", "windows-1254"},      {"iso-8859-11", "windows-874"},
    {"tis-620", "windows-874"},      {"gb2312", "gb18030"},
    {"gbk", "gb18030"},              {"x-gbk", "gb18030"},
    {"gb_2312-80", "gb18030"},       {"ks_c_5601-1987", "windows-949"},
    {"euc-kr", "windows-949"},       {"utf8", "utf-8"},
    {"unicode-1-1-utf-8", "utf-8"},  {"x-unicode20utf8", "utf-8"},
}};

// Labels that mean "the sender did not know": treat as undeclared, without a defect.
constexpr std::array<std::string_view, 5> kUndeclared = {
    "unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined"};

struct SubstitutionCount {
  std::size_t count = 0;
};

// ICU's default substitution writes U+001A for some single-byte charsets; we want the
// Unicode replacement character everywhere, and to know that it happened.
void U_CALLCONV to_unicode_replace(const void* context, UConverterToUnicodeArgs* args,
                                   const char* /*code_units*/, int32_t /*length*/,
                                   UConverterCallbackReason reason, UErrorCode* err) {
  if (reason > UCNV_IRREGULAR) return;  // reset, close, clone: nothing to substitute
  auto* counter = static_cast<SubstitutionCount*>(const_cast<void*>(context));
  ++counter->count;
  static const UChar kReplacement = 0xFFFD;
  *err = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kReplacement, 1, 0, err);
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

std::string describe(std::string_view context) {
  return context.empty() ? std::string() : " in " + std::string(context);
}

// IANA charset names are short and made of these characters (RFC 2978 §2.3 is wider,
// but no registered name needs more). Anything else never reaches ICU: ucnv_open treats
// ',' as an option separator and a path separator as a request to load a file.
bool plausible_label(std::string_view label) {
  if (label.empty() || label.size() > 40) return false;
  for (const char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == ':' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// Returns false when ICU has no converter for `label`.
bool icu_to_utf8(std::string_view bytes, const std::string& label, std::string& out,
                 std::size_t& substitutions) {
  if (!plausible_label(label)) return false;
  UErrorCode err = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(label.c_str(), &err));
  if (U_FAILURE(err) || !conv) return false;
  SubstitutionCount counter;
  UConverterToUCallback old_cb = nullptr;
  const void* old_ctx = nullptr;
  ucnv_setToUCallBack(conv.get(), to_unicode_replace, &counter, &old_cb, &old_ctx, &err);
  if (U_FAILURE(err)) return false;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max() / 2)) {
    return false;  // cannot happen under ParseLimits; keeps the int32 cast below honest
  }
  icu::UnicodeString text(bytes.data(), static_cast<int32_t>(bytes.size()), conv.get(), err);
  if (U_FAILURE(err)) return false;
  out.clear();
  text.toUTF8String(out);
  substitutions = counter.count;
  return true;
}

struct DetectorCloser {
  void operator()(UCharsetDetector* d) const { ucsdet_close(d); }
};

// What the detector may decide. Multi-byte CJK encodings are checked byte by byte by ICU,
// so a confident answer is reliable even for a short text. Single-byte ones are judged by
// letter statistics, which need text and can confuse neighbours, so they must win clearly.
// Left out: the UTF-16/32 guesses (a mail body is not that), EBCDIC, and the Latin-1
// family, which is the fallback anyway.
enum class Family { kMultiByte, kSingleByte, kNo };

Family family_of(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kMulti = {
      "Shift_JIS", "EUC-JP", "EUC-KR", "GB18030", "Big5", "ISO-2022-JP", "ISO-2022-KR", "ISO-2022-CN"};
  static constexpr std::array<std::string_view, 14> kSingle = {
      "ISO-8859-2", "windows-1250", "ISO-8859-5", "windows-1251", "KOI8-R",     "ISO-8859-6", "windows-1256",
      "ISO-8859-7", "windows-1253", "ISO-8859-8", "ISO-8859-8-I", "windows-1255", "ISO-8859-9", "windows-1254"};
  if (std::find(kMulti.begin(), kMulti.end(), name) != kMulti.end()) return Family::kMultiByte;
  if (std::find(kSingle.begin(), kSingle.end(), name) != kSingle.end()) return Family::kSingleByte;
  return Family::kNo;
}

constexpr int32_t kMultiByteConfidence = 50;
constexpr int32_t kSingleByteConfidence = 30;
constexpr int32_t kSingleByteMargin = 10;    // over the next candidate
constexpr std::size_t kSingleByteMinHigh = 8;  // bytes >= 0x80: fewer is a name, not a language
constexpr std::size_t kSample = 64 * 1024;   // plenty for statistics; bounds the cost

}  // namespace

std::string detect_charset(std::string_view bytes) {
  bytes = bytes.substr(0, kSample);
  const bool escapes = bytes.find('\x1b') != std::string_view::npos;  // ISO-2022 is 7-bit
  if (!escapes && is_valid_utf8(bytes)) return {};
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<UCharsetDetector, DetectorCloser> det(ucsdet_open(&err));
  if (U_FAILURE(err) || !det) return {};
  ucsdet_setText(det.get(), bytes.data(), static_cast<int32_t>(bytes.size()), &err);
  int32_t found = 0;
  const UCharsetMatch** matches = ucsdet_detectAll(det.get(), &found, &err);
  if (U_FAILURE(err) || matches == nullptr || found == 0) return {};
  const char* name = ucsdet_getName(matches[0], &err);
  const int32_t confidence = ucsdet_getConfidence(matches[0], &err);
  if (U_FAILURE(err) || name == nullptr) return {};
  const std::string_view top = name;
  switch (family_of(top)) {
    case Family::kNo:
      return {};
    case Family::kMultiByte:
      if (confidence < kMultiByteConfidence) return {};
      break;
    case Family::kSingleByte: {
      const auto high = static_cast<std::size_t>(
          std::count_if(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
      if (confidence < kSingleByteConfidence || high < kSingleByteMinHigh) return {};
      for (int32_t i = 1; i < found; ++i) {
        const char* other = ucsdet_getName(matches[i], &err);
        if (U_FAILURE(err) || other == nullptr || top == other) continue;
        if (confidence - ucsdet_getConfidence(matches[i], &err) < kSingleByteMargin) return {};
        break;
      }
      break;
    }
  }
  return normalize_charset_label(top);
}

std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out.push_back(ch);
    } else if (b < 0xA0) {
      append_utf8(out, kCp1252High[b - 0x80u]);
    } else {
      append_utf8(out, b);  // 0xA0..0xFF are Latin-1 = U+00A0..U+00FF
    }
  }
  return out;
}

std::string guess_to_utf8(std::string_view bytes, bool* guessed_1252) {
  if (guessed_1252 != nullptr) *guessed_1252 = false;
  if (is_valid_utf8(bytes)) return std::string(bytes);
  if (guessed_1252 != nullptr) *guessed_1252 = true;
  return windows1252_to_utf8(bytes);
}

std::string normalize_charset_label(std::string_view charset) {
  std::string_view label = trim(charset);
  while (!label.empty() && (label.front() == '"' || label.front() == '\'')) label.remove_prefix(1);
  while (!label.empty() && (label.back() == '"' || label.back() == '\'')) label.remove_suffix(1);
  // RFC 2231 §5: a language tag may follow the charset after '*'.
  if (const auto star = label.find('*'); star != std::string_view::npos) label = label.substr(0, star);
  std::string lower = to_lower_ascii(trim(label));
  if (lower.rfind("charset=", 0) == 0) lower.erase(0, 8);  // 'charset="charset=us-ascii"' is seen in the wild
  for (const auto& u : kUndeclared) {
    if (lower == u) return {};
  }
  for (const auto& a : kAliases) {
    if (lower == a.label) return std::string(a.use);
  }
  return lower;
}

std::string charset_to_utf8(std::string_view bytes, std::string_view charset, Defects& defects,
                            std::string_view context) {
  const std::string label = normalize_charset_label(charset);
  if (label.empty()) {
    if (const std::string detected = detect_charset(bytes); !detected.empty()) {
      std::string out;
      std::size_t substitutions = 0;
      if (icu_to_utf8(bytes, detected, out, substitutions)) {
        defects.add("undeclared charset" + describe(context) + " detected as " + detected);
        return out;
      }
    }
    bool guessed = false;
    std::string out = guess_to_utf8(bytes, &guessed);
    if (guessed) defects.add("undeclared 8-bit text" + describe(context) + " decoded as windows-1252");
    return out;
  }
  if (label == "windows-1252") {
    // A "us-ascii" or "iso-8859-1" label on UTF-8 bytes is a common client bug; but an
    // honest Latin-1 text is almost never valid UTF-8, so only the ASCII label is second-guessed.
    const std::string declared = to_lower_ascii(trim(charset));
    const bool ascii_label = declared.find("ascii") != std::string::npos || declared.find("x3.4") != std::string::npos;
    if (ascii_label && is_valid_utf8(bytes)) return std::string(bytes);
    return windows1252_to_utf8(bytes);
  }
  if (label == "utf-8" && is_valid_utf8(bytes)) return std::string(bytes);

  std::string out;
  std::size_t substitutions = 0;
  if (!icu_to_utf8(bytes, label, out, substitutions)) {
    bool guessed = false;
    out = guess_to_utf8(bytes, &guessed);
    defects.add("unknown charset '" + printable_excerpt(label) + "'" + describe(context) + ", decoded as " +
                (guessed ? "windows-1252" : "UTF-8"));
    return out;
  }
  if (substitutions > 0) {
    defects.add("bytes invalid in charset '" + printable_excerpt(label) + "'" + describe(context) +
                " replaced with U+FFFD");
  }
  return out;
}

}  // namespace complaintd::parser
