// Iterating simdjson DOM values the simulator has already type-checked.
#pragma once

#include <simdjson.h>

namespace corral::sim {

// By value: iterating `e.get_object().value_unsafe()` directly would dangle (it refers into a temporary).
inline simdjson::dom::object as_object(simdjson::dom::element e) { return e.get_object().value_unsafe(); }
inline simdjson::dom::array as_array(simdjson::dom::element e) { return e.get_array().value_unsafe(); }

}  // namespace corral::sim
