// Request bodies sent with a Content-Encoding. Ollama decompresses `Content-Encoding: zstd` bodies on its
// compatibility routes (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses,
// /v1/messages: the cloud-passthrough middleware of server/cloud_proxy.go) before it reads `model`, with
// a 20 MiB cap on the decompressed size; Codex sends its /v1/responses bodies that way. The gateway
// does the same to read the request's facts, from a private decompressed copy that lives only for that
// read: the body itself goes on to the backend exactly as the client sent it, Content-Encoding
// included, so the backend decompresses it as Ollama would. Any other coding, and zstd on a route Ollama
// does not decompress, cannot be read and is refused (415).
//
// Decompression streams into a buffer that grows by doubling up to the cap and stops as soon as the
// output passes it, so a zstd bomb (a few KiB that expand to gigabytes) costs at most the cap in memory
// and a 413 for the client. The window a frame may ask for is capped too (Ollama's decoder allows
// 8 MiB of decoder memory), so a hostile frame header cannot make the decoder allocate more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "routing/router.hpp"

namespace corral::http1 {

/// Ollama's cap on a decompressed request body (server/cloud_proxy.go maxDecompressedBodySize).
inline constexpr std::size_t kMaxDecompressedBody = 20u << 20;
/// log2 of the largest frame window accepted: 8 MiB, the decoder memory Ollama's zstd reader allows.
inline constexpr int kMaxZstdWindowLog = 23;

/// A request's content coding, from its Content-Encoding field(s).
enum class ContentCoding : std::uint8_t {
  kIdentity,  ///< no field, an empty value, or `identity`
  kZstd,      ///< exactly one coding, `zstd` (case-insensitive, spaces trimmed)
  kOther,     ///< anything else: gzip, br, deflate, a list (`zstd, gzip`), two fields
};
[[nodiscard]] ContentCoding content_coding(const http::fields& fields);

enum class ZstdStatus : std::uint8_t {
  kOk,
  kTooLarge,   ///< the output would pass the limit (a bomb, or simply too much)
  kCorrupt,    ///< not zstd, a damaged frame, a window over kMaxZstdWindowLog, garbage after a frame
  kTruncated,  ///< the input ended inside a frame
};

struct ZstdResult {
  ZstdStatus status = ZstdStatus::kOk;
  std::string detail;  ///< libzstd's reason for kCorrupt
};

/// Decompresses every frame of `compressed` into `out` (replaced; capacity size + routing::kBodyPadding,
/// so the request-facts parser can read it in place). Never grows `out` past `limit` + 1 bytes. An empty
/// input is an empty output. On failure `out` holds what was decoded so far. Never throws on bad input
/// (std::bad_alloc stays possible, as for any buffer).
ZstdResult decompress_zstd(std::string_view compressed, std::size_t limit, std::string& out);

/// A body the gateway cannot read, answered in the route's error shape instead of the request.
struct BodyRefusal {
  int status = 0;                   ///< 400, 413 or 415
  std::string message;
  std::string_view accept_encoding;  ///< for a 415: the codings this route does take (RFC 9110 15.5.16)
};

/// The body a request's facts are read from, when it is not the body as received.
struct FactsBody {
  std::optional<BodyRefusal> refusal;  ///< set: answer this, the facts cannot be read
  bool decoded = false;                ///< the facts are to be read from `body`, not from the message
  std::string body;                    ///< the decompressed copy (with the facts parser's padding)
};

/// What to read the facts of a request on `route` from, given its head `fields` and its `body`: nothing
/// to do for an uncoded body or a route that does not read its body (its body goes through untouched);
/// the decompressed copy for zstd on a row that decodes_zstd; a refusal otherwise.
[[nodiscard]] FactsBody body_for_facts(const routing::Route& route, const http::fields& fields, std::string_view body);

}  // namespace corral::http1
