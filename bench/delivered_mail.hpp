#pragma once
// A message as it sits in the complaints INBOX after crossing the internet, made from a
// bare one (the labelled set's, which carry only what the writer typed: From, To, Subject,
// Date, Message-ID and a text/plain body). Every delivered message also carries what the
// sending provider and our own MX and Dovecot added: Return-Path, Delivered-To, three
// Received, Authentication-Results, two DKIM signatures, the provider's X- headers (about
// 3.5 KB, the shape of a webmail provider's mail; every value invented, every domain
// example.*). Webmail and the common desktop clients also send the text twice, as
// multipart/alternative: text/plain and text/html, each quoted-printable.
// triage_bench measures parse and triage on these (issue 5's ratio on mail as it arrives);
// tests/triage/labelled_test checks that they are triaged exactly like the bare ones.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/generated_mail.hpp"
#include "outbound/letter.hpp"

namespace complaintd::bench {

enum class Sent { kPlain, kAlternative };

namespace delivered_detail {

// `n` characters of base64 alphabet, the same for the same generator state.
inline std::string base64ish(Lcg& rng, std::size_t n) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(n, 'A');
  for (auto& c : out) c = kAlphabet[rng.next() % kAlphabet.size()];
  return out;
}

// A DKIM signature's b= value folded as providers fold it.
inline std::string folded_signature(Lcg& rng) {
  std::string out;
  for (int line = 0; line < 5; ++line) out += (line ? "\r\n         " : "") + base64ish(rng, 70);
  return out;
}

inline std::string dkim(Lcg& rng, std::string_view name, std::string_view domain) {
  return std::string(name) + ": v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n        d=" + std::string(domain) +
         "; s=20230601; t=1780390862; x=1780995662; darn=example.org;\r\n"
         "        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject\r\n"
         "         :date:message-id:reply-to;\r\n        bh=" +
         base64ish(rng, 43) + "=;\r\n        b=" + folded_signature(rng) + "==\r\n";
}

// The body as a webmail client writes its HTML: a div per line, an empty one per blank line.
inline std::string html_of(std::string_view text) {
  std::string out = "<div dir=\"ltr\">";
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t end = text.find("\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    out += "<div>";
    for (const char c : line) {
      if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else if (c == '&') out += "&amp;";
      else out += c;
    }
    out += line.empty() ? "<br></div>" : "</div>";
    at = end + 2;
  }
  return out + "</div>\r\n";
}

// Each line ended by CRLF, as it is on the wire.
inline std::string crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

inline bool starts_with_field(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((line[i] | 0x20) != (name[i] | 0x20)) return false;
  return true;
}

}  // namespace delivered_detail

/// `bare` (a message whose body is text/plain, 8bit) as delivered; `n` varies the invented
/// values so that no two messages share them.
inline std::string delivered(std::string_view bare, int n, Sent sent) {
  using namespace delivered_detail;
  const std::string raw = crlf(bare);
  const std::size_t split = raw.find("\r\n\r\n");
  const std::string_view head = std::string_view(raw).substr(0, split + 2);
  const std::string_view body = std::string_view(raw).substr(split + 4);
  Lcg rng{static_cast<std::uint64_t>(n) * 7919 + 17};

  // The writer's own fields, without those that describe the body: they are written anew.
  std::string own, sender = "customer@mail.example.com";
  for (std::size_t at = 0; at < head.size();) {
    std::size_t end = head.find("\r\n", at);
    while (end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t')) end = head.find("\r\n", end + 2);
    const std::string_view field = head.substr(at, end + 2 - at);
    at = end + 2;
    if (starts_with_field(field, "Content-Type") || starts_with_field(field, "Content-Transfer-Encoding") ||
        starts_with_field(field, "MIME-Version"))
      continue;
    if (starts_with_field(field, "From")) {
      const std::size_t lt = field.find('<'), gt = field.find('>');
      if (lt != std::string_view::npos && gt > lt) sender = std::string(field.substr(lt + 1, gt - lt - 1));
    }
    own += field;
  }
  const std::string domain = sender.substr(sender.find('@') + 1);
  const std::string host = "mail-wr1-f" + std::to_string(40 + n % 50) + "." + domain;
  const std::string id = std::to_string(100000 + n);

  std::string out = "Return-Path: <" + sender + ">\r\nDelivered-To: complaints@example.org\r\n";
  out += "Received: from mx1.example.org\r\n\tby imap.example.org with LMTP\r\n\tid " + base64ish(rng, 22) +
         "\r\n\t(envelope-from <" + sender + ">)\r\n\tfor <complaints@example.org>; Mon, 02 Jun 2026 09:01:04 +0100\r\n";
  out += "Received: from " + host + " (" + host + " [192.0.2." + std::to_string(n % 250 + 1) +
         "])\r\n\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)\r\n"
         "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
         "\t(No client certificate requested)\r\n\tby mx1.example.org (Postfix) with ESMTPS id 4WQ2x" +
         base64ish(rng, 8) + "\r\n\tfor <complaints@example.org>; Mon,  2 Jun 2026 09:01:03 +0100 (BST)\r\n";
  out += "Authentication-Results: mx1.example.org;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=" + domain +
         " header.i=@" + domain + " header.a=rsa-sha256 header.s=20230601 header.b=" + base64ish(rng, 8) +
         ";\r\n\tdmarc=pass (p=none dis=none) header.from=" + domain + ";\r\n\tspf=pass (mx1.example.org: domain of " +
         sender + " designates 192.0.2.1 as permitted sender) smtp.mailfrom=" + sender + "\r\n";
  out += "X-Virus-Scanned: Debian amavisd-new at mx1.example.org\r\nX-Spam-Flag: NO\r\nX-Spam-Score: -0.1\r\n";
  out += "Received: by " + host + " with SMTP id ffacd0b85a97d-" + id + "so" + base64ish(rng, 6) +
         "f8f.3\r\n        for <complaints@example.org>; Mon, 02 Jun 2026 01:01:02 -0700 (PDT)\r\n";
  out += dkim(rng, "DKIM-Signature", domain);
  out += dkim(rng, "X-Google-DKIM-Signature", "1e100.example.net");
  out += "X-Gm-Message-State: AOJu0Yw" + base64ish(rng, 70) + "\r\n\t" + base64ish(rng, 60) + "\r\n";
  out += "X-Google-Smtp-Source: AGHT+IF" + base64ish(rng, 80) + "\r\n";
  out += "X-Received: by 2002:a05:6000:1f8c:b0:35f:2a5c:" + std::to_string(1000 + n % 9000) +
         " with SMTP id bw12-20020a0560001f8c00b0035f2a5c" + id +
         "mr2345678wrb.12.1780390862123;\r\n        Mon, 02 Jun 2026 01:01:02 -0700 (PDT)\r\n";
  out += "MIME-Version: 1.0\r\n" + own;

  if (sent == Sent::kPlain)
    return out + "Content-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           outbound::quoted_printable(body);
  const std::string boundary = "000000000000a1b2c3d4e5f6" + id;
  return out + "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary +
         "\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         outbound::quoted_printable(body) + "\r\n--" + boundary +
         "\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         outbound::quoted_printable(html_of(body)) + "\r\n--" + boundary + "--\r\n";
}

}  // namespace complaintd::bench
