// FNV-1a is simple and stable; its low bits avalanche poorly, so the result goes through splitmix64.
#include "common/hash.hpp"

namespace corral::common {

std::uint64_t hash_key(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace corral::common
