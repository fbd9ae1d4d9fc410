// The Redfish benchmarks' bmcsim: a child process on free ports, steered
// through its control API with plain libcurl (the benchmarks do not link the
// Catch2-based test support). Header-only: each benchmark is one .cpp.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "redfish/json.hpp"

extern char** environ;

namespace bench {

inline std::size_t curl_sink(char* d, std::size_t s, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(d, s * n);
  return s * n;
}

// One request, body returned ("" when it failed); basic = admin:secret.
inline std::string http(const std::string& url, bool basic, const char* method = "GET",
                        const std::string& body = "") {
  CURL* e = curl_easy_init();
  std::string out;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &curl_sink);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  if (!body.empty()) curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
  if (basic) curl_easy_setopt(e, CURLOPT_USERPWD, "admin:secret");
  curl_easy_perform(e);
  curl_easy_cleanup(e);
  return out;
}

class SimProcess {
 public:
  // extra: bmcsim arguments after --mockup (latency, --serialize, ...).
  SimProcess(const std::string& binary_dir, const std::string& mockup,
             const std::vector<std::string>& extra) {
    static std::atomic<int> serial{0};
    ready_ =
        "/tmp/bench-bmcsim-ready-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
    const std::string bin = binary_dir + "/tests/tools/bmcsim/bmcsim";
    std::vector<std::string> args = {bin, "--mockup", mockup, "--ready-file", ready_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    if (posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, cargs.data(), environ) != 0)
      throw std::runtime_error("cannot start " + bin);
    for (int i = 0; i < 800 && !(std::ifstream(ready_) >> port_ >> control_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (!control_) throw std::runtime_error("bmcsim did not start serving " + mockup);
  }
  ~SimProcess() {
    if (pid_ > 0) ::kill(pid_, SIGTERM), ::waitpid(pid_, nullptr, 0);
    std::remove(ready_.c_str());
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string control(const std::string& path, const char* method = "GET",
                      const std::string& body = "") const {
    return http("http://127.0.0.1:" + std::to_string(control_) + path, false, method, body);
  }
  double stat(const char* name) const {
    auto j = bmcquiet::redfish::Json::parse(control("/stats"));
    return j ? (*j)[name].number().value_or(-1) : -1;
  }
  void reset_stats() const { control("/reset_stats", "POST"); }

 private:
  pid_t pid_ = -1;
  int port_ = 0, control_ = 0;
  std::string ready_;
};

}  // namespace bench
