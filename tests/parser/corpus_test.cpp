// Every file of the third-party corpus must parse without a crash or an exception, give
// valid UTF-8 in every string, and yield what any reader would find in it. The directory
// is COMPLAINTD_CORPUS_DIR (ctest sets it to ../shared/corpus: tests/parser/CMakeLists.txt);
// the corpus stays outside the project for licence reasons.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <filesystem>
#include <string>
#include <vector>

#include "parser/parse.hpp"
#include "parser/text_util.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  const char* env = std::getenv("COMPLAINTD_CORPUS_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(COMPLAINTD_CORPUS);
}

/// Every regular file (not only .eml: any bytes are a possible message); `eml_only` for
/// the checks that assume a mail message.
std::vector<fs::path> corpus_files(bool eml_only) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(corpus_dir(), ec)) {
    if (!entry.is_regular_file()) continue;
    if (!eml_only || entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every string parse() hands on, with a name for the failure message.
std::vector<std::pair<std::string, const std::string*>> string_fields(const InboundMessage& m) {
  std::vector<std::pair<std::string, const std::string*>> out = {
      {"message_id", &m.message_id}, {"subject", &m.subject},       {"in_reply_to", &m.in_reply_to},
      {"date", &m.date},             {"text", &m.text},             {"reply_text", &m.reply_text},
      {"auto_submitted", &m.auto_submitted}, {"precedence", &m.precedence}, {"list_id", &m.list_id},
      {"content_type", &m.content_type}, {"machine.reason", &m.machine.reason},
      {"needs_person_reason", &m.needs_person_reason}};
  const auto address = [&](const std::string& what, const Address& a) {
    out.emplace_back(what + ".name", &a.name);
    out.emplace_back(what + ".address", &a.address);
  };
  if (m.from) address("from", *m.from);
  if (m.sender) address("sender", *m.sender);
  for (const auto& a : m.reply_to) address("reply_to", a);
  for (const auto& a : m.to) address("to", a);
  for (const auto& a : m.cc) address("cc", a);
  if (m.return_path) out.emplace_back("return_path", &*m.return_path);
  for (const auto& r : m.references) out.emplace_back("references", &r);
  for (const auto& d : m.defects) out.emplace_back("defects", &d);
  for (const auto& [name, value] : m.headers) {
    out.emplace_back("header name", &name);
    out.emplace_back("header " + name, &value);
  }
  for (const auto& [name, value] : m.other_auto_headers) out.emplace_back("auto header " + name, &value);
  for (const auto& a : m.attachments) {
    out.emplace_back("attachment filename", &a.filename);
    out.emplace_back("attachment content_type", &a.content_type);
    out.emplace_back("attachment content_id", &a.content_id);
    out.emplace_back("attachment container", &a.container);
    out.emplace_back("attachment sha256", &a.sha256);
  }
  for (const auto& am : m.attached_messages) {
    out.emplace_back("attached subject", &am.subject);
    out.emplace_back("attached text", &am.text);
    out.emplace_back("attached date", &am.date);
    out.emplace_back("attached message_id", &am.message_id);
    out.emplace_back("attached filename", &am.filename);
    if (am.from) address("attached from", *am.from);
    for (const auto& a : am.to) address("attached to", a);
  }
  return out;
}

// The top-level header section, found the simple way (first empty line).
std::string top_headers(const std::string& raw) {
  std::size_t end = raw.find("\n\n");
  const std::size_t crlf = raw.find("\r\n\r\n");
  if (crlf != std::string::npos && crlf < end) end = crlf;
  return raw.substr(0, end == std::string::npos ? raw.size() : end);
}

bool header_line_has(const std::string& headers, std::string_view name, char must_contain) {
  std::size_t pos = 0;
  while (pos < headers.size()) {
    std::size_t nl = headers.find('\n', pos);
    if (nl == std::string::npos) nl = headers.size();
    const std::string_view line = std::string_view(headers).substr(pos, nl - pos);
    if (istarts_with(line, name) && line.find(must_contain) != std::string_view::npos) return true;
    pos = nl + 1;
  }
  return false;
}

TEST(Corpus, EveryFileParsesToValidUtf8) {
  const auto files = corpus_files(false);
  // Named explicitly (as CI does), the corpus must be there; otherwise it is optional.
  if (std::getenv("COMPLAINTD_CORPUS_DIR") != nullptr) {
    ASSERT_FALSE(files.empty()) << "no files in " << corpus_dir();
  }
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus_dir();
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const std::string raw = testing::read_file(path);
    InboundMessage m;
    ASSERT_NO_THROW(m = parse(raw));
    for (const auto& [what, value] : string_fields(m)) {
      EXPECT_TRUE(is_valid_utf8(*value)) << what << ": " << printable_excerpt(*value);
    }
    for (const auto& a : m.attachments) {
      EXPECT_EQ(a.size, a.content.size());
      EXPECT_EQ(a.sha256.size(), 64u);
    }
    EXPECT_EQ(m.machine.is_machine, !m.machine.reason.empty());
    EXPECT_EQ(m.needs_person, !m.needs_person_reason.empty());
  }
}

TEST(Corpus, EveryMessageParses) {
  const auto files = corpus_files(true);
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus_dir();
  std::size_t checked = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const std::string raw = testing::read_file(path);
    InboundMessage m;
    ASSERT_NO_THROW(m = parse(raw));
    const std::string headers = top_headers(raw);
    if (header_line_has(headers, "Message-ID:", '<')) {
      EXPECT_FALSE(m.message_id.empty());
    }
    if (header_line_has(headers, "From:", '@')) {
      ASSERT_TRUE(m.from.has_value());
      EXPECT_NE(m.from->address.find('@'), std::string::npos) << m.from->address;
    }
    // A text/* message with words in its body must yield text.
    const std::size_t body = raw.size() - std::min(raw.size(), headers.size());
    const bool has_words = trim(std::string_view(raw).substr(raw.size() - body)).size() > 0;
    if (m.content_type.rfind("text/", 0) == 0 && has_words) {
      EXPECT_FALSE(trim(m.text).empty()) << m.content_type;
    }
    EXPECT_EQ(m.text.find('\r'), std::string::npos);
    ++checked;
  }
  EXPECT_GT(checked, 100u);
}

}  // namespace
}  // namespace complaintd::parser
