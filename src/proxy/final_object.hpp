// Forwarding header: the tail scanner moved to http/final_object.hpp so models/ (below proxy/) can use it
// too; these names keep the relay and the handler compiling unchanged.
#pragma once

#include "http/final_object.hpp"

namespace corral::proxy {
using http1::FinalCounts;
using http1::kTailBytes;
using http1::scan_final_object;
using http1::TailWindow;
}  // namespace corral::proxy
