// Every message of the third-party corpus (tests/CMakeLists.txt: COMPLAINTD_CORPUS, kept
// outside the project for licence reasons) must parse without a crash, and yield what any
// reader would find in it.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "parser/parse.hpp"
#include "parser/text_util.hpp"
#include "tests/parser/test_support.hpp"

namespace complaintd::parser {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(COMPLAINTD_CORPUS, ec)) {
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
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

TEST(Corpus, EveryMessageParses) {
  const auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << COMPLAINTD_CORPUS;
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
