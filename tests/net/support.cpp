#include "tests/net/support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

namespace complaintd::test {

namespace {

size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t ignore(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

struct Source {
  std::string data;
  size_t offset = 0;
};

size_t supply(char* buffer, size_t size, size_t count, void* user) {
  auto* src = static_cast<Source*>(user);
  const size_t n = std::min(size * count, src->data.size() - src->offset);
  std::memcpy(buffer, src->data.data() + src->offset, n);
  src->offset += n;
  return n;
}

std::string escape(const std::string& folder) {
  std::string out;
  for (char ch : folder) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

boost::asio::awaitable<RawReply> raw_imap(net::CurlMulti& multi, const MailServers& s, std::string folder,
                                          std::string command) {
  RawReply reply;
  net::CurlEasy easy(curl_easy_init());
  const std::string url = s.imap_url() + "/" + escape(folder);
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_USERNAME, MailServers::kUser);
  curl_easy_setopt(easy.get(), CURLOPT_PASSWORD, MailServers::kPassword);
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, command.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &collect);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &reply.lines);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &ignore);
  curl_easy_setopt(easy.get(), CURLOPT_BUFFERSIZE, 1L << 20);
  reply.code = co_await multi.perform(easy.get());
  co_return reply;
}

boost::asio::awaitable<CURLcode> append(net::CurlMulti& multi, const MailServers& s, std::string folder,
                                        std::string message) {
  net::CurlEasy easy(curl_easy_init());
  Source source{std::move(message), 0};
  const std::string url = s.imap_url() + "/" + escape(folder);
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_USERNAME, MailServers::kUser);
  curl_easy_setopt(easy.get(), CURLOPT_PASSWORD, MailServers::kPassword);
  curl_easy_setopt(easy.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_READFUNCTION, &supply);
  curl_easy_setopt(easy.get(), CURLOPT_READDATA, &source);
  curl_easy_setopt(easy.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(source.data.size()));
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &ignore);
  co_return co_await multi.perform(easy.get());
}

boost::asio::awaitable<void> create_folder(net::CurlMulti& multi, const MailServers& s, std::string folder) {
  std::string quoted = "\"";
  for (char c : folder) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  // Named arguments: GCC 12 mishandles some temporaries inside co_await.
  std::string root;
  std::string command = "CREATE " + quoted;
  (void)co_await raw_imap(multi, s, std::move(root), std::move(command));
}

std::string unique_folder() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "T";  // appended piecewise: GCC 12 -Wrestrict misfires on "T" + ...
  name += std::to_string(::getpid());
  name += '_';
  name += info != nullptr ? info->name() : "x";
  for (auto& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') c = '_';
  }
  return name;
}

std::string message(const std::string& subject, const std::string& body) {
  return "From: Customer <customer@example.test>\r\n"
         "To: complaints@example.test\r\n"
         "Subject: " + subject + "\r\n"
         "Message-ID: <" + subject + "@example.test>\r\n"
         "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n" + body;
}

}  // namespace complaintd::test
