// Package schema holds the JSON Schema of the connectsync manifest,
// generated from package manifest's types and doc comments by
// internal/schemagen, for editors (yaml-language-server) and for
// connectsync schema.
package schema

import _ "embed"

// ManifestV1 is schema/manifest-v1.json.
//
//go:embed manifest-v1.json
var ManifestV1 []byte
