#include "shared_state/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace corral::shared_state {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

RedisReply decode(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(decode(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

RedisConnection::RedisConnection() = default;
RedisConnection::~RedisConnection() { close(); }

void RedisConnection::close() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

bool RedisConnection::connect(const config::RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                              std::chrono::milliseconds command_timeout, std::string& error) {
  close();
  const timeval tv = to_timeval(connect_timeout);
  ctx_ = endpoint.unix_path.empty() ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                                    : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), tv);
  if (ctx_ == nullptr || ctx_->err != 0) {
    error = ctx_ != nullptr ? ctx_->errstr : "out of memory";
    close();
    return false;
  }
  if (redisSetTimeout(ctx_, to_timeval(command_timeout)) != REDIS_OK) {
    error = "cannot set the command timeout";
    close();
    return false;
  }
  if (endpoint.unix_path.empty()) redisEnableKeepAlive(ctx_);
  RedisReply reply;
  if (!endpoint.password.empty()) {
    if (!command({"AUTH", endpoint.password}, reply, error)) return false;
    if (reply.is_error()) {
      error = "AUTH: " + reply.str;
      close();
      return false;
    }
  }
  if (endpoint.db != 0) {
    if (!command({"SELECT", std::to_string(endpoint.db)}, reply, error)) return false;
    if (reply.is_error()) {
      error = "SELECT: " + reply.str;
      close();
      return false;
    }
  }
  return true;
}

bool RedisConnection::command(const std::vector<std::string>& argv, RedisReply& reply, std::string& error) {
  if (ctx_ == nullptr) {
    error = "not connected";
    return false;
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data()));
  if (raw == nullptr) {
    // hiredis marks the context unusable after any I/O error (including a timeout).
    error = ctx_->err != 0 ? ctx_->errstr : "no reply";
    close();
    return false;
  }
  reply = decode(raw);
  freeReplyObject(raw);
  return true;
}

}  // namespace corral::shared_state
