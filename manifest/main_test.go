package manifest_test

import "flag"

// update rewrites the golden files under testdata instead of comparing with
// them: go test ./manifest -update. Review the diff before committing it.
var update = flag.Bool("update", false, "rewrite golden files under testdata")
