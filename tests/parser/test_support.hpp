#pragma once
// Helpers shared by the parser tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace complaintd::parser::testing {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string fixture(std::string_view name) {
  return read_file(std::filesystem::path(COMPLAINTD_FIXTURES) / "parser" / name);
}

/// True when some entry of `defects` contains `needle`.
inline bool has_defect(const std::vector<std::string>& defects, std::string_view needle) {
  return std::any_of(defects.begin(), defects.end(),
                     [&](const std::string& d) { return d.find(needle) != std::string::npos; });
}

inline std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "[" + s + "] ";
  return out;
}

}  // namespace complaintd::parser::testing
