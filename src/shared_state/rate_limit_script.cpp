#include "shared_state/rate_limit_script.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cmath>

namespace corral::shared_state {
namespace {

// ARGV holds 4 values per key: capacity, refill per millisecond, cost, kind ('t' take | 'c' charge).
constexpr std::string_view kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels = {}
local refused = 0
local wait = 0
for i = 1, #KEYS do
  local cap = tonumber(ARGV[4 * i - 3])
  local rate = tonumber(ARGV[4 * i - 2])
  local cost = tonumber(ARGV[4 * i - 1])
  local s = redis.call('HMGET', KEYS[i], 'l', 't')
  local l = tonumber(s[1])
  local last = tonumber(s[2])
  if l == nil or last == nil then
    l = cap
    last = now
  end
  if now > last then l = l + (now - last) * rate end
  if l > cap then l = cap end
  levels[i] = l
  if refused == 0 and ARGV[4 * i] == 't' and not (l > 0 and l >= cost) then
    refused = i
    local missing = cost - l
    if missing < 0 then missing = 0 end
    wait = math.ceil(missing / rate)
  end
end
for i = 1, #KEYS do
  local cap = tonumber(ARGV[4 * i - 3])
  local rate = tonumber(ARGV[4 * i - 2])
  if ARGV[4 * i] == 'c' or refused == 0 then levels[i] = levels[i] - tonumber(ARGV[4 * i - 1]) end
  redis.call('HSET', KEYS[i], 'l', tostring(levels[i]), 't', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((cap - levels[i]) / rate) + 1000)
end
return {refused, wait}
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string out;
  for (unsigned char b : digest) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

std::string_view rate_limit_script() { return kScript; }

const std::string& rate_limit_script_sha() {
  static const std::string sha = sha1_hex(kScript);
  return sha;
}

std::vector<std::string> rate_limit_argv(std::span<const ratelimit::BucketOp> ops, std::string_view key_prefix,
                                         bool use_eval, std::vector<std::size_t>& index_map) {
  index_map.clear();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].limit.enabled()) index_map.push_back(i);
  }
  std::vector<std::string> argv;
  argv.reserve(3 + 5 * index_map.size());
  argv.emplace_back(use_eval ? "EVAL" : "EVALSHA");
  argv.emplace_back(use_eval ? std::string(kScript) : rate_limit_script_sha());
  argv.push_back(std::to_string(index_map.size()));
  for (std::size_t i : index_map) argv.push_back(std::string(key_prefix) + ops[i].key);
  for (std::size_t i : index_map) {
    const auto& op = ops[i];
    argv.push_back(fmt::format("{:.17g}", op.limit.capacity));
    argv.push_back(fmt::format("{:.17g}", op.limit.per_second / 1000.0));
    argv.push_back(fmt::format("{:.17g}", op.cost));
    argv.emplace_back(op.kind == ratelimit::BucketOp::Kind::kCharge ? "c" : "t");
  }
  return argv;
}

std::optional<ratelimit::RateDecision> decode_rate_limit_reply(const RedisReply& reply,
                                                          const std::vector<std::size_t>& index_map) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != RedisReply::Type::kInteger || reply.elements[1].type != RedisReply::Type::kInteger) {
    return std::nullopt;
  }
  const long long refused = reply.elements[0].integer;
  const long long wait_ms = reply.elements[1].integer;
  if (refused < 0 || static_cast<std::size_t>(refused) > index_map.size() || wait_ms < 0) return std::nullopt;
  ratelimit::RateDecision d;
  if (refused > 0) {
    d.allowed = false;
    d.refused_by = index_map[static_cast<std::size_t>(refused - 1)];
    d.retry_after = std::chrono::seconds{std::max<long long>(1, (wait_ms + 999) / 1000)};
  }
  return d;
}

bool is_noscript(const RedisReply& reply) {
  return reply.is_error() && reply.str.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace corral::shared_state
