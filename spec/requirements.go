package spec

import _ "embed"

// Requirements is REQUIREMENTS.md: every requirement ID with its level,
// profiles and the check that covers it. The conformance suite reads the
// levels from it and its tests check that every ID has a check.
//
//go:embed REQUIREMENTS.md
var Requirements string
