// The only code that calls hiredis: one synchronous connection with connect and command timeouts. It is
// used by SharedStore's Redis thread and nowhere else (not thread-safe, blocking by design: that thread
// exists so that nothing else ever blocks on Redis).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/redis_config.hpp"

struct redisContext;

namespace corral::shared_state {

/// A decoded reply.
struct RedisReply {
  enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  ///< string, status or error text
  std::vector<RedisReply> elements;

  [[nodiscard]] bool is_error() const { return type == Type::kError; }
};

class RedisConnection final {
 public:
  RedisConnection();
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Connects, then AUTH and SELECT as the endpoint asks. On failure returns false with `error` set and
  /// leaves the connection closed.
  bool connect(const config::RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
               std::chrono::milliseconds command_timeout, std::string& error);
  [[nodiscard]] bool connected() const { return ctx_ != nullptr; }
  void close();

  /// Runs one command. A transport failure (timeout, reset, EOF) closes the connection and returns false
  /// with `error` set; a Redis error reply is a successful call returning a kError reply.
  bool command(const std::vector<std::string>& argv, RedisReply& reply, std::string& error);

 private:
  redisContext* ctx_ = nullptr;
};

}  // namespace corral::shared_state
