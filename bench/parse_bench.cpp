// parser::parse throughput on generated mail: small plain-text complaints, HTML mail (with
// and without its text/plain alternative), and mail with a 5 MB attachment. Reports messages/s (items_per_second) and MB/s
// (bytes_per_second). `parse_bench --write-corpus DIR` writes the same messages as .eml
// files so bench/parse_vs_python.py can time Python's email package on identical input.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/generated_mail.hpp"
#include "parser/parse.hpp"

namespace {

using complaintd::bench::headers;
using complaintd::bench::Lcg;
using complaintd::bench::sentence;
using complaintd::bench::small_text;

// `with_plain`: a text/plain alternative first, as Outlook, Gmail and Apple Mail send HTML
// mail; without it the HTML must be converted to find the text (parser/html_fast.cpp).
std::string html_mail(int n, bool with_plain) {
  Lcg rng{static_cast<std::uint64_t>(n) + 1000};
  std::string html = "<html><head><style>p{margin:0}</style></head><body>";
  std::string plain;
  for (int p = 0; p < 30; ++p) {
    const std::string a = sentence(rng, 20);
    const std::string b = sentence(rng, 10);
    html += "<div><p>" + a + " <a href=\"https://example.test/" + std::to_string(p) + "\">link</a><br>" + b +
            "</p></div>\r\n";
    plain += a + " link <https://example.test/" + std::to_string(p) + ">\r\n" + b + "\r\n\r\n";
  }
  html += "<table><tr><td>Ref</td><td>" + std::to_string(n) + "</td></tr></table></body></html>\r\n";
  std::string raw = headers(rng, n, "multipart/alternative; boundary=\"ALT\"") + "\r\n";
  if (with_plain) {
    raw += "--ALT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + plain;
  }
  return raw + "--ALT\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html +
         "--ALT--\r\n";
}

std::string attachment_mail(int n, std::size_t bytes) {
  Lcg rng{static_cast<std::uint64_t>(n) + 2000};
  std::string raw = headers(rng, n, "multipart/mixed; boundary=\"MIX\"") +
                    "\r\n--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + sentence(rng, 30) +
                    "\r\n--MIX\r\nContent-Type: application/pdf; name=\"evidence.pdf\"\r\n"
                    "Content-Disposition: attachment; filename=\"evidence.pdf\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n";
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t chars = bytes / 3 * 4;
  for (std::size_t i = 0; i < chars; ++i) {
    raw.push_back(kAlphabet[rng.next() % 64]);
    if ((i + 1) % 76 == 0) raw += "\r\n";
  }
  return raw + "\r\n--MIX--\r\n";
}

struct Corpus {
  std::vector<std::string> small, html, html_only, attachment;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    for (int i = 0; i < 200; ++i) out.small.push_back(small_text(i));
    for (int i = 0; i < 100; ++i) out.html.push_back(html_mail(i, true));
    for (int i = 0; i < 100; ++i) out.html_only.push_back(html_mail(i, false));
    for (int i = 0; i < 4; ++i) out.attachment.push_back(attachment_mail(i, 5u * 1024u * 1024u));
    return out;
  }();
  return c;
}

void run(benchmark::State& state, const std::vector<std::string>& messages) {
  std::size_t bytes = 0;
  std::size_t count = 0;
  for (auto _ : state) {
    for (const auto& m : messages) {
      auto parsed = complaintd::parser::parse(m);
      benchmark::DoNotOptimize(parsed);
      bytes += m.size();
      ++count;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_ParseSmallText(benchmark::State& s) { run(s, corpus().small); }
void BM_ParseHtml(benchmark::State& s) { run(s, corpus().html); }
void BM_ParseHtmlOnly(benchmark::State& s) { run(s, corpus().html_only); }
void BM_ParseAttachment5MB(benchmark::State& s) { run(s, corpus().attachment); }
BENCHMARK(BM_ParseSmallText)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseHtml)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseHtmlOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAttachment5MB)->Unit(benchmark::kMillisecond);

int write_corpus(const std::filesystem::path& dir) {
  const auto write = [&](const std::string& kind, const std::vector<std::string>& messages) {
    std::filesystem::create_directories(dir / kind);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      std::ofstream(dir / kind / (std::to_string(i) + ".eml"), std::ios::binary) << messages[i];
    }
  };
  write("small", corpus().small);
  write("html", corpus().html);
  write("html_only", corpus().html_only);
  write("attachment", corpus().attachment);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-corpus") == 0) return write_corpus(argv[2]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
