// Metric-label spellings of AdmitError.
#include "admission/admit_error.hpp"

namespace corral::admission {

std::string_view to_string(AdmitError error) {
  switch (error) {
    case AdmitError::kQueueFull:
      return "queue_full";
    case AdmitError::kQueueTimeout:
      return "queue_timeout";
    case AdmitError::kCancelled:
      return "cancelled";
    case AdmitError::kNoBackend:
      return "no_backend";
  }
  return "unknown";
}

}  // namespace corral::admission
