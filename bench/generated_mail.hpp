#pragma once
// The generated mail of the benchmarks: the same messages every run, so numbers compare.
// small_text is a plain-text complaint of about 1.9 KB with the headers a real one carries
// and a quoted reply, which parse_bench parses and triage_bench also triages.

#include <cstdint>
#include <string>

namespace complaintd::bench {

// A linear congruential generator: deterministic and the same on every platform.
struct Lcg {
  std::uint64_t state = 42;
  std::uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state >> 33);
  }
};

inline const char* const kWords[] = {"bin",     "collection", "missed", "again",  "street", "council", "please",
                                     "weekly",  "the",        "was",    "not",    "on",     "Monday",  "neighbour",
                                     "rubbish", "complaint",  "since",  "August", "and",    "caf\xc3\xa9"};

inline std::string sentence(Lcg& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += kWords[rng.next() % (sizeof kWords / sizeof kWords[0])];
  }
  return s + ".";
}

inline std::string headers(Lcg& rng, int n, const std::string& content_type) {
  return "Return-Path: <customer" + std::to_string(n) + "@example.test>\r\n"
         "Received: from mx.example.test by mail.council.example with ESMTPS; Mon, 3 Jun 2024 10:00:00 +0000\r\n"
         "From: =?utf-8?q?Customer_N=C2=BA" + std::to_string(n) + "?= <customer" + std::to_string(n) +
         "@example.test>\r\nTo: Complaints <complaints@council.example>\r\n"
         "Subject: =?utf-8?b?Q29tcGxhaW50IGFib3V0IHRoZSBiaW4gw6lsw6h2ZQ==?= " + std::to_string(rng.next() % 1000) +
         "\r\nDate: Mon, 3 Jun 2024 10:00:00 +0100\r\nMessage-ID: <" + std::to_string(n) +
         ".bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: " + content_type + "\r\n";
}

inline std::string small_text(int n) {
  Lcg rng{static_cast<std::uint64_t>(n) + 1};
  std::string body;
  for (int p = 0; p < 4; ++p) body += sentence(rng, 25) + "\r\n" + sentence(rng, 20) + "\r\n\r\n";
  body += "On Mon, 3 Jun 2024 at 09:00, Council <complaints@council.example> wrote:\r\n> " + sentence(rng, 12) +
          "\r\n\r\nKind regards,\r\nCustomer\r\n";
  return headers(rng, n, "text/plain; charset=utf-8") + "Content-Transfer-Encoding: 8bit\r\n\r\n" + body;
}

}  // namespace complaintd::bench
