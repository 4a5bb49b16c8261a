#include "tests/net/mail_servers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace complaintd::test {

namespace {

const std::string kScript = std::string(COMPLAINTD_SOURCE_DIR) + "/scripts/mail-servers.sh";
constexpr int kExPortInUse = 75;                 // mail-servers.sh: a port is taken
constexpr std::array kPortOffsets{24, 25, 43, 93};  // LMTP, SMTP, IMAP, IMAPS

struct Ran {
  int status = -1;
  std::string output;
};

/// Runs a shell command with stdin from /dev/null, stdout and stderr captured.
Ran run(const std::string& command) {
  Ran r;
  FILE* p = ::popen((command + " </dev/null 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::map<std::string, std::string> read_env(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

class Servers {
 public:
  const MailServers& get() {
    if (!started_) start();
    return servers_;
  }

  void stop() {
    if (!started_ || !owned_) return;
    started_ = false;
    run(kScript + " stop " + servers_.dir);
    const char* keep = std::getenv("COMPLAINTD_KEEP_TEST_DIR");
    if (keep == nullptr || std::string(keep) != "1") {
      std::error_code ec;
      std::filesystem::remove_all(servers_.dir, ec);
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
  }

 private:
  void start() {
    if (const char* shared = std::getenv("COMPLAINTD_MAIL_SERVERS_DIR"); shared != nullptr && *shared != '\0') {
      servers_.dir = shared;
      owned_ = false;
    } else {
      launch();
      owned_ = true;
    }
    const Ran user = run(kScript + " add-user " + servers_.dir + " " + MailServers::kUser + " " +
                         MailServers::kPassword);
    if (user.status != 0) throw std::runtime_error("mail-servers.sh add-user failed:\n" + user.output);
    auto env = read_env(servers_.dir + "/servers.env");
    servers_.imap_port = std::atoi(env["IMAP_PORT"].c_str());
    servers_.imaps_port = std::atoi(env["IMAPS_PORT"].c_str());
    servers_.smtp_port = std::atoi(env["SMTP_PORT"].c_str());
    servers_.cert = env["CERT"];
    if (servers_.imap_port == 0 || servers_.smtp_port == 0) {
      throw std::runtime_error("no ports in " + servers_.dir + "/servers.env");
    }
    started_ = true;
  }

  void launch() {
    std::string dir = "/tmp/cnet-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    ::chmod(dir.c_str(), 0755);  // Dovecot's mail processes (uid 8) must reach DIR/mail
    servers_.dir = dir;

    std::vector<int> bases;
    for (int b = 20000; b < 32000; b += 100) bases.push_back(b);
    std::shuffle(bases.begin(), bases.end(), std::mt19937(std::random_device{}()));
    std::string last;
    int attempts = 0;
    for (int base : bases) {
      if (attempts >= 20) break;
      if (!claim(base)) continue;
      ++attempts;
      const Ran r = run(kScript + " start " + dir + " --base-port " + std::to_string(base));
      if (r.status == 0) {
        watch_for_crash();
        return;
      }
      ::close(lock_fd_);
      lock_fd_ = -1;
      last = r.output;
      if (r.status != kExPortInUse) break;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    throw std::runtime_error("mail-servers.sh start failed:\n" + last);
  }

  /// Holds a lock on `base` among test processes (same scheme as harness.py), then probes.
  bool claim(int base) {
    ::mkdir("/tmp/complaintd-test-ports", 0755);
    const std::string path = "/tmp/complaintd-test-ports/" + std::to_string(base) + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 ||
        !std::all_of(kPortOffsets.begin(), kPortOffsets.end(), [&](int off) { return port_free(base + off); })) {
      ::close(fd);
      return false;
    }
    lock_fd_ = fd;
    return true;
  }

  /// If this process dies without stopping the servers (a crash, a sanitizer abort), a
  /// detached shell notices and stops them, so no Dovecot or Postfix outlives the test.
  void watch_for_crash() const {
    const std::string cmd = "setsid sh -c 'while kill -0 " + std::to_string(::getpid()) +
                            " 2>/dev/null; do sleep 1; done; if [ -d " + servers_.dir + " ]; then " + kScript +
                            " stop " + servers_.dir + "; rm -rf " + servers_.dir +
                            "; fi' >/dev/null 2>&1 </dev/null &";
    run(cmd);
  }

  MailServers servers_;
  bool started_ = false;
  bool owned_ = false;
  int lock_fd_ = -1;
};

Servers& servers() {
  static Servers s;
  return s;
}

class StopServers : public ::testing::Environment {
 public:
  void TearDown() override { servers().stop(); }
};

[[maybe_unused]] ::testing::Environment* const kStopServers = ::testing::AddGlobalTestEnvironment(new StopServers);

}  // namespace

std::string mail_servers_unavailable() {
  if (::geteuid() != 0) return "the mail servers need root (scripts/mail-servers.sh)";
  for (const char* tool : {"/usr/sbin/dovecot", "/usr/sbin/postfix"}) {
    if (::access(tool, X_OK) != 0) return std::string(tool) + " is not installed (scripts/setup.sh)";
  }
  return {};
}

const MailServers& mail_servers() { return servers().get(); }

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace complaintd::test
