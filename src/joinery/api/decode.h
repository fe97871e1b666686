// Reading manifests: YAML or JSON text (one or many documents, `---` separated, or a `kind: List`)
// into typed objects, with `${VAR}` substitution as envsubst does it.
//
// Errors are InvalidArgument and name the file, the object (Kind/name when known) and the field path,
// e.g. `nodepool.yaml: NodePool/default: spec.weight: must be an integer, got "high"`. Decoding never
// crashes or throws on any input. Defaults and validation are separate steps (defaults.h,
// validate.h); LoadManifests() runs all three. Thread-safe: no shared state.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/api/types.h"

namespace joinery::api {

struct DecodeOptions {
  // Values for `${NAME}` and `$NAME` references. A reference to a name not given here is an error
  // that names it (a silent empty string, as envsubst would produce, hides typos).
  std::map<std::string, std::string, std::less<>> env;
};

// Replaces ${NAME} / $NAME in `text`. `$$` is a literal `$`.
absl::StatusOr<std::string> SubstituteEnv(std::string_view text, const DecodeOptions& options);

// Decodes every document in `text` (already substituted) and appends the objects to `out`.
// `file` is used in error messages and stored in each object's Source.
absl::Status DecodeDocuments(std::string_view text, std::string_view file, Manifests& out);

// Reads files and directories (recursively: *.yaml, *.yml, *.json, in name order), substitutes env,
// decodes, applies defaults and validates. On error nothing is returned.
absl::StatusOr<Manifests> LoadManifests(const std::vector<std::string>& paths,
                                        const DecodeOptions& options);

}  // namespace joinery::api
